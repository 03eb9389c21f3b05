"""Fault tests of the RNN models: divergence, NaN inputs, constant series, bad random_state.

Whatever goes wrong in training, nothing non-finite reaches a user: a fit that never becomes
usable raises DivergenceError and leaves the estimator unfitted, a fit that recovers keeps
its best usable epoch and warns, a forecast that overflows raises, and bad input is refused
by name before any training (see forecast.models.rnn.divergence).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.validation import check_is_fitted

import forecast
from forecast._validation import check_random_state
from forecast.models.ar import ARForecaster
from forecast.models.naive import NaiveForecaster
from forecast.models.rnn.divergence import USABLE_FACTOR, DivergenceError, DivergenceWarning
from forecast.models.rnn.forecaster import RNNForecaster
from forecast.models.rnn.global_model import GlobalRNNForecaster
from forecast.models.rnn.regressor import RNNRegressor
from forecast.models.rnn.training import EpochFunctions, train
from forecast.nn import NonFiniteError, RecurrentNetwork, clip_grad_norm, train_tbptt

TINY = dict(hidden_size=4, epochs=2, random_state=0)


@pytest.fixture(scope="module")
def close():
    return forecast.load_dataset("sp500")["close"]


@pytest.fixture(scope="module")
def monthly():
    wide = forecast.load_dataset("stocks_monthly")
    return {name: wide[name].dropna() for name in ["IBM", "MSFT", "AAPL"] if name in wide}


def return_windows(close, n=600, window=5):
    returns = np.log(close).diff().dropna().to_numpy()[-n:]
    X, y = forecast.make_windows(returns, window=window)
    return X, y.ravel()


def assert_unfitted(model):
    if hasattr(model, "fit"):  # GlobalRNNForecaster has fit_many
        with pytest.raises(NotFittedError):
            check_is_fitted(model)
    assert not [key for key in vars(model) if key not in model.get_params(deep=False)]


# ---------------------------------------------------------------------- divergence


@pytest.mark.parametrize("lr", [1e3, 1e6])
def test_issue_lstm_at_huge_lr_raises_divergence_and_is_left_unfitted(close, lr):
    # issue 12: lr=1e3 used to return [27914.31, 0.0, 0.0] from a last price of 2506.85
    # (training loss 9.4e6, no warning), lr=1e6 returned inf
    model = RNNForecaster("lstm", hidden_size=8, epochs=10, lr=lr, random_state=0)
    with pytest.raises(DivergenceError, match=rf"no epoch reached a usable fit.*lr={lr}") as info:
        model.fit(close.iloc[-1500:])
    result = info.value.result
    assert result.best_epoch == 0
    assert result.limit == pytest.approx(USABLE_FACTOR * max(result.baseline, result.initial))
    assert 0.9 < result.baseline < 1.1  # scaled increments: predicting zero costs about 1
    finite = [loss for loss in result.history["train_loss"] if math.isfinite(loss)]
    assert all(loss > 1e3 * result.limit for loss in finite)  # garbage, not a weak model
    assert_unfitted(model)
    with pytest.raises(NotFittedError):
        model.predict(3)
    with pytest.raises(NotFittedError):
        model.predict_interval(3)


def test_divergence_error_is_a_value_error_and_a_floating_point_error():
    assert issubclass(DivergenceError, ValueError)
    assert issubclass(DivergenceError, FloatingPointError)
    assert forecast.DivergenceError is DivergenceError  # the public name
    assert issubclass(DivergenceWarning, ConvergenceWarning)


@pytest.mark.parametrize("training", ["tbptt", "window"])
def test_failed_refit_of_a_fitted_forecaster_leaves_it_unfitted(close, training):
    y = close.iloc[-400:]
    model = RNNForecaster("gru", training=training, window=5, **TINY).fit(y)
    assert np.isfinite(model.predict(3)).all()
    model.set_params(lr=1e6)
    with pytest.raises(DivergenceError):
        model.fit(y)  # warm start from the good weights, still diverges
    assert_unfitted(model)


def test_failed_update_with_refit_leaves_the_forecaster_unfitted(close):
    model = RNNForecaster("lstm", **TINY).fit(close.iloc[-400:-20])
    model.set_params(lr=1e6)
    with pytest.raises(DivergenceError):
        model.update(close.iloc[-20:], refit=True)
    assert_unfitted(model)


@pytest.mark.parametrize("lr", [1e3, 1e6])
def test_global_model_that_diverges_is_left_unfitted(monthly, lr):
    model = GlobalRNNForecaster(hidden_size=4, epochs=3, random_state=0).fit_many(monthly)
    model.set_params(lr=lr)
    with pytest.raises(DivergenceError, match="no epoch reached a usable fit"):
        model.fit_many(monthly)
    assert_unfitted(model)
    with pytest.raises(NotFittedError):
        model.for_series("IBM")


@pytest.mark.parametrize("lr", [1e3, 1e6])
def test_regressor_that_diverges_is_left_unfitted(close, lr):
    X, y = return_windows(close, n=300)
    model = RNNRegressor("lstm", hidden_size=4, epochs=3, lr=lr, random_state=0)
    with pytest.raises(DivergenceError, match="no epoch reached a usable fit"):
        model.fit(X, y)
    assert_unfitted(model)


def test_first_partial_fit_that_diverges_leaves_the_regressor_unfitted(close):
    X, y = return_windows(close, n=100)
    model = RNNRegressor("rnn", hidden_size=16, lr=1e12, clip_norm=None, optimizer="sgd")
    with pytest.raises(DivergenceError, match=r"partial_fit diverged: .*left unfitted"):
        model.partial_fit(X, y)  # one step: its loss is finite, its weights are garbage
    assert_unfitted(model)


def test_regressor_that_recovers_keeps_its_best_usable_epoch_and_warns(close):
    X, y = return_windows(close)
    model = RNNRegressor(
        "rnn",
        hidden_size=4,
        epochs=12,
        lr=0.6,
        optimizer="momentum",
        clip_norm=None,
        validation_fraction=0.0,
        random_state=0,
        engine="numpy",  # the epochs below are this chaotic run's on the NumPy engine
    )
    message = r"at epoch 7 of 12 the training loss is nan; the weights of epoch 2"
    with pytest.warns(DivergenceWarning, match=message):
        model.fit(X, y)
    assert model.best_epoch_ == 2
    assert np.isnan(model.history_["train_loss"][-1])
    pred = model.predict(X)
    assert np.isfinite(pred).all()
    # usable: the kept weights beat twice the loss of predicting the mean return
    scaled_mse = np.mean((pred - y) ** 2) / np.var(y)
    assert scaled_mse < USABLE_FACTOR


def _scripted(train_losses, val_losses, baseline=1.0, initial=1.1):
    """EpochFunctions whose epoch e sets the weight to e and reports the scripted losses."""
    weights = {"w": np.zeros(1)}
    epoch_of = {"now": 0}

    def run_epoch(epoch):
        epoch_of["now"] = epoch
        weights["w"][:] = epoch
        return train_losses[epoch - 1], 0.5

    def validate():
        return val_losses[epoch_of["now"] - 1]

    def evaluate():
        return initial if epoch_of["now"] == 0 else train_losses[int(weights["w"][0]) - 1]

    def set_weights(w):
        weights["w"][:] = w["w"]
        epoch_of["now"] = int(w["w"][0])

    fns = EpochFunctions(run_epoch, validate if val_losses else None, evaluate, baseline)
    return fns, (lambda: {"w": weights["w"].copy()}), set_weights, weights


def test_training_keeps_the_best_usable_epoch_and_skips_epochs_above_the_limit():
    # limit = 2 * max(1.0, 1.1) = 2.2; epoch 1 has the best validation loss but is unusable
    fns, get, put, weights = _scripted([5.0, 0.9, 0.8, 0.85, math.nan], [0.1, 0.7, 0.5, 0.6, 0.1])
    with pytest.warns(DivergenceWarning, match=r"at epoch 5 of 6 the training loss is nan"):
        result = train(fns, get, put, epochs=6, patience=None, desc="scripted")
    assert result.best_epoch == 3 and weights["w"][0] == 3
    assert result.limit == pytest.approx(2.2)


def test_training_that_ends_above_the_limit_warns_and_keeps_the_last_usable_epoch():
    fns, get, put, weights = _scripted([0.9, 0.8, 50.0, 70.0], None)
    with pytest.warns(DivergenceWarning, match=r"the training loss of epoch 4 is 70"):
        result = train(fns, get, put, epochs=4, patience=None, desc="scripted")
    assert result.best_epoch == 2 and weights["w"][0] == 2


def test_training_with_no_usable_epoch_raises_with_the_numbers():
    fns, get, put, _ = _scripted([9.0, 8.0, 7.0], None)
    with pytest.raises(DivergenceError, match=r"below 2\.2 .*lowest finite training loss was 7"):
        train(fns, get, put, epochs=3, patience=None, desc="scripted")


def test_training_checks_the_kept_weights_not_only_the_mean_over_the_epoch():
    fns, get, put, _ = _scripted([0.9], None)
    fns = fns._replace(evaluate=iter([1.1, 1e30]).__next__)  # initial, then the kept weights
    with pytest.raises(DivergenceError, match=r"the weights of epoch 1 have a training loss"):
        train(fns, get, put, epochs=1, patience=None, desc="scripted")


# ---------------------------------------------------------------- non-finite forecasts


def test_predict_raises_instead_of_returning_an_overflowed_forecast(close):
    model = RNNForecaster("lstm", **TINY).fit(close.iloc[-300:])
    weights = model.network_.get_weights()
    weights["head.bias"][:] = 1e6  # a log return of about 1e4 per step: exp overflows
    model.network_.set_weights(weights)
    with pytest.raises(DivergenceError, match=r"the forecast of step 2 is inf"):
        model.predict(3)
    with pytest.raises(DivergenceError, match=r"not finite|overflow"):
        model.predict_interval(3)


def test_update_with_a_non_finite_output_raises_and_changes_nothing(close):
    model = RNNForecaster("rnn", **TINY).fit(close.iloc[-300:-5])
    model.network_.params["head.bias"][:] = np.inf  # corrupted (set_weights refuses it)
    n_seen, state = len(model.index_), model.state_
    with pytest.raises(DivergenceError, match=r"update: the network output is not finite"):
        model.update(close.iloc[-5:])
    assert len(model.index_) == n_seen and model.state_ is state


def test_global_forecaster_raises_instead_of_returning_an_overflowed_forecast(monthly):
    model = GlobalRNNForecaster(hidden_size=4, epochs=2, random_state=0).fit_many(monthly)
    view = model.for_series("IBM")
    weights = view.network.get_weights()
    weights["head.bias"][:] = 1e6
    view.network.set_weights(weights)
    with pytest.raises(DivergenceError, match=r"the forecast of step 2 is inf"):
        view.predict(2)


# ---------------------------------------------------------------- NaN in the data


def with_nan(y, position):
    y = y.copy()
    y.iloc[position] = np.nan
    return y


def test_nan_in_the_middle_of_the_training_data_is_refused_before_training(close):
    model = RNNForecaster("lstm", **TINY)
    message = r"y contains 1 non-finite value.*first is NaN at position 150"
    with pytest.raises(ValueError, match=message):
        model.fit(with_nan(close.iloc[-300:], 150))
    assert not hasattr(model, "network_")
    X = pd.DataFrame({"volume": np.linspace(1.0, 2.0, 300)}, index=close.index[-300:])
    X.iloc[200, 0] = np.nan
    with pytest.raises(ValueError, match=r"X contains 1 non-finite value"):
        model.fit(close.iloc[-300:], X=X)
    assert not hasattr(model, "network_")


def test_nan_in_new_observations_is_refused_and_changes_nothing(close):
    model = RNNForecaster("gru", **TINY).fit(close.iloc[-300:-10])
    before = model.predict(2)
    with pytest.raises(ValueError, match=r"y_new contains 1 non-finite value"):
        model.update(with_nan(close.iloc[-10:], 4))
    pd.testing.assert_series_equal(model.predict(2), before)


def test_nan_in_one_series_of_a_global_fit_names_that_series(monthly):
    series = dict(monthly, IBM=with_nan(monthly["IBM"], 40))
    with pytest.raises(ValueError, match=r"series 'IBM' contains 1 non-finite value"):
        GlobalRNNForecaster(hidden_size=4, epochs=2, random_state=0).fit_many(series)


def test_nan_in_the_middle_of_regressor_windows_is_refused_before_training(close):
    X, y = return_windows(close, n=200)
    X = X.copy()
    X[100, 2] = np.nan
    model = RNNRegressor(hidden_size=4, epochs=2, random_state=0)
    with pytest.raises(ValueError, match=r"Input X contains NaN"):
        model.fit(X, y)
    assert not hasattr(model, "network_")


def test_differences_that_overflow_are_refused_by_name():
    y = np.tile([1e308, -1e308], 30)  # finite values whose differences are inf
    model = RNNForecaster("rnn", target="diff", **TINY)
    with pytest.raises(ValueError, match=r"y gives a non-finite network input at position 1"):
        model.fit(y)
    assert_unfitted(model)


def test_regressor_inputs_that_overflow_float32_are_refused_by_name(close):
    X, y = return_windows(close, n=200)
    with pytest.raises(ValueError, match=r"X overflows float32 once scaled"):
        RNNRegressor(hidden_size=4, epochs=2, scale=False, random_state=0).fit(X * 1e300, y)


# ---------------------------------------------------------------- constant series


@pytest.mark.parametrize("training", ["tbptt", "window"])
@pytest.mark.parametrize("target", ["log_return", "diff", "level"])
def test_constant_series_is_forecast_constant_inside_its_interval(training, target, caplog):
    # issue 12: RNNForecaster("rnn") forecast a drift (5.117, 5.215, ...) with an interval
    # of [5.0, 5.0] that excluded its own point forecast
    y = pd.Series(5.0, index=pd.bdate_range("2020-01-01", periods=200))
    model = RNNForecaster("rnn", training=training, window=5, target=target, **TINY)
    with caplog.at_level(logging.WARNING, logger="forecast"):
        model.fit(y)
    assert "every training target is the same" in caplog.text
    np.testing.assert_array_equal(model.predict(5).to_numpy(), np.full(5, 5.0))
    interval = model.predict_interval(5)
    np.testing.assert_array_equal(interval.to_numpy(), np.full((5, 2), 5.0))
    assert model.history_["train_loss"] == [] and model.best_epoch_ == 0
    model.update(pd.Series(5.0, index=pd.bdate_range(y.index[-1], periods=4)[1:]))
    np.testing.assert_array_equal(model.predict(2).to_numpy(), [5.0, 5.0])


def test_constant_growth_is_continued_exactly():
    y = 100.0 + 2.0 * np.arange(120)  # constant differences
    model = RNNForecaster("lstm", target="diff", **TINY).fit(y)
    np.testing.assert_allclose(model.predict(3).to_numpy(), [340.0, 342.0, 344.0], rtol=1e-12)


def test_constant_regressor_targets_are_predicted_exactly(close):
    X, _ = return_windows(close, n=100)
    model = RNNRegressor(hidden_size=4, epochs=2, random_state=0).fit(X, np.full(len(X), 3.0))
    np.testing.assert_array_equal(model.predict(X[:5]), np.full(5, 3.0))


def test_a_constant_series_in_a_global_fit_is_refused_by_name(monthly):
    series = dict(monthly, FLAT=pd.Series(5.0, index=monthly["IBM"].index))
    with pytest.raises(ValueError, match=r"series 'FLAT' has constant log_return increments"):
        GlobalRNNForecaster(hidden_size=4, epochs=2, random_state=0).fit_many(series)


# --------------------------------------------------- intervals contain their forecasts


def regime_change(n=300, seed=0):
    """A random walk whose last 30 days climb 2% a day: every validation error is positive."""
    rng = np.random.default_rng(seed)
    r = np.r_[rng.normal(0, 0.01, n - 30), 0.02 + rng.normal(0, 0.001, 30)]
    return pd.Series(100 * np.exp(np.cumsum(r)), index=pd.bdate_range("2020-01-01", periods=n))


def assert_contains(point, interval):
    assert np.isfinite(interval.to_numpy()).all() and np.isfinite(point.to_numpy()).all()
    assert ((interval["lower"] <= point) & (point <= interval["upper"])).all()


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_rnn_interval_contains_its_point_forecast_when_all_errors_have_one_sign(cell):
    model = RNNForecaster(cell, **TINY).fit(regime_change())
    point, interval = model.predict(3), model.predict_interval(3, coverage=0.9)
    assert_contains(point, interval)
    np.testing.assert_array_equal(interval["lower"], point)  # the old lower bound was above it


@pytest.mark.parametrize("coverage", [0.05, 0.5, 0.95])
def test_every_forecaster_interval_contains_its_point_forecast(close, monthly, coverage):
    y = close.iloc[-400:]
    models = [
        NaiveForecaster().fit(y),
        NaiveForecaster(strategy="drift").fit(y),
        ARForecaster(order=3).fit(y),
        RNNForecaster("gru", **TINY).fit(y),
        RNNForecaster("lstm", training="window", window=5, target="diff", **TINY).fit(y),
        GlobalRNNForecaster(hidden_size=4, epochs=2, random_state=0)
        .fit_many(monthly)
        .for_series("IBM"),
    ]
    for model in models:
        assert_contains(model.predict(5), model.predict_interval(5, coverage=coverage))


def test_naive_interval_of_a_constant_series_is_the_constant():
    y = pd.Series(5.0, index=pd.bdate_range("2020-01-01", periods=50))
    model = NaiveForecaster().fit(y)
    assert_contains(model.predict(3), model.predict_interval(3))


# ---------------------------------------------------------------- random_state


def _fit(estimator, close, monthly):
    if isinstance(estimator, GlobalRNNForecaster):
        return estimator.fit_many(monthly)
    if isinstance(estimator, RNNRegressor):
        return estimator.fit(*return_windows(close, n=100))
    return estimator.fit(close.iloc[-100:])


ESTIMATORS = [
    lambda rs: RNNForecaster(hidden_size=2, epochs=1, random_state=rs),
    lambda rs: RNNRegressor(hidden_size=2, epochs=1, random_state=rs),
    lambda rs: GlobalRNNForecaster(hidden_size=2, epochs=1, random_state=rs),
]


@pytest.mark.parametrize("make", ESTIMATORS)
@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (-1, ValueError, r"random_state must be a non-negative int seed, got random_state=-1"),
        ("abc", TypeError, r"got random_state='abc' of type str"),
        (2.5, TypeError, r"got random_state=2\.5 of type float"),
        (True, TypeError, r"got random_state=True of type bool"),
    ],
)
def test_bad_random_state_is_refused_by_name_before_training(
    close, monthly, make, value, error, message
):
    estimator = make(value)
    with pytest.raises(error, match=message + r".*np\.random\.default_rng\(seed\)"):
        _fit(estimator, close, monthly)
    assert not hasattr(estimator, "network_")


@pytest.mark.parametrize("make", ESTIMATORS)
def test_seeds_generators_and_random_states_are_accepted(close, monthly, make):
    a = _fit(make(np.int64(3)), close, monthly).network_.get_weights()
    b = _fit(make(3), close, monthly).network_.get_weights()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])  # a numpy int is the same seed
    _fit(make(np.random.default_rng(0)), close, monthly)
    c = _fit(make(np.random.RandomState(7)), close, monthly).network_.get_weights()
    d = _fit(make(np.random.RandomState(7)), close, monthly).network_.get_weights()
    for name in c:
        np.testing.assert_array_equal(c[name], d[name])  # reproducible from its seed


def test_check_random_state_returns_generators():
    assert isinstance(check_random_state(None), np.random.Generator)
    g = np.random.default_rng(1)
    assert check_random_state(g) is g
    assert check_random_state(5).integers(10**9) == np.random.default_rng(5).integers(10**9)
    with pytest.raises(ValueError, match=r"seed, got seed=-3"):
        check_random_state(-3, "seed")


# ---------------------------------------------------------------- the engine's typed error


def test_engine_raises_a_typed_error_for_non_finite_states_and_gradients():
    net = RecurrentNetwork("gru", 1, 3, rng=0)
    x = np.zeros((4, 2, 1), dtype=np.float32)
    state = (np.full((1, 2, 3), np.nan, dtype=np.float32),)
    with pytest.raises(NonFiniteError, match="state"):
        train_tbptt(net, x, x, k1=2, k2=2, optimizer="sgd", state=state)
    with pytest.raises(NonFiniteError, match="non-finite gradients"):
        clip_grad_norm({"w": np.array([np.inf])}, 1.0)
    assert issubclass(NonFiniteError, ValueError)
