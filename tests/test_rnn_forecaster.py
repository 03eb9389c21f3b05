"""RNNForecaster: the contract, learning, state carried through the history, intervals, errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import forecast
from forecast._dates import future_index
from forecast.data.calendars import calendars_available
from forecast.models.rnn.divergence import DivergenceError
from forecast.models.rnn.forecaster import RNNForecaster
from forecast.walkforward import backtest

TINY = dict(hidden_size=4, epochs=2, random_state=0)


@pytest.fixture(scope="module")
def close():
    return forecast.load_dataset("sp500")["close"]


def ar1_prices(n=1200, phi=0.6, seed=1):
    """Prices whose log returns are AR(1): r_t = phi r_{t-1} + e_t."""
    rng = np.random.default_rng(seed)
    e = rng.normal(0, 0.01, n)
    r = np.zeros(n)
    for t in range(1, n):
        r[t] = phi * r[t - 1] + e[t]
    return 100 * np.exp(np.cumsum(r))


def walk_forward(model, test, X_test=None):
    """One-step forecasts over ``test``, absorbing each observation with update()."""
    forecasts = []
    for i in range(len(test)):
        forecasts.append(model.predict(1).iloc[0])
        x = None if X_test is None else X_test[i : i + 1]
        model.update(test[i : i + 1], X=x)
    return np.array(forecasts)


def scaled_inputs(model, y):
    """The network's input sequence for prices ``y``, computed here from the fitted scaler."""
    r = np.diff(np.log(y))
    scaler = model._features.target_scaler
    return ((r - scaler.mean_) / scaler.scale_)[:, None, None]  # (T, 1, 1)


# ---------------------------------------------------------------------------- the contract


def test_contract_on_sp500_until_2016(close):
    train = close.loc[:"2016"]
    model = RNNForecaster("lstm", **TINY).fit(train)
    forecast_ = model.predict(3)
    assert forecast_.name == "forecast"
    assert forecast_.index.equals(future_index(train.index, 3))
    # 2017-01-02 is a holiday: skipped on the XNYS sessions (the calendars extra), a business
    # day by the rule without it
    first = "2017-01-03" if calendars_available() else "2017-01-02"
    assert forecast_.index.strftime("%Y-%m-%d").tolist()[0] == first
    assert len(forecast_) == 3
    # prices, close to the last one (returns are small)
    assert np.abs(forecast_.to_numpy() / train.iloc[-1] - 1).max() < 0.02
    band = model.predict_interval(3, coverage=0.9)
    assert list(band.columns) == ["lower", "upper"] and band.index.equals(forecast_.index)
    assert (band["lower"] < forecast_).all() and (forecast_ < band["upper"]).all()
    assert model.index_.equals(train.index)
    model.update(close.loc["2017-01-01":"2017-01-10"])
    assert model.predict(1).index[0] == pd.Timestamp("2017-01-11")


def test_default_training_takes_a_few_seconds_and_has_a_history(close):
    model = RNNForecaster("lstm", random_state=0).fit(close.loc[:"2016"])
    history = model.history_
    assert set(history) == {"train_loss", "val_loss", "grad_norm"}
    n_epochs = len(history["train_loss"])
    assert 1 <= n_epochs <= 30 and all(len(v) == n_epochs for v in history.values())
    assert model.best_epoch_ == int(np.argmin(history["val_loss"])) + 1
    assert model.n_streams_ == 32
    assert np.isfinite(model.predict(5)).all()


def test_recursive_forecast_of_the_sp500_is_close_to_a_random_walk(close):
    """A sanity check of the default model on real data: forecasts move little."""
    train = close.loc[:"2016"]
    model = RNNForecaster("gru", hidden_size=8, epochs=5, random_state=0).fit(train)
    path = model.predict(20).to_numpy() / train.iloc[-1]
    assert np.abs(np.log(path)).max() < 0.05


# ------------------------------------------------------------------------------ learning


@pytest.mark.parametrize(
    "params",
    [dict(cell="gru", training="tbptt"), dict(cell="rnn", training="window", window=10)],
    ids=["tbptt-gru", "window-rnn"],
)
def test_learns_ar1_returns_and_beats_the_random_walk(params):
    prices = ar1_prices()
    train, test = prices[:1000], prices[1000:]
    model = RNNForecaster(hidden_size=8, epochs=20, random_state=0, **params).fit(train)
    forecasts = walk_forward(model, test)
    naive = np.r_[train[-1], test[:-1]]
    ratio = np.mean((test - forecasts) ** 2) / np.mean((test - naive) ** 2)
    assert ratio < 0.9, ratio  # the theoretical best is 1 - phi^2 = 0.64


@pytest.mark.parametrize("target", ["diff", "level"])
def test_learns_a_noisy_sine_five_steps_ahead(target):
    rng = np.random.default_rng(0)
    t = np.arange(700)
    y = pd.Series(100 + 10 * np.sin(2 * np.pi * t / 30) + rng.normal(0, 0.5, 700))
    model = RNNForecaster("lstm", hidden_size=16, epochs=40, target=target, random_state=0)
    model.fit(y.iloc[:600])
    err, naive = [], []
    for i in range(600, 690, 5):
        err.append(np.mean((y.iloc[i : i + 5].to_numpy() - model.predict(5).to_numpy()) ** 2))
        naive.append(np.mean((y.iloc[i : i + 5].to_numpy() - y.iloc[i - 1]) ** 2))
        model.update(y.iloc[i : i + 5])
    assert np.mean(err) < 0.3 * np.mean(naive)
    assert model.predict(2).index.tolist() == [690, 691]


def test_exogenous_inputs_are_used():
    """Returns driven by yesterday's x: the model with X forecasts better than without."""
    rng = np.random.default_rng(0)
    n = 1200
    x = rng.normal(size=n)
    r = np.r_[0, 0.008 * x[:-1]] + rng.normal(0, 0.004, n)
    dates = pd.bdate_range("2000-01-03", periods=n)
    prices = pd.Series(100 * np.exp(np.cumsum(r)), index=dates)
    X = pd.DataFrame({"x": x}, index=dates)
    ratios = {}
    for name, exog in (("with", X), ("without", None)):
        model = RNNForecaster("gru", hidden_size=8, epochs=20, random_state=0)
        model.fit(prices.iloc[:1000], X=None if exog is None else exog.iloc[:1000])
        assert model.n_exog_ == (0 if exog is None else 1)
        test = prices.iloc[1000:].to_numpy()
        forecasts = walk_forward(model, test, None if exog is None else exog.iloc[1000:].to_numpy())
        naive = prices.iloc[999:-1].to_numpy()
        ratios[name] = np.mean((test - forecasts) ** 2) / np.mean((test - naive) ** 2)
    assert ratios["with"] < 0.7 < ratios["without"]


def test_exogenous_inputs_are_checked(close):
    frame = forecast.load_dataset("sp500").iloc[-300:]
    X = pd.DataFrame({"volume": np.log(frame["volume"]), "range": frame["high"] - frame["low"]})
    model = RNNForecaster("gru", **TINY).fit(frame["close"].iloc[:250], X=X.iloc[:250])
    assert model.network_.input_size == 3
    assert np.isfinite(model.predict(1)).all()
    with pytest.raises(ValueError, match="forecasts one step.*strategy='direct'"):
        model.predict(3)  # X after the origin is not known: nothing is imputed (issue 16)
    with pytest.raises(ValueError, match="update needs X with 2 column"):
        model.update(frame["close"].iloc[250:251])
    with pytest.raises(ValueError, match="has 1 column.*fitted with 2"):
        model.update(frame["close"].iloc[250:251], X=X[["volume"]].iloc[250:251])
    model.update(frame["close"].iloc[250:260], X=X.iloc[250:260])
    assert model.index_[-1] == frame.index[259]
    with pytest.raises(ValueError, match=r"len\(X\)=249, len\(y\)=250"):
        RNNForecaster(**TINY).fit(frame["close"].iloc[:250], X=X.iloc[:249])
    shifted = X.iloc[1:251].set_axis(frame.index[:250])
    shifted.index = frame.index[1:251]
    with pytest.raises(ValueError, match="different indexes.*position 0"):
        RNNForecaster(**TINY).fit(frame["close"].iloc[:250], X=shifted)


# ------------------------------------------------------------- the state at the origin


def test_the_origin_state_is_a_forward_pass_over_the_whole_history():
    prices = ar1_prices(n=400)
    model = RNNForecaster(
        "lstm", hidden_size=6, epochs=3, k1=5, k2=5, dtype="float64", random_state=0
    ).fit(prices[:300])
    u = scaled_inputs(model, prices[:300])
    out, state, _ = model.network_.forward(u)
    for got, want in zip(model.state_, state, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    # the state carries the history beyond the k2 = 5 steps that gradients reach back:
    # inputs 20 steps before the origin still move it
    u_early = u.copy()
    u_early[-20:-15] += 1.0
    assert np.abs(model.network_.forward(u_early)[1][0] - state[0]).max() > 1e-5

    # update() advances the same state, point by point and chunk by chunk
    for lo, hi in ((300, 301), (301, 302), (302, 350), (350, 400)):
        weights = model.network_.get_weights()
        model.update(prices[lo:hi])
        assert all(np.array_equal(v, model.network_.get_weights()[k]) for k, v in weights.items())
    out, state, _ = model.network_.forward(scaled_inputs(model, prices))
    for got, want in zip(model.state_, state, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)

    # predict() continues recursively from there: the forecast is fed back as the next input
    scaler = model._features.target_scaler
    o, s, path = out[-1], state, []
    for _ in range(4):
        path.append(o[0, 0])
        o, s, _ = model.network_.forward(o[None], s)
        o = o[0]
    expected = prices[-1] * np.exp(np.cumsum(np.array(path) * scaler.scale_ + scaler.mean_))
    np.testing.assert_allclose(model.predict(4).to_numpy(), expected, rtol=1e-12)


def test_window_mode_forecasts_from_the_last_window():
    prices = ar1_prices(n=300)
    model = RNNForecaster(
        "gru",
        training="window",
        window=12,
        hidden_size=5,
        epochs=2,
        dtype="float64",
        random_state=0,
    ).fit(prices[:280])
    model.update(prices[280:])
    assert model.state_ is None
    u = scaled_inputs(model, prices)[-12:, 0, 0]
    np.testing.assert_allclose(model.window_[:, 0], u, rtol=1e-12)
    scaler = model._features.target_scaler
    window, path = u.copy(), []
    for _ in range(3):  # slide the window over the forecasts, each run from a zero state
        o = model.network_.forward(window[:, None, None])[0][-1, 0, 0]
        path.append(o)
        window = np.r_[window[1:], o]
    expected = prices[-1] * np.exp(np.cumsum(np.array(path) * scaler.scale_ + scaler.mean_))
    np.testing.assert_allclose(model.predict(3).to_numpy(), expected, rtol=1e-12)


def test_refit_warm_starts_from_the_current_weights():
    prices = ar1_prices(n=500)
    model = RNNForecaster("gru", hidden_size=5, epochs=3, random_state=0).fit(prices[:400])
    before = model.network_.get_weights()
    model.set_params(lr=1e-9)  # so small that a warm start barely moves the weights
    model.update(prices[400:], refit=True)
    after = model.network_.get_weights()
    assert model.index_[-1] == 499
    for name in before:
        np.testing.assert_allclose(after[name], before[name], atol=1e-6)
        assert model.history_["train_loss"]
    # a fresh fit (warm_start=False) draws new weights from random_state instead
    fresh = clone(model).set_params(warm_start=False, lr=1e-9).fit(prices)
    assert not np.allclose(fresh.network_.get_weights()["weight_hh_l0"], before["weight_hh_l0"])
    # fit again with warm_start=True (the default) also continues from the current weights
    model.fit(prices[:450])
    np.testing.assert_allclose(
        model.network_.get_weights()["weight_hh_l0"], before["weight_hh_l0"], atol=1e-6
    )


# ---------------------------------------------------------------------------- intervals


def test_interval_coverage_on_held_out_data():
    prices = ar1_prices(n=1400, seed=3)
    model = RNNForecaster(
        "gru", hidden_size=8, epochs=10, validation_fraction=0.3, random_state=0
    ).fit(prices[:1000])
    inside = []
    for i in range(1000, 1400):
        band = model.predict_interval(1, coverage=0.9)
        inside.append(band["lower"].iloc[0] <= prices[i] <= band["upper"].iloc[0])
        model.update(prices[i : i + 1])
    assert 0.84 <= np.mean(inside) <= 0.96, np.mean(inside)
    widths = model.predict_interval(5, coverage=0.9).pipe(lambda b: b["upper"] - b["lower"])
    assert widths.is_monotonic_increasing  # a price's uncertainty grows with the horizon
    narrow = model.predict_interval(5, coverage=0.5)
    assert (narrow["upper"] - narrow["lower"] < widths).all()


def test_interval_errors():
    prices = ar1_prices(n=200)
    model = RNNForecaster(validation_fraction=0.0, **TINY).fit(prices)
    with pytest.raises(ValueError, match="validation_fraction=0"):
        model.predict_interval(2)
    model = RNNForecaster(validation_fraction=0.05, **TINY).fit(prices)
    with pytest.raises(ValueError, match="horizon=11 exceeds the 10 validation origins"):
        model.predict_interval(11)
    with pytest.raises(ValueError, match="coverage must be < 1.0"):
        model.predict_interval(2, coverage=1.0)


# ----------------------------------------------------------------------- reproducibility


def test_same_random_state_gives_bitwise_identical_forecasts_in_a_new_process(close):
    script = (
        "import forecast\n"
        "from forecast.models.rnn.forecaster import RNNForecaster\n"
        "close = forecast.load_dataset('sp500')['close'].loc[:'2016']\n"
        "m = RNNForecaster('lstm', hidden_size=8, epochs=3, random_state=42).fit(close)\n"
        "print(m.predict(5).to_numpy().tobytes().hex())\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    here = RNNForecaster("lstm", hidden_size=8, epochs=3, random_state=42).fit(close.loc[:"2016"])
    assert run.stdout.strip() == here.predict(5).to_numpy().tobytes().hex()


# ---------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("training", ["tbptt", "window"])
def test_nan_loss_raises_divergence_and_leaves_the_forecaster_unfitted(training):
    prices = ar1_prices(n=300)
    model = RNNForecaster(
        "rnn",
        training=training,
        window=5,
        hidden_size=16,
        epochs=4,
        lr=1e12,
        optimizer="sgd",
        clip_norm=None,
        random_state=0,
    )
    with pytest.raises(DivergenceError, match=r"no epoch reached a usable fit.*clip_norm") as info:
        model.fit(prices)
    result = info.value.result  # the attempt, for diagnosis
    assert 1 <= len(result.history["train_loss"]) <= 4
    assert result.limit == pytest.approx(2 * max(result.baseline, result.initial))
    assert f"below {result.limit:.6g}" in str(info.value)
    with pytest.raises(NotFittedError):
        model.predict(3)  # no garbage weights to forecast with


def test_bad_input_names_the_numbers():
    prices = ar1_prices(n=60)
    with pytest.raises(NotFittedError):
        RNNForecaster().predict(1)
    with pytest.raises(NotFittedError):
        RNNForecaster().update(prices)
    model = RNNForecaster(**TINY).fit(prices)
    with pytest.raises(ValueError, match="horizon must be >= 1, got horizon=0"):
        model.predict(0)
    with pytest.raises(ValueError, match="horizon must be >= 1, got horizon=-2"):
        model.predict_interval(-2)
    with pytest.raises(ValueError, match="k1=20, k2=10"):
        RNNForecaster(k1=20, k2=10).fit(prices)
    with pytest.raises(ValueError, match="window=80 is too long for a series of 60 observations"):
        RNNForecaster(training="window", window=80).fit(prices)
    with pytest.raises(ValueError, match="unknown training='online'"):
        RNNForecaster(training="online").fit(prices)
    with pytest.raises(ValueError, match="unknown target='price'"):
        RNNForecaster(target="price").fit(prices)
    bad = prices.copy()
    bad[7] = -1.0
    with pytest.raises(ValueError, match="log_return.*position 7"):
        RNNForecaster(**TINY).fit(bad)
    with pytest.raises(ValueError, match="first label 3 is not after the last label seen, 59"):
        model.update(pd.Series([1.0], index=[3]))
    with pytest.raises(TypeError, match="refit must be a bool"):
        model.update(prices[:2], refit="yes")


def test_backtest_runs_it_with_refits(close):
    y = close.iloc[-300:]
    frame = backtest(
        RNNForecaster("gru", **TINY), y, start=-40, horizon=2, refit_every=20, coverage=0.8
    )
    assert len(frame) == 39 * 2
    assert np.isfinite(frame[["forecast", "lower", "upper"]].to_numpy()).all()
    assert ((frame["lower"] <= frame["forecast"]) & (frame["forecast"] <= frame["upper"])).all()


@pytest.mark.parametrize(
    "params",
    [
        dict(loss="mae", optimizer="momentum", num_layers=2),
        dict(loss="huber", optimizer="adamw", training="window", window=6, num_layers=2),
        dict(loss="mse", optimizer="nesterov", k1=8, k2=16, clip_norm=None),
    ],
    ids=["mae-momentum-2layers", "huber-adamw-window", "nesterov-k2>k1"],
)
def test_losses_optimisers_and_stacked_layers(params):
    prices = ar1_prices(n=250)
    model = RNNForecaster("lstm", hidden_size=4, epochs=3, random_state=0, **params).fit(prices)
    assert model.network_.num_layers == params.get("num_layers", 1)
    if model.state_ is not None:
        assert [s.shape for s in model.state_] == [(model.network_.num_layers, 1, 4)] * 2
    assert np.isfinite(model.history_["train_loss"]).all()
    assert np.isfinite(model.predict_interval(3).to_numpy()).all()
