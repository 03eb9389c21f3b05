"""The epoch loop shared by the RNN models: early stopping, history, divergence, progress.

:func:`train` runs ``epochs`` epochs of a model-specific update function and, after each,
evaluates the loss on a temporal validation tail. It keeps the weights of the best
validation epoch and restores them at the end (early stopping after ``patience`` epochs
without improvement), records the per-epoch history and stops with a
:class:`DivergenceError` naming the epoch when a loss turns NaN or inf, after restoring the
best weights so that the model stays usable. :func:`minibatches` and
:func:`validation_split` are the small pieces every model needs around it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm.std import tqdm  # text bar: no ipywidgets needed in notebooks

from forecast import nn
from forecast._validation import check_choice, check_float, check_int
from forecast.nn import CELLS, LOSSES, RecurrentNetwork, clip_grad_norm, global_norm

logger = logging.getLogger(__name__)

#: the ``optimizer`` names the RNN models accept
OPTIMIZER_NAMES = ("adam", "adamw", "sgd", "momentum", "nesterov")

#: a relative improvement of the validation loss smaller than this does not reset patience
MIN_REL_IMPROVEMENT = 1e-7


class DivergenceError(FloatingPointError):
    """Training produced a NaN or infinite loss; the model holds its best weights."""


@dataclass
class TrainingResult:
    """What :func:`train` did.

    Attributes
    ----------
    history : dict of str to list of float
        ``train_loss`` (mean loss over the epoch's updates), ``val_loss`` (only with a
        validation tail) and ``grad_norm`` (mean global gradient norm before clipping),
        one entry per epoch run.
    best_epoch : int
        The epoch whose weights the model holds (1-based; 0 means the initial weights). Without
        validation it is the last epoch run.
    stopped_early : bool
        True if patience ran out before ``epochs``.
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int = 0
    stopped_early: bool = False


def train(
    run_epoch: Callable[[int], tuple[float, float]],
    validate: Callable[[], float] | None,
    get_weights: Callable[[], dict[str, np.ndarray]],
    set_weights: Callable[[dict[str, np.ndarray]], None],
    *,
    epochs: int,
    patience: int | None,
    verbose: bool = False,
    desc: str = "training",
    hint: str = "",
) -> TrainingResult:
    """Run up to ``epochs`` epochs with early stopping on the validation loss.

    After epoch ``e``::

        val_e = validate()
        if val_e < best * (1 - 1e-7):  best, best_epoch, kept = val_e, e, weights
        elif e - best_epoch >= patience: stop
        at the end: weights <- kept

    Parameters
    ----------
    run_epoch : callable ``(epoch) -> (train_loss, grad_norm)``
        Runs one epoch of updates (epoch counts from 1) and returns the mean loss and mean
        gradient norm of its updates. It may return early with a non-finite loss.
    validate : callable ``() -> float`` or None
        The validation loss of the current weights. None: no validation, no early stopping,
        and the model keeps the weights of its last epoch.
    get_weights, set_weights : callables
        Copy the weights out of / into the model (a dict of arrays).
    epochs : int
    patience : int or None
        Epochs without improvement of the validation loss before stopping; None never stops
        early (the best weights are still restored).
    verbose : bool
        Show a tqdm progress bar (only on a terminal: ``disable=None``).
    desc : str
        Label of the progress bar and the log lines.
    hint : str
        Appended to the divergence message (e.g. the current ``lr`` and ``clip_norm``).

    Returns
    -------
    TrainingResult

    Raises
    ------
    DivergenceError
        if a training or validation loss is NaN or inf. The message names the epoch; the
        weights of the best epoch so far (or the initial weights) are restored first, and
        ``error.result`` holds the history up to that epoch.
    """
    result = TrainingResult(history={"train_loss": [], "grad_norm": []})
    if validate is not None:
        result.history["val_loss"] = []
    kept, best = get_weights(), math.inf
    bar = tqdm(
        total=epochs, desc=desc, unit="epoch", disable=None if verbose else True, leave=False
    )
    try:
        for epoch in range(1, epochs + 1):
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                train_loss, grad_norm = run_epoch(epoch)
                val_loss = (
                    validate() if validate is not None and math.isfinite(train_loss) else None
                )
            train_loss, grad_norm = float(train_loss), float(grad_norm)
            result.history["train_loss"].append(train_loss)
            result.history["grad_norm"].append(grad_norm)
            if validate is not None:
                result.history["val_loss"].append(math.nan if val_loss is None else float(val_loss))
            bar.update()
            shown = math.nan if val_loss is None else val_loss
            bar.set_postfix(train_loss=f"{train_loss:.4g}", val_loss=f"{shown:.4g}")
            logger.debug(
                "%s epoch %d: train loss %.6g, val loss %s, grad norm %.4g",
                desc,
                epoch,
                train_loss,
                val_loss,
                grad_norm,
            )
            bad = _diverged(train_loss, val_loss)
            if bad:
                set_weights(kept)
                restored = (
                    f"the weights of epoch {result.best_epoch}, the best so far, were restored"
                    if result.best_epoch
                    else "the initial weights were restored"
                )
                error = DivergenceError(
                    f"{desc} diverged at epoch {epoch} of {epochs}: the {bad}; {restored}. "
                    f"Lower the learning rate lr or set clip_norm (gradient clipping){hint}"
                )
                error.result = result
                raise error
            if validate is None:  # no validation: the last finite epoch is the best
                result.best_epoch, kept = epoch, get_weights()
            elif val_loss < best * (1 - MIN_REL_IMPROVEMENT) or best == math.inf:
                best, result.best_epoch, kept = val_loss, epoch, get_weights()
            elif patience is not None and epoch - result.best_epoch >= patience:
                result.stopped_early = True
                logger.info(
                    "%s stopped early at epoch %d: no improvement of the validation "
                    "loss for %d epochs; keeping epoch %d (val loss %.6g)",
                    desc,
                    epoch,
                    patience,
                    result.best_epoch,
                    best,
                )
                break
    finally:
        bar.close()
    if validate is not None and result.best_epoch != len(result.history["train_loss"]):
        set_weights(kept)
    return result


def _diverged(train_loss: float, val_loss: float | None) -> str:
    """Describe a non-finite loss, or return "" if both are finite."""
    if not math.isfinite(train_loss):
        return f"training loss is {train_loss}"
    if val_loss is not None and not math.isfinite(val_loss):
        return f"validation loss is {val_loss}"
    return ""


def minibatches(n: int, batch_size: int, rng: np.random.Generator | None) -> Iterator[np.ndarray]:
    """Yield index arrays of ``batch_size`` (the last may be smaller) covering ``0..n-1``.

    Shuffled by ``rng`` (one permutation per call), or in order when ``rng`` is None.
    """
    order = rng.permutation(n) if rng is not None else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


def validation_split(n: int, fraction: float) -> int:
    """Number of trailing samples held out for validation: ``ceil(fraction * n)``.

    ``fraction = 0`` holds out nothing. The validation tail must leave at least one sample
    to train on; the message names the numbers otherwise.
    """
    if fraction == 0:
        return 0
    n_val = math.ceil(fraction * n)
    if n - n_val < 1:
        raise ValueError(
            f"validation_fraction={fraction} of n_samples={n} holds out {n_val} sample(s) and "
            "leaves none to train on; lower validation_fraction or pass more data"
        )
    return n_val


# ---------------------------------------------------------------- one update, one epoch


def apply_gradients(
    optimizer: Any,
    params: dict[str, np.ndarray],
    grads: dict[str, np.ndarray],
    clip_norm: float | None,
) -> float:
    """Clip ``grads`` to global norm ``clip_norm`` (if set) and take one optimiser step.

    ``g <- g * clip_norm / ||g||`` when ``||g|| > clip_norm``, as PyTorch's
    ``clip_grad_norm_``. Returns ``||g||`` before clipping; when it is not finite no step is
    taken (the caller reports the divergence).
    """
    norm = global_norm(grads)
    if not math.isfinite(norm):
        return norm
    if clip_norm is not None:
        clip_grad_norm(grads, clip_norm)
    optimizer.step(params, grads)
    return norm


def many_to_one_step(
    net: Any,
    x: np.ndarray,
    y: np.ndarray,
    optimizer: Any,
    loss_fn: Callable,
    clip_norm: float | None,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """One update on the loss at the last step: ``L(W_head h_T + b_head, y)``.

    ``x`` is time-major (T, B, D) and ``y`` is (B, O). Full BPTT through the T steps from a
    zero state. Returns ``(loss, gradient norm)``.
    """
    out, _, cache = net.forward(x, train=True, rng=rng)
    loss, dpred = loss_fn(out[-1], y)
    if not math.isfinite(loss):
        return loss, math.nan
    dy = np.zeros_like(out)
    dy[-1] = dpred  # many-to-one: only the last step carries a loss
    grads, _ = net.backward(dy, cache)
    return loss, apply_gradients(optimizer, net.params, grads, clip_norm)


def many_to_one_epoch(
    net: Any,
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int,
    optimizer: Any,
    loss_fn: Callable,
    clip_norm: float | None,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """One pass over shuffled minibatches of windows ``x`` (n, T, D) with targets ``y`` (n, O).

    Returns the sample-weighted mean loss and the mean gradient norm of the updates, or a
    non-finite loss as soon as one appears (the rest of the epoch is skipped).
    """
    total, norms = 0.0, []
    for idx in minibatches(len(x), batch_size, rng):
        loss, norm = many_to_one_step(
            net, x[idx].transpose(1, 0, 2), y[idx], optimizer, loss_fn, clip_norm, rng
        )
        if not (math.isfinite(loss) and math.isfinite(norm)):
            return (loss if not math.isfinite(loss) else math.nan), norm
        total += loss * len(idx)
        norms.append(norm)
    return total / len(x), float(np.mean(norms))


def predict_last(net: Any, x: np.ndarray, chunk: int = 512) -> np.ndarray:
    """The outputs at the last step for windows ``x`` (n, T, D), in chunks: (n, O)."""
    parts = [
        net.forward(x[start : start + chunk].transpose(1, 0, 2))[0][-1]
        for start in range(0, len(x), chunk)
    ]
    return np.concatenate(parts)


def window_epoch_functions(
    net: Any,
    x: np.ndarray,
    y: np.ndarray,
    n_train: int,
    s: Settings,
    optimizer: Any,
    rng: np.random.Generator,
) -> tuple[Callable[[int], tuple[float, float]], Callable[[], float]]:
    """``(run_epoch, validate)`` for :func:`train` on windows ``x`` (n, T, D), targets ``y``.

    The first ``n_train`` windows are trained on (:func:`many_to_one_epoch`), the rest give
    the validation loss of the last-step outputs.
    """
    loss_fn = nn.get_loss(s.loss)

    def run_epoch(epoch: int) -> tuple[float, float]:
        return many_to_one_epoch(
            net,
            x[:n_train],
            y[:n_train],
            batch_size=s.batch_size,
            optimizer=optimizer,
            loss_fn=loss_fn,
            clip_norm=s.clip_norm,
            rng=rng,
        )

    def validate() -> float:
        return loss_fn(predict_last(net, x[n_train:]), y[n_train:])[0]

    return run_epoch, validate


def make_optimizer(name: str, lr: float) -> Any:
    """The optimiser called ``name``: "adam", "adamw", "sgd", "momentum" (0.9) or "nesterov"."""
    name = check_choice(name, "optimizer", OPTIMIZER_NAMES)
    if name == "momentum":
        return nn.make_optimizer("sgd", lr=lr, momentum=0.9)
    if name == "nesterov":
        return nn.make_optimizer("sgd", lr=lr, momentum=0.9, nesterov=True)
    return nn.make_optimizer(name, lr=lr)


@dataclass
class Settings:
    """The validated training parameters of an RNN model (see :func:`check_settings`)."""

    cell: str
    hidden_size: int
    num_layers: int
    epochs: int
    batch_size: int
    lr: float
    optimizer: str
    clip_norm: float | None
    loss: str
    validation_fraction: float
    patience: int | None
    dtype: np.dtype

    @property
    def hint(self) -> str:
        """What to change after a divergence, with the current values."""
        return f" (now lr={self.lr}, clip_norm={self.clip_norm})"


def check_settings(est: Any) -> Settings:
    """Validate the parameters that RNNRegressor and RNNForecaster share; name bad values."""
    clip_norm = est.clip_norm
    if clip_norm is not None:
        clip_norm = check_float(clip_norm, "clip_norm", min_value=0.0, inclusive=False)
    patience = est.patience
    if patience is not None:
        patience = check_int(patience, "patience", min_value=1)
    fraction = check_float(
        est.validation_fraction, "validation_fraction", min_value=0.0, max_value=1.0
    )
    if fraction == 1.0:
        raise ValueError("validation_fraction must be < 1, got validation_fraction=1.0")
    if not isinstance(est.verbose, (bool, np.bool_)):
        raise TypeError(f"verbose must be True or False, got {est.verbose!r}")
    return Settings(
        cell=check_choice(est.cell, "cell", tuple(CELLS)),
        hidden_size=check_int(est.hidden_size, "hidden_size", min_value=1),
        num_layers=check_int(est.num_layers, "num_layers", min_value=1),
        epochs=check_int(est.epochs, "epochs", min_value=1),
        batch_size=check_int(est.batch_size, "batch_size", min_value=1),
        lr=check_float(est.lr, "lr", min_value=0.0, inclusive=False),
        optimizer=check_choice(est.optimizer, "optimizer", OPTIMIZER_NAMES),
        clip_norm=clip_norm,
        loss=check_choice(est.loss, "loss", tuple(LOSSES)),
        validation_fraction=fraction,
        patience=patience,
        dtype=_check_dtype(est.dtype),
    )


def _check_dtype(dtype: Any) -> np.dtype:
    """``dtype`` as a NumPy float32 or float64 dtype, or raise naming it."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype must be 'float32' or 'float64', got dtype={dtype!r}")
    return resolved


def network_state(net: RecurrentNetwork) -> dict[str, Any]:
    """The constructor arguments and weights of ``net``: plain values and arrays only."""
    return {
        "cell": net.cell,
        "input_size": net.input_size,
        "hidden_size": net.hidden_size,
        "num_layers": net.num_layers,
        "output_size": net.output_size,
        "nonlinearity": net.nonlinearity,
        "dropout": net.dropout,
        "dtype": net.dtype.name,
        "weights": net.get_weights(),
    }


def network_from_state(state: dict[str, Any]) -> RecurrentNetwork:
    """Rebuild the network described by :func:`network_state` (weights copied bit for bit)."""
    config = {key: value for key, value in state.items() if key != "weights"}
    net = RecurrentNetwork(**config, rng=0)  # the drawn weights are replaced just below
    net.set_weights(state["weights"])
    return net
