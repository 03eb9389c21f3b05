"""``Standardizer``: z-scoring with the mean and scale of the fit data only (leak-free),
computed on power-of-two scaled values so that extreme magnitudes keep their spread."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from forecast._numeric import pow2_scaled
from forecast._transform_io import n_features, read_fitted, read_values, refuse_overflow, wrap_like

__all__ = ["Standardizer"]


class Standardizer(TransformerMixin, BaseEstimator):
    """Standard scaling ``z = (x - mean_) / scale_`` with statistics from the fit data only.

    ``mean_ = sum(x) / n`` and ``scale_ = sqrt(sum((x - mean_)^2) / n)`` (population
    standard deviation, ``ddof=0``, as ``sklearn.preprocessing.StandardScaler``), column by
    column, computed on the values scaled by a power of two (exact), so neither
    ``[1e300, 2e300, 3e300]`` nor ``[1e-300, 2e-300, 3e-300]`` loses its spread to overflow
    or underflow. A value beyond float64 in ``transform`` or ``inverse_transform`` raises
    :class:`~forecast._numeric.FloatRangeError` naming its position. A constant column (every
    value equal, or a standard deviation below the smallest float64) gets ``scale_ = 1``:
    it is centred and not scaled, as in StandardScaler, rather than divided by zero. The inverse is
    ``x = z * scale_ + mean_``. Output has as many rows as input.

    Parameters
    ----------
    with_mean : bool, default=True
        Subtract the mean; if False, ``mean_`` is 0. Anything but a bool is a TypeError
        in ``fit``.
    with_std : bool, default=True
        Divide by the standard deviation; if False, ``scale_`` is 1. Must be a bool.

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
        for name in ("with_mean", "with_std"):
            value = getattr(self, name)
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(
                    f"{name} must be True or False, got {name}={value!r} of type "
                    f"{type(value).__name__}; pass a bool"
                )
        x = read_values(X)
        # x = x_s * 2**k column by column (exact), so the squares of the spread neither
        # overflow (values near 1e300) nor underflow (near 1e-300)
        x_s, k = pow2_scaled(x, axis=0)
        zero = np.zeros(x.shape[1:])
        mean = np.ldexp(x_s.mean(axis=0), k) if self.with_mean else zero
        with np.errstate(under="ignore"):
            scale = np.ldexp(x_s.std(axis=0), k) if self.with_std else zero + 1.0
        constant = (x.max(axis=0) == x.min(axis=0)) | (scale == 0.0)  # 0: spread underflows
        scale = np.where(constant, 1.0, scale)  # a constant column is centred, not scaled
        self.n_features_in_ = n_features(x)
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
        x = read_fitted(self, X)
        with np.errstate(over="ignore", invalid="ignore"):
            z = (x - self.mean_) / self.scale_
            off = ~np.isfinite(z)
            if off.any():  # x - mean_ beyond float64: halve both first (exact)
                z = np.where(off, (x * 0.5 - self.mean_ * 0.5) / self.scale_ * 2.0, z)
        fix = "X lies too many scale_ units from mean_; fit on data of the same magnitude"
        return wrap_like(X, refuse_overflow(X, z, "the standardised value", fix))

    def inverse_transform(self, X: Any) -> Any:
        """Return ``x = z * scale_ + mean_``.

        Parameters
        ----------
        X : array-like, Series or DataFrame of shape (n_obs,) or (n_obs, n_features)

        Returns
        -------
        x : same kind, shape and index as X
        """
        z = read_fitted(self, X)
        with np.errstate(over="ignore", invalid="ignore"):
            x = z * self.scale_ + self.mean_
            off = ~np.isfinite(x)
            if off.any():  # z * scale_ beyond float64 on the way: halve both terms (exact)
                x = np.where(off, (z * (self.scale_ * 0.5) + self.mean_ * 0.5) * 2.0, x)
        fix = "the values of X are too large for the fitted scale_"
        return wrap_like(X, refuse_overflow(X, x, "the original-scale value", fix))
