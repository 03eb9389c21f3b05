"""CompareResult: one type for one series and many; a one-series result reads as its series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast.evaluation.report import fmt, markdown_table
from forecast.evaluation.results import CompareResult, MultiCompareResult, SeriesComparison

MODELS = {"AR(1)": forecast.ARForecaster(order=1)}


@pytest.fixture(scope="module")
def one():
    y = forecast.load_dataset("sp500")["close"].iloc[-300:]
    return forecast.compare(MODELS, y, test_size=60, horizon=2)


@pytest.fixture(scope="module")
def many():
    return forecast.compare(MODELS, forecast.load_dataset("stocks_monthly"), test_size=12)


def test_one_and_many_series_give_the_same_type(one, many):
    assert type(one) is type(many) is CompareResult
    assert MultiCompareResult is CompareResult
    assert forecast.CompareResult is forecast.MultiCompareResult is CompareResult


def test_a_one_series_result_is_its_series_comparison(one, tmp_path):
    assert list(one.results) == ["close"]
    series = one["close"]
    assert isinstance(series, SeriesComparison)
    for attr in ("backtests", "metrics", "return_metrics", "tests"):
        assert getattr(one, attr) is getattr(series, attr)
    assert one.models is series.models and one.settings is series.settings
    assert one.lag_traps == series.lag_traps
    assert one.settings["n_origins"] == 59 and one.settings["horizon"] == 2
    assert one.to_markdown() == series.to_markdown()
    assert one.to_markdown().startswith("## Forecast comparison\n\n59 forecast origins")
    written = one.to_csv(tmp_path / "out")
    assert [p.name for p in written] == [
        "backtests.csv", "metrics_price.csv", "metrics_returns.csv", "dm_tests.csv",
    ]
    assert repr(one).startswith("CompareResult(models=['Random walk', 'AR(1)'], origins=59, "
                                "horizon=2, lag_traps=")


def test_a_one_series_result_still_has_a_summary(one):
    assert one.summary.index.tolist() == [("AR(1)", 1), ("AR(1)", 2)]
    assert one.summary.loc[("AR(1)", 1), "median_skill"] == one.metrics.loc[("AR(1)", 1), "skill"]


def test_many_series_stack_their_metrics_and_send_other_tables_to_each_series(many):
    assert many.settings["n_obs"]["GOOG"] == 68 and many.settings["test_size"] == 12
    stacked = many.metrics
    assert stacked.index.names == ["series", "model", "step"]
    pd.testing.assert_frame_equal(stacked.loc["IBM"], many["IBM"].metrics)
    assert not hasattr(many, "backtests")
    with pytest.raises(AttributeError, match=r"holds 5 series .* result\['AAPL'\]\.backtests"):
        many.models  # noqa: B018
    assert repr(many) == ("CompareResult(series=['AAPL', 'AMZN', 'GOOG', 'IBM', 'MSFT'], "
                          "models=['AR(1)'])")


def test_many_series_write_the_summary_then_each_series(many, tmp_path):
    md = many.to_markdown()
    assert md.startswith("## Summary over 5 series")
    assert md.index("# AAPL") < md.index("# MSFT")
    written = many.to_csv(tmp_path / "out")
    assert written[0] == tmp_path / "out" / "summary.csv"
    assert (tmp_path / "out" / "GOOG" / "metrics_price.csv") in written


def test_a_dict_of_one_series_keeps_the_many_series_report(tmp_path):
    y = forecast.load_dataset("stocks_monthly")["IBM"]
    res = forecast.compare(MODELS, {"^IBM": y}, test_size=12)
    assert res.to_markdown().startswith("## Summary over 1 series")
    written = res.to_csv(tmp_path)
    assert (tmp_path / "_IBM" / "dm_tests.csv") in written  # a file-system-safe folder


def test_markdown_table_aligns_numbers_right_and_shows_missing_as_a_dash():
    frame = pd.DataFrame({"name": ["a|b", "c"], "x": [1.23456, np.nan]})
    table = markdown_table(frame, [("name", "Name", str), ("x", "X", fmt(".2f"))])
    assert table.splitlines() == [
        "| Name | X |",
        "|:---|---:|",
        "| a\\|b | 1.23 |",
        "| c | - |",
    ]
