"""RNNRegressor: shapes, learning, partial_fit, PyTorch-meaning weights, early stopping, errors."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

import forecast
from forecast.models.rnn.divergence import DivergenceError
from forecast.models.rnn.regressor import RNNRegressor
from forecast.nn import Adam, RecurrentNetwork, bptt_step


def _mean_task(n=300, window=8, seed=0):
    """Windows of noise; the target is the mean of the window (needs the whole sequence)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, window))
    return X, X.mean(axis=1)


def test_learns_the_window_mean():
    X, y = _mean_task()
    model = RNNRegressor("gru", hidden_size=8, epochs=40, lr=0.01, random_state=0).fit(X, y)
    r2 = model.score(X, y)
    assert r2 > 0.9, r2
    assert model.predict(X).shape == (300,)
    assert model.predict(X).dtype == np.float64


def test_three_d_input_and_multi_output():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 6, 3))
    y = rng.normal(size=(50, 4))
    model = RNNRegressor("lstm", hidden_size=4, epochs=2, random_state=0).fit(X, y)
    assert model.n_inputs_ == 3 and model.n_outputs_ == 4 and model.n_features_in_ == 6
    assert model.predict(X).shape == (50, 4)
    assert model.get_weights()["head.weight"].shape == (4, 4)
    with pytest.raises(ValueError, match="2 features per step.*expecting 3"):
        model.predict(X[:, :, :2])


def test_same_seed_same_model_and_fit_is_idempotent():
    X, y = _mean_task(n=80)
    a = RNNRegressor("rnn", hidden_size=4, epochs=3, random_state=7).fit(X, y)
    b = RNNRegressor("rnn", hidden_size=4, epochs=3, random_state=7).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    before = a.predict(X)
    a.fit(X, y)  # warm_start=False: a fresh fit from the same seed
    np.testing.assert_array_equal(a.predict(X), before)


def test_partial_fit_is_one_optimiser_step_when_the_batch_holds_everything():
    X, y = _mean_task(n=20, window=5)
    model = RNNRegressor(
        "lstm", hidden_size=3, batch_size=64, lr=0.05, scale=False, dtype="float64", random_state=3
    )
    model.partial_fit(X, y)
    # the same step by hand with the engine: same initial weights (same seed), one Adam step
    net = RecurrentNetwork("lstm", 1, 3, 1, 1, dtype=np.float64, rng=np.random.default_rng(3))
    x = X[:, :, None].transpose(1, 0, 2)  # (T, B, 1)
    bptt_step(net, x, y[:, None], optimizer=Adam(lr=0.05), loss="mse", clip_norm=1.0)
    for name, value in net.get_weights().items():
        np.testing.assert_allclose(model.get_weights()[name], value, rtol=1e-12, atol=1e-14)
    assert model._optimizer.steps == 1
    assert len(model.history_["train_loss"]) == 1


def test_partial_fit_runs_one_epoch_of_minibatches():
    X, y = _mean_task(n=35, window=4)
    model = RNNRegressor("gru", hidden_size=3, batch_size=10, random_state=0)
    model.partial_fit(X, y)
    assert model._optimizer.steps == 4  # ceil(35 / 10)
    model.partial_fit(X, y)
    assert model._optimizer.steps == 8
    assert len(model.history_["train_loss"]) == 2
    with pytest.raises(ValueError, match="X has 3 features"):
        model.partial_fit(X[:, :3], y)


def test_scale_false_feeds_the_data_as_is():
    """With scale=False the prediction is exactly the network's head output on raw X."""
    X, y = _mean_task(n=30, window=5)
    y = 100 + 10 * y  # far from standardised, so scaling would show
    raw = RNNRegressor("gru", hidden_size=4, epochs=1, scale=False, random_state=0).fit(X, y)
    net = RecurrentNetwork("gru", 1, 4, dtype=np.float32, rng=0)
    net.set_weights(raw.get_weights())
    out, _, _ = net.forward(X[:, :, None].transpose(1, 0, 2))
    np.testing.assert_allclose(raw.predict(X), out[-1, :, 0], rtol=1e-6)
    assert raw.x_scaler_ is None and raw.y_scaler_ is None

    scaled = RNNRegressor("gru", hidden_size=4, epochs=1, random_state=0).fit(X, y)
    scaled.set_weights(raw.get_weights())
    assert scaled.y_scaler_.mean_[0] == pytest.approx(y[:27].mean())  # train part only
    assert not np.allclose(scaled.predict(X), raw.predict(X))


def test_weights_load_into_pytorch():
    torch = pytest.importorskip("torch")
    X, y = _mean_task(n=40, window=6)
    model = RNNRegressor("lstm", hidden_size=5, epochs=2, scale=False, random_state=0).fit(X, y)

    class LSTMHead(torch.nn.LSTM):
        def __init__(self):
            super().__init__(1, 5)
            self.head = torch.nn.Linear(5, 1)

    torch_model = LSTMHead()
    torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in model.get_weights().items()})
    with torch.no_grad():
        out, _ = torch_model(torch.from_numpy(X.T[:, :, None].astype(np.float32)))
        pred = torch_model.head(out[-1]).numpy()[:, 0]
    np.testing.assert_allclose(model.predict(X), pred, rtol=1e-5, atol=1e-6)


def test_early_stopping_restores_the_best_weights(caplog):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 5)), rng.normal(size=60)  # pure noise: validation loss rises
    with caplog.at_level(logging.INFO, logger="forecast.models.rnn.training"):
        model = RNNRegressor(
            "lstm",
            hidden_size=16,
            epochs=60,
            lr=0.05,
            patience=3,
            scale=False,
            dtype="float64",
            validation_fraction=0.25,
            random_state=0,
        ).fit(X, y)
    val = model.history_["val_loss"]
    assert len(val) < 60  # stopped early
    assert len(val) == model.best_epoch_ + 3
    assert model.best_epoch_ == int(np.argmin(val)) + 1
    # the restored weights give exactly the best validation loss, not the last one
    held_out = np.mean((model.predict(X[45:]) - y[45:]) ** 2)
    assert held_out == pytest.approx(min(val), rel=1e-12)
    assert held_out < val[-1]
    assert set(model.history_) == {"train_loss", "val_loss", "grad_norm"}
    assert all(len(v) == len(val) for v in model.history_.values())
    assert f"stopped early at epoch {len(val)}" in caplog.text


def test_nan_loss_raises_divergence_and_leaves_the_regressor_unfitted():
    X, y = _mean_task(n=64, window=5)
    model = RNNRegressor(
        "rnn",
        hidden_size=16,
        epochs=5,
        lr=1e-2,
        clip_norm=None,
        optimizer="sgd",
        validation_fraction=0.0,
        random_state=0,
    )
    model.fit(X, y)  # fitted before: a failed refit must not keep this model either
    model.set_params(lr=1e12)
    with pytest.raises(DivergenceError, match="Lower the learning rate lr") as info:
        model.fit(X * 1e3, y)
    assert "no epoch reached a usable fit" in str(info.value)
    history = info.value.result.history
    assert 1 <= len(history["train_loss"]) <= 5
    with pytest.raises(NotFittedError):
        model.predict(X)


def test_errors_name_the_problem():
    X, y = _mean_task(n=20)
    with pytest.raises(NotFittedError):
        RNNRegressor().predict(X)
    with pytest.raises(ValueError, match="unknown cell='tcn'"):
        RNNRegressor("tcn").fit(X, y)
    with pytest.raises(ValueError, match="lr must be > 0.0, got lr=-1.0"):
        RNNRegressor(lr=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="unknown optimizer='adagrad'"):
        RNNRegressor(optimizer="adagrad").fit(X, y)
    with pytest.raises(
        TypeError, match="dtype must be 'float32' or 'float64', got dtype='float16'"
    ):
        RNNRegressor(dtype="float16").fit(X, y)
    with pytest.raises(ValueError, match="n_samples=1"):
        RNNRegressor().fit(X[:1], y[:1])
    with pytest.raises(ValueError, match=r"shape \(20, 8, 1, 1\)"):
        RNNRegressor(epochs=1).fit(X[:, :, None, None], y)
    model = RNNRegressor(hidden_size=2, epochs=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="missing"):
        model.set_weights({"head.bias": np.zeros(1)})


def test_verbose_bar_is_silent_off_a_terminal(capsys):
    X, y = _mean_task(n=20)
    RNNRegressor(hidden_size=2, epochs=2, verbose=True, random_state=0).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_on_sp500_log_returns():
    close = forecast.load_dataset("sp500")["close"]
    returns = np.log(close).diff().dropna().to_numpy()[-800:]
    X, y = forecast.make_windows(returns, window=10)
    model = RNNRegressor("gru", hidden_size=8, epochs=3, random_state=0).fit(X, y.ravel())
    pred = model.predict(X)
    # returns are nearly unpredictable: the forecasts stay close to the mean return
    assert np.abs(pred - returns.mean()).max() < 5 * returns.std()
    assert np.isfinite(model.history_["val_loss"]).all()


def test_partial_fit_divergence_restores_the_weights_of_before_the_call():
    X, y = _mean_task(n=64, window=5)
    model = RNNRegressor(
        "rnn", hidden_size=16, lr=1.0, clip_norm=None, optimizer="sgd", random_state=0
    )
    model.partial_fit(X, y)
    weights, diverged = model.get_weights(), False
    for _ in range(5):
        try:
            model.partial_fit(X * 1e3, y)
            weights = model.get_weights()
        except DivergenceError as err:
            assert "the weights from before this call were restored" in str(err)
            diverged = True
            break
    assert diverged
    for name, value in model.get_weights().items():
        np.testing.assert_array_equal(value, weights[name])
    assert np.isfinite(model.predict(X)).all()


def test_scale_and_missing_x_are_refused_by_name():
    X, y = _mean_task(n=20)
    with pytest.raises(TypeError, match=r"scale must be True or False, got scale='no'"):
        RNNRegressor(scale="no").fit(X, y)
    with pytest.raises(TypeError, match=r"X must be an array-like of windows.*got X=None"):
        RNNRegressor().fit(None, y)
    model = RNNRegressor(hidden_size=2, epochs=1, random_state=0).fit(X, y)
    with pytest.raises(TypeError, match=r"got X=None"):
        model.predict(None)
