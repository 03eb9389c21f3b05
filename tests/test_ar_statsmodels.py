"""ARForecaster equals statsmodels' AutoReg on the bundled S&P 500, to 1e-8 relative.

Scalars, coefficients, forecasts and interval bounds are compared element by element with
``rtol=1e-8``. Fitted values and residuals of log returns cross zero, where an element-wise
relative error is meaningless, so those vectors are compared relative to their own scale:
``|a - b| <= 1e-8 * max|b|``.
"""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.regression.linear_model import OLS
from statsmodels.tsa.ar_model import AutoReg, ar_select_order

import forecast
from forecast.models.ar import ARForecaster

RTOL = 1e-8


def assert_rel(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=RTOL, atol=0)


def assert_rel_to_scale(actual, expected):
    expected = np.asarray(expected)
    np.testing.assert_allclose(
        np.asarray(actual), expected, rtol=0, atol=RTOL * np.max(np.abs(expected))
    )


@pytest.fixture(scope="module")
def series():
    close = forecast.load_dataset("sp500")["close"]
    return {"returns": np.log(close).diff().dropna(), "prices": close}


@pytest.mark.parametrize("name", ["returns", "prices"])
@pytest.mark.parametrize("trend", ["n", "c", "t", "ct"])
@pytest.mark.parametrize("order", [1, 5, 20])
def test_fit_forecasts_and_intervals_equal_autoreg(series, name, trend, order):
    y = series[name]
    res = AutoReg(y.to_numpy(), order, trend=trend).fit()  # arrays: no frequency warning
    model = ARForecaster(order, trend=trend).fit(y)

    assert_rel(model.params_, res.params)
    k_trend = len(trend) if trend != "n" else 0
    assert_rel(model.coef_, res.params[k_trend:])
    assert_rel(model.intercept_, res.params[0] if "c" in trend else 0.0)
    assert_rel(model.trend_coef_, res.params[k_trend - 1] if "t" in trend else 0.0)
    assert model.nobs_ == res.nobs == len(y) - order
    assert_rel(model.sigma2_, res.sigma2)
    assert_rel(model.llf_, res.llf)
    assert_rel(model.aic_, res.aic)
    assert_rel(model.bic_, res.bic)
    assert_rel_to_scale(model.fittedvalues_, res.fittedvalues)
    assert_rel_to_scale(model.resid_, res.resid)
    assert model.resid_.index.equals(y.index[order:])

    n = len(y)
    assert_rel(model.predict(20), res.forecast(20))
    for coverage in (0.95, 0.8):
        expected = res.get_prediction(start=n, end=n + 19).conf_int(alpha=1 - coverage)
        band = model.predict_interval(20, coverage=coverage)
        assert_rel(band["lower"], expected[:, 0])
        assert_rel(band["upper"], expected[:, 1])


@pytest.mark.parametrize("name", ["returns", "prices"])
@pytest.mark.parametrize("trend", ["c", "ct"])
def test_hold_back_equals_autoreg(series, name, trend):
    y = series[name].to_numpy()
    res = AutoReg(y, 5, trend=trend, hold_back=12).fit()
    model = ARForecaster(5, trend=trend, hold_back=12).fit(y)
    assert model.nobs_ == res.nobs == len(y) - 12
    assert_rel(model.params_, res.params)
    assert_rel(model.aic_, res.aic)
    assert_rel(model.predict(10), res.forecast(10))


@pytest.mark.parametrize(
    ("name", "ic", "trend"),
    [("returns", "aic", "c"), ("returns", "bic", "ct"), ("prices", "bic", "c")],
)
def test_order_selection_equals_ar_select_order(series, name, ic, trend):
    y = series[name].to_numpy()
    selection = ar_select_order(y, 12, ic=ic, trend=trend)
    model = ARForecaster(ic, max_order=12, trend=trend).fit(y)
    assert model.order_ == len(selection.ar_lags or [])
    res = selection.model.fit()
    assert_rel(model.params_, res.params)
    assert_rel(model.predict(5), res.forecast(5))
    # each candidate's criterion is that of AutoReg on the common sample (hold_back=12)
    for tau in (0, model.order_, 12):
        common = AutoReg(y, tau, trend=trend, hold_back=12).fit()
        assert_rel(model.ics_[tau], getattr(common, ic))


def test_selected_orders_on_sp500_are_not_trivial(series):
    """The selection is exercised, not stuck at an edge: BIC picks a short AR, AIC longer."""
    bic = ARForecaster("bic", max_order=12).fit(series["returns"]).order_
    aic = ARForecaster("aic", max_order=12).fit(series["returns"]).order_
    assert 1 <= bic < aic <= 12


@pytest.mark.parametrize("name", ["returns", "prices"])
@pytest.mark.parametrize("trend", ["c", "ct"])
def test_update_without_refit_equals_autoreg_append(series, name, trend):
    """Coefficients and sigma2 stay, lags and the time trend move on (AutoRegResults.append).

    ``append`` re-evaluates sigma2 on the extended sample with the old coefficients;
    ``update(refit=False)`` keeps every parameter, so the interval variances are those of
    the original fit.
    """
    y = series[name].to_numpy()
    fitted = AutoReg(y[:4000], 5, trend=trend).fit()
    res = fitted.append(y[4000:4100])
    model = ARForecaster(5, trend=trend).fit(y[:4000])
    model.update(y[4000:4050]).update(y[4050:4100])
    assert_rel(model.params_, res.params)
    assert_rel(model.sigma2_, fitted.sigma2)
    assert_rel(model.predict(20), res.forecast(20))
    variance = fitted.get_prediction(start=4000, end=4019).var_pred_mean
    band = model.predict_interval(20)
    assert_rel(band["lower"], res.forecast(20) - 1.959963984540054 * np.sqrt(variance))
    assert_rel(band["upper"], res.forecast(20) + 1.959963984540054 * np.sqrt(variance))


@pytest.mark.parametrize("name", ["returns", "prices"])
@pytest.mark.parametrize("trend", ["c", "ct"])
def test_direct_models_equal_ols_on_shifted_lags(series, name, trend):
    """Step h regresses y_t on y_{t-h}, ..., y_{t-h-tau+1} (and the trend at t)."""
    y = series[name].to_numpy()
    order, max_horizon = 3, 4
    model = ARForecaster(order, trend=trend, strategy="direct", max_horizon=max_horizon).fit(y)
    n = len(y)
    for h in range(1, max_horizon + 1):
        t = np.arange(order + h - 1, n)  # targets whose lags exist
        columns = []
        if "c" in trend:
            columns.append(np.ones(len(t)))
        if "t" in trend:
            columns.append(t + 1.0)
        columns += [y[t - h - j] for j in range(order)]
        res = OLS(y[t], np.column_stack(columns)).fit()
        assert_rel(model.direct_params_[h - 1], res.params)
        assert_rel(model.direct_sigma2_[h - 1], res.ssr / len(t))
        x_next = np.r_[
            np.ones(1) if "c" in trend else [],
            [n + h] if "t" in trend else [],
            y[n - 1 - np.arange(order)],
        ]
        assert_rel(model.predict(max_horizon).iloc[h - 1], x_next @ res.params)
    recursive = AutoReg(y, order, trend=trend).fit()
    assert_rel(model.direct_params_[0], recursive.params)
    assert_rel(model.predict(1), recursive.forecast(1))
