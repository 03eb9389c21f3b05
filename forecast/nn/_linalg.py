"""Linear algebra shared by the three cells and the head: the step's affine map as one
product, sums of outer products over time, and BLAS threading.

Inside a layer, sequences are stacks of column-vector matrices: ``a`` of shape ``(T, M, B)``
holds ``a_t`` of shape ``(M, B)`` for each step ``t`` (one column per sequence of the batch).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np

from forecast.nn import _buffers

try:  # a dependency of scikit-learn, so normally present
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover
    ThreadpoolController = None

_controller: Any = None


def single_threaded_blas() -> AbstractContextManager:
    """Context in which NumPy's BLAS runs on one thread.

    A step of a recurrent layer is a small matrix product followed by a few element-wise
    operations. A multi-threaded BLAS wakes its worker threads for every small product and
    they then spin while NumPy runs the element-wise operations, so each step gets several
    times slower (on 2 cores, a (64, 64) @ (64, 256) product followed by a ``tanh`` went from
    80 us to 1.4 ms). The time loops therefore run with one BLAS thread (via threadpoolctl,
    which scikit-learn depends on; without it this does nothing).
    """
    global _controller
    if ThreadpoolController is None:
        return nullcontext()
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


def affine_weights(W_hh: np.ndarray, W_ih: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return ``W = [W_hh | W_ih | b]`` of shape (G*H, H + D + 1), so that a step's affine map
    ``W_hh h_{t-1} + W_ih x_t + b`` is the single product ``W z_t`` (see ``affine_inputs``)."""
    return np.concatenate([W_hh, W_ih, b[:, None]], axis=1)


def affine_grads(
    dW: np.ndarray, H: int, rows_ih: Any = slice(None), rows_hh: Any = slice(None)
) -> dict[str, np.ndarray]:
    """Split ``dW = [dW_hh | dW_ih | db]``, the gradient of ``affine_weights``' ``W``.

    ``b = b_ih + b_hh`` enters the step once, so both biases get ``db``. ``rows_ih`` and
    ``rows_hh`` select the rows of ``W`` that belong to each weight when ``W`` stacks more
    rows than one gate layout (the GRU's candidate has separate input and hidden rows).
    Every gradient is an array of its own, so in-place updates (clipping) never alias.
    """
    return {
        "weight_ih": dW[rows_ih, H:-1].copy(),
        "weight_hh": dW[rows_hh, :H].copy(),
        "bias_ih": dW[rows_ih, -1].copy(),
        "bias_hh": dW[rows_hh, -1].copy(),
    }


def affine_inputs(x: np.ndarray, h0: np.ndarray) -> np.ndarray:
    """Return ``Z`` of shape (T + 1, H + D + 1, B) with ``Z[t] = [h_{t-1}; x_t; 1]``.

    ``x`` has shape (T, D, B) and ``h0`` shape (H, B). Only ``h_0`` is filled in: the step loop
    writes each new state ``h_t`` into ``Z[t + 1, :H]``, so ``Z[:, :H]`` is the state sequence
    (initial state first) and ``Z[:-1]`` lines the inputs of every step up for the weight
    gradient ``dW = sum_t da_t z_t^T``. The last column block of ``Z[T]`` is unused.
    """
    T, D, B = x.shape
    H = h0.shape[0]
    Z = _buffers.empty((T + 1, H + D + 1, B), x.dtype)
    Z[0, :H] = h0
    Z[:T, H : H + D] = x
    Z[T, H : H + D] = 0
    Z[:, H + D] = 1
    return Z


def sum_outer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return ``sum_t a_t b_t^T`` for ``a`` of shape (T, M, B) and ``b`` of shape (T, N, B).

    This is the gradient of a weight shared over time, e.g. the head's
    ``dW_head = sum_t dy_t h_t^T``, as one product over time and batch, (M, T*B) @ (T*B, N).
    """
    T, M, B = a.shape
    N = b.shape[1]
    a_mat = _buffers.empty((M, T, B), a.dtype)
    np.copyto(a_mat, a.transpose(1, 0, 2))  # columns (t, b) side by side
    b_mat = _buffers.empty((T, B, N), b.dtype)
    np.copyto(b_mat, b.transpose(0, 2, 1))  # rows (t, b) stacked
    return a_mat.reshape(M, T * B) @ b_mat.reshape(T * B, N)
