"""Compiled GRU layer (numba engine): ``forecast.nn.gru``'s equations and interface.

    r_t = sigmoid(a_r),  z_t = sigmoid(a_z),  hn_t = W_hn h_{t-1} + b_hn
    n_t = tanh(W_in x_t + b_in + r_t * hn_t),  h_t = n_t + z_t * (h_{t-1} - n_t)

with the four row blocks (r, z, the candidate's input part, its hidden part ``hn``) of
``forecast.nn.gru.stacked_weights`` as one product per step. The structure (a block's time
loop compiled, one BLAS product and one fused pass per step, ``dW`` in products over
``DW_STEPS`` steps during the backward loop) is that of ``forecast.nn.kernels.lstm``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from forecast.nn._linalg import affine_grads
from forecast.nn.gru import stacked_weights
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

N_GATES = 3
STATE_NAMES = ("h",)


@njit(**KERNEL_OPTIONS)
def forward_block(x, h0, W_T, b0, b1, hs, Z, gates, h_rows):  # pragma: no cover - compiled
    T = x.shape[0]
    H = h0.shape[0]
    nb = b1 - b0
    gather_inputs(x, h0, b0, Z)  # (T, b, H + D + 1), row b of Z[t] is z_t
    h_rows[0] = Z[0, :, :H]
    for t in range(T):
        A = gates[t]
        np.dot(Z[t], W_T, A)  # [a_r, a_z, W_in x_t + b_in, hn_t], a row per sequence
        for b in range(nb):
            r_, z_, n_, hn_ = A[b, :H], A[b, H : 2 * H], A[b, 2 * H : 3 * H], A[b, 3 * H :]
            h_prev, h = h_rows[t, b], h_rows[t + 1, b]
            for j in range(H):
                r = sigmoid(r_[j])
                z = sigmoid(z_[j])
                n = tanh(n_[j] + r * hn_[j])  # n_t = tanh(W_in x_t + b_in + r_t * hn_t)
                r_[j], z_[j], n_[j] = r, z, n
                h[j] = n + z * (h_prev[j] - n)  # h_t = n_t + z_t * (h_{t-1} - n_t)
        if t + 1 < T:
            Z[t + 1, :, :H] = h_rows[t + 1]
    to_columns(h_rows, hs, b0)


def forward_work(T: int, nb: int, H: int, D: int) -> list[tuple[int, ...]]:
    """Shapes of a block's forward arrays: Z, the gates (r, z, n, hn) and h_t as rows."""
    return [(T, nb, H + D + 1), (T, nb, 4 * H), (T + 1, nb, H)]


@njit(**KERNEL_OPTIONS)
def backward_block(
    dh_seq, active, dh_T, W, Z, gates, h_rows, b0, dx, dh0, dA
):  # pragma: no cover - compiled
    T, nb, K = Z.shape
    H = h_rows.shape[2]
    dh = np.empty((nb, H), Z.dtype)  # dL/dh_t
    dh_z = np.empty((nb, H), Z.dtype)  # dh_t * z_t, the direct path to h_{t-1}
    d_in = np.empty((nb, K), Z.dtype)  # W^T dgates_t, one row per sequence
    norms = np.zeros(T)
    one = np.ones(1, Z.dtype)[0]
    dW = np.zeros((4 * H, K), Z.dtype)  # sum_t dA_t^T Z_t
    dW_part = np.empty((4 * H, K), Z.dtype)
    for b in range(nb):
        for j in range(H):
            dh[b, j] = dh_T[j, b0 + b]
    for t in range(T - 1, -1, -1):
        norms[t] = add_outside_grads(dh, dh_seq, active, t, b0)  # dL/dh_t
        for b in range(nb):
            G, dG = gates[t, b], dA[t % DW_STEPS, b]
            r_, z_, n_, hn_ = G[:H], G[H : 2 * H], G[2 * H : 3 * H], G[3 * H :]
            dr_, dz_, dan_, dhn_ = dG[:H], dG[H : 2 * H], dG[2 * H : 3 * H], dG[3 * H :]
            h_prev, d_h, d_hz = h_rows[t, b], dh[b], dh_z[b]
            for j in range(H):
                d, r, z, n = d_h[j], r_[j], z_[j], n_[j]
                d_an = d * (one - z) * (one - n * n)  # dL/da_n = dh_t (1 - z_t) (1 - n_t^2)
                dan_[j] = d_an
                dhn_[j] = d_an * r  # dL/dhn_t
                dr_[j] = d_an * hn_[j] * ((one - r) * r)  # through sigmoid' = s (1 - s)
                dz_[j] = d * (h_prev[j] - n) * ((one - z) * z)
                d_hz[j] = d * z
        np.dot(dA[t % DW_STEPS], W, d_in)  # W^T dgates_t = [dh_{t-1} via the gates; dx_t; .]
        scatter_grads(d_in, dh, dx, t, b0)
        dh += dh_z  # dh_{t-1} = W_hr^T da_r + W_hz^T da_z + W_hn^T dhn_t + dh_t * z_t
        add_weight_grads(dA, Z, t, dW, dW_part)  # dW += dA_s^T Z_s, DW_STEPS steps at a time
    for b in range(nb):
        for j in range(H):
            dh0[j, b0 + b] = dh[b, j]
    return dW, norms


def backward_work(T: int, nb: int, H: int, D: int) -> list[tuple[int, ...]]:
    """Shape of a block's backward array: dL/d(each row block of W z_t) at ``DW_STEPS``
    steps (step ``t`` at ``t % DW_STEPS``, until the weight gradient has taken them)."""
    return [(min(T, DW_STEPS), nb, 4 * H)]


def forward(x, state, W_ih, W_hh, b_ih, b_hh):
    """``forecast.nn.gru.forward``, compiled: same arguments, states and equations."""
    return run_forward(
        forward_block, forward_work, x, state, stacked_weights(W_ih, W_hh, b_ih, b_hh)
    )


def backward(dh_seq, dstate, cache, *, active=None):
    """``forecast.nn.gru.backward``, compiled: same arguments and results."""
    dx, dstate_0, dW, dh_norms = run_backward(
        backward_block, backward_work, dh_seq, dstate, cache, active
    )
    H = len(dstate_0[0])
    rows_ih = np.r_[0 : 2 * H, 2 * H : 3 * H]  # r, z and the candidate's input part
    rows_hh = np.r_[0 : 2 * H, 3 * H : 4 * H]  # r, z and the candidate's hidden part
    return dx, dstate_0, affine_grads(dW, H, rows_ih, rows_hh), dh_norms
