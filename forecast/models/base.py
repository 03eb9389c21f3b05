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

import math
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from forecast._dates import extend_range, future_index, label_text, to_zone
from forecast._validation import check_float, check_int, check_series

__all__ = [
    "SeriesForecaster",
    "SeriesHistory",
    "check_horizon",
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

    def predict(self, horizon: int) -> pd.Series:
        """Forecast the next ``horizon`` values from the end of the data seen so far.

        Returns
        -------
        pandas.Series of length horizon, named "forecast": :meth:`forecast_values` indexed
        by the labels (dates or integers) that follow the data seen (see
        :func:`forecast._dates.future_index`).
        """
        if not hasattr(self, "_history"):  # cheap test first: predict runs once per step
            check_is_fitted(self)
        horizon = check_horizon(horizon)
        return forecast_series(self.forecast_values(horizon), self._history.future_index(horizon))

    def update(self, y_new: Any, refit: bool = False, X: Any = None) -> SeriesForecaster:
        """Append observations that follow the data seen so far; the origin moves to their end.

        Parameters
        ----------
        y_new : pandas.Series or array-like of shape (m,)
            A Series whose first label is after the last one seen (same kind of index), or
            an array (its labels continue the index, see :func:`forecast._dates.future_index`).
        refit : bool, default=False
            False keeps the estimated parameters (the forecasts still start from the new
            end); True re-estimates them on all data seen (the class docstring says how).
        X : None
            Not supported (no exogenous regressors).

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
        self._check_update(refit, X)
        self._observed(self._history.append(y_new, "y_new"), refit)
        return self

    def update_slice(
        self, values: np.ndarray, index: pd.Index, start: int, stop: int, refit: bool = False
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

        Returns
        -------
        self
        """
        if type(self).update is not SeriesForecaster.update:  # the subclass's own update
            return self.update(pd.Series(values[start:stop], index=index[start:stop]), refit=refit)
        self._check_update(refit, None)
        self._observed(self._history.append_slice(values, index, start, stop), refit)
        return self

    def _check_update(self, refit: Any, X: Any) -> None:
        """Refuse an unfitted forecaster, exogenous regressors and a non-bool ``refit``."""
        if not hasattr(self, "_history"):  # cheap test first: update runs once per step
            check_is_fitted(self)
        if X is not None:
            refuse_exog(X, type(self).__name__)
        if not isinstance(refit, (bool, np.bool_)):
            raise TypeError(f"refit must be a bool, got {refit!r}")

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


class SeriesHistory:
    """All observations seen so far, oldest first, and their labels.

    The values sit in a buffer that doubles when full, so appending costs amortised O(1).
    The labels are kept as the parts appended (an Index; a count of array values, whose
    labels continue the index by :func:`forecast._dates.future_index`; ``(index, lo, hi)``
    for ``index[lo:hi]``, consecutive slices of one index merged) and joined into one Index
    when :attr:`index` is read. The labels after the data are
    ``future_index(self.index, horizon)``, computed when asked.

    Parameters
    ----------
    values : ndarray of shape (n,)
        The validated float64 observations passed to ``fit``.
    index : pandas.Index of length n
        Their labels (a DatetimeIndex or an integer index).
    """

    def __init__(self, values: np.ndarray, index: pd.Index) -> None:
        self._buffer = np.zeros(max(2 * len(values), 64))
        self._buffer[: len(values)] = values
        self._n = len(values)
        self._index = index
        self._pending: list[Any] = []  # label parts not yet joined to _index

    def __len__(self) -> int:
        return self._n

    @property
    def values(self) -> np.ndarray:
        """The observations, a view of shape (n,) (do not write to it)."""
        return self._buffer[: self._n]

    @property
    def index(self) -> pd.Index:
        """The labels of all observations (joined from the pending parts on first use)."""
        if self._pending:
            index, parts = self._index, []
            for part in self._pending:
                if isinstance(part, tuple):  # (index, lo, hi)
                    part = part[0][part[1] : part[2]]
                if isinstance(part, int):  # array values: continue the labels seen so far
                    if isinstance(index, pd.RangeIndex) and not parts:
                        index = extend_range(index, part)
                        continue
                    index = index.append(parts) if parts else index
                    parts = [future_index(index, part)]
                else:
                    parts.append(part)
            self._index = index.append(parts) if parts else index
            self._pending.clear()
        return self._index

    def future_index(self, horizon: int) -> pd.Index:
        """The ``horizon`` labels after the last observation (see :mod:`forecast._dates`)."""
        return future_index(self.index, horizon)

    def append(self, y_new: Any, name: str = "y_new") -> np.ndarray:
        """Validate ``y_new``, append it and return its float64 values.

        Raises
        ------
        TypeError
            if ``y_new`` is a Series whose kind of index (dates or integers) differs from
            the data seen so far, or is not numeric.
        ValueError
            if ``y_new`` is empty, holds NaN/inf, or its first label is not after the last
            label seen so far.
        """
        if (
            type(y_new) is np.ndarray
            and y_new.dtype == np.float64
            and y_new.ndim == 1
            and len(y_new)
            and _finite(y_new)
        ):  # values that check_series accepts unchanged
            values = y_new
        else:
            values, index = check_series(y_new, name)
            if isinstance(y_new, (pd.Series, pd.DataFrame)):
                self._pending.append(self._continuation(index, name))
                self._extend(values)
                return values
        if self._pending and isinstance(self._pending[-1], int):
            self._pending[-1] += len(values)
        else:
            self._pending.append(len(values))
        self._extend(values)
        return values

    def append_slice(
        self, values: np.ndarray, index: pd.Index, start: int, stop: int, name: str = "y_new"
    ) -> np.ndarray:
        """``append(pd.Series(values[start:stop], index=index[start:stop]))`` without the Series.

        Quick when the values are float64 and finite and ``index`` is sorted, unique, of the
        dtype seen so far and continues the labels seen (the slice appended last ended at
        ``start`` of the same index, or ``index[start]`` comes after the last label);
        anything else is appended (or refused) as that Series would be.
        """
        values = np.asarray(values)
        if len(values) != len(index):
            raise ValueError(
                f"values has {len(values)} entries but index has {len(index)} labels; pass "
                "the values and the index of one series"
            )
        new = values[start:stop]
        last = self._pending[-1] if self._pending else None
        if not (
            stop > start
            and isinstance(index, pd.Index)
            and new.dtype == np.float64
            and new.ndim == 1
            and _finite(new)
            and index.dtype == self._index.dtype
            and index.is_monotonic_increasing  # cached by pandas after the first call
            and index.is_unique
        ):
            return self.append(pd.Series(new, index=index[start:stop]), name)
        if type(last) is tuple and last[0] is index and last[2] == start:
            self._pending[-1] = (index, last[1], stop)  # the slice goes on
        elif index[start] > self._last():
            self._pending.append((index, start, stop))
        else:
            return self.append(pd.Series(new, index=index[start:stop]), name)
        self._extend(new)
        return new

    def _continuation(self, index: pd.Index, name: str) -> pd.Index:
        """The labels of an appended Series, refused unless they continue the data seen."""
        seen_dates = isinstance(self._index, pd.DatetimeIndex)
        if isinstance(index, pd.DatetimeIndex) != seen_dates:
            seen = "a DatetimeIndex" if seen_dates else "an integer index"
            raise TypeError(
                f"{name} has a {type(index).__name__} but the data seen so far has {seen}; "
                "pass a Series with the same kind of index, or an array"
            )
        if seen_dates:  # a tz-aware index is converted to the zone seen so far
            index = to_zone(index, self._index.tz, name, seen="the data seen so far")
        last = self._last()
        if not index[0] > last:
            raise ValueError(
                f"{name} must continue the data seen so far: its first label "
                f"{label_text(index[0])} is not after the last label seen, {label_text(last)}"
            )
        return index

    def _last(self) -> Any:
        """The last label seen (joins the labels if array values were appended last)."""
        part = self._pending[-1] if self._pending else self._index
        if isinstance(part, tuple):  # (index, lo, hi)
            return part[0][part[2] - 1]
        return self.index[-1] if isinstance(part, int) else part[-1]

    def _extend(self, values: np.ndarray) -> None:
        """Copy ``values`` after the last observation, doubling the buffer when full."""
        n_new = self._n + len(values)
        if n_new > len(self._buffer):
            buffer = np.zeros(2 * n_new)
            buffer[: self._n] = self._buffer[: self._n]
            self._buffer = buffer
        self._buffer[self._n : n_new] = values
        self._n = n_new


def _finite(values: np.ndarray) -> bool:
    """Whether a non-empty float array holds no NaN or inf (the value, or the sum, is finite)."""
    return math.isfinite(values[0] if len(values) == 1 else np.add.reduce(values))


def check_horizon(horizon: Any) -> int:
    """Return ``horizon`` as an int >= 1, or raise naming it."""
    if type(horizon) is int and horizon >= 1:  # the common case, before the general check
        return horizon
    return check_int(horizon, "horizon", min_value=1)


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


def refuse_exog(X: Any, owner: str) -> None:
    """Raise if exogenous regressors are passed to a forecaster that has none."""
    if X is not None:
        raise ValueError(
            f"{owner} uses no exogenous regressors, got X of type {type(X).__name__}; pass X=None"
        )
