"""RecurrentNetwork without torch: layout, initialisation, weights, dropout and state carrying."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.nn import RecurrentNetwork

CELLS = ["rnn", "lstm", "gru"]


@pytest.mark.parametrize("cell, gates", [("rnn", 1), ("lstm", 4), ("gru", 3)])
def test_parameter_names_and_shapes_are_pytorchs(cell, gates):
    net = RecurrentNetwork(cell, input_size=3, hidden_size=5, num_layers=2, output_size=2, rng=0)
    assert {name: p.shape for name, p in net.params.items()} == {
        "weight_ih_l0": (gates * 5, 3),
        "weight_hh_l0": (gates * 5, 5),
        "bias_ih_l0": (gates * 5,),
        "bias_hh_l0": (gates * 5,),
        "weight_ih_l1": (gates * 5, 5),
        "weight_hh_l1": (gates * 5, 5),
        "bias_ih_l1": (gates * 5,),
        "bias_hh_l1": (gates * 5,),
        "head.weight": (2, 5),
        "head.bias": (2,),
    }
    assert all(p.dtype == np.float32 for p in net.params.values())


def test_initialisation_is_uniform_within_one_over_sqrt_hidden_and_seeded():
    net = RecurrentNetwork("lstm", 1, 100, rng=0)
    weights = net.params["weight_hh_l0"]
    assert np.abs(weights).max() <= 0.1
    assert np.abs(weights).max() > 0.0999  # fills the interval
    assert np.std(weights) == pytest.approx(0.1 / np.sqrt(3), rel=0.02)
    again = RecurrentNetwork("lstm", 1, 100, rng=0)
    other = RecurrentNetwork("lstm", 1, 100, rng=1)
    assert all(np.array_equal(again.params[k], v) for k, v in net.params.items())
    assert not np.array_equal(other.params["weight_hh_l0"], weights)
    generator = np.random.default_rng(0)
    from_generator = RecurrentNetwork("lstm", 1, 100, rng=generator)
    assert np.array_equal(from_generator.params["weight_hh_l0"], weights)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_forget_bias_shifts_the_keep_gate_only(cell):
    plain = RecurrentNetwork(cell, 2, 4, num_layers=2, rng=0)
    biased = RecurrentNetwork(cell, 2, 4, num_layers=2, forget_bias=2.0, rng=0)
    for k in range(2):
        shift = biased.params[f"bias_ih_l{k}"] - plain.params[f"bias_ih_l{k}"]
        np.testing.assert_allclose(
            shift, np.r_[np.zeros(4), np.full(4, 2.0), np.zeros(len(shift) - 8)]
        )
        np.testing.assert_array_equal(biased.params[f"bias_hh_l{k}"], plain.params[f"bias_hh_l{k}"])


def test_float64_network_computes_in_float64():
    net = RecurrentNetwork("gru", 1, 4, dtype=np.float64, rng=0)
    y, state, cache = net.forward(np.ones((5, 2, 1), dtype=np.float32))
    grads, dstate0 = net.backward(np.ones_like(y), cache)
    assert y.dtype == state[0].dtype == dstate0[0].dtype == np.float64
    assert all(g.dtype == np.float64 for g in grads.values())


@pytest.mark.parametrize("cell", CELLS)
def test_float32_agrees_with_float64(cell):
    net64 = RecurrentNetwork(cell, 2, 16, num_layers=2, dtype=np.float64, rng=0)
    net32 = RecurrentNetwork(cell, 2, 16, num_layers=2, rng=0)
    net32.set_weights(net64.get_weights())
    x = np.random.default_rng(0).standard_normal((50, 8, 2))
    y64, _, c64 = net64.forward(x)
    y32, _, c32 = net32.forward(x)
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32, y64, atol=1e-5)
    g64, _ = net64.backward(np.ones_like(y64) / y64.size, c64)
    g32, _ = net32.backward(np.ones_like(y32) / y32.size, c32)
    for k in g64:
        np.testing.assert_allclose(g32[k], g64[k], atol=1e-5, rtol=1e-4, err_msg=k)


def test_get_weights_copies_and_set_weights_round_trips():
    net = RecurrentNetwork("lstm", 2, 3, num_layers=2, rng=0)
    weights = net.get_weights()
    weights["head.bias"][:] = 42.0
    assert not np.any(net.params["head.bias"] == 42.0)
    other = RecurrentNetwork("lstm", 2, 3, num_layers=2, rng=1)
    arrays_before = {k: id(v) for k, v in other.params.items()}
    other.set_weights(net.get_weights())
    x = np.random.default_rng(0).standard_normal((4, 2, 2))
    np.testing.assert_array_equal(other.forward(x)[0], net.forward(x)[0])
    assert {k: id(v) for k, v in other.params.items()} == arrays_before  # updated in place


@pytest.mark.parametrize("cell", CELLS)
def test_carrying_the_state_equals_one_long_forward(cell):
    net = RecurrentNetwork(cell, 2, 6, num_layers=2, dtype=np.float64, rng=0)
    x = np.random.default_rng(0).standard_normal((20, 3, 2))
    y, state_T, cache = net.forward(x)
    y1, state1, _ = net.forward(x[:8])
    y2, state2, _ = net.forward(x[8:], state1)
    np.testing.assert_allclose(np.concatenate([y1, y2]), y, atol=1e-14)
    for a, b in zip(state2, state_T, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-14)
    for step, expected in [(0, net.init_state(3)), (8, state1), (20, state_T)]:
        for a, b in zip(net.state_at(cache, step), expected, strict=True):
            np.testing.assert_allclose(a, b, atol=1e-14)


@pytest.mark.parametrize("cell", CELLS)
def test_dropout_only_between_layers_and_only_in_training(cell):
    x = np.random.default_rng(0).standard_normal((10, 64, 1))
    net = RecurrentNetwork(cell, 1, 32, num_layers=2, dropout=0.25, rng=0)
    plain = RecurrentNetwork(cell, 1, 32, num_layers=2, rng=0)
    y_eval = net.forward(x)[0]
    np.testing.assert_array_equal(y_eval, plain.forward(x)[0])  # no dropout at inference
    y_train, _, cache = net.forward(x, train=True, rng=np.random.default_rng(1))
    assert not np.allclose(y_train, y_eval)
    mask = cache.masks[0]
    assert cache.masks[1] is None  # never after the last layer
    assert np.unique(mask).tolist() == pytest.approx([0.0, 1 / 0.75])  # inverted dropout
    assert (mask == 0).mean() == pytest.approx(0.25, abs=0.01)
    same = net.forward(x, train=True, rng=np.random.default_rng(1))[0]
    np.testing.assert_array_equal(same, y_train)  # masks come from the generator passed in
    single = RecurrentNetwork(cell, 1, 32, num_layers=1, dropout=0.25, rng=0)
    np.testing.assert_array_equal(single.forward(x, train=True)[0], single.forward(x)[0])


def test_many_to_one_backward_touches_the_head_only_at_the_last_step():
    net = RecurrentNetwork("lstm", 1, 8, dtype=np.float64, rng=0)
    x = np.random.default_rng(0).standard_normal((30, 4, 1))
    y, _, cache = net.forward(x)
    dy = np.zeros_like(y)
    dy[-1] = 1.0
    grads, _ = net.backward(dy, cache)
    h_T = cache.top[-1]  # (H, B)
    np.testing.assert_allclose(grads["head.weight"], h_T.sum(axis=1)[None], atol=1e-14)
    assert grads["head.bias"].tolist() == [4.0]


def test_work_arrays_are_reused_only_when_nothing_references_them():
    from forecast.nn import _buffers

    shape = (3, 128, 257)  # big enough to be pooled
    first = _buffers.empty(shape, np.float32)
    second = _buffers.empty(shape, np.float32)
    assert not np.shares_memory(first, second)  # `first` is still in use
    view = first[1:]
    address = first.__array_interface__["data"][0]
    del first
    third = _buffers.empty(shape, np.float32)
    assert third.__array_interface__["data"][0] != address  # a view still holds it
    del view
    fourth = _buffers.empty(shape, np.float32)
    assert fourth.__array_interface__["data"][0] == address  # free again: reused
    assert _buffers.empty(shape, np.float64).dtype == np.float64


@pytest.mark.parametrize("cell", CELLS)
def test_caches_kept_alive_stay_valid(cell):
    """Two forward passes, then both backward passes: reused work arrays never alias."""
    net = RecurrentNetwork(cell, 1, 32, dtype=np.float64, rng=0)
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((2, 40, 64, 1))
    y1, _, cache1 = net.forward(x1)
    y2, _, cache2 = net.forward(x2)
    g2, _ = net.backward(np.ones_like(y2), cache2)
    g1, _ = net.backward(np.ones_like(y1), cache1)
    _, _, fresh1 = net.forward(x1)
    expected, _ = net.backward(np.ones_like(y1), fresh1)
    for k in g1:
        np.testing.assert_array_equal(g1[k], expected[k])
    assert not np.allclose(g1["weight_hh_l0"], g2["weight_hh_l0"])
