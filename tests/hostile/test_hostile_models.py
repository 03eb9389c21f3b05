"""Hostile series through every forecaster and regressor, ``backtest`` and ``compare``.

Forecaster cells run ``fit(y)`` (or ``update(y_new)`` on a model fitted on clean data), then
``predict(3)`` and ``predict_interval(3, coverage=0.9)``: a named error, or forecasts that
are finite, dated after the data, three of them, inside their interval.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from hostile_cases import (
    BASE,
    CASE_IDS,
    CASES,
    check_forecasts,
    check_result,
    forecasts,
    resolve,
    run_cell,
    seen_index,
)

from forecast import (
    ARForecaster,
    ARRegressor,
    GlobalRNNForecaster,
    NaiveForecaster,
    RNNForecaster,
    RNNRegressor,
    backtest,
    compare,
    make_windows,
)

SMALL = {"hidden_size": 4, "epochs": 2, "random_state": 0}

FORECASTERS = {
    "naive_last": lambda: NaiveForecaster(strategy="last"),
    "naive_mean": lambda: NaiveForecaster(strategy="mean"),
    "naive_drift": lambda: NaiveForecaster(strategy="drift"),
    "naive_seasonal": lambda: NaiveForecaster(strategy="seasonal_last", sp=5),
    "ar5": lambda: ARForecaster(5),
    "ar3_direct": lambda: ARForecaster(3, strategy="direct", max_horizon=3),
    "lstm_tbptt": lambda: RNNForecaster("lstm", **SMALL),
    "gru_window": lambda: RNNForecaster("gru", training="window", window=5, **SMALL),
    "rnn_tbptt": lambda: RNNForecaster("rnn", **SMALL),
}
RNNS = ("lstm_tbptt", "gru_window", "rnn_tbptt")

#: what each model may do with a case when the table's default does not apply
_LOG_TARGET = {"nonpositive": "error"}  # the RNNs model log returns: prices must be > 0
_RULES = {
    "naive_last": {"nonpositive": "ok", "too_short": "ok"},
    "naive_mean": {"nonpositive": "ok", "too_short": "ok"},
    "naive_drift": {"nonpositive": "ok", "too_short": "ok"},
    "naive_seasonal": {"nonpositive": "ok"},
    "ar5": {"nonpositive": "ok"},
    "ar3_direct": {"nonpositive": "ok"},
    "lstm_tbptt": {**_LOG_TARGET, "too_short": "either"},
    "gru_window": {**_LOG_TARGET, "too_short": "either"},
    "rnn_tbptt": {**_LOG_TARGET, "too_short": "either"},
}


def _fit(name: str, y):
    return forecasts(FORECASTERS[name]().fit(y))


@pytest.mark.parametrize("name", list(FORECASTERS))
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_forecaster_fit(case, name):
    y = case.build(BASE)
    run_cell(lambda: _fit(name, y), resolve(case, _RULES[name]), args=("y", "horizon"),
             words=case.words, check=lambda out: check_forecasts(out, seen_index(y)))


def _partner(y):
    """A clean second series on the labels of ``y`` (so only ``y`` is hostile)."""
    if isinstance(y, pd.Series) and 0 < len(y) <= len(BASE):
        return pd.Series(1.1 * BASE.to_numpy()[-len(y):], index=y.index, name="good")
    return BASE


def _fit_global(y):
    model = GlobalRNNForecaster(**SMALL).fit_many({"bad": y, "good": _partner(y)})
    return forecasts(model.for_series("bad"))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_global_rnn_fit_many(case):
    y = case.build(BASE)
    run_cell(lambda: _fit_global(y), resolve(case, {**_LOG_TARGET, "too_short": "either"}),
             args=("series", "bad", "horizon"), words=case.words,
             check=lambda out: check_forecasts(out, seen_index(y)))


# --------------------------------------------------------------------------- update

FIT_PART, NEW_PART = BASE.iloc[:250], BASE.iloc[250:]


@pytest.fixture(scope="module")
def fitted():
    """Every forecaster fitted once on clean data (each cell updates a deep copy)."""
    models = {name: make().fit(FIT_PART) for name, make in FORECASTERS.items()}
    g = GlobalRNNForecaster(**SMALL).fit_many({"a": FIT_PART, "b": 1.1 * FIT_PART})
    models["global"] = g.for_series("a")
    return models


#: new observations after a fit: one value is plenty; labels must follow the fitted ones
#: in the same time zone (a tz-aware y_new after a tz-naive fit is refused)
_UPDATE = {"length_1": "ok", "too_short": "ok", "empty": "either", "valid": "error",
           "constant": "either"}


def _update(model, y_new, refit: bool = False):
    return forecasts(model.update(y_new, refit=refit))


#: update(refit=True) re-estimates: the global model refuses it by design (named error)
UPDATES = [(name, False) for name in (*FORECASTERS, "global")] + [
    (name, True) for name in FORECASTERS]


@pytest.mark.parametrize("name, refit", UPDATES,
                         ids=[f"{n}-refit" if r else n for n, r in UPDATES])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_forecaster_update(case, name, refit, fitted):
    model = copy.deepcopy(fitted[name])
    y_new = case.build(NEW_PART)
    rules = {**_UPDATE, "nonpositive": "error" if name in (*RNNS, "global") else "ok"}
    seen = FIT_PART.index.append(y_new.index) if isinstance(y_new, pd.Series) else None
    run_cell(lambda: _update(model, y_new, refit), resolve(case, rules),
             args=("y_new", "horizon"), words=case.words,
             check=lambda out: check_forecasts(out, seen))


@pytest.mark.parametrize("name", [*FORECASTERS, "global"])
def test_update_with_observations_dated_before_the_origin_is_refused(name, fitted):
    model = copy.deepcopy(fitted[name])
    run_cell(lambda: _update(model, BASE.iloc[240:260]), "error", args=("y_new",),
             words=r"after|before|overlap|sort|order", check=check_result)


# --------------------------------------------------------------------------- regressors

X_GOOD, Y_GOOD = (np.array(a) for a in make_windows(BASE.to_numpy(), window=5))
Y_GOOD = Y_GOOD[:, 0]


def _inject(a: np.ndarray, value) -> np.ndarray:
    out = a.astype(object) if isinstance(value, str) else a.astype(float)
    out.flat[out.size // 2] = value
    return out


REGRESSOR_CASES = {
    # name: (X, y, expectation, words)
    "X_nan": (_inject(X_GOOD, np.nan), Y_GOOD, "error", r"nan|finite"),
    "X_inf": (_inject(X_GOOD, np.inf), Y_GOOD, "error", r"inf|finite"),
    "X_dot_string": (_inject(X_GOOD, "."), Y_GOOD, "error", r"numeric|object|'\.'"),
    "y_nan": (X_GOOD, _inject(Y_GOOD, np.nan), "error", r"nan|finite"),
    "y_inf": (X_GOOD, _inject(Y_GOOD, np.inf), "error", r"inf|finite"),
    "X_empty": (X_GOOD[:0], Y_GOOD[:0], "error", r"empty|0 sample|at least|\b0\b"),
    "X_one_row": (X_GOOD[:1], Y_GOOD[:1], "either", r"at least|\b1\b|sample"),
    "X_1d": (X_GOOD[:, 0], Y_GOOD, "error", r"2-D|2D|shape|dimension|reshape"),
    "y_2d_wrong_length": (X_GOOD, Y_GOOD[:-3], "error", r"length|sample|inconsistent"),
    "X_bool": (X_GOOD > X_GOOD.mean(), Y_GOOD, "either", r"bool|numeric"),
    "X_huge_1e300": (X_GOOD / X_GOOD.max() * 1e300, Y_GOOD, "either", r"overflow|finite|scale"),
    "y_huge_1e300": (X_GOOD, Y_GOOD / Y_GOOD.max() * 1e300, "either", r"overflow|finite|scale"),
    "X_constant": (np.full_like(X_GOOD, 5.0), Y_GOOD, "either", r"constant|collinear|std"),
    "X_complex": (X_GOOD.astype(complex), Y_GOOD, "error", r"complex|real"),
    "X_none": (None, Y_GOOD, "error", r"None"),
}
REGRESSORS = {
    "ARRegressor": lambda: ARRegressor(),
    "RNNRegressor": lambda: RNNRegressor(**SMALL),
}


def _fit_predict(name: str, X, y):
    model = REGRESSORS[name]().fit(X, y)
    return model.predict(X[:3] if hasattr(X, "__len__") and len(X) >= 3 else X)


@pytest.mark.parametrize("name", list(REGRESSORS))
@pytest.mark.parametrize("case", list(REGRESSOR_CASES))
def test_regressor_fit_predict(case, name):
    X, y, expect, words = REGRESSOR_CASES[case]
    run_cell(lambda: _fit_predict(name, X, y), expect, args=("X", "y"), words=words,
             check=lambda pred: check_result(pred))


X_CASES = {
    # name: (X given to predict of a regressor fitted on clean windows, expectation, words)
    "nan": (_inject(X_GOOD[:3], np.nan), "error", r"nan|finite"),
    "inf": (_inject(X_GOOD[:3], np.inf), "error", r"inf|finite"),
    "dot_string": (_inject(X_GOOD[:3], "."), "error", r"numeric|object|'\.'"),
    "wrong_width": (X_GOOD[:3, :4], "error", r"feature|\b4\b|\b5\b|width"),
    "one_d": (X_GOOD[0], "error", r"2-D|2D|shape|dimension|reshape"),
    "empty": (X_GOOD[:0], "either", r"empty|0 sample|at least|\b0\b"),
    "huge_1e300": (X_GOOD[:3] / X_GOOD.max() * 1e300, "either", r"overflow|finite|scale"),
    "complex": (X_GOOD[:3].astype(complex), "error", r"complex|real"),
    "none": (None, "error", r"None"),
}


@pytest.fixture(scope="module")
def fitted_regressors():
    return {name: make().fit(X_GOOD, Y_GOOD) for name, make in REGRESSORS.items()}


@pytest.mark.parametrize("name", list(REGRESSORS))
@pytest.mark.parametrize("case", list(X_CASES))
def test_regressor_predict(case, name, fitted_regressors):
    X, expect, words = X_CASES[case]
    model = copy.deepcopy(fitted_regressors[name])
    run_cell(lambda: model.predict(X), expect, args=("X",), words=words,
             check=lambda pred: check_result(pred, horizon=len(X)))


# --------------------------------------------------------------------------- backtest, compare


def _check_backtest(frame: pd.DataFrame, n_series: int, seen) -> None:
    """4 origins x 2 steps per series; finite; target after origin; interval holds the point."""
    check_result(frame[["forecast", "actual", "lower", "upper"]])
    assert len(frame) == 8 * n_series, f"expected {8 * n_series} rows, got {len(frame)}"
    assert frame["target"].notna().all() and frame["origin"].notna().all(), "a NaT date"
    assert (frame["target"] > frame["origin"]).all(), "a target not after its origin"
    assert ((frame["lower"] <= frame["forecast"]) & (frame["forecast"] <= frame["upper"])).all()
    if isinstance(seen, pd.DatetimeIndex):
        zone = getattr(frame["target"].dt, "tz", None)
        assert str(zone) == str(seen.tz), f"the data is in {seen.tz}, the targets in {zone}"


_MANY_OK = {"two_d": "ok", "nonpositive": "ok"}  # a wide frame is many series


@pytest.mark.parametrize("model", ["naive", "ar2"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_backtest(case, model):
    y = case.build(BASE)
    forecaster = NaiveForecaster() if model == "naive" else ARForecaster(2)
    n_series = y.shape[1] if isinstance(y, pd.DataFrame) else 1
    run_cell(lambda: backtest(forecaster, y, start=-5, horizon=2, coverage=0.9),
             resolve(case, _MANY_OK), args=("y",), words=case.words,
             check=lambda frame: _check_backtest(frame, n_series, seen_index(y)))


def _check_compare(result) -> None:
    metrics = result.metrics() if callable(result.metrics) else result.metrics
    check_result(metrics[["mae", "rmse"]])
    frames = [result.backtests] if hasattr(result, "backtests") else []
    for frame in frames:
        check_result(frame[["forecast", "actual", "lower", "upper"]])
        assert frame["target"].notna().all(), "a NaT target"


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_compare(case):
    y = case.build(BASE)
    models = {"AR": ARForecaster(2)}
    run_cell(lambda: compare(models, y, test_size=5, coverage=0.9), resolve(case, _MANY_OK),
             args=("y",), words=case.words, check=_check_compare)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_compare_many_series(case):
    y = case.build(BASE)
    series = {"bad": y, "good": _partner(y)}
    run_cell(lambda: compare({"AR": ARForecaster(2)}, series, test_size=5),
             resolve(case, {"nonpositive": "ok"}), args=("y", "bad"), words=case.words,
             check=_check_compare)


GLOBAL_CASES = ["nan", "nat_label", "unsorted", "tz_aware", "dst_fall_back", "constant",
                "nonpositive", "length_1"]


@pytest.mark.parametrize("name", GLOBAL_CASES)
def test_compare_with_a_global_model(name):
    case = next(c for c in CASES if c.name == name)
    y = case.build(BASE)
    series = {"bad": y, "good": _partner(y)}
    run_cell(lambda: compare({"AR": ARForecaster(2)}, series, test_size=5,
                             global_models={"G": GlobalRNNForecaster(**SMALL)}),
             resolve(case, _LOG_TARGET), args=("y", "bad"), words=case.words,
             check=_check_compare)
