"""GRU layer with ``torch.nn.GRU``'s equations: forward and backward over a sequence.

    r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)           reset gate
    z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)           update gate
    n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))      candidate
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

The gates are stacked in PyTorch's order (r, z, n): ``W_ih`` is ``(3H, D)``, ``W_hh`` is
``(3H, H)`` and the biases are ``(3H,)``; note that ``b_hn`` sits inside the reset product.
``forward`` returns ``hs`` of shape ``(T + 1, H, B)`` with ``hs[0] = h_0`` and ``hs[t] = h_t``.

Layout (``(T, D, B)`` inside a layer, one column per sequence) and the step as one product
``W z_t`` with ``W = [W_hh | W_ih | b]`` and ``z_t = [h_{t-1}; x_t; 1]``, forward and
backward: see ``forecast.nn._linalg``.
Because r_t multiplies only the hidden part of the candidate, ``W`` has four row blocks here:
r, z, the candidate's input part and its hidden part ``hn_t`` (see ``stacked_weights``).

Speed: the two sigmoids are computed as 1 / (1 + exp(-a)) with the factor -1 folded into the
r and z rows of ``W`` once per call.
"""

from __future__ import annotations

import numpy as np

from forecast.nn import _buffers
from forecast.nn._linalg import (
    AffineBackprop,
    affine_grads,
    affine_inputs,
    affine_weights,
    single_threaded_blas,
)

N_GATES = 3
STATE_NAMES = ("h",)


def _gates(a: np.ndarray) -> list[np.ndarray]:
    """Named views (r, z, n, hn) of the four row blocks of shape (T, 4H, B)
    (see ``stacked_weights``)."""
    return np.split(a, 4, axis=1)


def stacked_weights(
    W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray
) -> np.ndarray:
    """Stack the step's affine maps as one (4H, H + D + 1) matrix acting on [h_{t-1}; x_t; 1].

    Row blocks: r and z get ``[W_h. | W_i. | b_i. + b_h.]``; the candidate needs its input part
    ``[0 | W_in | b_in]`` and its hidden part ``hn_t = [W_hn | 0 | b_hn]`` apart, because
    only the hidden part is multiplied by r_t.
    """
    H, D = W_hh.shape[1], W_ih.shape[1]
    W = np.zeros((4 * H, H + D + 1), dtype=W_hh.dtype)
    W[: 2 * H] = affine_weights(W_hh[: 2 * H], W_ih[: 2 * H], b_ih[: 2 * H] + b_hh[: 2 * H])
    W[2 * H : 3 * H, H:-1] = W_ih[2 * H :]
    W[2 * H : 3 * H, -1] = b_ih[2 * H :]
    W[3 * H :, :H] = W_hh[2 * H :]
    W[3 * H :, -1] = b_hh[2 * H :]
    return W


def forward(
    x: np.ndarray,
    state: tuple[np.ndarray],
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> tuple[tuple[np.ndarray], tuple]:
    """Run the layer over a whole sequence; arguments and results as in ``rnn.forward``.

    ``W_ih`` and ``W_hh`` have shape (3H, D) and (3H, H), ``b_ih`` and ``b_hh`` shape (3H,).
    """
    T, _, B = x.shape
    (h0,) = state
    H = len(h0)
    W = stacked_weights(W_ih, W_hh, b_ih, b_hh)
    W_s = W.copy()
    W_s[: 2 * H] *= -1  # r and z become 1 / (1 + exp(-a))
    Z = affine_inputs(x, h0)
    hs = Z[:, :H]
    gates = _buffers.empty((T, 4 * H, B), x.dtype)
    rz = gates[:, : 2 * H]
    r, z, n, hn = _gates(gates)  # after activation: r_t, z_t, n_t, and hn_t = W_hn h_{t-1} + b_hn
    tmp = np.empty((H, B), dtype=x.dtype)
    sa = np.empty((4 * H, B), dtype=x.dtype)  # small and reused, so it stays in cache
    sa_rz, sa_n, sa_hn = sa[: 2 * H], sa[2 * H : 3 * H], sa[3 * H :]
    with single_threaded_blas(), np.errstate(over="ignore"):  # exp(large) = inf gives gate 0
        for t in range(T):
            np.matmul(W_s, Z[t], out=sa)
            np.exp(sa_rz, out=rz[t])
            rz[t] += 1
            np.divide(1, rz[t], out=rz[t])  # r_t, z_t = sigmoid(W_i x_t + b_i + W_h h_{t-1} + b_h)
            hn[t] = sa_hn  # hn_t = W_hn h_{t-1} + b_hn
            np.multiply(r[t], hn[t], out=tmp)
            np.add(sa_n, tmp, out=n[t])
            np.tanh(n[t], out=n[t])  # n_t = tanh(W_in x_t + b_in + r_t * hn_t)
            np.subtract(hs[t], n[t], out=tmp)
            tmp *= z[t]
            np.add(n[t], tmp, out=hs[t + 1])  # h_t = n_t + z_t * (h_{t-1} - n_t)
    cache = (Z, gates, W)
    return (hs,), cache


def backward(
    dh_seq: np.ndarray,
    dstate: tuple[np.ndarray] | None,
    cache: tuple,
    *,
    active: np.ndarray | None = None,
) -> tuple[np.ndarray, tuple[np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """Backpropagate through the whole sequence (BPTT); arguments and results as in
    ``rnn.backward``."""
    Z, gates, W = cache
    T = len(gates)
    H = W.shape[0] // 4
    B = Z.shape[2]
    hs = Z[:, :H]
    rz = gates[:, : 2 * H]
    r, z, n, hn = _gates(gates)
    # per-step work arrays, small and reused so that they stay in cache
    dgates = np.empty((4 * H, B), dtype=Z.dtype)  # dL/d(each row block of W z_t)
    dr, dz, d_an, d_hn = np.split(dgates, 4)
    d_rz = dgates[: 2 * H]
    dact = np.empty((2 * H, B), dtype=Z.dtype)
    tmp = np.empty((H, B), dtype=Z.dtype)
    tmp2 = np.empty((H, B), dtype=Z.dtype)
    bp = AffineBackprop(Z, W, H, None if dstate is None else dstate[0])
    with single_threaded_blas():
        for t in reversed(range(T)):
            dh = bp.dh(t, dh_seq, active)  # dL/dh_t: from outside at t plus from step t+1
            np.subtract(1, z[t], out=tmp)
            tmp *= dh  # dL/dn_t = dh_t * (1 - z_t)
            np.multiply(n[t], n[t], out=tmp2)
            np.subtract(1, tmp2, out=tmp2)
            np.multiply(tmp, tmp2, out=d_an)  # dL/da_n = dL/dn_t * (1 - n_t^2)
            np.multiply(d_an, r[t], out=d_hn)  # dL/dhn_t = dL/da_n * r_t
            np.multiply(d_an, hn[t], out=dr)  # dL/dr_t = dL/da_n * hn_t
            np.subtract(hs[t], n[t], out=dz)
            dz *= dh  # dL/dz_t = dh_t * (h_{t-1} - n_t)
            np.subtract(1, rz[t], out=dact)
            dact *= rz[t]  # sigmoid' = s (1 - s) for r and z
            d_rz *= dact  # through the sigmoids
            dh_prev = bp.backprop(t, dgates)  # W^T dgates_t = [dh_{t-1} via gates; dx_t; .]
            np.multiply(dh, z[t], out=tmp)
            dh_prev += tmp  # dh_{t-1} = W_hr^T da_r + W_hz^T da_z + W_hn^T dhn_t + dh_t * z_t
    rows_ih = np.r_[0 : 2 * H, 2 * H : 3 * H]  # r, z and the candidate's input part
    rows_hh = np.r_[0 : 2 * H, 3 * H : 4 * H]  # r, z and the candidate's hidden part
    dx, dh0, dh_norms = bp.results()
    return dx, (dh0,), affine_grads(bp.dW, H, rows_ih, rows_hh), dh_norms
