"""AR(tau) as a scikit-learn regressor on windows, for pipelines, grid search and backtests.

Where :class:`~forecast.models.ar.ARForecaster` takes a series, ``ARRegressor`` takes the
supervised windows that :func:`forecast.make_windows` cuts from it: row ``i`` of ``X`` holds
``tau`` consecutive values, oldest first, and ``y[i]`` the value after them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from forecast._validation import check_float
from forecast.models._lstsq import ridge_lstsq


class ARRegressor(RegressorMixin, BaseEstimator):
    """Least-squares (optionally ridge) linear model of the next value on a window.

    ``y^ = intercept + sum_j coef[j] * X[:, j]``, minimising
    ``||y - X coef - intercept||^2 + alpha ||coef||^2`` (the intercept is not penalised:
    ``X`` and ``y`` are centred first, then ``intercept = mean(y) - mean(X) . coef``). The
    least squares run on ``[X; sqrt(alpha) I]`` by an SVD-based solver, never on
    ``X^T X``, so raw prices (almost collinear columns) keep their precision.

    With ``alpha=0`` and windows of width tau this is the AR(tau) of ``ARForecaster(tau,
    trend="c")`` fitted on the same targets: ``coef_`` equals that model's ``coef_``
    reversed (here the oldest lag comes first, as in the windows).

    Parameters
    ----------
    alpha : float, default=0.0
        Ridge penalty, ``>= 0``.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        One weight per column of ``X``: **oldest value first**, the last weight multiplies
        the newest value (lag 1).
    intercept_ : float
        0.0 when ``fit_intercept=False``.
    n_features_in_ : int
        tau, the window width seen in ``fit``.

    Examples
    --------
    >>> import forecast
    >>> returns = np.log(forecast.load_dataset("sp500")["close"]).diff().dropna()
    >>> X, Y = forecast.make_windows(returns, window=5)
    >>> reg = ARRegressor().fit(X, Y[:, 0])
    >>> ar = forecast.ARForecaster(5).fit(returns)
    >>> bool(np.allclose(reg.coef_[::-1], ar.coef_, rtol=1e-8))
    True
    """

    def __init__(self, *, alpha: float = 0.0, fit_intercept: bool = True) -> None:
        self.alpha = alpha
        self.fit_intercept = fit_intercept

    def fit(self, X: Any, y: Any) -> ARRegressor:
        """Fit the weights by (ridge) least squares.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Windows of past values, oldest first in each row.
        y : array-like of shape (n_samples,)
            The value that follows each window.

        Returns
        -------
        self
        """
        _refuse_none(X)
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        alpha = check_float(self.alpha, "alpha", min_value=0.0)
        if not isinstance(self.fit_intercept, (bool, np.bool_)):
            raise TypeError(f"fit_intercept must be a bool, got {self.fit_intercept!r}")
        if self.fit_intercept:
            X_mean, y_mean = X.mean(axis=0), y.mean()
            coef = ridge_lstsq(X - X_mean, y - y_mean, alpha)
            intercept = y_mean - X_mean @ coef  # b = mean(y) - mean(X) . w
        else:
            coef, intercept = ridge_lstsq(X, y, alpha), 0.0
        self.coef_, self.intercept_ = coef, float(intercept)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predict the value that follows each window.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        _refuse_none(X)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_ + self.intercept_


def _refuse_none(X: Any) -> None:
    if X is None:  # scikit-learn's message would speak of "a scalar array nan"
        raise TypeError(
            "X must be an array-like of windows of shape (n_samples, window), got X=None; "
            "build them with forecast.make_windows"
        )
