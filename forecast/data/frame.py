"""The package's shape for a price table, shared by every loader.

A price frame has a strictly increasing ``DatetimeIndex`` named ``date`` (tz-aware when its
source is: the zone is kept, the order is that of the instants) and float64 price columns;
the usual price fields are called ``open, high, low, close, adj_close, volume`` whatever
the source calls them ("Adj Close", "ADJ_CLOSE", ...).
:func:`normalize_price_frame` produces that shape or raises naming what is wrong; it never
sorts, drops or fills anything.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from forecast._validation import check_index

#: the canonical price fields, in the order they are returned
PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close", "volume")

#: how many offending dates an error message lists
_SHOWN = 5


def canonical_field(label: Hashable) -> Hashable:
    """Return the canonical name of a price field label, or the label unchanged.

    "Adj Close", "adj_close", "AdjClose" and "ADJ-CLOSE" all become ``"adj_close"``;
    "Open" becomes ``"open"``. A label that names no price field (a ticker symbol such as
    ``"AAPL"`` in a file of closes per symbol, or ``"OpenInt"``) is returned as written,
    without surrounding spaces.

    Examples
    --------
    >>> canonical_field("Adj Close"), canonical_field("AAPL")
    ('adj_close', 'AAPL')
    """
    if not isinstance(label, str):
        return label
    key = re.sub(r"[\s_\-.]+", "", label).lower()
    if key in ("adjclose", "adjustedclose"):
        return "adj_close"
    if key in PRICE_COLUMNS:
        return key
    return label.strip()


def _first_dates(index: pd.Index, rows: np.ndarray) -> str:
    """Format the first few labels of ``index`` at the boolean ``rows`` for a message."""
    labels = index[rows][:_SHOWN]
    text = ", ".join(
        ts.strftime("%Y-%m-%d") if ts == ts.normalize() else str(ts) for ts in labels
    )
    return text + (", ..." if rows.sum() > _SHOWN else "")


#: a UTC offset (or Z) right after a time of day, at the end of a date
_OFFSET = re.compile(r"\d\d:\d\d(?::\d\d(?:\.\d+)?)?\s*([+-]\d\d:?\d\d|Z)$")


def mixed_offsets(text: pd.Series, lines: Sequence[int] | None = None) -> bool:
    """Whether dates written as ``text`` carry UTC offsets, not all the same.

    Such dates (a file written across a daylight-saving change: ``-04:00`` then ``-05:00``)
    can only be held by one index in UTC: parse them with ``pd.to_datetime(..., utc=True)``.

    Parameters
    ----------
    text : pandas.Series of str
        The dates as written.
    lines : sequence of int, optional
        The line of each date in its file, for the message (by default its row).

    Raises
    ------
    ValueError
        if some dates carry an offset and others do not (which instant a date without one
        stands for is unknown); the message names the first date of the minority kind.
    """
    offsets = text.str.strip().str.extract(_OFFSET, expand=False)
    has = offsets.notna().to_numpy()
    if has.any() and not has.all():
        odd = np.flatnonzero(has if has.sum() < (~has).sum() else ~has)[0]
        kind = "with" if has[odd] else "without"
        raise ValueError(
            f"the dates mix UTC offsets and none: {text.iloc[odd]!r} "
            f"({'row ' + str(odd) if lines is None else 'line ' + str(lines[odd])}) is written "
            f"{kind} one, unlike most dates; write every date with its offset, or none"
        )
    return bool(has.any()) and offsets.nunique() > 1


def missing_report(frame: pd.DataFrame) -> str:
    """Describe the missing values of ``frame``: how many, in which columns, first dates.

    Returns an empty string when nothing is missing.
    """
    mask = frame.isna().to_numpy()
    if not mask.any():
        return ""
    rows = mask.any(axis=1)
    per_column = {col: int(n) for col, n in zip(frame.columns, mask.sum(axis=0), strict=True) if n}
    columns = ", ".join(f"{col!s}: {n}" for col, n in per_column.items())
    return (
        f"{int(mask.sum())} missing value(s) in {int(rows.sum())} row(s) "
        f"(per column: {columns}); first dates affected: {_first_dates(frame.index, rows)}"
    )


def normalize_price_frame(
    frame: pd.DataFrame, source: str, *, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Return ``frame`` in the package's price shape, or raise naming the problem.

    Parameters
    ----------
    frame : pandas.DataFrame
        Prices indexed by date (a DatetimeIndex, or labels that parse as dates), or with
        a ``date`` column (any case) and a default RangeIndex.
    source : str
        Where the frame comes from (a file name, ``"yahoo:MSFT"``); every error message
        starts with it.
    columns : sequence of str, optional
        Keep only these columns, in this order (matched after renaming, so ``"Close"`` and
        ``"close"`` both select ``close``). By default every column is kept.

    Returns
    -------
    pandas.DataFrame
        A copy with a strictly increasing ``datetime64[ns]`` index named ``date``; the
        price fields renamed to ``open, high, low, close, adj_close, volume`` and placed
        first in that order, other columns after them as written; every column float64.
        A tz-aware index keeps its zone (dates written with UTC offsets that differ, as
        across a daylight-saving change, are converted to UTC); it is ordered by instants,
        so the repeated hour of a fall-back (01:00-04:00 then 01:00-05:00) is no duplicate.

    Raises
    ------
    ValueError
        for an empty frame, unparseable dates, an unsorted or duplicated index, duplicated
        or missing columns, an index of numbers instead of dates, non-numeric (bool,
        complex, text) columns, or missing or infinite values (naming how
        many and the first dates affected). Nothing is sorted, dropped or filled here.

    Examples
    --------
    >>> raw = pd.DataFrame({"Date": ["2020-01-02", "2020-01-03"], "Adj Close": [1.0, 2.0]})
    >>> normalize_price_frame(raw, "example").columns.tolist()
    ['adj_close']
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{source}: expected a pandas DataFrame, got {type(frame).__name__}")
    if frame.empty:
        raise ValueError(f"{source}: no price data (shape {frame.shape})")
    frame = frame.rename(columns=canonical_field)
    date_cols = [c for c in frame.columns if isinstance(c, str) and c.lower() == "date"]
    if date_cols and isinstance(frame.index, pd.RangeIndex):
        frame = frame.set_index(date_cols[0])
    duplicated = frame.columns[frame.columns.duplicated()]
    if len(duplicated):
        raise ValueError(f"{source}: duplicated column(s) {list(duplicated)} after renaming")
    if columns is not None:
        wanted = [canonical_field(c) for c in columns]
        absent = [c for c in wanted if c not in frame.columns]
        if absent:
            raise ValueError(
                f"{source}: no column(s) {absent}; available: {list(frame.columns)}"
            )
        frame = frame[wanted]
    else:
        fields = [c for c in PRICE_COLUMNS if c in frame.columns]
        frame = frame[fields + [c for c in frame.columns if c not in fields]]

    frame = frame.set_axis(_date_index(frame.index, source), axis=0)
    check_index(frame.index, name=source)

    out = {}
    for col in frame.columns:
        values = frame[col]
        if not (
            pd.api.types.is_numeric_dtype(values)
            and not pd.api.types.is_bool_dtype(values)
            and not pd.api.types.is_complex_dtype(values)
        ):
            raise ValueError(
                f"{source}: column {col!r} is not numeric (dtype {values.dtype}); "
                f"first value {values.iloc[0]!r}"
            )
        out[col] = values.to_numpy(dtype=np.float64)
    result = pd.DataFrame(out, index=frame.index)
    result.columns.name = None

    report = missing_report(result)
    if report:
        raise ValueError(f"{source}: {report}")
    prices = result.to_numpy(dtype=np.float64)
    infinite = np.isinf(prices).any(axis=1)
    if infinite.any():
        raise ValueError(
            f"{source}: {int(np.isinf(prices).sum())} infinite value(s); "
            f"first dates affected: {_first_dates(result.index, infinite)}"
        )
    return result


def _date_index(index: pd.Index, source: str) -> pd.DatetimeIndex:
    """Return ``index`` as a ``datetime64[ns]`` index named ``date`` (its zone kept), or name
    the first label that is not a date."""
    if not isinstance(index, pd.DatetimeIndex):
        if index.dtype.kind in "biufc":  # numbers would be read as nanoseconds after 1970
            raise ValueError(
                f"{source}: the index holds numbers ({index.dtype}, first {index[0]!r}), not "
                "dates; give the rows their dates (a 'date' column or a DatetimeIndex)"
            )
        try:
            utc = mixed_offsets(pd.Series(index, dtype=object).astype(str))
        except ValueError as err:
            raise ValueError(f"{source}: {err}") from None
        parsed = pd.to_datetime(index, errors="coerce", utc=utc)
        bad = np.flatnonzero(pd.isna(parsed))
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"{source}: {bad.size} date(s) could not be parsed; the first is "
                f"{index[i]!r} at row {i}"
            )
        index = pd.DatetimeIndex(parsed)
    # one resolution whatever the source (pandas 3 parses text to "us", yfinance gives "ns")
    return index.as_unit("ns").rename("date")


def zone_to_name(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` ready for a CSV file that keeps the zone of a tz-aware index.

    The dates are written in UTC without an offset and the zone goes into the index name,
    ``date@America/New_York``; :func:`zone_from_name` undoes it. A tz-naive frame is
    returned unchanged.
    """
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        return frame
    utc = index.tz_convert("UTC").tz_localize(None)
    return frame.set_axis(utc.rename(f"{index.name}@{index.tz}"), axis=0)


def zone_from_name(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`zone_to_name`: UTC dates and a zone in the index name -> a tz-aware index.

    Raises
    ------
    ValueError
        if the zone in the index name is not a known time zone.
    """
    name = frame.index.name
    if not (isinstance(name, str) and "@" in name):
        return frame
    name, zone = name.split("@", 1)
    try:
        index = pd.DatetimeIndex(pd.to_datetime(frame.index)).tz_localize("UTC").tz_convert(zone)
    except (ValueError, TypeError, KeyError) as err:
        raise ValueError(
            f"the index {frame.index.name!r} names no usable time zone: {err}"
        ) from None
    return frame.set_axis(index.rename(name), axis=0)
