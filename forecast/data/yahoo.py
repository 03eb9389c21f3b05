"""Download prices from Yahoo Finance (through yfinance), cached on disk, in the package's shape.

The cache policy of :func:`load_yahoo`:

1. a cached copy younger than ``max_age`` is served without touching the network;
2. otherwise the prices are downloaded and the cache file is replaced atomically (written
   to a temporary file in the same folder, then renamed over the old one, so a crash never
   leaves a half-written file that a later call would read);
3. if the download fails (an exception, or an empty frame, which is how yfinance reports
   most network errors and unknown tickers), any cached copy is served, however old, with
   a logged warning;
4. with neither a download nor a cached copy, :class:`YahooDownloadError` (a
   ``ConnectionError``) is raised, naming the cache file it looked for, the cause (such as
   "name resolution ... failed: no network connection") and the bundled datasets that
   work offline;
5. a cache file that cannot be read is reported as corrupt, naming it: a warning and a new
   download, or, when the download fails too, in the :class:`YahooDownloadError`;
6. temporary files that a killed writer left behind (``.<cache file>.<random>.tmp``) are
   removed once older than :data:`forecast.data.yahoo_cache.STALE_TEMP_AGE` (an hour): a
   live writer finishes in seconds, and even removing a live writer's file could not
   corrupt the cache (its rename would fail, be logged, and the download be returned).

yfinance's own log lines and warnings are silenced while it runs (see
:mod:`forecast.data.yfinance_calls`; they are re-logged at DEBUG level).

The cache lives in ``$FORECAST_CACHE_DIR/yahoo`` if that variable is set, else in the
user's cache folder (``$XDG_CACHE_HOME/forecast/yahoo``, ``~/.cache/forecast/yahoo``,
``~/Library/Caches/forecast/yahoo`` on macOS, ``%LOCALAPPDATA%\\forecast\\Cache\\yahoo`` on
Windows); ``cache_dir=`` overrides it. One file per ticker, interval, start, end and
``auto_adjust``.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import IO, Any

import pandas as pd

from forecast._validation import check_choice
from forecast.data.bundled import list_datasets
from forecast.data.calendars import check_calendar_name, with_calendar
from forecast.data.frame import (
    PRICE_COLUMNS,
    normalize_price_frame,
    zone_to_name,
)
from forecast.data.yahoo_cache import (
    TEMP_SUFFIX,
    CorruptCacheError,
    default_cache_dir,
    is_fresh,
    read_cache,
    remove_stale_temp_files,
)
from forecast.data.yfinance_calls import failure_reason, name_resolution_failed, quiet_yfinance

logger = logging.getLogger(__name__)

#: the intervals yfinance accepts (``yfinance.download`` docstring)
VALID_INTERVALS = (
    "1m", "2m", "5m", "15m", "30m", "60m", "90m", "1h", "1d", "5d", "1wk", "1mo", "3mo",
)

#: a cached download younger than this (seconds) is served without the network
DEFAULT_MAX_AGE = 24 * 3600.0

_TICKER = re.compile(r"[A-Za-z0-9^=._-]{1,20}")


class YahooDownloadError(ConnectionError):
    """Yahoo Finance returned no prices and no usable cached copy exists.

    Attributes
    ----------
    ticker : str or None
        The symbol asked for.
    reason : str
        Why the download failed, in one line.
    network : bool
        True when the cause is the network (a host name could not be resolved).
    cache_file : pathlib.Path or None
        The cache file that was looked for.
    cache_problem : str or None
        Why that file could not be served: ``"missing"`` or ``"corrupt: <why>"``.
    """

    def __init__(
        self,
        message: str,
        *,
        ticker: str | None = None,
        reason: str | None = None,
        network: bool = False,
        cache_file: Path | None = None,
        cache_problem: str | None = None,
    ) -> None:
        super().__init__(message)
        self.ticker = ticker
        self.reason = message if reason is None else reason
        self.network = network
        self.cache_file = cache_file
        self.cache_problem = cache_problem


def load_yahoo(
    ticker: str,
    start: str | datetime.date | None = None,
    end: str | datetime.date | None = None,
    interval: str = "1d",
    *,
    auto_adjust: bool = True,
    cache_dir: str | os.PathLike | None = None,
    refresh: bool = False,
    max_age: float | datetime.timedelta | None = DEFAULT_MAX_AGE,
    calendar: str | None = None,
) -> pd.DataFrame:
    """Download one ticker's prices from Yahoo Finance, through a disk cache.

    Parameters
    ----------
    ticker : str
        A Yahoo symbol such as ``"MSFT"``, ``"^GSPC"`` or ``"EURUSD=X"``: 1 to 20 of
        ``A-Z a-z 0-9 ^ = . _ -`` (case-insensitive; it is upper-cased).
    start, end : str or date, optional
        First day (inclusive) and last day (exclusive, as in yfinance). Without ``start``
        the whole history (``period="max"``) is requested; without ``end``, up to today.
    interval : str, default "1d"
        One of :data:`VALID_INTERVALS`. Intraday data is only available for recent days.
    auto_adjust : bool, default True
        Passed to yfinance explicitly: adjust open/high/low/close for splits and
        dividends. With False the frame also has the raw ``close`` and ``adj_close``.
    cache_dir : str or path-like, optional
        Folder for the cached downloads (see the module docstring for the default).
    refresh : bool, default False
        Download even if a fresh cached copy exists (it is still the fallback).
    max_age : float (seconds) or timedelta or None, default one day
        How old a cached copy may be to be served without downloading; None never
        expires.
    calendar : str, optional
        An exchange code such as ``"XNYS"``: the index's ``freq`` follows its sessions
        (see :func:`forecast.data.calendars.with_calendar`; needs the ``calendars`` extra).

    Returns
    -------
    pandas.DataFrame
        Indexed by a strictly increasing DatetimeIndex named ``date`` (an intraday index
        keeps the exchange's zone, e.g. America/New_York, also in the cached copy);
        columns ``open, high, low, close, volume`` (plus ``adj_close`` when
        ``auto_adjust=False``).

    Raises
    ------
    ValueError
        for an invalid ticker (including path tricks such as ``"../x"``), interval, dates
        or max_age, or prices with missing values (naming how many and the first dates).
    TypeError
        for a ticker, ``auto_adjust``, ``refresh``, ``cache_dir`` or ``max_age`` of the
        wrong type.
    YahooDownloadError
        (a ``ConnectionError``) when the download fails or returns no rows and there is no
        usable cached copy; the message names the ticker, the cause (its ``network``
        attribute is True when a host name could not be resolved), the cache file (missing
        or corrupt) and the bundled datasets.

    Examples
    --------
    >>> msft = load_yahoo("MSFT", start="2020-01-01", end="2021-01-01")  # doctest: +SKIP
    >>> list(msft.columns)  # doctest: +SKIP
    ['open', 'high', 'low', 'close', 'volume']
    """
    ticker = check_ticker(ticker)
    check_choice(interval, "interval", VALID_INTERVALS)
    for name, flag in [("auto_adjust", auto_adjust), ("refresh", refresh)]:
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    first, last = _timestamp(start, "start"), _timestamp(end, "end")
    if first is not None and last is not None and first >= last:
        raise ValueError(f"start must be before end, got start={start!r} and end={end!r}")
    if calendar is not None:
        frame = load_yahoo(ticker, start, end, interval, auto_adjust=auto_adjust,
                           cache_dir=cache_dir, refresh=refresh, max_age=max_age)
        return with_calendar(frame, check_calendar_name(calendar))
    seconds = _max_age_seconds(max_age)
    path = cache_path(ticker, start, end, interval, auto_adjust=auto_adjust, cache_dir=cache_dir)
    source = f"yahoo:{ticker}"
    remove_stale_temp_files(path.parent)

    corrupt = None
    if not refresh and is_fresh(path, seconds):
        try:
            cached = read_cache(path, source)
        except CorruptCacheError as err:
            corrupt = err  # reported below: replaced, or named in the YahooDownloadError
            logger.info("%s: %s; downloading again", source, err)
        else:
            if cached is not None:
                logger.debug("%s: served from the cache %s", source, path)
                return cached

    try:
        raw = _download(ticker, first, last, interval, auto_adjust)
        if raw is None or raw.empty:
            raise YahooDownloadError(
                f"yfinance returned no rows for ticker {ticker!r} (interval={interval}, "
                f"start={start}, end={end}): an unknown or delisted ticker, a range without "
                "trading, or no network",
                ticker=ticker,
            )
    except Exception as err:  # the network boundary: any failure falls back to the cache
        return _serve_cache_after(err, ticker, path, source)

    frame = _from_yfinance(raw, ticker, source)
    _write_cache(frame, path)
    if corrupt is not None:
        logger.warning("%s: %s; downloaded again and replaced it", source, corrupt)
    return frame


def _serve_cache_after(err: Exception, ticker: str, path: Path, source: str) -> pd.DataFrame:
    """The cached copy after a failed download (with a warning), or YahooDownloadError."""
    reason = getattr(err, "reason", None) or " ".join(str(err).split()) or type(err).__name__
    network = bool(getattr(err, "network", False)) or name_resolution_failed([reason])
    try:
        cached = read_cache(path, source)
        problem, where = "missing", f"there is no cached copy at '{path}'"
    except CorruptCacheError as corrupt:
        cached, problem = None, f"corrupt: {corrupt.reason}"
        where = f"the cached copy '{path}' is corrupt ({corrupt.reason}; delete it)"
    if cached is None:
        raise YahooDownloadError(
            f"could not download {ticker!r} from Yahoo Finance ({reason}) and {where}. "
            "To work offline, use a bundled dataset: forecast.load_dataset(name) with name "
            f"in {list(list_datasets())}",
            ticker=ticker,
            reason=reason,
            network=network,
            cache_file=path,
            cache_problem=problem,
        ) from err
    written = datetime.datetime.fromtimestamp(path.stat().st_mtime).isoformat(" ", "seconds")
    logger.warning(
        "%s: download failed (%s); serving the cached copy %s written %s",
        source, reason, path, written,
    )
    return cached


def check_ticker(ticker: Any) -> str:
    """Return ``ticker`` upper-cased if it is a plausible Yahoo symbol; refuse path tricks.

    The whole string must be 1 to 20 of ``A-Z a-z 0-9 ^ = . _ -`` (a full match: a trailing
    newline, which a ``$`` pattern would let through into a cache file name, is refused).
    """
    if not isinstance(ticker, str):
        raise TypeError(f"ticker must be a string, got {ticker!r} of type {type(ticker).__name__}")
    if not _TICKER.fullmatch(ticker) or ticker in (".", ".."):
        raise ValueError(
            f"invalid ticker {ticker!r}: expected 1 to 20 of the characters A-Z a-z 0-9 ^ = . _ -"
            " (not '.' or '..'), e.g. 'MSFT', '^GSPC', 'BRK-B', 'EURUSD=X'"
        )
    return ticker.upper()


def cache_path(
    ticker: str,
    start: str | datetime.date | None = None,
    end: str | datetime.date | None = None,
    interval: str = "1d",
    *,
    auto_adjust: bool = True,
    cache_dir: str | os.PathLike | None = None,
) -> Path:
    """The cache file of one download: ``<dir>/<TICKER>_<interval>_<start>_<end>_<adj>.csv``."""
    ticker = check_ticker(ticker)
    check_choice(interval, "interval", VALID_INTERVALS)
    if cache_dir is not None and (
        isinstance(cache_dir, bool) or not isinstance(cache_dir, (str, os.PathLike))
    ):
        raise TypeError(f"cache_dir must be a folder path or None, got {cache_dir!r}")
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir() / "yahoo"
    first = _key(_timestamp(start, "start"), "first")
    last = _key(_timestamp(end, "end"), "latest")
    adjusted = "adjusted" if auto_adjust else "raw"
    return folder / f"{ticker}_{interval}_{first}_{last}_{adjusted}.csv"


def _download(
    ticker: str,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    interval: str,
    auto_adjust: bool,
) -> pd.DataFrame:
    """The only place that talks to the network (tests replace ``yfinance.download``).

    yfinance's log lines and warnings are collected, not printed; an exception or an
    empty frame becomes a :class:`YahooDownloadError` saying why (from those lines).
    """
    import yfinance

    kwargs: dict[str, Any] = {
        "interval": interval,
        "auto_adjust": auto_adjust,
        "actions": False,
        "progress": False,
        "threads": False,
    }
    if start is None:
        kwargs["period"] = "max"
    else:
        kwargs["start"] = _yf_date(start)
    if end is not None:
        kwargs["end"] = _yf_date(end)
    logger.info("downloading %s from Yahoo Finance (%s)", ticker, kwargs)
    with quiet_yfinance() as messages:
        try:
            raw = yfinance.download(ticker, **kwargs)
            failure = None
        except Exception as err:  # noqa: BLE001 - yfinance's failures are described below
            raw, failure = None, err
    if failure is None and raw is not None and not raw.empty:
        return raw
    texts = [*messages, f"{type(failure).__name__}: {failure}"] if failure else messages
    network = name_resolution_failed(texts)
    why = failure_reason(texts)
    if network:
        reason = why
    elif why:
        reason = f"yfinance returned no rows for ticker {ticker!r}: {why}"
    else:
        reason = (
            f"yfinance returned no rows for ticker {ticker!r} (interval={interval}, "
            f"start={start}, end={end}): an unknown or delisted ticker, a range without "
            "trading, or no network"
        )
    raise YahooDownloadError(reason, ticker=ticker, network=network) from failure


def _from_yfinance(raw: pd.DataFrame, ticker: str, source: str) -> pd.DataFrame:
    """yfinance's frame (flat, or MultiIndex ``(Price, Ticker)`` columns) -> a price frame."""
    if isinstance(raw.columns, pd.MultiIndex):
        if raw.columns.nlevels != 2:
            raise ValueError(f"{source}: unexpected yfinance columns {list(raw.columns)[:6]}")
        names = list(raw.columns.names)
        if "Ticker" in names:
            level = names.index("Ticker")
        elif "Price" in names:
            level = 1 - names.index("Price")
        else:  # unnamed levels: the ticker is wherever it appears
            level = 0 if ticker in raw.columns.get_level_values(0) else 1
        tickers = list(raw.columns.get_level_values(level).unique())
        if ticker not in tickers:
            raise ValueError(f"{source}: yfinance returned tickers {tickers}, not {ticker!r}")
        raw = raw.xs(ticker, axis=1, level=level)
    frame = normalize_price_frame(raw.rename_axis(columns=None), source)
    fields = [c for c in PRICE_COLUMNS if c in frame.columns]
    if "close" not in fields:
        raise ValueError(f"{source}: no Close column in the download: {list(raw.columns)}")
    return frame[fields]


def _write_frame(frame: pd.DataFrame, handle: IO[str]) -> None:
    """Serialise ``frame`` to an open text file (round-trips float64 exactly)."""
    zone_to_name(frame).to_csv(handle, date_format="%Y-%m-%dT%H:%M:%S")  # tz: UTC + name


def _write_cache(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` atomically: a temporary file in the same folder, renamed.

    A failure to write (read-only folder, full disk) is logged and the download is still
    returned; the temporary file is removed whatever goes wrong.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    except OSError as err:
        logger.warning("could not create the cache file %s (%s); not caching", path, err)
        return
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            _write_frame(frame, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as err:
        logger.warning("could not write the cache file %s (%s); not caching", path, err)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _max_age_seconds(max_age: Any) -> float | None:
    if max_age is None:
        return None
    if isinstance(max_age, datetime.timedelta):
        max_age = max_age.total_seconds()
    if isinstance(max_age, bool) or not isinstance(max_age, (int, float)):
        raise TypeError(f"max_age must be seconds, a timedelta or None, got {max_age!r}")
    if not max_age >= 0:
        raise ValueError(f"max_age must be >= 0 seconds, got max_age={max_age}")
    return float(max_age)


def _timestamp(value: Any, name: str) -> pd.Timestamp | None:
    """Parse a start/end date (tz-naive), naming it if it does not parse."""
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name} must be a date such as '2020-01-31', got {value!r}") from err
    if ts is pd.NaT:
        raise ValueError(f"{name} must be a date such as '2020-01-31', got {value!r}")
    return ts.tz_convert(None) if ts.tz is not None else ts


def _yf_date(ts: pd.Timestamp) -> str | datetime.datetime:
    """A date as yfinance takes it: ``"YYYY-MM-DD"``, or a datetime if it has a time."""
    return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.to_pydatetime()


def _key(ts: pd.Timestamp | None, default: str) -> str:
    """A file-name-safe form of a start/end date."""
    if ts is None:
        return default
    return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.strftime("%Y-%m-%dT%H%M%S")
