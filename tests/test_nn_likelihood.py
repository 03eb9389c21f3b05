"""The distributional losses of the engine: Normal and Student-t NLL heads, the pinball loss.

Gradients with respect to the RAW head outputs are checked three ways: float64 finite
differences (a 5-point stencil; elementwise relative error < 1e-6, on several shapes and on
extreme raw values), an independent 50-digit mpmath implementation of the formulas where
float64 differences cannot resolve the gradient (raw values of -30 and 300, where the chain
rule multiplies by a logistic of 1e-13), and PyTorch: ``torch.distributions.Normal`` and
``StudentT(...).log_prob`` with autograd (skipped without torch). The pinball loss is checked
against its definition written as a loop and against torch autograd, ties included.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import forecast
from forecast.nn import (
    LIKELIHOODS,
    Adam,
    NormalNLL,
    PinballLoss,
    RecurrentNetwork,
    StudentTNLL,
    bptt,
    get_likelihood,
    get_loss,
    head_size,
    mae,
    target_size,
    train_tbptt,
)

LIKELIHOOD_LOSSES = [NormalNLL(), StudentTNLL()]
IDS = ["normal", "student_t"]
SHAPES = [(1,), (7,), (3, 4), (5, 2, 3)]  # leading shape of pred (..., P): (n,), (B,), (k, B)


def make_inputs(loss, lead, rng, mu=None, r_scale=None, r_df=None, spread=2.0):
    """Raw outputs (*lead, P) and targets (*lead, 1) a few scales from the mean."""
    raw = rng.standard_normal(lead + (loss.n_outputs,))
    for j, fixed in enumerate((mu, r_scale, r_df)[: loss.n_outputs]):
        if fixed is not None:
            raw[..., j] = fixed
    sigma = loss.parameters(raw)[1]
    y = raw[..., 0] + spread * sigma * rng.standard_normal(lead)
    return raw, y[..., None]


def five_point_gradient(loss, raw, y, h=1e-3):
    """(f(-2h) - 8 f(-h) + 8 f(h) - f(2h)) / 12h per raw element; the step for mu is h sigma."""
    sigma = loss.parameters(raw)[1] if hasattr(loss, "parameters") else np.ones(raw.shape[:-1])
    grad = np.zeros_like(raw)
    for idx in np.ndindex(raw.shape):
        step = h * sigma[idx[:-1]] if idx[-1] == 0 else h
        values = []
        for k in (-2, -1, 1, 2):
            moved = raw.copy()
            moved[idx] += k * step
            values.append(loss(moved, y)[0])
        grad[idx] = (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * step)
    return grad


def assert_relative(actual, expected, tol):
    err = np.abs(actual - expected) / np.abs(expected)
    assert err.max() < tol, f"max relative error {err.max():.2e} at {np.argmax(err)}"


# ---------------------------------------------------------------- finite differences (float64)


@pytest.mark.parametrize("loss", LIKELIHOOD_LOSSES, ids=IDS)
@pytest.mark.parametrize("lead", SHAPES, ids=str)
def test_nll_gradient_equals_finite_differences_on_every_shape(loss, lead):
    raw, y = make_inputs(loss, lead, np.random.default_rng(len(lead)))
    value, grad = loss(raw, y)
    assert grad.shape == raw.shape and grad.dtype == np.float64 and np.isfinite(value)
    assert_relative(grad, five_point_gradient(loss, raw, y), 1e-6)


EXTREMES = [
    (mu, r_scale, r_df)
    for mu in (-1e3, 1e3)
    for r_scale in (-12.0, -5.0, 12.0, 30.0, 300.0)
    for r_df in (-5.0, 0.0, 30.0)
]


@pytest.mark.parametrize("loss", LIKELIHOOD_LOSSES, ids=IDS)
@pytest.mark.parametrize("mu, r_scale, r_df", EXTREMES)
def test_nll_gradient_equals_finite_differences_at_extreme_raw_values(loss, mu, r_scale, r_df):
    """Scales from 6e-6 (the floor plus e^-12) to 300, df from 2.107 to 32, means of +-1000
    (the Normal head ignores r_df)."""
    raw, y = make_inputs(loss, (6,), np.random.default_rng(1), mu, r_scale, r_df, spread=3.0)
    assert_relative(loss(raw, y)[1], five_point_gradient(loss, raw, y), 1e-6)


def test_mean_reduction_averages_the_per_observation_gradients():
    loss = StudentTNLL()
    raw, y = make_inputs(loss, (5,), np.random.default_rng(3))
    value, grad = loss(raw, y)
    singles = [loss(raw[i : i + 1], y[i : i + 1]) for i in range(5)]
    assert value == pytest.approx(np.mean([v for v, _ in singles]), rel=1e-14)
    np.testing.assert_allclose(grad * 5, np.concatenate([g for _, g in singles]), rtol=1e-13)


# ---------------------------------------------------------------- mpmath, 50 digits


def mp_nll(mp, kind, raw, y, scale_floor=1e-6, df_floor=0.1):
    """The NLL of one observation from the formulas, in mpmath arithmetic."""
    softplus = lambda r: mp.log1p(mp.exp(r))  # noqa: E731
    mu, sigma = raw[0], softplus(raw[1]) + mp.mpf(scale_floor)
    z = (mp.mpf(y) - mu) / sigma
    if kind == "normal":
        return mp.log(sigma) + z * z / 2 + mp.log(2 * mp.pi) / 2
    nu = 2 + mp.mpf(df_floor) + softplus(raw[2])
    return (
        mp.loggamma(nu / 2)
        - mp.loggamma((nu + 1) / 2)
        + mp.log(nu * mp.pi) / 2
        + mp.log(sigma)
        + (nu + 1) / 2 * mp.log1p(z * z / nu)
    )


MP_CASES = [("normal", r_scale, None) for r_scale in (-30.0, 0.5, 300.0)] + [
    ("student_t", r_scale, r_df) for r_scale in (-30.0, 0.5, 300.0) for r_df in (-30.0, 1.0, 300.0)
]


@pytest.mark.parametrize("kind, r_scale, r_df", MP_CASES)
def test_nll_value_and_gradient_equal_a_50_digit_reference(kind, r_scale, r_df):
    mp = pytest.importorskip("mpmath").mp
    mp.dps = 50
    loss = get_likelihood(kind)
    raw = np.array([0.25, r_scale, r_df][: loss.n_outputs])
    sigma = float(loss.parameters(raw)[1])
    for y in (0.25 + 0.3 * sigma, 0.25 - 4.0 * sigma):
        value, grad = loss(raw[None], np.array([[y]]))
        args = [mp.mpf(float(r)) for r in raw]
        assert value == pytest.approx(float(mp_nll(mp, kind, args, y)), rel=1e-12, abs=1e-14)
        for j in range(loss.n_outputs):

            def along(t, j=j, args=args, y=y):
                moved = list(args)
                moved[j] = t
                return mp_nll(mp, kind, moved, y)

            exact = float(mp.diff(along, args[j]))
            assert grad[0, j] == pytest.approx(exact, rel=1e-8), (j, y)


# ---------------------------------------------------------------- PyTorch


def torch_nll(torch, loss, raw, y):
    """Mean NLL from torch.distributions, the raw outputs mapped with F.softplus."""
    softplus = torch.nn.functional.softplus
    r = torch.tensor(raw, dtype=torch.float64, requires_grad=True)
    target = torch.tensor(y[..., 0], dtype=torch.float64)
    scale = softplus(r[..., 1]) + loss.scale_floor
    if isinstance(loss, NormalNLL):
        dist = torch.distributions.Normal(r[..., 0], scale)
    else:
        df = 2.0 + loss.df_floor + softplus(r[..., 2])
        dist = torch.distributions.StudentT(df, r[..., 0], scale)
    value = -dist.log_prob(target).mean()
    value.backward()
    return value.item(), r.grad.numpy()


@pytest.mark.parametrize("loss", LIKELIHOOD_LOSSES, ids=IDS)
@pytest.mark.parametrize("lead", SHAPES, ids=str)
def test_nll_and_gradient_equal_torch_distributions_log_prob(loss, lead):
    torch = pytest.importorskip("torch")
    raw, y = make_inputs(loss, lead, np.random.default_rng(7), spread=5.0)
    value, grad = loss(raw, y)
    expected_value, expected_grad = torch_nll(torch, loss, raw, y)
    assert value == pytest.approx(expected_value, rel=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("loss", LIKELIHOOD_LOSSES, ids=IDS)
@pytest.mark.parametrize("extreme", [-30.0, 30.0, 300.0])
def test_nll_equals_torch_at_extreme_raw_values(loss, extreme):
    torch = pytest.importorskip("torch")
    raw, y = make_inputs(loss, (4, 3), np.random.default_rng(8), 100.0, extreme, extreme, 3.0)
    value, grad = loss(raw, y)
    expected_value, expected_grad = torch_nll(torch, loss, raw, y)
    assert value == pytest.approx(expected_value, rel=1e-10)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-8)


# ---------------------------------------------------------------- parameter maps and floors


def test_parameters_follow_the_softplus_maps_with_their_floors():
    loss = StudentTNLL(scale_floor=0.01, df_floor=0.5)
    mu, sigma, nu = loss.parameters(np.array([[1.5, 0.0, 0.0], [-2.0, -800.0, -800.0]]))
    np.testing.assert_allclose(mu, [1.5, -2.0])
    np.testing.assert_allclose(sigma, [math.log(2) + 0.01, 0.01], rtol=1e-15)
    np.testing.assert_allclose(nu, [2.5 + math.log(2), 2.5], rtol=1e-15)


@pytest.mark.parametrize("loss", LIKELIHOOD_LOSSES, ids=IDS)
def test_collapsing_scale_cannot_drive_the_nll_to_minus_infinity(loss):
    """The raw scale at -1e6 onto a target equal to the mean: sigma is the floor, the NLL is
    bounded by log(floor) (+ constants), and the gradient is finite."""
    raw = np.array([[0.0, -1e6, 0.0][: loss.n_outputs]])
    value, grad = loss(raw, np.zeros((1, 1)))
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    if isinstance(loss, NormalNLL):
        assert value == pytest.approx(math.log(1e-6) + 0.5 * math.log(2 * math.pi), rel=1e-12)
    assert value > math.log(loss.scale_floor)


@pytest.mark.parametrize("loss", LIKELIHOOD_LOSSES, ids=IDS)
@pytest.mark.parametrize("big", [1e6, -1e6, 1e300])
def test_huge_raw_outputs_give_finite_values_without_overflow_warnings(loss, big):
    """pytest turns RuntimeWarnings (overflow in exp) into errors here."""
    raw = np.full((3, loss.n_outputs), big)
    raw[:, 0] = 0.0
    value, grad = loss(raw, np.array([[0.0], [1.0], [-1.0]]))
    assert np.isfinite(value) and np.all(np.isfinite(grad))


def test_degrees_of_freedom_stay_above_two_plus_the_floor():
    nu = StudentTNLL(df_floor=0.1).parameters(np.array([0.0, 0.0, -1e6]))[2]
    assert float(nu) == 2.1


@pytest.mark.parametrize("loss", LIKELIHOOD_LOSSES, ids=IDS)
def test_float32_outputs_get_a_float32_gradient_close_to_float64(loss):
    raw, y = make_inputs(loss, (4, 3), np.random.default_rng(5))
    value64, grad64 = loss(raw, y)
    value32, grad32 = loss(raw.astype(np.float32), y.astype(np.float32))
    assert grad32.dtype == np.float32
    assert value32 == pytest.approx(value64, rel=1e-6)
    np.testing.assert_allclose(grad32, grad64, rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------- pinball


def pinball_by_definition(q, y, levels):
    """rho_tau(u) = tau u if u >= 0 else (tau - 1) u, u = y - q, averaged over the n Q terms."""
    q2, y1 = q.reshape(-1, len(levels)), y.reshape(-1)
    total, grad = 0.0, np.zeros_like(q2)
    for i in range(len(y1)):
        for j, tau in enumerate(levels):
            u = y1[i] - q2[i, j]
            total += tau * u if u >= 0 else (tau - 1.0) * u
            grad[i, j] = (1.0 - tau if u < 0 else -tau if u > 0 else 0.5 - tau) / q2.size
    return total / q2.size, grad.reshape(q.shape)


LEVELS = [(0.5,), (0.05, 0.5, 0.95), (0.01, 0.1, 0.25, 0.75, 0.9, 0.99)]


@pytest.mark.parametrize("levels", LEVELS, ids=str)
@pytest.mark.parametrize("lead", SHAPES, ids=str)
def test_pinball_equals_its_definition_with_ties(levels, lead):
    rng = np.random.default_rng(11)
    q = rng.standard_normal(lead + (len(levels),))
    y = rng.standard_normal(lead + (1,))
    y.reshape(-1)[0] = q.reshape(-1)[0]  # one tie: the subgradient 1/2 - tau
    value, grad = PinballLoss(levels)(q, y)
    expected_value, expected_grad = pinball_by_definition(q, y, levels)
    assert value == pytest.approx(expected_value, rel=1e-14)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-14)


@pytest.mark.parametrize("levels", LEVELS, ids=str)
def test_pinball_value_and_gradient_equal_torch_autograd(levels):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(12)
    q = np.round(rng.standard_normal((6, 5, len(levels))), 1)  # rounded: some ties
    y = np.round(rng.standard_normal((6, 5, 1)), 1)
    qt = torch.tensor(q, requires_grad=True)
    tau = torch.tensor(levels, dtype=torch.float64)
    u = torch.tensor(y) - qt
    expected = torch.maximum(tau * u, (tau - 1.0) * u).mean()
    expected.backward()
    value, grad = PinballLoss(levels)(q, y)
    assert np.any(q == y)
    assert value == pytest.approx(expected.item(), rel=1e-14)
    np.testing.assert_allclose(grad, qt.grad.numpy(), rtol=1e-14)


def test_pinball_gradient_equals_finite_differences_away_from_ties():
    rng = np.random.default_rng(13)
    loss = PinballLoss((0.1, 0.5, 0.9))
    q, y = rng.standard_normal((4, 3, 3)), rng.standard_normal((4, 3, 1))
    assert_relative(loss(q, y)[1], five_point_gradient(loss, q, y, h=1e-6), 1e-6)


def test_pinball_at_the_median_is_half_the_mean_absolute_error():
    rng = np.random.default_rng(14)
    q, y = rng.standard_normal((20, 1)), rng.standard_normal((20, 1))
    y[3] = q[3]
    value, grad = PinballLoss((0.5,))(q, y)
    mae_value, mae_grad = mae(q, y)
    assert value == pytest.approx(mae_value / 2, rel=1e-15)
    np.testing.assert_allclose(grad, mae_grad / 2, rtol=1e-15)


# ---------------------------------------------------------------- head sizes and the engine


def test_losses_declare_their_head_width():
    assert [head_size(get_likelihood(name)) for name in LIKELIHOODS] == [2, 3]
    assert head_size(PinballLoss((0.1, 0.2, 0.5, 0.9))) == 4
    assert head_size("mse", 3) == 3 and head_size(get_loss("huber")) == 1
    assert target_size(StudentTNLL(), 3) == 1 and target_size("mae", 2) == 2
    loss = NormalNLL()
    assert get_loss(loss) is loss  # a callable passes through, as for any custom loss


def test_a_network_with_a_student_t_head_backpropagates_the_exact_gradient():
    """bptt with the NLL: targets (k, B, 1) for a head of 3 outputs; the weight gradients
    equal central finite differences of the loss through the whole network."""
    rng = np.random.default_rng(21)
    loss = StudentTNLL()
    net = RecurrentNetwork("gru", 2, 4, output_size=head_size(loss), dtype=np.float64, rng=0)
    x, y = rng.standard_normal((5, 3, 2)), rng.standard_normal((2, 3, 1))
    grads = bptt(net, x, y, loss).grads
    for name, param in net.params.items():
        numeric = np.zeros_like(param)
        for idx in np.ndindex(param.shape):
            old = param[idx]
            param[idx] = old + 1e-6
            plus = bptt(net, x, y, loss).loss
            param[idx] = old - 1e-6
            minus = bptt(net, x, y, loss).loss
            param[idx] = old
            numeric[idx] = (plus - minus) / 2e-6
        err = np.linalg.norm(grads[name] - numeric) / np.linalg.norm(grads[name] + numeric)
        assert err < 1e-6, name


def test_tbptt_likelihood_heads_learn_the_scale_and_tails_of_sp500_returns():
    """Standardised daily log returns of the bundled S&P 500 (last 1000 days): a GRU with a
    likelihood head trained by TBPTT lowers the NLL below a standard Normal's, predicts
    scales that follow the size of the next return (volatility clustering), and the
    Student-t head finds heavy tails (df near 4) and fits better than the Normal head."""
    close = forecast.load_dataset("sp500")["close"].to_numpy()[-1001:]
    r = np.diff(np.log(close))
    r = (r - r.mean()) / r.std()
    x, y = r[:-1, None, None], r[1:, None, None]  # (T, 1, 1): predict tomorrow's return
    fitted = {}
    for loss in (NormalNLL(), StudentTNLL()):
        net = RecurrentNetwork("gru", 1, 8, output_size=head_size(loss), dtype=np.float64, rng=0)
        start = loss(net.forward(x)[0], y)[0]
        optimizer = Adam(lr=0.01)
        for _ in range(15):
            train_tbptt(net, x, y, k1=50, k2=50, optimizer=optimizer, loss=loss)
        out = net.forward(x)[0]
        fitted[type(loss)] = end = loss(out, y)[0]
        params = loss.parameters(out[:, 0])
        sigma = params[1]  # sigma_t is the scale of r_{t+1}
        assert end < start - 0.1
        assert end < 0.5 * math.log(2 * math.pi) + 0.5  # N(0, 1) on unit-variance data
        assert 0.5 < sigma.mean() < 1.3
        assert np.corrcoef(sigma[:-1], np.abs(r[1:-1]))[0, 1] > 0.3
    assert 2.5 < params[2].mean() < 8.0
    assert fitted[StudentTNLL] < fitted[NormalNLL]


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "levels, message",
    [
        ((0.9, 0.1), "strictly increasing"),
        ((0.1, 0.5, 0.5), "strictly increasing"),
        ((0.0, 0.5), r"inside \(0, 1\)"),
        ((0.5, 1.0), r"inside \(0, 1\)"),
        ((-0.1,), r"inside \(0, 1\)"),
        ((0.1, float("nan")), r"inside \(0, 1\)"),
        ((), "non-empty 1-D"),
        ([[0.1, 0.9]], "non-empty 1-D"),
        (("a", "b"), "non-empty 1-D"),
    ],
)
def test_bad_quantile_levels_raise_a_named_value_error(levels, message):
    with pytest.raises(ValueError, match=message) as info:
        PinballLoss(levels)
    assert "quantiles" in str(info.value)


@pytest.mark.parametrize("kwargs", [{"df_floor": 0.0}, {"df_floor": -1.0}, {"scale_floor": 0}])
def test_non_positive_floors_raise_a_named_value_error(kwargs):
    (name, value), = kwargs.items()
    with pytest.raises(ValueError, match=f"{name} must be > 0.0, got {name}={float(value)}"):
        StudentTNLL(**kwargs)


def test_nan_floor_and_unknown_likelihood_raise():
    with pytest.raises(ValueError, match="scale_floor must be finite"):
        NormalNLL(scale_floor=float("nan"))
    with pytest.raises(ValueError, match="unknown likelihood='gamma'; valid choices are"):
        get_likelihood("gamma")
    with pytest.raises(TypeError, match="df_floor must be a real number"):
        StudentTNLL(df_floor="0.1")


@pytest.mark.parametrize(
    "loss, width", [(NormalNLL(), 3), (StudentTNLL(), 2), (PinballLoss((0.1, 0.9)), 3)]
)
def test_wrong_output_width_raises_and_names_head_size(loss, width):
    with pytest.raises(ValueError, match=rf"pred must have shape \(\.\.\., {loss.n_outputs}\)"):
        loss(np.zeros((4, width)), np.zeros((4, 1)))


def test_targets_must_have_one_column_per_row_of_pred():
    with pytest.raises(ValueError, match=r"target must have shape \(4, 1\).*got \(4,\)"):
        NormalNLL()(np.zeros((4, 2)), np.zeros(4))
    with pytest.raises(ValueError, match=r"target must have shape \(4, 1\).*got \(4, 2\)"):
        NormalNLL()(np.zeros((4, 2)), np.zeros((4, 2)))


def test_engine_refuses_a_head_too_narrow_for_the_likelihood():
    net = RecurrentNetwork("rnn", 1, 3, output_size=1, dtype=np.float64, rng=0)
    message = "StudentTNLL needs a head of 3 raw outputs.*output_size=1"
    with pytest.raises(ValueError, match=message):
        bptt(net, np.zeros((4, 2, 1)), np.zeros((2, 1)), StudentTNLL())
    with pytest.raises(ValueError, match="models one target per row, got target_size=2"):
        head_size(NormalNLL(), 2)
