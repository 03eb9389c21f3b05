"""RNNForecaster(strategy="direct"): one state at the origin, max_horizon outputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast import GlobalRNNForecaster, RNNForecaster

TINY = dict(hidden_size=4, epochs=2, random_state=0)


@pytest.fixture(scope="module")
def close():
    return forecast.load_dataset("sp500")["close"].iloc[-400:]


def ar1_prices(n=2000, phi=0.7, seed=1):
    """Prices whose log returns follow r_t = phi r_{t-1} + e_t, e ~ N(0, 0.01^2)."""
    rng = np.random.default_rng(seed)
    e = rng.normal(0, 0.01, n)
    r = np.zeros(n)
    for t in range(1, n):
        r[t] = phi * r[t - 1] + e[t]
    dates = pd.bdate_range("2000-01-03", periods=n)
    return pd.Series(100 * np.exp(np.cumsum(r)), index=dates), r


def head_outputs(model, y):
    """The direct head's scaled outputs at the last input of ``y``, computed here."""
    r = np.diff(np.log(y))
    scaler = model._features.target_scaler
    u = ((r - scaler.mean_) / scaler.scale_)[:, None, None].astype(model.network_.dtype)
    return model.network_.forward(u)[0][-1, 0].astype(np.float64)


def test_direct_and_recursive_agree_on_an_ar1_where_both_are_exact():
    """E[log p_{n+h} - log p_n] = sum_j phi^j r_n: both strategies learn it from 1800 days."""
    phi, H = 0.7, 5
    y, r = ar1_prices(phi=phi)
    forecasts = {}
    for strategy in ("recursive", "direct"):
        model = RNNForecaster(
            "gru", hidden_size=8, epochs=40, lr=0.01, strategy=strategy, max_horizon=H,
            random_state=0,
        )  # fmt: skip
        model.fit(y.iloc[:1800])
        rows = []
        for i in range(1800, 1840):
            rows.append(np.log(model.predict(H).to_numpy() / y.iloc[i - 1]))
            model.update(y.iloc[i : i + 1])
        forecasts[strategy] = np.array(rows)  # (40 origins, H) cumulative log returns
    exact = np.array([np.cumsum(phi ** np.arange(1, H + 1) * r[i - 1]) for i in range(1800, 1840)])
    spread = exact.std(axis=0)
    for strategy, f in forecasts.items():
        assert (np.sqrt(np.mean((f - exact) ** 2, axis=0)) < 0.25 * spread).all(), strategy
    gap = forecasts["direct"] - forecasts["recursive"]
    assert (np.sqrt(np.mean(gap**2, axis=0)) < 0.3 * spread).all()
    for h in range(H):
        assert np.corrcoef(forecasts["direct"][:, h], forecasts["recursive"][:, h])[0, 1] > 0.97


@pytest.mark.parametrize("training", ["tbptt", "window"])
def test_direct_forecast_is_the_head_at_the_origin_integrated_to_prices(close, training):
    model = RNNForecaster(
        "lstm", strategy="direct", max_horizon=4, training=training, window=8, **TINY
    ).fit(close)
    assert model.network_.output_size == 4
    if training == "tbptt":
        o = head_outputs(model, close.to_numpy())
    else:
        o = model.network_.forward(model.window_[:, None].astype(model.network_.dtype))[0][-1, 0]
    scaler = model._features.target_scaler
    r = o * scaler.scale_ + scaler.mean_
    expected = close.iloc[-1] * np.exp(np.cumsum(r))
    np.testing.assert_allclose(model.predict(4).to_numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(model.predict(2).to_numpy(), expected[:2], rtol=1e-6)


def test_update_moves_the_direct_origin_as_a_forward_pass_over_all_data(close):
    model = RNNForecaster("gru", strategy="direct", max_horizon=3, **TINY).fit(close.iloc[:300])
    model.update(close.iloc[300:350])
    scaler = model._features.target_scaler
    r = head_outputs(model, close.iloc[:350].to_numpy()) * scaler.scale_ + scaler.mean_
    expected = close.iloc[349] * np.exp(np.cumsum(r))
    np.testing.assert_allclose(model.predict(3).to_numpy(), expected, rtol=1e-6)
    model.update(close.iloc[350:360], refit=True)
    assert model.predict(3).index[0] > close.index[359]


def test_direct_intervals_are_split_conformal_per_step(close):
    model = RNNForecaster("gru", strategy="direct", max_horizon=5, validation_fraction=0.3, **TINY)
    model.fit(close)
    band, point = model.predict_interval(5, coverage=0.8), model.predict(5)
    assert ((band["lower"] <= point) & (point <= band["upper"])).all()
    errors = model._validation_errors(5)  # (n_val, 5): step h from each validation origin
    assert np.isnan(errors[-1, 1:]).all() and not np.isnan(errors[:-4]).any()
    for h in range(5):
        e = np.sort(errors[:, h][~np.isnan(errors[:, h])])
        m = len(e)
        hi = e[min(int(np.ceil((m + 1) * 0.9)), m) - 1]
        assert band["upper"].iloc[h] == pytest.approx(point.iloc[h] * np.exp(max(hi, 0.0)))


def test_direct_model_works_in_backtest_compare_and_model_files(close, tmp_path):
    model = RNNForecaster("gru", strategy="direct", max_horizon=3, **TINY)
    frame = forecast.backtest(model, close, start=-20, horizon=3, refit_every=10, coverage=0.9)
    assert len(frame) == 18 * 3 and np.isfinite(frame[["forecast", "lower", "upper"]]).all().all()
    result = forecast.compare({"direct": model}, close, test_size=12, horizon=3)
    assert result.metrics.loc["direct"].index.tolist() == [1, 2, 3]
    fitted = model.fit(close)
    loaded = forecast.load_model(fitted.save(tmp_path / "direct.npz"))
    assert loaded.get_params() == fitted.get_params()
    pd.testing.assert_series_equal(loaded.predict(3), fitted.predict(3), check_exact=True)


def test_bad_strategy_and_horizons_are_refused_by_name(close):
    with pytest.raises(ValueError, match="strategy='both'.*'recursive', 'direct'"):
        RNNForecaster(strategy="both", **TINY).fit(close)
    with pytest.raises(ValueError, match="max_horizon"):
        RNNForecaster(strategy="direct", max_horizon=0, **TINY).fit(close)
    model = RNNForecaster(strategy="direct", max_horizon=3, **TINY).fit(close)
    with pytest.raises(ValueError, match=r"horizon=4 exceeds max_horizon=3"):
        model.predict(4)
    with pytest.raises(ValueError, match=r"horizon=4 exceeds max_horizon=3"):
        model.predict_interval(4)
    with pytest.raises(ValueError, match="max_horizon=400 is too long"):
        RNNForecaster(strategy="direct", max_horizon=400, **TINY).fit(close)
    with pytest.raises(ValueError, match="likelihood='normal'.*strategy='direct'"):
        RNNForecaster(strategy="direct", likelihood="normal", **TINY).fit(close)


def test_global_direct_head_forecasts_each_series_from_its_origin_state():
    wide = forecast.load_dataset("stocks_monthly")
    stocks = {c: wide[c].dropna() for c in wide}
    small = dict(hidden_size=4, epochs=3, k1=5, batch_size=8, random_state=0)
    g = GlobalRNNForecaster(strategy="direct", max_horizon=3, **small).fit_many(stocks)
    assert g.network_.output_size == 3
    view = g.for_series("IBM")
    y = stocks["IBM"].to_numpy()
    scaler = view.scaler.target_scaler
    u = ((np.diff(np.log(y)) - scaler.mean_) / scaler.scale_)[:, None, None]
    o = g.network_.forward(u.astype(g.network_.dtype))[0][-1, 0].astype(np.float64)
    expected = y[-1] * np.exp(np.cumsum(o * scaler.scale_ + scaler.mean_))
    np.testing.assert_allclose(view.predict(3).to_numpy(), expected, rtol=1e-6)
    band = view.predict_interval(3, coverage=0.8)
    assert ((band["lower"] <= view.predict(3)) & (view.predict(3) <= band["upper"])).all()
    with pytest.raises(ValueError, match=r"horizon=4 exceeds max_horizon=3"):
        view.predict(4)
    glob = {"Global direct": GlobalRNNForecaster(strategy="direct", max_horizon=3, **small)}
    result = forecast.compare({}, wide, test_size=6, horizon=3, global_models=glob)
    assert result.summary.loc["Global direct"].index.tolist() == [1, 2, 3]
