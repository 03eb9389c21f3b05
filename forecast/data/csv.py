"""Read a user's own price file into the package's price shape (see ``forecast.data.frame``).

Two layouts are understood and told apart by the header:

* wide: a date column and one column per price field or per symbol
  (``Date,Open,High,Low,Close,Adj Close,Volume`` or ``date,AAPL,MSFT``);
* long: a ``symbol`` (or ``ticker``) column, a date column and the price column(s)
  (``symbol,date,price``), one row per symbol and date.

Missing values (empty cells and the markers in :data:`MISSING_MARKERS`) are found and
reported; they are dropped or filled only when ``missing=`` asks for it.

Files are untrusted input: at most ``MAX_CSV_BYTES`` (128 MiB) of text are read, after
decompression; see :mod:`forecast.data.csv_input` for what else is refused.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from forecast._validation import check_choice
from forecast.data.calendars import with_calendar
from forecast.data.csv_dates import check_date_column, find_date_column, parse_dates
from forecast.data.csv_input import (
    MAX_CSV_BYTES,
    check_columns,
    check_date_range,
    check_encoding,
    check_header,
    check_path,
    read_text,
)
from forecast.data.frame import (
    canonical_field,
    missing_report,
    normalize_price_frame,
)

logger = logging.getLogger(__name__)

#: cell contents read as "missing" (compared after stripping spaces, case-insensitively)
MISSING_MARKERS = frozenset({"", ".", "-", "null", "na", "n/a", "#n/a", "nan", "none"})

_SYMBOL_NAMES = ("symbol", "ticker")
#: in a long file with one value column, these names become ``close``
_CLOSE_ALIASES = ("price", "value", "close")


def load_csv(
    path: str | os.PathLike,
    *,
    date_column: str | int | None = None,
    columns: str | Sequence[str] | None = None,
    symbol: str | None = None,
    missing: str = "raise",
    date_format: str | None = None,
    encoding: str = "utf-8-sig",
    max_bytes: int | None = MAX_CSV_BYTES,
    calendar: str | None = None,
) -> pd.DataFrame:
    """Load a price file (CSV, optionally compressed) as a price frame.

    Parameters
    ----------
    path : str or path-like
        The file; ``.gz``, ``.zip``, ``.bz2``, ``.xz`` compression is read by extension.
    date_column : str or int, optional
        The column holding the dates: its name (``""`` for an unnamed one) or its 0-based
        position. By default the column named ``date``, ``datetime``, ``timestamp`` or
        ``time`` (any case), else an unnamed first column (``DataFrame.to_csv`` writes its
        unnamed index so); a file with neither is refused.
    columns : str or sequence of str, optional
        Keep only these output columns, in this order: price fields (``"close"`` or
        ``"Close"``), or symbols for a long file read without ``symbol=``. A single string
        is one column.
    symbol : str, optional
        Long files only: return this symbol's rows, its price column named ``close``
        (a ``price`` or ``value`` column is renamed ``close``). Without it a long file with
        one price column gives one column per symbol (sorted), named as in the file.
    missing : {"raise", "drop", "ffill"}, default "raise"
        What to do with missing values: raise a ``ValueError`` naming how many there are
        and the first dates affected; drop every row with a missing value; or carry the last
        observed value forward (a value missing before a column's first observation cannot
        be filled and raises). In a long file a symbol without a row for a date that other
        symbols have counts as missing.
    date_format : str, optional
        A ``strftime`` format such as ``"%d/%m/%Y"``, or ``"ISO8601"``. By default the
        format is inferred from the first date and every date must follow it.
    encoding : str, default "utf-8-sig"
        The text encoding (UTF-8, with or without a byte-order mark, by default); e.g.
        ``"latin-1"`` or ``"cp1252"`` for files saved by older spreadsheet programs.
    max_bytes : int or None, default MAX_CSV_BYTES
        Refuse files with more text than this (bytes, after decompression; 128 MiB by
        default); None reads any size.
    calendar : str, optional
        An exchange code such as ``"XNYS"``: the index's ``freq`` follows its sessions, so
        forecasts are dated on them (see :func:`forecast.data.calendars.with_calendar`;
        needs the ``calendars`` extra). Daily dates only.

    Returns
    -------
    pandas.DataFrame
        Indexed by a strictly increasing DatetimeIndex named ``date`` (tz-aware if the
        dates carry UTC offsets: in that offset, or in UTC if they differ); price
        fields named ``open, high, low, close, adj_close, volume``, other columns (symbols)
        as written; values as float64. Rows are returned in date order: a file written
        newest first is sorted (logged at INFO level); the values are unchanged.

    Raises
    ------
    FileNotFoundError
        if ``path`` does not exist (the message names it).
    TypeError
        if ``path`` is not a path, or ``columns``, ``date_column``, ``symbol``,
        ``date_format``, ``encoding`` or ``max_bytes`` has the wrong type.
    ValueError
        for an empty file, a file without a date column or price columns, a date that
        does not parse or lies outside 1677-09-21 .. 2262-04-11 (naming its line and
        value), a non-numeric price (naming its value, column and line), a duplicated date
        (naming it and its lines), unknown ``columns`` or ``symbol``, missing values with
        ``missing="raise"``, text that is not in ``encoding`` (naming the line), a damaged
        or fake ``.gz``/``.bz2``/``.xz``/``.zip`` file, or more than ``max_bytes`` of text.

    Examples
    --------
    >>> from forecast.data.bundled import dataset_path
    >>> ibm = load_csv(dataset_path("stocks_monthly"), symbol="IBM")
    >>> ibm.shape, float(ibm["close"].iloc[0])
    ((123, 1), 100.52)
    """
    check_choice(missing, "missing", ("raise", "drop", "ffill"))
    path = check_path(path)
    wanted = check_columns(columns)
    date_column = check_date_column(date_column)
    for name, value in [("symbol", symbol), ("date_format", date_format)]:
        if value is not None and not isinstance(value, str):
            raise TypeError(
                f"{name} must be a string or None, got {value!r} of type {type(value).__name__}"
            )
    encoding = check_encoding(encoding)
    if max_bytes is not None and (isinstance(max_bytes, bool) or not isinstance(max_bytes, int)):
        raise TypeError(f"max_bytes must be an int or None, got {max_bytes!r}")
    if max_bytes is not None and max_bytes < 1:
        raise ValueError(f"max_bytes must be >= 1 (or None for no limit), got {max_bytes}")
    if not path.exists():
        raise FileNotFoundError(f"no such price file: '{path}' (resolved: '{path.resolve()}')")
    if path.is_dir():
        raise IsADirectoryError(f"expected a CSV file, got the directory '{path}'")
    source = path.name
    table, lines = _read_table(path, source, encoding, max_bytes)

    date_col = find_date_column(table, date_column, source)
    dates = parse_dates(table[date_col], lines, date_format, source)
    check_date_range(dates, table[date_col], lines, source)
    symbol_col = _find_column(table, None, _SYMBOL_NAMES, "symbol", source, required=False)
    if symbol_col is None:
        if symbol is not None:
            raise ValueError(
                f"{source}: symbol={symbol!r} needs a long file with a 'symbol' column; "
                f"the columns are {list(table.columns)}"
            )
        frame = _numeric(table.drop(columns=date_col), lines, source)
        _check_unique(dates, lines, source)
        frame.index = dates
    else:
        frame = _from_long(table, dates, lines, date_col, symbol_col, symbol, source)
    frame = frame.rename(columns=canonical_field)

    if wanted is not None:
        absent = [c for c in wanted if c not in frame.columns]
        if absent:
            raise ValueError(f"{source}: no column(s) {absent} (columns=, command line: "
                             f"--column); available: {list(frame.columns)}")
        frame = frame[wanted]
    if not frame.index.is_monotonic_increasing:
        logger.info("%s: dates are not in increasing order; sorting them", source)
        frame = frame.sort_index(kind="stable")
    long_hint = symbol_col is not None and symbol is None
    frame = _handle_missing(frame, missing, source, long_hint)
    frame = normalize_price_frame(frame, source)
    return frame if calendar is None else with_calendar(frame, calendar)


def _read_table(
    path: Path, source: str, encoding: str, max_bytes: int | None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Read every cell as a string; return the table and each row's line in the file."""
    text = read_text(path, source, encoding, max_bytes)
    header = check_header(text, source)
    try:
        table = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
        )
    except pd.errors.EmptyDataError:
        raise ValueError(f"{source}: the file is empty") from None
    except pd.errors.ParserError as err:
        raise ValueError(f"{source}: not a well-formed CSV file: {err}") from err
    del text
    if len(header) == table.shape[1]:  # as written: pandas calls an empty name "Unnamed: 0"
        table.columns = header
    else:
        table.columns = [str(c).strip() for c in table.columns]
    # line 1 is the header; blank lines are kept by the reader so that numbers stay right
    lines = np.arange(len(table)) + 2
    blank = (table.apply(lambda col: col.str.strip()) == "").all(axis=1).to_numpy()
    table, lines = table[~blank].reset_index(drop=True), lines[~blank]
    if table.empty:
        raise ValueError(f"{source}: a header {list(table.columns)} but no data rows")
    return table, lines


def _find_column(
    table: pd.DataFrame,
    given: str | None,
    names: Sequence[str],
    what: str,
    source: str,
    *,
    required: bool = True,
) -> str | None:
    """Return the column ``given``, or the first whose name (any case) is in ``names``."""
    if given is not None:
        if given not in table.columns:
            raise ValueError(
                f"{source}: no {what} column {given!r}; the columns are {list(table.columns)}"
            )
        return given
    for col in table.columns:
        if col.lower() in names:
            return col
    if required:
        raise ValueError(
            f"{source}: no {what} column found (looked for {', '.join(names)} in any case); "
            f"the columns are {list(table.columns)}. Pass {what}_column= to name it."
        )
    return None


def _numeric(table: pd.DataFrame, lines: np.ndarray, source: str) -> pd.DataFrame:
    """Convert string cells to float64; markers become NaN; any other text raises."""
    if table.shape[1] == 0:
        raise ValueError(f"{source}: no price columns besides the date column")
    out = {}
    for col in table.columns:
        text = table[col].str.strip()
        marker = text.str.lower().isin(MISSING_MARKERS)
        values = pd.to_numeric(text.mask(marker), errors="coerce")
        bad = np.flatnonzero((values.isna() & ~marker).to_numpy())
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"{source}: column {col!r} holds {bad.size} non-numeric value(s); the first is "
                f"{text.iloc[i]!r} at line {lines[i]}. Missing values may be written as "
                f"{sorted(MISSING_MARKERS)}"
            )
        out[col] = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.DataFrame(out)


def _check_unique(dates: pd.DatetimeIndex, lines: np.ndarray, source: str) -> None:
    """Raise naming the first duplicated date and the lines it appears on."""
    dup = dates.duplicated(keep=False)
    if dup.any():
        first = dates[dup][0]
        at = lines[dates == first]
        raise ValueError(
            f"{source}: {int(dates.duplicated().sum())} duplicated date(s); the first is "
            f"{first.date() if first == first.normalize() else first} on lines "
            f"{', '.join(map(str, at))}"
        )


def _from_long(
    table: pd.DataFrame,
    dates: pd.DatetimeIndex,
    lines: np.ndarray,
    date_col: str,
    symbol_col: str,
    symbol: str | None,
    source: str,
) -> pd.DataFrame:
    """A long ``symbol,date,price`` table -> one symbol's frame, or one column per symbol."""
    symbols = table[symbol_col].str.strip()
    values = _numeric(table.drop(columns=[date_col, symbol_col]), lines, source)
    if symbol is not None:
        check_choice(symbol, "symbol", sorted(symbols.unique()))
        rows = (symbols == symbol).to_numpy()
        frame = values[rows].set_axis(dates[rows], axis=0)
        _check_unique(frame.index, lines[rows], f"{source}[{symbol}]")
        if frame.shape[1] == 1 and str(frame.columns[0]).lower() in _CLOSE_ALIASES:
            frame.columns = ["close"]
        return frame
    if values.shape[1] != 1:
        raise ValueError(
            f"{source}: a long file with several price columns {list(values.columns)}; "
            f"pass symbol= to load one of {sorted(symbols.unique())} (the command line reads "
            "long files with one price column)"
        )
    keys = pd.MultiIndex.from_arrays([symbols.to_numpy(), dates])
    dup = keys.duplicated(keep=False)
    if dup.any():
        sym, when = keys[dup][0]
        at = lines[dup & (symbols == sym).to_numpy() & (dates == when)]
        raise ValueError(
            f"{source}: {int(keys.duplicated().sum())} duplicated (symbol, date) row(s); "
            f"the first is {sym!r} on {when.date()}, lines {', '.join(map(str, at))}"
        )
    frame = pd.Series(values.iloc[:, 0].to_numpy(), index=keys).unstack(level=0)
    frame = frame[sorted(frame.columns)]
    frame.columns.name = None
    frame.index.name = "date"
    return frame


def _handle_missing(
    frame: pd.DataFrame, missing: str, source: str, long_hint: bool
) -> pd.DataFrame:
    """Apply the ``missing`` policy to the NaN cells of ``frame`` (see :func:`load_csv`)."""
    report = missing_report(frame)
    if not report:
        return frame
    if missing == "raise":
        hint = (
            " In a long file a symbol without a row for a date counts as missing; "
            "pass symbol= to load one symbol (command line: --missing drop keeps the dates "
            "every symbol has)."
            if long_hint
            else ""
        )
        raise ValueError(
            f"{source}: {report}. Pass missing='drop' (command line: --missing drop) to drop "
            "those rows or missing='ffill' (--missing ffill) to carry the last value "
            f"forward.{hint}"
        )
    if missing == "drop":
        kept = frame.dropna(how="any")
        logger.info("%s: dropped %d row(s) with missing values", source, len(frame) - len(kept))
        return kept
    leading = frame.isna() & frame.ffill().isna()
    if leading.to_numpy().any():
        only_leading = np.where(leading, np.nan, 0.0)
        report = missing_report(
            pd.DataFrame(only_leading, index=frame.index, columns=frame.columns)
        )
        raise ValueError(
            f"{source}: missing='ffill' cannot fill values missing before a column's first "
            f"observation: {report}. Select other columns (columns=, command line: "
            "--column) or use missing='drop' (--missing drop)."
        )
    logger.info("%s: filled %d missing value(s) forward", source, int(frame.isna().sum().sum()))
    return frame.ffill()
