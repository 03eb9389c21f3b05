"""Every gradient of the engine equals central finite differences in float64.

Checked for every parameter of every cell (RNN tanh and relu, LSTM, GRU), with 1 and 2 layers,
many-to-one and many-to-many losses, the gradient with respect to the initial state, dropout
between layers, and truncated BPTT(k1, k2): there each update's gradient is compared with the
finite-difference gradient of that window's truncated objective, with the carried state held
constant. The relative error ||analytic - numeric|| / (||analytic|| + ||numeric||) must be
below 1e-6 for each array. Running sequences one at a time gives the same outputs and
gradients as running them as a batch.
"""

from __future__ import annotations

import numpy as np
import pytest
from _gradcheck import numerical_gradient, rel_error

from forecast.nn import SGD, RecurrentNetwork, bptt, train_tbptt
from forecast.nn.losses import mse

T, B, D, H, O = 6, 3, 2, 4, 2
CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]
TOL = 1e-6


def make_net(cell, nonlinearity, num_layers, seed=0, **kwargs) -> RecurrentNetwork:
    return RecurrentNetwork(
        cell, D, H, num_layers, O, nonlinearity=nonlinearity, dtype=np.float64, rng=seed, **kwargs
    )


def random_state(net: RecurrentNetwork, rng: np.random.Generator, batch: int = B):
    return tuple(0.5 * rng.standard_normal((net.num_layers, batch, H)) for _ in net.state_names)


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cell, nonlinearity", CELLS)
@pytest.mark.parametrize("many_to_one", [True, False], ids=["many-to-one", "many-to-many"])
def test_parameter_gradients_match_finite_differences(cell, nonlinearity, num_layers, many_to_one):
    rng = np.random.default_rng(1)
    net = make_net(cell, nonlinearity, num_layers)
    x = rng.standard_normal((T, B, D))
    y = rng.standard_normal((B, O) if many_to_one else (T, B, O))
    state = random_state(net, rng)

    result = bptt(net, x, y, "mse", state=state)
    for name, param in net.params.items():
        numeric = numerical_gradient(lambda: bptt(net, x, y, "mse", state=state).loss, param)
        assert np.linalg.norm(numeric) > 1e-6, f"{name}: the check would be vacuous"
        assert rel_error(result.grads[name], numeric) < TOL, name


@pytest.mark.parametrize("cell, nonlinearity", CELLS)
def test_initial_state_gradient_matches_finite_differences(cell, nonlinearity):
    rng = np.random.default_rng(2)
    net = make_net(cell, nonlinearity, num_layers=2)
    x = rng.standard_normal((T, B, D))
    y = rng.standard_normal((T, B, O))
    state = random_state(net, rng)

    def loss() -> float:
        return mse(net.forward(x, state)[0], y)[0]

    y_hat, _, cache = net.forward(x, state)
    _, dy = mse(y_hat, y)
    _, dstate0 = net.backward(dy, cache)
    for part, analytic in zip(net.state_names, dstate0, strict=True):
        numeric = numerical_gradient(loss, state[net.state_names.index(part)])
        assert rel_error(analytic, numeric) < TOL, part


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_final_state_gradient_flows_back(cell):
    """A loss on the final state (dstate_T) backpropagates like a loss on the outputs."""
    rng = np.random.default_rng(3)
    net = make_net(cell, "tanh", num_layers=2)
    x = rng.standard_normal((T, B, D))
    weights = [rng.standard_normal((2, B, H)) for _ in net.state_names]

    def loss() -> float:
        state_T = net.forward(x)[1]
        return float(sum(np.sum(w * s) for w, s in zip(weights, state_T, strict=True)))

    y_hat, _, cache = net.forward(x)
    grads, _ = net.backward(np.zeros_like(y_hat), cache, dstate=tuple(weights))
    for name in ["weight_hh_l0", "weight_ih_l1", "bias_hh_l1"]:
        numeric = numerical_gradient(loss, net.params[name])
        assert rel_error(grads[name], numeric) < TOL, name
    assert not grads["head.weight"].any()


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_gradients_with_dropout_between_layers(cell):
    """With the masks fixed (same seed for every forward), dropout is part of the function."""
    rng = np.random.default_rng(4)
    net = make_net(cell, "tanh", num_layers=2, dropout=0.5)
    x = rng.standard_normal((T, B, D))
    y = rng.standard_normal((T, B, O))

    def run():
        return bptt(net, x, y, "mse", train=True, rng=np.random.default_rng(7))

    result = run()
    assert result.cache.masks[0] is not None and (result.cache.masks[0] == 0).any()
    for name, param in net.params.items():
        numeric = numerical_gradient(lambda: run().loss, param)
        assert rel_error(result.grads[name], numeric) < TOL, name


class RecordingSGD(SGD):
    """SGD that keeps, for every update, the parameters it saw and the gradients it got."""

    def __init__(self, lr: float) -> None:
        super().__init__(lr)
        self.seen: list[tuple[dict, dict]] = []

    def step(self, params, grads) -> None:
        self.seen.append(
            ({k: v.copy() for k, v in params.items()}, {k: g.copy() for k, g in grads.items()})
        )
        super().step(params, grads)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_truncated_bptt_gradient_is_that_of_the_truncated_objective(cell):
    """TBPTT(k1=3, k2=5) over 11 steps: windows [0,3), [1,6), [4,9), [6,11) with losses on
    [0,3), [3,6), [6,9), [9,11). Each update's gradient equals the finite-difference gradient
    of its window's loss with the carried state held constant, and the state is carried from
    the previous window's forward pass (with the parameters of that update)."""
    rng = np.random.default_rng(5)
    net = make_net(cell, "tanh", num_layers=2)
    n_steps = 11
    x = rng.standard_normal((n_steps, B, D))
    y = rng.standard_normal((n_steps, B, O))
    state0 = random_state(net, rng)
    optimizer = RecordingSGD(lr=0.1)
    train_tbptt(net, x, y, k1=3, k2=5, optimizer=optimizer, state=state0)

    windows = [(0, 0, 3), (1, 3, 6), (4, 6, 9), (6, 9, 11)]
    assert len(optimizer.seen) == len(windows)
    ref = make_net(cell, "tanh", num_layers=2)
    carried = state0
    for j, (start, loss_start, stop) in enumerate(windows):
        params, grads = optimizer.seen[j]
        ref.set_weights(params)

        def truncated_loss(start=start, loss_start=loss_start, stop=stop, carried=carried):
            y_hat = ref.forward(x[start:stop], carried)[0]
            return mse(y_hat[loss_start - start :], y[loss_start:stop])[0]

        for name, param in ref.params.items():
            numeric = numerical_gradient(truncated_loss, param)
            assert rel_error(grads[name], numeric) < TOL, (j, name)
        if j + 1 < len(windows):  # the next window starts inside this one
            carried = ref.forward(x[start : windows[j + 1][0]], carried)[1]


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_sequential_equals_batched(cell, dtype, tol):
    rng = np.random.default_rng(6)
    net = RecurrentNetwork(cell, D, H, 2, O, dtype=dtype, rng=0)
    x = rng.standard_normal((T, B, D)).astype(dtype)
    dy = rng.standard_normal((T, B, O)).astype(dtype)
    state = tuple(s.astype(dtype) for s in random_state(net, rng))

    y, state_T, cache = net.forward(x, state)
    grads, dstate0 = net.backward(dy, cache)
    total = {k: np.zeros_like(v) for k, v in grads.items()}
    norms_squared = np.zeros_like(cache.grad_norms)
    for b in range(B):
        column = slice(b, b + 1)
        y_b, state_T_b, cache_b = net.forward(x[:, column], tuple(s[:, column] for s in state))
        grads_b, dstate0_b = net.backward(dy[:, column], cache_b)
        np.testing.assert_allclose(y_b, y[:, column], rtol=tol, atol=tol)
        for s_b, s in zip(state_T_b + dstate0_b, state_T + dstate0, strict=True):
            np.testing.assert_allclose(s_b, s[:, column], rtol=tol, atol=tol)
        for k in total:
            total[k] += grads_b[k]
        norms_squared += cache_b.grad_norms.astype(np.float64) ** 2
    for k in grads:
        np.testing.assert_allclose(total[k], grads[k], rtol=tol * 10, atol=tol * 10, err_msg=k)
    np.testing.assert_allclose(np.sqrt(norms_squared), cache.grad_norms, rtol=tol * 10)
