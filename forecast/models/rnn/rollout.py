"""Recursive forecasts of the RNN forecasters from one or many origins, conformal intervals,
the states at the forecast and validation origins that a fit leaves (:func:`origin_states`),
and :class:`RecurrentForecaster`, what RNNForecaster and a global model's series forecaster
do with them: ``predict``, ``predict_interval`` and moving the origin.

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
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from forecast._validation import check_float
from forecast.models.base import SeriesForecaster, check_horizon, forecast_series
from forecast.models.rnn.divergence import check_finite_values
from forecast.models.rnn.target import TargetTransform
from forecast.models.rnn.training import NetworkPickling
from forecast.models.rnn.windows import predict_last
from forecast.nn import RecurrentNetwork

#: the forecast steps whose validation errors are computed at fit (more on demand)
INTERVAL_STEPS = 20


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
    """What a fitted RNN forecaster forecasts from, given the scaled inputs ``u``.

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


class RecurrentForecaster(NetworkPickling, SeriesForecaster):
    """Forecasts, intervals and origin moves of a network over one series' scaled inputs.

    A fitted subclass holds ``_history`` (the observations), the origin of
    :func:`origin_states` (``state_``, ``window_``, ``_last_output``, ``_val``), the last
    input row ``_last_row``, ``n_exog_`` and ``_errors``, the stored interval errors of the
    first steps (:meth:`_store_errors`); it says which network and target transform are in
    force with its ``_network`` and ``_transform`` properties.
    """

    family = "rnn"  # tested against the "ar" model by forecast.compare

    def predict(self, horizon: int) -> pd.Series:
        """Forecast the next ``horizon`` prices, recursively from the state at the origin.

        Returns
        -------
        pandas.Series of length horizon, named "forecast", indexed by the labels that
        follow the data seen (see :func:`forecast._dates.future_index`).
        """
        values = self.forecast_values(horizon)
        return forecast_series(values, self._history.future_index(len(values)))

    def forecast_values(self, horizon: int) -> np.ndarray:
        """The next ``horizon`` prices as a float64 array of shape (horizon,), without labels.

        The output at the origin is the step-1 forecast; each forecast is fed back as the
        next input (:func:`rollout_state`, or :func:`rollout_window` for ``"window"``).
        """
        check_is_fitted(self)
        horizon = check_horizon(horizon)
        hold = self._last_row[:, 1:] if self.n_exog_ else None
        with np.errstate(over="ignore", invalid="ignore"):  # checked in TargetTransform.levels
            if self.window_ is None:
                out = rollout_state(self._network, self.state_, self._last_output, hold, horizon)
            else:
                out = rollout_window(self._network, self.window_[None], hold, horizon)
        return self._transform.levels(out[:, 0], self._history.values[-1])

    def predict_interval(self, horizon: int, coverage: float = 0.95) -> pd.DataFrame:
        """Prediction intervals from the h-step errors on the validation tail (conformal).

        ``lower_h = p^_h exp(q_lo,h)``, ``upper_h = p^_h exp(q_hi,h)`` for log returns
        (``p^_h + q`` for the other targets), with ``q`` the split-conformal quantiles of the
        h-step errors of ``log p`` (or ``p``) over the validation origins, each forecasting
        recursively as ``predict`` does (:func:`conformal_bounds`). Needs
        ``validation_fraction > 0`` and at most as many steps as validation origins. The
        interval always contains the point forecast: a quantile on the wrong side of 0 (all
        errors of one sign) is replaced by 0, which only widens it.

        Returns
        -------
        pandas.DataFrame with columns ["lower", "upper"], indexed like :meth:`predict`.
        """
        check_is_fitted(self)
        horizon = check_horizon(horizon)
        coverage = check_float(coverage, "coverage", min_value=0.0, max_value=1.0, inclusive=False)
        errors = self._validation_errors(horizon)
        point = self.predict(horizon)
        bounds = np.array([conformal_bounds(e[~np.isnan(e)], coverage) for e in errors.T])
        lower, upper = self._transform.interval(
            point.to_numpy(), bounds[:, 0], bounds[:, 1]
        )
        return pd.DataFrame({"lower": lower, "upper": upper}, index=point.index)

    @property
    def _network(self) -> RecurrentNetwork:
        raise NotImplementedError

    @property
    def _transform(self) -> TargetTransform:
        raise NotImplementedError

    def _set_origin(
        self, u: np.ndarray, window: int | None, first_val: int, n_val: int, steps: int
    ) -> None:
        """Run the network over the scaled inputs ``u`` (all data seen) to the origin.

        The interval errors of the first ``steps`` steps are computed now (at most
        ``n_val``), so that ``predict_interval`` only reads them; longer ones on demand.
        """
        desc = f"{type(self).__name__}({self._network.cell})"
        self.state_, self.window_, self._last_output, self._val = origin_states(
            self._network, u, window, first_val, n_val, desc
        )
        self._last_row = u[-1:].copy()
        steps = min(n_val, steps)
        self._errors = self._compute_errors(steps) if steps else np.empty((0, 0))

    def _advanced(self, values: np.ndarray, exog: np.ndarray | None) -> tuple[Any, ...]:
        """The origin moved over new observations (weights unchanged), not yet set.

        ``values`` (m,) follow the data seen, with their exogenous rows ``exog`` (m, k) or
        None. Returns ``(last_row, state_, window_, last_output)`` for :meth:`_move_origin`;
        raises ValueError if their scaled inputs overflow, DivergenceError if the network's
        output there is not finite.
        """
        state, window, net = self.state_, self.window_, self._network
        previous = float(self._history.values[-1])
        u_new = self._transform.inputs(
            values, exog, previous=previous, dtype=net.dtype, name="y_new"
        )
        with np.errstate(over="ignore", invalid="ignore"):  # reported below
            if window is None:
                y_hat, state, _ = net.forward(u_new[:, None], state)
                output = y_hat[-1, :, 0].astype(np.float64)
            else:
                window = np.concatenate([window, u_new])[-len(window) :]
                output = predict_last(net, window[None])[:, 0].astype(np.float64)
        check_finite_values(output, f"{type(self).__name__}.update: the network output")
        return u_new[-1:].copy(), state, window, output

    def _move_origin(self, origin: tuple[Any, ...]) -> None:
        """Set the origin that :meth:`_advanced` computed."""
        self._last_row, self.state_, self.window_, self._last_output = origin

    def _validation_errors(self, horizon: int) -> np.ndarray:
        """h-step errors of the cumulative series at the validation origins: (n_val, horizon)."""
        n_val = self._val["count"]
        if n_val == 0:
            raise ValueError(
                "predict_interval needs residuals from a validation tail, but the model was "
                "fitted with validation_fraction=0; refit with validation_fraction > 0"
            )
        if horizon > n_val:
            raise ValueError(
                f"horizon={horizon} exceeds the {n_val} validation origins available for the "
                "interval residuals; use a shorter horizon or a larger validation_fraction"
            )
        if horizon <= self._errors.shape[1]:
            return self._errors[:, :horizon]
        return self._compute_errors(horizon)  # longer than the stored steps: not kept

    def _compute_errors(self, horizon: int) -> np.ndarray:
        """Forecast recursively from every validation origin; return the errors (n_val, h)."""
        n_val, net, transform = self._val["count"], self._network, self._transform
        first, start, u = self._val["first"], self._val["start"], self._val["u"]
        origins = np.arange(first, first + n_val)  # input positions; observation i + offset
        if self.window_ is None:
            rows = u[origins - start]
            hold = rows[:, 1:] if self.n_exog_ else None
            r_hat = rollout_state(net, self._val["states"], self._val["outputs"], hold, horizon)
        else:
            w = len(self.window_)
            windows = np.stack([u[i - start - w + 1 : i - start + 1] for i in origins])
            hold = windows[:, -1, 1:] if self.n_exog_ else None
            r_hat = rollout_window(net, windows, hold, horizon)
        check_finite_values(r_hat, "the forecasts from the validation origins")
        observed = origins + transform.offset  # the observation at each origin
        return transform.errors(r_hat, self._history.values, observed)
