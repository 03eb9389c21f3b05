"""Regression losses for training: each returns the loss value and its gradient.

(The classification losses, ``binary_cross_entropy`` and ``cross_entropy`` of logits, are in
:mod:`forecast.nn.classification`; ``get_loss`` selects them by name too.)

Every loss is a mean over all elements, like PyTorch's ``reduction="mean"``:

    mse(p, y)   = mean((p - y)^2)                             dL/dp = 2 (p - y) / n
    mae(p, y)   = mean(|p - y|)                               dL/dp = sign(p - y) / n
    huber(p, y) = mean(0.5 d^2 if |d| <= delta                dL/dp = clip(d, -delta, delta) / n
                       else delta (|d| - 0.5 delta)),  d = p - y

with ``n`` the number of elements. ``mae`` uses sign(0) = 0 at a tie, as PyTorch does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from forecast._validation import check_choice, check_float
from forecast.nn.classification import CLASSIFICATION_LOSSES

Loss = Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]


def _diff(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    if pred.shape != target.shape:
        raise ValueError(
            f"pred and target must have the same shape, got {pred.shape} and {target.shape}"
        )
    return pred - target


def mse(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error and its gradient with respect to ``pred``.

    Parameters
    ----------
    pred, target : ndarray of the same shape

    Returns
    -------
    value : float
        ``mean((pred - target)^2)``
    dpred : ndarray like ``pred``
        ``2 (pred - target) / n``

    Examples
    --------
    >>> value, grad = mse(np.array([1.0, 3.0]), np.array([0.0, 0.0]))
    >>> value, grad.tolist()
    (5.0, [1.0, 3.0])
    """
    d = _diff(pred, target)
    value = float(np.mean(np.square(d, dtype=np.float64)))
    return value, d * (2.0 / d.size)


def mae(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean absolute error and its (sub)gradient ``sign(pred - target) / n``.

    Examples
    --------
    >>> value, grad = mae(np.array([1.0, -3.0]), np.array([0.0, 0.0]))
    >>> value, grad.tolist()
    (2.0, [0.5, -0.5])
    """
    d = _diff(pred, target)
    value = float(np.mean(np.abs(d), dtype=np.float64))
    return value, np.sign(d) * (1.0 / d.size)


def huber(pred: np.ndarray, target: np.ndarray, delta: float = 1.0) -> tuple[float, np.ndarray]:
    """Huber loss (quadratic within ``delta``, linear beyond) and its gradient.

    Examples
    --------
    >>> value, grad = huber(np.array([0.5, 3.0]), np.array([0.0, 0.0]))
    >>> value, grad.tolist()                   # (0.125 + 2.5) / 2
    (1.3125, [0.25, 0.5])
    """
    delta = check_float(delta, "delta", min_value=0.0, inclusive=False)
    d = _diff(pred, target)
    a = np.abs(d)
    quadratic = np.minimum(a, delta)
    # 0.5 q^2 + delta (|d| - q), with q = min(|d|, delta), covers both branches
    value = float(np.mean(0.5 * quadratic * quadratic + delta * (a - quadratic), dtype=np.float64))
    return value, np.clip(d, -delta, delta) * (1.0 / d.size)


#: the regression losses, by name
LOSSES: dict[str, Loss] = {"mse": mse, "mae": mae, "huber": huber}


def get_loss(loss: Any) -> Loss:
    """Return the loss function for a name in ``LOSSES`` ("mse", "mae", "huber") or in
    ``CLASSIFICATION_LOSSES`` ("bce", "cross_entropy"), or a callable ``(pred, target) ->
    (value, dpred)`` unchanged (e.g. ``functools.partial(huber, delta=0.5)``)."""
    if callable(loss):
        return loss
    every = {**LOSSES, **CLASSIFICATION_LOSSES}
    return every[check_choice(loss, "loss", tuple(every))]
