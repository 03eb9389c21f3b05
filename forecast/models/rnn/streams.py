"""Truncated-BPTT training over contiguous streams of 1..S series, for :func:`~.training.train`.

Series ``s`` has scaled inputs ``u^s`` of shape (m_s, D) that pair as
``u^s_i -> s(r_{i+1}) = u^s_{i+1, 0}``; its first ``n_train[s]`` pairs are trained on and the
next ``n_val[s]`` validate. :func:`cut_streams` cuts the training pairs of every series into
streams of one length L, time-major (L, B, D), each series covering its *last* pairs (the
oldest remainder is left out, so its last stream ends right before its validation tail) and
**no stream crossing from one series into another**. How many streams, and how long:

* one series (:func:`single_layout`, RNNForecaster): ``B = min(batch_size, n // k2)`` (at
  least 1) streams of ``L = n // B`` steps, so every stream spans a k2 window;
* many series (:func:`pooled_layout`, the global model): ``per = ceil(batch_size / S)``
  wanted per series, ``L = min(n, max(k2, n // per))`` with ``n`` the fewest training pairs
  of any series, and ``n_train[s] // L`` streams from series ``s``.

:func:`tbptt_functions` trains all streams in parallel with :func:`forecast.nn.train_tbptt`.
Each epoch, stream b of a series starts from the state in which stream b - 1 of the same
series ended in the previous epoch (its first stream from zeros), so the carried states
summarise the history before each stream. The validation loss runs each series' tail on from
the state in which its last stream ended.

A direct head of ``H`` outputs (RNNForecaster(strategy="direct")) is trained the same way on
the targets of :func:`direct_targets`, ``u_i -> (s(r_{i+1}), ..., s(r_{i+H}))``: its training
pairs are the origins whose H targets lie in the training part (the last ``H - 1`` training
inputs are not origins), and the validation loss is the mean over the targets of the
validation origins that were observed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from forecast.models.rnn.divergence import zero_baseline
from forecast.models.rnn.settings import Settings
from forecast.models.rnn.training import EpochFunctions, validation_split
from forecast.nn import NonFiniteError, RecurrentNetwork, get_loss, tbptt_windows, train_tbptt

logger = logging.getLogger(__name__)


@dataclass
class Plan:
    """The validated training layout of one series.

    ``n_samples`` training samples (pairs ``u_i -> u_{i+1}``, or windows), the last ``n_val``
    of which validate; ``first_val`` is the input position of the first validation origin;
    input ``u_i`` belongs to observation ``i + offset``.
    """

    settings: Settings
    offset: int
    n_samples: int
    n_val: int
    first_val: int


def plan_training(s: Settings, n: int) -> Plan:
    """Lay out a series of ``n`` observations for the validated settings ``s``."""
    offset = 0 if s.target == "level" else 1
    n_pairs = n - offset - 1  # inputs u_0..u_{m-2} -> targets u_1..u_{m-1}, m = n - offset
    window = s.window if s.training == "window" else 1
    n_samples = n_pairs - window + 1
    if n_samples < 1:
        raise ValueError(
            f"window={window} is too long for a series of {n} observations: with "
            f"target={s.target!r} it needs at least {window + offset + 1}; shorten the "
            "window or pass a longer series"
        )
    n_val = validation_split(n_samples, s.validation_fraction)
    steps = s.n_steps
    if n_samples - n_val - steps + 1 < 1:
        raise ValueError(
            f"max_horizon={steps} is too long for the {n_samples - n_val} training samples of "
            f"a series of {n} observations (the direct head needs at least max_horizon of "
            "them); lower max_horizon or validation_fraction, or pass a longer series"
        )
    return Plan(s, offset, n_samples, n_val, first_val=n_pairs - n_val)


def direct_targets(u: np.ndarray, steps: int) -> np.ndarray:
    """Targets of a direct head on the inputs ``u`` (m, D): ``T[i, h] = u[i + 1 + h, 0]``.

    Shape (m, steps); NaN where ``i + 1 + h`` is past the data.

    Examples
    --------
    >>> direct_targets(np.arange(4.0)[:, None], 2).tolist()
    [[1.0, 2.0], [2.0, 3.0], [3.0, nan], [nan, nan]]
    """
    r = np.r_[u[1:, 0].astype(np.float64), np.full(steps, np.nan)]
    return np.lib.stride_tricks.sliding_window_view(r, steps)[: len(u)].copy()


def single_layout(n_train: int, batch_size: int, k2: int) -> tuple[int, list[int]]:
    """``(L, [B])`` for one series: ``B = min(batch_size, n_train // k2)``, at least 1."""
    n_streams = max(1, min(batch_size, n_train // k2))
    return n_train // n_streams, [n_streams]


def pooled_layout(n_train: list[int], batch_size: int, k2: int) -> tuple[int, list[int]]:
    """``(L, [b_s])`` for many series: one length from the shortest, ``b_s = n_s // L``."""
    per = math.ceil(batch_size / len(n_train))
    shortest = min(n_train)
    length = min(shortest, max(k2, shortest // per))
    return length, [n // length for n in n_train]


def cut_streams(
    inputs: list[np.ndarray],
    n_train: list[int],
    length: int,
    counts: list[int],
    targets: list[np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut the last ``counts[s] * length`` training pairs of each series into streams.

    The target of input ``u_i`` is ``u_{i+1, 0}``, or ``targets[s][i]`` (a row of
    :func:`direct_targets`) when given.

    Returns
    -------
    x : ndarray of shape (L, B, D)
        Time-major inputs, B = sum of counts, series after series.
    t : ndarray of shape (L, B, O)
        The targets ``u_{i+1, 0}`` (O = 1), or those of ``targets``.
    owner : ndarray of shape (B,)
        The position of the series each stream comes from.
    """
    xs, ts, owner = [], [], []
    for s, (u, n, b) in enumerate(zip(inputs, n_train, counts, strict=True)):
        skip = n - b * length
        D = u.shape[1]
        xs.append(u[skip:n].reshape(b, length, D).transpose(1, 0, 2))
        t = u[skip + 1 : n + 1, :1] if targets is None else targets[s][skip:n].astype(u.dtype)
        ts.append(t.reshape(b, length, t.shape[1]).transpose(1, 0, 2))
        owner += [s] * b
    return np.concatenate(xs, axis=1), np.concatenate(ts, axis=1), np.array(owner)


def pooled_streams(
    inputs: list[np.ndarray],
    n_train: list[int],
    batch_size: int,
    k2: int = 1,
    targets: list[np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`cut_streams` with the :func:`pooled_layout` of many series (``targets``: those
    of a direct head, see :func:`cut_streams`).

    Examples
    --------
    >>> u = [np.arange(11.0)[:, None], 100 + np.arange(7.0)[:, None]]
    >>> x, t, owner = pooled_streams(u, [10, 6], batch_size=4)
    >>> x.shape, owner.tolist()
    ((3, 5, 1), [0, 0, 0, 1, 1])
    >>> x[:, 3, 0].tolist(), t[:, 3, 0].tolist()
    ([100.0, 101.0, 102.0], [101.0, 102.0, 103.0])
    """
    return cut_streams(inputs, n_train, *pooled_layout(n_train, batch_size, k2), targets)


def tbptt_functions(
    net: RecurrentNetwork,
    inputs: list[np.ndarray],
    tails: list[tuple[int, int]],
    streams: tuple[np.ndarray, np.ndarray, np.ndarray],
    s: Settings,
    optimizer: object,
    rng: np.random.Generator,
) -> EpochFunctions:
    """The :class:`EpochFunctions` of truncated BPTT over the ``streams`` of 1..S series.

    ``streams`` is ``(x, t, owner)`` of :func:`cut_streams`; ``tails[s]`` is
    ``(first_val, n_val)`` of series ``s``, whose inputs are ``inputs[s]``. For a direct
    head (``s.n_steps = H > 1``) the streams hold the targets of :func:`direct_targets` and
    end ``H - 1`` inputs before ``first_val``; the validation loss is taken on those targets.
    """
    H = s.n_steps
    targets = [direct_targets(u, H) for u in inputs] if H > 1 else None
    x, t, owner = streams
    k1, k2 = s.k1, s.k2
    first = np.r_[True, owner[1:] != owner[:-1]]  # the first stream of each series
    last = np.r_[owner[1:] != owner[:-1], True]
    carried = net.init_state(len(owner))
    ends: list[tuple[np.ndarray, ...]] = []  # the states at the end of each series' last stream
    loss_fn = get_loss(s.training_loss)

    def run_epoch(epoch: int) -> tuple[float, float]:
        nonlocal carried
        try:
            result = train_tbptt(
                net, x, t, k1=k1, k2=k2, optimizer=optimizer, loss=loss_fn,
                clip_norm=s.clip_norm, state=carried, rng=rng,
            )  # fmt: skip
        except NonFiniteError:  # a NaN or inf reached the carried state or the gradients
            return float("nan"), float("nan")
        # stream b starts where stream b - 1 of the same series ended; first ones from zeros
        shifted = tuple(np.concatenate([p[:, :1], p[:, :-1]], axis=1) for p in result.state)
        carried = tuple(np.where(first[None, :, None], 0, p) for p in shifted)
        ends[:] = [tuple(p[:, last] for p in result.state)]
        return float(np.mean(result.losses)), float(np.mean(result.grad_norms))

    def validate() -> float:
        y_hats, wanted = [], []
        for j, (u, (fv, n_val)) in enumerate(zip(inputs, tails, strict=True)):
            state = tuple(p[:, j : j + 1] for p in ends[0])
            lead = 0 if targets is None else targets[j].shape[1] - 1  # inputs after the streams
            y_hats.append(net.forward(u[fv - lead : fv + n_val, None], state)[0][lead:])
            if targets is None:
                wanted.append(u[fv + 1 : fv + n_val + 1, None, :1])
            else:
                wanted.append(targets[j][fv : fv + n_val, None, :])
        y_hat, target = np.concatenate(y_hats), np.concatenate(wanted)
        if targets is None:
            return loss_fn(y_hat, target)[0]
        seen = np.isfinite(target)  # the targets observed
        return loss_fn(y_hat[seen].astype(np.float64), target[seen])[0]

    has_val = all(n_val for _, n_val in tails)
    evaluate, baseline = tbptt_evaluation(net, x, t, k1, k2, s.training_loss)
    return EpochFunctions(
        run_epoch, validate if has_val else None, evaluate, baseline, constant=not np.any(t)
    )


def tbptt_evaluation(
    net: RecurrentNetwork, x: np.ndarray, t: np.ndarray, k1: int, k2: int, loss: Any
) -> tuple[Callable[[], float], float]:
    """``(evaluate, baseline)`` of TBPTT training streams ``x`` (L, B, D), targets ``t``.

    ``evaluate()``: the training loss of the network as it is, run over the streams from
    zero states. ``baseline``: the loss of predicting 0, averaged as an epoch of
    :func:`forecast.nn.train_tbptt` reports it (the mean over its updates of the loss of
    each update's k1 new steps). ``loss`` is a name or a loss object (a likelihood's NLL,
    whose zero prediction is a raw head output of 0: ``mu = 0``, ``sigma = softplus(0)``).
    """
    loss_fn = get_loss(loss)

    def evaluate() -> float:
        return loss_fn(net.forward(x)[0], t)[0]

    windows = list(tbptt_windows(len(t), k1, k2))
    return evaluate, float(np.mean([zero_baseline(loss, t[lo:hi]) for _, lo, hi, _ in windows]))
