"""How RNNForecaster trains, for :func:`forecast.models._training.train`: one epoch, one check.

The scaled inputs ``u`` of shape (m, D) pair as ``u_i -> s(r_{i+1}) = u_{i+1, 0}``. The
training samples are the first pairs (or windows), the last ``n_val`` the validation tail,
whose first origin is input ``first_val``.

``tbptt_functions``: the training pairs are cut into B contiguous streams of equal length L,
run in parallel, time-major (L, B, D), by :func:`forecast.nn.train_tbptt`. Up to B - 1 of
the oldest pairs are left out so that the streams have equal length and the last one ends
right before the validation tail. Stream b starts an epoch from the state in which stream
b - 1 ended in the previous epoch (stream 0 from zeros), so the carried states summarise the
history before each stream. The validation loss runs the tail on from the state in which
the last stream ended.

``window_functions``: windows of ``window`` inputs, each from a zero state, many-to-one, in
shuffled minibatches.

Both give the training loss of the current weights (``evaluate``) and of predicting zero
(``baseline``) that decide whether an epoch is usable (:mod:`forecast.models.divergence`);
:func:`train_network` builds (or keeps) the network and trains it with them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from forecast._validation import check_int
from forecast.models._many_to_one import window_epoch_functions
from forecast.models._settings import Settings, make_optimizer
from forecast.models._training import (
    EpochFunctions,
    TrainingResult,
    fit_network,
    validation_split,
)
from forecast.models.divergence import zero_baseline
from forecast.nn import NonFiniteError, RecurrentNetwork, get_loss, tbptt_windows, train_tbptt

logger = logging.getLogger(__name__)


@dataclass
class Plan:
    """The validated training layout of one fit.

    ``n_samples`` training samples (pairs ``u_i -> u_{i+1}``, or windows), the last ``n_val``
    of which validate; ``first_val`` is the input position of the first validation origin;
    input ``u_i`` belongs to observation ``i + offset``.
    """

    settings: Settings
    k1: int
    k2: int
    offset: int
    n_samples: int
    n_val: int
    first_val: int


def plan_training(
    s: Settings, training: str, target: str, window: int, k1: int, k2: int | None, n: int
) -> Plan:
    """Check ``window``, ``k1``, ``k2`` against a series of ``n`` observations; lay it out."""
    window = check_int(window, "window", min_value=1)
    k1 = check_int(k1, "k1", min_value=1)
    k2 = k1 if k2 is None else check_int(k2, "k2", min_value=1)
    if k2 < k1:
        raise ValueError(
            f"truncated BPTT needs k2 >= k1 (backpropagate at least the k1 new steps), "
            f"got k1={k1}, k2={k2}"
        )
    offset = 0 if target == "level" else 1
    n_pairs = n - offset - 1  # inputs u_0..u_{m-2} -> targets u_1..u_{m-1}, m = n - offset
    n_samples = n_pairs - window + 1 if training == "window" else n_pairs
    if n_samples < 1:
        raise ValueError(
            f"window={window} is too long for a series of {n} observations: with "
            f"target={target!r} it needs at least {window + offset + 1}; shorten the "
            "window or pass a longer series"
        )
    n_val = validation_split(n_samples, s.validation_fraction)
    return Plan(s, k1, k2, offset, n_samples, n_val, first_val=n_pairs - n_val)


def train_network(
    old: RecurrentNetwork | None,
    u: np.ndarray,
    plan: Plan,
    training: str,
    window: int,
    rng: np.random.Generator,
    *,
    verbose: bool,
    desc: str,
) -> tuple[RecurrentNetwork, int, TrainingResult]:
    """Train a network of RNNForecaster on the scaled inputs ``u`` (m, D) laid out by ``plan``.

    ``old`` (a warm start) is trained on if its shape fits, otherwise a new network is
    drawn from ``rng``. Returns ``(network, n_streams, result)``; raises DivergenceError
    when no epoch is usable (see :func:`forecast.models._training.train`).
    """
    s = plan.settings
    shape = (s.cell, u.shape[1], s.hidden_size, s.num_layers, s.dtype)
    if (
        old is not None
        and (old.cell, old.input_size, old.hidden_size, old.num_layers, old.dtype) == shape
    ):
        net = old
    else:
        net = RecurrentNetwork(
            s.cell, u.shape[1], s.hidden_size, s.num_layers, dtype=s.dtype, rng=rng
        )
    optimizer = make_optimizer(s.optimizer, s.lr)
    if training == "tbptt":
        fns, n_streams = tbptt_functions(
            net, u, plan.first_val, plan.n_val, s, plan.k1, plan.k2, optimizer, rng
        )
    else:
        fns, n_streams = window_functions(
            net, u, window, plan.n_samples, plan.n_val, s, optimizer, rng
        )
    return net, n_streams, fit_network(net, fns, s, verbose=verbose, desc=desc)


def n_streams_for(n_train: int, batch_size: int, k2: int) -> int:
    """B = min(batch_size, n_train // k2), at least 1: every stream spans one k2 window."""
    return max(1, min(batch_size, n_train // k2))


def tbptt_functions(
    net: RecurrentNetwork,
    u: np.ndarray,
    first_val: int,
    n_val: int,
    s: Settings,
    k1: int,
    k2: int,
    optimizer: object,
    rng: np.random.Generator,
) -> tuple[EpochFunctions, int]:
    """The :class:`EpochFunctions` of ``training="tbptt"`` and the number of streams."""
    n_streams = n_streams_for(first_val, s.batch_size, k2)
    length = first_val // n_streams
    skip = first_val - n_streams * length
    D = u.shape[1]
    x = u[skip:first_val].reshape(n_streams, length, D).transpose(1, 0, 2)  # (L, B, D)
    t = u[skip + 1 : first_val + 1, :1].reshape(n_streams, length, 1).transpose(1, 0, 2)
    logger.debug("tbptt: %d streams of %d steps, k1=%d, k2=%d", n_streams, length, k1, k2)
    carried = net.init_state(n_streams)
    ends: list[tuple[np.ndarray, ...]] = []  # the state at the end of the last stream
    loss_fn = get_loss(s.loss)

    def run_epoch(epoch: int) -> tuple[float, float]:
        nonlocal carried
        try:
            result = train_tbptt(
                net,
                x,
                t,
                k1=k1,
                k2=k2,
                optimizer=optimizer,
                loss=s.loss,
                clip_norm=s.clip_norm,
                state=carried,
                rng=rng,
            )
        except NonFiniteError:  # a NaN or inf reached the carried state or the gradients
            return float("nan"), float("nan")
        # stream b starts where stream b - 1 ended; stream 0 from zeros
        carried = tuple(
            np.concatenate([np.zeros_like(p[:, :1]), p[:, :-1]], axis=1) for p in result.state
        )
        ends[:] = [tuple(p[:, -1:] for p in result.state)]
        return float(np.mean(result.losses)), float(np.mean(result.grad_norms))

    def validate() -> float:
        y_hat, _, _ = net.forward(u[first_val : first_val + n_val, None], ends[0])
        return loss_fn(y_hat, u[first_val + 1 : first_val + n_val + 1, None, :1])[0]

    evaluate, baseline = tbptt_evaluation(net, x, t, k1, k2, s.loss)
    fns = EpochFunctions(
        run_epoch, validate if n_val else None, evaluate, baseline, constant=not np.any(t)
    )
    return fns, n_streams


def tbptt_evaluation(
    net: RecurrentNetwork, x: np.ndarray, t: np.ndarray, k1: int, k2: int, loss: str
) -> tuple[Callable[[], float], float]:
    """``(evaluate, baseline)`` of TBPTT training streams ``x`` (L, B, D), targets ``t``.

    ``evaluate()``: the training loss of the network as it is, run over the streams from
    zero states. ``baseline``: the loss of predicting 0, averaged as an epoch of
    :func:`forecast.nn.train_tbptt` reports it (the mean over its updates of the loss of
    each update's k1 new steps).
    """
    loss_fn = get_loss(loss)

    def evaluate() -> float:
        return loss_fn(net.forward(x)[0], t)[0]

    windows = list(tbptt_windows(len(t), k1, k2))
    return evaluate, float(np.mean([zero_baseline(loss, t[lo:hi]) for _, lo, hi, _ in windows]))


def window_functions(
    net: RecurrentNetwork,
    u: np.ndarray,
    window: int,
    n_samples: int,
    n_val: int,
    s: Settings,
    optimizer: object,
    rng: np.random.Generator,
) -> tuple[EpochFunctions, int]:
    """The :class:`EpochFunctions` of ``training="window"`` (and 0 streams)."""
    x = windows(u, window)[:n_samples]  # window j ends at input j + window - 1
    t = u[window:, :1]  # and predicts the increment of the input after it
    return window_epoch_functions(net, x, t, n_samples - n_val, s, optimizer, rng), 0


def windows(u: np.ndarray, window: int) -> np.ndarray:
    """All windows of ``window`` consecutive rows of ``u`` (m, D): (m - window + 1, window, D)."""
    return np.lib.stride_tricks.sliding_window_view(u, window, axis=0).transpose(0, 2, 1)
