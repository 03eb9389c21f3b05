"""The epoch loop shared by the RNN models: usable epochs, early stopping, history, progress.

:func:`train` runs ``epochs`` epochs of a model's :class:`EpochFunctions` and, after each,
evaluates the loss on a temporal validation tail. It keeps the weights of the best *usable*
epoch (see :mod:`forecast.models.rnn.divergence`) and restores them at the end (early stopping
after ``patience`` epochs without a better one), records the per-epoch history, and raises
:class:`~forecast.models.rnn.divergence.DivergenceError` when no epoch is usable (or warns when
training diverged after one). :func:`fit_network` adds the case of constant targets;
:func:`validation_split`, the network (de)serialisers and :class:`NetworkPickling` are the
small pieces every model needs around it. What one epoch does is in
:mod:`forecast.models.rnn.streams` (truncated BPTT over streams) and
:mod:`forecast.models.rnn.windows` (many-to-one on windows).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from tqdm.std import tqdm  # text bar: no ipywidgets needed in notebooks

from forecast.models.rnn.divergence import (
    USABLE_FACTOR,
    DivergenceError,
    DivergenceWarning,
    usable_limit,
    zero_output,
)
from forecast.models.rnn.settings import Settings
from forecast.nn import RecurrentNetwork

logger = logging.getLogger(__name__)

#: a relative improvement of the validation loss smaller than this does not reset patience
MIN_REL_IMPROVEMENT = 1e-7


class EpochFunctions(NamedTuple):
    """What :func:`train` runs for one model.

    Attributes
    ----------
    run_epoch : callable ``(epoch) -> (train_loss, grad_norm)``
        Runs one epoch of updates (epoch counts from 1) and returns the mean loss and mean
        gradient norm of its updates. It may return early with a non-finite loss.
    validate : callable ``() -> float`` or None
        The validation loss of the current weights; None without a validation tail.
    evaluate : callable ``() -> float``
        The training loss of the current weights (one forward pass, no update).
    baseline : float
        The training loss of predicting 0 for every target.
    constant : bool, default=False
        Every training target is exactly 0: nothing to learn (see :func:`fit_network`).
    """

    run_epoch: Callable[[int], tuple[float, float]]
    validate: Callable[[], float] | None
    evaluate: Callable[[], float]
    baseline: float
    constant: bool = False


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
        The epoch whose weights the model holds (1-based; 0: none). Without validation it
        is the last usable epoch.
    stopped_early : bool
        True if patience ran out before ``epochs``.
    baseline, initial, limit : float
        The training loss of predicting zero, that of the initial weights, and the usable
        limit they give (see :mod:`forecast.models.rnn.divergence`).
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int = 0
    stopped_early: bool = False
    baseline: float = math.inf
    initial: float = 0.0
    limit: float = math.inf


def train(
    fns: EpochFunctions,
    get_weights: Callable[[], dict[str, np.ndarray]],
    set_weights: Callable[[dict[str, np.ndarray]], None],
    *,
    epochs: int,
    patience: int | None,
    verbose: bool = False,
    desc: str = "training",
    hint: str = "",
    schedule: Any = None,
) -> TrainingResult:
    """Run up to ``epochs`` epochs; keep the best *usable* epoch by validation loss.

    Epoch ``e`` is usable when its training loss is finite and below the usable limit
    ``2 max(baseline, initial)`` (``initial``: ``fns.evaluate()`` before training), its
    validation loss is finite and its weights are finite (see
    :mod:`forecast.models.rnn.divergence`). After epoch ``e``::

        if not finite(train_e, val_e, weights):  stop (diverged)
        if usable(e) and val_e < best * (1 - 1e-7):  best, best_epoch, kept = val_e, e, weights
        elif e - best_epoch >= patience: stop
        at the end: weights <- kept;  fns.evaluate() < limit, or DivergenceError

    The epoch's training loss is the mean over its updates, each measured before its
    update; the final check measures the kept weights themselves.

    Parameters
    ----------
    fns : EpochFunctions
        One epoch, the validation and training losses, the zero baseline. Without
        ``validate`` there is no early stopping and the last usable epoch is kept.
    get_weights, set_weights : callables
        Copy the weights out of / into the model (a dict of arrays).
    epochs : int
    patience : int or None
        Epochs without a better usable epoch (by validation loss; without validation, any
        usable epoch) before stopping; None never stops early (the best weights are still
        restored).
    verbose : bool
        Show a tqdm progress bar (only on a terminal: ``disable=None``).
    desc : str
        Label of the progress bar, the log lines and the messages.
    hint : str
        Appended to the divergence messages (e.g. the current ``lr`` and ``clip_norm``).
    schedule : learning-rate schedule of :mod:`forecast.nn.schedules`, optional
        Stepped after every epoch that training goes on from, with the epoch's validation
        loss (its training loss without validation) for ``ReduceLROnPlateau``.

    Returns
    -------
    TrainingResult

    Raises
    ------
    DivergenceError
        if no epoch is usable. The message gives the losses and the limit;
        ``error.result`` holds the history.

    Warns
    -----
    DivergenceWarning
        if training stopped at a NaN or inf loss, or its last epoch is above the usable
        limit, after a usable epoch: that epoch's weights are kept.
    """
    run_epoch, validate = fns.run_epoch, fns.validate
    with np.errstate(over="ignore", invalid="ignore"):
        initial = float(fns.evaluate())
    limit = usable_limit(fns.baseline, initial if math.isfinite(initial) else 0.0)
    result = TrainingResult(
        {"train_loss": [], "grad_norm": []}, baseline=fns.baseline, initial=initial, limit=limit
    )
    if validate is not None:
        result.history["val_loss"] = []
    kept, best, bad = None, math.inf, ""
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
                "%s epoch %d: train loss %.6g (usable below %.6g), val loss %s, grad norm %.4g",
                desc,
                epoch,
                train_loss,
                limit,
                val_loss,
                grad_norm,
            )
            bad = _diverged(train_loss, val_loss)
            weights = None if bad else get_weights()
            if weights is not None and not all(np.isfinite(w).all() for w in weights.values()):
                bad = "weights are not finite"
            if bad:
                bad = f"at epoch {epoch} of {epochs} the {bad}"
                break
            usable = train_loss < limit
            bad = "" if usable else f"the training loss of epoch {epoch} is {train_loss:.6g}"
            if usable and (
                validate is None or kept is None or val_loss < best * (1 - MIN_REL_IMPROVEMENT)
            ):
                best = math.inf if val_loss is None else val_loss
                result.best_epoch, kept = epoch, weights
            elif patience is not None and epoch - result.best_epoch >= patience:
                result.stopped_early = True
                logger.info(
                    "%s stopped early at epoch %d: no better usable epoch for %d epochs; "
                    "keeping epoch %d (val loss %.6g)",
                    desc,
                    epoch,
                    patience,
                    result.best_epoch,
                    best,
                )
                break
            if schedule is not None:
                schedule.step(train_loss if val_loss is None else val_loss)
    finally:
        bar.close()
    if kept is not None and result.best_epoch != len(result.history["train_loss"]):
        set_weights(kept)
    if kept is not None:
        with np.errstate(over="ignore", invalid="ignore"):
            final = float(fns.evaluate())
        if not final < limit:  # the kept weights themselves, not the mean over the epoch
            bad = f"the weights of epoch {result.best_epoch} have a training loss of {final:.6g}"
            kept = None
    if kept is None:
        error = DivergenceError(_failure_message(result, desc, bad, hint))
        error.result = result
        raise error
    if bad:
        warnings.warn(
            f"{desc} diverged: {bad}; the weights of epoch {result.best_epoch} (training loss "
            f"{final:.6g}) were kept. Lower the learning rate lr or set clip_norm (gradient "
            f"clipping){hint}",
            DivergenceWarning,
            stacklevel=3,
        )
    return result


def fit_network(
    net: RecurrentNetwork, fns: EpochFunctions, s: Settings, *, verbose: bool, desc: str,
    optimizer: Any = None,
) -> TrainingResult:
    """:func:`train` ``net``, or, when every training target is 0 (``fns.constant``), don't.

    Targets that are all 0 (a constant series) leave nothing to learn and a zero baseline
    that no epoch can beat: the network's head is set to zero instead (it predicts the
    targets exactly), the history stays empty and a warning is logged. ``optimizer`` (the
    one ``fns`` updates with) is needed when ``s.lr_schedule`` is set: the schedule sets its
    ``lr`` after every epoch.
    """
    if s.lr_schedule is not None and optimizer is None:
        raise TypeError(f"lr_schedule={s.lr_schedule!r} needs the optimizer: pass optimizer=")
    if fns.constant:
        logger.warning(
            "%s: every training target is the same (a constant series); the network is "
            "not trained and predicts that value",
            desc,
        )
        zero_output(net)
        keys = ("train_loss", "grad_norm") + (("val_loss",) if fns.validate else ())
        return TrainingResult({key: [] for key in keys}, baseline=0.0)
    return train(
        fns,
        net.get_weights,
        net.set_weights,
        epochs=s.epochs,
        patience=s.patience,
        verbose=verbose,
        desc=desc,
        hint=s.hint,
        schedule=None if optimizer is None else s.build_schedule(optimizer),
    )


def _diverged(train_loss: float, val_loss: float | None) -> str:
    """Describe a non-finite loss, or return "" if both are finite."""
    if not math.isfinite(train_loss):
        return f"training loss is {train_loss}"
    if val_loss is not None and not math.isfinite(val_loss):
        return f"validation loss is {val_loss}"
    return ""


def _failure_message(result: TrainingResult, desc: str, bad: str, hint: str) -> str:
    """Why no epoch of ``result`` is usable, with the numbers."""
    losses = [loss for loss in result.history["train_loss"] if math.isfinite(loss)]
    lowest = f"; the lowest finite training loss was {min(losses):.6g}" if losses else ""
    return (
        f"{desc} diverged: no epoch reached a usable fit, a finite training loss below "
        f"{result.limit:.6g} ({USABLE_FACTOR:g} x the larger of {result.baseline:.6g}, the "
        f"loss of predicting zero, and {result.initial:.6g}, that of the initial "
        f"weights){lowest}; {bad or 'no epoch ran'}. The model is left unfitted. Lower the "
        f"learning rate lr or set clip_norm (gradient clipping){hint}"
    )


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


def is_network_state(value: Any) -> bool:
    """Whether ``value`` is a :func:`network_state` dict."""
    return isinstance(value, dict) and "weights" in value and "cell" in value


def _networks_to_states(value: Any) -> Any:
    if isinstance(value, RecurrentNetwork):
        return network_state(value)
    if type(value) is tuple:  # e.g. the (label, network, scaler) refits of a global model
        return tuple(_networks_to_states(v) for v in value)
    return value


def _states_to_networks(value: Any) -> Any:
    if is_network_state(value):
        return network_from_state(value)
    if type(value) is tuple:
        return tuple(_states_to_networks(v) for v in value)
    return value


class NetworkPickling:
    """Pickle the networks an estimator holds as plain values and arrays.

    Every attribute that is a :class:`~forecast.nn.RecurrentNetwork` (also inside tuples)
    is pickled as its :func:`network_state` and rebuilt on unpickling, bit for bit.
    """

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())  # a copy: object.__getstate__ returns __dict__
        return {key: _networks_to_states(value) for key, value in state.items()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__({key: _states_to_networks(value) for key, value in state.items()})
