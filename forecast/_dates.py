"""Dates for forecasts: the index that follows a series, without requiring a regular ``freq``.

Daily trading data skips weekends and holidays, so ``pd.infer_freq`` usually fails on it.
The rule used everywhere in the package (see :func:`future_index`):

1. a DatetimeIndex that carries a ``freq``, or whose frequency pandas infers (``freq="infer"``) on
   the last observations, continues with that frequency; an exchange's sessions are such a
   ``freq`` (a ``CustomBusinessDay`` with its holidays, see
   :func:`forecast.data.calendars.with_calendar`: after 2018-12-31 comes 2019-01-02 on XNYS);
2. otherwise, if the typical spacing is one day and the observations fall on weekdays
   (daily trading data), it continues with business days (Mon-Fri; exchange holidays are
   not known and are not skipped: after 2018-12-31 comes the holiday 2019-01-01);
3. otherwise it continues with the median spacing of the index;
4. an integer index continues with its last step (``RangeIndex`` stays a ``RangeIndex``).

Intraday data (a step under a day, no ``freq`` set on the index) follows the trading hours
seen in the history: a label is kept only if its weekday and time of day (wall time, in
the index's zone) occur among the observations of the last :data:`SESSION_WEEKS` weeks;
otherwise the next step is tried. So an hourly FX series that trades from Sunday 22:00 to
Friday 21:00 goes from Friday 21:00 to Sunday 22:00 (no Saturday label), and an hourly
stock series from 15:30 to 09:30 the next trading morning (weekends skipped too; holidays,
never seen on their weekday and hour, are not). This needs at least a week of history;
with less, or when no seen slot comes within a week, the labels continue by the step.

A tz-aware index keeps its zone. Spacings are measured between instants (UTC), so an hourly
series goes on hour by hour across a daylight-saving transition (01:00-04:00, 01:00-05:00,
02:00-05:00 at the fall-back in US/Eastern); a median spacing of whole days continues in
calendar days of the zone (midnight stays midnight), as a daily ``freq`` does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: how many of the last observations are used to infer the step
_TAIL = 60
#: intraday data: the trading hours are those seen in this many last weeks of history
SESSION_WEEKS = 5
_WEEK = pd.Timedelta(days=7)


def infer_offset(index: pd.DatetimeIndex) -> pd.DateOffset | pd.Timedelta:
    """Return the step that continues ``index`` (see the module docstring for the rule)."""
    if len(index) < 2:
        raise ValueError(
            f"cannot infer the step of a DatetimeIndex with {len(index)} observation(s); "
            "at least 2 are needed"
        )
    if index.freq is not None:
        return index.freq
    tail = index[-_TAIL:]
    if len(tail) >= 3:
        inferred = pd.DatetimeIndex(tail, freq="infer").freq  # infer_freq, as an offset
        if inferred is not None:
            return inferred
    spacing = pd.Timedelta(np.median(np.diff(tail.asi8)), unit=tail.unit)  # between instants
    if spacing <= pd.Timedelta(days=1) and spacing >= pd.Timedelta(hours=23) and (
        tail.day_of_week < 5
    ).all():
        return pd.offsets.BDay()
    if index.tz is not None and spacing >= pd.Timedelta(days=1) and spacing % pd.Timedelta(
        days=1
    ) == pd.Timedelta(0):
        return pd.offsets.Day(spacing.days)  # calendar days of the zone
    return spacing


def future_index(index: pd.Index, horizon: int) -> pd.Index:
    """Return the ``horizon`` labels that follow ``index``.

    Parameters
    ----------
    index : pandas.Index
        The index of the observed series (DatetimeIndex or integer index), increasing.
    horizon : int
        How many steps ahead.

    Returns
    -------
    pandas.Index of length ``horizon``

    Examples
    --------
    >>> idx = pd.DatetimeIndex(["2018-12-27", "2018-12-28", "2018-12-31"])
    >>> future_index(idx, 2).strftime("%Y-%m-%d").tolist()
    ['2019-01-01', '2019-01-02']
    """
    if isinstance(index, pd.DatetimeIndex):
        step = infer_offset(index)
        last = index[-1]
        slots = None if index.freq is not None else _trading_slots(index, step)
        if slots is not None:
            return _in_trading_hours(last, step, horizon, slots, index.name)
        return pd.DatetimeIndex([last + step * (i + 1) for i in range(horizon)], name=index.name)
    if isinstance(index, pd.RangeIndex):
        step = index.step
        start = index[-1] + step if len(index) else 0
        return pd.RangeIndex(start, start + step * horizon, step, name=index.name)
    values = np.asarray(index)
    if len(values) == 0:
        return pd.RangeIndex(horizon, name=index.name)
    step = values[-1] - values[-2] if len(values) > 1 else 1
    return pd.Index(values[-1] + step * np.arange(1, horizon + 1), name=index.name)


def business_days(weekmask: str, holidays: Any, freq: str = "C") -> pd.offsets.CustomBusinessDay:
    """The ``CustomBusinessDay`` of the days in ``weekmask`` (e.g. ``"1111100"``, Mon-Fri)
    that are not in ``holidays`` (dates): an exchange's sessions as an index ``freq``.

    ``freq`` is the offset's name as saved with it (a model file): anything but ``"C"`` is
    a ValueError.
    """
    if freq != "C":
        raise ValueError(f"a calendar of business days has freq 'C', got {freq!r}")
    days = np.asarray(holidays, dtype="datetime64[D]")
    return pd.offsets.CustomBusinessDay(calendar=np.busdaycalendar(weekmask, days))


def _slot(labels: pd.DatetimeIndex) -> np.ndarray:
    """Second of the week of each label, in wall time (0 = Monday 00:00:00)."""
    return ((labels.day_of_week * 24 + labels.hour) * 60 + labels.minute) * 60 + labels.second


def _trading_slots(index: pd.DatetimeIndex, step: Any) -> set[int] | None:
    """The seconds of the week seen in the last SESSION_WEEKS weeks of intraday ``index``;
    None for daily or longer steps, or less than a week of history."""
    if not isinstance(step, (pd.Timedelta, pd.offsets.Tick)) or pd.Timedelta(step) >= (
        pd.Timedelta(days=1)
    ):
        return None
    if index[-1] - index[0] < _WEEK:
        return None
    tail = index[index.searchsorted(index[-1] - SESSION_WEEKS * _WEEK) :]
    return set(_slot(tail).tolist())


def _in_trading_hours(
    last: pd.Timestamp, step: Any, horizon: int, slots: set[int], name: Any
) -> pd.DatetimeIndex:
    """The ``horizon`` steps after ``last`` whose second of the week is in ``slots``."""
    step = pd.Timedelta(step)
    tries = max(int(_WEEK / step), 1)  # within a week every seen slot comes round again
    labels, current = [], last
    for _ in range(horizon):
        for _ in range(tries):
            current = current + step
            if _slot(pd.DatetimeIndex([current]))[0] in slots:
                break
        else:  # no seen slot within a week: the step alone
            current = labels[-1] + step if labels else last + step
        labels.append(current)
    return pd.DatetimeIndex(labels, name=name)


def zone_name(tz: Any) -> str:
    """How a zone is written in messages: ``'tz-aware (US/Eastern)'`` or ``'tz-naive'``."""
    return "tz-naive" if tz is None else f"tz-aware ({tz})"


def to_zone(labels: Any, tz: Any, name: str, *, seen: str = "the data") -> Any:
    """Return dates ``labels`` (a Timestamp or a DatetimeIndex) in the zone ``tz`` of the data.

    Dates of one zone are converted to another without changing the instants they stand for.
    A tz-naive date cannot be compared with a tz-aware one (which instant is 2020-11-01 01:00
    in US/Eastern?), so a mismatch is refused rather than guessed.

    Parameters
    ----------
    labels : pandas.Timestamp or pandas.DatetimeIndex
    tz : tzinfo or None
        The zone of the data (``index.tz``).
    name : str
        How the caller calls ``labels`` in the error message.
    seen : str
        How the caller calls the data.

    Raises
    ------
    ValueError
        if one of ``labels`` and the data is tz-aware and the other tz-naive.
    """
    if (labels.tz is None) != (tz is None):
        fix = (
            f"localize it with .tz_localize({str(tz)!r})"
            if tz is not None
            else "drop its zone with .tz_convert(None) (UTC) or .tz_localize(None) (wall time)"
        )
        shown = f"{name}={labels}" if isinstance(labels, pd.Timestamp) else (
            f"the first label of {name}, {labels[0]},"
        )
        raise ValueError(
            f"{name} is {zone_name(labels.tz)} but {seen} is {zone_name(tz)}: "
            f"{shown} cannot be placed among its dates; {fix}"
        )
    if tz is not None and str(labels.tz) != str(tz):
        labels = labels.tz_convert(tz)
    return labels


def extend_range(index: pd.RangeIndex, n: int) -> pd.RangeIndex:
    """``index`` followed by its next ``n`` labels, still a RangeIndex."""
    return pd.RangeIndex(index.start, index[-1] + (n + 1) * index.step, index.step, name=index.name)
