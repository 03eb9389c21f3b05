"""Rolling-origin backtest: exact dates and shapes, no look-ahead, refit versus update."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

import forecast
from forecast._dates import future_index
from forecast._validation import check_series
from forecast.api import backtest
from forecast.evaluation.backtest import COLUMNS, run_backtest
from forecast.evaluation.schedule import WalkForward
from forecast.models.base import walks_by_position

CALLS: list[tuple] = []


class Drift(BaseEstimator):
    """A contract-following test forecaster: last value plus a drift estimated at fit.

    ``F_{t+s} = y_t + s * drift_``, ``drift_`` = mean of the last ``k`` changes at the last
    (re)fit: the forecast depends on both the state (last value) and a parameter.
    Every call is logged in ``CALLS`` as (method, n_values, first label, last label, refit).
    """

    def __init__(self, *, k=5, nan=False):
        self.k = k
        self.nan = nan

    def fit(self, y, X=None):
        values, index = check_series(y, min_length=self.k + 1)
        CALLS.append(("fit", len(values), index[0], index[-1], None, X is not None))
        self.values_, self.index_ = values.copy(), index
        self.drift_ = float(np.mean(np.diff(values[-self.k - 1 :])))
        return self

    def update(self, y_new, refit=False, X=None):
        check_is_fitted(self)
        values, index = check_series(y_new)
        assert index[0] > self.index_[-1], "update must continue the data seen"
        CALLS.append(("update", len(values), index[0], index[-1], refit, X is not None))
        self.values_ = np.concatenate([self.values_, values])
        self.index_ = self.index_.append(index)
        if refit:
            self.drift_ = float(np.mean(np.diff(self.values_[-self.k - 1 :])))
        return self

    def predict(self, horizon):
        check_is_fitted(self)
        f = self.values_[-1] + self.drift_ * np.arange(1, horizon + 1)
        if self.nan:
            f[-1] = np.nan
        return pd.Series(f, index=future_index(self.index_, horizon), name="forecast")

    def predict_interval(self, horizon, coverage=0.95):
        f = self.predict(horizon)
        half = coverage * np.sqrt(np.arange(1, horizon + 1))
        return pd.DataFrame({"lower": f - half, "upper": f + half}, index=f.index)


@pytest.fixture(autouse=True)
def _clear_calls():
    CALLS.clear()


@pytest.fixture(scope="module")
def sp500():
    return forecast.load_dataset("sp500")["close"]


def test_dates_and_shape_exact_around_christmas(sp500):
    y = sp500.loc["2018-11-01":]
    bt = backtest(Drift(), y, start="2018-12-24", horizon=2, model_name="drift")
    assert list(bt.columns) == COLUMNS
    day = pd.Timestamp
    # trading days 12-21, 12-24, 12-26 (Christmas skipped), 12-27, 12-28, 12-31
    expected_origins = ["2018-12-21", "2018-12-24", "2018-12-26", "2018-12-27"]
    expected_targets = [
        ("2018-12-24", "2018-12-26"),
        ("2018-12-26", "2018-12-27"),
        ("2018-12-27", "2018-12-28"),
        ("2018-12-28", "2018-12-31"),
    ]
    assert bt["origin"].tolist() == [day(d) for d in expected_origins for _ in range(2)]
    assert bt["target"].tolist() == [day(d) for pair in expected_targets for d in pair]
    assert bt["step"].tolist() == [1, 2] * 4
    assert (bt["model"] == "drift").all()
    np.testing.assert_array_equal(bt["actual"].to_numpy(), y.loc[bt["target"]].to_numpy())
    # the forecast at origin t is y_t + s * drift (drift fitted once, before the first origin)
    train = y.loc[:"2018-12-21"].to_numpy()
    drift = np.mean(np.diff(train[-6:]))
    last = y.loc[bt["origin"]].to_numpy()
    np.testing.assert_allclose(bt["forecast"], last + drift * bt["step"], rtol=1e-13)


def test_start_as_position_fraction_and_negative_agree():
    y = pd.Series(np.arange(100.0) ** 1.5)
    frames = [
        backtest(Drift(), y, start=s, horizon=3, step=2) for s in (80, -20, 0.8, 0.805)
    ]
    for other in frames[1:]:
        pd.testing.assert_frame_equal(frames[0], other)
    bt = frames[0]
    # targets 80..99 with a full horizon of 3: origins at first targets 80, 82, ..., 96
    assert bt["origin"].unique().tolist() == list(range(79, 96, 2))
    assert len(bt) == 9 * 3
    assert bt["target"].tolist() == [q + s for q in range(80, 97, 2) for s in range(3)]


def test_interval_columns_come_from_predict_interval():
    y = pd.Series(np.linspace(1.0, 2.0, 40))
    bt = backtest(Drift(), y, start=30, horizon=2, coverage=0.5)
    assert list(bt.columns) == COLUMNS + ["lower", "upper"]
    np.testing.assert_allclose(bt["forecast"] - bt["lower"], 0.5 * np.sqrt(bt["step"]))
    np.testing.assert_allclose(bt["upper"] - bt["forecast"], 0.5 * np.sqrt(bt["step"]))


def test_forecaster_itself_is_left_unfitted():
    model = Drift()
    backtest(model, np.arange(20.0), start=15)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


def _calls(kind, refit=None):
    return [c for c in CALLS if c[0] == kind and (refit is None or c[4] == refit)]


def test_refit_every_counts_fits_and_updates():
    y = pd.Series(np.sqrt(np.arange(1.0, 51.0)))
    backtest(Drift(), y, start=40, refit_every=3)  # 10 origins: refits at 0, 3, 6, 9
    assert [c[:4] for c in _calls("fit")] == [("fit", 40, 0, 39)]
    # origin i appends y[39 + i]; the refits are the updates at i = 3, 6, 9
    assert [c[2] for c in _calls("update", refit=True)] == [42, 45, 48]
    assert [c[2] for c in _calls("update", refit=False)] == [40, 41, 43, 44, 46, 47]
    assert all(c[1] == 1 for c in _calls("update"))


def test_no_refit_means_one_fit_then_updates_of_step_values():
    y = np.sqrt(np.arange(1.0, 51.0))
    bt = backtest(Drift(), y, start=30, step=4, horizon=2)
    assert len(_calls("fit")) == 1 and _calls("update", refit=True) == []
    updates = _calls("update", refit=False)
    assert [(c[1], c[2], c[3]) for c in updates] == [(4, q - 4, q - 1) for q in range(34, 49, 4)]
    assert bt["origin"].unique().tolist() == list(range(29, 48, 4))


def test_cold_refits_fit_fresh_clones_on_everything_seen():
    y = np.sqrt(np.arange(1.0, 31.0))
    warm = backtest(Drift(), y, start=20, refit_every=5)
    CALLS.clear()
    cold = backtest(Drift(), y, start=20, refit_every=5, warm_start=False)
    assert [c[:4] for c in _calls("fit")] == [("fit", 20, 0, 19), ("fit", 25, 0, 24)]
    assert _calls("update", refit=True) == []
    pd.testing.assert_frame_equal(warm, cold)  # the test forecaster refits exactly


def test_rolling_window_refits_on_the_last_train_size_values():
    y = np.sqrt(np.arange(1.0, 41.0))
    backtest(Drift(), y, start=30, refit_every=4, window="rolling", train_size=12)
    fits = [c[:4] for c in _calls("fit")]
    assert fits == [("fit", 12, 18, 29), ("fit", 12, 22, 33), ("fit", 12, 26, 37)]
    assert len(_calls("update", refit=False)) == 7
    CALLS.clear()
    backtest(Drift(), y, start=30, refit_every=5, window="rolling")  # train_size = start
    assert [c[:4] for c in _calls("fit")] == [("fit", 30, 0, 29), ("fit", 30, 5, 34)]


def test_exogenous_inputs_are_sliced_with_y():
    y = np.sqrt(np.arange(1.0, 31.0))
    X = pd.DataFrame({"x": np.arange(30.0)})
    backtest(Drift(), y, start=25, refit_every=2, X=X)
    assert all(c[5] for c in CALLS)
    with pytest.raises(ValueError, match=r"len\(X\)=29, len\(y\)=30"):
        backtest(Drift(), y, start=25, X=X.iloc[:29])


def _perturbed_after(y: pd.Series, position: int, rng) -> pd.Series:
    out = y.copy()
    out.iloc[position:] = out.iloc[position:] * rng.uniform(0.5, 1.5, len(y) - position)
    return out


LEAK_CASES = {
    "random walk": (lambda: forecast.NaiveForecaster(strategy="last"), dict(refit_every=None)),
    "naive drift, refits": (
        lambda: forecast.NaiveForecaster(strategy="drift"), dict(refit_every=2)
    ),
    "drift, fit once": (lambda: Drift(), dict(refit_every=None)),
    "drift, refit every 4": (lambda: Drift(), dict(refit_every=4)),
    "AR(3), fit once": (lambda: forecast.ARForecaster(order=3), dict(refit_every=None)),
    "AR(3), incremental refits": (lambda: forecast.ARForecaster(order=3), dict(refit_every=1)),
    "AR(2), cold refits": (
        lambda: forecast.ARForecaster(order=2), dict(refit_every=3, warm_start=False)
    ),
    "AR(2), rolling": (
        lambda: forecast.ARForecaster(order=2, trend="ct"),
        dict(refit_every=2, window="rolling", train_size=30),
    ),
    "LSTM, warm refits": (
        lambda: forecast.RNNForecaster("lstm", hidden_size=4, epochs=2, k1=10, random_state=0),
        dict(refit_every=8),
    ),
}


@pytest.mark.parametrize("case", list(LEAK_CASES))
def test_leak_free_perturbing_the_future_never_moves_past_forecasts(sp500, case):
    make, kwargs = LEAK_CASES[case]
    y = sp500.iloc[-80:]
    rng = np.random.default_rng(0)
    kw = dict(start=60, horizon=3, **kwargs)
    base = backtest(make(), y, **kw)
    origins = base["origin"].unique()
    for origin in origins:
        position = y.index.get_loc(origin) + 1  # everything after the origin changes
        other = backtest(make(), _perturbed_after(y, position, rng), **kw)
        before = (base["origin"] <= origin).to_numpy()
        np.testing.assert_array_equal(other["forecast"][before], base["forecast"][before])
        if origin != origins[-1]:  # the perturbation does reach later forecasts
            assert (other["forecast"][~before] != base["forecast"][~before]).all()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(start=0), ValueError, r"start=0 .* position in 1\.\.49"),
        (dict(start=50), ValueError, r"start=50"),
        (dict(start=-60), ValueError, r"start=-60"),
        (dict(start=1.5), ValueError, r"in \(0, 1\), got 1\.5"),
        (dict(start="2020-01-01"), TypeError, r"needs a DatetimeIndex"),
        (dict(start=[3]), TypeError, r"got \[3\] of type list"),
        (dict(start=48, horizon=3), ValueError, r"start at position 47 or earlier"),
        (dict(horizon=0), ValueError, r"horizon must be >= 1, got horizon=0"),
        (dict(step=0), ValueError, r"step must be >= 1"),
        (dict(refit_every=0), ValueError, r"refit_every must be >= 1"),
        (dict(window="sliding"), ValueError, r"unknown window='sliding'"),
        (dict(train_size=10), ValueError, r"train_size=10 is only for window='rolling'"),
        (dict(window="rolling", train_size=41), ValueError, r"train_size=41 is longer"),
        (dict(coverage=1.0), ValueError, r"coverage must be < 1"),
    ],
)
def test_bad_arguments_name_the_value(kwargs, error, match):
    y = np.sqrt(np.arange(1.0, 51.0))
    kwargs = {"start": 40} | kwargs
    with pytest.raises(error, match=match):
        backtest(Drift(), y, **kwargs)


def test_date_start_outside_the_series(sp500):
    with pytest.raises(ValueError, match=r"1999-01-04 \.\. 2018-12-31"):
        backtest(Drift(), sp500, start="2019-06-01")
    with pytest.raises(ValueError, match=r"is not a date"):
        backtest(Drift(), sp500, start="not a date")


def test_nan_forecast_names_the_origin(sp500):
    with pytest.raises(ValueError, match=r"Drift.predict\(2\) returned NaN .* 2018-12-21"):
        backtest(Drift(nan=True), sp500, start="2018-12-24", horizon=2)


def test_progress_bar_is_off_on_a_non_terminal(capsys):
    backtest(Drift(), np.sqrt(np.arange(1.0, 31.0)), start=20, progress=True)
    assert capsys.readouterr().err == ""


def test_incremental_ar_refits_equal_fresh_fits(sp500):
    y = sp500.iloc[-300:]
    kw = dict(start=-40, horizon=2, refit_every=1)
    warm = backtest(forecast.ARForecaster(order=5), y, **kw)
    cold = backtest(forecast.ARForecaster(order=5), y, warm_start=False, **kw)
    np.testing.assert_allclose(warm["forecast"], cold["forecast"], rtol=1e-10)
    once = backtest(forecast.ARForecaster(order=5), y, start=-40, horizon=2)
    assert not np.allclose(once["forecast"], warm["forecast"], rtol=1e-10)


class _PublicOnlyAR(forecast.ARForecaster):
    """AR driven through ``update(Series)`` and ``predict`` only: backtest's general path
    (a class that overrides update or predict is always called through them)."""

    def update(self, y_new, refit=False, X=None):
        return super().update(y_new, refit=refit, X=X)

    def predict(self, horizon):
        return super().predict(horizon)


class _PublicOnlyNaive(forecast.NaiveForecaster):
    def update(self, y_new, refit=False, X=None):
        return super().update(y_new, refit=refit, X=X)

    def predict(self, horizon):
        return super().predict(horizon)


class _PlainAR(forecast.ARForecaster):
    """A user's subclass that changes neither update nor predict."""


class _ShiftedAR(forecast.ARForecaster):
    """A user's subclass that changes ``predict``: backtest must call it."""

    def predict(self, horizon):
        return super().predict(horizon) + 1.0


FAST_CASES = {
    "AR(20), refit every origin": (lambda: forecast.ARForecaster(20), dict(refit_every=1)),
    "AR(3) ct, every 3rd, step 2, horizon 4": (
        lambda: forecast.ARForecaster(3, trend="ct"), dict(refit_every=3, step=2, horizon=4)
    ),
    "AR(2) direct, fit once": (
        lambda: forecast.ARForecaster(2, strategy="direct", max_horizon=3),
        dict(horizon=3),
    ),
    "AR(2), rolling": (
        lambda: forecast.ARForecaster(2), dict(refit_every=2, window="rolling", train_size=50)
    ),
    "AR(4), intervals": (lambda: forecast.ARForecaster(4), dict(refit_every=1, coverage=0.9)),
    "drift, refits": (lambda: forecast.NaiveForecaster(strategy="drift"), dict(refit_every=1)),
    "seasonal, step 3": (
        lambda: forecast.NaiveForecaster(strategy="seasonal_last", sp=5), dict(step=3, horizon=5)
    ),
}


def _public_only(model):
    cls = {forecast.ARForecaster: _PublicOnlyAR, forecast.NaiveForecaster: _PublicOnlyNaive}
    return cls[type(model)](**model.get_params())


@pytest.mark.parametrize("case", list(FAST_CASES))
@pytest.mark.parametrize("kind", ["dates", "range", "integer labels"])
def test_fast_path_equals_the_public_methods(sp500, case, kind, monkeypatch):
    """Positional updates and array forecasts give exactly what update/predict give."""
    from forecast.models.history import SeriesHistory

    def no_fallback(self, y_new, name="y_new"):  # update_slice never builds a Series here
        raise AssertionError(f"update_slice fell back to a Series: {y_new!r:.80}")

    monkeypatch.setattr(SeriesHistory, "append", no_fallback)

    make, kwargs = FAST_CASES[case]
    y = np.log(sp500.iloc[-400:]).diff().dropna()
    if kind == "range":
        y = y.to_numpy()
    elif kind == "integer labels":  # an Index of integers that is not a RangeIndex
        y = pd.Series(y.to_numpy(), index=pd.Index(np.arange(len(y)) * 7 + 3))
    options = {"coverage": kwargs.pop("coverage")} if "coverage" in kwargs else {}
    schedule = WalkForward(start=-60, **kwargs)
    fast, fast_model = run_backtest(make(), y, schedule, **options)
    monkeypatch.undo()  # the general path appends Series
    slow, slow_model = run_backtest(_public_only(make()), y, schedule, **options)
    pd.testing.assert_frame_equal(fast.drop(columns="model"), slow.drop(columns="model"))
    # the model left after the walk has seen the same labels and forecasts the same way
    pd.testing.assert_index_equal(fast_model.index_, slow_model.index_)
    labels = y.index if kind != "range" else pd.RangeIndex(len(y))
    end = labels.get_loc(fast["origin"].iloc[-1]) + 1  # the last origin is the last seen
    pd.testing.assert_index_equal(
        fast_model.index_, labels[end - len(fast_model.index_) : end], exact=True
    )
    pd.testing.assert_series_equal(fast_model.predict(3), slow_model.predict(3))


def test_positional_update_checks_like_a_series(sp500):
    """update_slice refuses positions that do not continue the data, or NaN, as update does."""
    y = sp500.iloc[-50:]
    values, index = check_series(y)
    model = forecast.ARForecaster(2).fit(y.iloc[:30])
    with pytest.raises(ValueError, match=r"first label 2018-.* is not after the last label"):
        model.update_slice(values, index, 20, 31)
    bad = values.copy()
    bad[[30, 32]] = np.nan
    with pytest.raises(ValueError, match=r"NaN"):
        model.update_slice(bad, index, 30, 32)
    assert len(model.index_) == 30  # nothing was appended
    model.update_slice(values, index, 30, 32, refit=True)
    with pytest.raises(ValueError, match=r"NaN"):  # a slice that goes on is checked too
        model.update_slice(bad, index, 32, 33)
    with pytest.raises(TypeError, match=r"y_new has a RangeIndex but the data seen so far"):
        model.update_slice(values, pd.RangeIndex(50), 32, 33)
    with pytest.raises(ValueError, match=r"values has 49 entries but index has 50 labels"):
        model.update_slice(values[:-1], index, 32, 33)
    with pytest.raises(TypeError, match=r"y_new must be numeric"):
        model.update_slice(values.astype(str), index, 32, 33)
    assert len(model.index_) == 32
    model.update_slice(values, index, 32, 33, refit=True)
    fresh = forecast.ARForecaster(2).fit(y.iloc[:33])
    np.testing.assert_allclose(model.params_, fresh.params_, rtol=1e-10)
    pd.testing.assert_index_equal(model.index_, y.index[:33])


def test_a_subclass_overriding_predict_is_not_bypassed(sp500):
    y = sp500.iloc[-200:]
    plain = backtest(forecast.ARForecaster(3), y, start=-20, refit_every=1)
    shifted = backtest(_ShiftedAR(3), y, start=-20, refit_every=1)
    np.testing.assert_allclose(shifted["forecast"], plain["forecast"] + 1.0, rtol=1e-12)


def test_only_classes_keeping_the_contracts_update_and_predict_are_walked_by_position():
    assert walks_by_position(forecast.ARForecaster(3))
    assert walks_by_position(forecast.NaiveForecaster())
    assert walks_by_position(_PlainAR(3))  # a subclass inherits the hook with the methods
    assert not walks_by_position(_ShiftedAR(3))
    assert not walks_by_position(_PublicOnlyNaive())
    assert not walks_by_position(forecast.RNNForecaster())


def test_the_hooks_of_a_class_with_its_own_update_and_predict_call_them(sp500):
    """forecast_values gives predict's values and update_slice calls update, when a
    SeriesForecaster writes its own update and predict (as the RNN forecasters do)."""
    from forecast.models.base import SeriesForecaster
    from forecast.models.history import SeriesHistory

    class LastValue(SeriesForecaster):
        def fit(self, y):
            values, index = check_series(y)
            self._history, self.calls_ = SeriesHistory(values, index), []
            return self

        def update(self, y_new, refit=False):
            self.calls_.append((type(y_new).__name__, refit))
            self._history.append(y_new)
            return self

        def predict(self, horizon):
            return pd.Series(self._history.values[-1], index=self._history.future_index(horizon))

    y = sp500.iloc[-100:]
    values, index = check_series(y)
    model = LastValue().fit(y.iloc[:60]).update_slice(values, index, 60, 70, refit=True)
    assert model.calls_ == [("Series", True)]
    pd.testing.assert_index_equal(model.index_, y.index[:70])
    np.testing.assert_array_equal(model.forecast_values(3), np.full(3, y.iloc[69]))
    assert not walks_by_position(model)


@pytest.mark.parametrize(
    "model", [forecast.ARForecaster(5), forecast.NaiveForecaster(strategy="drift")]
)
def test_model_after_a_positional_walk_saves_and_continues(sp500, model, tmp_path):
    """The labels kept by position survive save/load, and the loaded model goes on alike."""
    y = np.log(sp500).diff().dropna()
    _, walked = run_backtest(model, y.iloc[:-5], WalkForward(start=-30, refit_every=1))
    loaded = forecast.load_model(walked.save(tmp_path / "walked"))
    # the last origin has seen all but the last value of y.iloc[:-5]
    pd.testing.assert_index_equal(loaded.index_, y.index[:-6])
    for m in (walked, loaded):
        m.update(y.iloc[-6:-2], refit=True)
    pd.testing.assert_series_equal(loaded.predict(4), walked.predict(4))
    fresh = clone(model).fit(y.iloc[:-2])
    pd.testing.assert_series_equal(loaded.predict(4), fresh.predict(4), rtol=1e-9)


# --------------------------------------- the forecaster and its settings (issue 12, defect 8)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (forecast.ARForecaster, r"forecaster must be a forecaster instance, got the class "
                                r"ARForecaster; call it: ARForecaster\(\)"),
        (None, r"forecaster must be a forecaster instance, got None; pass one, e\.g\. "),
        (__import__("sklearn.linear_model").linear_model.LinearRegression(),
         r"got LinearRegression\(\) of type LinearRegression \(no update\); a scikit-learn "
         r"estimator fits windows, not a series: use it on forecast\.make_windows"),
        ("AR", r"forecaster must be a forecaster with fit, predict and update.*got 'AR'"),
    ],
)
def test_backtest_refuses_what_is_not_a_forecaster_naming_the_argument_and_fix(bad, message):
    y = forecast.load_dataset("sp500")["close"].iloc[:60]
    with pytest.raises(TypeError, match=message):
        backtest(bad, y)
    with pytest.raises(TypeError, match=message):
        backtest(bad, {"a": y, "b": y})  # many series: checked before any clone


class _PointOnly(BaseEstimator):
    """Follows the contract but has no predict_interval."""

    def fit(self, y, X=None):
        return self

    def update(self, y_new, refit=False, X=None):
        return self

    def predict(self, horizon):
        return np.zeros(horizon)


def test_backtest_with_coverage_refuses_a_forecaster_without_intervals():
    y = forecast.load_dataset("sp500")["close"].iloc[:60]
    with pytest.raises(TypeError, match=r"forecaster=_PointOnly has no predict_interval, "
                                        r"which coverage needs; pass coverage=None"):
        backtest(_PointOnly(), y, coverage=0.9)
    assert len(backtest(_PointOnly(), y)) == 12


def test_compare_and_backtest_share_the_forecaster_check():
    y = forecast.load_dataset("sp500")["close"].iloc[:120]
    with pytest.raises(TypeError, match=r"models\['AR'\] must be a forecaster instance, got "
                                        r"the class ARForecaster; call it"):
        forecast.compare({"AR": forecast.ARForecaster}, y, test_size=10)


BAD_HORIZONS = [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError),
                ("3", TypeError), (float("nan"), TypeError)]
BAD_COVERAGES = [(0, ValueError), (1, ValueError), (1.5, ValueError), (float("nan"), ValueError),
                 (True, TypeError), ("0.9", TypeError), (-0.5, ValueError)]


@pytest.mark.parametrize(("horizon", "error"), BAD_HORIZONS)
def test_every_forecast_call_refuses_a_bad_horizon_naming_it(horizon, error):
    y = forecast.load_dataset("sp500")["close"].iloc[:80]
    fitted = [forecast.ARForecaster(2).fit(y), forecast.NaiveForecaster().fit(y),
              forecast.ARForecaster(2, strategy="direct", max_horizon=3).fit(y),
              forecast.NaiveForecaster(strategy="drift").fit(y)]
    for model in fitted:
        for call in (model.predict, model.predict_interval):
            with pytest.raises(error, match=rf"horizon must be .*got (horizon=)?{horizon!r}"):
                call(horizon)
    with pytest.raises(error, match=r"horizon must be "):
        backtest(forecast.NaiveForecaster(), y, horizon=horizon)


@pytest.mark.parametrize(("coverage", "error"), BAD_COVERAGES)
def test_every_interval_call_refuses_a_bad_coverage_naming_it(coverage, error):
    y = forecast.load_dataset("sp500")["close"].iloc[:80]
    for model in (forecast.ARForecaster(2).fit(y), forecast.NaiveForecaster().fit(y)):
        with pytest.raises(error, match=r"coverage must be "):
            model.predict_interval(2, coverage=coverage)
    with pytest.raises(error, match=r"coverage must be "):
        backtest(forecast.NaiveForecaster(), y, coverage=coverage)
