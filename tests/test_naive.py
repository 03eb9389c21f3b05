"""NaiveForecaster: random walk, mean, drift and seasonal naive on the bundled S&P 500."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import forecast
from forecast.models.naive import NaiveForecaster

Z95 = 1.959963984540054


@pytest.fixture(scope="module")
def close():
    return forecast.load_dataset("sp500", calendar=None)["close"].loc["2015":]


def _half_width(model, horizon):
    band = model.predict_interval(horizon)
    return ((band["upper"] - band["lower"]) / 2).to_numpy()


def test_random_walk(close):
    y, h = close.to_numpy(), np.arange(1, 11)
    model = NaiveForecaster().fit(close)
    np.testing.assert_array_equal(model.predict(10), np.full(10, y[-1]))
    assert model.sigma2_ == pytest.approx(np.mean(np.diff(y) ** 2), rel=1e-12)
    np.testing.assert_allclose(_half_width(model, 10), Z95 * np.sqrt(model.sigma2_ * h))


def test_mean(close):
    y, T = close.to_numpy(), len(close)
    model = NaiveForecaster(strategy="mean").fit(close)
    np.testing.assert_allclose(model.predict(4), np.full(4, y.mean()), rtol=1e-12)
    assert model.sigma2_ == pytest.approx(np.var(y, ddof=1), rel=1e-12)
    np.testing.assert_allclose(
        _half_width(model, 4), Z95 * np.sqrt(model.sigma2_ * (1 + 1 / T)) * np.ones(4)
    )


def test_drift(close):
    y, T, h = close.to_numpy(), len(close), np.arange(1, 8)
    model = NaiveForecaster(strategy="drift").fit(close)
    drift = (y[-1] - y[0]) / (T - 1)
    assert model.drift_ == pytest.approx(drift, rel=1e-12)
    np.testing.assert_allclose(model.predict(7), y[-1] + h * drift, rtol=1e-12)
    # the drift is the mean change, so the residual variance is the changes' sample variance
    assert model.sigma2_ == pytest.approx(np.var(np.diff(y), ddof=1), rel=1e-10)
    np.testing.assert_allclose(
        _half_width(model, 7), Z95 * np.sqrt(model.sigma2_ * h * (1 + h / (T - 1)))
    )


def test_seasonal_last(close):
    y = close.to_numpy()
    model = NaiveForecaster(strategy="seasonal_last", sp=5).fit(close)
    # steps 1..5 repeat the last five values in order, steps 6..12 repeat them again
    np.testing.assert_array_equal(model.predict(12), np.tile(y[-5:], 3)[:12])
    assert model.sigma2_ == pytest.approx(np.mean((y[5:] - y[:-5]) ** 2), rel=1e-12)
    k = np.arange(12) // 5  # complete seasons before the target
    np.testing.assert_allclose(_half_width(model, 12), Z95 * np.sqrt(model.sigma2_ * (k + 1)))


def test_seasonal_period_one_is_the_random_walk(close):
    a = NaiveForecaster(strategy="seasonal_last", sp=1).fit(close)
    b = NaiveForecaster().fit(close)
    pd.testing.assert_series_equal(a.predict(6), b.predict(6))
    pd.testing.assert_frame_equal(a.predict_interval(6), b.predict_interval(6))


def test_forecasts_are_dated_and_named(close):
    model = NaiveForecaster().fit(close.loc[:"2018-12-21"])
    forecast_ = model.predict(2)
    assert forecast_.name == "forecast"
    assert list(forecast_.index.strftime("%Y-%m-%d")) == ["2018-12-24", "2018-12-25"]
    assert model.predict_interval(2).index.equals(forecast_.index)


@pytest.mark.parametrize("strategy", ["last", "mean", "drift", "seasonal_last"])
def test_update_moves_the_origin_and_refit_reestimates(close, strategy):
    first, rest = close.iloc[:500], close.iloc[500:510]
    model = NaiveForecaster(strategy=strategy, sp=3).fit(first)
    sigma2, mean, drift = model.sigma2_, model.mean_, model.drift_
    model.update(rest)
    assert (model.sigma2_, model.mean_, model.drift_) == (sigma2, mean, drift)
    assert model.predict(1).index[0] > rest.index[-1]
    y = close.to_numpy()[:510]
    expected = {
        "last": y[-1],
        "mean": mean,  # a parameter: it stays until a refit
        "drift": y[-1] + drift,
        "seasonal_last": y[-3],
    }[strategy]
    assert model.predict(1).iloc[0] == pytest.approx(expected, rel=1e-12)
    model.update(close.iloc[510:520], refit=True)
    fresh = NaiveForecaster(strategy=strategy, sp=3).fit(close.iloc[:520])
    pd.testing.assert_series_equal(model.predict(5), fresh.predict(5))
    pd.testing.assert_frame_equal(model.predict_interval(5), fresh.predict_interval(5))


def test_array_input_and_updates_continue_a_range_index(close):
    model = NaiveForecaster(strategy="drift").fit(close.to_numpy()[:100])
    model.update(close.to_numpy()[100:103])
    assert model.predict(2).index.equals(pd.RangeIndex(103, 105))


def test_clone_and_not_fitted():
    model = NaiveForecaster(strategy="seasonal_last", sp=7)
    assert clone(model).get_params() == {"strategy": "seasonal_last", "sp": 7}
    with pytest.raises(NotFittedError):
        model.predict(1)
    with pytest.raises(NotFittedError):
        model.update(np.ones(2))


@pytest.mark.parametrize(
    ("params", "y", "error", "message"),
    [
        (
            {"strategy": "naive"},
            np.ones(5),
            ValueError,
            r"unknown strategy='naive'; valid choices are 'last', 'mean', 'drift', 'seasonal_last'",
        ),
        (
            {"strategy": "seasonal_last", "sp": 0},
            np.ones(5),
            ValueError,
            r"sp must be >= 1, got sp=0",
        ),
        ({"strategy": "seasonal_last", "sp": 1.5}, np.ones(5), TypeError, r"sp must be an integer"),
        (
            {"strategy": "seasonal_last", "sp": 5},
            np.ones(5),
            ValueError,
            r"y needs at least 6 observations, got 5",
        ),
        ({"strategy": "drift"}, np.ones(2), ValueError, r"y needs at least 3 observations, got 2"),
        ({}, np.array([1.0, np.nan, 2.0]), ValueError, r"non-finite value.*position 1"),
    ],
)
def test_bad_input_is_named(params, y, error, message):
    with pytest.raises(error, match=message):
        NaiveForecaster(**params).fit(y)


def test_bad_horizon_and_coverage(close):
    model = NaiveForecaster().fit(close)
    with pytest.raises(ValueError, match=r"horizon must be >= 1, got horizon=-2"):
        model.predict(-2)
    with pytest.raises(ValueError, match=r"coverage must be > 0.0, got coverage=0.0"):
        model.predict_interval(3, coverage=0.0)


# ----------------------------------------------- running sums: constant-time refits (#18)


@pytest.mark.parametrize("strategy", ["mean", "drift", "last", "seasonal_last"])
@pytest.mark.parametrize("name", ["prices", "returns"])
def test_refits_by_running_sums_equal_a_full_recomputation_at_every_origin(strategy, name):
    msft = forecast.load_dataset("msft")["close"]
    y = (msft if name == "prices" else np.log(msft).diff().dropna()).to_numpy()
    model = NaiveForecaster(strategy=strategy, sp=5).fit(y[:100])
    chunks = [1] * 2000 + [7, 1, 250, 1, 1]  # mostly one value, some refits after gaps
    seen = 100
    for i, size in enumerate(chunks):
        model.update(y[seen : seen + size], refit=i % 50 != 3)  # a few without refit
        seen += size
        if i % 50 == 3 or (i % 9 and size == 1):  # compared at every 9th refit and gap
            continue
        full = NaiveForecaster(strategy=strategy, sp=5).fit(y[:seen])  # the recomputation
        for attr in ("mean_", "drift_", "sigma2_"):
            assert getattr(model, attr) == pytest.approx(getattr(full, attr), rel=1e-10, abs=0)
        assert model.nobs_ == full.nobs_ == seen


@pytest.mark.parametrize("strategy", ["mean", "drift", "last"])
def test_a_refit_reads_only_the_new_values_not_the_history(strategy):
    """Constant time per refit: with the history overwritten by NaN after each update (all
    but the first and the last value, which drift_ and the next change need), the refits
    still give the estimates of the true series."""
    y = np.cumsum(np.random.default_rng(1).normal(size=3000)) + 100
    model = NaiveForecaster(strategy=strategy).fit(y[:10])
    for t in range(10, 3000):
        model.update(y[t : t + 1], refit=True)
        model._history.values[1:t] = np.nan  # the buffer: only y_0 and y_t stay
    full = NaiveForecaster(strategy=strategy).fit(y)
    for attr in ("mean_", "drift_", "sigma2_"):
        assert getattr(model, attr) == pytest.approx(getattr(full, attr), rel=1e-10)


def test_huge_values_fall_back_to_the_scaled_recomputation():
    model = NaiveForecaster(strategy="mean").fit(np.array([1e150, 2e150, 3e150]))
    model.update(np.array([4e150]), refit=True)  # squares near 1e300: recomputed, scaled
    assert model.mean_ == pytest.approx(2.5e150, rel=1e-12)
    assert model.sigma2_ == pytest.approx(5 / 3 * 1e300, rel=1e-12)
