"""ARForecaster with covariates equals statsmodels' AutoReg with exog, to 1e-8.

Two kinds of covariates (forecast.models.covariates): ``X`` observed, entering lagged by
one step, is ``AutoReg(y, exog=X.shift(1))``; ``X_known`` known in advance is
``AutoReg(y, exog=X_known)`` with ``forecast(h, exog=rows)``. The data are the bundled S&P
500: the observed covariates are the day's volume change, range and open-to-close move;
the known ones calendar dummies (Monday, Friday, last trading day of the month).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.regression.linear_model import OLS
from statsmodels.tsa.ar_model import AutoReg, ar_select_order

import forecast
from forecast.models.ar import ARForecaster
from forecast.models.naive import NaiveForecaster

RTOL = 1e-8


def close_to(actual, expected, scale=None):
    """``|a - b| <= 1e-8 * scale`` (scale: ``max |b|``), for values that may cross zero."""
    expected = np.asarray(expected, dtype=float)
    scale = np.max(np.abs(expected)) if scale is None else scale
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=0, atol=RTOL * scale)


@pytest.fixture(scope="module")
def data():
    sp = forecast.load_dataset("sp500").iloc[-1500:]
    close = sp["close"]
    X = pd.DataFrame(
        {
            "volume": np.log(sp["volume"]).diff(),
            "range": (sp["high"] - sp["low"]) / close,
            "move": np.log(close / sp["open"]),
        }
    ).iloc[1:]
    dates = X.index
    month = dates.to_series().dt.to_period("M")
    known = pd.DataFrame(
        {
            "monday": (dates.day_of_week == 0).astype(float),
            "friday": (dates.day_of_week == 4).astype(float),
            "month_end": (month != month.shift(-1)).astype(float).to_numpy(),
        },
        index=dates,
    )
    returns = np.log(close).diff().iloc[1:]
    return {"returns": returns, "prices": close.iloc[1:], "X": X, "known": known}


def shifted(X):
    """``X.shift(1)`` as AutoReg's exog (row 0 is held back, any value will do)."""
    return X.shift(1).fillna(0.0).to_numpy()


@pytest.mark.parametrize("name", ["returns", "prices"])
@pytest.mark.parametrize("trend", ["n", "c", "ct"])
def test_observed_covariates_equal_autoreg_with_exog_shifted_by_one(data, name, trend):
    y, X = data[name], data["X"]
    model = ARForecaster(3, trend=trend).fit(y, X=X)
    res = AutoReg(y.to_numpy(), 3, trend=trend, exog=shifted(X)).fit()
    np.testing.assert_allclose(model.params_, res.params, rtol=RTOL)
    np.testing.assert_allclose([model.sigma2_, model.aic_, model.bic_],
                               [res.sigma2, res.aic, res.bic], rtol=RTOL)
    close_to(model.fittedvalues_, res.fittedvalues)
    assert model.n_exog_ == 3 and model.n_known_ == 0
    # the next value needs X of the origin only, which is known
    expected = res.forecast(1, exog=X.to_numpy()[-1:])
    np.testing.assert_allclose(model.predict(1), expected, rtol=RTOL)


@pytest.mark.parametrize("name", ["returns", "prices"])
def test_known_covariates_equal_autoreg_exog_and_exog_oos(data, name):
    y, known = data[name], data["known"]
    n = len(y) - 10
    model = ARForecaster(5, trend="ct").fit(y.iloc[:n], X_known=known.iloc[:n])
    res = AutoReg(y.to_numpy()[:n], 5, trend="ct", exog=known.to_numpy()[:n]).fit()
    rows = known.to_numpy()[n:]
    np.testing.assert_allclose(model.params_, res.params, rtol=RTOL)
    np.testing.assert_allclose(model.predict(10, X_known=rows), res.forecast(10, exog=rows),
                               rtol=RTOL)
    band = model.predict_interval(10, coverage=0.9, X_known=rows)
    ref = res.get_prediction(start=n, end=n + 9, exog_oos=rows).conf_int(alpha=0.1)
    np.testing.assert_allclose(band.to_numpy(), ref, rtol=RTOL)


def test_both_kinds_walk_forward_equals_a_fresh_autoreg_fit_at_every_origin(data):
    y, X, known = data["returns"], data["X"], data["known"]
    start = len(y) - 150
    frame = forecast.backtest(ARForecaster(4), y, X=X, X_known=known, start=start,
                              refit_every=1)
    exog = np.hstack([shifted(X), known.to_numpy()])
    values = y.to_numpy()
    expected = [
        AutoReg(values[:q], 4, trend="c", exog=exog[:q]).fit().forecast(1, exog=exog[q : q + 1])[0]
        for q in range(start, len(y))
    ]
    close_to(frame["forecast"], expected)


def test_the_direct_models_regress_on_the_covariates_of_the_origin(data):
    y, X, known = data["returns"], data["X"], data["known"]
    model = ARForecaster(2, strategy="direct", max_horizon=3).fit(y, X=X, X_known=known)
    v, x, k = y.to_numpy(), X.to_numpy(), known.to_numpy()
    for h in (1, 3):  # y_t on [1, y_{t-h}, y_{t-h-1}, X_{t-h}, X_known_t], t >= 2 + h - 1
        t = np.arange(2 + h - 1, len(v))
        design = np.column_stack([np.ones(len(t)), v[t - h], v[t - h - 1], x[t - h], k[t]])
        np.testing.assert_allclose(model.direct_params_[h - 1], OLS(v[t], design).fit().params,
                                   rtol=RTOL)
    future = np.array([[1.0, 0, 0], [0, 0, 0], [0, 0, 1.0]])
    steps = model.predict(3, X_known=future).to_numpy()
    for h in (1, 2, 3):
        row = np.concatenate([[1.0, v[-1], v[-2]], x[-1], future[h - 1]])
        assert steps[h - 1] == pytest.approx(row @ model.direct_params_[h - 1], rel=1e-12)


def test_order_selection_with_covariates_equals_ar_select_order(data):
    y, X = data["returns"], data["X"]
    model = ARForecaster("bic", max_order=8).fit(y, X=X)
    selection = ar_select_order(y.to_numpy(), 8, ic="bic", exog=shifted(X))
    assert model.order_ == len(selection.ar_lags or [])
    for order in (0, 3, 8):  # each criterion: AutoReg's on the common sample
        res = AutoReg(y.to_numpy(), order, exog=shifted(X), hold_back=8).fit()
        assert model.ics_[order] == pytest.approx(res.bic, rel=RTOL)


def test_covariates_after_an_origin_change_no_forecast_before_it(data):
    y, X, known = data["returns"], data["X"], data["known"]
    start, cut, horizon = len(y) - 60, len(y) - 30, 2
    kwargs = dict(start=start, refit_every=1, horizon=horizon)
    model = ARForecaster(2, strategy="direct", max_horizon=2)
    base = forecast.backtest(model, y, X=X, X_known=known, **kwargs)
    X2, known2 = X.copy(), known.copy()
    X2.iloc[cut:] *= 100.0  # observed covariates after position cut - 1
    known2.iloc[cut:] = 1.0 - known2.iloc[cut:]  # known covariates of the targets from cut on
    moved = forecast.backtest(model, y, X=X2, X_known=known2, **kwargs)
    origin = np.repeat(np.arange(start, len(y) - horizon + 1), horizon)  # first target q
    target = origin + np.tile(np.arange(horizon), len(origin) // horizon)
    before = (origin <= cut) & (target.reshape(-1, horizon).max(axis=1).repeat(horizon) < cut)
    np.testing.assert_array_equal(moved["forecast"][before], base["forecast"][before])
    assert not np.allclose(moved["forecast"][~before], base["forecast"][~before])


def test_a_model_with_covariates_and_a_window_round_trips_through_a_file(data, tmp_path):
    y, X, known = data["returns"], data["X"], data["known"]
    model = ARForecaster(3, window=400).fit(y.iloc[:-5], X=X.iloc[:-5], X_known=known.iloc[:-5])
    model.update(y.iloc[-5:-2], refit=True, X=X.iloc[-5:-2], X_known=known.iloc[-5:-2])
    again = forecast.load_model(model.save(tmp_path / "arx.npz"))
    rows = known.to_numpy()[-2:-1]
    assert again.predict(1, X_known=rows).equals(model.predict(1, X_known=rows))
    for m in (model, again):
        m.update(y.iloc[-2:], refit=True, X=X.iloc[-2:], X_known=known.iloc[-2:])
    np.testing.assert_array_equal(again.params_, model.params_)


def test_missing_short_or_misaligned_known_covariates_are_named_errors(data):
    y, X, known = data["returns"], data["X"], data["known"]
    model = ARForecaster(2).fit(y.iloc[:-3], X_known=known.iloc[:-3])
    future = model.predict(1, X_known=np.zeros((1, 3))).index  # the dates predict uses
    with pytest.raises(ValueError, match=r"X_known is missing in predict\(2\).*3 X_known column"):
        model.predict(2)
    with pytest.raises(ValueError, match=r"per forecast step: got 1 row\(s\) for horizon=2"):
        model.predict(2, X_known=np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"X_known has 2 column\(s\) but the model was fitted"):
        model.predict(1, X_known=np.zeros((1, 2)))
    wrong = pd.DataFrame(np.zeros((1, 3)), index=future + pd.Timedelta(days=1))
    with pytest.raises(ValueError, match=r"misaligned with the forecast dates: step 1 is"):
        model.predict(1, X_known=wrong)
    right = pd.DataFrame(np.zeros((1, 3)), index=future)
    assert np.isfinite(model.predict(1, X_known=right)).all()
    with pytest.raises(ValueError, match=r"X_known is missing in update"):
        model.update(y.iloc[-3:])
    with pytest.raises(ValueError, match=r"fitted without X, got X of type DataFrame"):
        model.update(y.iloc[-3:], X=X.iloc[-3:], X_known=known.iloc[-3:])


def test_bad_observed_covariates_are_named_errors(data):
    y, X = data["returns"], data["X"]
    bad = X.copy()
    bad.iloc[7, 1] = np.nan
    with pytest.raises(ValueError, match=r"X.*non-finite"):
        ARForecaster(2).fit(y, X=bad)
    with pytest.raises(TypeError, match=r"X"):
        ARForecaster(2).fit(y, X=X.assign(word="a"))
    with pytest.raises(ValueError, match=r"one row per observation of y: len\(X\)=10"):
        ARForecaster(2).fit(y, X=X.iloc[:10])
    shifted_index = X.set_axis(X.index + pd.Timedelta(days=1))
    with pytest.raises(ValueError, match=r"X and y have different indexes"):
        ARForecaster(2).fit(y, X=shifted_index)
    model = ARForecaster(2).fit(y, X=X)
    with pytest.raises(ValueError, match=r"horizon=2 needs the observed covariates X after"):
        model.predict(2)
    with pytest.raises(ValueError, match=r"hold_back=0 must be >= 1 with X"):
        ARForecaster(0, hold_back=0).fit(y, X=X)
    with pytest.raises(ValueError, match=r"uses no exogenous regressors, got X_known"):
        NaiveForecaster().fit(y).predict(1, X_known=np.zeros((1, 1)))
