"""Plumbing shared by the forecasters that follow the forecaster contract (AR, naive, RNN).

:class:`SeriesHistory` keeps every observation a forecaster has seen (from ``fit`` and every
``update``) in a growable buffer, so appending one value costs amortised O(1) and no pandas
object is rebuilt on the hot path of a walk-forward; the index is assembled only when asked
for, and the labels of forecasts follow from the last label without it (see the class
Notes). :class:`SeriesForecaster` is the base of the forecasters that keep one (``save``,
``index_``, what "fitted" means); :class:`SeriesSlice` is how ``backtest`` hands them new
observations by position. The small functions check ``horizon``/``coverage`` and wrap
forecasts the same way for every forecaster.
"""

from __future__ import annotations

import bisect
import math
from statistics import NormalDist
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from forecast._dates import _TAIL, extend_range, future_index, label_text, to_zone
from forecast._validation import check_float, check_int, check_series

#: one day in each unit a DatetimeIndex can have
_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}
_BDAY = pd.offsets.BDay()
#: how many business days ahead are labelled at once
_BLOCK = 64


class SeriesForecaster(BaseEstimator):
    """What the forecasters that keep their observations in a :class:`SeriesHistory` share.

    AR, naive and RNN forecasters store ``self._history`` in ``fit``; having it is what
    "fitted" means. This class holds the pieces that only read it.
    """

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


class SeriesSlice(NamedTuple):
    """Observations ``lo .. hi - 1`` of a validated series, given by position.

    What :func:`forecast.backtest` passes to ``update`` of a forecaster whose class sets
    ``_backtest_fast_path = True`` (AR and naive): the forecaster appends
    ``values[lo:hi]`` with the labels ``index[lo:hi]`` exactly as it would append the Series
    ``pd.Series(values[lo:hi], index=index[lo:hi])``, without building that Series (about
    20-40 us per walk-forward step). ``values`` must be the float64 output of
    ``check_series`` and ``index`` its index.
    """

    values: np.ndarray
    index: pd.Index
    lo: int
    hi: int

    def to_series(self) -> pd.Series:
        """The Series these observations stand for."""
        lo, hi = self.lo, self.hi
        return pd.Series(self.values[lo:hi], index=self.index[lo:hi])


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
    kind of index), an array, whose labels continue the index by
    :func:`forecast._dates.future_index`, or a :class:`SeriesSlice`. Labels are kept as a
    list of pending parts (an Index, a count of array values, or ``(index, lo, hi)`` for the
    labels ``index[lo:hi]``, consecutive slices of one index merged) and joined into one
    index only when :attr:`index` is read.

    The labels after the data (:meth:`future_index`) are those of
    ``forecast._dates.future_index(self.index, horizon)``, found without joining the index
    and inferring its step at every forecast. A ``RangeIndex`` continues with its step. A
    tz-naive DatetimeIndex without a ``freq``, or with the business-day one, is followed
    through the integers of its last ``_TAIL`` labels (the window that ``infer_offset``
    looks at). While they are daily trading data, that is, the tail

    * holds at least 7 labels,
    * all on weekdays (Monday to Friday), and
    * more than half of its consecutive spacings lie in [23 h, 24 h],

    every branch of the rule in :mod:`forecast._dates` continues with business days.
    ``pd.infer_freq`` can only answer "B" or nothing: a fixed frequency needs equal
    spacings, which 7 weekday labels cannot have in [23 h, 24 h]; month, quarter and year
    anchors allow one label per month, week-of-month anchors one weekday, business hours
    only spacings of 1, 17 and 65 h. Then the median spacing is in [23 h, 24 h] and all
    labels are weekdays, so the fallback is business days too. Joining parts never gives
    the index a ``freq`` other than that of its first part. So the next labels follow from
    the last one by integer arithmetic, and each appended label only updates the counts of
    weekend labels and daily spacings in the tail. Any other index gets ``future_index`` of
    the joined index (a tz-aware index among them: its labels are instants, its days local;
    a Series appended to it is converted to its zone).
    """

    def __init__(self, values: np.ndarray, index: pd.Index) -> None:
        self._buffer = np.zeros(max(2 * len(values), 64))
        self._buffer[: len(values)] = values
        self._n = len(values)
        self._set_index(index)
        self._pending: list[Any] = []  # Index parts, counts of array values, index slices
        self._tail: list[int] | None = None  # the last _TAIL labels as integers, see Notes
        self._follow(index)

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
                if isinstance(part, tuple):  # (index, lo, hi) of a SeriesSlice
                    part = part[0][part[1] : part[2]]
                if isinstance(part, int):  # array values: continue the labels seen so far
                    if isinstance(index, pd.RangeIndex) and not parts:
                        index = extend_range(index, part)
                        continue
                    index = index.append(parts) if parts else index
                    parts = [future_index(index, part)]
                else:
                    parts.append(part)
            self._set_index(index.append(parts) if parts else index)
            self._pending.clear()
        return self._index

    def _last(self) -> Any:
        """The last label seen (builds the index if arrays were appended since)."""
        last_part = self._pending[-1] if self._pending else self._index
        if isinstance(last_part, tuple):  # (index, lo, hi) of a SeriesSlice
            return last_part[0][last_part[2] - 1]
        return self.index[-1] if isinstance(last_part, int) else last_part[-1]

    def future_index(self, horizon: int) -> pd.Index:
        """The ``horizon`` labels after the last observation (see :mod:`forecast._dates`)."""
        n = self._range_length()
        if n is not None:  # rule 4 of forecast._dates: the RangeIndex goes on with its step
            return self._range_ahead[n : n + horizon]
        index = self._index
        if self._tail is None and isinstance(index, pd.DatetimeIndex):
            self._follow(self.index)  # followed again once the tail allows it
        if self._business_daily():
            return self._business_days_after(horizon)
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
        ):  # the walk-forward's fast path: values that check_series accepts unchanged
            self._extend(y_new)
            self._count_unlabelled(len(y_new))
            return y_new
        if type(y_new) is SeriesSlice:
            values = self._append_slice(y_new)
            if values is not None:
                return values
            y_new = y_new.to_series()  # checked and appended as the Series it stands for
        if type(y_new) is pd.Series and len(y_new) == 1:  # a walk-forward step by hand
            values = self._append_slice(SeriesSlice(y_new.to_numpy(), y_new.index, 0, 1))
            if values is not None:
                return values
        values, index = check_series(y_new, name)
        if isinstance(y_new, (pd.Series, pd.DataFrame)):
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
            self._append_labels(index)
        else:
            self._count_unlabelled(len(values))
        self._extend(values)
        return values

    def _append_slice(self, part: SeriesSlice) -> np.ndarray | None:
        """Append a :class:`SeriesSlice` on the fast path and return its values, or None.

        Taken when ``check_series`` would accept the values as they are (float64, finite)
        and the labels are dates after the last one (a followed tail, same dtype) or the
        next labels of a RangeIndex; otherwise None, and the caller takes the general path.
        The labels are kept as ``(index, lo, hi)`` and joined with :attr:`index`.
        """
        values, index, lo, hi = part
        values = values[lo:hi]
        if not (hi > lo and values.dtype == np.float64 and _finite(values)):
            return None
        if type(index) is pd.DatetimeIndex and self._tail is not None:
            labels = index.asi8[lo:hi]
            if index.dtype != self._dtype or labels[0] <= self._tail[-1]:
                return None
            self._pending_slice(index, lo, hi)
            self._name = self._name if index.name == self._name else None
            self._push(labels[-_TAIL:].tolist())
        elif (
            type(index) is pd.DatetimeIndex
            and index.tz is not None  # not followed (see Notes): its dates are checked here
            and index.dtype == self._index.dtype
        ):
            if not index[lo] > self._last():
                return None
            self._pending_slice(index, lo, hi)
        elif type(index) is pd.RangeIndex and index.name == self._index.name:
            n = self._range_length()
            if (
                n is None
                or index[lo] != self._range_ahead[n]
                or (hi - lo > 1 and index.step != self._index.step)  # one label has no step
            ):
                return None
            self._count_unlabelled(hi - lo)  # the joined index stays the same RangeIndex
        else:
            return None
        self._extend(values)
        return values

    def _pending_slice(self, index: pd.Index, lo: int, hi: int) -> None:
        """Record the labels ``index[lo:hi]``, merged with the slice of ``index`` before."""
        last = self._pending[-1] if self._pending else None
        if type(last) is tuple and last[0] is index and last[2] == lo:
            self._pending[-1] = (index, last[1], hi)  # the slice goes on
        else:
            self._pending.append((index, lo, hi))

    def _set_index(self, index: pd.Index) -> None:
        """Store the joined index; a RangeIndex also as its endless continuation.

        Slicing ``_range_ahead`` gives the labels after the first n without building a
        RangeIndex from the last label (which costs more).
        """
        self._index = index
        self._range_ahead = None
        if isinstance(index, pd.RangeIndex):
            start, step = index.start, index.step
            self._range_ahead = pd.RangeIndex(start, start + 2**48 * step, step, name=index.name)

    def _range_length(self) -> int | None:
        """The number of labels seen if they are a RangeIndex (arrays appended), else None."""
        pending = self._pending  # consecutive array counts are merged
        if self._range_ahead is not None and (
            not pending or (len(pending) == 1 and isinstance(pending[0], int))
        ):
            return len(self._index) + (pending[0] if pending else 0)
        return None

    def _append_labels(self, index: pd.Index) -> None:
        """Record the labels of an appended Series (they continue the data seen)."""
        self._pending.append(index)
        if self._tail is not None:
            if index.unit != self._unit:  # the joined index changes unit: stop following
                self._tail = None
                return
            if index.name != self._name:  # Index.append keeps a name only if all agree
                self._name = None
            self._push(index.asi8[-_TAIL:].tolist())

    def _count_unlabelled(self, n: int) -> None:
        """Record ``n`` array values, whose labels continue the index when it is built."""
        if self._tail is not None:
            if self._business_daily():  # the labels future_index will give them
                self._push(self._next_business_days(n).view(np.int64).tolist())
            else:
                self._tail = None
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

    # business-day continuation of a DatetimeIndex (the class Notes)

    def _follow(self, index: pd.Index) -> None:
        """Start following the tail of ``index`` if it may be daily trading data."""
        if (
            isinstance(index, pd.DatetimeIndex)
            and index.tz is None  # the integers of a tz-aware index are UTC, not local days
            and index.unit in _DAY
            and (index.freq is None or index.freq == _BDAY)
        ):
            self._unit, self._dtype, self._name = index.unit, str(index.dtype), index.name
            self._tail, self._n_weekend, self._n_daily = [], 0, 0
            self._block, self._block_days = None, []
            self._push(index.asi8[-_TAIL:].tolist())

    def _push(self, labels: list[int]) -> None:
        """Append labels (integers) to the tail, keeping the counts of (b) and (c)."""
        day = _DAY[self._unit]
        low, tail = day * 23 // 24, self._tail
        if len(labels) >= _TAIL:  # the tail is replaced
            tail.clear()
            self._n_weekend = self._n_daily = 0
        for label in labels:
            if tail:
                self._n_daily += low <= label - tail[-1] <= day
            tail.append(label)
            self._n_weekend += (label // day + 3) % 7 >= 5  # 1970-01-01 was a Thursday
            if len(tail) > _TAIL:
                oldest = tail.pop(0)
                self._n_daily -= low <= tail[0] - oldest <= day
                self._n_weekend -= (oldest // day + 3) % 7 >= 5

    def _business_daily(self) -> bool:
        """Whether the tail meets (a)-(c) of the class Notes: the step is one business day."""
        tail = self._tail
        return (
            tail is not None
            and len(tail) >= 7
            and self._n_weekend == 0
            and 2 * self._n_daily > len(tail) - 1
        )

    def _business_days_after(self, horizon: int) -> pd.DatetimeIndex:
        """:meth:`_next_business_days` as an index, sliced from a block of upcoming ones.

        Slicing a DatetimeIndex costs less than building one, so the ``_BLOCK`` business
        days after a label are built at once, and forecasts take their labels from them
        while the last label is one of those days (a day, or days with a holiday skipped,
        later). ``_block_days`` holds the label the block follows, then the block's labels.
        """
        last, days = self._tail[-1], self._block_days
        j = bisect.bisect_left(days, last)
        if (
            j == len(days)
            or days[j] != last
            or j + horizon >= len(days)
            or self._block.name != self._name
        ):
            ahead = self._next_business_days(max(horizon, _BLOCK))
            self._block = pd.DatetimeIndex(ahead, name=self._name)
            self._block_days = days = [last, *ahead.view(np.int64).tolist()]
            j = 0
        return self._block[j : j + horizon]  # the days after days[j]

    def _next_business_days(self, horizon: int) -> np.ndarray:
        """The ``horizon`` weekdays after the last label, at its time of day (datetime64).

        From a weekday ``w`` (0 = Monday), the h-th business day is
        ``h + 2 * ((w + h) // 5)`` days later: two weekend days per week boundary crossed.
        """
        day, last = _DAY[self._unit], self._tail[-1]
        steps = np.arange(1, horizon + 1)
        weekday = (last // day + 3) % 7
        return (last + (steps + 2 * ((weekday + steps) // 5)) * day).view(f"M8[{self._unit}]")


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
