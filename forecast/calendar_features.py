"""Calendar columns known in advance, for the dates of the data and of the forecasts.

:func:`calendar_features` turns a date index into the covariates a forecaster may take as
``X_known`` (known-in-advance covariates: one row per observation in ``fit``/``update``,
one row per forecast step in ``predict``); :func:`future_calendar` gives those rows for the
next ``horizon`` forecast dates of a fitted forecaster. The columns, for a date ``d``:

* ``day_of_week``: 0 (Monday) .. 6 (Sunday);
* ``month``: 1 .. 12;
* ``turn_of_month``: 1.0 on the last trading day of a month and the first three of the next
  (the turn-of-the-month window of Lakonishok & Smidt, 1988), else 0.0;
* ``days_to_next``: calendar days from ``d`` to the next trading day (3 on a Friday, 4
  before a Monday holiday).

The trading days are the dates of the index; before the first one (to count the trading
days of its month) and after the last one (for its ``days_to_next``) they continue by the
step of the index (:func:`forecast._dates.infer_offset`: business days for daily prices), as
the forecast dates do.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecast._dates import future_index, infer_offset
from forecast._validation import check_int

__all__ = ["CALENDAR_COLUMNS", "calendar_features", "future_calendar"]

#: the columns of :func:`calendar_features`, in order
CALENDAR_COLUMNS = ("day_of_week", "month", "turn_of_month", "days_to_next")
#: trading days at the start of a month inside the turn-of-the-month window
FIRST_DAYS = 3


def calendar_features(index: Any, *, freq: Any = None) -> pd.DataFrame:
    """Known-in-advance calendar columns for the dates ``index`` (past or future).

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Increasing, unique dates without NaT (e.g. ``y.index``, or the forecast dates of
        :func:`future_calendar`).
    freq : pandas offset, str or None, default=None
        The step between trading days, used before the first date and after the last;
        None infers it from ``index`` (which then needs at least 2 dates).

    Returns
    -------
    pandas.DataFrame of float64, indexed by ``index``
        Columns :data:`CALENDAR_COLUMNS` (see the module docstring).

    Examples
    --------
    >>> days = pd.bdate_range("2024-01-29", "2024-02-05")  # Monday to Monday, business days
    >>> calendar_features(days).astype(int).to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'day_of_week': [0, 1, 2, 3, 4, 0], 'month': [1, 1, 1, 2, 2, 2],
     'turn_of_month': [0, 0, 1, 1, 1, 1], 'days_to_next': [1, 1, 1, 1, 3, 1]}
    """
    index = _check_dates(index)
    step = _check_freq(freq, index)
    following = index[1:].append(pd.DatetimeIndex([index[-1] + step]))
    days_to_next = (following.normalize() - index.normalize()).days
    last_of_month = following.month != index.month
    # trading days of each date's month before it: those in the index, plus, for the first
    # month of the index, the steps between the month's first day and index[0]
    month = index.year * 12 + index.month
    new_month = np.r_[True, month[1:] != month[:-1]]
    run_start = np.maximum.accumulate(np.where(new_month, np.arange(len(index)), 0))
    rank = np.arange(len(index)) - run_start
    start = index[0].normalize().replace(day=1)
    before = pd.date_range(start, index[0], freq=step, inclusive="left")
    rank[month == month[0]] += len(before)
    frame = pd.DataFrame(
        {
            "day_of_week": index.day_of_week,
            "month": index.month,
            "turn_of_month": last_of_month | (rank < FIRST_DAYS),
            "days_to_next": days_to_next,
        },
        index=index,
    )
    return frame.astype(np.float64)


def future_calendar(forecaster: Any, horizon: int) -> pd.DataFrame:
    """The calendar columns of the next ``horizon`` forecast dates of a fitted forecaster.

    What ``forecaster.predict(horizon, X_known=...)`` takes when its ``X_known`` were
    :func:`calendar_features` of the data: one row per forecast step, indexed by the dates
    ``predict`` gives (those that follow the data seen, see
    :func:`forecast._dates.future_index`), computed as :func:`calendar_features` of the
    whole index would compute them.

    Parameters
    ----------
    forecaster : fitted forecaster with a DatetimeIndex ``index_``
    horizon : int >= 1

    Returns
    -------
    pandas.DataFrame of shape (horizon, 4)

    Examples
    --------
    >>> import forecast
    >>> close = forecast.load_dataset("sp500")["close"].loc[:"2016-03-15"]
    >>> model = forecast.NaiveForecaster().fit(close)
    >>> future_calendar(model, 2).astype(int).to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'day_of_week': [2, 3], 'month': [3, 3], 'turn_of_month': [0, 0], 'days_to_next': [1, 1]}
    """
    horizon = check_int(horizon, "horizon", min_value=1)
    seen = getattr(forecaster, "index_", None)
    if not isinstance(seen, pd.DatetimeIndex):
        raise TypeError(
            "future_calendar needs a forecaster fitted on a series with a DatetimeIndex, got "
            f"{type(forecaster).__name__} with index_ of type {type(seen).__name__}; fit it "
            "on a Series indexed by dates"
        )
    future = future_index(seen, horizon)  # the forecast dates, as predict labels them
    tail = seen[-64:]  # covers the month of the last date seen
    return calendar_features(tail.append(future), freq=infer_offset(seen)).iloc[-horizon:]


def _check_dates(index: Any) -> pd.DatetimeIndex:
    if not isinstance(index, pd.DatetimeIndex):
        raise TypeError(
            f"index must be a pandas.DatetimeIndex, got {type(index).__name__}; pass the "
            "dates of the series (y.index) or convert with pd.DatetimeIndex(...)"
        )
    if len(index) == 0 or index.hasnans:
        raise ValueError(f"index must hold at least one date and no NaT, got {index!r}")
    if not (index.is_monotonic_increasing and index.is_unique):
        raise ValueError("index must be increasing without repeated dates; sort it first")
    return index


def _check_freq(freq: Any, index: pd.DatetimeIndex) -> Any:
    if freq is None:
        if len(index) < 2:
            raise ValueError(
                f"calendar_features cannot infer the step of trading days from one date "
                f"({index[0]}); pass freq= (e.g. freq='B' for business days)"
            )
        return infer_offset(index)
    if isinstance(freq, str):
        return pd.tseries.frequencies.to_offset(freq)
    return freq
