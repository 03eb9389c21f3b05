"""compare_direction scores P(up) forecasters against the base rate, from the past only.

References: the base rate recomputed by a loop over the origins, the Brier score and log loss
of scikit-learn, scipy's binomtest, and the Diebold-Mariano statistic written out (h = 1,
HLN-corrected, Student t with n - 1 degrees of freedom).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss
from sklearn.metrics import log_loss as sk_log_loss

import forecast
from forecast import DirectionForecaster

TEST_SIZE = 60


@pytest.fixture(scope="module")
def close():
    return forecast.load_dataset("sp500")["close"].iloc[-400:]


def logistic(window=3, threshold=0.0):
    return DirectionForecaster(LogisticRegression(), window=window, threshold=threshold)


@pytest.fixture(scope="module")
def result(close):
    models = {"Logistic AR(3)": logistic(3), "Logistic AR(10)": logistic(10)}
    return forecast.compare_direction(models, close, test_size=TEST_SIZE, refit_every=20)


def test_the_base_rate_is_the_up_share_of_the_days_before_each_origin(result, close):
    base = result.backtests[result.backtests["model"] == "Base rate"]
    values = close.to_numpy()
    expected = []
    for q in range(len(values) - TEST_SIZE, len(values)):  # q: the target's position
        seen = values[:q]
        expected.append(np.mean(np.log(seen[1:] / seen[:-1]) > 0))
    np.testing.assert_allclose(base["prob_up"], expected, rtol=1e-14)
    assert base["target"].tolist() == close.index[-TEST_SIZE:].tolist()


def test_the_outcome_is_whether_the_target_closed_above_the_origin(result):
    bt = result.backtests
    np.testing.assert_array_equal(bt["up"], (bt["actual"] > bt["last"]).astype(int))
    assert set(bt["model"]) == {"Base rate", "Logistic AR(3)", "Logistic AR(10)"}
    assert bt.groupby("model").size().eq(TEST_SIZE).all()


def test_metrics_agree_with_scikit_learn_scipy_and_the_dm_formula(result):
    bt, table = result.backtests, result.metrics
    ref = bt[bt["model"] == "Base rate"]
    o, p_ref = ref["up"].to_numpy(), ref["prob_up"].to_numpy()
    p0 = result.settings["hit_p0"]
    for name, group in bt.groupby("model"):
        p, row = group["prob_up"].to_numpy(), table.loc[name]
        brier = brier_score_loss(o, p)
        assert row["brier"] == pytest.approx(brier, abs=1e-12)
        assert row["log_loss"] == pytest.approx(sk_log_loss(o, p, labels=[0, 1]), abs=1e-12)
        assert row["brier_skill"] == pytest.approx(1 - brier / brier_score_loss(o, p_ref), 1e-12)
        hits = int(np.sum((p > 0.5) == (o == 1)))
        assert (row["hits"], row["hit_rate"]) == (hits, hits / TEST_SIZE)
        assert row["hit_pvalue"] == pytest.approx(stats.binomtest(hits, TEST_SIZE, p0).pvalue)
        if name == "Base rate":
            assert row["brier_skill"] == 0 and np.isnan(row["dm_pvalue"])
            continue
        d = (p - o) ** 2 - (p_ref - o) ** 2  # Brier loss differential
        n = len(d)
        dm = d.mean() / np.sqrt(np.mean((d - d.mean()) ** 2) / n) * np.sqrt((n - 1) / n)
        assert row["dm_stat"] == pytest.approx(dm, rel=1e-10)
        assert row["dm_pvalue"] == pytest.approx(2 * stats.t.cdf(-abs(dm), n - 1), rel=1e-10)


def test_hit_p0_is_always_calling_the_direction_more_frequent_before_the_first_origin(
        result, close):
    train = close.to_numpy()[: len(close) - TEST_SIZE]
    share = np.mean(np.diff(np.log(train)) > 0)
    assert result.settings["hit_p0"] == pytest.approx(max(share, 1 - share), rel=1e-14)


def test_a_change_after_an_origin_changes_nothing_forecast_at_it(close):
    models = {"Logistic AR(3)": logistic(3)}
    first = forecast.compare_direction(models, close, test_size=30, refit_every=7)
    k = len(close) - 30 + 10  # position of the 11th target
    shaken = close.copy()
    shaken.iloc[k:] *= 1.0 + np.random.default_rng(1).normal(0, 0.02, len(close) - k)
    again = forecast.compare_direction(models, shaken, test_size=30, refit_every=7)
    for name in ("Base rate", "Logistic AR(3)"):
        a = first.backtests.loc[first.backtests["model"] == name, "prob_up"].to_numpy()
        b = again.backtests.loc[again.backtests["model"] == name, "prob_up"].to_numpy()
        np.testing.assert_array_equal(a[:11], b[:11])  # origins up to position k - 1


def test_markdown_csv_and_reliability_plot(result, tmp_path, no_show_and_close):
    text = result.to_markdown()
    assert "Brier skill vs base rate" in text and "| Logistic AR(10) |" in text
    written = result.to_csv(tmp_path / "out")
    assert [p.name for p in written] == ["direction_backtests.csv", "direction_metrics.csv"]
    metrics = pd.read_csv(written[1], index_col="model")
    assert metrics.index.tolist() == ["Base rate", "Logistic AR(3)", "Logistic AR(10)"]
    ax = result.plot(n_bins=4)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["perfectly calibrated", "Base rate", "Logistic AR(3)", "Logistic AR(10)"]


def test_a_threshold_other_than_the_models_is_refused(close):
    with pytest.raises(ValueError, match=r"threshold=0.01 but the comparison scores "
                                         r"threshold=0.0"):
        forecast.compare_direction({"m": logistic(threshold=0.01)}, close, test_size=10)


@pytest.mark.parametrize("threshold", [np.nan, np.inf])
def test_a_threshold_that_is_not_finite_is_refused(close, threshold):
    with pytest.raises(ValueError, match="threshold must be finite"):
        forecast.compare_direction({"m": logistic()}, close, test_size=10, threshold=threshold)


def test_price_forecasters_and_direction_forecasters_do_not_mix(close):
    with pytest.raises(TypeError, match=r"models\['AR'\] must forecast P\(up\)"):
        forecast.compare_direction({"AR": forecast.ARForecaster(order=1)}, close, test_size=10)
    with pytest.raises(TypeError, match="forecasts P\\(up\\), not prices.*compare_direction"):
        forecast.compare({"up": logistic()}, close, test_size=10)
    with pytest.raises(TypeError, match="non-empty mapping"):
        forecast.compare_direction([logistic()], close)
    with pytest.raises(TypeError, match="other than 'Base rate'"):
        forecast.compare_direction({"Base rate": logistic()}, close, test_size=10)


def test_bad_data_is_refused_naming_it(close):
    with pytest.raises(ValueError, match="test_size=399 leaves 1 training"):
        forecast.compare_direction({"m": logistic()}, close, test_size=399)
    with pytest.raises(ValueError, match="strictly positive"):
        forecast.compare_direction({"m": logistic()}, close - 3000, test_size=10)
    with pytest.raises(ValueError, match="one series"):
        forecast.compare_direction({"m": logistic()}, {"a": close, "b": close})
    with pytest.raises(ValueError, match="window=20 needs at least 22 prices"):
        forecast.compare_direction({"m": logistic(20)}, close.iloc[:25], test_size=10)
