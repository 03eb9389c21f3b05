"""Overflow-free arithmetic on float64 arrays: scale by a power of two before squaring.

Multiplying by ``2**-k`` only changes the exponent of a float, so it is exact (unless a value
falls into the subnormal range, where it only loses digits that could not change a sum
dominated by the largest value). A sum of squares computed on ``x * 2**-k`` and rescaled by
``2**(2k)`` is therefore *bitwise* the plain result whenever the plain computation neither
overflows nor underflows, and the right number when it would: ``rmse([1e200, -1e200],
[-1e200, 1e200])`` is ``2e200``, not ``inf``. A result that is itself too large for float64
raises :class:`FloatRangeError` instead of coming out as ``inf`` (one below the smallest
float64 rounds to 0, as every float operation does).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["FloatRangeError", "pow2_exponent", "pow2_scaled", "rescale", "scaled_difference"]


class FloatRangeError(ValueError):
    """A result is too large to be a float64 (it would come out as ``inf``)."""


def pow2_exponent(x: np.ndarray, axis: int | None = None) -> np.ndarray | int:
    """The exponent ``k`` with ``max|x| = m * 2**k``, ``0.5 <= m < 1`` (0 where ``x`` is 0).

    With ``axis`` given, one exponent per slice along the other axes.
    """
    peak = np.max(np.abs(x), axis=axis)
    _, k = np.frexp(peak)  # frexp(0) = (0, 0)
    return int(k) if np.ndim(k) == 0 else k


def pow2_scaled(x: np.ndarray, axis: int | None = None) -> tuple[np.ndarray, np.ndarray | int]:
    """``(x * 2**-k, k)`` with the largest magnitude of the result in ``[0.5, 1)`` (exact)."""
    k = pow2_exponent(x, axis)
    kk = k if axis is None or np.ndim(k) == 0 else np.expand_dims(k, axis)
    with np.errstate(under="ignore"):
        return np.ldexp(x, -np.asarray(kk)), k


def scaled_difference(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, int]:
    """``(d, k)`` with ``a - b = d * 2**k`` and ``max|d|`` in ``[0.5, 1)``, never overflowing.

    ``a - b`` of two finite floats overflows only when both are near the float64 limit;
    then both are halved first (exact).
    """
    with np.errstate(over="ignore"):
        d = np.asarray(a, dtype=np.float64) - b
    shift = 0
    if not np.isfinite(d).all():  # |a - b| > 1.8e308: halve both first (exact)
        d, shift = np.asarray(a) * 0.5 - np.asarray(b) * 0.5, 1
    d, k = pow2_scaled(d)
    return d, k + shift


def rescale(value: float, k: int, what: str) -> float:
    """``value * 2**k``, or :class:`FloatRangeError` naming ``what`` if it exceeds float64.

    A result below the smallest float64 rounds to it or to 0, as any float operation does.
    """
    value = float(value)
    if not math.isfinite(value):  # an intermediate step already overflowed
        raise FloatRangeError(
            f"{what} overflows float64 (beyond 1.8e308); rescale the inputs first, e.g. "
            "divide them by a power of 10"
        )
    try:
        return math.ldexp(value, int(k))
    except OverflowError:
        order = math.log10(abs(value)) + k * math.log10(2.0)
        exponent = math.floor(order)
        raise FloatRangeError(
            f"{what} is about {10 ** (order - exponent):.2g}e{exponent}, larger than the "
            "largest float64 (1.8e308); rescale the inputs first, e.g. divide them by a power of 10"
        ) from None
