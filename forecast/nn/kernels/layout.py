"""Moving data between the network's layout and a block's rows, for the compiled kernels.

The network hands a layer its input as ``(T, D, B)`` (one column per sequence, see
``forecast.nn._linalg``). Inside a compiled kernel a block of ``b`` sequences works on rows
instead: ``Z[t]`` of shape (b, H + D + 1) holds ``z_t = [h_{t-1}; x_t; 1]`` of each sequence
as a row, so the step's product is ``Z_t W^T`` and the weight gradient ``dA^T Z`` over all
steps at once, both on contiguous memory. ``run_forward`` and ``run_backward`` split the
batch into blocks (``forecast.nn.kernels.blocks``), run a cell's block kernel on each and
put the results together in the network's layout.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
from numba import njit

from forecast.nn import _buffers
from forecast.nn._linalg import rescan_blas, single_threaded_blas
from forecast.nn.kernels.blocks import KERNEL_OPTIONS, block_bounds, run_blocks

# numba's products call SciPy's BLAS: load it now, so that single_threaded_blas, which
# finds the BLAS libraries once, limits its threads too (else each block's products would
# start threads of their own and oversubscribe the cores)
importlib.import_module("scipy.linalg.cython_blas")
rescan_blas()


@njit(**KERNEL_OPTIONS)
def gather_inputs(x, h0, b0, Z):  # pragma: no cover - compiled
    """Fill ``Z`` of shape (T, b, H + D + 1) with the rows ``[h_{t-1}; x_t; 1]`` of columns
    ``b0:b0 + b``, ``h_0`` included (the time loop writes each later ``h_t`` into
    ``Z[t + 1, :, :H]``)."""
    T, D, _ = x.shape
    H = h0.shape[0]
    nb = Z.shape[1]
    one = np.ones(1, x.dtype)[0]
    for b in range(nb):
        for j in range(H):
            Z[0, b, j] = h0[j, b0 + b]
    for t in range(T):
        for b in range(nb):
            for d in range(D):
                Z[t, b, H + d] = x[t, d, b0 + b]
            Z[t, b, H + D] = one


@njit(**KERNEL_OPTIONS)
def to_columns(rows, out, b0):  # pragma: no cover - compiled
    """Copy ``rows[1:]`` of shape (T + 1, b, H) into columns ``b0:`` of ``out[1:]``
    (T + 1, H, B); index 0, the initial state, is already there."""
    n, nb, H = rows.shape
    for t in range(1, n):
        for b in range(nb):  # contiguous reads: 30% faster than contiguous writes here
            for j in range(H):
                out[t, j, b0 + b] = rows[t, b, j]


@njit(**KERNEL_OPTIONS)
def add_outside_grads(dh, dh_seq, active, t, b0):  # pragma: no cover - compiled
    """Add ``dh_seq[t]`` (columns ``b0:``) to ``dh`` (b, H) if ``active[t]``; return the
    squared norm of the sum, ``||dL/dh_t||^2`` of the block."""
    nb, H = dh.shape
    if active[t]:
        for b in range(nb):
            for j in range(H):
                dh[b, j] += dh_seq[t, j, b0 + b]
    s = 0.0
    for b in range(nb):
        for j in range(H):
            s += dh[b, j] * dh[b, j]
    return s


#: steps per product of the weight gradient: their dA_t (8 x 32 x 256 floats for a block of
#: 32 LSTM or GRU sequences) are still in the core's L2 cache when the product reads them;
#: one product over all T steps after the loop reads them from L3 (about 10% slower backward)
DW_STEPS = 8


@njit(**KERNEL_OPTIONS)
def add_weight_grads(dA, Z, t, dW, dW_part):  # pragma: no cover - compiled
    """At ``t`` a multiple of ``DW_STEPS``, add ``sum_s dA_s^T Z_s`` over the steps
    ``s = t .. t + DW_STEPS - 1`` (up to T) to ``dW``, with ``dW_part`` as scratch. ``dA``
    holds ``DW_STEPS`` steps, ``dA_s`` at ``s % DW_STEPS`` (so these at ``0 .. t_hi - t``)."""
    if t % DW_STEPS == 0:
        t_hi = min(t + DW_STEPS, Z.shape[0])
        n = (t_hi - t) * Z.shape[1]
        np.dot(dA[: t_hi - t].reshape(n, dA.shape[2]).T, Z[t:t_hi].reshape(n, Z.shape[2]), dW_part)
        dW += dW_part


@njit(**KERNEL_OPTIONS)
def scatter_grads(d_in, dh, dx, t, b0):  # pragma: no cover - compiled
    """Split the rows ``[dh_{t-1}; dx_t; .]`` of ``d_in``: ``dh_{t-1}`` into ``dh`` (b, H),
    ``dx_t`` into columns ``b0:`` of ``dx[t]`` (network layout)."""
    nb, H = dh.shape
    D = dx.shape[1]
    for b in range(nb):
        for j in range(H):
            dh[b, j] = d_in[b, j]
        for d in range(D):
            dx[t, d, b0 + b] = d_in[b, H + d]


def run_forward(
    kernel: Any, work: Any, x: np.ndarray, state: tuple, W: np.ndarray, extra: tuple = ()
) -> tuple[tuple[np.ndarray, ...], tuple]:
    """Run a cell's forward block kernel over all blocks.

    ``kernel(x, *state, W^T, *extra, b0, b1, *states, *work_arrays)`` fills columns
    ``b0:b1`` of the state sequences (each (T + 1, H, B), the initial state at index 0) and
    its work arrays, whose shapes ``work(T, b, H, D)`` lists; they are what its backward
    kernel needs. The work arrays come from the pool of ``forecast.nn._buffers`` (fresh
    memory costs a page fault per 4 KiB). Returns the state sequences and the layer's cache.
    """
    T, D, B = x.shape
    x = np.ascontiguousarray(x)
    state = tuple(np.ascontiguousarray(s) for s in state)
    W_T = np.ascontiguousarray(W.T)
    H = state[0].shape[0]
    states = tuple(_buffers.empty((T + 1, H, B), x.dtype) for _ in state)
    for seq, s0 in zip(states, state, strict=True):
        seq[0] = s0
    bounds = block_bounds(B)
    blocks = [
        tuple(_buffers.empty(shape, x.dtype) for shape in work(T, b1 - b0, H, D))
        for b0, b1 in bounds
    ]
    with single_threaded_blas():
        run_blocks(
            kernel, bounds, lambda k, b0, b1: (x, *state, W_T, *extra, b0, b1, *states, *blocks[k])
        )
    return states, (np.ascontiguousarray(W), bounds, blocks, D, extra, len(state))


def run_backward(
    kernel: Any,
    work: Any,
    dh_seq: np.ndarray,
    dstate: tuple | None,
    cache: tuple,
    active: Any,
) -> tuple[np.ndarray, tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    """Run a cell's backward block kernel over all blocks.

    ``kernel(dh_seq, active, *dstate_T, W, *forward_work, *extra, b0, dx, *dstate_0,
    *work_arrays)`` writes columns ``b0:`` of ``dx`` (T, D, B) and of the gradients of the
    initial state, and returns its weight gradient and squared norms ``||dL/dh_t||^2``; its
    own work arrays have the shapes ``work(T, b, H, D)``. Returns ``dx``, the initial
    state's gradients, ``dW`` and the norms, summed over the blocks in block order.
    """
    W, bounds, blocks, D, extra, n_parts = cache
    T, H, B = dh_seq.shape
    dh_seq = np.ascontiguousarray(dh_seq)
    active = np.ones(T, bool) if active is None else np.ascontiguousarray(active, dtype=bool)
    if dstate is None:
        dstate = tuple(np.zeros((H, B), W.dtype) for _ in range(n_parts))
    dstate = tuple(np.ascontiguousarray(d) for d in dstate)
    dx = np.empty((T, D, B), W.dtype)
    dstate_0 = tuple(np.empty((H, B), W.dtype) for _ in range(n_parts))
    works = [
        tuple(_buffers.empty(shape, W.dtype) for shape in work(T, b1 - b0, H, D))
        for b0, b1 in bounds
    ]
    with single_threaded_blas():
        results = run_blocks(
            kernel,
            bounds,
            lambda k, b0, b1: (
                dh_seq,
                active,
                *dstate,
                W,
                *blocks[k],
                *extra,
                b0,
                dx,
                *dstate_0,
                *works[k],
            ),
        )
    dW, dh_norms = sum_blocks(results)
    return dx, dstate_0, dW, dh_norms


def sum_blocks(results: list) -> tuple[np.ndarray, np.ndarray]:
    """The weight gradient and ``||dL/dh_t||`` over all blocks, summed in block order."""
    dW = results[0][0].copy()
    sq = results[0][1].copy()
    for dW_k, sq_k in results[1:]:
        dW += dW_k
        sq += sq_k
    return dW, np.sqrt(sq)
