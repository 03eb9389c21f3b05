"""Leak-free scikit-learn transformers for price series, each with an exact inverse.

``LogReturns``, ``SimpleReturns`` and ``Differencer`` turn levels into increments; their
``inverse_transform(increments, start=...)`` integrates increments back into levels, starting
by default from the last level seen in ``fit``. So: fit on the training prices, forecast the
returns, ``inverse_transform`` the forecast, and the prices continue from the last training
price. ``Standardizer`` (:mod:`forecast.scaling`, re-exported here) is z-scoring with mean and
scale from the fit data only.

Every transformer takes a 1-D array or Series, or a 2-D array or DataFrame (one series per
column), and returns the same kind: a Series or DataFrame keeps the matching part of its
index and its name/columns. NaN, inf, and an unsorted or duplicated index are refused.
Arrays are ``(n_obs,)`` or ``(n_obs, n_features)``; fitted scalars are floats for 1-D input
and ``(n_features,)`` arrays for 2-D input.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from forecast._transform_io import (
    check_n_features,
    check_prices,
    check_start,
    describe_position,
    n_features,
    read_fitted,
    read_values,
    refuse_overflow,
    wrap_like,
)
from forecast._validation import check_int
from forecast.scaling import Standardizer

__all__ = ["Differencer", "LogReturns", "SimpleReturns", "Standardizer"]  # Standardizer: scaling


# ------------------------------------------------------------------------------ returns


class _Returns(TransformerMixin, BaseEstimator):
    """Shared fit/transform/inverse of LogReturns and SimpleReturns (see those)."""

    def fit(self, X: Any, y: Any = None) -> _Returns:
        """Check that ``X`` holds positive prices and remember the last one.

        Parameters
        ----------
        X : array-like, Series or DataFrame of shape (n_obs,) or (n_obs, n_features)
            Prices, oldest first, all > 0.
        y : ignored

        Returns
        -------
        self
        """
        values = read_values(X)
        check_prices(X, values)
        self.n_features_in_ = n_features(values)
        self.last_value_ = values[-1].copy() if values.ndim == 2 else float(values[-1])
        return self

    def transform(self, X: Any) -> Any:
        """Return the returns ``r_1 .. r_{n-1}`` of ``n`` prices (formula in the class doc).

        Parameters
        ----------
        X : array-like, Series or DataFrame of shape (n_obs,) or (n_obs, n_features)
            Prices, at least 2, all > 0.

        Returns
        -------
        returns : same kind as X, shape (n_obs - 1,) or (n_obs - 1, n_features)
            A Series or DataFrame keeps ``X.index[1:]``: return ``t`` is labelled by the
            date of ``p_t``.
        """
        p = read_fitted(self, X, min_length=2)
        check_prices(X, p)
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            r = self._returns(p)
        labels = X.iloc[1:] if isinstance(X, (pd.Series, pd.DataFrame)) else r
        fix = "model log prices with LogReturns, or rescale X"
        return wrap_like(X, refuse_overflow(labels, r, "the return", fix), slice(1, None))

    def inverse_transform(self, X: Any, start: Any = None) -> Any:
        """Compound returns onto ``start`` into prices (formula in the class doc).

        Parameters
        ----------
        X : array-like, Series or DataFrame of shape (m,) or (m, n_features)
            Returns, oldest first (e.g. a multi-step forecast of them).
        start : float or array-like of shape (n_features,), default=None
            The price just before the first return, > 0; ``None`` means ``last_value_``.

        Returns
        -------
        prices : same kind, shape and index as X
            ``prices[k]`` is the price after return ``k``; ``start`` is not included.
        """
        r = read_fitted(self, X)
        self._check_returns(X, r)
        start = self.last_value_ if start is None else check_start(start, r, None, True)
        start = np.asarray(start, dtype=np.float64)
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            prices = self._prices(r, start)
            off = ~np.isfinite(prices) | (prices == 0)  # over- or underflow on the way?
            if off.any():  # the same product summed in logs: p_k = exp(log p_0 + sum log(1 + r))
                log_prices = np.log(start) + np.cumsum(self._log_growth(r), axis=0)
                prices = np.where(off, np.exp(log_prices), prices)
        return wrap_like(X, self._checked_prices(X, r, prices))

    def _check_returns(self, X: Any, r: np.ndarray) -> None:
        """Refuse returns that no positive price path can have (none for log returns)."""

    def _checked_prices(self, X: Any, r: np.ndarray, prices: np.ndarray) -> np.ndarray:
        """Refuse prices beyond float64 (inf); one below 4.9e-324 rounds to 0 as usual."""
        return refuse_overflow(X, prices, "the compounded price", "rescale start or the returns")


class LogReturns(_Returns):
    """Log returns ``r_t = log(p_t / p_{t-1})`` and their inverse, prices from returns.

    ``transform`` maps ``n`` prices to ``n - 1`` returns (a Series keeps ``index[1:]``).
    ``inverse_transform(r, start)`` compounds returns onto a starting price::

        p_{t+k} = start * exp(r_{t+1} + ... + r_{t+k}),     k = 1 .. len(r)

    so ``inverse_transform(transform(p), start=p[0])`` gives back ``p[1:]`` (to about
    ``1e-12`` relative on 5000 daily closes). ``start`` defaults to ``last_value_``, the
    last price seen in ``fit``: a forecast of the returns after the training data becomes a
    forecast of the prices. ``transform`` learns nothing from ``fit``: each return reads
    only the two prices it names, so nothing at time ``t`` reads data after ``t``. Prices
    must be strictly positive; a price <= 0 is a ValueError naming it and its position.
    A ratio ``p_t / p_{t-1}`` beyond float64 is taken as ``log p_t - log p_{t-1}``; a
    compounded price is summed in logs when the product over- or underflows on the way, and
    one beyond float64 raises :class:`~forecast._numeric.FloatRangeError`.

    Attributes
    ----------
    last_value_ : float or ndarray of shape (n_features,)
        The last price of the data passed to ``fit``.
    n_features_in_ : int
        Number of series (1 for 1-D input).

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([100.0, 110.0, 99.0])
    >>> lr = LogReturns().fit(p)
    >>> r = lr.transform(p)
    >>> np.round(r, 4)
    array([ 0.0953, -0.1054])
    >>> lr.inverse_transform(r, start=p[0])                    # back to p[1:]
    array([110.,  99.])
    >>> np.round(lr.inverse_transform(np.array([0.01, -0.01])), 4)  # continue from 99
    array([99.995, 99.   ])

    On real closes: fit on the training part, turn a forecast of returns into prices.

    >>> import forecast
    >>> close = forecast.load_dataset("sp500")["close"]
    >>> train = close.iloc[:-5]
    >>> lr = LogReturns().fit(train)
    >>> random_walk = np.zeros(5)                 # a forecast of zero returns
    >>> bool(np.all(lr.inverse_transform(random_walk) == train.iloc[-1]))
    True
    """

    @staticmethod
    def _returns(p: np.ndarray) -> np.ndarray:
        ratio = p[1:] / p[:-1]
        r = np.log(ratio)  # r_t = log(p_t / p_{t-1})
        off = ~np.isfinite(ratio) | (ratio < np.finfo(np.float64).tiny)  # ratio out of range
        if off.any():  # the same return as log p_t - log p_{t-1}, finite for any prices > 0
            r = np.where(off, np.log(p[1:]) - np.log(p[:-1]), r)
        return r

    @staticmethod
    def _prices(r: np.ndarray, start: Any) -> np.ndarray:
        return start * np.exp(np.cumsum(r, axis=0))  # p_k = p_0 * exp(r_1 + ... + r_k)

    @staticmethod
    def _log_growth(r: np.ndarray) -> np.ndarray:
        return r  # log(p_t / p_{t-1})


class SimpleReturns(_Returns):
    """Simple returns ``r_t = p_t / p_{t-1} - 1`` and their inverse, prices from returns.

    ``transform`` maps ``n`` prices to ``n - 1`` returns (a Series keeps ``index[1:]``).
    ``inverse_transform(r, start)`` compounds returns onto a starting price::

        p_{t+k} = start * (1 + r_{t+1}) * ... * (1 + r_{t+k}),     k = 1 .. len(r)

    ``start`` defaults to ``last_value_``, the last price seen in ``fit``. Prices must be
    strictly positive (a return is undefined after a zero price); a price <= 0 is a
    ValueError naming it and its position. The round trip is exact to about ``1e-15 * k``
    relative after ``k`` steps, unless a return comes close to -1 (a near-total loss):
    ``1 + r`` then keeps fewer significant digits of ``p_t / p_{t-1}`` (prefer
    :class:`LogReturns` for such series). A return below -1 (a loss of more than the whole
    price) is impossible and ``inverse_transform`` refuses it with a ValueError naming its
    position; a return of exactly -1 is a total loss, after which the price stays 0.
    A return or price beyond float64 raises :class:`~forecast._numeric.FloatRangeError`.

    Attributes
    ----------
    last_value_ : float or ndarray of shape (n_features,)
        The last price of the data passed to ``fit``.
    n_features_in_ : int
        Number of series (1 for 1-D input).

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([100.0, 110.0, 99.0])
    >>> sr = SimpleReturns().fit(p)
    >>> sr.transform(p)
    array([ 0.1, -0.1])
    >>> sr.inverse_transform(np.array([0.1, -0.1]), start=100.0)
    array([110.,  99.])
    """

    @staticmethod
    def _returns(p: np.ndarray) -> np.ndarray:
        return p[1:] / p[:-1] - 1.0  # r_t = p_t / p_{t-1} - 1

    @staticmethod
    def _prices(r: np.ndarray, start: Any) -> np.ndarray:
        return start * np.cumprod(1.0 + r, axis=0)  # p_k = p_0 * (1 + r_1) * ... * (1 + r_k)

    @staticmethod
    def _log_growth(r: np.ndarray) -> np.ndarray:
        return np.log1p(r)  # log(1 + r_t); -inf for a total loss (r_t = -1)

    def _check_returns(self, X: Any, r: np.ndarray) -> None:
        """Refuse a return below -1: a price cannot fall by more than all of it."""
        below = r < -1.0
        if below.any():
            flat = int(np.argmax(below.reshape(-1)))
            n_cols = 1 if r.ndim == 1 else r.shape[1]
            where = describe_position(X, flat, n_cols)
            raise ValueError(
                f"X holds a simple return of {float(r.reshape(-1)[flat])} at {where}, "
                f"below -1 ({int(below.sum())} such value(s)): a "
                "price cannot lose more than all of its value, so no price path has it. "
                "Check that X holds simple returns (not log returns or differences)"
            )


# ---------------------------------------------------------------------------- differencing


class Differencer(TransformerMixin, BaseEstimator):
    """Differences of order ``d`` and their inverse, levels from differences.

    ``transform`` applies ``d`` times ``(D y)_t = y_t - y_{t-1}``, mapping ``n`` values to
    ``n - d`` (a Series keeps ``index[d:]``); for ``d = 2``:
    ``(D^2 y)_t = y_t - 2 y_{t-1} + y_{t-2}``. ``inverse_transform(z, start)`` undoes it
    from the ``d`` levels ``start = (y_{t-d+1}, ..., y_t)`` just before ``z``: with
    ``a_j = (D^j y)_t`` read off ``start``, it integrates ``d`` times::

        for j = d-1 .. 0:   z <- a_j + cumsum(z)
        # i.e. (D^j y)_{t+k} = a_j + sum_{i<=k} (D^{j+1} y)_{t+i}

    ``start`` defaults to ``last_values_``, the last ``d`` levels seen in ``fit``, so
    ``inverse_transform(transform(y), start=y[:d])`` gives back ``y[d:]``.

    Parameters
    ----------
    order : int, default=1
        The number of differences ``d >= 1``.

    Attributes
    ----------
    last_values_ : ndarray of shape (order,) or (order, n_features)
        The last ``order`` levels of the data passed to ``fit``, oldest first.
    n_features_in_ : int
        Number of series (1 for 1-D input).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([1.0, 4.0, 9.0, 16.0, 25.0])
    >>> d2 = Differencer(order=2).fit(y)
    >>> d2.transform(y)
    array([2., 2., 2.])
    >>> d2.inverse_transform(np.array([2.0, 2.0]))     # continues after 16, 25
    array([36., 49.])
    """

    def __init__(self, *, order: int = 1) -> None:
        self.order = order

    def fit(self, X: Any, y: Any = None) -> Differencer:
        """Remember the last ``order`` levels of ``X``.

        Parameters
        ----------
        X : array-like, Series or DataFrame of shape (n_obs,) or (n_obs, n_features)
            Levels, oldest first, at least ``order`` of them.
        y : ignored

        Returns
        -------
        self
        """
        order = check_int(self.order, "order", min_value=1)
        values = read_values(X, min_length=order)
        self.n_features_in_ = n_features(values)
        self.last_values_ = values[-order:].copy()
        return self

    def transform(self, X: Any) -> Any:
        """Return the ``order``-th differences: ``n_obs - order`` rows.

        Parameters
        ----------
        X : array-like, Series or DataFrame of shape (n_obs,) or (n_obs, n_features)
            Levels, at least ``order + 1`` of them.

        Returns
        -------
        differences : same kind as X, shape (n_obs - order,) or (n_obs - order, n_features)
        """
        check_is_fitted(self)
        d = len(self.last_values_)  # the order used in fit
        y = read_values(X, min_length=d + 1)
        check_n_features(self, y)
        with np.errstate(over="ignore", invalid="ignore"):
            z = np.diff(y, n=d, axis=0)  # (D y)_t = y_t - y_{t-1}, applied d times
        labels = X.iloc[d:] if isinstance(X, (pd.Series, pd.DataFrame)) else z
        z = refuse_overflow(labels, z, "the difference", "rescale X, e.g. by a power of 10")
        return wrap_like(X, z, slice(d, None))

    def inverse_transform(self, X: Any, start: Any = None) -> Any:
        """Integrate ``order``-th differences back into levels that continue ``start``.

        Parameters
        ----------
        X : array-like, Series or DataFrame of shape (m,) or (m, n_features)
            ``order``-th differences, oldest first.
        start : array-like of shape (order,) or (order, n_features), default=None
            The ``order`` levels just before the first difference, oldest first; ``None``
            means ``last_values_``. A scalar is accepted when ``order=1``.

        Returns
        -------
        levels : same kind and index as X
        """
        z = read_fitted(self, X)
        d = len(self.last_values_)  # the order used in fit
        start = self.last_values_ if start is None else check_start(start, z, d, False)
        with np.errstate(over="ignore", invalid="ignore"):
            for j in range(d - 1, -1, -1):
                a_j = np.diff(start, n=j, axis=0)[-1]  # (D^j y)_t, the last value before z
                z = a_j + np.cumsum(z, axis=0)  # (D^j y)_{t+k} = a_j + sum_{i<=k} (D^{j+1} y)_{t+i}
        z = refuse_overflow(X, z, "the integrated level", "rescale X and start")
        return wrap_like(X, z)


# --------------------------------------------------------------------------------- scaling
