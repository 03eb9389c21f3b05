"""Where the ``forecast`` command reads prices: one loader for every source.

``--dataset``, ``--csv`` and ``--ticker`` give one series; ``--tickers``, ``--csv-dir`` and
``--dataset stocks_monthly`` without ``--column`` give many. Every source goes the same
way: frames by name, the ``--column`` of each, cut to ``--start`` .. ``--end``. A failed
Yahoo download becomes one :class:`~forecast.cli.parser.CommandError` line that names the
network, the cache file and the offline alternative.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.cli.parser import CommandError

logger = logging.getLogger(__name__)

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

    check_csv_flags(args)
    many = wants_many(args)
    if args.tickers or args.ticker:
        tickers = args.tickers or [args.ticker]
        frames = {t.upper(): download(t, args.start, args.end, args.cache_dir,
                                      calendar=args.calendar)
                  for t in tickers}
        source = f"yahoo: {', '.join(frames)}" if many else f"yahoo:{args.ticker.upper()}"
    elif args.csv_dir:
        frames = read_folder(args.csv_dir, args)
        source = f"{len(frames)} files in {Path(args.csv_dir).name}"
    elif args.csv:
        from forecast.data.csv import load_csv

        source = Path(args.csv).name
        frames = {source: load_csv(args.csv, **csv_options(args))}
    else:
        source = args.dataset or DEFAULT_DATASET
        check_dataset(source)
        frames = {source: load_dataset(source, calendar=args.calendar or "auto")}
    if many and not (args.tickers or args.csv_dir):  # one frame holding a series per column
        wide = frames[source]
        data = {str(c): wide[c] for c in wide.columns}
        source = f"{source}, {', '.join(data)}"
    elif args.csv_dir:
        data = {}
        for name, frame in frames.items():
            try:
                data[name] = _column(frame, name, args.column)
            except CommandError as err:
                skip(name, str(err))
    else:
        data = {name if many else source: _column(frame, name, args.column)
                for name, frame in frames.items()}
    if not (args.tickers or args.ticker):  # load_yahoo has applied --start/--end
        data = _cut(data, args.start, args.end)
    for name, y in data.items():
        if not len(y):
            raise CommandError(f"no data in {name} between --start and --end")
    if many:
        return data, source
    (y,) = data.values()
    return data, f"{source} {y.name}, {format_day(y.index[0])} .. {format_day(y.index[-1])}"


def csv_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`~forecast.data.csv.load_csv` that the flags give.

    ``--date-column`` is a name, or a position when it is a whole number; ``--missing
    error`` is ``missing="raise"``.
    """
    column = args.date_column
    if column is not None and column.strip().lstrip("-").isdigit():
        column = int(column)
    missing = {"error": "raise"}.get(args.missing, args.missing)
    options = {"date_column": column, "date_format": args.date_format, "missing": missing,
               "calendar": args.calendar}
    return options | ({"encoding": args.encoding} if args.encoding else {})


def check_csv_flags(args: argparse.Namespace) -> None:
    """Refuse ``--date-column``, ``--date-format``, ``--encoding``, ``--missing`` without a
    CSV source."""
    if args.csv or args.csv_dir:
        return
    given = [flag for flag, value in [("--date-column", args.date_column),
                                      ("--date-format", args.date_format),
                                      ("--encoding", args.encoding),
                                      ("--missing", args.missing if args.missing != "error"
                                       else None)] if value is not None]
    if given:
        raise CommandError(f"{', '.join(given)} only apply to --csv and --csv-dir files")


def check_dataset(name: str) -> None:
    """Refuse an unknown ``--dataset`` naming the choices and the command that lists them."""
    from forecast import list_datasets

    if name not in list_datasets():
        raise CommandError(
            f"unknown --dataset {name!r}; choose one of {', '.join(list_datasets())} "
            "(forecast datasets describes them), or read a file with --csv"
        )


def skip(name: str, reason: str) -> None:
    """Report in one line a ``--csv-dir`` file left out of the comparison, and why."""
    logger.warning("--csv-dir: skipped %s: %s", name, " ".join(reason.split()))


def _column(frame: pd.DataFrame, name: str, column: str | None) -> pd.Series:
    """The ``--column`` of ``frame``, a CommandError naming the choices.

    Without ``--column``: ``close``, or the only column of a one-column file.
    """
    from forecast.data.frame import canonical_field

    if column is None and len(frame.columns) == 1:
        return frame[frame.columns[0]]
    label = canonical_field(column or "close")
    if label not in frame.columns:
        raise CommandError(
            f"no column {column or 'close'!r} in {name}; use --column with "
            f"one of {', '.join(map(str, frame.columns))}"
        )
    return frame[label]


def long_enough(data: dict[str, pd.Series], test_size: int, folder: str) -> dict[str, pd.Series]:
    """The ``--csv-dir`` series long enough for ``--test-size``; the others skipped."""
    kept = {}
    for name, y in data.items():
        if len(y) < test_size + 2:
            skip(name, f"{len(y)} observation(s) between --start and --end; --test-size "
                 f"{test_size} needs at least {test_size + 2}")
        else:
            kept[name] = y
    if not kept:
        raise CommandError(f"--csv-dir {folder!r}: no file can be compared (each skipped "
                           "file is named above)")
    return kept


def _cut(data: dict[str, pd.Series], start: str | None, end: str | None) -> dict[str, pd.Series]:
    """Each series cut to ``start`` .. ``end`` (both included; None: no limit)."""
    if start is None and end is None:
        return data
    first, last = parse_date(start, "--start"), parse_date(end, "--end")
    return {name: y.loc[first:last] for name, y in data.items()}


def read_folder(folder: str, args: argparse.Namespace) -> dict[str, pd.DataFrame]:
    """``--csv-dir``: every ``.csv``/``.csv.gz`` file of ``folder`` that can be read, named
    by its stem; each file that cannot is skipped with a one-line warning naming the reason
    (a CommandError when none can be read)."""
    from forecast.data.csv import load_csv

    path = Path(folder)
    if not path.is_dir():
        raise CommandError(f"--csv-dir {folder!r} is not a folder")
    files = sorted({p for pattern in CSV_PATTERNS for p in path.glob(pattern)})
    if not files:
        raise CommandError(f"--csv-dir {folder!r} holds no .csv or .csv.gz files")
    names = [p.name.split(".")[0] for p in files]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        clash = [p.name for p in files if p.name.split(".")[0] in twice]
        raise CommandError(
            f"--csv-dir {folder!r} holds {clash}, which would all "
            "be the series named " + ", ".join(repr(n) for n in twice) + "; keep one of them"
        )
    frames = {}
    for name, file in zip(names, files, strict=True):
        try:
            frames[name] = load_csv(file, **csv_options(args))
        except (ValueError, TypeError, OSError) as err:
            skip(file.name, str(err).removeprefix(f"{file.name}: "))
    if not frames:
        raise CommandError(f"--csv-dir {folder!r}: none of its {len(files)} files could be "
                           "read (each is named above with the reason)")
    return frames


def download(
    ticker: str,
    start: str | None,
    end: str | None,
    cache_dir: str | None,
    interval: str = "1d",
    calendar: str | None = None,
) -> pd.DataFrame:
    """One ticker's prices through the Yahoo cache; a failure is a one-line CommandError."""
    from forecast import YahooDownloadError, load_yahoo

    try:
        return load_yahoo(ticker, start, end, interval, cache_dir=cache_dir, calendar=calendar)
    except YahooDownloadError as err:
        raise download_failure(err) from err


def download_failure(err: Exception) -> CommandError:
    """A failed Yahoo download (``YahooDownloadError``) as a one-line command error.

    Names the ticker, the cause (saying so when the network is down), the cache file and
    the ``--dataset`` alternative that works offline.
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
        f"could not download {ticker!r} from Yahoo Finance ({reason}){cache}. "
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
        raise CommandError(f"{flag} must be a date such as 2015-01-31, got {text!r}")
    if ts.tz is not None:
        raise CommandError(f"{flag} must be a date without a time zone "
                           f"(the data's dates have none), got {text!r}")
    return ts


def format_day(value: Any) -> str:
    """A date label as ``YYYY-MM-DD``, with ``HH:MM`` when it has a time of day (other
    labels as written)."""
    if not isinstance(value, pd.Timestamp):
        return str(value)
    return value.strftime("%Y-%m-%d" if value == value.normalize() else "%Y-%m-%d %H:%M")
