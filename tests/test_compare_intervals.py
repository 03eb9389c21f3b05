"""compare(coverage=): every interval scored and tested, and a coverage off nominal flagged.

On the bundled S&P 500 (last 300 days, 100 one-step origins): the random walk, AR(1), an
ACI conformal AR(1), a small GRU (split-conformal intervals) and a point-only model without
``predict_interval``. Every number of the interval table is recomputed from the backtest
frame; CRPS against ``scoringrules`` and Kupiec against its likelihood-ratio formula.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
import scoringrules
from scipy import stats
from sklearn.base import BaseEstimator

import forecast
from forecast import metrics, significance
from forecast.cli import main
from forecast.evaluation.intervals import INTERVAL_COLUMNS

NOMINAL = 0.9


class PointOnly(BaseEstimator):
    """Follows the forecaster contract with point forecasts only (no predict_interval)."""

    def fit(self, y, X=None):
        self.model_ = forecast.ARForecaster(order=2).fit(y)
        return self

    def update(self, y_new, X=None, refit=False):
        self.model_.update(y_new, refit=refit)
        return self

    def predict(self, horizon):
        return self.model_.predict(horizon)


@pytest.fixture(scope="module")
def close():
    return forecast.load_dataset("sp500")["close"].iloc[-300:]


@pytest.fixture(scope="module")
def run(close):
    models = {
        "AR(1)": forecast.ARForecaster(order=1),
        "ACI(AR)": forecast.ConformalForecaster(
            forecast.ARForecaster(order=1), method="aci", window=50, coverage=NOMINAL
        ),
        "GRU": forecast.RNNForecaster("gru", hidden_size=4, epochs=3, random_state=0),
        "Point": PointOnly(),
    }
    logs = logging.getLogger("forecast")
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logs.addHandler(handler)
    try:
        res = forecast.compare(models, close, test_size=100, coverage=NOMINAL)
    finally:
        logs.removeHandler(handler)
    return res, [r.getMessage() for r in records]


def _frame(res, name):
    return res.backtests[res.backtests["model"] == name]


WITH_INTERVALS = ["Random walk", "AR(1)", "ACI(AR)", "GRU"]


@pytest.mark.parametrize("name", WITH_INTERVALS)
def test_interval_columns_equal_the_metrics_computed_from_the_backtest_frame(run, name):
    res, _ = run
    bt = _frame(res, name)
    a, lo, hi, last = (bt[c].to_numpy() for c in ("actual", "lower", "upper", "last"))
    assert len(a) == 100 and np.isfinite(lo).all() and np.isfinite(hi).all()
    row = res.intervals.loc[(name, 1)]
    hits = (lo <= a) & (a <= hi)
    assert row["coverage"] == pytest.approx(metrics.coverage(a, lo, hi), abs=0)
    assert row["coverage"] == pytest.approx(hits.mean(), abs=1e-15)
    assert row["width"] == pytest.approx(np.mean(hi - lo), rel=1e-12)
    assert row["return_width"] == pytest.approx(
        np.mean(np.log(hi / last) - np.log(lo / last)), rel=1e-12
    )
    assert row["interval_score"] == pytest.approx(
        metrics.interval_score(a, lo, hi, NOMINAL), rel=1e-12
    )
    chris = significance.christoffersen(hits, NOMINAL)
    assert row["kupiec_pvalue"] == pytest.approx(significance.kupiec(hits, NOMINAL).pvalue)
    assert row["christoffersen_pvalue"] == pytest.approx(chris.pvalue)
    assert row["independence_pvalue"] == pytest.approx(chris.pvalue_ind)


@pytest.mark.parametrize("name", WITH_INTERVALS)
def test_kupiec_pvalue_matches_the_likelihood_ratio_formula(run, name):
    res, _ = run
    bt = _frame(res, name)
    n1 = int(((bt["lower"] <= bt["actual"]) & (bt["actual"] <= bt["upper"])).sum())
    n, p, pi = 100, NOMINAL, n1 / 100
    log_l0 = n1 * np.log(p) + (n - n1) * np.log(1 - p)
    log_l1 = n1 * np.log(pi) + ((n - n1) * np.log(1 - pi) if n1 < n else 0.0)
    expected = stats.chi2.sf(-2 * (log_l0 - log_l1), df=1)
    assert res.intervals.loc[(name, 1), "kupiec_pvalue"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("name", ["Random walk", "AR(1)"])
def test_crps_of_gaussian_intervals_is_the_normal_crps_with_the_implied_sd(run, name):
    res, _ = run
    bt = _frame(res, name)
    a, lo, hi = (bt[c].to_numpy() for c in ("actual", "lower", "upper"))
    z = stats.norm.ppf(1 - (1 - NOMINAL) / 2)
    sigma = (hi - lo) / (2 * z)
    np.testing.assert_allclose((lo + hi) / 2, bt["forecast"], rtol=1e-12)  # symmetric
    expected = np.mean(scoringrules.crps_normal(a, (lo + hi) / 2, sigma))
    assert res.intervals.loc[(name, 1), "crps"] == pytest.approx(expected, rel=1e-9)


def test_the_random_walk_implied_sd_is_its_fitted_residual_sd(run):
    res, _ = run  # refit never: the random walk's sigma stays that of the first fit
    bt = _frame(res, "Random walk")
    z = stats.norm.ppf(1 - (1 - NOMINAL) / 2)
    sigma = (bt["upper"] - bt["lower"]).to_numpy() / (2 * z)
    np.testing.assert_allclose(sigma, np.sqrt(res.models["Random walk"].sigma2_), rtol=1e-12)


def test_conformal_and_rnn_intervals_have_no_crps(run):
    res, _ = run
    assert res.intervals.loc[[("ACI(AR)", 1), ("GRU", 1)], "crps"].isna().all()


def test_a_model_without_intervals_shows_dashes_and_is_never_flagged(run):
    res, _ = run
    row = res.intervals.loc[("Point", 1)]
    assert row.drop("coverage_flag").isna().all() and not row["coverage_flag"]
    assert _frame(res, "Point")[["lower", "upper"]].isna().all().all()
    md = res.to_markdown()
    table = md.split("### Intervals: 90% nominal")[1]
    line = next(ln for ln in table.splitlines() if ln.startswith("| Point |"))
    assert line == "| Point | - | - | - | - | - | - | - |  |"
    assert list(res.intervals.columns) == INTERVAL_COLUMNS


def test_flag_appears_exactly_when_kupiec_p_is_below_5_percent(run):
    res, messages = run
    table = res.intervals
    expected = table["kupiec_pvalue"] < 0.05
    np.testing.assert_array_equal(table["coverage_flag"], expected)
    flagged = [m for (m, _), f in expected.items() if f]
    assert res.coverage_flags == flagged
    assert 0 < len(flagged) < len(WITH_INTERVALS)  # both cases occur on these data
    assert "GRU" in flagged and "ACI(AR)" not in flagged  # 67% vs 85% covered
    coverage_logs = [m for m in messages if m.startswith("coverage: ")]
    assert [m.split()[1] for m in coverage_logs] == [f.split()[0] for f in flagged]
    gru = table.loc[("GRU", 1)]
    assert f"GRU (step 1) covered {gru['coverage']:.1%} of the actuals with 90% intervals" in (
        " ".join(coverage_logs)
    )
    md = res.to_markdown()
    assert f"Flagged: {', '.join(flagged)}. Their coverage differs from the nominal 90%" in md
    rows = [ln for ln in md.split("### Intervals")[1].splitlines() if ln.startswith("| ")]
    assert [r.split(" | ")[0][2:] for r in rows if r.endswith("| yes |")] == flagged


def test_coverage_none_leaves_the_comparison_as_before(close, run):
    res, _ = run
    models = {"AR(1)": forecast.ARForecaster(order=1), "Point": PointOnly()}
    plain = forecast.compare(models, close, test_size=100)
    assert plain.intervals is None and plain.coverage_flags == []
    assert "coverage" not in plain.settings and "lower" not in plain.backtests.columns
    assert "### Intervals" not in plain.to_markdown()
    for attr in ("metrics", "return_metrics"):
        pd.testing.assert_frame_equal(
            getattr(plain, attr), getattr(res, attr).loc[["Random walk", "AR(1)", "Point"]]
        )
    assert list(plain.summary.columns) == [
        "n_series", "median_skill", "median_return_skill", "n_better", "n_worse",
    ]


def test_with_coverage_the_summary_counts_flagged_models(run):
    res, _ = run
    counts = res.summary["n_coverage_flagged"]
    flags = res.intervals["coverage_flag"]
    expected = flags[flags.index.get_level_values("model") != "Random walk"].astype(int)
    np.testing.assert_array_equal(counts.loc[expected.index], expected)


def test_many_series_count_the_series_whose_coverage_is_flagged():
    wide = forecast.load_dataset("stocks_monthly")
    res = forecast.compare({"AR(1)": forecast.ARForecaster(order=1)}, wide, test_size=24,
                           coverage=NOMINAL)
    flags = [bool(r.intervals.loc[("AR(1)", 1), "coverage_flag"]) for r in res.results.values()]
    assert res.summary.loc[("AR(1)", 1), "n_coverage_flagged"] == sum(flags)
    assert "coverage off (Kupiec p < 0.05)" in res.to_markdown()


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, float("nan")])
def test_a_coverage_outside_0_1_is_a_named_value_error(close, bad):
    with pytest.raises(ValueError, match=r"coverage must be strictly between 0 and 1 .*"
                                         r"got coverage=.*coverage=None"):
        forecast.compare({}, close, test_size=20, coverage=bad)


@pytest.mark.parametrize("bad", ["x", True])
def test_a_coverage_that_is_not_a_number_is_a_named_type_error(close, bad):
    with pytest.raises(TypeError, match=r"coverage must be a number .* got"):
        forecast.compare({}, close, test_size=20, coverage=bad)


def _cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


ARGS = ("compare", "--models", "naive,ar", "--test-size", "60", "--start", "2017-06-01")


def test_cli_scores_intervals_at_90_percent_by_default(capsys, tmp_path):
    code, out, err = _cli(capsys, *ARGS, "--out", str(tmp_path))
    assert code == 0, err
    assert "### Intervals: 90% nominal" in out and "### Coverage" in out
    table = pd.read_csv(tmp_path / "intervals.csv").set_index(["model", "step"])
    assert list(table.columns) == INTERVAL_COLUMNS
    assert table.index.get_level_values("model").tolist()[0] == "Random walk"
    bt = pd.read_csv(tmp_path / "backtests.csv")
    rw = bt[bt["model"] == "Random walk"]
    assert table.loc[("Random walk", 1), "coverage"] == pytest.approx(
        metrics.coverage(rw["actual"], rw["lower"], rw["upper"])
    )
    for name in table[table["coverage_flag"]].index.get_level_values("model"):
        assert f"WARNING: coverage: {name} (step 1) covered" in err


def test_cli_coverage_none_scores_no_intervals(capsys, tmp_path):
    code, out, err = _cli(capsys, *ARGS, "--coverage", "none", "--out", str(tmp_path))
    assert code == 0, err
    assert "### Intervals" not in out and "coverage:" not in err
    assert not (tmp_path / "intervals.csv").exists()
    assert "lower" not in pd.read_csv(tmp_path / "backtests.csv").columns


def test_cli_other_coverage_is_reported_and_scored(capsys):
    code, out, err = _cli(capsys, *ARGS, "--coverage", "0.5")
    assert code == 0, err
    assert "### Intervals: 50% nominal" in out


@pytest.mark.parametrize("bad", ["0", "1", "1.5", "x"])
def test_cli_bad_coverage_is_one_line_and_exit_2(capsys, bad):
    code, out, err = _cli(capsys, *ARGS, "--coverage", bad)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("forecast: error: argument --coverage: expected a coverage strictly "
                          f"between 0 and 1 (e.g. 0.9) or 'none' to score no intervals, got "
                          f"{bad!r}")


def test_the_docstring_examples_give_the_values_they_show():
    import doctest

    import forecast.evaluation.intervals as module

    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_each_step_of_a_longer_horizon_is_scored_on_its_own(close):
    res = forecast.compare({"AR(1)": forecast.ARForecaster(order=1)}, close, horizon=3,
                           test_size=60, coverage=NOMINAL)
    table = res.intervals
    assert table.index.tolist() == [(m, s) for m in ("Random walk", "AR(1)") for s in (1, 2, 3)]
    bt = res.backtests
    for (model, step), row in table.iterrows():
        part = bt[(bt["model"] == model) & (bt["step"] == step)]
        assert len(part) == 58
        assert row["width"] == pytest.approx(np.mean(part["upper"] - part["lower"]), rel=1e-12)
    widths = table.loc["Random walk", "width"].to_numpy()  # sigma sqrt(h)
    np.testing.assert_allclose(widths / widths[0], np.sqrt([1, 2, 3]), rtol=1e-12)
    assert "| Random walk | 3 |" in res.to_markdown().split("### Intervals")[1]


def test_a_series_with_values_below_zero_has_no_return_width(close):
    shifted = close - close.iloc[-150:].mean()
    res = forecast.compare({}, shifted.iloc[-150:], test_size=50, coverage=NOMINAL)
    assert res.return_metrics is None
    row = res.intervals.loc[("Random walk", 1)]
    assert np.isnan(row["return_width"]) and np.isfinite(row["width"])


@pytest.mark.parametrize(("likelihood", "target"), [("normal", "log_return"),
                                                    ("student_t", "diff")])
def test_likelihood_rnn_crps_is_the_closed_form_at_step_one_and_of_its_paths_beyond(
    close, likelihood, target
):
    from forecast.evaluation.intervals import distribution_crps
    from forecast.models.rnn.likelihood_paths import PREDICT_SAMPLES, PREDICT_SEED

    model = forecast.RNNForecaster(hidden_size=4, epochs=2, random_state=0,
                                   likelihood=likelihood, target=target).fit(close.iloc[:-3])
    last, actual = close.iloc[-4], close.iloc[-3:].to_numpy()
    got = distribution_crps(model, last, actual)
    p = model.predictive_parameters()
    if target == "log_return":  # the CRPS of the log return, in price units
        want = last * scoringrules.crps_normal(np.log(actual[0] / last), p["loc"], p["scale"])
    else:  # the price is the last one plus the increment: exact
        want = scoringrules.crps_t(actual[0] - last, p["df"], p["loc"], p["scale"])
    assert got[0] == pytest.approx(want, rel=1e-9)
    paths = model.sample_paths(3, PREDICT_SAMPLES, PREDICT_SEED)
    np.testing.assert_allclose(
        got[1:], scoringrules.crps_ensemble(actual[1:], paths[:, 1:].T, estimator="fair"),
        rtol=1e-9,
    )


def test_compare_scores_a_likelihood_rnn_by_the_crps_of_its_distribution_at_each_origin(close):
    """The backtest's CRPS replayed: the model fitted before the first target, moved one
    day at a time with update (refit_every=None), each day scored by scoringrules."""
    y = close.iloc[-150:]
    make = lambda: forecast.RNNForecaster(hidden_size=4, epochs=2, random_state=0,  # noqa: E731
                                          likelihood="student_t")
    res = forecast.compare({"T": make()}, y, test_size=10, coverage=NOMINAL)
    model, want = make().fit(y.iloc[:-10]), []
    for i in range(len(y) - 10, len(y)):
        p, last = model.predictive_parameters(), y.iloc[i - 1]
        want.append(last * scoringrules.crps_t(np.log(y.iloc[i] / last), p["df"], p["loc"],
                                               p["scale"]))
        model.update(y.iloc[i : i + 1])
    bt = res.backtests
    np.testing.assert_allclose(bt.loc[bt["model"] == "T", "crps"], want, rtol=1e-9)
    assert res.intervals.loc[("T", 1), "crps"] == pytest.approx(np.mean(want), rel=1e-12)
    assert np.isnan(bt.loc[bt["model"] == "Random walk", "crps"]).all()
    assert not np.isnan(res.intervals.loc[("Random walk", 1), "crps"])  # Gaussian: implied sd
