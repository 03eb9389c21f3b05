"""Rolling-window AR refits slide the least squares and equal AutoReg on every window.

``ARForecaster(window=w)`` (and ``forecast.backtest(..., window="rolling")``, which uses
it) adds the new row and removes the oldest at each refit (forecast.models.ar_window); the
forecasts must equal a fresh fit on the same window to 1e-8, on the bundled S&P 500
(returns and prices, 5,000 origins: every one against LAPACK's least squares, every fifth
against ``AutoReg`` itself, to keep the file under 20 s), and a near-collinear window must
cost a refactorisation, never a wrong forecast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.ar_model import AutoReg

import forecast
from forecast.evaluation.backtest import run_backtest
from forecast.evaluation.schedule import WalkForward
from forecast.models import ar_rolling, ar_window
from forecast.models.ar import ARForecaster

RTOL = 1e-8


@pytest.fixture(scope="module")
def series():
    close = forecast.load_dataset("sp500")["close"]
    return {"returns": np.log(close).diff().dropna(), "prices": close}


def autoreg_forecasts(values, starts, window, order, **kwargs):
    """One-step forecasts of a fresh AutoReg fit on ``values[q - window : q]`` for each q."""
    return np.array(
        [AutoReg(values[q - window : q], order, **kwargs).fit().forecast(1)[0] for q in starts]
    )


@pytest.mark.parametrize("name", ["returns", "prices"])
def test_rolling_refits_equal_autoreg_on_each_window_over_5000_origins(series, name):
    y, window = series[name], 30
    start = len(y) - 5000
    frame, model = run_backtest(
        ARForecaster(3), y, WalkForward(start=start, window="rolling", train_size=window,
                                        refit_every=1)
    )
    assert len(frame) == 5000 and model.window == window
    values, forecasts = y.to_numpy(), frame["forecast"].to_numpy()
    lstsq = np.empty(5000)
    for i, q in enumerate(range(start, len(y))):  # [1, y_{t-1}, y_{t-2}, y_{t-3}] on the window
        w = values[q - window : q]
        design = np.column_stack([np.ones(window - 3), w[2:-1], w[1:-2], w[:-3]])
        coef = np.linalg.lstsq(design, w[3:], rcond=None)[0]
        lstsq[i] = coef @ [1.0, w[-1], w[-2], w[-3]]
    every_fifth = range(start, len(y), 5)
    for expected, got in ((lstsq, forecasts),
                          (autoreg_forecasts(values, every_fifth, window, 3), forecasts[::5])):
        if name == "prices":
            np.testing.assert_allclose(got, expected, rtol=RTOL)
        else:  # returns cross zero: relative to their scale
            np.testing.assert_allclose(got, expected, rtol=0, atol=RTOL * np.abs(expected).max())
    assert model.n_refactorizations_ < 5000 / 4  # mostly moved row by row


@pytest.mark.parametrize("trend", ["n", "c", "t", "ct"])
def test_sliding_equals_a_fresh_fit_per_window_with_trends_covariates_and_gaps(series, trend):
    y = series["returns"].iloc[-400:]
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(len(y), 2)), index=y.index)
    known = pd.DataFrame((y.index.day_of_week == 4).astype(float), index=y.index)
    kwargs = dict(X=X, X_known=known, start=200, window="rolling", train_size=120,
                  refit_every=3, horizon=1)
    slid = forecast.backtest(ARForecaster(2, trend=trend), y, **kwargs)
    fresh = forecast.backtest(ARForecaster(2, trend=trend), y, warm_start=False, **kwargs)
    np.testing.assert_allclose(slid["forecast"], fresh["forecast"], rtol=0,
                               atol=RTOL * fresh["forecast"].abs().max())


def test_a_window_fits_the_last_observations_and_slides_on_update(series):
    y = series["prices"].to_numpy()
    model = ARForecaster(5, window=500).fit(y[:-20])
    res = AutoReg(y[-520:-20], 5).fit()
    np.testing.assert_allclose(model.params_, res.params, rtol=RTOL)
    model.update(y[-20:-12])  # no refit: the coefficients stay
    np.testing.assert_allclose(model.params_, res.params, rtol=RTOL)
    model.update(y[-12:], refit=True)  # 20 rows in, 20 out
    res = AutoReg(y[-500:], 5).fit()
    np.testing.assert_allclose(model.params_, res.params, rtol=RTOL)
    np.testing.assert_allclose(model.sigma2_, res.sigma2, rtol=RTOL)
    np.testing.assert_allclose(model.fittedvalues_, res.fittedvalues, rtol=RTOL)
    assert model.nobs_ == res.nobs == 495


def near_collinear(scale):
    """100 plus ``scale`` times the cumulated S&P 500 returns, and a burst of real prices:
    while the burst is in a window it carries the information; once its last rows leave
    (their leverage near 1), the window is nearly constant and nearly collinear."""
    close = forecast.load_dataset("sp500")["close"].to_numpy()
    returns = np.diff(np.log(close))
    y = 100 + scale * np.cumsum(returns[:300])
    y[100:110] = close[100:110] / 10
    return y


def test_a_near_collinear_window_is_refactorised_never_mis_forecast(monkeypatch):
    y, window = near_collinear(1e-3), 40
    schedule = WalkForward(start=window, window="rolling", train_size=window, refit_every=1)
    leverages = []
    remove_row = ar_window.QRLeastSquares.remove_row

    def spy(self, x, value, min_d=0.0):
        d = remove_row(self, x, value, min_d)
        leverages.append(1 - d)
        return d

    monkeypatch.setattr(ar_window.QRLeastSquares, "remove_row", spy)
    frame, model = run_backtest(ARForecaster(2), pd.Series(y), schedule)
    assert max(leverages) > 1 - ar_window.MIN_D  # a downdate was refused ...
    assert model.n_refactorizations_ > 0  # ... and the window factorised afresh
    expected = autoreg_forecasts(y, range(window, len(y)), window, 2)
    np.testing.assert_allclose(frame["forecast"], expected, rtol=RTOL)


def test_without_the_refactorisation_the_same_window_loses_digits(monkeypatch):
    """The guard is what keeps the previous test exact: with every downdate accepted and no
    error budget, the forecasts of the same series drift far past 1e-8."""
    y, window = near_collinear(1e-3), 40
    monkeypatch.setattr(ar_window, "MIN_D", -np.inf)
    monkeypatch.setattr(ar_window, "MAX_ERROR", np.inf)
    monkeypatch.setattr(ar_window, "MAX_LOSS", np.inf)
    schedule = WalkForward(start=window, window="rolling", train_size=window, refit_every=1)
    try:
        frame, _ = run_backtest(ARForecaster(2), pd.Series(y), schedule)
    except ValueError as err:  # or a downdate's 1 - leverage came out <= 0 outright
        assert "math domain error" in str(err)
        return
    expected = autoreg_forecasts(y, range(window, len(y)), window, 2)
    error = np.abs(frame["forecast"].to_numpy() - expected) / np.abs(expected)
    assert error.max() > 1e-8 or not np.isfinite(error).all()


def test_bad_windows_are_named_errors(series):
    y = series["returns"]
    with pytest.raises(ValueError, match=r"window must be >= 2, got window=1"):
        ARForecaster(2, window=1).fit(y)
    with pytest.raises(TypeError, match=r"window"):
        ARForecaster(2, window="long").fit(y)
    with pytest.raises(ValueError, match=r"only 2 remain \(4 observations"):
        ARForecaster(2, window=4).fit(y)


def step_by_step(model, values, index, start, stop):
    """The general path of ``walk_rolling``: ``update_slice`` and ``forecast_values(1)``."""
    out = []
    for q in range(start + 1, stop + 1):
        model.update_slice(values, index, q - 1, q, refit=True)
        out.append(model.forecast_values(1)[0])
    return np.array(out)


def walk_both(y, order, window, stop=None, **kwargs):
    values, index = y.to_numpy(), y.index
    stop = len(values) - 1 if stop is None else stop
    walked, general = (ARForecaster(order, window=window, **kwargs).fit(y.iloc[:window])
                       for _ in range(2))
    got = walked.walk_rolling(values, index, window, stop)
    expected = step_by_step(general, values, index, window, stop)
    return got, expected, walked, general


def assert_same_model(walked, general):
    np.testing.assert_allclose(walked.params_, general.params_, rtol=1e-12,
                               atol=1e-12 * np.abs(general.params_).max())
    np.testing.assert_allclose(walked.sigma2_, general.sigma2_, rtol=1e-12)
    assert walked.nobs_ == general.nobs_
    assert walked.n_refactorizations_ == general.n_refactorizations_
    assert walked.index_.equals(general.index_)


@pytest.mark.parametrize("name", ["returns", "prices"])
@pytest.mark.parametrize("trend", ["c", "n", "ct"])
def test_walk_rolling_equals_update_slice_and_forecast_values_at_each_origin(series, name, trend):
    # ("ct": its origin moves with the window, every refit factorises: the general loop)
    y = series[name].iloc[-2500:]
    got, expected, walked, general = walk_both(y, 3, 30, trend=trend)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * np.abs(expected).max())
    assert_same_model(walked, general)


@pytest.mark.parametrize("name", ["returns", "prices"])
def test_backtest_on_a_2000_day_window_walks_in_one_call_and_equals_autoreg(series, name):
    y, window = series[name].iloc[-2600:], 2000
    frame, model = run_backtest(
        ARForecaster(5), y,
        WalkForward(start=window, window="rolling", train_size=window, refit_every=1),
    )
    values, forecasts = y.to_numpy(), frame["forecast"].to_numpy()
    assert len(frame) == 600 and len(model.index_) == len(y) - 1
    every_tenth = range(window, len(y), 10)
    expected = autoreg_forecasts(values, every_tenth, window, 5)
    np.testing.assert_allclose(forecasts[::10], expected, rtol=0,
                               atol=RTOL * np.abs(expected).max())
    res = AutoReg(values[-window - 1 : -1], 5).fit()
    np.testing.assert_allclose(model.params_, res.params, rtol=RTOL)
    np.testing.assert_allclose(model.sigma2_, res.sigma2, rtol=RTOL)


@pytest.mark.parametrize("guard", ["MAX_ERROR", "MAX_LOSS"])
def test_walk_rolling_refactorises_where_the_general_path_does(series, monkeypatch, guard):
    # tightened bounds: the error estimate (or the loss) passes them every few steps
    monkeypatch.setattr(ar_window, guard, {"MAX_ERROR": 1e-13, "MAX_LOSS": 50.0}[guard])
    got, expected, walked, general = walk_both(series["prices"].iloc[-700:], 5, 200)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert_same_model(walked, general)
    assert general.n_refactorizations_ >= 5


def test_walk_rolling_takes_the_general_path_for_a_refused_downdate():
    y, window = pd.Series(near_collinear(1e-3)), 40
    got, expected, walked, general = walk_both(y, 2, window)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert_same_model(walked, general)
    assert general.n_refactorizations_ > 0
    np.testing.assert_allclose(got, autoreg_forecasts(y.to_numpy(), range(window + 1, len(y)),
                                                      window, 2), rtol=RTOL)


def test_walk_rolling_refuses_positions_that_do_not_follow_the_data_seen(series):
    y = series["returns"].iloc[:300]
    model = ARForecaster(2, window=100).fit(y.iloc[:100])
    values, index = y.to_numpy(), y.index
    with pytest.raises(ValueError, match=r"start = the number of values seen \(100\).*start=99"):
        model.walk_rolling(values, index, 99, 200)
    with pytest.raises(ValueError, match=r"len\(values\) \(300\), got start=100, stop=301"):
        model.walk_rolling(values, index, 100, 301)
    assert len(model.index_) == 100  # nothing appended


class StepByStep(ARForecaster):
    """AR without walk_rolling: backtest updates it origin by origin."""

    walk_rolling = None


@pytest.mark.parametrize("start", [60, 95])
def test_backtest_hands_the_origins_to_walk_rolling_and_keeps_their_forecasts(series, start,
                                                                              monkeypatch):
    y, window = series["prices"].iloc[:400], 60  # start 95: the first window begins at 35
    schedule = WalkForward(start=start, window="rolling", train_size=window, refit_every=1)
    general, _ = run_backtest(StepByStep(4), y, schedule, model_name="ARForecaster")
    calls = []
    monkeypatch.setattr(ARForecaster, "walk_rolling", lambda self, *a: calls.append(a[2:])
                        or ar_rolling.RollingWalk.walk_rolling(self, *a))
    monkeypatch.setattr(ARForecaster, "update_slice", None)  # per-origin updates: none left
    walked, model = run_backtest(ARForecaster(4), y, schedule)
    assert calls == [(window, len(y) - 1 - (start - window))]
    np.testing.assert_allclose(walked["forecast"], general["forecast"], rtol=1e-12)
    pd.testing.assert_frame_equal(walked.drop(columns="forecast"),
                                  general.drop(columns="forecast"))
    assert model.index_.equals(y.index[start - window : -1])


def test_walk_rolling_refuses_a_nan_as_update_slice_does(series):
    y = series["returns"].iloc[:200].to_numpy().copy()
    y[150] = np.nan
    model = ARForecaster(2, window=100).fit(y[:100])
    with pytest.raises(ValueError, match="NaN") as walked:
        model.walk_rolling(y, pd.RangeIndex(200), 100, 199)
    general = ARForecaster(2, window=100).fit(y[:100])
    with pytest.raises(ValueError, match="NaN") as stepped:
        step_by_step(general, y, pd.RangeIndex(200), 100, 199)
    assert str(walked.value) == str(stepped.value)


class Shifted(ARForecaster):
    """A subclass that shifts its forecasts: walked through its own forecast_values."""

    def forecast_values(self, horizon, X_known=None):
        return super().forecast_values(horizon, X_known) + 1.0


def test_a_subclass_overriding_forecast_values_is_walked_through_it(series):
    y = series["prices"].iloc[:300]
    schedule = WalkForward(start=100, window="rolling", train_size=100, refit_every=1)
    frame, _ = run_backtest(Shifted(3), y, schedule)
    plain, _ = run_backtest(ARForecaster(3), y, schedule)
    np.testing.assert_allclose(frame["forecast"], plain["forecast"] + 1.0, rtol=1e-12)
