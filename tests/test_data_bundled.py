"""The bundled real datasets load with exact shapes, dates, columns and values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast.data.bundled import dataset_path

SYMBOLS = ["AAPL", "AMZN", "GOOG", "IBM", "MSFT"]

#: name -> (rows, first date, last date, columns, first close, last close), from the files
EXPECTED = {
    "sp500": (
        5031,
        "1999-01-04",
        "2018-12-31",
        ["open", "high", "low", "close", "adj_close", "volume"],
        1228.099976,
        2506.850098,
    ),
    "msft": (
        7983,
        "1986-03-13",
        "2017-11-10",
        ["open", "high", "low", "close", "volume"],
        0.07533,
        83.87,
    ),
}


def _assert_clean_index(frame: pd.DataFrame) -> None:
    index = frame.index
    assert isinstance(index, pd.DatetimeIndex)
    assert index.name == "date"
    assert index.tz is None
    assert index.is_monotonic_increasing
    assert index.is_unique


def test_list_datasets_names_the_three_files():
    datasets = forecast.list_datasets()
    assert list(datasets) == ["sp500", "msft", "stocks_monthly"]
    assert all(isinstance(text, str) and text for text in datasets.values())


@pytest.mark.parametrize("name", ["sp500", "msft"])
def test_daily_dataset_shape_dates_columns_and_values(name):
    rows, first, last, columns, first_close, last_close = EXPECTED[name]
    frame = forecast.load_dataset(name)
    _assert_clean_index(frame)
    assert frame.shape == (rows, len(columns))
    assert list(frame.columns) == columns
    assert frame.index[0] == pd.Timestamp(first)
    assert frame.index[-1] == pd.Timestamp(last)
    assert (frame.dtypes == np.float64).all()
    assert frame["close"].iloc[0] == pytest.approx(first_close, rel=1e-12)
    assert frame["close"].iloc[-1] == pytest.approx(last_close, rel=1e-12)
    assert not frame.isna().any().any()
    prices = frame[["open", "high", "low", "close"]]
    assert (prices > 0).all().all()
    assert (frame["high"] >= prices.max(axis=1)).all()
    assert (frame["low"] <= prices.min(axis=1)).all()
    # trading days only: no weekends
    assert (frame.index.day_of_week < 5).all()


def test_default_dataset_is_sp500():
    pd.testing.assert_frame_equal(forecast.load_dataset(), forecast.load_dataset("sp500"))


def test_sp500_values_match_the_raw_file():
    raw = pd.read_csv(dataset_path("sp500"))
    frame = forecast.load_dataset("sp500")
    np.testing.assert_array_equal(frame["adj_close"].to_numpy(), raw["Adj Close"].to_numpy())
    np.testing.assert_array_equal(frame["volume"].to_numpy(), raw["Volume"].to_numpy())
    assert frame.index[1] == pd.Timestamp("1999-01-05")  # "1/5/1999" read month first


def test_monthly_wide_has_one_column_per_symbol():
    wide = forecast.load_dataset("stocks_monthly")
    _assert_clean_index(wide)
    assert list(wide.columns) == SYMBOLS
    assert wide.shape == (123, 5)
    assert wide.index[0] == pd.Timestamp("2000-01-01")
    assert wide.index[-1] == pd.Timestamp("2010-03-01")
    assert (wide.index.day == 1).all()
    # the long file's 560 rows are all there, and GOOG is missing only before its listing
    assert int(wide.notna().sum().sum()) == 560
    counts = {"AAPL": 123, "AMZN": 123, "GOOG": 68, "IBM": 123, "MSFT": 123}
    assert wide.notna().sum().to_dict() == counts
    goog = wide["GOOG"]
    assert goog.first_valid_index() == pd.Timestamp("2004-08-01")
    assert goog.loc["2004-08-01":].notna().all()
    assert wide.drop(columns="GOOG").notna().all().all()
    assert wide.loc["2000-01-01", "IBM"] == 100.52
    assert wide.loc["2010-03-01", "GOOG"] == 560.19


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_monthly_symbol_is_a_price_frame(symbol):
    frame = forecast.load_dataset("stocks_monthly", symbol=symbol)
    _assert_clean_index(frame)
    assert list(frame.columns) == ["close"]
    assert len(frame) == (68 if symbol == "GOOG" else 123)
    assert frame.index[-1] == pd.Timestamp("2010-03-01")
    assert not frame["close"].isna().any()
    wide = forecast.load_dataset("stocks_monthly")[symbol].dropna()
    np.testing.assert_array_equal(frame["close"].to_numpy(), wide.to_numpy())


def test_monthly_symbols_add_up_to_the_long_file():
    total = sum(len(forecast.load_dataset("stocks_monthly", symbol=s)) for s in SYMBOLS)
    assert total == 560 == len(pd.read_csv(dataset_path("stocks_monthly")))


def test_unknown_dataset_names_it_and_the_choices():
    with pytest.raises(ValueError, match=r"'nasdaq'.*'sp500'"):
        forecast.load_dataset("nasdaq")


def test_unknown_symbol_names_it_and_the_choices():
    with pytest.raises(ValueError, match=r"'TSLA'.*'AAPL'"):
        forecast.load_dataset("stocks_monthly", symbol="TSLA")


def test_symbol_on_a_daily_dataset_is_refused():
    with pytest.raises(ValueError, match="symbol= is only for 'stocks_monthly'"):
        forecast.load_dataset("sp500", symbol="MSFT")


def test_the_data_files_live_next_to_their_readme():
    folder = dataset_path("sp500").parent
    readme = (folder / "README.md").read_text()
    for name in forecast.list_datasets():
        assert dataset_path(name).is_file()
        assert dataset_path(name).name in readme
