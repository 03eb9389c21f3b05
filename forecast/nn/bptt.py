"""Backpropagation through time: full BPTT on a batch, and truncated BPTT(k1, k2) on streams.

Arrays are time-major: inputs ``(T, B, D)``, targets ``(k, B, O)`` or ``(B, O)``.

Full BPTT (``bptt``, ``bptt_step``). The loss covers the last ``k = len(y)`` steps of each
sequence and its gradient flows back to the first step: ``k = 1`` (or ``y`` of shape
``(B, O)``) is many-to-one, ``k = T`` is many-to-many.

Truncated BPTT(k1, k2) (``train_tbptt``, Williams and Peng 1990). One long sequence, or a batch
of B parallel streams, is processed k1 steps at a time:

* the network runs forward over a window that ends k1 steps later than the previous one and
  starts k2 >= k1 steps before its end, from the state carried over at that point;
* the loss covers the k1 new steps, its gradient flows back through the k2 steps of the
  window and stops at the window's start: the carried state is a constant (no gradient goes
  past the truncation point);
* the parameters are updated, and the state at the start of the next window (k1 steps after
  this window's start) is carried over, computed by this window's forward pass.

``k1 == k2`` is the common "detach the state every k steps" scheme; ``k2 > k1`` lets the
gradient of the newest losses reach further back at the cost of re-running k2 - k1 steps.
The first windows start at step 0 (from the initial state) until k2 steps are available, and
the last window may hold fewer than k1 new steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np

from forecast._validation import check_float, check_int
from forecast.nn._checks import check_array
from forecast.nn.likelihood import target_size
from forecast.nn.losses import get_loss
from forecast.nn.network import ForwardCache, RecurrentNetwork
from forecast.nn.optim import clip_grad_norm, global_norm, make_optimizer


class BPTTResult(NamedTuple):
    """Loss, gradients (keyed like ``net.params``), final state and forward cache of a batch."""

    loss: float
    grads: dict[str, np.ndarray]
    state: tuple[np.ndarray, ...]
    cache: ForwardCache


class StepResult(NamedTuple):
    """Loss before the update, gradient norm before clipping, and the final state."""

    loss: float
    grad_norm: float
    state: tuple[np.ndarray, ...]


class TBPTTResult(NamedTuple):
    """Per-window losses and gradient norms (before clipping), and the state after the stream."""

    losses: np.ndarray
    grad_norms: np.ndarray
    state: tuple[np.ndarray, ...]


def _check_targets(net: RecurrentNetwork, y: Any, T: int, B: int, loss_fn: Any) -> np.ndarray:
    """Targets as (k, B, O) for the last k steps; a (B, O) array means the last step only."""
    arr = np.asarray(y)
    if arr.ndim == 2:
        arr = arr[None]
    width = target_size(loss_fn, net.output_size)  # O = 1 under a likelihood head or cross_entropy
    arr = check_array(arr, "y", (None, B, width), net.dtype, layout="(k, B, O) time-major")
    if len(arr) > T:
        raise ValueError(f"y covers {len(arr)} steps but x has only T={T}; y must have k <= T")
    return arr


def _resolve_optimizer(optimizer: Any) -> Any:
    if isinstance(optimizer, str):
        return make_optimizer(optimizer)
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(
            f"optimizer must have a step(params, grads) method or be a name, got {optimizer!r}"
        )
    return optimizer


def bptt(
    net: RecurrentNetwork,
    x: Any,
    y: Any,
    loss: Any = "mse",
    *,
    state: Any = None,
    train: bool = True,
    rng: np.random.Generator | None = None,
) -> BPTTResult:
    """Loss and exact gradients of a batch of sequences (full backpropagation through time).

    Parameters
    ----------
    net : RecurrentNetwork
    x : array of shape (T, B, D)
        Time-major inputs.
    y : array of shape (k, B, O) or (B, O)
        Targets of the last k steps (k = 1 for ``(B, O)``: many-to-one; k = T: many-to-many).
    loss : {"mse", "mae", "huber", "bce", "cross_entropy"} or callable
        ``loss(pred, target) -> (value, dpred)``, a mean over its elements.
    state : tuple of arrays of shape (num_layers, B, H), optional
        Initial state (zeros if None); held constant (no gradient flows into it).
    train : bool, default True
        Dropout between layers, if the network has any.
    rng : numpy.random.Generator, optional
        For the dropout masks.

    Returns
    -------
    BPTTResult
        ``loss`` (float), ``grads`` keyed like ``net.params``, ``state`` after the last step
        and the forward ``cache`` (its ``grad_norms`` holds ||dL/dh_t|| per layer and step).

    Examples
    --------
    >>> net = RecurrentNetwork("gru", input_size=1, hidden_size=4, rng=0)
    >>> x = np.ones((10, 2, 1), dtype=np.float32)
    >>> result = bptt(net, x, np.zeros((2, 1), dtype=np.float32))      # many-to-one
    >>> result.cache.grad_norms.shape                                   # (num_layers, T)
    (1, 10)
    """
    loss_fn = get_loss(loss)
    y_hat, state_T, cache = net.forward(x, state, train=train, rng=rng)
    T, B, _ = y_hat.shape
    target = _check_targets(net, y, T, B, loss_fn)
    value, grads = _loss_and_grads(net, loss_fn, y_hat, cache, target, T - len(target))
    return BPTTResult(value, grads, state_T, cache)


def _loss_and_grads(
    net: RecurrentNetwork,
    loss_fn: Any,
    y_hat: np.ndarray,
    cache: ForwardCache,
    target: np.ndarray,
    first: int,
) -> tuple[float, dict[str, np.ndarray]]:
    """The loss of steps ``first:`` of ``y_hat`` against ``target`` (the earlier steps carry
    no loss), and its gradients keyed like ``net.params``, back through every step."""
    value, dpred = loss_fn(y_hat[first:], target)
    dy = np.zeros_like(y_hat)
    dy[first:] = dpred
    grads, _ = net.backward(dy, cache)
    return value, grads


def bptt_step(
    net: RecurrentNetwork,
    x: Any,
    y: Any,
    *,
    optimizer: Any,
    loss: Any = "mse",
    clip_norm: float | None = None,
    state: Any = None,
    train: bool = True,
    rng: np.random.Generator | None = None,
) -> StepResult:
    """One training step on a batch: ``bptt``, clip by global norm, optimiser update.

    ``optimizer`` must be an optimiser object (e.g. ``Adam()``) so that its state persists
    from step to step. Other parameters as in ``bptt``; ``clip_norm`` (float > 0 or None)
    caps the global gradient norm. Returns the loss before the update, the gradient norm
    before clipping and the final state.
    """
    if isinstance(optimizer, str):
        raise TypeError(
            f"bptt_step needs an optimiser object, got the name {optimizer!r}; create it once "
            f"with make_optimizer({optimizer!r}) so that its state persists across steps"
        )
    optimizer = _resolve_optimizer(optimizer)
    result = bptt(net, x, y, loss, state=state, train=train, rng=rng)
    norm = _clip(result.grads, clip_norm)
    optimizer.step(net.params, result.grads)
    return StepResult(result.loss, norm, result.state)


def _clip(grads: dict[str, np.ndarray], clip_norm: float | None) -> float:
    if clip_norm is None:
        return global_norm(grads)
    return clip_grad_norm(
        grads, check_float(clip_norm, "clip_norm", min_value=0.0, inclusive=False)
    )


def tbptt_windows(n_steps: int, k1: int, k2: int) -> Iterator[tuple[int, int, int, int]]:
    """The windows of truncated BPTT(k1, k2) over ``n_steps`` steps.

    Yields
    ------
    start, loss_start, stop, carry : int
        The window runs over steps ``[start, stop)`` from the state at ``start``; the loss
        covers ``[loss_start, stop)`` (the k1 new steps); ``carry`` is the next window's
        start, whose state this window's forward pass provides (for the last window:
        ``n_steps``, the end of the data).

    Examples
    --------
    >>> list(tbptt_windows(10, k1=3, k2=5))
    [(0, 0, 3, 1), (1, 3, 6, 4), (4, 6, 9, 5), (5, 9, 10, 10)]
    """
    n_steps = check_int(n_steps, "n_steps", min_value=1)
    k1 = check_int(k1, "k1", min_value=1)
    k2 = check_int(k2, "k2", min_value=1)
    if k2 < k1:
        raise ValueError(
            f"truncated BPTT needs k2 >= k1 (backpropagate at least the k1 new steps), "
            f"got k1={k1}, k2={k2}"
        )
    stop = 0
    while stop < n_steps:
        loss_start, stop = stop, min(stop + k1, n_steps)
        start = max(0, stop - k2)
        carry = max(0, min(stop + k1, n_steps) - k2) if stop < n_steps else n_steps
        yield start, loss_start, stop, carry


def train_tbptt(
    net: RecurrentNetwork,
    x: Any,
    y: Any,
    *,
    k1: int,
    k2: int,
    optimizer: Any,
    loss: Any = "mse",
    clip_norm: float | None = None,
    state: Any = None,
    train: bool = True,
    rng: np.random.Generator | None = None,
) -> TBPTTResult:
    """One pass of truncated BPTT(k1, k2) over a long sequence or a batch of parallel streams.

    Parameters
    ----------
    net : RecurrentNetwork
    x : array of shape (T, B, D)
        Time-major: B parallel streams of T steps (B = 1 for a single sequence).
    y : array of shape (T, B, O)
        A target for every step.
    k1 : int >= 1
        Steps between updates (the new steps whose loss each update uses).
    k2 : int >= k1
        Steps each update backpropagates through.
    optimizer : optimiser object or name ("sgd", "adam", "adamw")
    loss : {"mse", "mae", "huber", "bce", "cross_entropy"} or callable, default "mse"
    clip_norm : float > 0, optional
        Cap on the global gradient norm of each update.
    state : tuple of arrays of shape (num_layers, B, H), optional
        State before the first step (zeros if None).
    train : bool, default True
        Dropout between layers, if the network has any.
    rng : numpy.random.Generator, optional
        For the dropout masks.

    Returns
    -------
    TBPTTResult
        ``losses`` and ``grad_norms`` of every update (norms before clipping), and the
        ``state`` after the last step, to carry into the data that follows.

    Examples
    --------
    >>> from forecast.nn.optim import Adam
    >>> net = RecurrentNetwork("lstm", input_size=1, hidden_size=8, rng=0)
    >>> t = np.arange(200, dtype=np.float32)
    >>> x = np.sin(0.1 * t)[:, None, None]                  # one stream, (T, 1, 1)
    >>> y = np.sin(0.1 * (t + 1))[:, None, None]            # next value
    >>> result = train_tbptt(net, x, y, k1=10, k2=20, optimizer=Adam(lr=0.01))
    >>> len(result.losses)                                  # one update per 10 steps
    20
    """
    optimizer = _resolve_optimizer(optimizer)
    loss_fn = get_loss(loss)
    x = check_array(x, "x", (None, None, net.input_size), net.dtype, layout="(T, B, D) time-major")
    T, B, _ = x.shape
    width = target_size(loss_fn, net.output_size)  # O = 1 under a likelihood head or cross_entropy
    y = check_array(y, "y", (T, B, width), net.dtype, layout="(T, B, O) time-major")
    carried = net._state_or_zeros(state, B, "state")
    losses, norms = [], []
    for start, loss_start, stop, carry in tbptt_windows(T, k1, k2):
        y_hat, _, cache = net.forward(x[start:stop], carried, train=train, rng=rng)
        # the loss covers the new steps; its gradient stops at `start` (carried state constant)
        first = loss_start - start
        value, grads = _loss_and_grads(net, loss_fn, y_hat, cache, y[loss_start:stop], first)
        carried = net.state_at(cache, carry - start)
        norms.append(_clip(grads, clip_norm))
        losses.append(value)
        optimizer.step(net.params, grads)
    return TBPTTResult(np.array(losses), np.array(norms), carried)
