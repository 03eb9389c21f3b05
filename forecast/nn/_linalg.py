"""Linear algebra shared by the three cells and the head: the step's affine map as one
product, its backward pass over time, sums of outer products over time, and BLAS threading.

Layout. The engine's public arrays are time-major ``(T, B, D)``. Inside a layer every step
works on column vectors, as the equations are written: ``x_t`` is a ``(D, B)`` matrix and
``h_t`` a ``(H, B)`` matrix with one column per sequence, so each gate is a contiguous block
of H rows (element-wise operations on a gate then run on contiguous memory) and a sequence is
a ``(T, D, B)`` array; in general ``a`` of shape ``(T, M, B)`` holds ``a_t`` of shape
``(M, B)`` for each step ``t``.

The step's affine map is one product: with ``W = [W_hh | W_ih | b]`` and
``z_t = [h_{t-1}; x_t; 1]``, ``W_ih x_t + W_hh h_{t-1} + b = W z_t`` (``affine_weights``,
``affine_inputs``), and backward (``AffineBackprop``) gets ``[dh_{t-1}; dx_t]`` from
``W^T da_t`` and all weight gradients together as ``dW = sum_t da_t z_t^T``, accumulated step
by step while ``da_t`` is still in cache (measured faster here than storing every ``da_t``
and taking one (G*H, T*B) @ (T*B, H + D + 1) product after the loop, which needs transposed
copies of both). The per-step work arrays of the cells are small and reused, so they stay in
cache too.
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


def rescan_blas() -> None:
    """Make ``single_threaded_blas`` look for BLAS libraries again at its next use.

    The libraries are found once; the numba engine calls this after loading the BLAS its
    compiled products use (SciPy's), which may come after that first look.
    """
    global _controller
    _controller = None


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


class AffineBackprop:
    """Backward through the affine maps ``a_t = W z_t`` of all steps, for a cell's BPTT loop.

    The cell's loop runs ``t = T - 1, ..., 0``: ``dh(t, ...)`` gives the whole ``dL/dh_t``,
    the cell turns it into ``da_t`` by its own equations, and ``backprop(t, da_t)`` writes
    ``W^T da_t = [dh_{t-1}; dx_t; unused]`` straight into row block ``t`` of one
    ``(T + 1, H + D + 1, B)`` array ``d_in`` and adds ``da_t z_t^T`` to ``dW``. Row block
    ``d_in[t + 1, :H]`` then also collects the gradient from outside, in place, so neither
    ``dL/dh_t`` nor ``dx_t`` is copied and the norms ``||dL/dh_t||`` are taken in one call
    after the loop (``results``); ``d_in[T, :H]`` starts as ``dh_T``.

    Parameters
    ----------
    Z : ndarray of shape (T + 1, H + D + 1, B)
        The step inputs from ``affine_inputs``, with the states filled in by the forward pass.
    W : ndarray of shape (M, H + D + 1)
        The stacked affine map of the forward pass.
    H : int
        Hidden units.
    dh_T : ndarray of shape (H, B) or None
        Gradient arriving at the final state from later computations; None means zero.
    """

    def __init__(self, Z: np.ndarray, W: np.ndarray, H: int, dh_T: np.ndarray | None) -> None:
        self.Z, self.W, self.H = Z, W, H
        self.d_in = _buffers.empty(Z.shape, Z.dtype)
        self.d_in[-1, :H] = 0 if dh_T is None else dh_T
        self.dW = np.zeros(W.shape, dtype=Z.dtype)
        self.dW_t = np.empty(W.shape, dtype=Z.dtype)  # small and reused, so it stays in cache

    def dh(self, t: int, dh_seq: np.ndarray, active: np.ndarray | None) -> np.ndarray:
        """``dL/dh_t`` (a view): from step t + 1, plus ``dh_seq[t]`` unless ``active[t]`` is off."""
        dh = self.d_in[t + 1, : self.H]
        if active is None or active[t]:
            dh += dh_seq[t]
        return dh

    def backprop(self, t: int, da: np.ndarray) -> np.ndarray:
        """Take ``da_t`` back through ``W z_t``; return the view that holds ``dh_{t-1}``."""
        np.matmul(self.W.T, da, out=self.d_in[t])  # [dh_{t-1}; dx_t; .] = W^T da_t
        np.matmul(da, self.Z[t].T, out=self.dW_t)
        self.dW += self.dW_t  # dW = sum_t da_t z_t^T
        return self.d_in[t, : self.H]

    def results(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``dx`` of shape (T, D, B) (a view into a work array of the pool), a copy of
        ``dh_0`` of shape (H, B), and ``||dL/dh_t||`` for every step, shape (T,)."""
        H = self.H
        dh_all = self.d_in[1:, :H]
        dh_norms = np.sqrt(np.einsum("thb,thb->t", dh_all, dh_all), dtype=np.float64)
        return self.d_in[:-1, H:-1], self.d_in[0, :H].copy(), dh_norms


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
