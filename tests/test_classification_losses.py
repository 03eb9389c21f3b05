"""Sigmoid and softmax heads: binary and multi-class cross-entropy of logits, and sampling.

Oracles: PyTorch's ``binary_cross_entropy_with_logits`` and ``cross_entropy`` (values and
gradients to 1e-10 in float64, also through a whole network trained by BPTT), central finite
differences in float64 (relative error below 1e-6), the closed forms at logits of +-1e4, and
SciPy's ``softmax`` for the sampling frequencies.
"""

from __future__ import annotations

import numpy as np
import pytest
from _gradcheck import numerical_gradient, rel_error
from scipy import special, stats

from forecast.nn import (
    RecurrentNetwork,
    binary_cross_entropy,
    bptt,
    cross_entropy,
    get_loss,
    log_softmax,
    sample_softmax,
    softmax,
)

T, B, D, H = 6, 3, 2, 4
TOL = 1e-6


def logits(shape, seed=0, scale=3.0) -> np.ndarray:
    return scale * np.random.default_rng(seed).standard_normal(shape)


# ---------------------------------------------------------------- the losses against torch


SHAPES = [(7, 1), (7, 3), (T, B, 1), (T, B, 4)]  # (B, O) many-to-one, (T, B, O) many-to-many


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_binary_cross_entropy_equals_torch_with_logits_in_value_and_gradient(shape):
    torch = pytest.importorskip("torch")
    z = logits(shape)
    z.reshape(-1)[:2] = (1e4, -1e4)  # saturated logits, as large as the issue asks
    y = (np.random.default_rng(1).random(shape) < 0.5).astype(np.float64)
    value, dz = binary_cross_entropy(z, y)

    zt = torch.tensor(z, requires_grad=True)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(zt, torch.tensor(y))
    expected.backward()
    assert value == pytest.approx(expected.item(), rel=1e-10, abs=1e-10)
    np.testing.assert_allclose(dz, zt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(7, 2), (7, 5), (T, B, 3)], ids=str)
@pytest.mark.parametrize("trailing_one", [True, False], ids=["target (..., 1)", "target (...)"])
def test_cross_entropy_equals_torch_in_value_and_gradient(shape, trailing_one):
    torch = pytest.importorskip("torch")
    z = logits(shape)
    z.reshape(-1)[:2] = (1e4, -1e4)
    c = np.random.default_rng(2).integers(0, shape[-1], shape[:-1])
    value, dz = cross_entropy(z, c[..., None] if trailing_one else c)

    zt = torch.tensor(z, requires_grad=True)
    # torch wants the classes on axis 1: (N, C) or (N, C, d1, ...)
    moved = zt if zt.ndim == 2 else zt.movedim(-1, 1)
    expected = torch.nn.functional.cross_entropy(moved, torch.tensor(c))
    expected.backward()
    assert value == pytest.approx(expected.item(), rel=1e-10, abs=1e-10)
    np.testing.assert_allclose(dz, zt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_float_class_indices_are_read_as_the_integers_they_hold():
    z = logits((5, 3))
    c = np.array([0, 2, 1, 1, 0])
    value, dz = cross_entropy(z, c.astype(np.float32))
    assert value == cross_entropy(z, c)[0]
    np.testing.assert_array_equal(dz, cross_entropy(z, c)[1])
    assert cross_entropy(z, c)[1].dtype == np.float64
    assert cross_entropy(z.astype(np.float32), c)[1].dtype == np.float32


# ---------------------------------------------------------------- stability and closed forms


def test_losses_stay_exact_at_logits_of_ten_thousand():
    z = np.array([1e4, -1e4, 1e4, -1e4])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    value, dz = binary_cross_entropy(z, y)
    # softplus(z) - y z: 1e4 and 1e4 for the wrong sides, e^{-1e4} ~ 0 for the right sides
    assert value == pytest.approx((1e4 + 1e4) / 4, rel=1e-15)
    np.testing.assert_array_equal(dz, np.array([1.0, -1.0, 0.0, 0.0]) / 4)

    value, dz = cross_entropy(np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0]]), np.array([1, 0]))
    assert value == pytest.approx(2e4 / 2, rel=1e-15)  # logsumexp = 1e4; -(-1e4) and 0
    np.testing.assert_array_equal(dz, np.array([[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]]) / 2)


def test_uniform_logits_give_log_of_the_number_of_classes():
    assert binary_cross_entropy(np.zeros((4, 1)), np.ones((4, 1)))[0] == pytest.approx(np.log(2))
    assert cross_entropy(np.zeros((4, 5)), np.arange(4))[0] == pytest.approx(np.log(5))


def test_softmax_and_log_softmax_equal_scipy_with_a_temperature():
    z = logits((4, 6))
    z[0, 0] = 1e4
    for temperature in (0.5, 1.0, 2.0):
        np.testing.assert_allclose(softmax(z, temperature), special.softmax(z / temperature, -1))
        np.testing.assert_allclose(
            log_softmax(z, temperature), special.log_softmax(z / temperature, -1), atol=1e-12
        )


# ---------------------------------------------------------------- finite differences


@pytest.mark.parametrize("name", ["bce", "cross_entropy"])
def test_loss_gradients_equal_central_finite_differences(name):
    z = logits((5, 3), scale=2.0)
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, (5, 1)) if name == "cross_entropy" else rng.random((5, 3))
    loss = get_loss(name)
    _, dz = loss(z, y)
    numeric = numerical_gradient(lambda: loss(z, y)[0], z)
    assert rel_error(dz, numeric) < TOL


def network_case(cell, loss, many_to_one, seed=0):
    n_classes = 3 if loss == "cross_entropy" else 2
    net = RecurrentNetwork(cell, D, H, 1, n_classes, dtype=np.float64, rng=seed)
    rng = np.random.default_rng(seed + 1)
    x = rng.standard_normal((T, B, D))
    steps = (B,) if many_to_one else (T, B)
    if loss == "cross_entropy":
        y = rng.integers(0, n_classes, steps + (1,)).astype(np.float64)
    else:
        y = rng.integers(0, 2, steps + (n_classes,)).astype(np.float64)
    return net, x, y


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("loss", ["bce", "cross_entropy"])
@pytest.mark.parametrize("many_to_one", [True, False], ids=["many-to-one", "many-to-many"])
def test_bptt_gradients_under_classification_losses_equal_finite_differences(
    cell, loss, many_to_one
):
    net, x, y = network_case(cell, loss, many_to_one)
    grads = bptt(net, x, y, loss).grads
    for name in ("weight_hh_l0", "weight_ih_l0", "head.weight"):
        numeric = numerical_gradient(lambda: bptt(net, x, y, loss).loss, net.params[name])
        assert rel_error(grads[name], numeric) < TOL, name


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("loss", ["bce", "cross_entropy"])
@pytest.mark.parametrize("many_to_one", [True, False], ids=["many-to-one", "many-to-many"])
def test_bptt_under_classification_losses_equals_torch(cell, loss, many_to_one):
    torch = pytest.importorskip("torch")
    net, x, y = network_case(cell, loss, many_to_one)
    result = bptt(net, x, y, loss)

    base = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    model = base(D, H, 1).double()
    model.head = torch.nn.Linear(H, net.output_size).double()
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in net.get_weights().items()})
    out, _ = model(torch.from_numpy(x))
    logit = model.head(out)[-1:] if many_to_one else model.head(out)  # (k, B, C)
    target = torch.from_numpy(y.reshape(logit.shape[:-1] + (-1,)))
    if loss == "cross_entropy":
        value = torch.nn.functional.cross_entropy(
            logit.reshape(-1, net.output_size), target.reshape(-1).long()
        )
    else:
        value = torch.nn.functional.binary_cross_entropy_with_logits(logit, target)
    value.backward()
    assert result.loss == pytest.approx(value.item(), rel=1e-10)
    for name, param in model.named_parameters():
        np.testing.assert_allclose(result.grads[name], param.grad.numpy(), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- sampling


def test_sample_softmax_draws_with_the_tempered_probabilities():
    z = np.array([1.0, 0.0, -1.0, 2.0])
    n = 20_000
    for temperature in (0.5, 2.0):
        draws = sample_softmax(np.tile(z, (n, 1)), temperature, rng=0)
        counts = np.bincount(draws, minlength=4)
        expected = n * special.softmax(z / temperature)
        assert stats.chisquare(counts, expected).pvalue > 1e-3


def test_a_low_temperature_samples_the_most_likely_class_and_a_seed_repeats_the_draws():
    z = logits((50, 5))
    np.testing.assert_array_equal(sample_softmax(z, 1e-3, rng=1), z.argmax(axis=1))
    np.testing.assert_array_equal(sample_softmax(z, rng=7), sample_softmax(z, rng=7))
    assert sample_softmax(z[0], rng=0).shape == ()


# ---------------------------------------------------------------- selection and bad input


def test_losses_are_selected_by_name():
    assert get_loss("bce") is binary_cross_entropy
    assert get_loss("cross_entropy") is cross_entropy
    with pytest.raises(ValueError, match=r"unknown loss='ce'; valid choices are .*'bce', "):
        get_loss("ce")


def test_bad_targets_and_temperatures_are_named():
    with pytest.raises(ValueError, match=r"targets in \[0, 1\].*the first is 2.0"):
        binary_cross_entropy(np.zeros(3), np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"target must have the shape of pred, \(3,\)"):
        binary_cross_entropy(np.zeros(3), np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"class index 3, but the head has 3 logits"):
        cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"class indices \(whole numbers 0 .. 2\), got 0.5"):
        cross_entropy(np.zeros((2, 3)), np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match=r"one class index per row of pred \(shape \(2, 3\)\)"):
        cross_entropy(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"pred must hold finite logits, got nan"):
        cross_entropy(np.array([[np.nan, 0.0]]), np.array([0]))
    with pytest.raises(ValueError, match=r"temperature must be > 0.0, got temperature=0.0"):
        sample_softmax(np.zeros(3), temperature=0.0)
    net = RecurrentNetwork("rnn", 1, 2, output_size=3, dtype=np.float64, rng=0)
    with pytest.raises(ValueError, match=r"y must have shape \(\*, 2, 1\)"):
        bptt(net, np.zeros((4, 2, 1)), np.zeros((4, 2, 3)), "cross_entropy")
