"""The real price datasets shipped with the package, so that everything runs offline.

The files live in the repository's ``datasets/`` folder; the wheel carries them as
``forecast/_datasets``. Their provenance is in ``datasets/README.md``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from forecast._validation import check_choice
from forecast.data.calendars import DATASET_CALENDARS, calendars_available, with_calendar
from forecast.data.frame import normalize_price_frame

_FILES = {
    "sp500": "sp500.csv.gz",
    "msft": "msft.csv.gz",
    "stocks_monthly": "stocks_monthly.csv",
}

_DESCRIPTIONS = {
    "sp500": "S&P 500 index, daily, 1999-01-04 .. 2018-12-31 (5,031 days; with adj_close)",
    "msft": "Microsoft, daily, split-adjusted, 1986-03-13 .. 2017-11-10 (7,983 days)",
    "stocks_monthly": "AAPL, AMZN, GOOG, IBM, MSFT monthly closes, 2000-01 .. 2010-03",
}

#: the dataset used when none is named (CLI, notebooks, README)
DEFAULT_DATASET = "sp500"


def list_datasets() -> dict[str, str]:
    """Name the bundled datasets.

    Returns
    -------
    dict
        ``{name: one-line description}``, in a fixed order.

    Examples
    --------
    >>> list(list_datasets())
    ['sp500', 'msft', 'stocks_monthly']
    """
    return dict(_DESCRIPTIONS)


def _data_dir() -> Path:
    """The folder with the data files: inside the installed wheel, else the source tree."""
    packaged = Path(str(resources.files("forecast"))) / "_datasets"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "datasets"


def dataset_path(name: str) -> Path:
    """Path of the file behind dataset ``name``."""
    check_choice(name, "dataset", _FILES)
    return _data_dir() / _FILES[name]


def load_dataset(
    name: str = DEFAULT_DATASET, *, symbol: str | None = None, calendar: str | None = "auto"
) -> pd.DataFrame:
    """Load a bundled dataset as a price frame.

    Parameters
    ----------
    name : {"sp500", "msft", "stocks_monthly"}
        The dataset (see :func:`list_datasets`).
    symbol : str, optional
        Only for ``"stocks_monthly"``: one of AAPL, AMZN, GOOG, IBM, MSFT. With it the
        result is that symbol's price frame with a single ``close`` column; without it the
        result is wide, one column of closes per symbol (upper-case tickers), and GOOG is
        NaN before its listing in 2004-08 (the only missing values, and only there).
    calendar : str or None, default "auto"
        An exchange code such as ``"XNYS"``: the index's ``freq`` follows its sessions, so
        forecasts are dated on them (see :func:`forecast.data.calendars.with_calendar`).
        ``"auto"``: the dataset's exchange (XNYS for sp500 and msft) when the
        ``calendars`` extra is installed, else none; None: none (forecasts continue on
        business days, Mon-Fri). The values are the same either way; only dates of
        forecasts beyond the data change (2019-01-02, not the holiday 2019-01-01, after
        the S&P 500's last day).

    Returns
    -------
    pandas.DataFrame
        Indexed by a tz-naive, sorted, unique DatetimeIndex named ``date``; columns
        ``open, high, low, close, volume`` (plus ``adj_close`` for sp500). Daily datasets
        hold trading days only; the monthly one is dated on the first of the month.

    Examples
    --------
    >>> sp = load_dataset("sp500")
    >>> sp.shape, str(sp.index[0].date()), float(sp["close"].iloc[-1])
    ((5031, 6), '1999-01-04', 2506.850098)
    >>> float(load_dataset("stocks_monthly", symbol="IBM")["close"].iloc[0])
    100.52
    """
    path = dataset_path(name)
    if calendar == "auto":
        calendar = DATASET_CALENDARS.get(name) if calendars_available() else None
    if calendar is not None:
        frame = load_dataset(name, symbol=symbol, calendar=None)
        return with_calendar(frame, calendar)
    if name == "stocks_monthly":
        long = pd.read_csv(path)
        long["date"] = pd.to_datetime(long["date"], format="%b %d %Y")
        symbols = sorted(long["symbol"].unique())
        if symbol is None:
            wide = long.pivot(index="date", columns="symbol", values="price")
            wide.columns.name = None
            wide.index = wide.index.as_unit("ns")
            return wide[symbols].astype("float64")
        check_choice(symbol, "symbol", symbols)
        rows = long[long["symbol"] == symbol]
        frame = pd.DataFrame({"close": rows["price"].to_numpy()}, index=rows["date"])
        return normalize_price_frame(frame, f"stocks_monthly[{symbol}]")
    if symbol is not None:
        raise ValueError(f"symbol= is only for 'stocks_monthly', not for dataset {name!r}")
    raw = pd.read_csv(path)
    date_format = "%m/%d/%Y" if name == "sp500" else "%Y-%m-%d"
    raw.index = pd.to_datetime(raw.pop("Date"), format=date_format)
    raw = raw.drop(columns=["OpenInt"], errors="ignore")
    return normalize_price_frame(raw, name)
