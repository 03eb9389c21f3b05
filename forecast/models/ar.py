"""AR(tau) forecaster: conditional least squares exactly as statsmodels' ``AutoReg``.

The model, for observations ``y_0, ..., y_{n-1}`` and ``t`` counted from 0::

    y_t = c + d * (t + 1) + phi_1 y_{t-1} + ... + phi_tau y_{t-tau} + eps_t,   eps_t ~ N(0, sigma^2)

with ``c`` and ``d`` present according to ``trend`` (plus ``beta . X_{t-1} + gamma .
X_known_t`` with covariates, see :mod:`forecast.models.covariates`). The coefficients
minimise the sum of squared residuals over ``t = hold_back, ..., n-1`` (the first
``hold_back >= tau`` values only serve as lags): the conditional least squares of
``AutoReg``. Forecasts are recursive (each forecast is fed back as a lag) or direct (one
least-squares model per step). Walk-forward refits are incremental, on an expanding or a
rolling window (:mod:`forecast.models._lstsq`, :mod:`forecast.models.ar_window`).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from forecast._validation import check_choice, check_int, check_series
from forecast.models._lags import TRENDS, design_matrix, design_row, n_trend
from forecast.models._lstsq import information_criteria
from forecast.models.ar_covariates import CovariateState
from forecast.models.ar_rolling import RollingWalk
from forecast.models.ar_window import (
    StateSpec,
    check_enough,
    check_magnitude,
    check_magnitude_of_new,
    factorise,
    select_order,
    slide,
)
from forecast.models.base import (
    check_horizon,
    interval_frame,
    normal_quantile,
)
from forecast.models.covariates import check_covariates
from forecast.models.history import SeriesHistory

logger = logging.getLogger(__name__)

STRATEGIES = ("recursive", "direct")


class ARForecaster(CovariateState, RollingWalk):
    """Autoregressive model of order tau fitted by conditional least squares.

    Equal to ``statsmodels.tsa.ar_model.AutoReg(y, order, trend=trend, hold_back=hold_back)``
    (coefficients, sigma2, AIC, BIC, fitted values, forecasts and their intervals) to
    rounding; ``order="aic"``/``"bic"`` selects tau like ``ar_select_order``.
    ``update(y_new, refit=True)`` re-estimates on all data seen incrementally (each new row
    folded into the least squares in O(k^2), equal to a fresh fit to rounding; ``order_``
    stays as selected at ``fit``; new values above 3e150 are a
    :class:`~forecast._numeric.FloatRangeError`, appended without a refit);
    ``refit=False`` keeps the coefficients and ``sigma2_`` (the lags and the trend move on).

    *Covariates*, two kinds (:mod:`forecast.models.covariates`): ``fit(y, X=...)`` takes
    observed covariates, whose row ``t - 1`` enters the model of ``y_t`` (so the model
    equals ``AutoReg(y, order, exog=X.shift(1))``; forecasts beyond one step need
    ``strategy="direct"``, whose step-h model uses ``X_{t-h}``), and ``fit(y,
    X_known=...)`` covariates known in advance, whose row ``t`` enters it (``AutoReg(y,
    order, exog=X_known)``, with ``predict(h, X_known=rows)`` as ``forecast(h,
    exog=rows)``). ``update`` then needs the rows of the new observations.

    *Rolling window*: with ``window=w`` the model is estimated on the last ``w``
    observations only (``AutoReg(y[-w:], ...)``), and ``update(y_new, refit=True)`` slides
    the least squares: new rows folded in, the oldest taken out, O(k^2) per row, with a
    refactorisation when a downdate would lose accuracy (:mod:`forecast.models.ar_window`).
    ``forecast.backtest(..., window="rolling", train_size=w)`` uses it, handing a refit at
    every origin to :meth:`walk_rolling` (:mod:`forecast.models.ar_rolling`) in one call.

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
    window : int, optional
        Estimate on the last ``window`` observations (``>= 2``; all of them when fewer are
        seen); None uses all observations seen.

    Attributes
    ----------
    order_ : int
        The number of lags tau used.
    params_ : ndarray of shape (n_trend + order_ + n_exog_ + n_known_,)
        All coefficients in ``AutoReg``'s order: const, trend, lag 1, ..., lag tau, then the
        observed covariates (lagged), then the known ones.
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
    n_exog_, n_known_ : int
        Number of observed and of known-in-advance covariates (0 without).
    n_refactorizations_ : int
        Times a refit factorised the least squares afresh instead of moving them row by
        row (a rolling window turned over, a near-collinear window, many rows at once).
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
        window: int | None = None,
    ) -> None:
        self.order = order
        self.trend = trend
        self.max_order = max_order
        self.hold_back = hold_back
        self.strategy = strategy
        self.max_horizon = max_horizon
        self.window = window

    family = "ar"  # tested against each "rnn" model by forecast.compare

    def fit(self, y: Any, X: Any = None, X_known: Any = None) -> ARForecaster:
        """Estimate the coefficients from ``y`` (and the covariates).

        Parameters
        ----------
        y : pandas.Series or array-like of shape (n,)
            The series, oldest first (DatetimeIndex or integer index; arrays get a
            RangeIndex). No NaN, sorted unique index.
        X : DataFrame or array-like of shape (n, k_x), optional
            Observed covariates, one row per observation of ``y``; ``X_{t-1}`` enters the
            model of ``y_t`` (see the class docstring).
        X_known : DataFrame or array-like of shape (n, k_known), optional
            Known-in-advance covariates, one row per observation; ``X_known_t`` enters the
            model of ``y_t`` and ``predict`` needs their rows of the forecast steps.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            For too short a series, a constant or all-zero one (the regressors are collinear
            or zero: the message names the column and the fix), covariates with NaN, a
            wrong number of rows or an index other than ``y``'s, and a
            :class:`~forecast._numeric.FloatRangeError` when ``max |y|`` is outside
            ``[3e-148, 3e150]``, where the sums of squares would overflow or underflow.
        TypeError
            For non-numeric covariates.
        """
        trend = check_choice(self.trend, "trend", TRENDS)
        strategy = check_choice(self.strategy, "strategy", STRATEGIES)
        values, index = check_series(y, "y", min_length=2)
        check_magnitude(values)
        n = len(values)
        y_index = index if isinstance(y, (pd.Series, pd.DataFrame)) else None
        parts = [check_covariates(c, n, name, index=y_index) if c is not None else None
                 for name, c in (("X", X), ("X_known", X_known))]
        n_exog, n_known = (0 if c is None else c.shape[1] for c in parts)
        cov = np.hstack([c for c in parts if c is not None]) if n_exog + n_known else None
        if cov is not None:
            check_magnitude(cov, "X")
        window = None if self.window is None else check_int(self.window, "window", min_value=2)
        lo = 0 if window is None else max(0, n - window)
        spec = StateSpec(trend, 0, None if cov is None else cov[lo:], n_exog)
        if isinstance(self.order, str):
            if self.order not in ("aic", "bic"):
                raise ValueError(
                    f"order must be an int >= 0 or one of 'aic', 'bic', got {self.order!r}"
                )
            max_order = check_int(self.max_order, "max_order", min_value=0)
            spec.hold_back = self._check_hold_back(max_order, "max_order", n_exog)
            k = n_trend(trend) + max_order + n_exog + n_known
            check_enough(n - lo, spec.hold_back, k, f"max_order={max_order}")
            order, ics = select_order(values[lo:], spec, max_order, self.order)
            logger.debug("%s selected order %d", self.order, order)
        else:
            order, ics = check_int(self.order, "order", min_value=0), None
        hold_back = self._check_hold_back(order, "order", n_exog)
        max_horizon = 1
        if strategy == "direct":
            max_horizon = check_int(self.max_horizon, "max_horizon", min_value=1)
        k = n_trend(trend) + order + n_exog + n_known
        if k == 0:
            raise ValueError("order=0 with trend='n' leaves no coefficient to estimate")
        what = f"order={order}, trend={trend!r}"
        if n_exog + n_known:
            what += f" and {n_exog + n_known} covariate(s)"
        if strategy == "direct":
            what += f" with the direct model of step max_horizon={max_horizon}"
        check_enough(n - lo, hold_back + max_horizon - 1, k, what)

        self.order_, self.hold_back_, self.ics_ = order, hold_back, ics
        self.n_exog_, self.n_known_ = n_exog, n_known
        self._trend, self._direct = trend, strategy == "direct"
        self._lags = np.arange(1, order + 1)
        self._history = SeriesHistory(values, index)
        self._cov = cov
        self._lo, self._loss, self.n_refactorizations_ = lo, 0.0, 0
        # (lags, least squares) of the model of each step h = 1..max_horizon; h = 1 is the
        # recursive model
        steps = [self._lags + (h - 1) for h in range(1, max_horizon + 1)]
        self._models = factorise(self._spec(), values, steps, lo, n)
        self._n_fit = n
        self._set_fitted()
        return self

    def slides_window(self, size: int) -> bool:
        """Whether ``window=size`` refits equal fresh fits on each rolling window of ``size``.

        True for an int ``order`` (a selected one would be selected again on each window)
        and ``window`` None or ``size``: :func:`forecast.backtest` with
        ``window="rolling"`` then refits by ``update(..., refit=True)``.
        """
        return not isinstance(self.order, str) and self.window in (None, size)

    def _spec(self) -> StateSpec:
        """The content of the least-squares rows, over the covariates seen so far."""
        cov = None if self._cov is None else self._cov[: len(self._history)]
        return StateSpec(self._trend, self.hold_back_, cov, self.n_exog_)

    def _observed(self, new: np.ndarray, refit: bool) -> None:
        """After ``update``: with ``refit``, move the least squares to the data seen.

        The new rows are folded in (and, with a rolling ``window``, the rows that left it
        taken out) in O(k^2) each, which equals a fresh fit to rounding
        (:mod:`forecast.models.ar_window`); ``order_`` stays as selected at ``fit``.
        Without ``refit`` only the lags and the time trend move on.

        Raises
        ------
        FloatRangeError
            with ``refit=True``, for new values above 3e150 (their squares overflow); they
            are appended, the coefficients stay those of the last refit.
        """
        if refit:
            check_magnitude_of_new(new)  # the history's max |y| can only grow
            y = self._history.values
            n = len(y)
            lo = self._lo if self.window is None else max(0, n - self.window)
            spec = self._spec()
            loss = slide(spec, y, self._models, (self._lo, self._n_fit, lo, n), self._loss)
            if loss is None:  # factorise the window afresh (see ar_window)
                steps = [lags for lags, _ in self._models]
                self._models = factorise(spec, y, steps, lo, n)
                self.n_refactorizations_ += 1
                loss = 0.0
            self._lo, self._loss, self._n_fit = lo, loss, n
            self._set_fitted()

    def predict_interval(
        self, horizon: int, coverage: float = 0.95, X_known: Any = None
    ) -> pd.DataFrame:
        """Gaussian prediction intervals ``forecast -/+ z * sqrt(v_h)``.

        Recursive: ``v_h = sigma2 * sum_{j<h} psi_j^2`` with the psi-weights of the AR
        polynomial (``psi_0 = 1``, ``psi_j = sum_{i=1}^{min(j, tau)} phi_i psi_{j-i}``), as
        ``AutoReg``'s ``get_prediction``. Direct: ``v_h`` is the residual variance of the
        step-h model. ``X_known`` as in :meth:`predict`.

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
        known = None if X_known is None else self._known_future(X_known, horizon, index)
        mean = self.forecast_values(horizon, X_known=known)
        return interval_frame(mean, np.sqrt(variance), z, index)

    @property
    def fittedvalues_(self) -> pd.Series:
        """One-step in-sample predictions ``X @ params_`` over the estimation sample."""
        start = self._lo + self.hold_back_
        spec = self._spec()
        X, _ = design_matrix(
            self._history.values, self._trend, self._lags, start, self._n_fit, -self._lo,
            spec.cov, self.n_exog_,
        )
        index = self._history.index[start : self._n_fit]
        return pd.Series(X @ self.params_, index=index, name="fittedvalues")

    @property
    def resid_(self) -> pd.Series:
        """Residuals ``y_t - fittedvalues_t`` over the estimation sample."""
        fitted = self.fittedvalues_
        actual = self._history.values[self._lo + self.hold_back_ : self._n_fit]
        return pd.Series(actual - fitted.to_numpy(), index=fitted.index, name="resid")

    def _check_hold_back(self, order: int, name: str, n_exog: int) -> int:
        """``hold_back``, or ``order`` when it is None; at least the order (and 1 when the
        observed covariates, used one step late, are there)."""
        least = max(order, 1 if n_exog else 0)
        if self.hold_back is None:
            return least
        hold_back = check_int(self.hold_back, "hold_back", min_value=0)
        if hold_back < least:
            why = f"{name}={order}" if hold_back < order else "1 with X (X enters lagged)"
            raise ValueError(f"hold_back={hold_back} must be >= {why}")
        return hold_back

    def _set_fitted(self) -> None:
        """Read the coefficients and criteria off the least-squares states."""
        trend, model = self._trend, self._models[0][1]
        k_trend = n_trend(trend)
        self.params_ = params = model.solve()
        self.intercept_ = float(params[0]) if "c" in trend else 0.0
        self.trend_coef_ = float(params[k_trend - 1]) if "t" in trend else 0.0
        self.coef_ = params[k_trend : k_trend + self.order_]
        self.nobs_ = model.nobs
        self.sigma2_ = model.ssr / model.nobs
        self.llf_, self.aic_, self.bic_ = information_criteria(model.ssr, model.nobs, len(params))
        if self._direct:
            self.direct_params_ = np.vstack([m.solve() for _, m in self._models])
            self.direct_sigma2_ = np.array([m.ssr / m.nobs for _, m in self._models])
        else:
            self.direct_params_ = self.direct_sigma2_ = None

    def forecast_values(self, horizon: int, X_known: Any = None) -> np.ndarray:
        """The point forecasts of steps 1..horizon, shape (horizon,): ``predict``'s values.

        With the data seen ``y_0, ..., y_{n-1}`` (time counted from the estimation window's
        first value ``lo``), step h forecasts position ``n - 1 + h``. Recursive:
        ``y^_{n-1+h} = c + d (n - lo + h) + sum_i phi_i y~_{n-1+h-i} + beta . X_{n-1}
        [h = 1] + gamma . X_known_{n-1+h}`` where ``y~`` is the observation when it exists
        and the forecast otherwise (a loop that feeds each forecast back as a lag); the
        observed covariates ``X`` are known for the first step only. Direct: step h applies
        its own model to the last tau observations and ``X_{n-1}``.
        ``X_known``: an array of shape (horizon, k_known) (or what :meth:`predict` takes).
        """
        if not hasattr(self, "_history"):  # cheap test first: runs once per walk-forward step
            check_is_fitted(self)
        horizon = check_horizon(horizon)
        y, n, p, trend = self._history.values, len(self._history), self.order_, self._trend
        if horizon == 1 and self._cov is None and X_known is None and not self._direct:
            # one step (a walk-forward's): the lags are observed
            return np.array([self.intercept_ + self.trend_coef_ * (n - self._lo + 1)
                             + self.coef_[::-1].dot(y[n - p :])])
        known = self._known_rows(X_known, horizon)
        if self.n_exog_ and self.direct_params_ is None and horizon > 1:
            raise ValueError(
                f"horizon={horizon} needs the observed covariates X after the origin (X_t "
                "enters the model of y_(t+1)), which are not known: forecast one step, or use "
                "strategy='direct' (each step's model uses X at the origin), or pass the "
                "covariates known in advance as X_known"
            )
        lo, k_lags = self._lo, n_trend(trend) + p
        if self.direct_params_ is not None:
            _check_direct_horizon(horizon, len(self.direct_params_))
            forecasts = np.empty(horizon)
            for h in range(1, horizon + 1):  # model h reads y_{n-1}, ..., y_{n-tau}, X_{n-1}
                x = design_row(y, trend, self._models[h - 1][0], n + h - 1, -lo)
                forecasts[h - 1] = x @ self.direct_params_[h - 1][:k_lags]
            return forecasts + self._covariate_terms(known, horizon)
        c, d, phi_reversed = self.intercept_, self.trend_coef_, self.coef_[::-1]
        extra = self._covariate_terms(known, horizon)
        path = np.empty(p + horizon)  # the last tau observations, then the forecasts
        path[:p] = y[n - p :]
        for h in range(p, p + horizon):  # path[h] is position t = n - p + h of the series
            # y^_t = c + d (t - lo + 1) + phi_tau y~_{t-tau} + ... + phi_1 y~_{t-1} + cov
            path[h] = c + d * (n - p + h + 1 - lo) + phi_reversed @ path[h - p : h] + extra[h - p]
        return path[p:]

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


def _check_direct_horizon(horizon: int, max_horizon: int) -> None:
    if horizon > max_horizon:
        raise ValueError(
            f"horizon={horizon} exceeds max_horizon={max_horizon}, the number of direct "
            "models fitted; refit with a larger max_horizon"
        )
