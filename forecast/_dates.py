"""Dates for forecasts: the index that follows a series, without requiring a regular ``freq``.

Daily trading data skips weekends and holidays, so ``pd.infer_freq`` usually fails on it.
The rule used everywhere in the package (see :func:`future_index`):

1. a DatetimeIndex that carries a ``freq``, or whose frequency pandas infers (``freq="infer"``) on
   the last observations, continues with that frequency;
2. otherwise, if the typical spacing is one day and the observations fall on weekdays
   (daily trading data), it continues with business days (Mon-Fri; exchange holidays are
   not known and are not skipped);
3. otherwise it continues with the median spacing of the index;
4. an integer index continues with its last step (``RangeIndex`` stays a ``RangeIndex``).

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
