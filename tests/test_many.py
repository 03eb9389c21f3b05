"""Many series: compare on a dict or wide frame, the summary, n_jobs, threads, the CLI."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_info

import forecast.data.yahoo as yahoo
from forecast import load_dataset
from forecast.api import backtest, compare
from forecast.cli import main
from forecast.evaluation.results import MultiCompareResult
from forecast.models.ar import ARForecaster
from forecast.models.naive import NaiveForecaster
from forecast.models.rnn_forecaster import RNNForecaster

TEST_SIZE = 24


@pytest.fixture(scope="module")
def monthly():
    return load_dataset("stocks_monthly")


@pytest.fixture(scope="module")
def monthly_result(monthly):
    models = {"Drift": NaiveForecaster(strategy="drift"), "AR(1)": ARForecaster(order=1)}
    return compare(models, monthly, test_size=TEST_SIZE, refit_every=1)


def test_wide_frame_gives_one_result_per_column_equal_to_single_runs(monthly, monthly_result):
    res = monthly_result
    assert isinstance(res, MultiCompareResult)
    assert list(res.results) == ["AAPL", "AMZN", "GOOG", "IBM", "MSFT"]
    # GOOG's 55 leading NaN (before its 2004-08 listing) are trimmed for GOOG only
    assert res.settings["n_obs"] == {"AAPL": 123, "AMZN": 123, "GOOG": 68, "IBM": 123,
                                     "MSFT": 123}
    assert res["GOOG"].backtests["origin"].iloc[0] == pd.Timestamp("2008-03-01")
    for symbol in ("GOOG", "IBM"):
        models = {"Drift": NaiveForecaster(strategy="drift"), "AR(1)": ARForecaster(order=1)}
        single = compare(models, monthly[symbol].dropna(), test_size=TEST_SIZE, refit_every=1)
        pd.testing.assert_frame_equal(res[symbol].metrics, single.metrics, check_exact=True)
        pd.testing.assert_frame_equal(res[symbol].tests, single.tests, check_exact=True)


def test_summary_is_the_median_skill_and_the_significant_dm_counts(monthly_result):
    res = monthly_result
    assert res.summary.index.tolist() == [("Drift", 1), ("AR(1)", 1)]
    for model in ("Drift", "AR(1)"):
        skills = [r.metrics.loc[(model, 1), "skill"] for r in res.results.values()]
        rskills = [r.return_metrics.loc[(model, 1), "skill"] for r in res.results.values()]
        better = worse = 0
        for r in res.results.values():
            t = r.tests
            row = t[(t.model == model) & (t.versus == "Random walk") & (t.scale == "price")]
            if row["pvalue"].iloc[0] < 0.05:
                mse_ratio = row["mse_ratio"].iloc[0]
                better += mse_ratio < 1
                worse += mse_ratio > 1
        got = res.summary.loc[(model, 1)]
        assert got["n_series"] == 5
        assert got["median_skill"] == pytest.approx(np.median(skills), abs=0, rel=1e-15)
        assert got["median_return_skill"] == pytest.approx(np.median(rskills), rel=1e-15)
        assert (got["n_better"], got["n_worse"]) == (better, worse)
    # monthly AR(1) on prices loses to the random walk on this data
    assert res.summary.loc[("AR(1)", 1), "median_skill"] < 0


def test_markdown_and_csv(monthly_result, tmp_path):
    md = monthly_result.to_markdown()
    assert md.startswith("## Summary over 5 series")
    assert "| AR(1) | 5 |" in md and "# GOOG" in md
    written = monthly_result.to_csv(tmp_path / "out")
    assert tmp_path / "out" / "summary.csv" in written
    summary = pd.read_csv(tmp_path / "out" / "summary.csv", index_col=[0, 1])
    assert summary.loc[("AR(1)", 1), "n_series"] == 5
    assert (tmp_path / "out" / "MSFT" / "metrics_price.csv").exists()


def test_n_jobs_gives_exactly_the_serial_results_with_an_rnn():
    sp = load_dataset("sp500")["close"].iloc[-160:]
    ms = load_dataset("msft")["close"].iloc[-160:]
    data = {"sp500": sp, "msft": ms}
    models = {
        "AR(2)": ARForecaster(order=2),
        "RNN": RNNForecaster(cell="rnn", hidden_size=3, epochs=2, random_state=7),
    }
    kwargs = dict(test_size=12, refit_every={"AR(2)": 1, "RNN": 6})
    serial = compare(models, data, **kwargs)
    parallel = compare(models, data, n_jobs=2, **kwargs)
    for model in models.values():  # the caller's forecasters are cloned, never fitted
        with pytest.raises(NotFittedError):
            check_is_fitted(model)
    for name in data:
        for attr in ("backtests", "metrics", "return_metrics", "tests"):
            pd.testing.assert_frame_equal(getattr(serial[name], attr),
                                          getattr(parallel[name], attr), check_exact=True)
    pd.testing.assert_frame_equal(serial.summary, parallel.summary, check_exact=True)
    # the RNN did forecast something other than the random walk
    bt = serial["sp500"].backtests
    assert not np.allclose(bt.loc[bt.model == "RNN", "forecast"].to_numpy(),
                           bt.loc[bt.model == "Random walk", "forecast"].to_numpy())


class _ThreadSpy(NaiveForecaster):
    """The random walk, recording the BLAS thread limit in force when it is fitted."""

    def fit(self, y, X=None):
        self.blas_threads_ = [lib["num_threads"] for lib in threadpool_info()
                              if lib["user_api"] == "blas"]
        return super().fit(y, X)


def test_each_task_runs_with_one_blas_thread(monthly):
    assert [lib for lib in threadpool_info() if lib["user_api"] == "blas"]  # numpy's BLAS
    res = compare({"spy": _ThreadSpy()}, monthly[["IBM", "MSFT"]], test_size=TEST_SIZE)
    for r in res.results.values():
        assert r.models["spy"].blas_threads_ and set(r.models["spy"].blas_threads_) == {1}


def test_dict_of_arrays_and_errors_name_the_series(monthly):
    ibm = monthly["IBM"].to_numpy()
    res = compare({"AR(1)": ARForecaster(order=1)}, {"a": ibm, "b": ibm[::-1].copy()},
                  test_size=10)
    assert list(res.results) == ["a", "b"] and res["a"].settings["n_obs"] == 123
    holed = monthly[["IBM", "MSFT"]].copy()
    holed.iloc[50, 1] = np.nan
    with pytest.raises(ValueError, match="MSFT"):
        compare({}, holed, test_size=TEST_SIZE)
    with pytest.raises(ValueError, match=r"series 'GOOG'.*test_size must be <= 66"):
        compare({}, monthly, test_size=100)
    with pytest.raises(ValueError, match="empty"):
        compare({}, {}, test_size=10)
    with pytest.raises(ValueError, match="has no values"):
        compare({}, {"x": pd.Series([np.nan] * 5)}, test_size=3)
    with pytest.raises(ValueError, match="n_jobs.*got 0"):
        compare({}, monthly, test_size=TEST_SIZE, n_jobs=0)
    with pytest.raises(TypeError, match="scheduler must be.*got int"):
        compare({}, monthly, test_size=TEST_SIZE, scheduler=3)


def test_scheduler_without_dask_names_the_extra(monkeypatch, monthly):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(ImportError, match=r"pip install forecast\[dask\]"):
        compare({}, monthly, test_size=TEST_SIZE, scheduler="tcp://127.0.0.1:8786")


# --- the command line ------------------------------------------------------------------


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_stocks_monthly_compares_all_five_symbols(capsys, tmp_path):
    code, out, err = _run(capsys, "compare", "--dataset", "stocks_monthly", "--models",
                          "naive,ar", "--test-size", "24", "--out", str(tmp_path / "o"))
    assert code == 0, err
    assert "## Summary over 5 series" in out and "| AR(AIC) | 5 |" in out
    assert all(f"# {s}\n" in out for s in ("AAPL", "AMZN", "GOOG", "IBM", "MSFT"))
    assert "compared 3 models on 5 series" in out
    assert (tmp_path / "o" / "summary.csv").exists() and (tmp_path / "o" / "report.md").exists()
    code, out, _ = _run(capsys, "compare", "--dataset", "stocks_monthly", "--column", "IBM",
                        "--models", "naive", "--test-size", "24")
    assert code == 0 and "Summary" not in out and "compared 2 models on 24 origins" in out


def test_cli_csv_dir_and_n_jobs_match_serial(capsys, tmp_path):
    for name in ("sp500", "msft"):
        load_dataset(name).iloc[-80:].to_csv(tmp_path / f"{name}.csv")
    argv = ["compare", "--csv-dir", str(tmp_path), "--models", "naive,ar", "--test-size", "20"]
    code, serial, err = _run(capsys, *argv)
    assert code == 0, err
    assert "2 files in" in serial and "# msft\n" in serial and "# sp500\n" in serial
    code, parallel, err = _run(capsys, *argv, "--n-jobs", "2")
    assert code == 0, err
    assert parallel.split("compared")[0] == serial.split("compared")[0]
    code, _, err = _run(capsys, "compare", "--csv-dir", str(tmp_path / "none"))
    assert code == 2 and "is not a folder" in err and len(err.strip().splitlines()) == 1


def test_cli_tickers_reads_each_ticker(capsys, tmp_path, monkeypatch):
    closes = {"AAA": load_dataset("sp500"), "BBB": load_dataset("msft")}

    def fake(ticker, *args, **kwargs):
        frame = closes[ticker.upper()].iloc[-60:]
        frame = frame[["open", "high", "low", "close", "volume"]]
        frame.columns = ["Open", "High", "Low", "Close", "Volume"]
        frame.index.name = "Date"
        return frame

    monkeypatch.setattr(yahoo, "_download", fake)
    code, out, err = _run(capsys, "compare", "--tickers", "AAA,BBB", "--models", "naive",
                          "--test-size", "10", "--cache-dir", str(tmp_path))
    assert code == 0, err
    assert "yahoo: AAA, BBB" in out and "## Summary over 2 series" in out
    code, _, err = _run(capsys, "compare", "--tickers", ",", "--cache-dir", str(tmp_path))
    assert code == 2 and "expected tickers" in err


def test_backtest_on_many_series_stacks_single_backtests(monthly):
    ar = ARForecaster(order=1)
    bt = backtest(ar, monthly, start=0.8, n_jobs=2)
    assert bt.columns[0] == "series"
    assert bt.groupby("series", sort=False).size().to_dict() == {
        "AAPL": 25, "AMZN": 25, "GOOG": 14, "IBM": 25, "MSFT": 25}  # GOOG: 80% of 68
    single = backtest(ar, monthly["GOOG"].dropna(), start=0.8)
    goog = bt[bt["series"] == "GOOG"].drop(columns="series").reset_index(drop=True)
    pd.testing.assert_frame_equal(goog, single, check_exact=True)
    with pytest.raises(ValueError, match="X is not supported"):
        backtest(ar, monthly, X=np.ones(123))
