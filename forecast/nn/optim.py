"""Optimisers and gradient clipping, with PyTorch's update rules, acting in place on a dict.

An optimiser step is ``optimizer.step(params, grads)`` with both dicts keyed alike (e.g.
``RecurrentNetwork.params`` and the grads from ``backward``); each parameter array is updated
in place and the optimiser keeps its per-parameter state under the same names.

    SGD        p -= lr * g,  g = grad + weight_decay * p
    momentum   b = momentum * b + g;  p -= lr * b
    Nesterov   b = momentum * b + g;  p -= lr * (g + momentum * b)
    Adam       m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2
               p -= lr / (1 - b1^k) * m / (sqrt(v / (1 - b2^k)) + eps)
    AdamW      Adam with decoupled weight decay: p *= 1 - lr * weight_decay before the step
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from forecast._validation import check_choice, check_float
from forecast.nn._checks import NonFiniteError, shape_mismatch

__all__ = ["SGD", "Adam", "AdamW", "OPTIMIZERS", "make_optimizer", "clip_grad_norm", "global_norm"]


def _check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_same_keys(params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
    problems = shape_mismatch(
        {k: p.shape for k, p in params.items()},
        {k: np.shape(g) for k, g in grads.items()},
        labels=("param", "grad"),
    )
    if problems:
        raise ValueError("grads do not match params: " + problems)


class SGD:
    """Stochastic gradient descent, optionally with (Nesterov) momentum and L2 weight decay.

    Parameters
    ----------
    lr : float > 0, default 0.01
    momentum : float in [0, 1), default 0.0
    nesterov : bool, default False
        Nesterov momentum (needs ``momentum > 0``).
    weight_decay : float >= 0, default 0.0
        Adds ``weight_decay * p`` to the gradient (coupled L2, as ``torch.optim.SGD``).

    Examples
    --------
    >>> params = {"w": np.array([1.0, -2.0])}
    >>> SGD(lr=0.1).step(params, {"w": np.array([1.0, 1.0])})
    >>> params["w"].tolist()
    [0.9, -2.1]
    """

    def __init__(
        self,
        lr: float = 0.01,
        *,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        self.lr = check_float(lr, "lr", min_value=0.0, inclusive=False)
        self.momentum = check_float(momentum, "momentum", min_value=0.0, max_value=1.0)
        if self.momentum == 1.0:
            raise ValueError("momentum must be < 1, got momentum=1.0")
        self.nesterov = _check_bool(nesterov, "nesterov")
        if self.nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs momentum > 0, got momentum=0.0")
        self.weight_decay = check_float(weight_decay, "weight_decay", min_value=0.0)
        self.state: dict[str, np.ndarray] = {}

    def step(self, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
        """Update every array of ``params`` in place from ``grads`` (keyed alike)."""
        _check_same_keys(params, grads)
        for name, p in params.items():
            g = grads[name]
            if self.weight_decay:
                g = g + self.weight_decay * p
            if self.momentum:
                buf = self.state.get(name)
                if buf is None:
                    buf = self.state[name] = np.array(g, dtype=p.dtype)  # b_1 = g_1
                else:
                    buf *= self.momentum
                    buf += g  # b = momentum * b + g
                g = g + self.momentum * buf if self.nesterov else buf
            p -= self.lr * g


class Adam:
    """Adam (Kingma and Ba), with optional coupled or decoupled (AdamW) weight decay.

    Parameters
    ----------
    lr : float > 0, default 1e-3
    betas : (float, float) in [0, 1), default (0.9, 0.999)
    eps : float > 0, default 1e-8
    weight_decay : float >= 0, default 0.0
    decoupled_weight_decay : bool, default False
        False: add ``weight_decay * p`` to the gradient (``torch.optim.Adam``). True: shrink
        ``p *= 1 - lr * weight_decay`` before the step (``torch.optim.AdamW``).

    Examples
    --------
    >>> params = {"w": np.array([1.0])}
    >>> Adam(lr=0.1).step(params, {"w": np.array([3.0])})    # first step moves by ~lr
    >>> params["w"].round(6).tolist()
    [0.9]
    """

    def __init__(
        self,
        lr: float = 1e-3,
        *,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
    ) -> None:
        self.lr = check_float(lr, "lr", min_value=0.0, inclusive=False)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair of floats, got {betas!r}")
        self.betas = tuple(
            check_float(b, f"betas[{j}]", min_value=0.0, max_value=1.0, inclusive=True)
            for j, b in enumerate(betas)
        )
        if max(self.betas) >= 1.0:
            raise ValueError(f"betas must be < 1, got betas={betas!r}")
        self.eps = check_float(eps, "eps", min_value=0.0, inclusive=False)
        self.weight_decay = check_float(weight_decay, "weight_decay", min_value=0.0)
        self.decoupled_weight_decay = _check_bool(decoupled_weight_decay, "decoupled_weight_decay")
        self.steps = 0
        self.state: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def step(self, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
        """Update every array of ``params`` in place from ``grads`` (keyed alike)."""
        _check_same_keys(params, grads)
        self.steps += 1
        b1, b2 = self.betas
        bias1 = 1.0 - b1**self.steps
        bias2 = 1.0 - b2**self.steps
        step_size = self.lr / bias1
        for name, p in params.items():
            g = grads[name]
            if self.weight_decay and self.decoupled_weight_decay:
                p *= 1.0 - self.lr * self.weight_decay
            elif self.weight_decay:
                g = g + self.weight_decay * p
            if name not in self.state:
                self.state[name] = (np.zeros_like(p), np.zeros_like(p))
            m, v = self.state[name]
            m += (1.0 - b1) * (g - m)  # m = b1 m + (1 - b1) g
            v *= b2
            v += (1.0 - b2) * (g * g)  # v = b2 v + (1 - b2) g^2
            denom = np.sqrt(v)
            denom *= 1.0 / np.sqrt(bias2)
            denom += self.eps  # sqrt(v_hat) + eps
            p -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter), ``torch.optim.AdamW``.

    The same as ``Adam(..., decoupled_weight_decay=True)`` with ``weight_decay=0.01`` by default.
    """

    def __init__(
        self,
        lr: float = 1e-3,
        *,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ) -> None:
        super().__init__(
            lr, betas=betas, eps=eps, weight_decay=weight_decay, decoupled_weight_decay=True
        )


OPTIMIZERS: dict[str, type] = {"sgd": SGD, "adam": Adam, "adamw": AdamW}


def make_optimizer(name: Any, **kwargs: Any) -> SGD | Adam:
    """Build an optimiser by name: "sgd" (with ``momentum=``, ``nesterov=``), "adam", "adamw".

    Examples
    --------
    >>> make_optimizer("sgd", lr=0.1, momentum=0.9, nesterov=True).nesterov
    True
    """
    if not isinstance(name, str):
        raise TypeError(f"optimizer name must be a str, got {name!r}")
    return OPTIMIZERS[check_choice(name.lower(), "optimizer", tuple(OPTIMIZERS))](**kwargs)


def global_norm(grads: Mapping[str, np.ndarray]) -> float:
    """The Euclidean norm of all gradients together, sqrt(sum_k ||g_k||^2), in float64."""
    return float(np.sqrt(sum(np.sum(np.square(g, dtype=np.float64)) for g in grads.values())))


def clip_grad_norm(grads: Mapping[str, np.ndarray], max_norm: float) -> float:
    """Scale all gradients in place so that their global norm is at most ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_``: when the norm N exceeds ``max_norm`` every gradient
    is multiplied by ``max_norm / (N + 1e-6)``. Returns N, the norm before clipping.

    Raises
    ------
    NonFiniteError
        (a ValueError) if a gradient holds NaN or inf (clipping cannot repair it), naming
        the parameter.
    """
    max_norm = check_float(max_norm, "max_norm", min_value=0.0, inclusive=False)
    norm = global_norm(grads)
    if not np.isfinite(norm):
        bad = [k for k, g in grads.items() if not np.all(np.isfinite(g))]
        raise NonFiniteError(
            f"gradient norm is {norm}: non-finite gradients in {bad} (exploding gradients; "
            "lower the learning rate or clip earlier)"
        )
    if norm > max_norm:
        scale = max_norm / (norm + 1e-6)
        for g in grads.values():
            g *= scale
    return norm
