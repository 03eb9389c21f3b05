"""Compiled LSTM layer (numba engine): ``forecast.nn.lstm``'s equations and interface.

    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o),  g = tanh(a_g),  a_t = W z_t
    c_t = f_t * c_{t-1} + i_t * g_t,  h_t = o_t * tanh(c_t)

Each block of sequences (``forecast.nn.kernels.blocks``) runs the whole time loop in one
compiled function: per step one BLAS product ``A_t = Z_t W^T`` of shape (b, 4H) (row ``b`` is
``a_t`` of sequence ``b``; ``Z_t`` holds the rows ``z_t = [h_{t-1}; x_t; 1]``, see
``forecast.nn.kernels.layout``), then one fused pass over the (b, H) cells for all the gate
math (SIMD, see ``forecast.nn.kernels.activations``). Backward stores every ``dA_t`` and
takes the weight gradient ``dW = sum_t dA_t^T Z_t`` in products over 8 steps stacked
(``layout.DW_STEPS``), ``(8b, 4H)^T @ (8b, H + D + 1)``, while those ``dA_t`` are in cache.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from forecast.nn._linalg import affine_grads, affine_weights
from forecast.nn.kernels.activations import sigmoid, tanh
from forecast.nn.kernels.blocks import KERNEL_OPTIONS
from forecast.nn.kernels.layout import (
    DW_STEPS,
    add_outside_grads,
    add_weight_grads,
    gather_inputs,
    run_backward,
    run_forward,
    scatter_grads,
    to_columns,
)

N_GATES = 4
STATE_NAMES = ("h", "c")


@njit(**KERNEL_OPTIONS)
def forward_block(
    x, h0, c0, W_T, b0, b1, hs, cs_out, Z, gates, cs, h_rows, tanh_c
):  # pragma: no cover - compiled
    T = x.shape[0]
    H = h0.shape[0]
    nb = b1 - b0
    gather_inputs(x, h0, b0, Z)  # (T, b, H + D + 1), row b of Z[t] is z_t
    for b in range(nb):
        for j in range(H):
            cs[0, b, j] = c0[j, b0 + b]
    for t in range(T):
        A = gates[t]
        np.dot(Z[t], W_T, A)  # a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh, a row per sequence
        for b in range(nb):  # one row per sequence, the gates as contiguous slices of it
            a_i, a_f, a_g, a_o = A[b, :H], A[b, H : 2 * H], A[b, 2 * H : 3 * H], A[b, 3 * H :]
            c_prev, c, tc, h = cs[t, b], cs[t + 1, b], tanh_c[t, b], h_rows[t + 1, b]
            for j in range(H):
                i = sigmoid(a_i[j])
                f = sigmoid(a_f[j])
                g = tanh(a_g[j])
                o = sigmoid(a_o[j])
                a_i[j], a_f[j], a_g[j], a_o[j] = i, f, g, o
                c_j = f * c_prev[j] + i * g  # c_t = f_t * c_{t-1} + i_t * g_t
                tc_j = tanh(c_j)
                c[j], tc[j] = c_j, tc_j
                h[j] = o * tc_j  # h_t = o_t * tanh(c_t)
        if t + 1 < T:
            Z[t + 1, :, :H] = h_rows[t + 1]
    to_columns(h_rows, hs, b0)
    to_columns(cs, cs_out, b0)


def forward_work(T: int, nb: int, H: int, D: int) -> list[tuple[int, ...]]:
    """Shapes of a block's forward arrays: Z, the gates i, f, g, o after activation, c_t
    and h_t as rows (initial state first) and tanh(c_t)."""
    return [(T, nb, H + D + 1), (T, nb, 4 * H), (T + 1, nb, H), (T + 1, nb, H), (T, nb, H)]


@njit(**KERNEL_OPTIONS)
def backward_block(
    dh_seq, active, dh_T, dc_T, W, Z, gates, cs, h_rows, tanh_c, b0, dx, dh0, dc0, dA
):  # pragma: no cover - compiled
    T, nb, K = Z.shape
    H = cs.shape[2]
    dh = np.empty((nb, H), Z.dtype)  # dL/dh_t
    dc = np.empty((nb, H), Z.dtype)  # dc_{t+1} * f_{t+1}, then dc_{t-1} for the next step
    d_in = np.empty((nb, K), Z.dtype)  # [dh_{t-1}; dx_t; .] = W^T da_t, one row per sequence
    norms = np.zeros(T)
    one = np.ones(1, Z.dtype)[0]
    dW = np.zeros((4 * H, K), Z.dtype)  # sum_t dA_t^T Z_t
    dW_part = np.empty((4 * H, K), Z.dtype)
    for b in range(nb):
        for j in range(H):
            dh[b, j] = dh_T[j, b0 + b]
            dc[b, j] = dc_T[j, b0 + b]
    for t in range(T - 1, -1, -1):
        norms[t] = add_outside_grads(dh, dh_seq, active, t, b0)  # dL/dh_t
        for b in range(nb):
            G, dG = gates[t, b], dA[t % DW_STEPS, b]
            i_, f_, g_, o_ = G[:H], G[H : 2 * H], G[2 * H : 3 * H], G[3 * H :]
            di_, df_, dg_, do_ = dG[:H], dG[H : 2 * H], dG[2 * H : 3 * H], dG[3 * H :]
            c_prev, tc, d_h, d_c = cs[t, b], tanh_c[t, b], dh[b], dc[b]
            for j in range(H):
                d, i, f, g, o = d_h[j], i_[j], f_[j], g_[j], o_[j]
                do = d * tc[j]
                dct = (d - do * tc[j]) * o + d_c[j]  # dc_t = dh_t o_t (1 - tanh^2 c_t) + ..
                di_[j] = dct * g * ((one - i) * i)  # through sigmoid' = s (1 - s)
                df_[j] = dct * c_prev[j] * ((one - f) * f)
                dg_[j] = dct * i * (one - g * g)  # through tanh' = 1 - g^2
                do_[j] = do * ((one - o) * o)
                d_c[j] = dct * f  # dc_{t-1} = dc_t * f_t
        np.dot(dA[t % DW_STEPS], W, d_in)  # [dh_{t-1}; dx_t; .] = W^T da_t
        scatter_grads(d_in, dh, dx, t, b0)
        add_weight_grads(dA, Z, t, dW, dW_part)  # dW += dA_s^T Z_s, DW_STEPS steps at a time
    for b in range(nb):
        for j in range(H):
            dh0[j, b0 + b] = dh[b, j]
            dc0[j, b0 + b] = dc[b, j]
    return dW, norms


def backward_work(T: int, nb: int, H: int, D: int) -> list[tuple[int, ...]]:
    """Shape of a block's backward array: dL/da_t of the four gates at ``DW_STEPS`` steps
    (step ``t`` at ``t % DW_STEPS``, until the weight gradient has taken them)."""
    return [(min(T, DW_STEPS), nb, 4 * H)]


def forward(x, state, W_ih, W_hh, b_ih, b_hh):
    """``forecast.nn.lstm.forward``, compiled: same arguments, states and equations."""
    W = affine_weights(W_hh, W_ih, b_ih + b_hh)  # a_t = W [h_{t-1}; x_t; 1]
    return run_forward(forward_block, forward_work, x, state, W)


def backward(dh_seq, dstate, cache, *, active=None):
    """``forecast.nn.lstm.backward``, compiled: same arguments and results."""
    dx, dstate_0, dW, dh_norms = run_backward(
        backward_block, backward_work, dh_seq, dstate, cache, active
    )
    return dx, dstate_0, affine_grads(dW, len(dstate_0[0])), dh_norms
