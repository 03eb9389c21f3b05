"""Many-to-one training on windows, shared by RNNRegressor and RNNForecaster(training="window").

Each window ``x[i]`` (T, D) runs from a zero state and only its last output carries a loss:
:func:`many_to_one_step` is one update on a minibatch, :func:`many_to_one_epoch` one pass
over shuffled minibatches, :func:`predict_last` the last-step outputs, and
:func:`window_epoch_functions` packs them as the
:class:`~forecast.models.rnn.training.EpochFunctions` that
:func:`~forecast.models.rnn.training.train` runs. :func:`series_windows` cuts the scaled
inputs of a series into the windows of RNNForecaster.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from forecast import nn
from forecast.models.rnn.divergence import zero_baseline
from forecast.models.rnn.settings import Settings
from forecast.models.rnn.training import EpochFunctions
from forecast.nn import clip_grad_norm, global_norm


def minibatches(n: int, batch_size: int, rng: np.random.Generator | None) -> Iterator[np.ndarray]:
    """Yield index arrays of ``batch_size`` (the last may be smaller) covering ``0..n-1``.

    Shuffled by ``rng`` (one permutation per call), or in order when ``rng`` is None.
    """
    order = rng.permutation(n) if rng is not None else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


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
    first_val: int | None = None,
) -> EpochFunctions:
    """:class:`EpochFunctions` on windows ``x`` (n, T, D) with targets ``y`` (n, O).

    The first ``n_train`` windows are trained on (:func:`many_to_one_epoch`), those from
    ``first_val`` on (default ``n_train``) give the validation loss of the last-step
    outputs, over their targets that are not NaN (no validation when there are none).
    """
    loss_fn = nn.get_loss(s.loss)
    first_val = n_train if first_val is None else first_val
    x_val, y_val = x[first_val:], y[first_val:]
    seen = np.isfinite(y_val)

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
        if seen.all():
            return loss_fn(predict_last(net, x_val), y_val)[0]
        return loss_fn(predict_last(net, x_val)[seen].astype(np.float64), y_val[seen])[0]

    def evaluate() -> float:
        return loss_fn(predict_last(net, x[:n_train]), y[:n_train])[0]

    has_val, targets = bool(seen.any()), y[:n_train]
    return EpochFunctions(
        run_epoch,
        validate if has_val else None,
        evaluate,
        zero_baseline(s.loss, targets, net.output_size),
        constant=not np.any(targets),
    )


def series_windows(u: np.ndarray, window: int) -> np.ndarray:
    """All windows of ``window`` consecutive rows of ``u`` (m, D): (m - window + 1, window, D).

    Window j ends at input ``j + window - 1`` and predicts the increment of the input after
    it, ``u[j + window, 0]``.
    """
    return np.lib.stride_tricks.sliding_window_view(u, window, axis=0).transpose(0, 2, 1)
