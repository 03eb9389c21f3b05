"""The one shape every loader returns: a price frame with a clean ``date`` index.

A price frame has a tz-naive, sorted, unique DatetimeIndex named ``date`` and lower-case
columns ``open, high, low, close, volume`` (plus ``adj_close`` where the source has it).
"""

from __future__ import annotations

import re

import pandas as pd

from forecast._validation import check_index

#: the columns a price frame may carry, in the order they are returned
PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close", "volume")


def column_name(name: object) -> str:
    """``"Adj Close"`` -> ``"adj_close"``: lower case, runs of non-alphanumerics to ``_``."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def normalize_price_frame(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Return ``frame`` in the package's price-frame shape.

    Parameters
    ----------
    frame : pandas.DataFrame
        Prices indexed by date (any tz), with columns such as ``Open``, ``Adj Close``.
    source : str
        Where the frame came from (a dataset name, a path, a ticker), for error messages.

    Returns
    -------
    pandas.DataFrame
        Columns renamed by :func:`column_name`, known price columns first in the order of
        :data:`PRICE_COLUMNS`, float64 prices, index a tz-naive DatetimeIndex named ``date``.

    Raises
    ------
    ValueError
        if the index is unsorted or duplicated, or a value is missing (naming how many and
        the first dates affected).
    """
    frame = frame.rename(columns=column_name)
    known = [c for c in PRICE_COLUMNS if c in frame.columns]
    frame = frame[known + [c for c in frame.columns if c not in known]]
    index = pd.DatetimeIndex(frame.index)
    if index.tz is not None:
        index = index.tz_localize(None)
    frame.index = check_index(index, source).rename("date")
    missing = frame.isna().any(axis=1)
    if missing.any():
        first = ", ".join(d.strftime("%Y-%m-%d") for d in frame.index[missing][:3])
        raise ValueError(
            f"{source} has {int(missing.sum())} row(s) with missing values; first dates: {first}"
        )
    return frame.astype("float64")
