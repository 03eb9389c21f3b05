"""The numba engine (``forecast[fast]``) against the NumPy reference, and engine selection.

Both engines run the same network (same weights, same dropout masks from the same seed);
outputs, final states, gradients of the weights and of the initial state and the
gradient-flow norms agree to 1e-12 (float64) and 1e-5 (float32) relative to the largest
value, for every cell, 1-3 layers, and truncated BPTT. The torch oracle tests
(``tests/test_nn_torch.py``) run against both engines too.
"""

from __future__ import annotations

import numpy as np
import pytest

import forecast
from forecast import RNNRegressor
from forecast.nn import SGD, RecurrentNetwork, train_tbptt
from forecast.nn import engine as engines

pytest.importorskip("numba")

from forecast.nn.kernels import blocks  # noqa: E402  (needs numba)
from forecast.nn.kernels.activations import tanh_rational  # noqa: E402

CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]
TOL = {np.float64: 1e-12, np.float32: 1e-5}


@pytest.fixture(autouse=True)
def three_blocks(monkeypatch):
    """Split the batch into three blocks whatever the machine's cores (B // 16 >= 3)."""
    monkeypatch.setattr(blocks, "cores", lambda: 3)


def relative_error(ours: np.ndarray, reference: np.ndarray) -> float:
    return float(np.max(np.abs(ours - reference)) / np.max(np.abs(reference)))


def run_both(cell, nonlinearity, dtype, num_layers, dropout=0.0, B=50):
    """Forward (training mode) and backward with a final-state gradient, on each engine."""
    data = np.random.default_rng(0)
    x = data.standard_normal((9, B, 3))
    dy = data.standard_normal((9, B, 2))
    dy[4] = 0  # a step without loss
    runs = []
    for engine in ("numpy", "numba"):
        net = RecurrentNetwork(
            cell,
            3,
            6,
            num_layers,
            2,
            nonlinearity=nonlinearity,
            dropout=dropout,
            dtype=dtype,
            rng=5,
            engine=engine,
        )
        shape = (num_layers, B, 6)
        state = tuple(np.random.default_rng(1).standard_normal(shape) for _ in net.state_names)
        dstate = tuple(np.random.default_rng(2).standard_normal(shape) for _ in net.state_names)
        y, state_T, cache = net.forward(x, state, train=True, rng=np.random.default_rng(3))
        grads, dstate_0 = net.backward(dy, cache, dstate)
        runs.append(
            {
                "y": y,
                "grad_norms": cache.grad_norms,
                "masks": cache.masks,
                **{f"state_T{j}": s for j, s in enumerate(state_T)},
                **{f"dstate_0{j}": s for j, s in enumerate(dstate_0)},
                **grads,
            }
        )
    return runs


@pytest.mark.parametrize("cell, nonlinearity", CELLS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_numba_outputs_and_gradients_equal_numpys(cell, nonlinearity, dtype, num_layers):
    reference, ours = run_both(cell, nonlinearity, dtype, num_layers, dropout=0.25)
    assert ours.keys() == reference.keys()
    for name in reference:
        if name == "masks":
            for mask, ref in zip(ours[name], reference[name], strict=True):
                assert (mask is None and ref is None) or np.array_equal(mask, ref)
            continue
        assert ours[name].dtype == reference[name].dtype, name
        assert relative_error(ours[name], reference[name]) <= TOL[dtype], name


@pytest.mark.parametrize("cell, nonlinearity", CELLS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numba_truncated_bptt_equals_numpys(cell, nonlinearity, dtype):
    data = np.random.default_rng(4)
    x = data.standard_normal((40, 32, 2))
    y = data.standard_normal((40, 32, 1))
    results = []
    for engine in ("numpy", "numba"):
        net = RecurrentNetwork(
            cell, 2, 5, 2, nonlinearity=nonlinearity, dtype=dtype, rng=0, engine=engine
        )
        out = train_tbptt(net, x, y, k1=6, k2=10, optimizer=SGD(lr=1e-3))
        results.append((out, net.params))
    (ref, ref_params), (ours, params) = results
    assert relative_error(ours.losses, ref.losses) <= TOL[dtype]
    assert relative_error(ours.grad_norms, ref.grad_norms) <= TOL[dtype]
    for name in ref_params:
        assert relative_error(params[name], ref_params[name]) <= TOL[dtype], name


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_numba_engine_is_bitwise_reproducible(cell):
    first, second = (run_both(cell, "tanh", np.float32, 2, dropout=0.25)[1] for _ in range(2))
    for name in first:
        if name != "masks":
            assert np.array_equal(first[name], second[name]), name


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_numba_saturates_and_propagates_nan_like_numpy(cell):
    x = np.array([1e30, -1e30, 30.0, 0.5], dtype=np.float32).reshape(1, 4, 1).repeat(3, 0)
    outputs = []
    for engine in ("numpy", "numba"):
        net = RecurrentNetwork(cell, 1, 3, rng=0, engine=engine)
        saturated = net.forward(x)[0]
        net.params["weight_hh_l0"][0, 0] = np.nan  # in place: the NaN a diverged fit leaves
        outputs.append((saturated, net.forward(x)[0]))
    (saturated_ref, nan_ref), (saturated, nan_ours) = outputs
    np.testing.assert_allclose(saturated, saturated_ref, rtol=1e-6, atol=1e-6)
    assert np.isnan(nan_ref).any()
    np.testing.assert_array_equal(np.isnan(nan_ours), np.isnan(nan_ref))


def test_float32_tanh_is_within_a_few_ulps():
    x = np.linspace(-12, 12, 200_001).astype(np.float32)
    ours = np.array([tanh_rational(v) for v in x[::97]], dtype=np.float32)
    reference = np.tanh(x[::97].astype(np.float64))
    assert np.max(np.abs(ours - reference)) < 3e-7  # 5 ulps of 1 in float32 is 6e-7
    assert tanh_rational(np.float32(9.5)) == 1.0 and tanh_rational(np.float32(-20.0)) == -1.0


def test_regressor_fits_the_same_model_on_both_engines():
    data = np.random.default_rng(0)
    X = data.standard_normal((96, 8, 1))
    y = X.mean(axis=1)
    fits = [
        RNNRegressor("gru", hidden_size=8, epochs=3, dtype="float64", random_state=0, engine=e).fit(
            X, y
        )
        for e in ("numpy", "numba")
    ]
    assert [f.network_.engine for f in fits] == ["numpy", "numba"]
    np.testing.assert_allclose(fits[1].predict(X), fits[0].predict(X), rtol=1e-9, atol=1e-12)


def test_auto_takes_the_environment_variable_then_numba(monkeypatch):
    monkeypatch.delenv(engines.ENV_VAR, raising=False)
    assert engines.resolve_engine("auto") == "numba"
    monkeypatch.setenv(engines.ENV_VAR, "numpy")
    assert engines.resolve_engine("auto") == "numpy"
    assert engines.resolve_engine("numba") == "numba"  # an explicit engine wins


def test_auto_without_numba_is_numpy_and_numba_asks_for_the_extra(monkeypatch):
    monkeypatch.delenv(engines.ENV_VAR, raising=False)
    monkeypatch.setattr(engines, "numba_available", lambda: False)
    assert RecurrentNetwork("lstm", 1, 4, engine="auto").engine == "numpy"
    with pytest.raises(ImportError, match=r'pip install "forecast\[fast\]"'):
        RecurrentNetwork("lstm", 1, 4, engine="numba")
    monkeypatch.setenv(engines.ENV_VAR, "numba")
    with pytest.raises(ImportError, match="forecast.fast"):
        RNNRegressor(engine="auto").fit(np.zeros((10, 3, 1)), np.zeros(10))


def test_unknown_engine_is_a_named_value_error(monkeypatch):
    with pytest.raises(ValueError, match=r"engine='cuda'.*'auto', 'numpy', 'numba'"):
        RecurrentNetwork("rnn", 1, 4, engine="cuda")
    with pytest.raises(ValueError, match=r"engine='torch'"):
        RNNRegressor(engine="torch").fit(np.zeros((10, 3, 1)), np.zeros(10))
    monkeypatch.setenv(engines.ENV_VAR, "fortran")
    with pytest.raises(ValueError, match=r"FORECAST_ENGINE='fortran'"):
        RecurrentNetwork("rnn", 1, 4)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_every_rnn_estimator_trains_on_the_engine_it_is_given(engine):
    close = forecast.load_dataset("sp500")["close"].iloc[-120:]
    small = dict(hidden_size=4, epochs=1, random_state=0, engine=engine)
    forecaster = forecast.RNNForecaster(**small).fit(close)
    global_model = forecast.GlobalRNNForecaster(**small, k1=5, batch_size=4).fit_many(
        {"a": close, "b": 2 * close}
    )
    X, _ = forecast.make_windows(np.log(close).diff().dropna().to_numpy(), window=5)
    up = (np.arange(len(X)) % 2).astype(int)
    regressor = forecast.RNNRegressor(**small).fit(X, X[:, -1])
    classifier = forecast.RNNClassifier(**small).fit(X, up)
    assert forecaster.network_.engine == global_model.network_.engine == engine
    assert regressor.network_.engine == classifier.network_.engine == engine
    assert forecaster.get_params()["engine"] == classifier.get_params()["engine"] == engine
