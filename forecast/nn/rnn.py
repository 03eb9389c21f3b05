"""Elman RNN layer with ``torch.nn.RNN``'s equations: forward and backward over a sequence.

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    h_t = tanh(a_t)                   (or relu(a_t) with ``nonlinearity="relu"``)

Layout (``(T, D, B)`` inside a layer, one column per sequence) and the step as one product
``a_t = W z_t`` with ``W = [W_hh | W_ih | b]`` and ``z_t = [h_{t-1}; x_t; 1]``, forward and
backward: see ``forecast.nn._linalg``.
``forward`` returns ``hs`` of shape ``(T + 1, H, B)`` with ``hs[0] = h_0`` (the initial state)
and ``hs[t] = h_t``, so ``hs[:-1]`` lines ``h_{t-1}`` up with step ``t``.
"""

from __future__ import annotations

import numpy as np

from forecast.nn._linalg import (
    AffineBackprop,
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

    Every cell module (``rnn``, ``lstm``, ``gru``) has this ``forward`` and ``backward``;
    ``lstm`` and ``gru`` document only where theirs differ (gate shapes, the LSTM's cell state).

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
        Gradient with respect to the input (a view into a work array of the pool).
    dstate_0 : tuple (dh_0,)
        Gradient with respect to the initial state.
    grads : dict
        ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``.
    dh_norms : ndarray of shape (T,)
        ``||dL/dh_t||`` for every step, the gradient-flow diagnostic.
    """
    Z, W, nonlinearity = cache
    T = len(Z) - 1
    H = W.shape[0]
    h = Z[1:, :H]  # h_t for t = 1 .. T
    da = np.empty((H, Z.shape[2]), dtype=Z.dtype)  # dL/da_t, small and reused
    bp = AffineBackprop(Z, W, H, None if dstate is None else dstate[0])
    with single_threaded_blas():
        for t in reversed(range(T)):
            dh = bp.dh(t, dh_seq, active)  # dL/dh_t: from outside at t plus from step t+1
            if nonlinearity == "tanh":
                np.multiply(h[t], h[t], out=da)
                np.subtract(1, da, out=da)  # tanh'(a_t) = 1 - h_t^2
                da *= dh  # da_t = dh_t * (1 - h_t^2)
            else:
                np.multiply(dh, h[t] > 0, out=da)  # relu'(a_t) = [h_t > 0]
            bp.backprop(t, da)  # [dh_{t-1}; dx_t] = [W_hh^T da_t; W_ih^T da_t], dW += da_t z_t^T
    dx, dh0, dh_norms = bp.results()
    return dx, (dh0,), affine_grads(bp.dW, H), dh_norms
