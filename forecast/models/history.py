"""The observations a forecaster has seen, oldest first, and their labels: a plain growable
history whose Index is joined only when it is read."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from forecast._dates import extend_range, future_index, to_zone
from forecast._validation import check_series, label_text

__all__ = ["SeriesHistory"]


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
        if (
            type(last) is tuple
            and last[0] is index  # an index already checked when its slice began
            and last[2] == start
            and stop > start
            and new.dtype == np.float64
            and new.ndim == 1
            and _finite(new)
        ):  # a walk-forward's next slice, quickly
            self._pending[-1] = (index, last[1], stop)
            self._extend(new)
            return new
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
