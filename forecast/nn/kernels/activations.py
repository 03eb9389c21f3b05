"""tanh and sigmoid for the compiled kernels: exact in float64, a vectorisable rational in float32.

numba calls the C library's scalar ``tanhf``/``expf`` for every element (about 24 and 10 ns
here), where NumPy's SIMD loops take 0.5 ns: scalar calls would make the fused gate pass the
slowest part of a step. In float32 the kernels therefore use the rational approximation of
Eigen and XLA, which the compiler turns into SIMD code (only products, sums, one division
and a clamp):

    tanh(x) ~= x P(x^2) / Q(x^2),  x clamped to [-7.9053, 7.9053],  +-1 past |x| = 9.5,
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
ONE = np.float32(1.0)
_SATURATED = np.float32(9.5)  # |x| beyond which tanh(x) rounds to +-1 in float32


def tanh(x):  # pragma: no cover - replaced by the overload inside compiled code
    """tanh(x) inside compiled kernels (see the module docstring)."""
    return np.tanh(x)


def sigmoid(x):  # pragma: no cover - replaced by the overload inside compiled code
    """1 / (1 + exp(-x)) inside compiled kernels (see the module docstring)."""
    return 1 / (1 + np.exp(-x))


@njit(**KERNEL_OPTIONS)
def tanh_rational(x):  # pragma: no cover - compiled
    """The float32 rational approximation of tanh (also callable from Python, for tests)."""
    u = _CLAMP if x > _CLAMP else x  # written so that NaN stays NaN
    u = -_CLAMP if u < -_CLAMP else u
    u2 = u * u
    p = u * (A1 + u2 * (A3 + u2 * (A5 + u2 * (A7 + u2 * (A9 + u2 * (A11 + u2 * A13))))))
    q = B0 + u2 * (B2 + u2 * (B4 + u2 * B6))
    y = p / q
    y = ONE if x > _SATURATED else y  # float32 tanh is exactly +-1 there, as NumPy's
    return -ONE if x < -_SATURATED else y


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
