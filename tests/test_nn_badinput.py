"""Bad input to the engine raises a clear error that names the problem and the value."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.nn import (
    SGD,
    Adam,
    RecurrentNetwork,
    bptt,
    bptt_step,
    clip_grad_norm,
    get_loss,
    make_optimizer,
    mse,
    tbptt_windows,
    train_tbptt,
)


@pytest.fixture
def lstm() -> RecurrentNetwork:
    return RecurrentNetwork("lstm", input_size=2, hidden_size=3, num_layers=2, rng=0)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            {"cell": "transformer"},
            ValueError,
            r"unknown cell='transformer'; valid choices are 'rnn'",
        ),
        ({"cell": "RNN"}, ValueError, r"unknown cell='RNN'"),
        ({"nonlinearity": "sigmoid"}, ValueError, r"unknown nonlinearity='sigmoid'"),
        ({"cell": "lstm", "nonlinearity": "relu"}, ValueError, r"applies to cell='rnn' only"),
        ({"hidden_size": 0}, ValueError, r"hidden_size must be >= 1, got hidden_size=0"),
        ({"hidden_size": 8.0}, TypeError, r"hidden_size must be an integer, got 8.0"),
        ({"num_layers": 0}, ValueError, r"num_layers must be >= 1, got num_layers=0"),
        ({"input_size": -1}, ValueError, r"input_size must be >= 1, got input_size=-1"),
        ({"dropout": 1.0}, ValueError, r"dropout must be < 1, got dropout=1.0"),
        ({"dropout": -0.1}, ValueError, r"dropout must be >= 0.0, got dropout=-0.1"),
        ({"dtype": np.float16}, TypeError, r"dtype must be float32 or float64, got dtype=float16"),
        ({"dtype": "int64"}, TypeError, r"dtype must be float32 or float64, got dtype=int64"),
        ({"forget_bias": 1.0}, ValueError, r"not to 'rnn'; got forget_bias=1.0"),
        ({"cell": "gru", "forget_bias": float("nan")}, ValueError, r"forget_bias must be finite"),
    ],
)
def test_bad_constructor_arguments(kwargs, error, match):
    arguments = {"cell": "rnn", "input_size": 1, "hidden_size": 4, **kwargs}
    with pytest.raises(error, match=match):
        RecurrentNetwork(**arguments)


@pytest.mark.parametrize(
    "x, error, match",
    [
        (
            np.zeros((5, 2)),
            ValueError,
            r"x must be 3-D \(T, B, D\) time-major, got an array of shape \(5, 2\)",
        ),
        (
            np.zeros((5, 4, 3)),
            ValueError,
            r"x must have shape \(\*, \*, 2\) .*got \(5, 4, 3\) \(axis 2 is 3, expected 2\)",
        ),
        (np.zeros((0, 4, 2)), ValueError, r"x must not be empty, got shape \(0, 4, 2\)"),
        (
            np.zeros((5, 4, 2), dtype=np.int64),
            TypeError,
            r"x must be a floating-point array, got dtype int64",
        ),
        (np.zeros((5, 4, 2), dtype=bool), TypeError, r"got dtype bool"),
        (np.zeros((5, 4, 2), dtype=complex), TypeError, r"got dtype complex128"),
        ([[["a", "b"]]], TypeError, r"got dtype <U1"),
    ],
)
def test_bad_inputs_to_forward(lstm, x, error, match):
    with pytest.raises(error, match=match):
        lstm.forward(x)


@pytest.mark.parametrize("bad, kind", [(np.nan, "NaN"), (np.inf, "inf"), (-np.inf, "inf")])
def test_non_finite_input_is_refused_naming_its_position(lstm, bad, kind):
    x = np.zeros((5, 4, 2))
    x[3, 1, 0] = bad
    x[4, 0, 1] = bad
    with pytest.raises(
        ValueError,
        match=rf"x contains 2 non-finite value\(s\); the first is {kind} at index \(3, 1, 0\)",
    ):
        lstm.forward(x)


def test_bad_states(lstm):
    x = np.zeros((5, 4, 2))
    h = np.zeros((2, 4, 3))
    with pytest.raises(
        TypeError, match=r"state must be a tuple \(h, c\) of 2 array\(s\), got a tuple of length 1"
    ):
        lstm.forward(x, (h,))
    with pytest.raises(TypeError, match=r"got a ndarray"):
        lstm.forward(x, h)
    with pytest.raises(
        ValueError, match=r"state\[1\] \(c\) must have shape \(2, 4, 3\) .*got \(2, 5, 3\)"
    ):
        lstm.forward(x, (h, np.zeros((2, 5, 3))))
    nan_c = np.zeros((2, 4, 3))
    nan_c[1, 2, 0] = np.nan
    with pytest.raises(
        ValueError, match=r"state\[1\] \(c\) contains 1 non-finite .* NaN at index \(1, 2, 0\)"
    ):
        lstm.forward(x, (h, nan_c))


def test_bad_backward_arguments(lstm):
    y, _, cache = lstm.forward(np.zeros((5, 4, 2)))
    with pytest.raises(ValueError, match=r"dy must have shape \(5, 4, 1\) .*got \(4, 4, 1\)"):
        lstm.backward(np.zeros((4, 4, 1)), cache)
    dy = np.zeros_like(y)
    dy[4, 3, 0] = np.nan
    with pytest.raises(
        ValueError,
        match=r"dy contains 1 non-finite value\(s\); the first is NaN at index \(4, 3, 0\)",
    ):
        lstm.backward(dy, cache)
    with pytest.raises(ValueError, match=r"dstate\[0\] \(h\) must have shape \(2, 4, 3\)"):
        lstm.backward(np.zeros_like(y), cache, dstate=(np.zeros((1, 4, 3)), np.zeros((2, 4, 3))))


def test_set_weights_lists_every_missing_extra_and_misshaped_array(lstm):
    weights = lstm.get_weights()
    del weights["bias_hh_l1"]
    del weights["head.bias"]
    weights["head.scale"] = np.ones(1)
    weights["weight_hh_l0"] = np.zeros((3, 3))
    with pytest.raises(ValueError) as info:
        lstm.set_weights(weights)
    message = str(info.value)
    assert "missing ['bias_hh_l1', 'head.bias']" in message
    assert "unexpected ['head.scale']" in message
    assert "weight_hh_l0: expected (12, 3), got (3, 3)" in message
    before = lstm.get_weights()
    assert all(np.array_equal(before[k], v) for k, v in lstm.params.items())  # nothing changed


def test_set_weights_refuses_non_finite_and_non_numeric_values(lstm):
    weights = lstm.get_weights()
    weights["head.weight"] = np.full((1, 3), np.nan)
    with pytest.raises(ValueError, match=r"weights\['head.weight'\] contains 3 non-finite"):
        lstm.set_weights(weights)
    weights["head.weight"] = np.array([["a", "b", "c"]])
    with pytest.raises(TypeError, match=r"weights\['head.weight'\] must be numeric, got dtype <U1"):
        lstm.set_weights(weights)
    with pytest.raises(TypeError, match=r"weights must be a dict of arrays, got list"):
        lstm.set_weights([1, 2])


def test_state_at_out_of_range(lstm):
    _, _, cache = lstm.forward(np.zeros((5, 4, 2)))
    with pytest.raises(ValueError, match=r"step must be <= T=5, got step=6"):
        lstm.state_at(cache, 6)
    with pytest.raises(ValueError, match=r"step must be >= 0, got step=-1"):
        lstm.state_at(cache, -1)


@pytest.mark.parametrize(
    "k1, k2, error, match",
    [
        (5, 3, ValueError, r"k2 >= k1 .*got k1=5, k2=3"),
        (0, 3, ValueError, r"k1 must be >= 1, got k1=0"),
        (2.5, 3, TypeError, r"k1 must be an integer, got 2.5"),
        (2, None, TypeError, r"k2 must be an integer, got None"),
    ],
)
def test_bad_truncation_lengths(k1, k2, error, match):
    with pytest.raises(error, match=match):
        list(tbptt_windows(10, k1, k2))
    net = RecurrentNetwork("gru", 1, 2, rng=0)
    with pytest.raises(error, match=match):
        train_tbptt(net, np.zeros((10, 1, 1)), np.zeros((10, 1, 1)), k1=k1, k2=k2, optimizer=SGD())


def test_bad_targets():
    net = RecurrentNetwork("gru", 1, 2, rng=0)
    x = np.zeros((10, 3, 1))
    with pytest.raises(ValueError, match=r"y covers 11 steps but x has only T=10"):
        bptt(net, x, np.zeros((11, 3, 1)))
    with pytest.raises(ValueError, match=r"y must have shape \(\*, 3, 1\) .*got \(10, 2, 1\)"):
        bptt(net, x, np.zeros((10, 2, 1)))
    y = np.zeros((3, 1))
    y[2, 0] = np.nan
    with pytest.raises(
        ValueError,
        match=r"y contains 1 non-finite value\(s\); the first is NaN at index \(0, 2, 0\)",
    ):
        bptt(net, x, y)
    with pytest.raises(ValueError, match=r"y must have shape \(10, 3, 1\) .*got \(9, 3, 1\)"):
        train_tbptt(net, x, np.zeros((9, 3, 1)), k1=2, k2=2, optimizer=SGD())


def test_unknown_names():
    with pytest.raises(
        ValueError, match=r"unknown optimizer='adagrad'; valid choices are 'sgd', 'adam', 'adamw'"
    ):
        make_optimizer("adagrad")
    with pytest.raises(
        ValueError, match=r"unknown loss='rmse'; valid choices are 'mse', 'mae', 'huber'"
    ):
        get_loss("rmse")
    net = RecurrentNetwork("gru", 1, 2, rng=0)
    with pytest.raises(ValueError, match=r"unknown optimizer='rmsprop'"):
        train_tbptt(net, np.zeros((4, 1, 1)), np.zeros((4, 1, 1)), k1=2, k2=2, optimizer="rmsprop")


def test_bad_optimizer_arguments_and_usage():
    with pytest.raises(ValueError, match=r"lr must be > 0.0, got lr=0.0"):
        SGD(lr=0.0)
    with pytest.raises(ValueError, match=r"nesterov=True needs momentum > 0, got momentum=0.0"):
        SGD(nesterov=True)
    with pytest.raises(ValueError, match=r"momentum must be < 1, got momentum=1.0"):
        SGD(momentum=1.0)
    with pytest.raises(ValueError, match=r"betas must be < 1, got betas=\(0.9, 1.0\)"):
        Adam(betas=(0.9, 1.0))
    with pytest.raises(ValueError, match=r"eps must be > 0.0, got eps=0.0"):
        Adam(eps=0.0)
    with pytest.raises(TypeError, match=r"nesterov must be True or False, got 'yes'"):
        SGD(momentum=0.9, nesterov="yes")
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'momentum'"):
        make_optimizer("adam", momentum=0.9)
    params = {"w": np.zeros(2), "b": np.zeros(1)}
    with pytest.raises(
        ValueError,
        match=r"missing \['b'\], unexpected \['c'\], wrong shape: w: param \(2,\), grad \(3,\)",
    ):
        Adam().step(params, {"w": np.zeros(3), "c": np.zeros(1)})
    net = RecurrentNetwork("gru", 1, 2, rng=0)
    with pytest.raises(
        TypeError, match=r"bptt_step needs an optimiser object, got the name 'adam'"
    ):
        bptt_step(net, np.zeros((3, 1, 1)), np.zeros((1, 1)), optimizer="adam")
    with pytest.raises(TypeError, match=r"optimizer must have a step\(params, grads\) method"):
        bptt_step(net, np.zeros((3, 1, 1)), np.zeros((1, 1)), optimizer=object())
    with pytest.raises(ValueError, match=r"max_norm must be > 0.0, got max_norm=-1.0"):
        clip_grad_norm({"w": np.ones(1)}, -1.0)
    with pytest.raises(ValueError, match=r"clip_norm must be > 0.0, got clip_norm=0.0"):
        bptt_step(net, np.zeros((3, 1, 1)), np.zeros((1, 1)), optimizer=SGD(), clip_norm=0.0)


def test_loss_shape_mismatch():
    with pytest.raises(
        ValueError, match=r"pred and target must have the same shape, got \(3, 1\) and \(3,\)"
    ):
        mse(np.zeros((3, 1)), np.zeros(3))
