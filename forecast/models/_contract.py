"""Plumbing shared by the forecasters that follow the forecaster contract (AR and naive).

:class:`SeriesHistory` keeps every observation a forecaster has seen (from ``fit`` and every
``update``) in a growable buffer, so appending one value costs amortised O(1) and no pandas
object is rebuilt on the hot path of a walk-forward; the index is assembled only when asked
for. The small functions check ``horizon``/``coverage`` and wrap forecasts the same way for
every forecaster.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from forecast._dates import future_index
from forecast._validation import check_float, check_int, check_series


class SeriesHistory:
    """All observations seen so far, oldest first, and their labels.

    Parameters
    ----------
    values : ndarray of shape (n,)
        The validated float64 observations passed to ``fit``.
    index : pandas.Index of length n
        Their labels (a DatetimeIndex or an integer index).

    Notes
    -----
    ``append`` accepts a Series whose first label comes after the last label seen (same
    kind of index) or an array, whose labels continue the index by
    :func:`forecast._dates.future_index`. Labels are kept as a list of pending parts and
    joined into one index only when :attr:`index` is read.
    """

    def __init__(self, values: np.ndarray, index: pd.Index) -> None:
        self._buffer = np.zeros(max(2 * len(values), 64))
        self._buffer[: len(values)] = values
        self._n = len(values)
        self._index = index
        self._last_label = index[-1]
        self._pending: list[pd.Index | int] = []  # Index parts, or counts of array values

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
                if isinstance(part, int):  # array values: continue the labels seen so far
                    if isinstance(index, pd.RangeIndex) and not parts:
                        index = _extend_range(index, part)
                        continue
                    index = index.append(parts) if parts else index
                    parts = [future_index(index, part)]
                else:
                    parts.append(part)
            self._index = index.append(parts) if parts else index
            self._pending.clear()
            self._last_label = self._index[-1]
        return self._index

    def _last(self) -> Any:
        """The last label seen (builds the index if arrays were appended since)."""
        if self._pending and isinstance(self._pending[-1], int):
            return self.index[-1]
        return self._last_label

    def future_index(self, horizon: int) -> pd.Index:
        """The ``horizon`` labels after the last observation (see :mod:`forecast._dates`)."""
        index, pending = self._index, self._pending  # consecutive array counts are merged
        if isinstance(index, pd.RangeIndex) and (
            not pending or (len(pending) == 1 and isinstance(pending[0], int))
        ):
            # rule 4 of forecast._dates, without building the extended RangeIndex first
            start = index[-1] + (1 + (pending[0] if pending else 0)) * index.step
            return pd.RangeIndex(start, start + horizon * index.step, index.step, name=index.name)
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
            and np.isfinite(np.add.reduce(y_new))  # a finite sum: no NaN or inf
        ):  # the walk-forward's fast path: values that check_series accepts unchanged
            self._extend(y_new)
            self._count_unlabelled(len(y_new))
            return y_new
        values, index = check_series(y_new, name)
        if isinstance(y_new, (pd.Series, pd.DataFrame)):
            seen_dates = isinstance(self._index, pd.DatetimeIndex)
            if isinstance(index, pd.DatetimeIndex) != seen_dates:
                seen = "a DatetimeIndex" if seen_dates else "an integer index"
                raise TypeError(
                    f"{name} has a {type(index).__name__} but the data seen so far has {seen}; "
                    "pass a Series with the same kind of index, or an array"
                )
            last = self._last()
            if not index[0] > last:
                raise ValueError(
                    f"{name} must continue the data seen so far: its first label "
                    f"{_label(index[0])} is not after the last label seen, {_label(last)}"
                )
            self._pending.append(index)
            self._last_label = index[-1]
        else:
            self._count_unlabelled(len(values))
        self._extend(values)
        return values

    def _count_unlabelled(self, n: int) -> None:
        """Record ``n`` array values, whose labels continue the index when it is built."""
        if self._pending and isinstance(self._pending[-1], int):
            self._pending[-1] += n
        else:
            self._pending.append(n)

    def _extend(self, values: np.ndarray) -> None:
        """Copy ``values`` after the last observation, doubling the buffer when full."""
        n_new = self._n + len(values)
        if n_new > len(self._buffer):
            buffer = np.zeros(2 * n_new)
            buffer[: self._n] = self._buffer[: self._n]
            self._buffer = buffer
        self._buffer[self._n : n_new] = values
        self._n = n_new


def _label(label: Any) -> str:
    """A label for messages: dates without a midnight time part."""
    if isinstance(label, pd.Timestamp) and label == label.normalize():
        return label.strftime("%Y-%m-%d")
    return str(label)


def _extend_range(index: pd.RangeIndex, n: int) -> pd.RangeIndex:
    """``index`` followed by its next ``n`` labels, still a RangeIndex."""
    return pd.RangeIndex(index.start, index[-1] + (n + 1) * index.step, index.step, name=index.name)


def check_horizon(horizon: Any) -> int:
    """Return ``horizon`` as an int >= 1, or raise naming it."""
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
