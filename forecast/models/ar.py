"""AR(tau) forecaster: conditional least squares exactly as statsmodels' ``AutoReg``.

The model, for observations ``y_0, ..., y_{n-1}`` and ``t`` counted from 0::

    y_t = c + d * (t + 1) + phi_1 y_{t-1} + ... + phi_tau y_{t-tau} + eps_t,   eps_t ~ N(0, sigma^2)

with ``c`` and ``d`` present according to ``trend``. The coefficients minimise the sum of
squared residuals over ``t = hold_back, ..., n-1`` (the first ``hold_back >= tau`` values
only serve as lags): the conditional least squares of ``AutoReg``. Forecasts are recursive
(each forecast is fed back as a lag) or direct (one least-squares model per step).
Walk-forward refits are incremental (:mod:`forecast.models._lstsq`).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from forecast._numeric import FloatRangeError, pow2_exponent
from forecast._validation import check_choice, check_int, check_series
from forecast.models._lags import (
    TRENDS,
    column_names,
    design_matrix,
    design_row,
    n_trend,
)
from forecast.models._lstsq import QRLeastSquares, information_criteria
from forecast.models.base import (
    SeriesForecaster,
    check_horizon,
    interval_frame,
    normal_quantile,
    refuse_exog,
)
from forecast.models.history import SeriesHistory

logger = logging.getLogger(__name__)

STRATEGIES = ("recursive", "direct")


class ARForecaster(SeriesForecaster):
    """Autoregressive model of order tau fitted by conditional least squares.

    Equal to ``statsmodels.tsa.ar_model.AutoReg(y, order, trend=trend, hold_back=hold_back)``
    (coefficients, sigma2, AIC, BIC, fitted values, forecasts and their intervals) to
    rounding; ``order="aic"``/``"bic"`` selects tau like ``ar_select_order``.
    ``update(y_new, refit=True)`` re-estimates on all data seen incrementally (each new row
    folded into the least squares in O(k^2), equal to a fresh fit to rounding; ``order_``
    stays as selected at ``fit``; new values above 3e150 are a
    :class:`~forecast._numeric.FloatRangeError`, appended without a refit);
    ``refit=False`` keeps the coefficients and ``sigma2_`` (the lags and the trend move on).

    Parameters
    ----------
    order : int or {"aic", "bic"}, default=20
        The number of lags tau (``>= 0``), or the criterion that selects it among
        ``0..max_order`` on a common estimation sample (the first ``max_order`` values held
        back, or ``hold_back`` if given); the selected model is then fitted on its own
        sample, as ``ar_select_order(...).model.fit()`` does.
    trend : {"n", "c", "t", "ct"}, default="c"
        Deterministic terms: none, constant, time trend ``t + 1`` (1 at the first value
        passed to ``fit``, continuing through ``update``), or both.
    max_order : int, default=20
        Largest tau tried when ``order`` is "aic" or "bic"; ignored otherwise.
    hold_back : int, optional
        Number of initial observations left out of the estimation sample (``>= tau``).
        ``None`` means tau (``max_order`` while selecting).
    strategy : {"recursive", "direct"}, default="recursive"
        "recursive" feeds each forecast back as a lag; "direct" fits one least-squares
        model per step ``h = 1..max_horizon``, regressing ``y_t`` on
        ``y_{t-h}, ..., y_{t-h-tau+1}`` (and the trend at ``t``); its step-1 model is the
        recursive one.
    max_horizon : int, default=20
        Number of direct models (the longest horizon of ``predict``); "direct" only.

    Attributes
    ----------
    order_ : int
        The number of lags tau used.
    params_ : ndarray of shape (n_trend + order_,)
        All coefficients in ``AutoReg``'s order: const, trend, lag 1, ..., lag tau.
    coef_ : ndarray of shape (order_,)
        The lag coefficients ``phi_1, ..., phi_tau``, **lag 1 (the newest value) first**.
    intercept_ : float
        ``c`` (0.0 when ``trend`` has no "c").
    trend_coef_ : float
        ``d``, the coefficient of the time trend (0.0 when ``trend`` has no "t").
    sigma2_ : float
        ``ssr / nobs_``, the maximum-likelihood innovation variance (as ``AutoReg``).
    llf_, aic_, bic_ : float
        ``llf = -(nobs/2) (log(2 pi) + log(ssr/nobs) + 1)``,
        ``aic = -2 llf + 2 (k + 1)``, ``bic = -2 llf + log(nobs) (k + 1)`` with
        ``k = n_trend + order_`` coefficients (statsmodels 0.15's definitions).
    nobs_ : int
        Size of the estimation sample (observations minus ``hold_back_``).
    hold_back_ : int
        Number of initial observations that only serve as lags.
    ics_ : dict or None
        ``{tau: criterion}`` for ``tau = 0..max_order`` when ``order`` is "aic"/"bic",
        each the ``aic``/``bic`` of ``AutoReg(y, tau, hold_back=max_order)``.
    direct_params_ : ndarray of shape (max_horizon, n_trend + order_) or None
        Row ``h - 1``: the coefficients of the direct model for step h.
    direct_sigma2_ : ndarray of shape (max_horizon,) or None
        Residual variance ``ssr_h / nobs_h`` of each direct model.
    index_, resid_, fittedvalues_ : read-only properties, see their docstrings.

    Examples
    --------
    >>> import numpy as np, forecast
    >>> close = forecast.load_dataset("sp500")["close"]
    >>> returns = np.log(close).diff().dropna()
    >>> model = ARForecaster(5).fit(returns)
    >>> model.coef_.shape, model.nobs_ == len(returns) - 5
    ((5,), True)
    >>> model.predict(3).index.strftime("%Y-%m-%d").tolist()  # XNYS sessions (calendars extra)
    ['2019-01-02', '2019-01-03', '2019-01-04']
    """

    def __init__(
        self,
        order: int | str = 20,
        *,
        trend: str = "c",
        max_order: int = 20,
        hold_back: int | None = None,
        strategy: str = "recursive",
        max_horizon: int = 20,
    ) -> None:
        self.order = order
        self.trend = trend
        self.max_order = max_order
        self.hold_back = hold_back
        self.strategy = strategy
        self.max_horizon = max_horizon

    family = "ar"  # tested against each "rnn" model by forecast.compare

    def fit(self, y: Any, X: Any = None) -> ARForecaster:
        """Estimate the coefficients from ``y``.

        Parameters
        ----------
        y : pandas.Series or array-like of shape (n,)
            The series, oldest first (DatetimeIndex or integer index; arrays get a
            RangeIndex). No NaN, sorted unique index.
        X : None
            Not supported (no exogenous regressors).

        Returns
        -------
        self

        Raises
        ------
        ValueError
            For too short a series, a constant or all-zero one (the regressors are collinear
            or zero: the message names the column and the fix), and a
            :class:`~forecast._numeric.FloatRangeError` when ``max |y|`` is outside
            ``[3e-148, 3e150]``, where the sums of squares would overflow or underflow.
        """
        refuse_exog(X, type(self).__name__)
        trend = check_choice(self.trend, "trend", TRENDS)
        strategy = check_choice(self.strategy, "strategy", STRATEGIES)
        values, index = check_series(y, "y", min_length=2)
        _check_magnitude(values)
        n = len(values)
        if isinstance(self.order, str):
            if self.order not in ("aic", "bic"):
                raise ValueError(
                    f"order must be an int >= 0 or one of 'aic', 'bic', got {self.order!r}"
                )
            max_order = check_int(self.max_order, "max_order", min_value=0)
            hold_back = self._check_hold_back(max_order, "max_order")
            _check_enough(n, hold_back, n_trend(trend) + max_order, f"max_order={max_order}")
            order, ics = select_order(values, trend, max_order, hold_back, self.order)
            logger.debug("%s selected order %d", self.order, order)
        else:
            order, ics = check_int(self.order, "order", min_value=0), None
        hold_back = self._check_hold_back(order, "order")
        max_horizon = 1
        if strategy == "direct":
            max_horizon = check_int(self.max_horizon, "max_horizon", min_value=1)
        k = n_trend(trend) + order
        if k == 0:
            raise ValueError("order=0 with trend='n' leaves no coefficient to estimate")
        what = f"order={order}, trend={trend!r}"
        if strategy == "direct":
            what += f" with the direct model of step max_horizon={max_horizon}"
        _check_enough(n, hold_back + max_horizon - 1, k, what)

        self.order_, self.hold_back_, self.ics_ = order, hold_back, ics
        self._trend, self._direct = trend, strategy == "direct"
        self._lags = np.arange(1, order + 1)
        self._history = SeriesHistory(values, index)
        self._models = []  # (lags, least squares) of the model of each step h = 1..max_horizon
        for h in range(1, max_horizon + 1):  # h = 1 is the recursive model
            lags = self._lags + (h - 1)
            X_h, target = design_matrix(values, trend, lags, hold_back + h - 1, n)
            self._models.append((lags, QRLeastSquares(X_h, target, column_names(trend, lags))))
        self._n_fit = n
        self._set_fitted()
        return self

    def _observed(self, new: np.ndarray, refit: bool) -> None:
        """After ``update``: with ``refit``, fold the new rows into the least squares.

        Each new row is folded into a square root of ``(X^T X)^{-1}`` in O(k^2), which
        equals a fresh fit on the extended series to rounding; ``order_`` stays as selected
        at ``fit``. Without ``refit`` only the lags and the time trend move on.

        Raises
        ------
        FloatRangeError
            with ``refit=True``, for new values above 3e150 (their squares overflow); they
            are appended, the coefficients stay those of the last refit.
        """
        if refit:
            _check_magnitude_of_new(new)  # the history's max |y| can only grow
            y, trend = self._history.values, self._trend
            for t in range(self._n_fit, len(y)):  # the rows of the new targets y[t]
                for lags, model in self._models:
                    model.add_row(design_row(y, trend, lags, t), y[t])
            self._n_fit = len(y)
            self._set_fitted()

    def predict_interval(self, horizon: int, coverage: float = 0.95) -> pd.DataFrame:
        """Gaussian prediction intervals ``forecast -/+ z * sqrt(v_h)``.

        Recursive: ``v_h = sigma2 * sum_{j<h} psi_j^2`` with the psi-weights of the AR
        polynomial (``psi_0 = 1``, ``psi_j = sum_{i=1}^{min(j, tau)} phi_i psi_{j-i}``), as
        ``AutoReg``'s ``get_prediction``. Direct: ``v_h`` is the residual variance of the
        step-h model.

        Returns
        -------
        pandas.DataFrame with columns ["lower", "upper"], indexed like :meth:`predict`.
        """
        check_is_fitted(self)
        horizon = check_horizon(horizon)
        z = normal_quantile(coverage)
        if self.direct_params_ is None:
            variance = self.sigma2_ * np.cumsum(psi_weights(self.coef_, horizon) ** 2)
        else:
            _check_direct_horizon(horizon, len(self.direct_params_))
            variance = self.direct_sigma2_[:horizon]
        index = self._history.future_index(horizon)
        return interval_frame(self.forecast_values(horizon), np.sqrt(variance), z, index)

    @property
    def fittedvalues_(self) -> pd.Series:
        """One-step in-sample predictions ``X @ params_`` over the estimation sample."""
        X, _ = design_matrix(
            self._history.values, self._trend, self._lags, self.hold_back_, self._n_fit
        )
        index = self._history.index[self.hold_back_ : self._n_fit]
        return pd.Series(X @ self.params_, index=index, name="fittedvalues")

    @property
    def resid_(self) -> pd.Series:
        """Residuals ``y_t - fittedvalues_t`` over the estimation sample."""
        fitted = self.fittedvalues_
        actual = self._history.values[self.hold_back_ : self._n_fit]
        return pd.Series(actual - fitted.to_numpy(), index=fitted.index, name="resid")

    def _check_hold_back(self, order: int, name: str) -> int:
        """``hold_back``, or ``order`` when it is None; it must be at least the order."""
        if self.hold_back is None:
            return order
        hold_back = check_int(self.hold_back, "hold_back", min_value=0)
        if hold_back < order:
            raise ValueError(f"hold_back={hold_back} must be >= {name}={order}")
        return hold_back

    def _set_fitted(self) -> None:
        """Read the coefficients and criteria off the least-squares states."""
        trend, model = self._trend, self._models[0][1]
        k_trend = n_trend(trend)
        self.params_ = params = model.solve()
        self.intercept_ = float(params[0]) if "c" in trend else 0.0
        self.trend_coef_ = float(params[k_trend - 1]) if "t" in trend else 0.0
        self.coef_ = params[k_trend:]
        self.nobs_ = model.nobs
        self.sigma2_ = model.ssr / model.nobs
        self.llf_, self.aic_, self.bic_ = information_criteria(model.ssr, model.nobs, len(params))
        if self._direct:
            self.direct_params_ = np.vstack([m.solve() for _, m in self._models])
            self.direct_sigma2_ = np.array([m.ssr / m.nobs for _, m in self._models])
        else:
            self.direct_params_ = self.direct_sigma2_ = None

    def forecast_values(self, horizon: int) -> np.ndarray:
        """The point forecasts of steps 1..horizon, shape (horizon,): ``predict``'s values.

        With the data seen ``y_0, ..., y_{n-1}``, step h forecasts position ``n - 1 + h``.
        Recursive: ``y^_{n-1+h} = c + d (n + h) + sum_i phi_i y~_{n-1+h-i}`` where ``y~`` is
        the observation when it exists and the forecast otherwise (a loop that feeds each
        forecast back as a lag). Direct: step h applies its own model to the last tau
        observations.
        """
        if not hasattr(self, "_history"):  # cheap test first: runs once per walk-forward step
            check_is_fitted(self)
        horizon = check_horizon(horizon)
        y, n, p, trend = self._history.values, len(self._history), self.order_, self._trend
        if self.direct_params_ is not None:
            _check_direct_horizon(horizon, len(self.direct_params_))
            forecasts = np.empty(horizon)
            for h in range(1, horizon + 1):  # model h reads y_{n-1}, ..., y_{n-tau}
                x = design_row(y, trend, self._models[h - 1][0], n + h - 1)
                forecasts[h - 1] = x @ self.direct_params_[h - 1]
            return forecasts
        c, d, phi_reversed = self.intercept_, self.trend_coef_, self.coef_[::-1]
        if horizon == 1:  # one step (a walk-forward's): the lags are the last observations
            return np.array([c + d * (n + 1) + phi_reversed @ y[n - p :]])
        path = np.empty(p + horizon)  # the last tau observations, then the forecasts
        path[:p] = y[n - p :]
        for h in range(p, p + horizon):  # path[h] is position t = n - p + h of the series
            # y^_t = c + d (t + 1) + phi_tau y~_{t-tau} + ... + phi_1 y~_{t-1}
            path[h] = c + d * (n - p + h + 1) + phi_reversed @ path[h - p : h]
        return path[p:]


def select_order(
    y: np.ndarray, trend: str, max_order: int, hold_back: int, ic: str
) -> tuple[int, dict[int, float]]:
    """Choose tau in ``0..max_order`` minimising ``ic`` on one common estimation sample.

    All candidates are fitted on the targets ``y[hold_back:]``. With the QR of the largest
    design ``[trend, lag 1, ..., lag max_order] = Q R`` and ``z = Q^T y``, the model with the
    first ``k`` columns has ``ssr_k = ssr_full + sum_{j >= k} z_j^2``, so one factorisation
    gives every candidate. Ties go to the smaller order (as ``ar_select_order``).

    Returns
    -------
    order : int
    ics : dict ``{tau: criterion}``
    """
    lags = np.arange(1, max_order + 1)
    X, target = design_matrix(y, trend, lags, hold_back, len(y))
    full = QRLeastSquares(X, target, column_names(trend, lags))
    k_trend, pick = n_trend(trend), {"aic": 1, "bic": 2}[ic]
    z = full.z
    ics = {}
    for order in range(max_order + 1):
        k = k_trend + order
        ssr = full.ssr + float(z[k:] @ z[k:])
        ics[order] = information_criteria(ssr, full.nobs, k)[pick]
    return min(ics, key=ics.get), ics


def psi_weights(coef: np.ndarray, horizon: int) -> np.ndarray:
    """MA(infinity) weights of an AR polynomial, the first ``horizon`` of them.

    ``psi_0 = 1`` and ``psi_j = sum_{i=1}^{min(j, tau)} phi_i psi_{j-i}``, so that the
    h-step forecast error is ``sum_{j<h} psi_j eps_{n+h-j}``.

    Examples
    --------
    >>> psi_weights(np.array([0.5]), 4)
    array([1.   , 0.5  , 0.25 , 0.125])
    """
    psi = np.zeros(horizon)
    psi[0] = 1.0
    for j in range(1, horizon):
        m = min(j, len(coef))
        psi[j] = coef[:m] @ psi[j - 1 :: -1][:m]  # phi_1 psi_{j-1} + ... + phi_m psi_{j-m}
    return psi


def _check_enough(n: int, hold_back: int, k: int, what: str) -> None:
    """Require more usable observations than coefficients, naming both numbers."""
    usable = n - hold_back
    if usable <= k:
        raise ValueError(
            f"{what} has {k} coefficient(s) and needs more than {k} usable observations, "
            f"but only {usable} remain ({n} observations minus {hold_back} needed as initial "
            "lags); lower the order or pass a longer series"
        )


#: least squares squares the values: beyond 2**500 (3e150) the sums of squares overflow,
#: below 2**-490 (3e-148) they underflow and the residual variance comes out as 0
_EXPONENT_RANGE = (-490, 500)


def _check_magnitude(values: np.ndarray) -> None:
    """Refuse a series whose squares leave float64 (a silent inf or 0 variance otherwise)."""
    k = pow2_exponent(values)
    if values.any() and not _EXPONENT_RANGE[0] < k < _EXPONENT_RANGE[1]:
        peak = float(np.max(np.abs(values)))
        side = "large" if k > 0 else "small"
        raise FloatRangeError(
            f"y is too {side} for least squares in float64: max |y| = {peak:.3g}, outside "
            "[3e-148, 3e150], so its squares overflow or underflow; rescale y (multiply or "
            "divide it by a power of 10) or model log prices or returns"
        )


def _check_magnitude_of_new(values: np.ndarray) -> None:
    """Refuse to refit on new values whose squares overflow (they are kept, as with
    ``refit=False``; the coefficients stay those of the last refit)."""
    if pow2_exponent(values) >= _EXPONENT_RANGE[1]:
        raise FloatRangeError(
            f"y_new is too large for least squares in float64: max |y_new| = "
            f"{float(np.max(np.abs(values))):.3g}, above 3e150, so its squares overflow; the "
            "values were appended without a refit. Rescale the series (or model log prices "
            "or returns) and fit again"
        )


def _check_direct_horizon(horizon: int, max_horizon: int) -> None:
    if horizon > max_horizon:
        raise ValueError(
            f"horizon={horizon} exceeds max_horizon={max_horizon}, the number of direct "
            "models fitted; refit with a larger max_horizon"
        )
