"""The forecaster contract: what every forecaster of one series does, written once.

A forecaster is fitted on one series (``fit(y)``), moved forward with
``update(y_new, refit=False)`` and asked for ``predict(horizon)``: a Series named
"forecast" whose labels follow the data (:func:`forecast._dates.future_index`).
:class:`SeriesForecaster` is that contract for the forecasters that keep their observations
in a :class:`SeriesHistory` (AR, naive, RNN):

* ``predict(horizon)`` is ``forecast_values(horizon)``, the float64 array a subclass
  computes, wrapped with the labels that follow the data;
* ``update`` checks its arguments, appends ``y_new`` to the history and calls the
  subclass's ``_observed(new_values, refit)``; ``update_slice`` does the same for the
  observations ``start..stop - 1`` of a series given as values and index, without building
  a Series;
* ``save``, ``index_`` and what "fitted" means (having a history).

:func:`forecast.backtest` walks a forecaster with ``update_slice`` and ``forecast_values``
(no pandas object per origin) when :func:`walks_by_position` says the forecaster keeps the
contract's own ``update`` and ``predict``; a subclass that overrides either is always
driven through them. The small functions check ``horizon``/``coverage`` and wrap forecasts
the same way for every forecaster.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from forecast._validation import check_float, check_int

__all__ = [
    "SeriesForecaster",
    "check_horizon",
    "check_refit",
    "forecast_series",
    "interval_frame",
    "normal_quantile",
    "refuse_exog",
    "walks_by_position",
]


class SeriesForecaster(BaseEstimator):
    """The forecaster contract for one series, over a :class:`SeriesHistory`.

    A subclass stores ``self._history = SeriesHistory(values, index)`` in ``fit`` (having
    it is what "fitted" means) and writes :meth:`forecast_values` and ``_observed`` (what
    ``update`` does after appending); ``predict``, ``update`` and ``update_slice`` come
    from here. A subclass may write its own ``update`` and ``predict`` instead (the RNN
    forecasters do): ``update_slice`` and ``forecast_values`` then call them.
    """

    def forecast_values(self, horizon: int) -> np.ndarray:
        """The point forecasts of steps 1..horizon from the end of the data seen so far.

        Returns
        -------
        ndarray of float64, shape (horizon,)
            The values of :meth:`predict`, without their labels (a subclass that writes its
            own ``predict`` gets them from it).
        """
        if type(self).predict is SeriesForecaster.predict:  # predict is built on this method
            name = type(self).__name__
            raise NotImplementedError(f"{name} defines neither forecast_values nor predict")
        return np.asarray(self.predict(horizon), dtype=np.float64)

    def predict(self, horizon: int, X_known: Any = None) -> pd.Series:
        """Forecast the next ``horizon`` values from the end of the data seen so far.

        Parameters
        ----------
        horizon : int
            Number of steps.
        X_known : DataFrame or array-like of shape (horizon, k), optional
            Known-in-advance covariates of the forecast steps, required when the forecaster
            was fitted with ``X_known`` (see :mod:`forecast.models.covariates`).

        Returns
        -------
        pandas.Series of length horizon, named "forecast": :meth:`forecast_values` indexed
        by the labels (dates or integers) that follow the data seen (see
        :func:`forecast._dates.future_index`).
        """
        if not hasattr(self, "_history"):  # cheap test first: predict runs once per step
            check_is_fitted(self)
        horizon = check_horizon(horizon)
        future = self._history.future_index(horizon)
        if X_known is None:
            return forecast_series(self.forecast_values(horizon), future)
        known = self._known_future(X_known, horizon, future)
        values = self.forecast_values(horizon, X_known=known)  # type: ignore[call-arg]
        return forecast_series(values, future)

    def _known_future(self, X_known: Any, horizon: int, future: pd.Index) -> Any:
        """Validate ``predict``'s ``X_known`` (not None); a forecaster without covariates
        refuses it (the default)."""
        refuse_exog(X_known, type(self).__name__, "X_known")

    def update(
        self, y_new: Any, refit: bool = False, X: Any = None, X_known: Any = None
    ) -> SeriesForecaster:
        """Append observations that follow the data seen so far; the origin moves to their end.

        Parameters
        ----------
        y_new : pandas.Series or array-like of shape (m,)
            A Series whose first label is after the last one seen (same kind of index), or
            an array (its labels continue the index, see :func:`forecast._dates.future_index`).
        refit : bool, default=False
            False keeps the estimated parameters (the forecasts still start from the new
            end); True re-estimates them on all data seen (the class docstring says how).
        X, X_known : DataFrame or array-like of shape (m, k), optional
            The observed and known-in-advance covariates of the new observations, required
            exactly when ``fit`` had them (see :mod:`forecast.models.covariates`).

        Returns
        -------
        self

        Raises
        ------
        TypeError
            if ``y_new`` has a Series index of another kind (dates or integers) than the
            data seen, or is not numeric; if ``refit`` is not a bool.
        ValueError
            if ``y_new`` is empty, holds NaN/inf, or its first label is not after the last
            label seen so far.
        """
        self._check_update(refit)
        rows = self._covariates_for(X, X_known, y_new)
        new = self._history.append(y_new, "y_new")
        if rows is not None:
            self._append_covariates(rows)
        self._observed(new, refit)
        return self

    def update_slice(
        self,
        values: np.ndarray,
        index: pd.Index,
        start: int,
        stop: int,
        refit: bool = False,
        X: Any = None,
        X_known: Any = None,
    ) -> SeriesForecaster:
        """:meth:`update` with ``pd.Series(values[start:stop], index=index[start:stop])``.

        The same result and the same checks, without building that Series (about 20-40 us
        per call): :func:`forecast.backtest` passes the whole series it walks, with the
        positions not yet seen, at every origin.

        Parameters
        ----------
        values : ndarray of shape (n,)
            The observations of a series (float64 and finite on ``start:stop`` for the quick
            path; anything else is checked as the Series would be).
        index : pandas.Index of length n
            Their labels.
        start, stop : int
            The positions ``start .. stop - 1`` to append.
        refit : bool, default=False
            As in :meth:`update`.
        X, X_known : ndarray of shape (n, k), optional
            The covariates of the whole series, one row per value of ``values``: rows
            ``start .. stop - 1`` are passed on as :meth:`update`'s.

        Returns
        -------
        self
        """
        X_new = None if X is None else X[start:stop]
        known_new = None if X_known is None else X_known[start:stop]
        if type(self).update is not SeriesForecaster.update:  # the subclass's own update
            new = pd.Series(values[start:stop], index=index[start:stop])
            pairs = (("X", X_new), ("X_known", known_new))
            # passed only when given: an update of its own may take neither
            covariates = {key: rows for key, rows in pairs if rows is not None}
            return self.update(new, refit=refit, **covariates)
        self._check_update(refit)
        rows = self._covariates_for(X_new, known_new, values[start:stop])
        new = self._history.append_slice(values, index, start, stop)
        if rows is not None:
            self._append_covariates(rows)
        self._observed(new, refit)
        return self

    def _check_update(self, refit: Any) -> None:
        """Refuse an unfitted forecaster and a non-bool ``refit``."""
        if not hasattr(self, "_history"):  # cheap test first: update runs once per step
            check_is_fitted(self)
        check_refit(refit)

    def _covariates_for(self, X: Any, X_known: Any, y_new: Any) -> Any:
        """Validate the covariates of ``update``'s new observations (before they are
        appended); a forecaster without covariates refuses them and returns None."""
        refuse_exog(X, type(self).__name__)
        refuse_exog(X_known, type(self).__name__, "X_known")

    def _append_covariates(self, rows: Any) -> None:
        """Keep what :meth:`_covariates_for` returned, once the new values are appended."""

    def _observed(self, new: np.ndarray, refit: bool) -> None:
        """Called by ``update`` after ``new`` values were appended: re-estimate if ``refit``."""
        raise NotImplementedError(f"{type(self).__name__} does not define _observed")

    def save(self, path: Any) -> Any:
        """Write the forecaster to ``path`` without pickle; read it with ``forecast.load_model``.

        See :func:`forecast.models.persistence.save_model` (returns the path).
        """
        from forecast.models.persistence import save_model

        return save_model(self, path)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "_history")

    @property
    def index_(self) -> pd.Index:
        """Labels of all observations seen (``fit`` and every ``update``)."""
        check_is_fitted(self)
        return self._history.index


def walks_by_position(forecaster: Any) -> bool:
    """Whether :func:`forecast.backtest` may use ``update_slice`` and ``forecast_values``.

    True for a :class:`SeriesForecaster` whose class keeps the contract's own ``update`` and
    ``predict`` (AR, naive and their plain subclasses): those two are then exactly
    ``update_slice`` and ``forecast_values`` plus labels the backtest does not read. A
    class that overrides ``update`` or ``predict`` (to log, to shift forecasts, ...) is
    always called through them.
    """
    cls = type(forecaster)
    return (
        isinstance(forecaster, SeriesForecaster)
        and cls.update is SeriesForecaster.update
        and cls.predict is SeriesForecaster.predict
    )


def check_horizon(horizon: Any) -> int:
    """Return ``horizon`` as an int >= 1, or raise naming it."""
    if type(horizon) is int and horizon >= 1:  # the common case, before the general check
        return horizon
    return check_int(horizon, "horizon", min_value=1)


def check_refit(refit: Any) -> None:
    """Raise TypeError unless ``refit`` (of ``update``) is a bool."""
    if not isinstance(refit, (bool, np.bool_)):
        raise TypeError(f"refit must be a bool, got {refit!r}")


def normal_quantile(coverage: Any) -> float:
    """The two-sided Gaussian quantile ``z`` with ``P(|Z| <= z) = coverage``.

    ``z = Phi^{-1}(1 - (1 - coverage) / 2)``, e.g. 1.959964 for ``coverage=0.95``.
    """
    coverage = check_float(coverage, "coverage", min_value=0.0, max_value=1.0, inclusive=False)
    return NormalDist().inv_cdf(1.0 - (1.0 - coverage) / 2.0)


def forecast_series(values: np.ndarray, index: pd.Index) -> pd.Series:
    """Wrap point forecasts the way the contract says: a Series named "forecast"."""
    return pd.Series(values, index=index, name="forecast")


def interval_frame(mean: np.ndarray, std: np.ndarray, z: float, index: pd.Index) -> pd.DataFrame:
    """Gaussian interval ``mean -/+ z * std`` as a DataFrame with columns lower, upper."""
    return pd.DataFrame({"lower": mean - z * std, "upper": mean + z * std}, index=index)


def refuse_exog(X: Any, owner: str, name: str = "X") -> None:
    """Raise if covariates (``X`` or ``X_known``) are passed to a forecaster that has none."""
    if X is not None:
        raise ValueError(
            f"{owner} uses no exogenous regressors, got {name} of type {type(X).__name__}; "
            f"pass {name}=None"
        )
