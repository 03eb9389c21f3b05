"""The covariates side of :class:`~forecast.models.ar.ARForecaster`: kept, checked, applied.

The convention is :mod:`forecast.models.covariates`'s: ``X`` observed (its row ``t - 1``
enters the model of ``y_t``), ``X_known`` known in advance (its row ``t``). The forecaster
keeps both in one buffer ``_cov`` of shape (capacity, k_x + k_known), observed columns
first, one row per observation seen (None without covariates).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from forecast.models._lags import n_trend
from forecast.models.base import SeriesForecaster
from forecast.models.covariates import check_covariates, check_known_future, missing_covariate

__all__ = ["CovariateState"]


class CovariateState(SeriesForecaster):
    """The covariate methods of the AR forecaster (a mixin over the forecaster contract)."""

    _cov: np.ndarray | None
    n_exog_: int
    n_known_: int

    def _covariates_for(self, X: Any, X_known: Any, y_new: Any) -> np.ndarray | None:
        """The covariates of ``update``'s new observations, checked: shape (m, k_x + k_known)."""
        if self._cov is None and X is None and X_known is None:
            return None  # the usual case, quickly
        check_is_fitted(self)
        m, parts = len(y_new), []
        index = y_new.index if isinstance(y_new, pd.Series) else None
        for name, value, k in (("X", X, self.n_exog_), ("X_known", X_known, self.n_known_)):
            if k == 0 and value is not None:
                raise ValueError(
                    f"{type(self).__name__} was fitted without {name}, got {name} of type "
                    f"{type(value).__name__}; pass {name}=None (or fit with {name})"
                )
            if k and value is None:
                raise missing_covariate(name, k, "update", m)
            if k:
                quick = type(value) is np.ndarray and value.dtype == np.float64
                if quick and value.shape == (m, k) and np.isfinite(value).all():
                    parts.append(value)
                else:
                    parts.append(check_covariates(value, m, name, index=index, n_columns=k))
        return parts[0] if len(parts) == 1 else np.hstack(parts)

    def _append_covariates(self, rows: np.ndarray) -> None:
        """Copy the covariates of the values just appended, doubling the buffer when full."""
        stop = len(self._history)
        start = stop - len(rows)
        if stop > len(self._cov):
            grown = np.zeros((2 * stop, self._cov.shape[1]))
            grown[:start] = self._cov[:start]
            self._cov = grown
        self._cov[start:stop] = rows

    def _known_future(self, X_known: Any, horizon: int, future: pd.Index) -> np.ndarray:
        """``predict``'s known covariates, checked against the forecast dates."""
        if not self.n_known_:
            return super()._known_future(X_known, horizon, future)
        return check_known_future(X_known, horizon, self.n_known_, future)

    def _known_rows(self, X_known: Any, horizon: int) -> np.ndarray | None:
        """``X_known`` of :meth:`forecast_values`, checked (None without known covariates)."""
        if not self.n_known_:
            if X_known is not None:
                super()._known_future(X_known, horizon, None)  # refuses it
            return None
        if not (
            type(X_known) is np.ndarray
            and X_known.dtype == np.float64
            and X_known.shape == (horizon, self.n_known_)
            and np.isfinite(X_known).all()
        ):
            X_known = check_known_future(X_known, horizon, self.n_known_)
        return X_known

    def _covariate_terms(self, known: np.ndarray | None, horizon: int) -> np.ndarray:
        """The covariates' part of each step's forecast, shape (horizon,)."""
        terms = np.zeros(horizon)
        if self._cov is None:
            return terms
        first = n_trend(self._trend) + self.order_
        params = self.params_ if self.direct_params_ is None else self.direct_params_[:horizon]
        n_exog, origin = self.n_exog_, len(self._history) - 1
        if n_exog:  # X_{n-1}: step 1 of the recursive model, every step of the direct ones
            terms += params[..., first : first + n_exog] @ self._cov[origin, :n_exog]
        if known is not None:
            beta = params[..., first + n_exog :]
            terms += (known * beta).sum(axis=1) if beta.ndim == 2 else known @ beta
        return terms
