"""PyTorch as the oracle: same outputs, gradients, updates and initialisation as torch.

Weights move through ``get_weights``/``set_weights`` and a torch ``state_dict`` (strict
``load_state_dict``, so the parameter names and shapes are exactly PyTorch's). Skipped when
torch is not installed.
"""

from __future__ import annotations

import numpy as np
import pytest

from forecast.nn import SGD, Adam, AdamW, RecurrentNetwork, clip_grad_norm, huber, mae, mse
from forecast.nn.engine import ENV_VAR, numba_available

torch = pytest.importorskip("torch")

D, H, O, LAYERS, T, B = 3, 5, 2, 2, 7, 4
NEEDS_NUMBA = pytest.mark.skipif(not numba_available(), reason='needs "forecast[fast]"')
ENGINES = ["numpy", pytest.param("numba", marks=NEEDS_NUMBA)]


@pytest.fixture(autouse=True, params=ENGINES)
def engine(request, monkeypatch):
    """Every oracle test runs on both engines (the default engine, "auto", follows this)."""
    monkeypatch.setenv(ENV_VAR, request.param)
    return request.param


CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}


def torch_model(cell: str, nonlinearity: str, dtype, dropout: float = 0.0):
    """A torch RNN/LSTM/GRU with a ``head = nn.Linear``: its state_dict keys are ours."""
    base = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]

    class WithHead(base):
        def __init__(self) -> None:
            kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
            super().__init__(D, H, LAYERS, dropout=dropout, **kwargs)
            self.head = torch.nn.Linear(H, O)

    torch.manual_seed(0)
    return WithHead().to(TORCH_DTYPE[dtype])


def to_torch(weights: dict) -> dict:
    return {k: torch.from_numpy(v.copy()) for k, v in weights.items()}


@pytest.mark.parametrize("cell, nonlinearity", CELLS)
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-5)])
@pytest.mark.parametrize("many_to_one", [False, True], ids=["many-to-many", "many-to-one"])
def test_outputs_and_gradients_equal_torch(cell, nonlinearity, dtype, tol, many_to_one):
    rng = np.random.default_rng(0)
    net = RecurrentNetwork(cell, D, H, LAYERS, O, nonlinearity=nonlinearity, dtype=dtype, rng=1)
    model = torch_model(cell, nonlinearity, dtype)
    model.load_state_dict(to_torch(net.get_weights()))  # strict: same names and shapes

    x = rng.standard_normal((T, B, D)).astype(dtype)
    state = tuple(rng.standard_normal((LAYERS, B, H)).astype(dtype) for _ in net.state_names)
    target = rng.standard_normal((B, O) if many_to_one else (T, B, O)).astype(dtype)

    y, state_T, cache = net.forward(x, state)
    value, dpred = mse(y[-1] if many_to_one else y, target)
    dy = np.zeros_like(y)
    if many_to_one:
        dy[-1] = dpred
    else:
        dy[:] = dpred
    grads, dstate0 = net.backward(dy, cache)

    state_t = [torch.tensor(s, requires_grad=True) for s in state]
    out, state_T_t = model(torch.from_numpy(x), tuple(state_t) if cell == "lstm" else state_t[0])
    y_t = model.head(out)
    loss_t = torch.nn.functional.mse_loss(y_t[-1] if many_to_one else y_t, torch.from_numpy(target))
    loss_t.backward()
    state_T_t = state_T_t if cell == "lstm" else (state_T_t,)

    np.testing.assert_allclose(y, y_t.detach().numpy(), rtol=tol, atol=tol)
    assert value == pytest.approx(loss_t.item(), rel=tol)
    for ours, theirs in zip(state_T, state_T_t, strict=True):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=tol, atol=tol)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(grads[name], p.grad.numpy(), rtol=tol, atol=tol, err_msg=name)
    for ours, theirs in zip(dstate0, state_t, strict=True):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("cell, nonlinearity", CELLS)
def test_torch_weights_load_into_the_engine(cell, nonlinearity):
    """torch -> numpy: a torch-initialised model's state_dict gives the same outputs here."""
    model = torch_model(cell, nonlinearity, np.float64, dropout=0.3).eval()
    net = RecurrentNetwork(
        cell, D, H, LAYERS, O, nonlinearity=nonlinearity, dropout=0.3, dtype=np.float64, rng=1
    )
    net.set_weights({k: v.numpy() for k, v in model.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((T, B, D))
    with torch.no_grad():
        out, _ = model(torch.from_numpy(x))
        expected = model.head(out).numpy()
    np.testing.assert_allclose(net.forward(x)[0], expected, rtol=1e-12, atol=1e-12)
    assert set(net.get_weights()) == set(model.state_dict())


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_initialisation_matches_torch(cell):
    """Both draw every recurrent weight and bias, and the head, from U(-1/sqrt(H), 1/sqrt(H))."""
    hidden = 64
    net = RecurrentNetwork(cell, 8, hidden, 2, 3, rng=0)
    model = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](8, hidden, 2)
    head = torch.nn.Linear(hidden, 3)
    theirs = {
        **{k: v.detach().numpy() for k, v in model.state_dict().items()},
        **{f"head.{k}": v.detach().numpy() for k, v in head.state_dict().items()},
    }
    bound = 1 / np.sqrt(hidden)
    assert set(theirs) == set(net.params)
    for name, ours in net.params.items():
        assert ours.shape == theirs[name].shape, name
        assert np.abs(ours).max() <= bound and np.abs(theirs[name]).max() <= bound, name
        if ours.size >= 1000:  # a uniform on [-b, b] has standard deviation b / sqrt(3)
            assert np.std(ours) == pytest.approx(bound / np.sqrt(3), rel=0.05), name
            assert np.std(theirs[name]) == pytest.approx(bound / np.sqrt(3), rel=0.05), name


OPTIMIZERS = [
    (lambda: SGD(lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    (lambda: SGD(lr=0.1, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    (
        lambda: SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    ),
    (lambda: Adam(lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    (
        lambda: Adam(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
        lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    ),
    (lambda: AdamW(lr=0.01), lambda p: torch.optim.AdamW(p, lr=0.01)),
    (
        lambda: AdamW(lr=0.01, weight_decay=0.5),
        lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.5),
    ),
]


@pytest.mark.parametrize(
    "ours, theirs",
    OPTIMIZERS,
    ids=["sgd", "momentum", "nesterov-decay", "adam", "adam-decay", "adamw", "adamw-0.5"],
)
def test_optimizer_updates_equal_torch(ours, theirs):
    rng = np.random.default_rng(2)
    params = {"w": rng.standard_normal((4, 3)), "b": rng.standard_normal(3)}
    tparams = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    optimizer, toptimizer = ours(), theirs(list(tparams.values()))
    for _ in range(6):
        grads = {k: rng.standard_normal(v.shape) for k, v in params.items()}
        for k, p in tparams.items():
            p.grad = torch.tensor(grads[k])
        optimizer.step(params, grads)
        toptimizer.step()
    for k in params:
        np.testing.assert_allclose(params[k], tparams[k].detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_equals_torch(max_norm):
    rng = np.random.default_rng(3)
    grads = {"a": rng.standard_normal((3, 4)), "b": rng.standard_normal(5)}
    tensors = [
        torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads.values()
    ]
    for t, g in zip(tensors, grads.values(), strict=True):
        t.grad = torch.tensor(g)
    expected = torch.nn.utils.clip_grad_norm_(tensors, max_norm).item()
    assert clip_grad_norm(grads, max_norm) == pytest.approx(expected, rel=1e-12)
    for t, g in zip(tensors, grads.values(), strict=True):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (mse, torch.nn.MSELoss()),
        (mae, torch.nn.L1Loss()),
        (huber, torch.nn.HuberLoss(delta=1.0)),
        (lambda p, y: huber(p, y, delta=0.3), torch.nn.HuberLoss(delta=0.3)),
    ],
    ids=["mse", "mae", "huber", "huber-0.3"],
)
def test_losses_equal_torch(ours, theirs):
    rng = np.random.default_rng(4)
    pred, target = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    pred[0, 0] = target[0, 0]  # a tie: the subgradient of |d| at 0 is 0 in both
    pred_t = torch.tensor(pred, requires_grad=True)
    loss_t = theirs(pred_t, torch.tensor(target))
    loss_t.backward()
    value, grad = ours(pred, target)
    assert value == pytest.approx(loss_t.item(), rel=1e-12)
    np.testing.assert_allclose(grad, pred_t.grad.numpy(), rtol=1e-12, atol=1e-15)
