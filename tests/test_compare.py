"""compare: the random walk is always there, metrics equal hand computations, lag trap fires."""

from __future__ import annotations

import logging

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

import forecast
from forecast import metrics
from forecast._dates import future_index
from forecast._validation import check_series
from forecast.api import compare
from forecast.evaluation.compare import REFERENCE
from forecast.evaluation.results import CompareResult


class Drift(BaseEstimator):
    """Contract-following test forecaster: ``F_{t+s} = y_t + s * drift_`` (drift from the
    last ``k`` changes at the last (re)fit)."""

    def __init__(self, *, k=5):
        self.k = k

    def fit(self, y, X=None):
        values, self.index_ = check_series(y, min_length=self.k + 1)
        self.values_ = values.copy()
        self.drift_ = float(np.mean(np.diff(values[-self.k - 1 :])))
        return self

    def update(self, y_new, refit=False):
        check_is_fitted(self)
        values, index = check_series(y_new)
        self.values_ = np.concatenate([self.values_, values])
        self.index_ = self.index_.append(index)
        if refit:
            self.drift_ = float(np.mean(np.diff(self.values_[-self.k - 1 :])))
        return self

    def predict(self, horizon):
        check_is_fitted(self)
        f = self.values_[-1] + self.drift_ * np.arange(1, horizon + 1)
        return pd.Series(f, index=future_index(self.index_, horizon), name="forecast")

    def predict_interval(self, horizon, coverage=0.95):
        f = self.predict(horizon)
        return pd.DataFrame({"lower": f - 1.0, "upper": f + 1.0}, index=f.index)


class LastPrice(Drift):
    """Returns the last observed price: the lag trap in its purest form."""

    def predict(self, horizon):
        check_is_fitted(self)
        return pd.Series(
            np.full(horizon, self.values_[-1]), index=future_index(self.index_, horizon)
        )


class RNNForecaster(Drift):
    """Stands in for the RNN: compare pairs models by their declared family."""

    family = "rnn"


@pytest.fixture(scope="module")
def prices():
    return forecast.load_dataset("sp500")["close"].iloc[-400:]


@pytest.fixture(scope="module")
def result(prices):
    models = {"Drift(20)": Drift(k=20), "AR(2)": forecast.ARForecaster(order=2)}
    return compare(models, prices, test_size=120, refit_every={"Drift(20)": 1})


def test_random_walk_is_added_first_and_forecasts_the_last_price(result, prices):
    assert isinstance(result, CompareResult)
    assert list(result.models) == [REFERENCE, "Drift(20)", "AR(2)"]
    assert result.metrics.index.get_level_values("model").tolist() == list(result.models)
    rw = result.backtests[result.backtests["model"] == REFERENCE]
    assert len(rw) == 120
    assert rw["target"].tolist() == prices.index[-120:].tolist()
    np.testing.assert_array_equal(rw["forecast"], prices.iloc[-121:-1])
    np.testing.assert_array_equal(rw["last"], prices.loc[rw["origin"]])
    assert list(result.backtests.columns) == [
        "origin", "target", "step", "forecast", "actual", "last", "model"
    ]


def test_price_metrics_equal_hand_computations(result, prices):
    bt = result.backtests
    a = bt.loc[bt["model"] == REFERENCE, "actual"].to_numpy()
    last = bt.loc[bt["model"] == REFERENCE, "last"].to_numpy()
    train = prices.iloc[:-120].to_numpy()
    rw = result.metrics.loc[(REFERENCE, 1)]
    assert rw["mae"] == pytest.approx(np.mean(np.abs(a - last)), rel=1e-12)
    assert rw["rmse"] == pytest.approx(np.sqrt(np.mean((a - last) ** 2)), rel=1e-12)
    assert rw["mase"] == pytest.approx(rw["mae"] / np.mean(np.abs(np.diff(train))), rel=1e-12)
    assert rw["theil_u2"] == pytest.approx(1.0) and rw["skill"] == 0.0
    assert np.isnan(rw["dm_pvalue"]) and not rw["lag_trap"]

    f = bt.loc[bt["model"] == "Drift(20)", "forecast"].to_numpy()
    prev = prices.shift(1).loc[bt.loc[bt["model"] == REFERENCE, "origin"]].to_numpy()
    row = result.metrics.loc[("Drift(20)", 1)]
    mse, mse_rw = np.mean((a - f) ** 2), np.mean((a - last) ** 2)
    assert row["skill"] == pytest.approx(1 - mse / mse_rw, rel=1e-12)
    assert row["theil_u2"] == pytest.approx(np.sqrt(mse / mse_rw), rel=1e-12)
    assert row["mape"] == pytest.approx(100 * np.mean(np.abs((a - f) / a)), rel=1e-12)
    assert row["r2"] == pytest.approx(1 - np.sum((a - f) ** 2) / np.sum((a - a.mean()) ** 2))
    dm = metrics.diebold_mariano(a - f, a - last, h=1)
    assert row["dm_stat"] == pytest.approx(dm.statistic) and row["dm_pvalue"] == dm.pvalue
    hits = np.mean((np.sign(f - last) == np.sign(a - last)) & (a != last))
    assert row["hit_rate"] == pytest.approx(hits)
    assert row["lag_corr"] == pytest.approx(np.corrcoef(f - last, last - prev)[0, 1])
    distance = np.mean(np.abs(f - last)) / np.mean(np.abs(a - last))
    assert row["rw_distance"] == pytest.approx(distance)


def test_return_metrics_equal_hand_computations(result):
    bt = result.backtests
    part = bt[bt["model"] == "AR(2)"]
    r_a = np.log(part["actual"] / part["last"]).to_numpy()
    r_f = np.log(part["forecast"] / part["last"]).to_numpy()
    row = result.return_metrics.loc[("AR(2)", 1)]
    assert row["rmse"] == pytest.approx(np.sqrt(np.mean((r_a - r_f) ** 2)), rel=1e-10)
    assert row["skill"] == pytest.approx(1 - np.mean((r_a - r_f) ** 2) / np.mean(r_a**2))
    assert row["corr"] == pytest.approx(np.corrcoef(r_f, r_a)[0, 1])
    dm = metrics.diebold_mariano(r_a - r_f, r_a, h=1)
    assert row["dm_pvalue"] == pytest.approx(dm.pvalue)


def test_dm_tests_cover_every_model_and_ar_against_each_rnn(prices):
    models = {
        "AR(1)": forecast.ARForecaster(order=1),
        "RNN-a": RNNForecaster(k=10),
        "RNN-b": RNNForecaster(k=30),
    }
    res = compare(models, prices, test_size=40, horizon=2)
    pairs = set(zip(res.tests["model"], res.tests["versus"], strict=True))
    assert pairs == {
        ("AR(1)", REFERENCE), ("RNN-a", REFERENCE), ("RNN-b", REFERENCE),
        ("RNN-a", "AR(1)"), ("RNN-b", "AR(1)"),
    }
    assert len(res.tests) == 5 * 2 * 2  # pairs x steps x scales
    assert res.tests["pvalue"].between(0, 1).all()
    one = res.tests.query("model == 'RNN-b' and versus == 'AR(1)' and step == 2 and "
                          "scale == 'price'").iloc[0]
    bt = res.backtests[res.backtests["step"] == 2]
    e_rnn = (bt["actual"] - bt["forecast"])[bt["model"] == "RNN-b"].to_numpy()
    e_ar = (bt["actual"] - bt["forecast"])[bt["model"] == "AR(1)"].to_numpy()
    expected = metrics.diebold_mariano(e_rnn, e_ar, h=2)
    assert one["pvalue"] == pytest.approx(expected.pvalue)
    assert one["better"] == ("RNN-b" if np.mean(e_rnn**2) < np.mean(e_ar**2) else "AR(1)")
    # per-model p-values against the random walk sit in the metrics, for both steps
    assert res.metrics.drop(index=REFERENCE, level="model")["dm_pvalue"].notna().all()
    assert len(res.metrics) == 4 * 2


def test_lag_trap_fires_for_the_last_price_and_is_logged(prices, caplog):
    with caplog.at_level(logging.WARNING, logger="forecast"):
        res = compare({"Copycat": LastPrice()}, prices, test_size=100)
    row = res.metrics.loc[("Copycat", 1)]
    assert row["lag_trap"] and row["r2"] > 0.9 and row["skill"] == 0 and row["rw_distance"] == 0
    assert res.lag_traps == ["Copycat"]
    assert not res.metrics.loc[(REFERENCE, 1), "lag_trap"]
    assert any("lag trap: Copycat" in r.getMessage() for r in caplog.records)
    assert "Flagged: Copycat" in res.to_markdown()


def test_a_skilful_model_is_not_a_lag_trap(caplog):
    rng = np.random.default_rng(1)
    trend = pd.Series(100 + np.arange(300.0) + rng.normal(0, 0.3, 300))
    with caplog.at_level(logging.WARNING, logger="forecast"):
        res = compare({"Drift": Drift(k=150)}, trend, test_size=100)
    row = res.metrics.loc[("Drift", 1)]
    assert row["r2"] > 0.99 and row["skill"] > 0.5 and row["dm_pvalue"] < 0.001
    assert not row["lag_trap"] and res.lag_traps == []
    assert not any("lag trap" in r.getMessage() for r in caplog.records)


def test_user_named_random_walk_is_the_reference(prices):
    res = compare({REFERENCE: LastPrice(), "Drift": Drift()}, prices, test_size=30)
    assert list(res.models) == [REFERENCE, "Drift"]
    assert isinstance(res.models[REFERENCE], LastPrice)


def test_refit_schedule_per_model_and_fitted_models_end_at_the_last_origin(prices):
    res = compare({"Drift": Drift()}, prices, test_size=30, refit_every={"Drift": 1})
    final = res.models["Drift"]
    assert final.index_[-1] == prices.index[-2]  # the last origin
    assert final.drift_ == pytest.approx(np.mean(np.diff(prices.iloc[-7:-1])))
    assert res.settings["refit_every"] == {REFERENCE: None, "Drift": 1}


def test_non_positive_series_has_no_return_scale():
    y = pd.Series(np.sin(np.arange(200) / 5.0))
    res = compare({"Drift": Drift()}, y, test_size=50)
    assert res.return_metrics is None
    assert set(res.tests["scale"]) == {"price"}
    assert "Return scale" not in res.to_markdown()


def test_markdown_tables_are_well_formed(result):
    text = result.to_markdown()
    assert "### Price scale" in text and "### Return scale" in text
    assert "### Diebold-Mariano tests" in text
    table = [line for line in text.splitlines() if line.startswith("|")]
    widths = {line.count("|") for line in table[:5]}
    assert len(widths) == 1  # header, separator and rows have the same number of cells
    assert "| Drift(20) |" in text and "| AR(2) |" in text


def test_to_csv_directory_and_file(result, tmp_path):
    written = result.to_csv(tmp_path / "out")
    assert sorted(p.name for p in written) == [
        "backtests.csv", "dm_tests.csv", "metrics_price.csv", "metrics_returns.csv"
    ]
    back = pd.read_csv(tmp_path / "out" / "metrics_price.csv", index_col=[0, 1])
    np.testing.assert_allclose(back["rmse"], result.metrics["rmse"])
    one = result.to_csv(tmp_path / "m.csv")
    assert one == [tmp_path / "m.csv"] and (tmp_path / "m.csv").exists()


@pytest.mark.parametrize(
    ("kind", "n_lines"), [("forecast", 4), ("loss", 3), ("errors", 3 * 7 + 1)]
)
def test_plot_kinds_return_axes(result, kind, n_lines):
    fig, ax = plt.subplots()
    out = result.plot(kind, ax=ax, last=50)
    assert out is ax
    assert len(ax.get_lines()) == n_lines  # loss: two models + the zero line
    if kind == "errors":  # one box plot (7 lines) per model, a row each, and the zero line
        rows = dict(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels()), strict=True))
        assert rows[max(rows)] == REFERENCE  # on top
    plt.close(fig)


def test_plot_rejects_bad_requests(result):
    with pytest.raises(ValueError, match="unknown kind='pie'"):
        result.plot("pie")
    with pytest.raises(ValueError, match=r"unknown model\(s\) \['LSTM'\]"):
        result.plot("forecast", models=["LSTM"])
    with pytest.raises(ValueError, match="step=2 is beyond the horizon"):
        result.plot("loss", step=2)
    with pytest.raises(ValueError, match="training history"):
        result.plot("training")


@pytest.mark.parametrize(
    ("models", "kwargs", "error", "match"),
    [
        (["AR"], {}, TypeError, "models must be a mapping"),
        ({"AR": forecast.ARForecaster}, {}, TypeError, r"models\['AR'\] must be a forecaster"),
        ({"X": object()}, {}, TypeError, r"no fit, predict, update"),
        ({"D": Drift()}, {"test_size": 399}, ValueError, r"test_size=399 leaves 1 training"),
        ({"D": Drift()}, {"test_size": 3, "horizon": 2}, ValueError, r"gives 2 origin\(s\)"),
        ({"D": Drift()}, {"test_size": 50, "refit_every": {"LSTM": 5}}, ValueError, r"\['LSTM'\]"),
        ({"D": Drift()}, {"test_size": 50, "refit_every": 0}, ValueError, "refit_every must be"),
    ],
)
def test_bad_arguments(prices, models, kwargs, error, match):
    with pytest.raises(error, match=match):
        compare(models, prices, **kwargs)


def test_real_rnn_is_tested_against_ar_and_its_training_curves_plot(prices):
    models = {
        "AR(1)": forecast.ARForecaster(order=1),
        "GRU": forecast.RNNForecaster("gru", hidden_size=4, epochs=2, random_state=0),
    }
    res = compare(models, prices, test_size=30, refit_every={"GRU": 15})
    pairs = set(zip(res.tests["model"], res.tests["versus"], strict=True))
    assert pairs == {("AR(1)", REFERENCE), ("GRU", REFERENCE), ("GRU", "AR(1)")}
    assert res.models["GRU"].index_[-1] == prices.index[-2]
    fig, ax = plt.subplots()
    res.plot("training", ax=ax)
    assert {line.get_label() for line in ax.get_lines()} >= {"GRU: train_loss"}
    plt.close(fig)
