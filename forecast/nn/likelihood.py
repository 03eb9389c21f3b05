"""Distributional losses: Normal and Student-t negative log-likelihoods, and the pinball loss.

Each loss is a callable ``loss(pred, target) -> (value, dpred)`` like ``mse``, so ``get_loss``
passes it through and it trains the same way. ``pred`` holds the head's RAW outputs, shape
``(..., P)`` (e.g. ``(k, B, P)`` or ``(B, P)``), and ``target`` one observation per row,
shape ``(..., 1)``. The value is a mean (over the ``n`` observations for a likelihood, over
the ``n Q`` elements for the pinball loss), and ``dpred`` is its exact gradient with respect
to the raw outputs. ``loss.n_outputs`` is the head width ``P`` a model must give its head
(``head_size`` reads it).

Parameter maps. Raw outputs ``r`` are unconstrained; the valid parameters are

    mu    = r_0
    sigma = softplus(r_1) + scale_floor                       > 0
    nu    = 2 + df_floor + softplus(r_2)                      > 2   (Student-t only)

with ``softplus(x) = log(1 + e^x)``, computed as ``max(x, 0) + log1p(e^{-|x|})`` (no overflow),
whose derivative is the logistic ``s(x) = 1 / (1 + e^{-x})``. The floors bound the likelihood:
``sigma >= scale_floor`` keeps the NLL above ``log(scale_floor) + ...``, so it cannot run to
-inf when the scale collapses onto the data, and ``nu > 2`` keeps the variance
``sigma^2 nu / (nu - 2)`` finite. Defaults: ``scale_floor = 1e-6`` (in the units of the
targets: a millionth of a standard deviation for standardised targets, far below any scale a
healthy fit reaches, so it only stops a collapse) and ``df_floor = 0.1`` (so ``nu >= 2.1``
and the standard deviation is at most ``sqrt(21) sigma``).

Everything is computed in float64 and the gradient returned in ``pred``'s dtype.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import digamma, gammaln

from forecast._validation import check_choice, check_float, check_int

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def softplus(x: np.ndarray) -> np.ndarray:
    """``log(1 + e^x)`` without overflow: ``max(x, 0) + log1p(e^{-|x|})``."""
    x = np.asarray(x, dtype=np.float64)
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic ``1 / (1 + e^{-x})``, the derivative of ``softplus``, without overflow."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))  # in (0, 1]
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _split(
    pred: Any, target: Any, width: int, name: str
) -> tuple[np.ndarray, np.ndarray, np.dtype]:
    """Raw outputs ``(n, width)`` and targets ``(n,)`` in float64, and the dtype of dpred."""
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.ndim < 1 or pred.shape[-1] != width:
        raise ValueError(
            f"the {name} head has {width} raw outputs per observation: pred must have shape "
            f"(..., {width}), got {pred.shape}; size the head with head_size(loss)"
        )
    if target.shape != pred.shape[:-1] + (1,):
        raise ValueError(
            f"target must have shape {pred.shape[:-1] + (1,)} (one observation per row of "
            f"pred, shape {pred.shape}), got {target.shape}"
        )
    dtype = pred.dtype if np.issubdtype(pred.dtype, np.floating) else np.dtype(np.float64)
    return pred.reshape(-1, width).astype(np.float64), target.reshape(-1).astype(np.float64), dtype


def _check_scale_floor(value: Any) -> float:
    return check_float(value, "scale_floor", min_value=0.0, inclusive=False)


@dataclass(frozen=True)
class NormalNLL:
    r"""Negative log-likelihood of a Normal head with raw outputs ``(mu, r_sigma)``.

    With ``sigma = softplus(r_sigma) + scale_floor`` and ``z = (y - mu) / sigma``,

    .. math::

        L = \frac{1}{n} \sum_i \Big[\log \sigma_i + \tfrac12 z_i^2 + \tfrac12 \log 2\pi\Big],

        \frac{\partial L}{\partial \mu_i} = -\frac{z_i}{n \sigma_i}, \qquad
        \frac{\partial L}{\partial r_{\sigma,i}} = \frac{1 - z_i^2}{n \sigma_i}\,
        s(r_{\sigma,i}),

    ``s`` the logistic function (the derivative of softplus).

    Parameters
    ----------
    scale_floor : float > 0, default 1e-6
        Lower bound of ``sigma``: the NLL stays above ``log(scale_floor) + log(2 pi) / 2``.

    Examples
    --------
    >>> loss = NormalNLL()
    >>> value, dpred = loss(np.array([[0.0, 0.5413248546129181]]), np.array([[1.0]]))
    >>> round(value, 4)                  # sigma = softplus(0.5413...) + 1e-6 ~ 1: 0.5 + 0.9189
    1.4189
    >>> dpred.round(4).tolist()          # (-z / sigma, (1 - z^2) / sigma * s(r_sigma))
    [[-1.0, 0.0]]
    """

    scale_floor: float = 1e-6
    n_outputs: ClassVar[int] = 2
    param_names: ClassVar[tuple[str, ...]] = ("loc", "scale")

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale_floor", _check_scale_floor(self.scale_floor))

    def parameters(self, raw: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(mu, sigma)`` from raw outputs of shape ``(..., 2)``, each of shape ``(...)``."""
        raw = _raw(raw, self.n_outputs, "normal")
        return raw[..., 0], softplus(raw[..., 1]) + self.scale_floor

    def __call__(self, pred: Any, target: Any) -> tuple[float, np.ndarray]:
        """Mean NLL over the observations and its gradient with respect to the raw outputs."""
        raw, y, dtype = _split(pred, target, self.n_outputs, "normal")
        n = len(y)
        mu, sigma = raw[:, 0], softplus(raw[:, 1]) + self.scale_floor
        z = (y - mu) / sigma
        nll = np.log(sigma) + 0.5 * z * z + _HALF_LOG_2PI
        dmu = -z / sigma  # dNLL/dmu
        dsigma = (1.0 - z * z) / sigma  # dNLL/dsigma
        draw = np.stack([dmu, dsigma * sigmoid(raw[:, 1])], axis=-1) / n  # chain rule
        return float(np.mean(nll)), draw.reshape(np.shape(pred)).astype(dtype, copy=False)


@dataclass(frozen=True)
class StudentTNLL:
    r"""Negative log-likelihood of a Student-t head with raw outputs ``(mu, r_sigma, r_nu)``.

    With ``sigma = softplus(r_sigma) + scale_floor``, ``nu = 2 + df_floor + softplus(r_nu)``,
    ``z = (y - mu) / sigma`` and ``q = 1 + z^2 / nu``,

    .. math::

        L = \frac{1}{n} \sum_i \Big[\log\Gamma\big(\tfrac{\nu_i}{2}\big)
            - \log\Gamma\big(\tfrac{\nu_i + 1}{2}\big) + \tfrac12 \log(\nu_i \pi)
            + \log \sigma_i + \tfrac{\nu_i + 1}{2} \log q_i\Big],

        \frac{\partial L}{\partial \mu_i} = -\frac{(\nu_i + 1)\, z_i}{n \sigma_i (\nu_i + z_i^2)},
        \qquad
        \frac{\partial L}{\partial \sigma_i} = \frac{1}{n \sigma_i}
            \Big(1 - \frac{(\nu_i + 1)\, z_i^2}{\nu_i + z_i^2}\Big),

        \frac{\partial L}{\partial \nu_i} = \frac{1}{n}\Big[\tfrac12 \psi\big(\tfrac{\nu_i}{2}\big)
            - \tfrac12 \psi\big(\tfrac{\nu_i + 1}{2}\big) + \frac{1}{2\nu_i}
            + \tfrac12 \log q_i - \frac{(\nu_i + 1)\, z_i^2}{2 \nu_i (\nu_i + z_i^2)}\Big],

    ``psi`` the digamma function, and by the chain rule ``dL/dr_sigma = dL/dsigma s(r_sigma)``,
    ``dL/dr_nu = dL/dnu s(r_nu)``.

    Parameters
    ----------
    scale_floor : float > 0, default 1e-6
        Lower bound of ``sigma``: the NLL cannot run to -inf.
    df_floor : float > 0, default 0.1
        ``nu >= 2 + df_floor``: the degrees of freedom stay above 2, the variance finite.

    Examples
    --------
    >>> loss = StudentTNLL()
    >>> mu, sigma, nu = loss.parameters(np.array([0.0, 0.0, 0.0]))
    >>> float(mu), round(float(sigma), 6), round(float(nu), 6)   # softplus(0) = log 2
    (0.0, 0.693148, 2.793147)
    """

    scale_floor: float = 1e-6
    df_floor: float = 0.1
    n_outputs: ClassVar[int] = 3
    param_names: ClassVar[tuple[str, ...]] = ("loc", "scale", "df")

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale_floor", _check_scale_floor(self.scale_floor))
        df_floor = check_float(self.df_floor, "df_floor", min_value=0.0, inclusive=False)
        object.__setattr__(self, "df_floor", df_floor)

    def parameters(self, raw: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(mu, sigma, nu)`` from raw outputs of shape ``(..., 3)``, each of shape ``(...)``."""
        raw = _raw(raw, self.n_outputs, "student_t")
        sigma = softplus(raw[..., 1]) + self.scale_floor
        return raw[..., 0], sigma, 2.0 + self.df_floor + softplus(raw[..., 2])

    def __call__(self, pred: Any, target: Any) -> tuple[float, np.ndarray]:
        """Mean NLL over the observations and its gradient with respect to the raw outputs."""
        raw, y, dtype = _split(pred, target, self.n_outputs, "student_t")
        n = len(y)
        mu = raw[:, 0]
        sigma = softplus(raw[:, 1]) + self.scale_floor
        nu = 2.0 + self.df_floor + softplus(raw[:, 2])
        z = (y - mu) / sigma
        z2 = z * z
        log_q = np.log1p(z2 / nu)  # log(1 + z^2 / nu)
        nll = (
            gammaln(0.5 * nu)
            - gammaln(0.5 * (nu + 1.0))
            + 0.5 * np.log(nu * math.pi)
            + np.log(sigma)
            + 0.5 * (nu + 1.0) * log_q
        )
        w = (nu + 1.0) / (nu + z2)  # the weight of an observation: small far in the tails
        dmu = -w * z / sigma
        dsigma = (1.0 - w * z2) / sigma
        dnu = 0.5 * (digamma(0.5 * nu) - digamma(0.5 * (nu + 1.0)) + 1.0 / nu + log_q - w * z2 / nu)
        draw = np.stack([dmu, dsigma * sigmoid(raw[:, 1]), dnu * sigmoid(raw[:, 2])], axis=-1)
        return float(np.mean(nll)), (draw / n).reshape(np.shape(pred)).astype(dtype, copy=False)


def check_quantiles(quantiles: Any, name: str = "quantiles") -> tuple[float, ...]:
    """Return quantile levels as a tuple of floats, strictly increasing and inside (0, 1)."""
    levels = np.asarray(quantiles)
    if levels.ndim != 1 or levels.size == 0 or not np.issubdtype(levels.dtype, np.number):
        raise ValueError(
            f"{name} must be a non-empty 1-D sequence of levels in (0, 1), e.g. (0.05, 0.5, "
            f"0.95), got {quantiles!r}"
        )
    levels = levels.astype(np.float64)
    outside = levels[~((levels > 0.0) & (levels < 1.0))]  # NaN falls here too
    if outside.size:
        raise ValueError(
            f"{name} must lie strictly inside (0, 1), got {name}={levels.tolist()} "
            f"({outside.tolist()} outside); use levels such as 0.05 or 0.95"
        )
    if np.any(np.diff(levels) <= 0.0):
        raise ValueError(
            f"{name} must be strictly increasing (sorted, no repeats), got {name}="
            f"{levels.tolist()}; pass sorted(set({name}))"
        )
    return tuple(float(q) for q in levels)


@dataclass(frozen=True)
class PinballLoss:
    r"""Pinball (quantile) loss of ``Q`` quantile forecasts at once, raw outputs ``(..., Q)``.

    The raw outputs are the quantiles themselves, ``q_ij`` at level ``tau_j``. With
    ``u_ij = y_i - q_ij`` and ``rho_tau(u) = max(tau u, (tau - 1) u)`` (Koenker and Bassett
    1978),

    .. math::

        L = \frac{1}{n Q} \sum_{i, j} \rho_{\tau_j}(y_i - q_{ij}),
        \qquad
        \frac{\partial L}{\partial q_{ij}} = \frac{\mathbb{1}[q_{ij} > y_i] - \tau_j}{n Q},

    a mean over the ``n Q`` elements. At a tie ``q = y`` the subgradient is the middle of
    ``[-tau, 1 - tau]``, ``1/2 - tau`` (as ``mae`` takes sign(0) = 0, and as PyTorch's
    ``maximum`` splits the gradient). At ``tau = 1/2`` the loss is ``mae / 2``.

    Parameters
    ----------
    quantiles : sequence of float, default (0.05, 0.5, 0.95)
        Levels strictly increasing, inside (0, 1).

    Examples
    --------
    >>> loss = PinballLoss(quantiles=(0.1, 0.9))
    >>> value, dpred = loss(np.array([[0.0, 0.0]]), np.array([[1.0]]))   # both below y = 1
    >>> value, dpred.tolist()                  # (0.1 + 0.9) / 2, (0 - tau) / 2
    (0.5, [[-0.05, -0.45]])
    """

    quantiles: tuple[float, ...] = (0.05, 0.5, 0.95)

    def __post_init__(self) -> None:
        object.__setattr__(self, "quantiles", check_quantiles(self.quantiles))

    @property
    def n_outputs(self) -> int:
        """One raw output per quantile level."""
        return len(self.quantiles)

    def __call__(self, pred: Any, target: Any) -> tuple[float, np.ndarray]:
        """Mean pinball loss over the ``n Q`` elements and its (sub)gradient."""
        q, y, dtype = _split(pred, target, self.n_outputs, "pinball")
        tau = np.asarray(self.quantiles)
        u = y[:, None] - q  # (n, Q)
        value = np.maximum(tau * u, (tau - 1.0) * u)
        above = 0.5 * (1.0 + np.sign(-u))  # 1[q > y], 1/2 at a tie
        dq = (above - tau) / q.size
        return float(np.mean(value)), dq.reshape(np.shape(pred)).astype(dtype, copy=False)


def _raw(raw: Any, width: int, name: str) -> np.ndarray:
    raw = np.asarray(raw, dtype=np.float64)
    if raw.ndim < 1 or raw.shape[-1] != width:
        raise ValueError(
            f"the {name} head has {width} raw outputs per observation: raw must have shape "
            f"(..., {width}), got {raw.shape}"
        )
    return raw


LIKELIHOODS: dict[str, type[NormalNLL] | type[StudentTNLL]] = {
    "normal": NormalNLL,
    "student_t": StudentTNLL,
}


def get_likelihood(name: str, **kwargs: Any) -> NormalNLL | StudentTNLL:
    """The NLL loss for ``name`` in ``LIKELIHOODS`` ("normal", "student_t"), built with
    ``kwargs`` (``scale_floor``, and ``df_floor`` for the Student-t).

    Examples
    --------
    >>> get_likelihood("student_t").n_outputs
    3
    """
    return LIKELIHOODS[check_choice(name, "likelihood", tuple(LIKELIHOODS))](**kwargs)


def head_size(loss: Any, target_size: int = 1) -> int:
    """The number of raw outputs a network's head needs for ``loss``.

    A distributional loss declares it (``loss.n_outputs``: 2 for ``NormalNLL``, 3 for
    ``StudentTNLL``, Q for ``PinballLoss``) and models one target per row; any other loss
    (a name in ``LOSSES`` or a callable) predicts the targets themselves: ``target_size``.

    Examples
    --------
    >>> head_size("mse", 1), head_size(NormalNLL()), head_size(PinballLoss((0.1, 0.5, 0.9)))
    (1, 2, 3)
    """
    target_size = check_int(target_size, "target_size", min_value=1)
    n_outputs = getattr(loss, "n_outputs", None)
    if n_outputs is None:
        return target_size
    if target_size != 1:
        raise ValueError(
            f"{type(loss).__name__} models one target per row, got target_size={target_size}; "
            f"use one series per output, or a regression loss such as 'mse'"
        )
    return int(n_outputs)


def target_size(loss: Any, output_size: int) -> int:
    """The width of the targets that ``loss`` compares with a head of ``output_size`` outputs.

    The inverse of ``head_size``: 1 for a distributional loss (whose ``n_outputs`` must then
    equal ``output_size``), the ``target_width`` a loss declares (``cross_entropy``: one class
    index per row of C logits), ``output_size`` for any other loss.
    """
    declared = getattr(loss, "target_width", None)
    if declared is not None:
        return int(declared)
    n_outputs = getattr(loss, "n_outputs", None)
    if n_outputs is None:
        return output_size
    if n_outputs != output_size:
        raise ValueError(
            f"{type(loss).__name__} needs a head of {n_outputs} raw outputs, but the network has "
            f"output_size={output_size}; build it with output_size=head_size(loss)"
        )
    return 1
