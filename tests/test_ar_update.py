"""Incremental refits: update(refit=True) equals a fresh AutoReg fit on the extended data.

The least-squares state (the inverse factor S, S S^T = (X^T X)^-1) is updated one row at a
time (forecast.models._lstsq); on raw prices the design is nearly collinear, so these tests
are where a normal-equations shortcut would fail.
"""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.tsa.ar_model import AutoReg

import forecast
from forecast.models._lstsq import QRLeastSquares
from forecast.models.ar import ARForecaster

RTOL = 1e-8


def assert_rel(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=RTOL, atol=0)


@pytest.fixture(scope="module")
def series():
    close = forecast.load_dataset("sp500")["close"]
    return {"returns": np.log(close).diff().dropna(), "prices": close}


@pytest.mark.parametrize("name", ["returns", "prices"])
@pytest.mark.parametrize(("order", "trend"), [(20, "c"), (5, "ct"), (20, "t"), (1, "n")])
def test_200_single_step_refits_equal_a_fresh_fit(series, name, order, trend):
    y = series[name].to_numpy()
    first = len(y) - 200
    model = ARForecaster(order, trend=trend).fit(y[:first])
    forecasts = []
    for t in range(first, len(y)):
        model.update(y[t : t + 1], refit=True)
        forecasts.append(model.predict(1).iloc[0])
        if t in (first + 99, len(y) - 1):  # a checkpoint in the middle and at the end
            res = AutoReg(y[: t + 1], order, trend=trend).fit()
            assert_rel(model.params_, res.params)
            assert_rel(model.sigma2_, res.sigma2)
            assert_rel(model.aic_, res.aic)
            assert_rel(model.bic_, res.bic)
            assert model.nobs_ == res.nobs
            assert_rel(model.predict(20), res.forecast(20))
            band = model.predict_interval(20)
            expected = res.get_prediction(start=t + 1, end=t + 20).conf_int(alpha=0.05)
            assert_rel(band["lower"], expected[:, 0])
            assert_rel(band["upper"], expected[:, 1])
    # the step before the last: a fit on all but the last value forecasts the last one
    res = AutoReg(y[:-1], order, trend=trend).fit()
    assert_rel(forecasts[-2], res.forecast(1)[0])


def test_thousands_of_one_day_refits_on_raw_prices_stay_accurate(series):
    """Rounding errors do not pile up: 100 days fitted, then 4,931 one-day refits."""
    y = series["prices"].to_numpy()
    model = ARForecaster(20).fit(y[:100])
    for t in range(100, len(y)):
        model.update(y[t : t + 1], refit=True)
    res = AutoReg(y, 20).fit()
    assert_rel(model.params_, res.params)
    assert_rel(model.sigma2_, res.sigma2)
    assert_rel(model.predict(20), res.forecast(20))


@pytest.mark.parametrize("name", ["returns", "prices"])
def test_mixed_updates_with_and_without_refit(series, name):
    """Rows appended without refit are folded in at the next refit; chunks of any size."""
    y = series[name]
    model = ARForecaster(10, trend="ct").fit(y.iloc[:3000])
    model.update(y.iloc[3000:3003])  # no refit: parameters of the first fit
    assert_rel(model.params_, AutoReg(y.to_numpy()[:3000], 10, trend="ct").fit().params)
    model.update(y.iloc[3003:3200], refit=True)
    model.update(y.iloc[3200:3201])
    model.update(y.iloc[3201:3500], refit=True)
    res = AutoReg(y.to_numpy()[:3500], 10, trend="ct").fit()
    assert_rel(model.params_, res.params)
    assert_rel(model.sigma2_, res.sigma2)
    assert_rel(model.predict(10), res.forecast(10))
    assert model.index_.equals(y.index[:3500])
    assert model.resid_.index.equals(y.index[10:3500])
    np.testing.assert_allclose(model.resid_, res.resid, rtol=0, atol=RTOL * np.abs(res.resid).max())


@pytest.mark.parametrize("name", ["returns", "prices"])
def test_direct_strategy_refits_incrementally(series, name):
    y = series[name].to_numpy()
    model = ARForecaster(4, strategy="direct", max_horizon=3).fit(y[:4500])
    for t in range(4500, 4550):
        model.update(y[t : t + 1], refit=True)
    fresh = ARForecaster(4, strategy="direct", max_horizon=3).fit(y[:4550])
    assert_rel(model.direct_params_, fresh.direct_params_)
    assert_rel(model.direct_sigma2_, fresh.direct_sigma2_)
    assert_rel(model.predict(3), fresh.predict(3))


def test_time_trend_continues_through_updates(series):
    """With trend "t" the regressor is the position in the whole series, across updates."""
    y = series["prices"].to_numpy()
    model = ARForecaster(2, trend="t").fit(y[:4000])
    model.update(y[4000:4010])
    x_next = np.array([4011.0, y[4009], y[4008]])  # target position 4010, so t + 1 = 4011
    assert_rel(model.predict(1).iloc[0], x_next @ model.params_)
    model.update(y[4010:4020], refit=True)
    res = AutoReg(y[:4020], 2, trend="t").fit()
    assert_rel(model.params_, res.params)
    assert_rel(model.predict(5), res.forecast(5))


def test_qr_rows_equal_lstsq_on_a_collinear_design():
    """The row update on a badly conditioned design (cond ~ 1e7) keeps its precision."""
    rng = np.random.default_rng(0)
    walk = 1000 + np.cumsum(rng.normal(size=3000))
    X = np.column_stack([np.ones(2990), *(walk[10 - j : 3000 - j] for j in range(1, 11))])
    target = walk[10:]
    assert np.linalg.cond(X) > 1e5
    ls = QRLeastSquares(X[:100], target[:100])
    for i in range(100, len(X)):
        ls.add_row(X[i], target[i])
    expected, ssr, *_ = np.linalg.lstsq(X, target, rcond=None)
    np.testing.assert_allclose(ls.solve(), expected, rtol=1e-8)
    np.testing.assert_allclose(ls.ssr, ssr[0], rtol=1e-10)
    assert ls.nobs == len(X)


def test_qr_refuses_collinear_columns_naming_one():
    X = np.column_stack([np.ones(50), np.arange(50.0), 2 * np.arange(50.0) + 1])
    with pytest.raises(ValueError, match=r"collinear: column 2 \(c\)"):
        QRLeastSquares(X, np.arange(50.0), ["a", "b", "c"])


def test_row_updates_keep_a_square_root_of_the_inverse_gram_matrix():
    """After the row updates S S^T = (X^T X)^{-1}, as for a fresh QR with S = R^{-1}."""
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(400, 6)), rng.normal(size=400)
    ls = QRLeastSquares(X[:10], y[:10])
    for i in range(10, len(X)):
        ls.add_row(X[i], y[i])
    np.testing.assert_allclose(ls.S @ ls.S.T, np.linalg.inv(X.T @ X), rtol=1e-10, atol=1e-15)
    expected, ssr, *_ = np.linalg.lstsq(X, y, rcond=None)
    np.testing.assert_allclose(ls.solve(), expected, rtol=1e-10)
    np.testing.assert_allclose(ls.ssr, ssr[0], rtol=1e-12)
