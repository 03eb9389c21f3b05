"""Where the ``forecast`` command reads prices: one loader for every source.

``--dataset``, ``--csv`` and ``--ticker`` give one series; ``--tickers``, ``--csv-dir`` and
``--dataset stocks_monthly`` without ``--column`` give many. Every source goes the same
way: frames by name, the ``--column`` of each, cut to ``--start`` .. ``--end``. A failed
Yahoo download becomes one :class:`~forecast.cli.parser.CommandError` line that names the
network, the cache file and the offline alternative.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.cli.parser import CommandError

#: file names read by ``--csv-dir``
CSV_PATTERNS = ("*.csv", "*.csv.gz")
#: the bundled dataset of many series (one per column): compared as many without --column
MANY_SERIES_DATASET = "stocks_monthly"


def wants_many(args: argparse.Namespace) -> bool:
    """Whether ``forecast compare`` was asked for many series rather than one."""
    return bool(
        args.tickers or args.csv_dir or (args.dataset == MANY_SERIES_DATASET and not args.column)
    )


def load_prices(args: argparse.Namespace) -> tuple[dict[str, pd.Series], str]:
    """The price series asked for, by name, and a short description of where they come from.

    For one series the dict has one entry, named by its source (``sp500``, ``prices.csv``,
    ``yahoo:MSFT``), and the description adds the column and the first and last dates.
    """
    from forecast.data.bundled import DEFAULT_DATASET, load_dataset

    many = wants_many(args)
    if args.tickers or args.ticker:
        tickers = args.tickers or [args.ticker]
        frames = {t.upper(): download(t, args.start, args.end, args.cache_dir, "compare")
                  for t in tickers}
        source = f"yahoo: {', '.join(frames)}" if many else f"yahoo:{args.ticker.upper()}"
    elif args.csv_dir:
        frames = read_folder(args.csv_dir)
        source = f"{len(frames)} files in {Path(args.csv_dir).name}"
    elif args.csv:
        from forecast.data.csv import load_csv

        source = Path(args.csv).name
        frames = {source: load_csv(args.csv)}
    else:
        source = args.dataset or DEFAULT_DATASET
        frames = {source: load_dataset(source)}
    if many and not (args.tickers or args.csv_dir):  # one frame holding a series per column
        wide = frames[source]
        data = {str(c): wide[c] for c in wide.columns}
        source = f"{source}, {', '.join(data)}"
    else:
        data = {name if many else source: _column(frame, name, args.column)
                for name, frame in frames.items()}
    if not (args.tickers or args.ticker):  # load_yahoo has applied --start/--end
        data = _cut(data, args.start, args.end)
    for name, y in data.items():
        if not len(y):
            raise CommandError(f"forecast compare: no data in {name} between --start and --end")
    if many:
        return data, source
    (y,) = data.values()
    return data, f"{source} {y.name}, {format_day(y.index[0])} .. {format_day(y.index[-1])}"


def _column(frame: pd.DataFrame, name: str, column: str | None) -> pd.Series:
    """The ``--column`` of ``frame`` (default: close), a CommandError naming the choices."""
    from forecast.data.frame import canonical_field

    label = canonical_field(column or "close")
    if label not in frame.columns:
        raise CommandError(
            f"forecast compare: no column {column or 'close'!r} in {name}; use --column with "
            f"one of {', '.join(map(str, frame.columns))}"
        )
    return frame[label]


def _cut(data: dict[str, pd.Series], start: str | None, end: str | None) -> dict[str, pd.Series]:
    """Each series cut to ``start`` .. ``end`` (both included; None: no limit)."""
    if start is None and end is None:
        return data
    first, last = parse_date(start, "--start"), parse_date(end, "--end")
    return {name: y.loc[first:last] for name, y in data.items()}


def read_folder(folder: str) -> dict[str, pd.DataFrame]:
    """``--csv-dir``: every ``.csv``/``.csv.gz`` file of ``folder``, named by its stem."""
    from forecast.data.csv import load_csv

    path = Path(folder)
    if not path.is_dir():
        raise CommandError(f"forecast compare: --csv-dir {folder!r} is not a folder")
    files = sorted({p for pattern in CSV_PATTERNS for p in path.glob(pattern)})
    if not files:
        raise CommandError(f"forecast compare: no .csv or .csv.gz files in {folder!r}")
    names = [p.name.split(".")[0] for p in files]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        clash = [p.name for p in files if p.name.split(".")[0] in twice]
        raise CommandError(
            f"forecast compare: --csv-dir {folder!r} holds {clash}, which would all "
            "be the series named " + ", ".join(repr(n) for n in twice) + "; keep one of them"
        )
    return {name: load_csv(p) for name, p in zip(names, files, strict=True)}


def download(
    ticker: str,
    start: str | None,
    end: str | None,
    cache_dir: str | None,
    command: str,
    interval: str = "1d",
) -> pd.DataFrame:
    """One ticker's prices through the Yahoo cache; a failure is a one-line CommandError."""
    from forecast import YahooDownloadError, load_yahoo

    try:
        return load_yahoo(ticker, start, end, interval, cache_dir=cache_dir)
    except YahooDownloadError as err:
        raise download_failure(err, command) from err


def download_failure(err: Exception, command: str) -> CommandError:
    """A failed Yahoo download (``YahooDownloadError``) as a one-line command error.

    Names the ticker, the cause (saying so when the network is down), the cache file and
    the ``--dataset`` alternative that works offline; ``command`` is "fetch" or "compare".
    """
    from forecast import list_datasets

    ticker = getattr(err, "ticker", None) or "the ticker"
    reason = getattr(err, "reason", None) or str(err)
    path = getattr(err, "cache_file", None)
    problem = getattr(err, "cache_problem", None)
    if path is None:
        cache = ""
    elif problem and problem.startswith("corrupt"):
        cache = f"; the cached copy '{path}' is {problem} (delete it)"
    else:
        cache = f"; no cached copy at '{path}'"
    names = list(list_datasets())
    offline = "offline" if getattr(err, "network", False) else "without Yahoo"
    return CommandError(
        f"forecast {command}: could not download {ticker!r} from Yahoo Finance ({reason}){cache}. "
        f"To work {offline}, use a bundled dataset: forecast compare --dataset NAME with NAME "
        f"one of {', '.join(names)} (forecast datasets describes them)"
    )


def parse_date(text: str | None, flag: str) -> pd.Timestamp | None:
    """``--start``/``--end`` as a tz-naive Timestamp (a CommandError naming the flag if not)."""
    if text is None:
        return None
    try:
        ts = pd.Timestamp(text)
    except (ValueError, OverflowError):
        ts = None
    if ts is None or ts is pd.NaT:
        raise CommandError(f"forecast compare: {flag} must be a date such as 2015-01-31, "
                           f"got {text!r}")
    if ts.tz is not None:
        raise CommandError(f"forecast compare: {flag} must be a date without a time zone "
                           f"(the data's dates have none), got {text!r}")
    return ts


def format_day(value: Any) -> str:
    """A date label as ``YYYY-MM-DD`` (other labels as written)."""
    return value.strftime("%Y-%m-%d") if isinstance(value, pd.Timestamp) else str(value)
