"""LSTM layer with ``torch.nn.LSTM``'s equations: forward and backward over a sequence.

    i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)      input gate
    f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)      forget gate
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)         candidate cell
    o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)      output gate
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)

The four gates are stacked in PyTorch's order (i, f, g, o): ``W_ih`` is ``(4H, D)``, ``W_hh``
is ``(4H, H)`` and the biases are ``(4H,)``. ``forward`` returns ``hs`` and ``cs`` of shape
``(T + 1, H, B)`` with the initial state at index 0 and the state after step t at index t.

Layout (``(T, D, B)`` inside a layer, one column per sequence) and the step as one product
``a_t = W z_t`` with ``W = [W_hh | W_ih | b]`` and ``z_t = [h_{t-1}; x_t; 1]``, forward and
backward: see ``forecast.nn._linalg``.

Speed: the three sigmoids and the tanh of the gates share one ``exp`` over the stacked gates,
because sigmoid(a) = 1 / (1 + exp(-a)) and tanh(a) = 2 sigmoid(2a) - 1; the factors -1 and
-2 are folded into the rows of ``W`` once per call (``_exp_scale``). (NumPy's float32 ``exp``
costs about half of its ``tanh``.)
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

N_GATES = 4
STATE_NAMES = ("h", "c")


def _gates(a: np.ndarray) -> list[np.ndarray]:
    """Named views (i, f, g, o) of stacked gates of shape (..., 4H, B)."""
    H = a.shape[-2] // 4
    return [a[..., k * H : (k + 1) * H, :] for k in range(4)]


def _exp_scale(H: int, dtype: np.dtype) -> np.ndarray:
    """Per-row factor s with gate = 1 / (1 + exp(s * a)): -1 for i, f, o and -2 for g."""
    s = np.full((4 * H, 1), -1.0, dtype=dtype)
    s[2 * H : 3 * H] = -2.0
    return s


def forward(
    x: np.ndarray,
    state: tuple[np.ndarray, np.ndarray],
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple]:
    """Run the layer over a whole sequence; arguments and results as in ``rnn.forward``.

    The state has two parts: ``state`` is ``(h_0, c_0)``, each of shape (H, B), and the
    states returned are ``(hs, cs)``, each of shape (T + 1, H, B) with the initial state at
    index 0. ``W_ih`` and ``W_hh`` have shape (4H, D) and (4H, H), ``b_ih`` and ``b_hh``
    shape (4H,).
    """
    T, _, B = x.shape
    h0, c0 = state
    H = len(h0)
    W = affine_weights(W_hh, W_ih, b_ih + b_hh)  # a_t = W [h_{t-1}; x_t; 1], (4H, H + D + 1)
    W_s = _exp_scale(H, x.dtype) * W  # s * a_t = W_s z_t
    Z = affine_inputs(x, h0)
    hs = Z[:, :H]
    gates = _buffers.empty((T, 4 * H, B), x.dtype)
    i, f, g, o = _gates(gates)  # after activation: i_t, f_t, g_t, o_t
    cs = _buffers.empty((T + 1, H, B), x.dtype)
    cs[0] = c0
    tanh_c = _buffers.empty((T, H, B), x.dtype)
    ig = np.empty((H, B), dtype=x.dtype)
    sa = np.empty((4 * H, B), dtype=x.dtype)  # small and reused, so it stays in cache
    with single_threaded_blas(), np.errstate(over="ignore"):  # exp(large) = inf gives gate 0
        for t in range(T):
            a = gates[t]
            np.matmul(W_s, Z[t], out=sa)  # s * (W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
            np.exp(sa, out=a)
            a += 1
            np.divide(1, a, out=a)  # i, f, o = sigmoid(a); g block = sigmoid(2 a_g)
            g[t] *= 2
            g[t] -= 1  # g_t = tanh(a_g) = 2 sigmoid(2 a_g) - 1
            np.multiply(f[t], cs[t], out=cs[t + 1])
            np.multiply(i[t], g[t], out=ig)
            cs[t + 1] += ig  # c_t = f_t * c_{t-1} + i_t * g_t
            np.tanh(cs[t + 1], out=tanh_c[t])
            np.multiply(o[t], tanh_c[t], out=hs[t + 1])  # h_t = o_t * tanh(c_t)
    cache = (Z, cs, gates, tanh_c, W)
    return (hs, cs), cache


def backward(
    dh_seq: np.ndarray,
    dstate: tuple[np.ndarray, np.ndarray] | None,
    cache: tuple,
    *,
    active: np.ndarray | None = None,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """Backpropagate through the whole sequence (BPTT); arguments and results as in
    ``rnn.backward``, with the two-part state: ``dstate`` is ``(dh_T, dc_T)`` or None and
    ``dstate_0`` is ``(dh_0, dc_0)``."""
    Z, cs, gates, tanh_c, W = cache
    T, H, B = tanh_c.shape
    dtype = Z.dtype
    i, f, g, o = _gates(gates)
    # per-step work arrays, small and reused so that they stay in cache
    da = np.empty((4 * H, B), dtype=dtype)  # dL/da_t for the four stacked gates
    di, df, dg, do = _gates(da)
    dact = np.empty((4 * H, B), dtype=dtype)  # local derivative of each gate's activation
    dact_g = dact[2 * H : 3 * H]
    dc = np.empty((H, B), dtype=dtype)
    dc_next = np.zeros((H, B), dtype) if dstate is None else dstate[1].copy()
    bp = AffineBackprop(Z, W, H, None if dstate is None else dstate[0])
    with single_threaded_blas():
        for t in reversed(range(T)):
            dh = bp.dh(t, dh_seq, active)  # dL/dh_t: from outside at t plus from step t+1
            np.subtract(1, gates[t], out=dact)
            dact *= gates[t]  # sigmoid' = s (1 - s) for i, f, o
            np.multiply(g[t], g[t], out=dact_g)
            np.subtract(1, dact_g, out=dact_g)  # tanh' = 1 - g^2 for g
            np.multiply(dh, tanh_c[t], out=do)  # dL/do_t
            np.multiply(do, tanh_c[t], out=dc)
            np.subtract(dh, dc, out=dc)
            dc *= o[t]
            dc += dc_next  # dc_t = dh_t * o_t * (1 - tanh^2(c_t)) + dc_{t+1} * f_{t+1}
            np.multiply(dc, g[t], out=di)  # dL/di_t
            np.multiply(dc, cs[t], out=df)  # dL/df_t, cs[t] is c_{t-1}
            np.multiply(dc, i[t], out=dg)  # dL/dg_t
            da *= dact  # through the activations: dL/da_t
            np.multiply(dc, f[t], out=dc_next)  # dc_{t-1} = dc_t * f_t
            bp.backprop(t, da)  # [dh_{t-1}; dx_t] = [W_hh^T da_t; W_ih^T da_t], dW += da_t z_t^T
    dx, dh0, dh_norms = bp.results()
    return dx, (dh0, dc_next), affine_grads(bp.dW, H), dh_norms
