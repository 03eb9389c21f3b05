"""Hostile settings: horizons, coverages and parameters of the wrong type or range.

Each cell passes a clean series with one bad setting. The setting must be refused with a
ValueError/TypeError that names the parameter or the value, or (for the few valid odd
values, such as a NumPy integer horizon) give results that pass the invariant.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from hostile_cases import BASE, check_forecasts, check_result, forecasts, run_cell
from sklearn.linear_model import Ridge

import forecast
from forecast import (
    ARForecaster,
    ARRegressor,
    Differencer,
    GlobalRNNForecaster,
    NaiveForecaster,
    RNNForecaster,
    RNNRegressor,
    SimpleReturns,
    Standardizer,
    WalkForwardSplit,
    backtest,
    compare,
    make_windows,
    metrics,
    significance,
    temporal_train_test_split,
)

SMALL = {"hidden_size": 4, "epochs": 2, "random_state": 0}

HORIZONS = [  # (value, expectation)
    (0, "error"), (-1, "error"), (1.5, "error"), ("3", "error"), (None, "error"),
    (True, "error"), (np.int64(3), "ok"),
]
HORIZON_IDS = ["zero", "negative", "float", "string", "none", "bool", "numpy_int"]
COVERAGES = [(0.0, "error"), (1.0, "error"), (1.5, "error"), (-0.1, "error"),
             (float("nan"), "error"), ("0.9", "error"), (None, "error"), (0.5, "ok")]
COVERAGE_IDS = ["zero", "one", "one_and_half", "negative", "nan", "string", "none", "half"]


@pytest.fixture(scope="module")
def fitted():
    """One fitted forecaster of each family (cells use deep copies)."""
    g = GlobalRNNForecaster(**SMALL).fit_many({"a": BASE, "b": 1.1 * BASE})
    return {
        "naive": NaiveForecaster().fit(BASE),
        "ar": ARForecaster(3).fit(BASE),
        "ar_direct": ARForecaster(3, strategy="direct", max_horizon=5).fit(BASE),
        "rnn": RNNForecaster("lstm", **SMALL).fit(BASE),
        "global": g.for_series("a"),
    }


@pytest.mark.parametrize("model", ["naive", "ar", "ar_direct", "rnn", "global"])
@pytest.mark.parametrize("horizon, expect", HORIZONS, ids=HORIZON_IDS)
def test_predict_horizon(horizon, expect, model, fitted):
    m = copy.deepcopy(fitted[model])
    run_cell(lambda: forecasts(m, horizon), expect, args=("horizon",), words=repr(horizon),
             check=lambda out: check_forecasts(out, BASE.index, horizon=3))


@pytest.mark.parametrize("model", ["naive", "ar", "rnn", "global"])
@pytest.mark.parametrize("coverage, expect", COVERAGES, ids=COVERAGE_IDS)
def test_predict_interval_coverage(coverage, expect, model, fitted):
    m = copy.deepcopy(fitted[model])
    run_cell(lambda: forecasts(m, 3, coverage), expect, args=("coverage",),
             words=r"cover", check=lambda out: check_forecasts(out, BASE.index))


@pytest.mark.parametrize("horizon, expect", HORIZONS, ids=HORIZON_IDS)
@pytest.mark.parametrize("where", ["make_windows", "backtest", "compare"])
def test_horizon_of_functions(where, horizon, expect):
    calls = {
        "make_windows": lambda: make_windows(BASE, window=5, horizon=horizon),
        "backtest": lambda: backtest(NaiveForecaster(), BASE, start=-10, horizon=horizon),
        "compare": lambda: compare({}, BASE, test_size=10, horizon=horizon),
    }
    checks = {
        "make_windows": lambda out: check_result(out),
        "backtest": lambda frame: check_result(frame[["forecast", "actual"]]),
        "compare": lambda result: check_result(result.metrics[["mae", "rmse"]]),
    }
    run_cell(calls[where], expect, args=("horizon",), words=repr(horizon), check=checks[where])


@pytest.mark.parametrize("coverage, expect", COVERAGES[:-2] + [(0.5, "ok")],
                         ids=COVERAGE_IDS[:-2] + ["half"])
def test_backtest_coverage(coverage, expect):
    run_cell(lambda: backtest(NaiveForecaster(), BASE, start=-5, coverage=coverage), expect,
             args=("coverage",), words=r"cover",
             check=lambda frame: check_result(frame[["forecast", "lower", "upper"]]))


# --------------------------------------------------------------------------- estimator settings

ESTIMATOR_SETTINGS = [  # (id, make the estimator, the parameter it names)
    ("naive-strategy", lambda: NaiveForecaster(strategy="median"), "strategy"),
    ("naive-sp0", lambda: NaiveForecaster(strategy="seasonal_last", sp=0), "sp"),
    ("naive-sp-float", lambda: NaiveForecaster(strategy="seasonal_last", sp=1.5), "sp"),
    ("ar-order-neg", lambda: ARForecaster(-1), "order"),
    ("ar-order-str", lambda: ARForecaster("abc"), "order"),
    ("ar-order-float", lambda: ARForecaster(1.5), "order"),
    ("ar-trend", lambda: ARForecaster(2, trend="x"), "trend"),
    ("ar-hold-back", lambda: ARForecaster(2, hold_back=1), "hold_back"),
    ("ar-strategy", lambda: ARForecaster(2, strategy="both"), "strategy"),
    ("ar-max-horizon", lambda: ARForecaster(2, strategy="direct", max_horizon=0),
     "max_horizon"),
    ("rnn-cell", lambda: RNNForecaster("transformer", **SMALL), "cell"),
    ("rnn-hidden0", lambda: RNNForecaster(hidden_size=0, epochs=2), "hidden_size"),
    ("rnn-hidden-float", lambda: RNNForecaster(hidden_size=4.0, epochs=2), "hidden_size"),
    ("rnn-epochs0", lambda: RNNForecaster(hidden_size=4, epochs=0), "epochs"),
    ("rnn-lr-neg", lambda: RNNForecaster(**{**SMALL, "lr": -1.0}), "lr"),
    ("rnn-lr-nan", lambda: RNNForecaster(**{**SMALL, "lr": float("nan")}), "lr"),
    ("rnn-lr-str", lambda: RNNForecaster(**{**SMALL, "lr": "fast"}), "lr"),
    ("rnn-batch0", lambda: RNNForecaster(**SMALL, batch_size=0), "batch_size"),
    ("rnn-val-one", lambda: RNNForecaster(**SMALL, validation_fraction=1.0),
     "validation_fraction"),
    ("rnn-val-neg", lambda: RNNForecaster(**SMALL, validation_fraction=-0.1),
     "validation_fraction"),
    ("rnn-patience-neg", lambda: RNNForecaster(**SMALL, patience=-1), "patience"),
    ("rnn-dtype", lambda: RNNForecaster(**SMALL, dtype="float16"), "dtype"),
    ("rnn-optimizer", lambda: RNNForecaster(**SMALL, optimizer="lbfgs"), "optimizer"),
    ("rnn-loss", lambda: RNNForecaster(**SMALL, loss="hinge"), "loss"),
    ("rnn-target", lambda: RNNForecaster(**SMALL, target="price"), "target"),
    ("rnn-training", lambda: RNNForecaster(**SMALL, training="bptt"), "training"),
    ("rnn-k1-zero", lambda: RNNForecaster(**SMALL, k1=0), "k1"),
    ("rnn-k2-below-k1", lambda: RNNForecaster(**SMALL, k1=10, k2=5), "k2"),
    ("rnn-clip-neg", lambda: RNNForecaster(**SMALL, clip_norm=-1.0), "clip_norm"),
    ("rnn-window0", lambda: RNNForecaster(**SMALL, training="window", window=0), "window"),
    ("rnn-seed-neg", lambda: RNNForecaster(hidden_size=4, epochs=2, random_state=-1),
     "random_state"),
    ("rnn-seed-str", lambda: RNNForecaster(hidden_size=4, epochs=2, random_state="abc"),
     "random_state"),
    ("rnn-seed-float", lambda: RNNForecaster(hidden_size=4, epochs=2, random_state=2.5),
     "random_state"),
    ("global-cell", lambda: GlobalRNNForecaster("transformer", **SMALL), "cell"),
    ("global-seed-neg", lambda: GlobalRNNForecaster(hidden_size=4, epochs=2, random_state=-1),
     "random_state"),
]


@pytest.mark.parametrize("make, param", [s[1:] for s in ESTIMATOR_SETTINGS],
                         ids=[s[0] for s in ESTIMATOR_SETTINGS])
def test_forecaster_setting(make, param):
    model = make()
    fit = (lambda: model.fit_many({"a": BASE, "b": BASE * 1.1})) if hasattr(
        model, "fit_many") else (lambda: model.fit(BASE))
    run_cell(fit, "error", args=(param,), words=r"(?!)", check=check_result)


X, Y = (np.array(a) for a in make_windows(BASE.to_numpy(), window=5))
REGRESSOR_SETTINGS = [
    ("ar-alpha-neg", lambda: ARRegressor(alpha=-1.0), "alpha"),
    ("ar-alpha-str", lambda: ARRegressor(alpha="x"), "alpha"),
    ("ar-intercept-str", lambda: ARRegressor(fit_intercept="yes"), "fit_intercept"),
    ("rnn-hidden0", lambda: RNNRegressor(hidden_size=0, epochs=2), "hidden_size"),
    ("rnn-seed-str", lambda: RNNRegressor(hidden_size=4, epochs=2, random_state="abc"),
     "random_state"),
    ("rnn-scale-str", lambda: RNNRegressor(**SMALL, scale="no"), "scale"),
]


@pytest.mark.parametrize("make, param", [s[1:] for s in REGRESSOR_SETTINGS],
                         ids=[s[0] for s in REGRESSOR_SETTINGS])
def test_regressor_setting(make, param):
    run_cell(lambda: make().fit(X, Y[:, 0]), "error", args=(param,), words=r"(?!)",
             check=check_result)


TRANSFORM_SETTINGS = [
    ("standardizer-with-mean-str", lambda: Standardizer(with_mean="no"), "with_mean"),
    ("standardizer-with-std-none", lambda: Standardizer(with_std=None), "with_std"),
    ("differencer-order0", lambda: Differencer(order=0), "order"),
    ("differencer-order-float", lambda: Differencer(order=1.5), "order"),
]


@pytest.mark.parametrize("make, param", [s[1:] for s in TRANSFORM_SETTINGS],
                         ids=[s[0] for s in TRANSFORM_SETTINGS])
def test_transform_setting(make, param):
    run_cell(lambda: make().fit_transform(BASE), "error", args=(param,), words=r"(?!)",
             check=check_result)


def test_simple_returns_below_minus_one_give_no_negative_price():
    fitted = SimpleReturns().fit(BASE)
    run_cell(lambda: fitted.inverse_transform(np.array([-2.0, 0.5])), "error", args=("X",),
             words=r"-1|-2|negative|positive", check=check_result)


# --------------------------------------------------------------------------- function settings

FUNCTION_SETTINGS = [  # (id, call, the parameter named)
    ("windows-window0", lambda: make_windows(BASE, window=0), "window"),
    ("windows-window-str", lambda: make_windows(BASE, window="5"), "window"),
    ("windows-step0", lambda: make_windows(BASE, window=5, step=0), "step"),
    ("windows-target", lambda: make_windows(BASE, window=5, target=3), "target"),
    ("tts-zero", lambda: temporal_train_test_split(BASE, test_size=0), "test_size"),
    ("tts-one-and-half", lambda: temporal_train_test_split(BASE, test_size=1.5), "test_size"),
    ("tts-str", lambda: temporal_train_test_split(BASE, test_size="0.2"), "test_size"),
    ("tts-gap-neg", lambda: temporal_train_test_split(BASE, gap=-1), "gap"),
    ("wfs-splits0", lambda: list(WalkForwardSplit(n_splits=0).split(BASE)), "n_splits"),
    ("wfs-test-neg", lambda: list(WalkForwardSplit(3, test_size=-1).split(BASE)), "test_size"),
    ("wfs-gap-neg", lambda: list(WalkForwardSplit(3, gap=-1).split(BASE)), "gap"),
    ("wfs-window", lambda: list(WalkForwardSplit(3, window="sliding").split(BASE)), "window"),
    ("wfs-too-many", lambda: list(WalkForwardSplit(400).split(BASE)), "n_splits"),
    ("bt-start-float", lambda: backtest(NaiveForecaster(), BASE, start=1.5), "start"),
    ("bt-start-future", lambda: backtest(NaiveForecaster(), BASE, start="2100-01-01"), "start"),
    ("bt-start-past-end", lambda: backtest(NaiveForecaster(), BASE, start=10**6), "start"),
    ("bt-start-tz", lambda: backtest(NaiveForecaster(), BASE,
                                     start=pd.Timestamp("2018-12-01", tz="UTC")), "start"),
    ("bt-step0", lambda: backtest(NaiveForecaster(), BASE, start=-5, step=0), "step"),
    ("bt-refit0", lambda: backtest(NaiveForecaster(), BASE, start=-5, refit_every=0),
     "refit_every"),
    ("bt-window", lambda: backtest(NaiveForecaster(), BASE, start=-5, window="x"), "window"),
    ("bt-train-size0", lambda: backtest(NaiveForecaster(), BASE, start=-5, window="rolling",
                                        train_size=0), "train_size"),
    ("bt-class", lambda: backtest(NaiveForecaster, BASE, start=-5), "forecaster"),
    ("bt-none", lambda: backtest(None, BASE, start=-5), "forecaster"),
    ("bt-sklearn", lambda: backtest(Ridge(), BASE, start=-5), "forecaster"),
    ("cmp-test0", lambda: compare({}, BASE, test_size=0), "test_size"),
    ("cmp-test-huge", lambda: compare({}, BASE, test_size=10**6), "test_size"),
    ("cmp-model-none", lambda: compare({"x": None}, BASE, test_size=5), "x"),
    ("cmp-models-list", lambda: compare([NaiveForecaster()], BASE, test_size=5), "models"),
    ("cmp-refit-str", lambda: compare({}, BASE, test_size=5, refit_every="x"), "refit_every"),
    ("mase-sp0", lambda: metrics.mase(BASE, BASE, y_train=BASE, sp=0), "sp"),
    ("da-zero", lambda: significance.directional_accuracy(BASE, BASE, BASE, zero="x"), "zero"),
    ("dm-h0", lambda: significance.diebold_mariano(BASE, BASE * 2, h=0), "h"),
    ("dm-loss", lambda: significance.diebold_mariano(BASE, BASE * 2, loss="x"), "loss"),
    ("dm-alternative", lambda: significance.diebold_mariano(BASE, BASE * 2, alternative="x"),
     "alternative"),
    ("dm-variance", lambda: significance.diebold_mariano(BASE, BASE * 2, variance="x"),
     "variance"),
    ("csv-missing", lambda: forecast.load_csv(_csv(), missing="zero"), "missing"),
    ("csv-date-column", lambda: forecast.load_csv(_csv(), date_column="when"),
     "date_column|'when'"),
    ("csv-date-format-int", lambda: forecast.load_csv(_csv(), date_format=5), "date_format"),
    ("dataset-symbol", lambda: forecast.load_dataset("stocks_monthly", symbol="XYZ"), "symbol"),
]


def _csv():
    from forecast.data.bundled import dataset_path

    return dataset_path("msft")


@pytest.mark.parametrize("call, param", [s[1:] for s in FUNCTION_SETTINGS],
                         ids=[s[0] for s in FUNCTION_SETTINGS])
def test_function_setting(call, param):
    run_cell(call, "error", args=tuple(param.split("|")), words=r"(?!)", check=check_result)


def test_load_csv_columns_given_as_one_string():
    """``columns="close"`` is refused naming ``columns``, or read as the one column "close"
    (never as the columns 'c', 'l', 'o', 's', 'e')."""

    def one_close_column(frame):
        check_result(frame)
        assert list(frame.columns) == ["close"], list(frame.columns)

    run_cell(lambda: forecast.load_csv(_csv(), columns="close"), "either", args=("columns",),
             words=r"(?!)", check=one_close_column)
