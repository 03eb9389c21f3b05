"""Leak-free scikit-learn transformers for price series, each with an exact inverse.

``LogReturns``, ``SimpleReturns`` and ``Differencer`` turn levels into increments; their
``inverse_transform(increments, start=...)`` integrates increments back into levels, starting
by default from the last level seen in ``fit``. So: fit on the training prices, forecast the
returns, ``inverse_transform`` the forecast, and the prices continue from the last training
price. ``Standardizer`` is z-scoring with mean and scale from the fit data only.

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

from forecast._validation import check_finite, check_int, check_positive, check_series

__all__ = ["Differencer", "LogReturns", "SimpleReturns", "Standardizer"]


# ---------------------------------------------------------------- shared input/output helpers


def _read(X: Any, min_length: int = 1) -> np.ndarray:
    """Validate ``X`` (1-D or 2-D, finite, sorted unique index) and return float64 values."""
    values, _ = check_series(X, "X", min_length=min_length, allow_2d=True)
    return values


def _n_features(values: np.ndarray) -> int:
    return 1 if values.ndim == 1 else values.shape[1]


def _check_n_features(estimator: BaseEstimator, values: np.ndarray) -> None:
    n = _n_features(values)
    if n != estimator.n_features_in_:
        raise ValueError(
            f"X has {n} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input (1-D input counts as 1 feature)"
        )


def _check_prices(X: Any, values: np.ndarray, name: str = "X") -> None:
    """Refuse prices <= 0, naming the value, its position and (2-D) its column."""
    index = X.index if isinstance(X, (pd.Series, pd.DataFrame)) else None
    if values.ndim == 1:
        check_positive(values, index, name)
        return
    columns = X.columns if isinstance(X, pd.DataFrame) else range(values.shape[1])
    for j, column in enumerate(columns):
        check_positive(values[:, j], index, f"{name} column {column!r}")


def _wrap(X: Any, values: np.ndarray, rows: slice = slice(None)) -> Any:
    """Return ``values`` as the same kind as ``X``, with ``X``'s index sliced by ``rows``."""
    if isinstance(X, pd.Series):
        return pd.Series(values, index=X.index[rows], name=X.name)
    if isinstance(X, pd.DataFrame):
        return pd.DataFrame(values, index=X.index[rows], columns=X.columns)
    return values


def _check_start(start: Any, values: np.ndarray, n_levels: int | None, positive: bool) -> Any:
    """Validate a user's ``start`` for increments ``values``.

    ``n_levels=None`` (returns): one level per feature, shape ``()`` or ``(n_features,)``.
    Otherwise (differences): ``n_levels`` rows of such levels; a scalar counts as one row.
    A level without the feature axis is shared by every feature.
    """
    start = np.asarray(start, dtype=np.float64)
    if n_levels is not None and start.ndim == 0:
        start = start.reshape(1)
    lead = () if n_levels is None else (n_levels,)
    want = (*lead, *values.shape[1:])
    if start.shape[: len(lead)] != lead:
        raise ValueError(
            f"start must hold the last {n_levels} level(s), shape {want}, got shape {start.shape}"
        )
    if start.shape[len(lead) :] not in ((), (_n_features(values),)):
        raise ValueError(
            f"start of shape {start.shape} does not match X with {_n_features(values)} "
            f"feature(s); expected shape {want}"
        )
    check_finite(np.atleast_1d(start), None, "start")
    if positive:
        check_positive(start.reshape(-1), None, "start")
    return start


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
        values = _read(X)
        _check_prices(X, values)
        self.n_features_in_ = _n_features(values)
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
        check_is_fitted(self)
        p = _read(X, min_length=2)
        _check_prices(X, p)
        _check_n_features(self, p)
        return _wrap(X, self._returns(p), slice(1, None))

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
        check_is_fitted(self)
        r = _read(X)
        _check_n_features(self, r)
        start = self.last_value_ if start is None else _check_start(start, r, None, True)
        return _wrap(X, self._prices(r, start))


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
        return np.log(p[1:] / p[:-1])  # r_t = log(p_t / p_{t-1})

    @staticmethod
    def _prices(r: np.ndarray, start: Any) -> np.ndarray:
        return start * np.exp(np.cumsum(r, axis=0))  # p_k = p_0 * exp(r_1 + ... + r_k)


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
    :class:`LogReturns` for such series).

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
        values = _read(X, min_length=order)
        self.n_features_in_ = _n_features(values)
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
        y = _read(X, min_length=d + 1)
        _check_n_features(self, y)
        z = np.diff(y, n=d, axis=0)  # (D y)_t = y_t - y_{t-1}, applied d times
        return _wrap(X, z, slice(d, None))

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
        check_is_fitted(self)
        z = _read(X)
        _check_n_features(self, z)
        d = len(self.last_values_)  # the order used in fit
        start = self.last_values_ if start is None else _check_start(start, z, d, False)
        for j in range(d - 1, -1, -1):
            a_j = np.diff(start, n=j, axis=0)[-1]  # (D^j y)_t, the last value before z
            z = a_j + np.cumsum(z, axis=0)  # (D^j y)_{t+k} = a_j + sum_{i<=k} (D^{j+1} y)_{t+i}
        return _wrap(X, z)


# --------------------------------------------------------------------------------- scaling


class Standardizer(TransformerMixin, BaseEstimator):
    """Standard scaling ``z = (x - mean_) / scale_`` with statistics from the fit data only.

    ``mean_ = sum(x) / n`` and ``scale_ = sqrt(sum((x - mean_)^2) / n)`` (population
    standard deviation, ``ddof=0``, as ``sklearn.preprocessing.StandardScaler``), column by
    column. A constant column (every value equal, or a spread so small that the standard
    deviation underflows to 0) gets ``scale_ = 1``: it is centred and not scaled, as in
    StandardScaler, rather than divided by zero. The inverse is
    ``x = z * scale_ + mean_``. Output has as many rows as input.

    Parameters
    ----------
    with_mean : bool, default=True
        Subtract the mean; if False, ``mean_`` is 0.
    with_std : bool, default=True
        Divide by the standard deviation; if False, ``scale_`` is 1.

    Attributes
    ----------
    mean_ : float or ndarray of shape (n_features,)
    scale_ : float or ndarray of shape (n_features,)
    n_features_in_ : int
    n_samples_seen_ : int

    Examples
    --------
    >>> import numpy as np
    >>> train, test = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0])
    >>> sc = Standardizer().fit(train)
    >>> sc.mean_, round(sc.scale_, 4)
    (2.0, 0.8165)
    >>> np.round(sc.transform(test), 4)                # scaled with the training statistics
    array([2.4495, 3.6742])
    >>> sc.inverse_transform(sc.transform(test))
    array([4., 5.])
    """

    def __init__(self, *, with_mean: bool = True, with_std: bool = True) -> None:
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X: Any, y: Any = None) -> Standardizer:
        """Compute ``mean_`` and ``scale_`` from ``X``.

        Parameters
        ----------
        X : array-like, Series or DataFrame of shape (n_obs,) or (n_obs, n_features)
        y : ignored

        Returns
        -------
        self
        """
        x = _read(X)
        zero = np.zeros(x.shape[1:])
        mean = x.mean(axis=0) if self.with_mean else zero
        scale = x.std(axis=0) if self.with_std else zero + 1.0
        constant = (x.max(axis=0) == x.min(axis=0)) | (scale == 0.0)  # 0: spread underflows
        scale = np.where(constant, 1.0, scale)  # a constant column is centred, not scaled
        self.n_features_in_ = _n_features(x)
        self.n_samples_seen_ = len(x)
        self.mean_ = float(mean) if x.ndim == 1 else mean
        self.scale_ = float(scale) if x.ndim == 1 else scale
        return self

    def transform(self, X: Any) -> Any:
        """Return ``z = (x - mean_) / scale_``.

        Parameters
        ----------
        X : array-like, Series or DataFrame of shape (n_obs,) or (n_obs, n_features)

        Returns
        -------
        z : same kind, shape and index as X
        """
        check_is_fitted(self)
        x = _read(X)
        _check_n_features(self, x)
        return _wrap(X, (x - self.mean_) / self.scale_)

    def inverse_transform(self, X: Any) -> Any:
        """Return ``x = z * scale_ + mean_``.

        Parameters
        ----------
        X : array-like, Series or DataFrame of shape (n_obs,) or (n_obs, n_features)

        Returns
        -------
        x : same kind, shape and index as X
        """
        check_is_fitted(self)
        z = _read(X)
        _check_n_features(self, z)
        return _wrap(X, z * self.scale_ + self.mean_)
