"""Truncated BPTT(k1, k2): the window plan, state carrying, parallel streams, and learning.

The gradient of each update is checked against finite differences in test_nn_gradcheck.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import forecast
from forecast.nn import Adam, RecurrentNetwork, tbptt_windows, train_tbptt
from forecast.nn.losses import mse


class FrozenOptimizer:
    """Records how many updates it was asked for and changes nothing."""

    def __init__(self) -> None:
        self.calls = 0

    def step(self, params, grads) -> None:
        self.calls += 1


@pytest.mark.parametrize(
    "n, k1, k2, expected",
    [
        (10, 3, 5, [(0, 0, 3, 1), (1, 3, 6, 4), (4, 6, 9, 5), (5, 9, 10, 10)]),
        (10, 4, 4, [(0, 0, 4, 4), (4, 4, 8, 6), (6, 8, 10, 10)]),  # k1 = k2: detach every 4
        (6, 2, 2, [(0, 0, 2, 2), (2, 2, 4, 4), (4, 4, 6, 6)]),
        (7, 10, 20, [(0, 0, 7, 7)]),  # shorter than one window
        (9, 3, 9, [(0, 0, 3, 0), (0, 3, 6, 0), (0, 6, 9, 9)]),  # backprop reaches step 0
    ],
)
def test_window_plan(n, k1, k2, expected):
    assert list(tbptt_windows(n, k1, k2)) == expected


@given(n=st.integers(1, 200), k1=st.integers(1, 30), extra=st.integers(0, 30))
def test_window_plan_properties(n, k1, extra):
    k2 = k1 + extra
    windows = list(tbptt_windows(n, k1, k2))
    assert len(windows) == -(-n // k1)  # one update per k1 steps
    covered = []
    for j, (start, loss_start, stop, carry) in enumerate(windows):
        covered += range(loss_start, stop)
        assert start == max(0, stop - k2)  # backprop k2 steps, never before step 0
        assert 0 < stop - loss_start <= k1
        assert start <= loss_start
        assert start <= carry <= stop
        if j + 1 < len(windows):
            assert carry == windows[j + 1][0]  # the next window starts where the state is carried
        else:
            assert carry == stop == n  # the state after the data
    assert covered == list(range(n))  # every step's loss counted exactly once, in order


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("k1, k2", [(1, 1), (4, 4), (3, 7), (5, 16), (40, 40)])
def test_with_fixed_weights_the_windows_reproduce_one_long_forward(cell, k1, k2):
    """The carried state is exact: each window's outputs, hence its loss, equal those of one
    forward pass over the whole stream, and the final state is the same."""
    rng = np.random.default_rng(0)
    net = RecurrentNetwork(cell, 2, 5, num_layers=2, dtype=np.float64, rng=0)
    x = rng.standard_normal((23, 3, 2))
    y = rng.standard_normal((23, 3, 1))
    state0 = tuple(rng.standard_normal((2, 3, 5)) for _ in net.state_names)
    optimizer = FrozenOptimizer()
    result = train_tbptt(net, x, y, k1=k1, k2=k2, optimizer=optimizer, state=state0)

    y_full, state_full, _ = net.forward(x, state0)
    expected = [
        mse(y_full[loss_start:stop], y[loss_start:stop])[0]
        for _, loss_start, stop, _ in tbptt_windows(23, k1, k2)
    ]
    assert optimizer.calls == len(expected)
    np.testing.assert_allclose(result.losses, expected, rtol=1e-12)
    for a, b in zip(result.state, state_full, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-13)
    assert result.grad_norms.shape == (len(expected),) and np.all(result.grad_norms > 0)


def test_parallel_streams_do_not_mix():
    """B streams trained together see the same windows as each stream alone."""
    rng = np.random.default_rng(1)
    net = RecurrentNetwork("lstm", 1, 4, dtype=np.float64, rng=0)
    x = rng.standard_normal((30, 3, 1))
    y = rng.standard_normal((30, 3, 1))
    together = train_tbptt(net, x, y, k1=5, k2=9, optimizer=FrozenOptimizer())
    alone = [
        train_tbptt(net, x[:, [b]], y[:, [b]], k1=5, k2=9, optimizer=FrozenOptimizer())
        for b in range(3)
    ]
    np.testing.assert_allclose(together.losses, np.mean([r.losses for r in alone], axis=0))
    for b, r in enumerate(alone):
        np.testing.assert_allclose(together.state[0][:, b], r.state[0][:, 0], atol=1e-14)


def test_clip_norm_caps_each_update_and_reports_the_norm_before():
    rng = np.random.default_rng(2)
    net = RecurrentNetwork("gru", 1, 8, dtype=np.float64, rng=0)
    x = 10 * rng.standard_normal((40, 2, 1))
    y = 10 * rng.standard_normal((40, 2, 1))
    seen = []

    class Spy(FrozenOptimizer):
        def step(self, params, grads):
            seen.append(np.sqrt(sum(np.sum(g**2) for g in grads.values())))

    result = train_tbptt(net, x, y, k1=10, k2=10, optimizer=Spy(), clip_norm=0.5)
    assert np.all(result.grad_norms > 0.5)  # large targets: every update is clipped
    np.testing.assert_allclose(seen, 0.5, rtol=1e-5)


def test_backpropagating_k2_beyond_k1_learns_a_delay_that_k1_alone_cannot():
    """y_t = x_{t-6} on streams of random signs. With TBPTT(3, 3) no gradient ever connects a
    loss to the input 6 steps earlier, so the GRU cannot learn to store it (the loss stays
    near the variance, 1). With TBPTT(3, 12) the window reaches back far enough and one pass
    is enough (loss ~0.001)."""
    rng = np.random.default_rng(0)
    x = rng.choice([-1.0, 1.0], size=(2400, 8, 1)).astype(np.float32)
    y = np.zeros_like(x)
    y[6:] = x[:-6]
    final = {}
    for k2 in (3, 12):
        net = RecurrentNetwork("gru", 1, 16, rng=0)
        result = train_tbptt(net, x, y, k1=3, k2=k2, optimizer=Adam(lr=1e-2), clip_norm=1.0)
        final[k2] = result.losses[-100:].mean()
    assert final[3] > 0.8
    assert final[12] < 0.05


def test_learns_next_day_sp500_from_parallel_streams():
    """Real data: the S&P 500 log close (standardised), cut into 4 consecutive stretches that
    run as parallel streams; an LSTM trained by TBPTT(20, 40) to predict the next day ends,
    after 4 passes, with an in-sample MSE below 1% of the variance, within 5x the random walk's
    (persistence) MSE: it has learnt roughly "tomorrow ~ today", no more."""
    close = forecast.load_dataset("sp500")["close"].to_numpy()
    z = np.log(close)
    z = (z - z.mean()) / z.std()
    n = len(z) // 4
    streams = z[: 4 * n].reshape(4, n).T  # (T, 4): stretch b is column b
    x = streams[:-1, :, None].astype(np.float32)
    y = streams[1:, :, None].astype(np.float32)
    persistence = float(np.mean((y - x) ** 2))

    net = RecurrentNetwork("lstm", 1, 16, rng=0)
    optimizer = Adam(lr=1e-2)
    passes = [
        train_tbptt(net, x, y, k1=20, k2=40, optimizer=optimizer, clip_norm=1.0) for _ in range(4)
    ]
    mse_in_sample = float(np.mean((net.forward(x)[0] - y) ** 2))
    assert passes[-1].losses.mean() < passes[0].losses.mean() / 10
    assert mse_in_sample < 0.01
    assert mse_in_sample < 5 * persistence
