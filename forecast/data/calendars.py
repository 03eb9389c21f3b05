"""Trading calendars: daily prices dated on an exchange's real sessions (optional extra).

``pip install "forecast[calendars]"`` installs ``exchange-calendars``, a maintained
library of exchange sessions and holidays. :func:`with_calendar` gives a daily series an
index whose ``freq`` is a pandas ``CustomBusinessDay`` that skips that exchange's holidays,
so every forecaster, ``backtest`` and ``compare`` dates forecasts on real sessions (the
step of the index is its ``freq``: rule 1 of :mod:`forecast._dates`), with no other change.

The offset is built once from the calendar: its business days are the exchange's weekdays
(``weekmask``); its holidays are the weekdays that are no session, from the data's first
date to a year past the later of its last date and today, plus the sessions the data has
no observation for (a gap in the file: logged, and treated as a closed day so that the
index and its ``freq`` agree; no value is added or changed). Past that horizon the offset
skips weekends only.

Without the extra the package keeps its business-day rule (Mon-Fri; a holiday such as
2019-01-01 is a forecast date); ``calendar="auto"`` of :func:`forecast.load_dataset` then
means no calendar.
"""

from __future__ import annotations

import difflib
import logging
import warnings
from typing import Any

import pandas as pd

from forecast._dates import business_days

logger = logging.getLogger(__name__)

#: the calendar of each bundled daily dataset, used with ``calendar="auto"``
DATASET_CALENDARS = {"sp500": "XNYS", "msft": "XNYS"}
#: how many dates an error or log line lists
_SHOWN = 5
#: how far past the data (and today) the exchange's holidays are known to the offset
_AHEAD = pd.Timedelta(days=366)


def calendars_available() -> bool:
    """Whether ``exchange-calendars`` (the ``calendars`` extra) can be imported."""
    try:
        _library()
    except ImportError:
        return False
    return True


def _library() -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import exchange_calendars
    except ImportError:
        raise ImportError(
            "trading calendars need the exchange-calendars package: pip install "
            '"forecast[calendars]" (or pip install exchange-calendars); without it, dates '
            "continue on business days (Mon-Fri), holidays included"
        ) from None
    return exchange_calendars


def check_calendar_name(name: Any) -> str:
    """``name`` if exchange-calendars knows it; otherwise a ValueError listing close matches."""
    if not isinstance(name, str):
        raise TypeError(
            f"calendar must be an exchange code such as 'XNYS', got {name!r} of type "
            f"{type(name).__name__}"
        )
    names = _library().get_calendar_names(include_aliases=True)
    if name not in names:
        close = difflib.get_close_matches(name.upper(), names, n=5, cutoff=0.5)
        hint = f"close matches: {', '.join(close)}" if close else "e.g. XNYS, XNAS, XLON"
        raise ValueError(
            f"unknown calendar={name!r} (command line: --calendar {name}); {hint}. "
            "exchange_calendars.get_calendar_names() lists all of them"
        )
    return name


def session_offset(index: pd.DatetimeIndex, name: str, source: str = "y") -> pd.DateOffset:
    """The ``CustomBusinessDay`` of exchange ``name`` that ``index`` conforms to.

    Parameters
    ----------
    index : DatetimeIndex
        Daily dates (tz-naive, at midnight), strictly increasing.
    name : str
        An exchange-calendars code (``"XNYS"``) or alias (``"NYSE"``).
    source : str
        How the data is called in messages.

    Raises
    ------
    ValueError
        for an unknown ``name`` (naming close matches), intraday or tz-aware dates, or a
        date that is no session of the exchange (naming the first).
    """
    name = check_calendar_name(name)
    if index.tz is not None:
        raise ValueError(
            f"{source}: calendar={name!r} needs tz-naive daily dates; the dates are tz-aware "
            f"({index.tz}): drop the zone with .tz_localize(None)"
        )
    if len(index) and (index != index.normalize()).any():
        first = index[index != index.normalize()][0]
        raise ValueError(
            f"{source}: calendar={name!r} needs one observation per session (daily dates), "
            f"got the time of day {first}; intraday forecasts follow the trading hours seen "
            "in the history instead (see forecast._dates), so pass no calendar"
        )
    end = max(index[-1], pd.Timestamp.today().normalize()) + _AHEAD
    try:
        with warnings.catch_warnings():  # the library's own pandas deprecation notices
            warnings.simplefilter("ignore")
            calendar = _library().get_calendar(name, start=index[0], end=end)
            sessions = calendar.sessions
    except Exception as err:  # exchange-calendars' own errors derive from Exception
        raise ValueError(
            f"{source}: the calendar {name!r} does not cover the data's dates "
            f"{index[0].date()} .. {index[-1].date()}: {err}"
        ) from None
    sessions = sessions.tz_localize(None) if sessions.tz is not None else sessions
    outside = index.difference(sessions)
    if len(outside):
        shown = ", ".join(str(d.date()) for d in outside[:_SHOWN])
        raise ValueError(
            f"{source}: {len(outside)} date(s) are no {name} session, the first {shown}"
            f"{', ...' if len(outside) > _SHOWN else ''}: these are not this exchange's "
            "prices, or the calendar is not its exchange"
        )
    gaps = sessions[(sessions >= index[0]) & (sessions <= index[-1])].difference(index)
    if len(gaps):
        logger.info("%s: %d %s session(s) without an observation (%s%s): treated as closed",
                    source, len(gaps), name, ", ".join(str(d.date()) for d in gaps[:_SHOWN]),
                    ", ..." if len(gaps) > _SHOWN else "")
    weekdays = pd.bdate_range(sessions[0], sessions[-1], freq="C", weekmask=calendar.weekmask)
    closed = weekdays.difference(sessions).union(gaps)
    return business_days(calendar.weekmask, closed.to_numpy())


def with_calendar(y: pd.Series | pd.DataFrame, calendar: str) -> pd.Series | pd.DataFrame:
    """Return ``y`` with an index whose ``freq`` follows the sessions of an exchange.

    Forecasts of the result are dated on that exchange's sessions: a series of S&P 500
    closes ending on 2018-12-31 is forecast for 2019-01-02 on ``"XNYS"`` (2019-01-01 is a
    holiday), by every forecaster, ``backtest`` and ``compare``. See
    :mod:`forecast.data.calendars` for how the offset is built. Needs the ``calendars``
    extra (``pip install "forecast[calendars]"``).

    Parameters
    ----------
    y : Series or DataFrame
        Daily observations indexed by tz-naive dates, one per session.
    calendar : str
        An exchange-calendars code such as ``"XNYS"`` (New York), ``"XLON"`` (London).

    Returns
    -------
    Series or DataFrame
        A copy of ``y`` with the same values and dates; ``index.freq`` a
        ``CustomBusinessDay`` with the exchange's holidays.

    Raises
    ------
    ImportError
        without exchange-calendars.
    TypeError
        if ``y`` is not a Series or DataFrame with a DatetimeIndex.
    ValueError
        for an unknown calendar (listing close matches), intraday or tz-aware dates, or a
        date that is no session of the exchange (naming the first).

    Examples
    --------
    >>> import forecast
    >>> close = forecast.load_dataset("sp500", calendar=None)["close"]
    >>> on_nyse = with_calendar(close, "XNYS")  # doctest: +SKIP
    >>> forecast.NaiveForecaster().fit(on_nyse).predict(1).index[0]  # doctest: +SKIP
    Timestamp('2019-01-02 00:00:00')
    """
    if not isinstance(y, (pd.Series, pd.DataFrame)) or not isinstance(y.index, pd.DatetimeIndex):
        raise TypeError(
            "y must be a pandas Series or DataFrame indexed by dates (a DatetimeIndex), got "
            f"{type(y).__name__}" + (f" with a {type(y.index).__name__}"
                                     if isinstance(y, (pd.Series, pd.DataFrame)) else "")
        )
    source = str(y.name) if isinstance(y, pd.Series) and y.name is not None else "y"
    offset = session_offset(y.index, calendar, source)
    return y.set_axis(pd.DatetimeIndex(y.index, freq=offset), axis=0)
