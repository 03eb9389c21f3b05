"""tanh and sigmoid for the compiled kernels: exact in float64, a vectorisable rational in float32.

numba calls the C library's scalar ``tanhf``/``expf`` for every element (about 24 and 10 ns
here), where NumPy's SIMD loops take 0.5 ns: scalar calls would make the fused gate pass the
slowest part of a step. In float32 the kernels therefore use the rational approximation of
Eigen and XLA, which the compiler turns into SIMD code (only products, sums, one division
and a clamp):

    tanh(x) ~= x P(x^2) / Q(x^2),  x clamped to [-7.9053, 7.9053],
    P of degree 6 (alpha_1 .. alpha_13), Q of degree 3 (beta_0 .. beta_6),

within a few float32 ulps of tanh (measured in ``tests/test_engines.py``), and
``sigmoid(x) = 1/2 + tanh(x/2) / 2``. In float64 both are the C library's, as exact as
NumPy's, so that the engines agree to 1e-12 there.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import overload

from forecast.nn.kernels.blocks import KERNEL_OPTIONS

_CLAMP = np.float32(7.90531110763549805)
_ALPHA = [
    np.float32(c)
    for c in (
        4.89352455891786e-03,
        6.37261928875436e-04,
        1.48572235717979e-05,
        5.12229709037114e-08,
        -8.60467152213735e-11,
        2.00018790482477e-13,
        -2.76076847742355e-16,
    )
]
_BETA = [
    np.float32(c)
    for c in (
        4.89352518554385e-03,
        2.26843463243900e-03,
        1.18534705686654e-04,
        1.19825839466702e-06,
    )
]
A1, A3, A5, A7, A9, A11, A13 = _ALPHA
B0, B2, B4, B6 = _BETA
HALF = np.float32(0.5)


def tanh(x):  # pragma: no cover - replaced by the overload inside compiled code
    """tanh(x) inside compiled kernels (see the module docstring)."""
    return np.tanh(x)


def sigmoid(x):  # pragma: no cover - replaced by the overload inside compiled code
    """1 / (1 + exp(-x)) inside compiled kernels (see the module docstring)."""
    return 1 / (1 + np.exp(-x))


@njit(**KERNEL_OPTIONS)
def tanh_rational(x):  # pragma: no cover - compiled
    """The float32 rational approximation of tanh (also callable from Python, for tests)."""
    x = min(max(x, -_CLAMP), _CLAMP)
    x2 = x * x
    p = x * (A1 + x2 * (A3 + x2 * (A5 + x2 * (A7 + x2 * (A9 + x2 * (A11 + x2 * A13))))))
    q = B0 + x2 * (B2 + x2 * (B4 + x2 * B6))
    return p / q


@overload(tanh, jit_options=KERNEL_OPTIONS)
def _tanh_impl(x):
    if x == types.float32:
        return lambda x: tanh_rational(x)
    return lambda x: np.tanh(x)


@overload(sigmoid, jit_options=KERNEL_OPTIONS)
def _sigmoid_impl(x):
    if x == types.float32:
        return lambda x: HALF + HALF * tanh_rational(HALF * x)
    one = 1.0
    return lambda x: one / (one + np.exp(-x))
