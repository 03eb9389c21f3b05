"""Scoring of a comparison: the formulas of every column, the pairs tested, the summary."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast.evaluation.scoring import (
    SUMMARY_COLUMNS,
    family,
    lag_trap_message,
    pairs,
    score,
    summarize,
)
from forecast.models.rnn.global_series import GlobalSeriesForecaster

RW = "Random walk"


def _frame(actual, forecasts, last):
    """A tidy one-step backtest of several models on the same origins."""
    parts = []
    for name, f in forecasts.items():
        parts.append(pd.DataFrame({
            "origin": np.arange(len(actual)), "target": np.arange(len(actual)) + 1,
            "step": 1, "forecast": f, "actual": actual, "last": last, "model": name,
        }))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def closes():
    """120 S&P 500 closes: the origins' values (last), the values before them (prev), actuals."""
    y = forecast.load_dataset("sp500")["close"].iloc[-122:].to_numpy()
    return y[1:-1], y[:-2], y[2:]  # last, prev, actual


def test_price_columns_follow_their_formulas(closes):
    last, prev, a = closes
    f = last + 0.3 * (last - prev)  # a momentum forecast
    bt = _frame(a, {RW: last, "M": f}, last)
    price, _, _ = score(bt, np.tile(prev, 2), a[:50], RW, {}, returns=False)
    row = price.loc[("M", 1)]
    e, e_rw = a - f, a - last
    assert row["n"] == len(a)
    assert row["mae"] == pytest.approx(np.mean(np.abs(e)), rel=1e-12)
    assert row["rmse"] == pytest.approx(np.sqrt(np.mean(e**2)), rel=1e-12)
    assert row["skill"] == pytest.approx(1 - np.mean(e**2) / np.mean(e_rw**2), rel=1e-12)
    assert row["r2"] == pytest.approx(1 - np.sum(e**2) / np.sum((a - a.mean()) ** 2), rel=1e-12)
    expected_distance = np.mean(np.abs(f - last)) / np.mean(np.abs(a - last))
    assert row["rw_distance"] == pytest.approx(expected_distance, rel=1e-12)
    # F - L = 0.3 (L - P): the forecast change is the previous change, correlation 1
    assert row["lag_corr"] == pytest.approx(1.0, abs=1e-12)
    assert price.loc[(RW, 1), "skill"] == 0.0
    assert np.isnan(price.loc[(RW, 1), "dm_pvalue"])  # the reference is not tested against itself


def test_return_columns_compare_log_returns_from_the_last_price(closes):
    last, prev, a = closes
    f = last * (last / prev) ** 0.5  # half the previous log return again
    bt = _frame(a, {RW: last, "Up": f}, last)
    _, returns, tests = score(bt, np.tile(prev, 2), a[:50], RW, {}, returns=True)
    r_a, r_f = np.log(a / last), np.log(f / last)
    row = returns.loc[("Up", 1)]
    assert row["skill"] == pytest.approx(1 - np.mean((r_a - r_f) ** 2) / np.mean(r_a**2),
                                         rel=1e-12)
    assert row["mae"] == pytest.approx(np.mean(np.abs(r_a - r_f)), rel=1e-12)
    assert row["corr"] == pytest.approx(np.corrcoef(r_f, r_a)[0, 1], rel=1e-9)
    assert sorted(tests["scale"]) == ["price", "return"]


def test_without_returns_there_is_no_return_table_and_only_price_tests(closes):
    last, prev, a = closes
    bt = _frame(a, {RW: last, "M": last + 1.0}, last)
    _, returns, tests = score(bt, np.tile(prev, 2), a[:50], RW, {}, returns=False)
    assert returns is None
    assert tests["scale"].tolist() == ["price"]
    assert tests.loc[0, "better"] == RW  # always 1 above the last price is worse


def test_a_copy_of_the_last_price_is_a_lag_trap_and_says_why(closes, caplog):
    last, prev, a = closes
    bt = _frame(a, {RW: last, "Copy": last + 1e-9}, last)
    with caplog.at_level("WARNING", logger="forecast.evaluation.scoring"):
        price, _, _ = score(bt, np.tile(prev, 2), a[:50], RW, {}, returns=False)
    assert price.loc[("Copy", 1), "r2"] >= 0.9
    assert bool(price.loc[("Copy", 1), "lag_trap"]) and not bool(price.loc[(RW, 1), "lag_trap"])
    assert "lag trap: Copy (step 1) has a price R^2 of" in caplog.text


def test_lag_trap_message_names_each_reason_with_its_number():
    row = {"skill": -0.0123, "rw_distance": 0.05, "r2": 0.987}
    assert lag_trap_message("AR(1)", 2, row) == (
        "AR(1) (step 2) has a price R^2 of 0.987, which looks good, but its skill against the "
        "random walk is -1.23% and its forecasts stay within 0.050 typical moves of the last "
        "price: the R^2 comes from the last price, not from the model"
    )


def test_families_are_declared_by_the_model_classes_not_their_names():
    assert family(forecast.ARForecaster(order=2)) == "ar"
    assert family(forecast.RNNForecaster()) == "rnn"
    assert family(GlobalSeriesForecaster()) == "rnn"
    assert family(forecast.NaiveForecaster()) is None

    class RNNForecaster(forecast.NaiveForecaster):  # the old class-name match would pick it
        pass

    assert family(RNNForecaster()) is None


def test_each_rnn_is_tested_against_each_ar_and_everything_against_the_reference():
    families = {"AR(1)": "ar", "AR(5)": "ar", "LSTM": "rnn", "Drift": None}
    got = pairs([RW, "AR(1)", "AR(5)", "LSTM", "Drift"], RW, families)
    assert got == [("AR(1)", RW), ("AR(5)", RW), ("LSTM", RW), ("Drift", RW),
                   ("LSTM", "AR(1)"), ("LSTM", "AR(5)")]


def _series_result(skill, return_skill, significant, better):
    index = pd.MultiIndex.from_tuples([(RW, 1), ("M", 1)], names=["model", "step"])
    tests = pd.DataFrame({"model": ["M"], "versus": [RW], "step": [1], "scale": ["price"],
                          "significant": [significant], "better": [better]})
    return SimpleNamespace(
        metrics=pd.DataFrame({"skill": [0.0, skill]}, index=index),
        return_metrics=pd.DataFrame({"skill": [0.0, return_skill]}, index=index),
        tests=tests,
    )


def test_summary_takes_medians_and_counts_significant_wins_and_losses():
    results = {
        "a": _series_result(0.10, 0.02, True, "M"),
        "b": _series_result(-0.20, -0.04, True, RW),
        "c": _series_result(0.05, 0.01, False, "M"),
    }
    table = summarize(results, RW)
    assert table.columns.tolist() == SUMMARY_COLUMNS
    assert table.index.tolist() == [("M", 1)]  # the reference is not summarised
    row = table.loc[("M", 1)]
    assert row["n_series"] == 3
    assert row["median_skill"] == pytest.approx(0.05)
    assert row["median_return_skill"] == pytest.approx(0.01)
    assert (row["n_better"], row["n_worse"]) == (1, 1)
