"""Recursive forecasts of RNNForecaster from one or many origins, conformal bounds, and the
states at the forecast and validation origins that a fit leaves (:func:`origin_states`).

Both training modes forecast recursively: the output at an origin predicts the next scaled
increment, which is fed back as the next input (exogenous inputs held at their last observed
values), for ``horizon`` steps. ``"tbptt"`` continues the recurrent state from the origin;
``"window"`` slides the window of the last ``window`` inputs and reruns it from a zero state,
as it was trained. Each function runs a batch of B origins at once (B = 1 for ``predict``,
every validation origin for the interval residuals), so both paths share one code.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from forecast.models._many_to_one import predict_last
from forecast.models.divergence import check_finite_values
from forecast.nn import RecurrentNetwork


def _next_input(o: np.ndarray, hold: np.ndarray | None) -> np.ndarray:
    """The input row after a forecast ``o`` (B,): ``[o, x_hold]`` of shape (B, D)."""
    return o[:, None] if hold is None else np.column_stack([o, hold])


def rollout_state(
    net: RecurrentNetwork,
    state: tuple[np.ndarray, ...],
    first: np.ndarray,
    hold: np.ndarray | None,
    horizon: int,
) -> np.ndarray:
    """Forecasts of steps 1..horizon continuing the recurrent ``state``: (horizon, B).

    ``first`` (B,) is the network's output at the origin (the step-1 forecast); then
    ``h_{t+1} = Net(h_t, [o_t, x_hold])`` and ``o_{t+1} = W_head h_{t+1} + b_head``.
    """
    out = np.empty((horizon, len(first)), dtype=np.float64)
    o = first
    for h in range(horizon):
        out[h] = o
        if h + 1 < horizon:
            u = _next_input(o, hold).astype(net.dtype)[None]  # (1, B, D)
            y_hat, state, _ = net.forward(u, state)
            o = y_hat[0, :, 0]
    return out


def rollout_window(
    net: RecurrentNetwork, windows: np.ndarray, hold: np.ndarray | None, horizon: int
) -> np.ndarray:
    """Forecasts of steps 1..horizon from windows (B, window, D) of past inputs: (horizon, B).

    Step h reads the window shifted by h - 1 steps, its newest rows being forecasts, and
    runs it from a zero state (many-to-one, as in training).
    """
    out = np.empty((horizon, len(windows)), dtype=np.float64)
    windows = windows.astype(net.dtype)
    for h in range(horizon):
        o = predict_last(net, windows)[:, 0]
        out[h] = o
        if h + 1 < horizon:
            row = _next_input(o, hold).astype(net.dtype)
            windows = np.concatenate([windows[:, 1:], row[:, None]], axis=1)
    return out


def conformal_bounds(residuals: np.ndarray, coverage: float) -> tuple[float, float]:
    """Equal-tailed split-conformal quantiles of ``m`` residuals for ``coverage = 1 - alpha``.

    ``upper = e_(k)`` with ``k = ceil((m + 1)(1 - alpha/2))`` and ``lower = e_(j)`` with
    ``j = floor((m + 1) alpha/2)`` (``e_(1) <= ... <= e_(m)``); when ``m`` is too small for
    the level (``k > m`` or ``j < 1``) the largest or smallest residual is used instead.

    Examples
    --------
    >>> conformal_bounds(np.arange(1.0, 20.0), 0.9)       # m = 19: e_(1) and e_(19)
    (1.0, 19.0)
    """
    e = np.sort(residuals)
    m, alpha = len(e), 1.0 - coverage
    k = min(math.ceil((m + 1) * (1 - alpha / 2)), m)
    j = max(math.floor((m + 1) * alpha / 2), 1)
    return float(e[j - 1]), float(e[k - 1])


def origin_states(
    net: RecurrentNetwork,
    u: np.ndarray,
    window: int | None,
    first_val: int,
    n_val: int,
    desc: str,
) -> tuple[Any, np.ndarray | None, np.ndarray, dict[str, Any]]:
    """What a fitted RNNForecaster forecasts from, after training on the scaled inputs ``u``.

    Returns ``(state, window, last_output, val)``: the recurrent state at the forecast
    origin (``"tbptt"``, ``window=None``: the network run over all of ``u`` from zeros) or
    the last ``window`` inputs (``"window"``), the network's output there (the step-1
    forecast), and what the interval residuals need from the ``n_val`` validation origins
    starting at input ``first_val`` (their outputs and states for ``"tbptt"``, the inputs
    around them). Raises DivergenceError if the outputs are not finite.
    """
    val: dict[str, Any] = {"first": first_val, "outputs": None, "states": None}
    if window is None:
        y_hat, state, cache = net.forward(u[:, None])  # the whole series from zeros
        check_finite_values(y_hat[:, 0, 0], f"{desc}: the network output over y")
        last_output = y_hat[-1, :, 0].astype(np.float64)
        origins = np.arange(first_val, first_val + n_val)
        states = [net.state_at(cache, i + 1) for i in origins]  # after reading u_i
        val["outputs"] = y_hat[origins, 0, 0].astype(np.float64)
        if n_val:
            val["states"] = tuple(
                np.concatenate([st[j] for st in states], axis=1)
                for j in range(len(net.state_names))
            )
        last_window, start = None, first_val
    else:
        state, last_window = None, u[-window:].copy()
        last_output = predict_last(net, last_window[None])[:, 0].astype(np.float64)
        check_finite_values(last_output, f"{desc}: the network output at the origin")
        start = first_val - window + 1
    val.update(count=n_val, start=start, u=u[start : first_val + n_val].copy())
    return state, last_window, last_output, val
