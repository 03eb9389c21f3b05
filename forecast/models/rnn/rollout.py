"""Forecasts of the RNN forecasters from one or many origins, conformal intervals, the states
at the forecast and validation origins that a fit leaves (:func:`origin_states`), and
:class:`RecurrentForecaster`, what RNNForecaster and a global model's series forecaster do
with them: ``predict``, ``predict_interval`` and moving the origin.

``strategy="recursive"``: the output at an origin predicts the next scaled increment, which is
fed back as the next input, for ``horizon`` steps. ``"tbptt"`` continues the recurrent state
from the origin; ``"window"`` slides the window of the last ``window`` inputs and reruns it
from a zero state, as it was trained. The input after step ``h`` is ``[o_h, c_{h+1}]``: the
forecast and the known-in-advance covariates of the date of step ``h + 1`` (row ``h`` of
``X_known``). Covariates observed up to the origin (``X``) are not known after it, so a
recursive model that reads them forecasts one step only (nothing is imputed).

``strategy="direct"``: the head at the origin gives the increments of all ``max_horizon``
steps at once (one state, many outputs); nothing is fed back.

Each function runs a batch of B origins at once (B = 1 for ``predict``, every validation
origin for the interval residuals), so both paths share one code.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from forecast._validation import check_float
from forecast.models.base import SeriesForecaster, check_horizon, forecast_series
from forecast.models.rnn.covariates import check_steps, known_after, known_future
from forecast.models.rnn.divergence import check_finite_values
from forecast.models.rnn.target import TargetTransform
from forecast.models.rnn.training import NetworkPickling
from forecast.models.rnn.windows import predict_last
from forecast.nn import RecurrentNetwork

#: the forecast steps whose validation errors are computed at fit (more on demand)
INTERVAL_STEPS = 20


def _next_input(o: np.ndarray, known: np.ndarray | None) -> np.ndarray:
    """The input row after a forecast ``o`` (B,): ``[o, c]`` of shape (B, D)."""
    return o[:, None] if known is None else np.column_stack([o, known])


def rollout_state(
    net: RecurrentNetwork,
    state: tuple[np.ndarray, ...],
    first: np.ndarray,
    known: np.ndarray | None,
    horizon: int,
) -> np.ndarray:
    """Forecasts of steps 1..horizon continuing the recurrent ``state``: (horizon, B).

    ``first`` (B,) is the network's output at the origin (the step-1 forecast); then
    ``h_{t+1} = Net(h_t, [o_t, c_{t+1}])`` and ``o_{t+1} = W_head h_{t+1} + b_head``, with
    ``known[h]`` (B, q) the known-in-advance inputs of step ``h + 1`` (None: none).
    """
    out = np.empty((horizon, len(first)), dtype=np.float64)
    o = first
    for h in range(horizon):
        out[h] = o
        if h + 1 < horizon:
            c = None if known is None else known[h + 1]
            u = _next_input(o, c).astype(net.dtype)[None]  # (1, B, D)
            y_hat, state, _ = net.forward(u, state)
            o = y_hat[0, :, 0]
    return out


def rollout_window(
    net: RecurrentNetwork, windows: np.ndarray, known: np.ndarray | None, horizon: int
) -> np.ndarray:
    """Forecasts of steps 1..horizon from windows (B, window, D) of past inputs: (horizon, B).

    Step h reads the window shifted by h - 1 steps, its newest rows being forecasts (with
    the known inputs ``known[h]`` of their next date), and runs it from a zero state
    (many-to-one, as in training).
    """
    out = np.empty((horizon, len(windows)), dtype=np.float64)
    windows = windows.astype(net.dtype)
    for h in range(horizon):
        o = predict_last(net, windows)[:, 0]
        out[h] = o
        if h + 1 < horizon:
            c = None if known is None else known[h + 1]
            row = _next_input(o, c).astype(net.dtype)
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
    *,
    n_out: int = 1,
    pending: bool = False,
) -> tuple[Any, np.ndarray | None, np.ndarray, dict[str, Any]]:
    """What a fitted RNN forecaster forecasts from, given the scaled inputs ``u``.

    Returns ``(state, window, last_output, val)``: the recurrent state at the forecast
    origin (``"tbptt"``, ``window=None``: the network run over all of ``u`` from zeros) or
    the last ``window`` inputs (``"window"``), the first ``n_out`` outputs of the network
    there (the step-1 forecast, or the ``max_horizon`` steps of a direct head), and what the
    interval residuals need from the ``n_val`` validation origins starting at input
    ``first_val`` (their outputs and states for ``"tbptt"``, the inputs around them).
    ``pending``: the last input waits for the known covariates of the first forecast date,
    so the state is the one *before* it and ``last_output`` is empty (``predict`` reads
    it). Raises DivergenceError if the outputs are not finite.
    """
    val: dict[str, Any] = {"first": first_val, "outputs": None, "states": None}
    read = u[:-1] if pending else u
    if window is None:
        y_hat, state, cache = net.forward(read[:, None])  # the series from zeros
        check_finite_values(y_hat[:, 0, 0], f"{desc}: the network output over y")
        last_output = np.empty(0) if pending else y_hat[-1, 0, :n_out].astype(np.float64)
        origins = np.arange(first_val, first_val + n_val)
        states = [net.state_at(cache, i + 1) for i in origins]  # after reading u_i
        outputs = y_hat[origins, 0, :n_out].astype(np.float64)
        val["outputs"] = outputs[:, 0] if n_out == 1 else outputs
        if n_val:
            val["states"] = tuple(
                np.concatenate([st[j] for st in states], axis=1)
                for j in range(len(net.state_names))
            )
        last_window, start = None, first_val
    else:
        state, last_window = None, u[-window:].copy()
        last_output = np.empty(0)
        if not pending:
            last_output = predict_last(net, last_window[None])[0, :n_out].astype(np.float64)
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
    force with its ``_network`` and ``_transform`` properties. With known-in-advance
    covariates (``n_known_ > 0``) the last input is pending: ``state_`` is the state before
    it and ``_last_row`` the row, completed by ``predict`` with the first row of
    ``X_known``. ``strategy`` and ``max_horizon`` (parameters of RNNForecaster) say whether
    the head is direct; a model without them is recursive.
    """

    family = "rnn"  # tested against the "ar" model by forecast.compare

    def predict(self, horizon: int, X_known: Any = None) -> pd.Series:
        """Forecast the next ``horizon`` prices from the state at the origin.

        Parameters
        ----------
        horizon : int
            Steps ahead (at most ``max_horizon`` for ``strategy="direct"``; 1 for a
            recursive model fitted with ``X``, whose values after the origin are unknown).
        X_known : DataFrame or array-like of shape (horizon, q), optional
            Covariates known in advance, one row per forecast step (indexed by the
            forecast dates if a DataFrame with a DatetimeIndex); required iff ``fit`` had
            ``X_known``. Covariates observed up to the origin (``X``) are never needed here.

        Returns
        -------
        pandas.Series of length horizon, named "forecast", indexed by the labels that
        follow the data seen (see :func:`forecast._dates.future_index`).
        """
        values = self.forecast_values(horizon, X_known)
        return forecast_series(values, self._history.future_index(len(values)))

    def forecast_values(self, horizon: int, X_known: Any = None) -> np.ndarray:
        """The next ``horizon`` prices as a float64 array of shape (horizon,), without labels.

        Recursive: the output at the origin is the step-1 forecast; each forecast is fed
        back as the next input (:func:`rollout_state`, or :func:`rollout_window` for
        ``"window"``). Direct: the first ``horizon`` outputs of the head at the origin.
        """
        check_is_fitted(self)
        horizon = check_horizon(horizon)
        known = self._known_future(horizon, X_known)
        with np.errstate(over="ignore", invalid="ignore"):  # checked in TargetTransform.levels
            state, window, first = self._origin(known)
            if self._direct:
                out = first[:horizon, None]
            elif window is None:
                out = rollout_state(self._network, state, first[:1], known, horizon)
            else:
                out = rollout_window(self._network, window[None], known, horizon)
        return self._transform.levels(out[:, 0], self._history.values[-1])

    def predict_interval(
        self, horizon: int, coverage: float = 0.95, X_known: Any = None
    ) -> pd.DataFrame:
        """Prediction intervals from the h-step errors on the validation tail (conformal).

        ``lower_h = p^_h exp(q_lo,h)``, ``upper_h = p^_h exp(q_hi,h)`` for log returns
        (``p^_h + q`` for the other targets), with ``q`` the split-conformal quantiles of the
        h-step errors of ``log p`` (or ``p``) over the validation origins, each forecasting
        as ``predict`` does (:func:`conformal_bounds`), step by step. Needs
        ``validation_fraction > 0`` and at most as many steps as validation origins. The
        interval always contains the point forecast: a quantile on the wrong side of 0 (all
        errors of one sign) is replaced by 0, which only widens it. ``X_known``: the
        known-in-advance covariates of the forecast steps, as in :meth:`predict`.

        Returns
        -------
        pandas.DataFrame with columns ["lower", "upper"], indexed like :meth:`predict`.
        """
        check_is_fitted(self)
        horizon = check_horizon(horizon)
        coverage = check_float(coverage, "coverage", min_value=0.0, max_value=1.0, inclusive=False)
        self._check_steps(horizon)
        errors = self._validation_errors(horizon)
        point = self.predict(horizon, X_known)
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

    @property
    def _direct(self) -> bool:
        return getattr(self, "strategy", "recursive") == "direct"

    @property
    def _max_horizon(self) -> int:
        return getattr(self, "max_horizon", 1)

    @property
    def _n_known(self) -> int:
        return getattr(self, "n_known_", 0)

    def _check_steps(self, horizon: int) -> None:
        strategy = "direct" if self._direct else "recursive"
        check_steps(horizon, strategy, self._max_horizon, self.n_exog_, type(self).__name__)

    def _known_future(self, horizon: int, X_known: Any) -> np.ndarray | None:
        """The scaled known inputs of the forecast steps (horizon, 1, q), or None."""
        self._check_steps(horizon)
        dates = self._history.future_index(horizon)
        raw = known_future(X_known, horizon, dates, self._n_known, type(self).__name__)
        return None if raw is None else self._transform.scale_known(raw)[:, None, :]

    def _origin(self, known: np.ndarray | None) -> tuple[Any, np.ndarray | None, np.ndarray]:
        """``(state, window, outputs)`` at the origin, the pending input completed with the
        known inputs of the first forecast date ``known[0]``."""
        state, window, net = self.state_, self.window_, self._network
        if known is None:
            return state, window, self._last_output
        n_out = net.output_size if self._direct else 1
        row = self._last_row.copy()
        row[:, -self._n_known :] = known[0]
        if window is None:
            y_hat, state, _ = net.forward(row[None].astype(net.dtype), state)
            return state, None, y_hat[0, 0, :n_out].astype(np.float64)
        window = np.concatenate([window[:-1], row]).astype(net.dtype)
        return None, window, predict_last(net, window[None])[0, :n_out].astype(np.float64)

    def _set_origin(
        self, u: np.ndarray, window: int | None, first_val: int, n_val: int, steps: int
    ) -> None:
        """Run the network over the scaled inputs ``u`` (all data seen) to the origin.

        The interval errors of the first ``steps`` steps are computed now (at most
        ``n_val``; one step for a recursive model with ``X``), so that
        ``predict_interval`` only reads them; longer ones on demand.
        """
        desc = f"{type(self).__name__}({self._network.cell})"
        n_out = self._network.output_size if self._direct else 1
        self.state_, self.window_, self._last_output, self._val = origin_states(
            self._network, u, window, first_val, n_val, desc, n_out=n_out,
            pending=self._n_known > 0,
        )  # fmt: skip
        self._last_row = u[-1:].copy()
        steps = min(n_val, steps)
        if self._direct:
            steps = min(steps, self._max_horizon)
        elif self.n_exog_:
            steps = min(steps, 1)
        self._errors = self._compute_errors(steps) if steps else np.empty((0, 0))

    def _advanced(
        self, values: np.ndarray, exog: np.ndarray | None, known: np.ndarray | None = None
    ) -> tuple[Any, ...]:
        """The origin moved over new observations (weights unchanged), not yet set.

        ``values`` (m,) follow the data seen, with their rows of ``X`` (m, k) and of
        ``X_known`` (m, q), or None. Returns ``(last_row, state_, window_, last_output)``
        for :meth:`_move_origin`; raises ValueError if their scaled inputs overflow,
        DivergenceError if the network's output there is not finite.
        """
        state, window, net = self.state_, self.window_, self._network
        previous = float(self._history.values[-1])
        u_new = self._transform.inputs(
            values, exog, previous=previous, known=known, dtype=net.dtype, name="y_new"
        )
        n_out = net.output_size if self._direct else 1
        output = np.empty(0)
        with np.errstate(over="ignore", invalid="ignore"):  # reported below
            if known is not None:  # the pending row gets the first new known row
                row = self._last_row.copy()
                row[:, -self._n_known :] = self._transform.scale_known(known[:1])
                read = np.concatenate([row.astype(net.dtype), u_new[:-1]])
            else:
                read = u_new
            if window is None:
                y_hat, state, _ = net.forward(read[:, None], state)
                check = y_hat[-1, 0].astype(np.float64)
            else:
                kept = window[:-1] if known is not None else window
                pending = [u_new[-1:]] if known is not None else []
                window = np.concatenate([kept, read, *pending])[-len(window) :]
                check = predict_last(net, window[None])[0].astype(np.float64)
            if known is None:
                output = check[:n_out]
        check_finite_values(check, f"{type(self).__name__}.update: the network output")
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
        """Forecast from every validation origin as ``predict`` does; the errors (n_val, h)."""
        n_val, net, transform = self._val["count"], self._network, self._transform
        first, start, u = self._val["first"], self._val["start"], self._val["u"]
        origins = np.arange(first, first + n_val)  # input positions; observation i + offset
        q = self._n_known
        if self.window_ is None:
            outputs = self._val["outputs"].reshape(n_val, -1)
            if self._direct:
                r_hat = outputs[:, :horizon].T
            else:
                known = known_after(u, origins - start, horizon, q) if q else None
                r_hat = rollout_state(net, self._val["states"], outputs[:, 0], known, horizon)
        else:
            w = len(self.window_)
            windows = np.stack([u[i - start - w + 1 : i - start + 1] for i in origins])
            if self._direct:
                r_hat = predict_last(net, windows)[:, :horizon].T.astype(np.float64)
            else:
                known = known_after(u, origins - start, horizon, q) if q else None
                r_hat = rollout_window(net, windows, known, horizon)
        check_finite_values(r_hat, "the forecasts from the validation origins")
        observed = origins + transform.offset  # the observation at each origin
        return transform.errors(r_hat, self._history.values, observed)
