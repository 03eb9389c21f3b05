"""Input checks for the engine: arrays with the right dtype, shape and finite values.

Errors name the argument, what was expected and what was received. Floating arrays are cast
to the network's dtype; any other dtype is refused rather than converted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class NonFiniteError(ValueError):
    """An array the engine reads or makes holds NaN or inf (bad input, or exploding training).

    Raised for non-finite inputs, states, weights and gradients, so that a caller can tell
    this failure from any other ``ValueError`` by its type, not by its message.
    """


def check_dtype(dtype: Any) -> np.dtype:
    """Return ``dtype`` as a NumPy dtype if it is float32 or float64."""
    try:
        resolved = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from exc
    if resolved not in DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got dtype={resolved}")
    return resolved


def check_array(
    a: Any,
    name: str,
    shape: Sequence[int | None],
    dtype: np.dtype,
    *,
    layout: str = "",
) -> np.ndarray:
    """Return ``a`` as a finite array of ``dtype`` whose shape matches ``shape``.

    ``None`` in ``shape`` accepts any length along that axis. ``layout`` describes the axes
    in error messages, e.g. ``"(T, B, D) time-major"``.
    """
    arr = np.asarray(a)
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(f"{name} must be a floating-point array, got dtype {arr.dtype}")
    where = f" {layout}" if layout else ""
    if arr.ndim != len(shape):
        raise ValueError(f"{name} must be {len(shape)}-D{where}, got an array of shape {arr.shape}")
    want = "(" + ", ".join("*" if n is None else str(n) for n in shape) + ")"
    for axis, (got, n) in enumerate(zip(arr.shape, shape, strict=True)):
        if n is not None and got != n:
            raise ValueError(
                f"{name} must have shape {want}{where}, got {arr.shape} "
                f"(axis {axis} is {got}, expected {n})"
            )
    if 0 in arr.shape:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    finite = np.isfinite(arr)
    if not finite.all():
        bad = np.argwhere(~finite)
        first = tuple(int(i) for i in bad[0])
        kind = "NaN" if np.isnan(arr[first]) else "inf"
        raise NonFiniteError(
            f"{name} contains {len(bad)} non-finite value(s); the first is {kind} at index {first}"
        )
    return arr.astype(dtype, copy=False)


def shape_mismatch(
    expected: Mapping[str, tuple[int, ...]],
    received: Mapping[str, tuple[int, ...]],
    labels: tuple[str, str] = ("expected", "got"),
) -> str:
    """Every missing, unexpected and mis-shaped name of ``received``, in one line ("" if none).

    ``expected`` and ``received`` map names to shapes; ``labels`` name the two sides in the
    shape clauses, e.g. ``"missing ['b'], unexpected ['c'], wrong shape: w: expected (2,),
    got (3,)"``.
    """
    missing = [k for k in expected if k not in received]
    extra = [k for k in received if k not in expected]
    misshaped = [
        f"{k}: {labels[0]} {expected[k]}, {labels[1]} {received[k]}"
        for k in expected
        if k in received and received[k] != expected[k]
    ]
    problems = []
    if missing:
        problems.append(f"missing {missing}")
    if extra:
        problems.append(f"unexpected {extra}")
    if misshaped:
        problems.append("wrong shape: " + "; ".join(misshaped))
    return ", ".join(problems)


def check_state(
    state: Any, name: str, names: tuple[str, ...], shape: tuple[int, int, int], dtype: np.dtype
) -> tuple[np.ndarray, ...]:
    """Return a recurrent state as a tuple of arrays, one per name in ``names``.

    A state is ``(h,)`` for RNN and GRU and ``(h, c)`` for LSTM, each array of shape
    ``(num_layers, B, H)``. A bare array is accepted when the state has one part.
    """
    if isinstance(state, np.ndarray) and len(names) == 1:
        state = (state,)
    if not isinstance(state, (tuple, list)) or len(state) != len(names):
        parts = ", ".join(names)
        got = f"a {type(state).__name__}"
        if isinstance(state, (tuple, list)):
            got += f" of length {len(state)}"
        raise TypeError(f"{name} must be a tuple ({parts}) of {len(names)} array(s), got {got}")
    layout = "(num_layers, B, H)"
    return tuple(
        check_array(s, f"{name}[{j}] ({part})", shape, dtype, layout=layout)
        for j, (s, part) in enumerate(zip(state, names, strict=True))
    )
