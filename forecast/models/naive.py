"""Naive baselines: random walk, mean, drift and seasonal naive, with their standard intervals.

Every comparison in the package shows the random walk (``strategy="last"``): on stock
prices it is the forecast to beat. The point forecasts and interval widths follow Hyndman &
Athanasopoulos, *Forecasting: Principles and Practice* (3rd ed.), sections 5.2 and 5.5.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from forecast._numeric import FloatRangeError, pow2_scaled, rescale, scaled_difference
from forecast._validation import check_choice, check_int, check_series
from forecast.models.base import (
    SeriesForecaster,
    check_horizon,
    interval_frame,
    normal_quantile,
    refuse_exog,
)
from forecast.models.history import SeriesHistory
from forecast.models.running_moments import fold, moments_of, safe

logger = logging.getLogger(__name__)

STRATEGIES = ("last", "mean", "drift", "seasonal_last")


class NaiveForecaster(SeriesForecaster):
    """Naive forecasts from the last value, the mean, the drift or the last season.

    With observations ``y_1, ..., y_T`` (T = ``nobs_``, the data of the last (re)fit) and
    the forecast origin at the last value seen, ``y_n``::

        "last"           y^_{n+h} = y_n                        sigma_h = sigma sqrt(h)
        "mean"           y^_{n+h} = mean(y_1..y_T)             sigma_h = sigma sqrt(1 + 1/T)
        "drift"          y^_{n+h} = y_n + h d,                 sigma_h = sigma sqrt(h (1 + h/(T-1)))
                         d = (y_T - y_1) / (T - 1)
        "seasonal_last"  y^_{n+h} = y_{n+h-m(k+1)},            sigma_h = sigma sqrt(k + 1)
                         m = sp, k = floor((h - 1) / m)

    ``sigma^2`` is the mean squared one-step residual, with the estimated parameter
    removed from the count: residuals ``y_t - y_{t-1}`` ("last", divisor T - 1),
    ``y_t - mean`` ("mean", T - 1), ``y_t - y_{t-1} - d`` ("drift", T - 2),
    ``y_t - y_{t-m}`` ("seasonal_last", T - m); a ``sigma^2`` beyond float64 (residuals
    above about 1e154) is a :class:`~forecast._numeric.FloatRangeError` in ``fit``. The drift
    interval uses ``T - 1`` (the
    number of changes ``d`` averages): ``Var(y_{n+h} - y^_{n+h}) = sigma^2 (h + h^2 / (T-1))``.
    ``update(y_new, refit=True)`` re-estimates ``mean_``, ``drift_`` and ``sigma2_`` on all
    data seen, in constant time per new value (running compensated sums and Welford's
    moments, :mod:`forecast.models.running_moments`, equal to a recomputation to rounding);
    ``refit=False`` keeps them (the last value and the last season still move on).

    Parameters
    ----------
    strategy : {"last", "mean", "drift", "seasonal_last"}, default="last"
        "last" is the random walk.
    sp : int, default=1
        Seasonal period m for "seasonal_last" (``>= 1``); ignored otherwise.

    Attributes
    ----------
    mean_ : float
        Mean of the training data.
    drift_ : float
        ``(y_T - y_1) / (T - 1)``, the average change.
    sigma2_ : float
        One-step residual variance of the strategy (see above).
    nobs_ : int
        T, the number of observations of the last fit (or ``update(refit=True)``).
    index_ : pandas.Index
        Read-only property: labels of all observations seen.

    Examples
    --------
    >>> import forecast
    >>> close = forecast.load_dataset("sp500")["close"]
    >>> rw = NaiveForecaster().fit(close)
    >>> bool((rw.predict(5) == close.iloc[-1]).all())
    True
    >>> band = rw.predict_interval(4)
    >>> bool(np.allclose(band["upper"] - band["lower"],
    ...                  2 * 1.959964 * np.sqrt(rw.sigma2_ * np.arange(1, 5))))
    True
    """

    def __init__(self, *, strategy: str = "last", sp: int = 1) -> None:
        self.strategy = strategy
        self.sp = sp

    def fit(self, y: Any, X: Any = None) -> NaiveForecaster:
        """Estimate the mean, drift and residual variance from ``y``.

        Parameters
        ----------
        y : pandas.Series or array-like of shape (n,)
            Oldest first; at least 2 values (3 for "drift", ``sp + 1`` for "seasonal_last").
        X : None
            Not supported.

        Returns
        -------
        self
        """
        refuse_exog(X, type(self).__name__)
        strategy = check_choice(self.strategy, "strategy", STRATEGIES)
        sp = check_int(self.sp, "sp", min_value=1) if strategy == "seasonal_last" else 1
        min_length = {"last": 2, "mean": 2, "drift": 3, "seasonal_last": sp + 1}[strategy]
        values, index = check_series(y, "y", min_length=min_length)
        self._strategy, self._sp = strategy, sp
        self._history = SeriesHistory(values, index)
        self._estimate(values)
        self._moments = moments_of(values, strategy, sp) if safe(values) else None
        return self

    def _observed(self, new: np.ndarray, refit: bool) -> None:
        """After ``update``: ``refit`` re-estimates ``mean_``, ``drift_`` and ``sigma2_`` on
        all data seen; without it they stay (the last value and season still move on)."""
        if refit:
            y = self._history.values
            if self._moments is not None and safe(y[int(self._moments[-1]) :]):
                self._moments = fold(self._moments, y, self._strategy, self._sp)
                self._from_moments(y)
            else:  # values whose squares could leave float64: the scaled recomputation
                self._estimate(y)
                self._moments = None

    def _from_moments(self, y: np.ndarray) -> None:
        """Set ``mean_``, ``drift_``, ``sigma2_`` and ``nobs_`` from the running sums."""
        s, s_comp, n_b, mean_b, m2_b, sq, sq_comp, _ = self._moments.tolist()
        T, strategy = len(y), self._strategy
        self.nobs_ = T
        self.mean_ = (s + s_comp) / T
        self.drift_ = (float(y[-1]) - float(y[0])) / (T - 1)  # values below 1e100: no overflow
        if strategy == "mean":
            self.sigma2_ = m2_b / (T - 1)
        elif strategy == "drift":  # residuals around drift_, not around the mean of b
            self.sigma2_ = (m2_b + n_b * (mean_b - self.drift_) ** 2) / (T - 2)
        else:  # "last", "seasonal_last": no parameter removed
            self.sigma2_ = (sq + sq_comp) / (T - (self._sp if strategy == "seasonal_last" else 1))

    def predict_interval(self, horizon: int, coverage: float = 0.95) -> pd.DataFrame:
        """Gaussian prediction intervals ``forecast -/+ z * sigma_h``.

        Returns
        -------
        pandas.DataFrame with columns ["lower", "upper"], indexed like :meth:`predict`.
        """
        check_is_fitted(self)
        horizon = check_horizon(horizon)
        z = normal_quantile(coverage)
        h, T, strategy = np.arange(1, horizon + 1), self.nobs_, self._strategy
        if strategy == "last":
            factor = np.sqrt(h)  # sigma_h / sigma
        elif strategy == "mean":
            factor = np.full(horizon, np.sqrt(1 + 1 / T))
        elif strategy == "drift":
            factor = np.sqrt(h * (1 + h / (T - 1)))
        else:
            factor = np.sqrt((h - 1) // self._sp + 1)
        std = np.sqrt(self.sigma2_) * factor
        index = self._history.future_index(horizon)
        return interval_frame(self.forecast_values(horizon), std, z, index)

    def _estimate(self, y: np.ndarray) -> None:
        """Set ``mean_``, ``drift_``, ``sigma2_`` and ``nobs_`` from the observations ``y``."""
        T, sp = len(y), self._sp
        self.nobs_ = T
        y_s, k = pow2_scaled(y)  # y = y_s * 2**k (exact): the sum cannot overflow
        self.mean_ = rescale(np.mean(y_s), k, "the mean mean_")
        change, k = scaled_difference(y[-1:], y[:1])  # y_T - y_1 without overflow
        self.drift_ = rescale(change[0] / (T - 1), k, "the drift drift_")
        with np.errstate(over="ignore", invalid="ignore"):  # an inf is refused below
            if self._strategy == "last":
                resid, n_params = np.diff(y), 0
            elif self._strategy == "mean":
                resid, n_params = y - self.mean_, 1
            elif self._strategy == "drift":
                resid, n_params = np.diff(y) - self.drift_, 1
            else:
                resid, n_params = y[sp:] - y[:-sp], 0
        if not np.isfinite(resid).all():
            raise FloatRangeError(
                f"a one-step residual of strategy={self._strategy!r} overflows float64 "
                "(beyond 1.8e308); rescale y, e.g. divide it by a power of 10"
            )
        # resid = r * 2**k (exact): the squares neither overflow nor underflow on the way
        r, k = pow2_scaled(resid)
        self.sigma2_ = rescale(r @ r / (len(resid) - n_params), 2 * k, "the variance sigma2_")
        logger.debug("%s: sigma2=%g over %d observations", self._strategy, self.sigma2_, T)

    def forecast_values(self, horizon: int) -> np.ndarray:
        """The point forecasts of steps 1..horizon (see the class docstring for the formulas)."""
        check_is_fitted(self)
        horizon = check_horizon(horizon)
        y = self._history.values
        h = np.arange(1, horizon + 1)
        if self._strategy == "last":
            return np.full(horizon, y[-1])
        if self._strategy == "mean":
            return np.full(horizon, self.mean_)
        if self._strategy == "drift":
            return y[-1] + h * self.drift_
        n, m = len(y), self._sp  # seasonal_last: y_{n+h-m(k+1)}, position n - m + (h-1) % m
        return y[n - m + (h - 1) % m].copy()
