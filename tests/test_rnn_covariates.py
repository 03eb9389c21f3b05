"""RNN covariates: X observed up to the origin (lagged), X_known known in advance (calendar)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast import RNNForecaster, calendar_features, future_calendar

TINY = dict(hidden_size=4, epochs=2, random_state=0)


@pytest.fixture(scope="module")
def close():
    return forecast.load_dataset("sp500")["close"].iloc[-400:]


def manual_inputs(model, y, known_rows, next_row):
    """The network inputs, built here: [s(r_t), s(c_{t+1})], the last row with ``next_row``."""
    f = model._features
    r = (np.diff(np.log(y)) - f.target_scaler.mean_) / f.target_scaler.scale_
    c = (np.vstack([known_rows[2:], next_row]) - f.known_scaler.mean_) / f.known_scaler.scale_
    return np.column_stack([r, c])


@pytest.mark.parametrize("training", ["tbptt", "window"])
def test_the_origin_reads_the_known_covariates_of_the_first_forecast_date(close, training):
    K = calendar_features(close.index)
    model = RNNForecaster("gru", training=training, window=6, **TINY)
    model.fit(close.iloc[:300], X_known=K.iloc[:300])
    model.update(close.iloc[300:320], X_known=K.iloc[300:320])  # completes the pending row
    future = future_calendar(model, 1)
    u = manual_inputs(model, close.iloc[:320].to_numpy(), K.iloc[:320].to_numpy(), future)
    u = u.astype(model.network_.dtype)
    if training == "window":
        u = u[-6:]
    o = model.network_.forward(u[:, None])[0][-1, 0, 0]
    scaler = model._features.target_scaler
    expected = close.iloc[319] * np.exp(o * scaler.scale_ + scaler.mean_)
    assert model.predict(1, X_known=future).iloc[0] == pytest.approx(expected, rel=1e-6)
    other = future.assign(day_of_week=4.0)
    assert model.predict(1, X_known=other).iloc[0] != model.predict(1, X_known=future).iloc[0]


def test_known_calendar_effects_are_forecast_for_the_right_date():
    """Returns depend on the weekday of their own date; dates skip days at random, so only
    the calendar of the forecast date (X_known), not the past, tells the weekday."""
    rng = np.random.default_rng(0)
    days = pd.bdate_range("2001-01-01", periods=2400)
    dates = days[np.sort(rng.choice(len(days), 1300, replace=False))]
    monday = dates.day_of_week == 0
    r = np.where(monday, 0.01, -0.0025) + rng.normal(0, 0.003, len(dates))
    y = pd.Series(100 * np.exp(np.cumsum(r)), index=dates)
    K = calendar_features(dates)
    mse = {}
    for name, known in (("with", K), ("without", None)):
        model = RNNForecaster("gru", hidden_size=8, epochs=30, lr=0.02, random_state=0)
        model.fit(y.iloc[:1200], X_known=None if known is None else known.iloc[:1200])
        errors = []
        for i in range(1200, 1300):
            # by position: the forecast dates continue by business days, these skip some
            row = None if known is None else known.iloc[i : i + 1].to_numpy()
            errors.append(y.iloc[i] - model.predict(1, X_known=row).iloc[0])
            model.update(y.iloc[i : i + 1], X_known=row)
        mse[name] = np.mean(np.square(errors))
    naive = np.mean(np.square(np.diff(y.iloc[1199:].to_numpy())))
    assert mse["with"] < 0.5 * naive and mse["without"] > 0.8 * naive  # ideal: 0.26 and 1


def test_changing_x_after_an_origin_changes_no_backtest_forecast_before_it(close):
    X = pd.DataFrame({"x": np.random.default_rng(0).normal(size=len(close))}, index=close.index)
    model = RNNForecaster("gru", strategy="direct", max_horizon=2, **TINY)
    run = dict(start=-30, horizon=2, refit_every=10)
    before = forecast.backtest(model, close, X=X, **run)
    changed = X.copy()
    changed.iloc[-15:] += 100.0  # rows from position n - 15 on
    after = forecast.backtest(model, close, X=changed, **run)
    cut = close.index[-15]
    early = before["origin"] < cut
    pd.testing.assert_frame_equal(before[early], after[early])
    assert not np.allclose(before.loc[~early, "forecast"], after.loc[~early, "forecast"])


def test_missing_short_or_misaligned_known_covariates_are_refused(close):
    K = calendar_features(close.index)
    model = RNNForecaster("gru", **TINY).fit(close.iloc[:300], X_known=K.iloc[:300])
    assert model.n_known_ == 4 and model.network_.input_size == 5
    future = future_calendar(model, 3)
    with pytest.raises(ValueError, match=r"X_known is missing in predict\(3\).*3 row"):
        model.predict(3)
    with pytest.raises(ValueError, match=r"per forecast step: got 2 row\(s\) for horizon=3"):
        model.predict(3, X_known=future.iloc[:2])
    shifted = future.set_axis(future.index + pd.offsets.BDay(1))
    with pytest.raises(ValueError, match="X_known is misaligned with the forecast dates: step 1"):
        model.predict(3, X_known=shifted)
    with pytest.raises(ValueError, match="X_known has 3 column.*fitted with 4"):
        model.predict(3, X_known=future.iloc[:, :3])
    with pytest.raises(ValueError, match="X_known contains 1 non-finite"):
        model.predict(3, X_known=future.assign(month=[1.0, np.nan, 1.0]))
    with pytest.raises(ValueError, match="update needs X_known with 4 column"):
        model.update(close.iloc[300:301])
    with pytest.raises(ValueError, match=r"X_known must have one row per observation.*=299"):
        RNNForecaster(**TINY).fit(close.iloc[:300], X_known=K.iloc[:299])
    words = K.iloc[:300].assign(month="jan")
    with pytest.raises(TypeError, match="X_known must be numeric, got dtype object"):
        RNNForecaster(**TINY).fit(close.iloc[:300], X_known=words)
    plain = RNNForecaster("gru", **TINY).fit(close.iloc[:300])
    with pytest.raises(ValueError, match="fitted without known-in-advance covariates"):
        plain.predict(1, X_known=future.iloc[:1])
    with pytest.raises(ValueError, match="likelihood='normal'.*X_known"):
        RNNForecaster(likelihood="normal", **TINY).fit(close.iloc[:300], X_known=K.iloc[:300])
    assert np.isfinite(model.predict_interval(3, X_known=future)).all().all()


def test_covariates_of_both_kinds_round_trip_through_a_model_file(close, tmp_path):
    K = calendar_features(close.index)
    X = pd.DataFrame({"x": np.linspace(0.0, 1.0, len(close))}, index=close.index)
    model = RNNForecaster("lstm", strategy="direct", max_horizon=3, **TINY)
    model.fit(close.iloc[:300], X=X.iloc[:300], X_known=K.iloc[:300])
    loaded = forecast.load_model(model.save(tmp_path / "covariates.npz"))
    for m in (model, loaded):
        m.update(close.iloc[300:310], X=X.iloc[300:310], X_known=K.iloc[300:310])
    future = future_calendar(model, 3)
    pd.testing.assert_series_equal(
        loaded.predict(3, X_known=future), model.predict(3, X_known=future), check_exact=True
    )


def test_a_likelihood_model_with_x_draws_one_step_and_imputes_nothing(close):
    X = pd.DataFrame({"x": np.linspace(0.0, 1.0, len(close))}, index=close.index)
    model = RNNForecaster("gru", likelihood="normal", **TINY).fit(close, X=X)
    assert model.sample_paths(1, n_samples=5, random_state=0).shape == (5, 1)
    assert np.isfinite(model.predict_quantiles(1)).all().all()
    with pytest.raises(ValueError, match="forecasts one step"):
        model.sample_paths(2, n_samples=5, random_state=0)
    with pytest.raises(ValueError, match="forecasts one step"):
        model.predict(2)


@pytest.mark.parametrize("strategy", ["recursive", "direct"])
def test_changing_known_covariates_changes_no_backtest_forecast_of_an_earlier_target(
    close, strategy
):
    """X_known rows are read up to the forecast targets' dates, never beyond."""
    K = calendar_features(close.index)
    model = RNNForecaster("gru", strategy=strategy, max_horizon=2, **TINY)
    run = dict(start=-30, horizon=2, refit_every=10, coverage=0.9)
    before = forecast.backtest(model, close, X_known=K, **run)
    changed = K.copy()
    changed.iloc[-15:] += 3.0  # the rows of the last 15 dates
    after = forecast.backtest(model, close, X_known=changed, **run)
    last_target = before.groupby("origin")["target"].transform("max")
    early = last_target < close.index[-15]
    assert early.sum() >= 20
    pd.testing.assert_frame_equal(before[early], after[early])
    assert not np.allclose(before.loc[~early, "forecast"], after.loc[~early, "forecast"])
