"""``forecast.cli.sources``: one loader for every source of ``forecast compare``."""

from __future__ import annotations

import pandas as pd
import pytest

import forecast.data.yahoo as yahoo
from forecast import load_dataset
from forecast.cli.parser import CommandError, build_parser
from forecast.cli.sources import load_prices, parse_date, wants_many


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionError("network disabled in tests")

    monkeypatch.setattr(yahoo, "_download", refuse)


def _load(*argv):
    args = build_parser().parse_args(["compare", *argv])
    return wants_many(args), *load_prices(args)


def test_a_bundled_dataset_and_a_csv_of_it_load_the_same_series(tmp_path):
    load_dataset("msft").iloc[-50:].to_csv(tmp_path / "msft.csv")
    many, from_dataset, source = _load("--dataset", "msft", "--start", "2017-09-05")
    assert not many and list(from_dataset) == ["msft"]
    assert source == "msft close, 2017-09-05 .. 2017-11-10"
    _, from_csv, source = _load("--csv", str(tmp_path / "msft.csv"), "--start", "2017-09-05")
    assert list(from_csv) == ["msft.csv"] and source == "msft.csv close, 2017-09-05 .. 2017-11-10"
    pd.testing.assert_series_equal(from_csv["msft.csv"], from_dataset["msft"],
                                   check_freq=False, check_index_type=False)


def test_stocks_monthly_is_five_series_without_column_and_one_with_it():
    many, data, source = _load("--dataset", "stocks_monthly", "--end", "2009-12-31")
    assert many and list(data) == ["AAPL", "AMZN", "GOOG", "IBM", "MSFT"]
    assert source == "stocks_monthly, AAPL, AMZN, GOOG, IBM, MSFT"
    assert all(y.index[-1] <= pd.Timestamp("2009-12-31") for y in data.values())
    many, data, source = _load("--dataset", "stocks_monthly", "--column", "IBM")
    assert not many and list(data) == ["stocks_monthly"]
    assert source.startswith("stocks_monthly IBM, 2000-01")


def test_a_csv_folder_is_one_series_per_file_cut_to_the_same_dates(tmp_path):
    for name in ("sp500", "msft"):
        load_dataset(name).iloc[-80:].to_csv(tmp_path / f"{name}.csv")
    many, data, source = _load("--csv-dir", str(tmp_path), "--start", "2017-10-02")
    assert many and list(data) == ["msft", "sp500"] and source == f"2 files in {tmp_path.name}"
    assert [str(y.index[0].date()) for y in data.values()] == ["2017-10-02", "2018-09-06"]


def test_a_missing_column_names_the_source_and_the_columns_present():
    with pytest.raises(CommandError, match=r"no column 'Price' in sp500; use --column with one "
                       r"of open, high, low, close, adj_close, volume"):
        _load("--column", "Price")


def test_dates_outside_the_data_name_the_series_that_came_out_empty(tmp_path):
    load_dataset("msft").iloc[-50:].to_csv(tmp_path / "msft.csv")
    with pytest.raises(CommandError, match="no data in msft between --start and --end"):
        _load("--csv-dir", str(tmp_path), "--start", "2030-01-01")


@pytest.mark.parametrize(("text", "message"), [
    ("yesterday-ish", "--start must be a date such as 2015-01-31, got 'yesterday-ish'"),
    ("2015-01-01T00:00+01:00", "--start must be a date without a time zone"),
])
def test_a_date_that_is_no_plain_date_is_refused_by_flag(text, message):
    with pytest.raises(CommandError, match=message):
        parse_date(text, "--start")
    assert parse_date(None, "--start") is None
    assert parse_date("2015-01-31", "--start") == pd.Timestamp("2015-01-31")
