"""Hostile series through the data entry points: loaders, windows, splitters, transforms.

Every cell is one value of :data:`hostile_cases.CASES` at one entry point; it passes when
the call raises a named ValueError/TypeError or returns a result that the stated invariant
accepts (see :mod:`hostile_cases`).
"""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from hostile_cases import BASE, CASE_IDS, CASES, SERIES_CASES, check_result, resolve, run_cell

import forecast
from forecast import (
    Differencer,
    LogReturns,
    SimpleReturns,
    Standardizer,
    WalkForwardSplit,
    make_windows,
    temporal_train_test_split,
)

#: real log returns: the clean input of inverse_transform
RETURNS = np.log(BASE).diff().dropna()

# values do not matter to a splitter; odd values are still a fine thing to split
_ANY_VALUE = {"value": "either"}


def _check_frame(y, frame: pd.DataFrame) -> None:
    """A loaded price frame: finite, dated, strictly increasing, one row per input row."""
    check_result(frame)
    assert not frame.index.hasnans, "a NaT date in the loaded frame"
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert len(frame) == len(y), f"{len(y)} rows in, {len(frame)} rows out"


# --------------------------------------------------------------------------- loaders

#: a loader reads dates: a number such as 0.0 or 2**62 is not one
_LOADER = {"length_1": "ok", "too_short": "ok", "two_d": "ok", "object_dtype": "ok",
           "constant": "ok", "mixed_tz": "either", "float_index": "error"}


def _write_csv(y, path):
    frame = y.to_frame() if isinstance(y, pd.Series) else y
    frame.to_csv(path, index_label="date")
    return path


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_load_csv(case, tmp_path):
    y = case.build(BASE)
    path = _write_csv(y, tmp_path / "prices.csv") if hasattr(y, "to_csv") else y
    # a CSV written newest first is sorted by the loader, as documented
    run_cell(lambda: forecast.load_csv(path), resolve(case, {**_LOADER, "unsorted": "either"}),
             args=("path", "prices.csv"), words=case.words,
             check=lambda frame: _check_frame(y, frame))


def _yfinance_frame(y, ticker: str = "TEST") -> pd.DataFrame:
    """What ``yfinance.download`` returns: (Price, Ticker) columns, a Date index."""
    columns = {ticker: y} if isinstance(y, pd.Series) else {ticker: y.iloc[:, 0],
                                                             "OTHR": y.iloc[:, 1]}
    parts = {}
    for field in ("Close", "High", "Low", "Open"):
        for ticker, values in columns.items():
            parts[(field, ticker)] = values
    frame = pd.concat(parts, axis=1)
    frame.columns = frame.columns.set_names(["Price", "Ticker"])
    return frame.rename_axis(index="Date")


# an empty download is "no rows" (a YahooDownloadError, documented), not a frame to check
YAHOO_CASES = [c for c in SERIES_CASES if c.name != "empty"]


@pytest.mark.parametrize("case", YAHOO_CASES, ids=[c.name for c in YAHOO_CASES])
def test_load_yahoo_normalises_a_yfinance_frame(case, tmp_path, monkeypatch):
    yfinance = pytest.importorskip("yfinance")
    y = case.build(BASE)
    monkeypatch.setattr(yfinance, "download", lambda *a, **k: _yfinance_frame(y))
    run_cell(lambda: forecast.load_yahoo("TEST", cache_dir=tmp_path),
             resolve(case, {**_LOADER, "object_dtype": "either"}), args=("yahoo:TEST",),
             words=case.words,
             check=lambda frame: _check_frame(y, frame))


@pytest.mark.parametrize("name", ["nope", "", "SP500 ", None, 5, ["sp500"]],
                         ids=["unknown", "empty", "padded", "none", "int", "list"])
def test_load_dataset_name(name):
    run_cell(lambda: forecast.load_dataset(name), "error", args=("name",), words=r"sp500",
             check=check_result)


# --------------------------------------------------------------------------- windows, splits

_SHAPE_OK = {"two_d": "ok", "object_dtype": "either", "bool_dtype": "either"}


def _check_windows(y, out) -> None:
    X, Y = out
    check_result((X, Y))
    n = len(y) - 5 - 2 + 1
    assert X.shape[:2] == (n, 5) and Y.shape[:2] == (n, 2), (X.shape, Y.shape)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_make_windows(case):
    y = case.build(BASE)
    run_cell(lambda: make_windows(y, window=5, horizon=2), resolve(case, _SHAPE_OK),
             args=("y",), words=case.words, check=lambda out: _check_windows(y, out))


def _check_split(y, parts) -> None:
    train, test = parts
    assert len(train) + len(test) == len(y) and len(train) >= 1 and len(test) >= 1
    if hasattr(train, "index"):
        assert train.index[-1] < test.index[0], "a training label is not before the test part"


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_temporal_train_test_split(case):
    y = case.build(BASE)
    run_cell(lambda: temporal_train_test_split(y, test_size=0.2),
             resolve(case, {**_SHAPE_OK, **_ANY_VALUE, "too_short": "ok"}),
             args=("arrays", "y"), words=case.words, check=lambda out: _check_split(y, out))


def _check_cv(y, splits) -> None:
    assert len(splits) == 3, f"asked for 3 splits, got {len(splits)}"
    for train, test in splits:
        assert len(test) == 5 and train.max() < test.min() and test.max() < len(y)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_walk_forward_split(case):
    y = case.build(BASE)
    cv = WalkForwardSplit(n_splits=3, test_size=5)
    run_cell(lambda: list(cv.split(y)), resolve(case, {**_SHAPE_OK, **_ANY_VALUE}),
             args=("X", "n_samples"), words=case.words, check=lambda out: _check_cv(y, out))


# --------------------------------------------------------------------------- transforms

TRANSFORMS = {
    "LogReturns": LogReturns,
    "SimpleReturns": SimpleReturns,
    "Differencer": Differencer,
    "Standardizer": Standardizer,
}
_PRICES = {"nonpositive": "error", "bool_dtype": "error"}  # returns need prices > 0
_ORDERED = {"index": "error", "float_index": "either"}  # differences need the time order
_TRANSFORM_RULES = {
    "LogReturns": {"nonpositive": "error", "length_1": "error", "constant": "ok",
                   **_PRICES, **_ORDERED},
    "SimpleReturns": {"nonpositive": "error", "length_1": "error", "constant": "ok",
                      **_PRICES, **_ORDERED},
    "Differencer": {"nonpositive": "ok", "length_1": "error", "constant": "ok",
                    "bool_dtype": "either", **_ORDERED},
    "Standardizer": {"nonpositive": "ok", "length_1": "either", "bool_dtype": "either",
                     "index": "either"},
}


def _round_trip(name: str, y):
    """fit, transform, and inverse_transform back onto the first value(s)."""
    t = TRANSFORMS[name]().fit(y)
    z = t.transform(y)
    if name == "Standardizer":
        return z, t.inverse_transform(z), y
    first = np.asarray(y)[:1]
    start = first if name == "Differencer" else first[0]
    return z, t.inverse_transform(z, start=start), (y.iloc[1:] if hasattr(y, "iloc") else y[1:])


def _check_round_trip(out) -> None:
    z, back, expected = out
    check_result((z, back))
    np.testing.assert_allclose(np.asarray(back, dtype=float), np.asarray(expected, dtype=float),
                               rtol=1e-6, err_msg="inverse_transform(transform(y)) is not y")


@pytest.mark.parametrize("name", list(TRANSFORMS))
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_transform_round_trip(case, name):
    y = case.build(BASE)
    rules = {"two_d": "ok", "too_short": "ok", **_TRANSFORM_RULES[name]}
    run_cell(lambda: _round_trip(name, y), resolve(case, rules), args=("X",),
             words=case.words, check=_check_round_trip)


def _check_prices(name: str, prices) -> None:
    check_result(prices)
    if name in ("LogReturns", "SimpleReturns"):
        assert (np.asarray(prices) > 0).all(), f"non-positive prices from returns: {prices}"


@pytest.mark.parametrize("name", list(TRANSFORMS))
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_transform_inverse(case, name):
    fitted = TRANSFORMS[name]().fit(BASE)
    z = case.build(RETURNS)
    rules = {"index": "either", "length_1": "ok", "too_short": "ok", "nonpositive": "ok",
             "empty": "either", "object_dtype": "either", "bool_dtype": "either"}
    run_cell(lambda: fitted.inverse_transform(z), resolve(case, rules), args=("X",),
             words=case.words, check=lambda prices: _check_prices(name, prices))


BROKEN_FILES = {
    "latin1.csv": "date,close\n2020-01-02,1.0\n2020-01-03,2.0\n2020-01-0\xe9,3.0\n".encode(
        "latin-1"),
    "fake.csv.gz": b"date,close\n2020-01-02,1.0\n",
    "truncated.csv.gz": gzip.compress(b"date,close\n2020-01-02,1.0\n2020-01-03,2.0\n")[:20],
    "year1200.csv": b"date,close\n1200-01-01,1.0\n1200-01-02,2.0\n",
    "binary.csv": bytes(range(256)),
}


@pytest.mark.parametrize("name", list(BROKEN_FILES))
def test_load_csv_broken_file_names_the_file(name, tmp_path):
    path = tmp_path / name
    path.write_bytes(BROKEN_FILES[name])
    run_cell(lambda: forecast.load_csv(path), "error", args=(name,), words=r"(?!)",
             check=check_result)


# --------------------------------------------------------------------------- Yahoo settings

#: (id, arguments of load_yahoo, the argument named); the download itself would succeed
YAHOO_SETTINGS = [
    ("ticker-newline", ("MSFT\n",), {}, "ticker"),
    ("ticker-path", ("../x",), {}, "ticker"),
    ("ticker-empty", ("",), {}, "ticker"),
    ("ticker-space", ("MS FT",), {}, "ticker"),
    ("ticker-long", ("A" * 21,), {}, "ticker"),
    ("ticker-none", (None,), {}, "ticker"),
    ("ticker-int", (5,), {}, "ticker"),
    ("interval", ("MSFT",), {"interval": "7m"}, "interval"),
    ("start-not-a-date", ("MSFT",), {"start": "yesterday-ish"}, "start"),
    ("start-after-end", ("MSFT",), {"start": "2020-01-01", "end": "2019-01-01"}, "start"),
    ("max-age-negative", ("MSFT",), {"max_age": -1}, "max_age"),
    ("max-age-string", ("MSFT",), {"max_age": "1 day"}, "max_age"),
    ("auto-adjust-string", ("MSFT",), {"auto_adjust": "yes"}, "auto_adjust"),
]


@pytest.mark.parametrize("args, kwargs, param", [s[1:] for s in YAHOO_SETTINGS],
                         ids=[s[0] for s in YAHOO_SETTINGS])
def test_load_yahoo_setting(args, kwargs, param, tmp_path, monkeypatch):
    yfinance = pytest.importorskip("yfinance")
    monkeypatch.setattr(yfinance, "download", lambda ticker, **k: _yfinance_frame(BASE, ticker))
    run_cell(lambda: forecast.load_yahoo(*args, cache_dir=tmp_path, **kwargs), "error",
             args=(param,), words=r"(?!)", check=check_result)
