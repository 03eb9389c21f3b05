"""Central finite differences and the relative error the gradient tests compare with."""

from __future__ import annotations

import numpy as np


def numerical_gradient(f, arr: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central differences (f(a + h e_i) - f(a - h e_i)) / 2h of a scalar f, in place on arr."""
    grad = np.zeros_like(arr)
    flat, gflat = arr.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = f()
        flat[i] = old - h
        minus = f()
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * h)
    return grad


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))
