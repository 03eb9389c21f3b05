"""ARForecaster's contract: dates, update semantics, no look-ahead, bad input, sklearn API."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import forecast
from forecast.models.ar import ARForecaster, psi_weights


@pytest.fixture(scope="module")
def close():
    return forecast.load_dataset("sp500", calendar=None)["close"]  # business days: 2018-12-25


@pytest.fixture(scope="module")
def returns(close):
    return np.log(close).diff().dropna()


def test_forecasts_are_dated_with_the_next_business_days(returns):
    model = ARForecaster(5).fit(returns.loc[:"2018-12-21"])  # a Friday before Christmas
    forecast_index = model.predict(3).index
    assert list(forecast_index.strftime("%Y-%m-%d")) == ["2018-12-24", "2018-12-25", "2018-12-26"]
    band = model.predict_interval(3)
    assert list(band.columns) == ["lower", "upper"] and band.index.equals(forecast_index)
    assert model.predict(3).name == "forecast"


def test_array_input_gets_an_integer_index_that_continues(returns):
    values = returns.to_numpy()
    model = ARForecaster(3).fit(values[:100])
    assert model.predict(2).index.equals(pd.RangeIndex(100, 102))
    model.update(values[100:110])
    assert model.predict(2).index.equals(pd.RangeIndex(110, 112))
    assert model.index_.equals(pd.RangeIndex(110))


def test_an_integer_index_continues_with_its_step(returns):
    y = pd.Series(returns.to_numpy()[:50], index=np.arange(0, 500, 10))
    model = ARForecaster(2).fit(y)
    assert list(model.predict(3).index) == [500, 510, 520]
    model.update(pd.Series([0.001, 0.002], index=[500, 510]))
    assert list(model.predict(1).index) == [520]


def test_arrays_appended_to_dated_data_get_business_day_labels(returns):
    model = ARForecaster(2).fit(returns.loc[:"2018-12-20"])  # a Thursday
    model.update(np.array([0.01, -0.02]))
    assert list(model.index_[-2:].strftime("%a %d")) == ["Fri 21", "Mon 24"]
    assert model.predict(1).index[0] == pd.Timestamp("2018-12-25")


def test_update_without_refit_moves_the_origin_and_keeps_parameters(returns):
    model = ARForecaster(3).fit(returns.iloc[:1000])
    params, sigma2 = model.params_.copy(), model.sigma2_
    model.update(returns.iloc[1000:1005])
    np.testing.assert_array_equal(model.params_, params)
    assert model.sigma2_ == sigma2 and model.nobs_ == 997
    last = returns.to_numpy()[1002:1005][::-1]  # lag 1 first
    assert model.predict(1).iloc[0] == pytest.approx(model.intercept_ + model.coef_ @ last)
    assert model.predict(1).index[0] == returns.index[1005]


def test_recursive_forecasts_feed_back_into_the_lags(returns):
    model = ARForecaster(2).fit(returns)
    c, (phi1, phi2) = model.intercept_, model.coef_
    y = returns.to_numpy()
    f1 = c + phi1 * y[-1] + phi2 * y[-2]
    f2 = c + phi1 * f1 + phi2 * y[-1]
    f3 = c + phi1 * f2 + phi2 * f1
    np.testing.assert_allclose(model.predict(3).to_numpy(), [f1, f2, f3], rtol=1e-12)


def test_forecasts_at_an_origin_ignore_everything_after_it(close):
    """No look-ahead: perturbing the data after the origin changes nothing at the origin."""
    y = close.to_numpy()
    perturbed = y.copy()
    perturbed[3000:] *= 1.5
    a = ARForecaster(5).fit(y[:2900]).update(y[2900:3000], refit=True)
    b = ARForecaster(5).fit(perturbed[:2900]).update(perturbed[2900:3000], refit=True)
    np.testing.assert_array_equal(a.predict(10), b.predict(10))
    np.testing.assert_array_equal(a.params_, b.params_)
    fitted = ARForecaster(5).fit(y[:3000]).fittedvalues_.to_numpy()
    np.testing.assert_allclose(a.fittedvalues_.to_numpy(), fitted, rtol=1e-10)


def test_intervals_widen_with_the_horizon_and_the_coverage(returns):
    model = ARForecaster(5).fit(returns)
    narrow, wide = model.predict_interval(10, coverage=0.5), model.predict_interval(10)
    width = (wide["upper"] - wide["lower"]).to_numpy()
    assert np.all(np.diff(width) >= 0)
    assert np.all(narrow["upper"] - narrow["lower"] < width)
    np.testing.assert_allclose((wide["upper"] + wide["lower"]) / 2, model.predict(10), rtol=1e-12)


def test_psi_weights_of_an_ar2():
    # (1 - 0.5 L - 0.3 L^2)^{-1}: psi_j = 0.5 psi_{j-1} + 0.3 psi_{j-2}
    np.testing.assert_allclose(psi_weights(np.array([0.5, 0.3]), 4), [1, 0.5, 0.55, 0.425])


def test_order_zero_with_a_constant_forecasts_the_mean(returns):
    model = ARForecaster(0).fit(returns)
    np.testing.assert_allclose(model.predict(3), returns.mean(), rtol=1e-10)
    assert model.coef_.shape == (0,)


def test_direct_strategy_needs_enough_models(returns):
    model = ARForecaster(3, strategy="direct", max_horizon=5).fit(returns)
    assert model.direct_params_.shape == (5, 4)
    np.testing.assert_allclose(model.direct_params_[0], ARForecaster(3).fit(returns).params_)
    with pytest.raises(ValueError, match=r"horizon=6 exceeds max_horizon=5"):
        model.predict(6)
    band = model.predict_interval(5)
    half = (band["upper"] - band["lower"]).to_numpy() / 2
    np.testing.assert_allclose(half, 1.959963984540054 * np.sqrt(model.direct_sigma2_))


def test_clone_and_params():
    model = ARForecaster(5, trend="ct", strategy="direct", max_horizon=3)
    assert clone(model).get_params() == model.get_params()
    assert model.get_params()["order"] == 5
    assert not hasattr(clone(model), "coef_")


def test_predict_and_update_before_fit_raise_not_fitted():
    with pytest.raises(NotFittedError):
        ARForecaster().predict(1)
    with pytest.raises(NotFittedError):
        ARForecaster().predict_interval(1)
    with pytest.raises(NotFittedError):
        ARForecaster().update(np.ones(3))


def test_too_few_observations_names_both_numbers():
    with pytest.raises(ValueError, match=r"order=20.* 21 coefficient\(s\).* only 10 remain"):
        ARForecaster(20).fit(np.random.default_rng(0).normal(size=30))
    with pytest.raises(ValueError, match=r"max_order=20 has 21 .* only 5 remain"):
        ARForecaster("aic", max_order=20).fit(np.random.default_rng(0).normal(size=25))
    with pytest.raises(
        ValueError, match=r"max_horizon=10 has 3 .* only 2 remain \(13 observations minus 11"
    ):
        ARForecaster(2, strategy="direct", max_horizon=10).fit(np.arange(13.0) ** 2)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        (
            {"trend": "ctt"},
            ValueError,
            r"unknown trend='ctt'; valid choices are 'n', 'c', 't', 'ct'",
        ),
        (
            {"strategy": "dirrect"},
            ValueError,
            r"unknown strategy='dirrect'; .*'recursive', 'direct'",
        ),
        (
            {"order": "hqic"},
            ValueError,
            r"order must be an int >= 0 or one of 'aic', 'bic', got 'hqic'",
        ),
        ({"order": 2.5}, TypeError, r"order must be an integer, got 2.5"),
        ({"order": -1}, ValueError, r"order must be >= 0, got order=-1"),
        ({"order": 3, "hold_back": 2}, ValueError, r"hold_back=2 must be >= order=3"),
        (
            {"order": "aic", "max_order": -2},
            ValueError,
            r"max_order must be >= 0, got max_order=-2",
        ),
        ({"order": 0, "trend": "n"}, ValueError, r"order=0 with trend='n' leaves no coefficient"),
        ({"strategy": "direct", "max_horizon": 0}, ValueError, r"max_horizon must be >= 1"),
    ],
)
def test_bad_parameters_are_named_at_fit(returns, params, error, message):
    model = ARForecaster(**params)  # __init__ only stores
    with pytest.raises(error, match=message):
        model.fit(returns)


def test_bad_series_are_refused_with_the_position(returns):
    y = returns.iloc[:100].copy()
    y.iloc[40] = np.nan
    with pytest.raises(ValueError, match=r"1 non-finite value.*position 40 \(1999-03-04\)"):
        ARForecaster(2).fit(y)
    shuffled = returns.iloc[:100].iloc[::-1]
    with pytest.raises(ValueError, match=r"index is not sorted"):
        ARForecaster(2).fit(shuffled)
    # X is accepted since issue 16 (tests/test_arx.py); a constant column is collinear
    with pytest.raises(ValueError, match=r"collinear: column 3 \(X0.L1\)"):
        ARForecaster(2).fit(returns, X=np.ones((len(returns), 1)))
    constant = pd.Series(1.0, index=returns.index[:50])
    with pytest.raises(ValueError, match=r"collinear: column 1 \(y.L1\)"):
        ARForecaster(2).fit(constant)


def test_bad_updates_and_horizons(returns):
    model = ARForecaster(2).fit(returns.iloc[:100])
    with pytest.raises(ValueError, match=r"horizon must be >= 1, got horizon=0"):
        model.predict(0)
    with pytest.raises(ValueError, match=r"coverage must be < 1.0, got coverage=1.5"):
        model.predict_interval(2, coverage=1.5)
    with pytest.raises(
        ValueError, match=r"first label 1999-05-27 is not after the last label seen, 1999-05-27"
    ):
        model.update(returns.iloc[99:101])  # overlaps the last observation
    with pytest.raises(TypeError, match=r"y_new has a RangeIndex but the data seen so far has a "):
        model.update(pd.Series([0.1, 0.2]))
    with pytest.raises(ValueError, match=r"y_new contains 1 non-finite value"):
        model.update(np.array([0.1, np.inf]))
    with pytest.raises(TypeError, match=r"refit must be a bool, got 'yes'"):
        model.update(returns.iloc[100:101], refit="yes")
    assert len(model.index_) == 100  # nothing was appended by the failed calls


@pytest.mark.parametrize(
    "model",
    [ARForecaster(2), forecast.NaiveForecaster(), forecast.RNNForecaster("rnn", epochs=1)],
)
def test_unfitted_forecasters_say_so_for_index_(model):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        _ = model.index_
