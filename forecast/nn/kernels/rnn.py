"""Compiled Elman RNN layer (numba engine): ``forecast.nn.rnn``'s equations and interface.

    h_t = tanh(a_t)  (or relu(a_t)),  a_t = W z_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh

The structure (a block's time loop compiled, one BLAS product and one fused pass per step,
``dW`` in one product after the backward loop) is that of ``forecast.nn.kernels.lstm``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from forecast.nn._linalg import affine_grads, affine_weights
from forecast.nn.kernels.activations import tanh
from forecast.nn.kernels.blocks import KERNEL_OPTIONS
from forecast.nn.kernels.layout import (
    add_outside_grads,
    gather_inputs,
    run_backward,
    run_forward,
    scatter_grads,
    to_columns,
)

N_GATES = 1
STATE_NAMES = ("h",)


@njit(**KERNEL_OPTIONS)
def forward_block(x, h0, W_T, relu, b0, b1, hs, Z, h_rows):  # pragma: no cover - compiled
    T = x.shape[0]
    H = h0.shape[0]
    nb = b1 - b0
    gather_inputs(x, h0, b0, Z)  # (T, b, H + D + 1), row b of Z[t] is z_t
    zero = np.zeros(1, x.dtype)[0]
    for t in range(T):
        A = h_rows[t + 1]
        np.dot(Z[t], W_T, A)  # a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh, a row per sequence
        for b in range(nb):
            a = A[b]
            if relu:
                for j in range(H):
                    if a[j] < zero:  # h_t = relu(a_t), NaN stays NaN
                        a[j] = zero
            else:
                for j in range(H):
                    a[j] = tanh(a[j])  # h_t = tanh(a_t)
        if t + 1 < T:
            Z[t + 1, :, :H] = A
    to_columns(h_rows, hs, b0)


def forward_work(T: int, nb: int, H: int, D: int) -> list[tuple[int, ...]]:
    """Shapes of a block's forward arrays: Z and h_t as rows (h_0 first, unused)."""
    return [(T, nb, H + D + 1), (T + 1, nb, H)]


@njit(**KERNEL_OPTIONS)
def backward_block(
    dh_seq, active, dh_T, W, Z, h_rows, relu, b0, dx, dh0, dA
):  # pragma: no cover - compiled
    T, nb, K = Z.shape
    H = h_rows.shape[2]
    dh = np.empty((nb, H), Z.dtype)  # dL/dh_t
    d_in = np.empty((nb, K), Z.dtype)  # [dh_{t-1}; dx_t; .] = W^T da_t, one row per sequence
    norms = np.zeros(T)
    one = np.ones(1, Z.dtype)[0]
    zero = np.zeros(1, Z.dtype)[0]
    for b in range(nb):
        for j in range(H):
            dh[b, j] = dh_T[j, b0 + b]
    for t in range(T - 1, -1, -1):
        norms[t] = add_outside_grads(dh, dh_seq, active, t, b0)  # dL/dh_t
        for b in range(nb):
            h, d_h, da = h_rows[t + 1, b], dh[b], dA[t, b]
            if relu:
                for j in range(H):
                    da[j] = d_h[j] * (one if h[j] > zero else zero)  # relu'(a_t) = [h_t > 0]
            else:
                for j in range(H):
                    da[j] = d_h[j] * (one - h[j] * h[j])  # da_t = dh_t * (1 - h_t^2)
        np.dot(dA[t], W, d_in)  # [dh_{t-1}; dx_t; .] = W^T da_t
        scatter_grads(d_in, dh, dx, t, b0)
    for b in range(nb):
        for j in range(H):
            dh0[j, b0 + b] = dh[b, j]
    dW = np.dot(dA.reshape(T * nb, H).T, Z.reshape(T * nb, K))  # sum_t dA_t^T Z_t
    return dW, norms


def backward_work(T: int, nb: int, H: int, D: int) -> list[tuple[int, ...]]:
    """Shape of a block's backward array: dL/da_t at every step."""
    return [(T, nb, H)]


def forward(x, state, W_ih, W_hh, b_ih, b_hh, *, nonlinearity="tanh"):
    """``forecast.nn.rnn.forward``, compiled: same arguments, states and equations."""
    W = affine_weights(W_hh, W_ih, b_ih + b_hh)  # a_t = W [h_{t-1}; x_t; 1]
    return run_forward(forward_block, forward_work, x, state, W, (nonlinearity == "relu",))


def backward(dh_seq, dstate, cache, *, active=None):
    """``forecast.nn.rnn.backward``, compiled: same arguments and results."""
    dx, dstate_0, dW, dh_norms = run_backward(
        backward_block, backward_work, dh_seq, dstate, cache, active
    )
    return dx, dstate_0, affine_grads(dW, len(dstate_0[0])), dh_norms
