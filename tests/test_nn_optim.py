"""Optimisers, gradient clipping and losses: hand-computed updates, convergence, training."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from forecast.nn import (
    SGD,
    Adam,
    AdamW,
    RecurrentNetwork,
    bptt_step,
    clip_grad_norm,
    get_loss,
    global_norm,
    huber,
    mae,
    make_optimizer,
    mse,
)


def run(optimizer, grads_sequence, p0):
    params = {"p": np.array(p0, dtype=np.float64)}
    out = []
    for g in grads_sequence:
        optimizer.step(params, {"p": np.array(g, dtype=np.float64)})
        out.append(params["p"].copy())
    return np.array(out)


def test_sgd_plain_momentum_and_nesterov_by_hand():
    ones = [[1.0]] * 3
    np.testing.assert_allclose(run(SGD(lr=0.1), ones, [1.0])[:, 0], [0.9, 0.8, 0.7])
    # b = 1, 1.9, 2.71; p -= 0.1 b
    np.testing.assert_allclose(
        run(SGD(lr=0.1, momentum=0.9), ones, [1.0])[:, 0], [0.9, 0.71, 0.439]
    )
    # Nesterov steps along g + 0.9 b: 1.9, 2.71, 3.439
    np.testing.assert_allclose(
        run(SGD(lr=0.1, momentum=0.9, nesterov=True), ones, [1.0])[:, 0], [0.81, 0.539, 0.1951]
    )
    # coupled weight decay: g = 0 + 0.5 * p
    np.testing.assert_allclose(run(SGD(lr=0.1, weight_decay=0.5), [[0.0]], [2.0])[:, 0], [1.9])


def test_adam_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    got = run(Adam(lr=lr), [[3.0], [-1.0]], [1.0])[:, 0]
    m1, v1 = 0.1 * 3.0, 0.001 * 9.0
    p1 = 1.0 - lr / (1 - b1) * m1 / (np.sqrt(v1 / (1 - b2)) + eps)
    m2, v2 = b1 * m1 + 0.1 * -1.0, b2 * v1 + 0.001 * 1.0
    p2 = p1 - lr / (1 - b1**2) * m2 / (np.sqrt(v2 / (1 - b2**2)) + eps)
    np.testing.assert_allclose(got, [p1, p2], rtol=1e-13)
    assert p1 == pytest.approx(0.9)  # Adam's first step has length ~lr


def test_adamw_decay_is_decoupled_from_the_gradient():
    """With a zero gradient AdamW only shrinks p by (1 - lr * wd); Adam's coupled decay goes
    through the moments and moves p by ~lr."""
    shrunk = run(AdamW(lr=0.1, weight_decay=0.5), [[0.0], [0.0]], [2.0])[:, 0]
    np.testing.assert_allclose(shrunk, [2.0 * 0.95, 2.0 * 0.95**2], rtol=1e-15)
    coupled = run(Adam(lr=0.1, weight_decay=0.5), [[0.0]], [2.0])[:, 0]
    assert coupled[0] == pytest.approx(1.9, abs=1e-6)
    assert AdamW().weight_decay == 0.01 and AdamW().decoupled_weight_decay


@pytest.mark.parametrize(
    "optimizer",
    [
        SGD(lr=0.02),
        SGD(lr=0.02, momentum=0.9),
        SGD(lr=0.02, momentum=0.9, nesterov=True),
        Adam(lr=0.05),
        AdamW(lr=0.05, weight_decay=1e-4),
    ],
    ids=["sgd", "momentum", "nesterov", "adam", "adamw"],
)
def test_optimizers_solve_least_squares(optimizer):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((20, 5))
    solution = rng.standard_normal(5)
    b = A @ solution
    params = {"w": np.zeros(5)}
    for _ in range(2000):
        residual = A @ params["w"] - b
        optimizer.step(params, {"w": A.T @ residual / len(b)})  # grad of 0.5 * mean(residual^2)
    np.testing.assert_allclose(params["w"], solution, atol=1e-3)


def test_step_updates_arrays_in_place_and_keeps_state_per_name():
    params = {"a": np.ones(3), "b": np.ones(2)}
    arrays = {k: id(v) for k, v in params.items()}
    optimizer = Adam()
    optimizer.step(params, {"a": np.ones(3), "b": -np.ones(2)})
    assert {k: id(v) for k, v in params.items()} == arrays
    assert set(optimizer.state) == {"a", "b"} and optimizer.steps == 1
    assert params["a"][0] < 1.0 < params["b"][0]


def test_make_optimizer_by_name():
    assert isinstance(make_optimizer("sgd"), SGD)
    assert isinstance(make_optimizer("Adam", lr=0.1), Adam)
    adamw = make_optimizer("adamw", weight_decay=0.1)
    assert isinstance(adamw, AdamW) and adamw.weight_decay == 0.1
    nesterov = make_optimizer("sgd", lr=0.1, momentum=0.9, nesterov=True)
    assert nesterov.nesterov and nesterov.momentum == 0.9


def test_clip_grad_norm():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    assert global_norm(grads) == 5.0
    assert clip_grad_norm(grads, 10.0) == 5.0
    np.testing.assert_array_equal(grads["a"], [3.0, 0.0])  # below the cap: untouched
    assert clip_grad_norm(grads, 1.0) == 5.0  # returns the norm before clipping
    np.testing.assert_allclose(grads["a"], [0.6, 0.0], rtol=1e-6)
    np.testing.assert_allclose(grads["b"], [[0.8]], rtol=1e-6)
    assert global_norm(grads) == pytest.approx(1.0, rel=1e-6)


def test_clip_grad_norm_refuses_non_finite_gradients():
    grads = {"weight_hh_l0": np.array([np.inf, 1.0]), "head.bias": np.zeros(1)}
    with pytest.raises(ValueError, match=r"non-finite gradients in \['weight_hh_l0'\]"):
        clip_grad_norm(grads, 1.0)


def test_losses_by_hand():
    pred, target = np.array([0.5, 3.0, -2.0]), np.array([0.0, 0.0, -2.0])
    value, grad = mse(pred, target)
    assert value == pytest.approx((0.25 + 9.0) / 3)
    np.testing.assert_allclose(grad, [1.0 / 3, 2.0, 0.0])
    value, grad = mae(pred, target)
    assert value == pytest.approx(3.5 / 3)
    np.testing.assert_allclose(grad, [1 / 3, 1 / 3, 0.0])  # sign(0) = 0 at the tie
    value, grad = huber(pred, target)
    assert value == pytest.approx((0.125 + 2.5) / 3)  # 0.5 d^2 inside delta=1, d - 0.5 beyond
    np.testing.assert_allclose(grad, [0.5 / 3, 1 / 3, 0.0])
    value, grad = huber(pred, target, delta=2.0)
    assert value == pytest.approx((0.125 + 2.0 * (3.0 - 1.0)) / 3)
    np.testing.assert_allclose(grad, [0.5 / 3, 2 / 3, 0.0])


@pytest.mark.parametrize("loss", [mse, mae, huber, functools.partial(huber, delta=0.3)])
def test_loss_gradients_match_finite_differences(loss):
    rng = np.random.default_rng(1)
    pred, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    _, grad = loss(pred, target)
    numeric = np.zeros_like(pred)
    for i in np.ndindex(pred.shape):
        e = np.zeros_like(pred)
        e[i] = 1e-6
        numeric[i] = (loss(pred + e, target)[0] - loss(pred - e, target)[0]) / 2e-6
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_losses_keep_float32():
    pred = np.ones((2, 3), dtype=np.float32)
    for loss in (mse, mae, huber):
        value, grad = loss(pred, np.zeros_like(pred))
        assert grad.dtype == np.float32 and isinstance(value, float)


def test_get_loss():
    assert get_loss("mse") is mse and get_loss("mae") is mae and get_loss("huber") is huber
    custom = functools.partial(huber, delta=0.5)
    assert get_loss(custom) is custom


@pytest.mark.parametrize("name, lr", [("sgd", 0.3), ("adam", 0.01), ("adamw", 0.01)])
@pytest.mark.parametrize("loss", ["mse", "mae", "huber"])
def test_training_steps_reduce_a_many_to_one_loss(name, lr, loss):
    """Learn the mean of a window of 20 inputs (many-to-one) with each optimiser and loss."""
    rng = np.random.default_rng(0)
    net = RecurrentNetwork("gru", 1, 8, rng=0)
    optimizer = make_optimizer(name, lr=lr, **({"momentum": 0.9} if name == "sgd" else {}))
    x_val = rng.standard_normal((20, 256, 1)).astype(np.float32)
    y_val = x_val.mean(axis=0)

    def val_mse() -> float:
        return float(np.mean((net.forward(x_val)[0][-1] - y_val) ** 2))

    before = val_mse()
    for _ in range(150):
        x = rng.standard_normal((20, 32, 1)).astype(np.float32)
        bptt_step(net, x, x.mean(axis=0), optimizer=optimizer, loss=loss, clip_norm=1.0)
    assert val_mse() < before / 5
