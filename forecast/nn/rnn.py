"""Elman RNN layer with ``torch.nn.RNN``'s equations: forward and backward over a sequence.

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    h_t = tanh(a_t)                   (or relu(a_t) with ``nonlinearity="relu"``)

Layout. The engine's public arrays are time-major ``(T, B, D)``. Inside a layer every step
works on column vectors, as the equations are written: ``x_t`` is a ``(D, B)`` matrix and
``h_t`` a ``(H, B)`` matrix with one column per sequence, so each gate is a contiguous block
of H rows (element-wise operations on a gate then run on contiguous memory) and a sequence is
a ``(T, D, B)`` array. The step's affine map is one product: with ``W = [W_hh | W_ih | b]``
and ``z_t = [h_{t-1}; x_t; 1]``, ``W_ih x_t + W_hh h_{t-1} + b = W z_t`` (``_linalg``), and
backward gets ``[dh_{t-1}; dx_t]`` from ``W^T da_t`` and all weight gradients together as
``dW = sum_t da_t z_t^T``, accumulated step by step while ``da_t`` is still in cache (measured
faster here than storing every ``da_t`` and taking one (G*H, T*B) @ (T*B, H + D + 1) product
after the loop, which needs transposed copies of both). The per-step work arrays are small
and reused, so they stay in cache too.
``forward`` returns ``hs`` of shape ``(T + 1, H, B)`` with ``hs[0] = h_0`` (the initial state)
and ``hs[t] = h_t``, so ``hs[:-1]`` lines ``h_{t-1}`` up with step ``t``.
"""

from __future__ import annotations

import numpy as np

from forecast.nn import _buffers
from forecast.nn._linalg import (
    affine_grads,
    affine_inputs,
    affine_weights,
    single_threaded_blas,
)

N_GATES = 1
STATE_NAMES = ("h",)


def forward(
    x: np.ndarray,
    state: tuple[np.ndarray],
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
    *,
    nonlinearity: str = "tanh",
) -> tuple[tuple[np.ndarray], tuple]:
    """Run the layer over a whole sequence.

    Parameters
    ----------
    x : ndarray of shape (T, D, B)
        Time-major input, one column per sequence: ``x[t]`` is ``x_t``.
    state : tuple (h_0,)
        Initial state, ``h_0`` of shape (H, B).
    W_ih, W_hh : ndarray of shape (H, D) and (H, H)
    b_ih, b_hh : ndarray of shape (H,)
    nonlinearity : {"tanh", "relu"}

    Returns
    -------
    states : tuple (hs,)
        ``hs`` of shape (T + 1, H, B): ``hs[0] = h_0`` and ``hs[t] = h_t``.
    cache : tuple
        What ``backward`` needs.
    """
    T, _, B = x.shape
    (h0,) = state
    H = len(h0)
    W = affine_weights(W_hh, W_ih, b_ih + b_hh)  # a_t = W [h_{t-1}; x_t; 1]
    Z = affine_inputs(x, h0)
    hs = Z[:, :H]
    a = np.empty((H, B), dtype=x.dtype)  # small and reused, so it stays in cache
    with single_threaded_blas():
        for t in range(T):
            np.matmul(W, Z[t], out=a)  # a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
            if nonlinearity == "tanh":
                np.tanh(a, out=hs[t + 1])  # h_t = tanh(a_t)
            else:
                np.maximum(a, 0, out=hs[t + 1])  # h_t = relu(a_t)
    cache = (Z, W, nonlinearity)
    return (hs,), cache


def backward(
    dh_seq: np.ndarray,
    dstate: tuple[np.ndarray] | None,
    cache: tuple,
    *,
    active: np.ndarray | None = None,
) -> tuple[np.ndarray, tuple[np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """Backpropagate through the whole sequence (BPTT).

    Parameters
    ----------
    dh_seq : ndarray of shape (T, H, B)
        ``dL/dh_t`` from outside the recurrence (the layer above or the output head).
    dstate : tuple (dh_T,) or None
        Gradient arriving at the final state from later computations; None means zero.
    cache : tuple
        From ``forward``.
    active : ndarray of bool, shape (T,), optional
        Steps where ``dh_seq`` may be nonzero; the others are skipped. None means all.

    Returns
    -------
    dx : ndarray of shape (T, D, B)
        Gradient with respect to the input.
    dstate_0 : tuple (dh_0,)
        Gradient with respect to the initial state.
    grads : dict
        ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``.
    dh_norms : ndarray of shape (T,)
        ``||dL/dh_t||`` for every step, the gradient-flow diagnostic.
    """
    Z, W, nonlinearity = cache
    T = len(Z) - 1
    H, K = W.shape
    B = Z.shape[2]
    h = Z[1:, :H]  # h_t for t = 1 .. T
    # per-step work arrays, small and reused so that they stay in cache
    da = np.empty((H, B), dtype=Z.dtype)  # dL/da_t at the pre-activation
    dh = np.empty((H, B), dtype=Z.dtype)  # dL/dh_t: from outside at t plus from step t+1
    d_inputs = np.empty((K, B), dtype=Z.dtype)  # W^T da_t = [dh_{t-1}; dx_t; unused]
    dW = np.zeros(W.shape, dtype=Z.dtype)
    dW_t = np.empty(W.shape, dtype=Z.dtype)
    dx = _buffers.empty((T, K - H - 1, B), Z.dtype)
    dh_norm2 = np.empty(T)
    dh_next = np.zeros((H, B), Z.dtype) if dstate is None else dstate[0]
    with single_threaded_blas():
        for t in reversed(range(T)):
            if active is None or active[t]:
                np.add(dh_seq[t], dh_next, out=dh)
            else:
                dh[...] = dh_next
            dh_norm2[t] = np.vdot(dh, dh)
            if nonlinearity == "tanh":
                np.multiply(h[t], h[t], out=da)
                np.subtract(1, da, out=da)  # tanh'(a_t) = 1 - h_t^2
                da *= dh  # da_t = dh_t * (1 - h_t^2)
            else:
                np.multiply(dh, h[t] > 0, out=da)  # relu'(a_t) = [h_t > 0]
            np.matmul(W.T, da, out=d_inputs)
            dh_next = d_inputs[:H]  # dh_{t-1} = W_hh^T da_t
            dx[t] = d_inputs[H:-1]  # dx_t = W_ih^T da_t
            np.matmul(da, Z[t].T, out=dW_t)
            dW += dW_t  # dW = sum_t da_t z_t^T = [dW_hh | dW_ih | db]
    return dx, (dh_next.copy(),), affine_grads(dW, H), np.sqrt(dh_norm2)
