"""The date column of a price file: which column it is, and its dates parsed one way.

Used by :func:`forecast.data.csv.load_csv`. The date column is, in this order: the one
named by ``date_column=`` (a name, or a 0-based position); the first column named
``date``, ``datetime``, ``timestamp`` or ``time`` (any case); an unnamed first column
(header ``""``, what ``DataFrame.to_csv`` writes for an unnamed index, or pandas'
``"Unnamed: 0"`` for it). Every hint names both the Python argument and the command-line
flag, since the same message reaches both.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

from forecast.data.frame import mixed_offsets

logger = logging.getLogger(__name__)

#: names tried, in any case, for the date column
DATE_NAMES = ("date", "datetime", "timestamp", "time")
#: how an unnamed first column may be written in a header
UNNAMED = ("", "Unnamed: 0")


def check_date_column(date_column: object) -> str | int | None:
    """``date_column`` if it is a name, a position or None; a TypeError otherwise."""
    if date_column is None or isinstance(date_column, str):
        return date_column
    if isinstance(date_column, (int, np.integer)) and not isinstance(date_column, bool):
        return int(date_column)
    raise TypeError(
        f"date_column must be a column name (str), a 0-based position (int) or None, got "
        f"{date_column!r} of type {type(date_column).__name__}"
    )


def find_date_column(table: pd.DataFrame, date_column: str | int | None, source: str) -> str:
    """Return the label of the date column of ``table`` (see the module docstring)."""
    columns = list(table.columns)
    if isinstance(date_column, int):
        if not -len(columns) <= date_column < len(columns):
            raise ValueError(
                f"{source}: date_column={date_column} (--date-column {date_column}) is not a "
                f"position of the {len(columns)} column(s) {columns}; positions start at 0"
            )
        return columns[date_column]
    if date_column is not None:
        if date_column not in columns:
            raise ValueError(
                f"{source}: no date column {date_column!r}; the columns are {columns}. Name "
                "one of them, or give its position (0 is the first), with date_column= "
                "(command line: --date-column)"
            )
        return date_column
    for col in columns:
        if col.lower() in DATE_NAMES:
            return col
    if columns[0] in UNNAMED:
        return columns[0]
    raise ValueError(
        f"{source}: no date column found (looked for {', '.join(DATE_NAMES)} in any case, "
        f"and an unnamed first column); the columns are {columns}. Name it, or give its "
        "position (0 is the first), with date_column= (command line: --date-column)"
    )


def parse_dates(
    cells: pd.Series, lines: np.ndarray, date_format: str | None, source: str
) -> pd.DatetimeIndex:
    """Parse the date column with one format (given or inferred); name the first bad cell."""
    column = f"column {cells.name!r}"
    text = cells.str.strip()
    empty = np.flatnonzero((text == "").to_numpy())
    if empty.size:
        raise ValueError(
            f"{source}: {empty.size} row(s) without a date; the first is line "
            f"{lines[empty[0]]} (date {column})"
        )
    try:  # offsets that differ (a daylight-saving change) are held in UTC
        utc = mixed_offsets(text, lines)
    except ValueError as err:
        raise ValueError(f"{source}: {err}") from None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            parsed = pd.to_datetime(text, format=date_format, errors="coerce", utc=utc)
        except (ValueError, TypeError) as err:
            raise ValueError(f"{source}: could not parse the dates of {column}: {err}") from err
    for warning in caught:
        message = str(warning.message)
        if "Could not infer format" in message:
            raise ValueError(
                f"{source}: could not infer a date format from the first date "
                f"{text.iloc[0]!r} of {column}; pass date_format= (command line: "
                "--date-format), e.g. '%d/%m/%Y' or 'ISO8601'"
            )
        logger.info("%s: %s", source, message)
    bad = np.flatnonzero(pd.isna(parsed).to_numpy())
    if bad.size:
        i = int(bad[0])
        how = f"the format {date_format!r}" if date_format else "the format of the first date"
        raise ValueError(
            f"{source}: {bad.size} date(s) could not be parsed in {column} with {how} "
            f"({text.iloc[0]!r}); the first is {text.iloc[i]!r} at line {lines[i]}. Pass "
            "date_format= (command line: --date-format) if the file mixes formats, or "
            "date_column= (--date-column) if this is not the date column."
        )
    return pd.DatetimeIndex(parsed, name="date")
