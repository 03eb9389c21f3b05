"""Input checks shared by every module: one place that says what a valid series is.

Every check raises ``ValueError`` or ``TypeError`` with a message that names the problem and
the offending value or position. Nothing is dropped, filled or clipped here.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd


def check_int(value: Any, name: str, *, min_value: int | None = None) -> int:
    """Return ``value`` as an int, or raise naming ``name`` and the value.

    Booleans and floats are refused (``window=2.5`` is a bug, not a request to truncate).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    value = int(value)
    if min_value is not None and value < min_value:
        raise ValueError(f"{name} must be >= {min_value}, got {name}={value}")
    return value


def check_float(
    value: Any,
    name: str,
    *,
    min_value: float | None = None,
    max_value: float | None = None,
    inclusive: bool = True,
) -> float:
    """Return ``value`` as a finite float within the bounds, or raise naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {value!r} of type {type(value).__name__}"
        )
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {name}={value}")
    if min_value is not None and (value < min_value if inclusive else value <= min_value):
        op = ">=" if inclusive else ">"
        raise ValueError(f"{name} must be {op} {min_value}, got {name}={value}")
    if max_value is not None and (value > max_value if inclusive else value >= max_value):
        op = "<=" if inclusive else "<"
        raise ValueError(f"{name} must be {op} {max_value}, got {name}={value}")
    return value


def check_choice(value: Any, name: str, choices: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``; otherwise list the valid choices."""
    choices = tuple(choices)
    if value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise ValueError(f"unknown {name}={value!r}; valid choices are {valid}")
    return value


def label_text(label: Any) -> str:
    """A label for messages: a date without its time part when that is midnight."""
    if isinstance(label, pd.Timestamp) and label == label.normalize():
        return label.strftime("%Y-%m-%d")
    return str(label)


def position_text(index: pd.Index | None, i: int) -> str:
    """Position ``i`` for an error message: ``"position 3 (2020-01-06)"``, with its label
    when ``index`` has labels (not None, not a RangeIndex)."""
    if index is None or isinstance(index, pd.RangeIndex):
        return f"position {i}"
    return f"position {i} ({label_text(index[i])})"


def check_index(index: pd.Index, name: str = "y") -> pd.Index:
    """Require a strictly increasing index of dates or integers; name the first offender.

    Parameters
    ----------
    index : pandas.Index
        A DatetimeIndex (tz-naive or tz-aware) or an integer index (a ``RangeIndex``, or
        integers of any width; values near the int64 limits are compared exactly).
    name : str
        How the caller calls the indexed data in error messages.

    Returns
    -------
    pandas.Index
        ``index`` unchanged. A tz-aware index keeps its zone: it is ordered by its instants
        (UTC), so both daylight-saving transitions pass (the repeated wall-clock hour of the
        fall-back is two different instants).

    Raises
    ------
    TypeError
        for an index that is neither dates nor integers (floats, strings, periods, ...).
    ValueError
        for a missing date (``NaT``), or a label not after the one before it (a duplicate or
        a step back).
    """
    if isinstance(index, pd.DatetimeIndex):
        missing = np.flatnonzero(index.isna())
        if missing.size:
            raise ValueError(
                f"{name} index has {missing.size} missing date(s) (NaT); the first is at "
                f"position {int(missing[0])}. Drop those rows or give them their dates first."
            )
        values = index.asi8  # int64 instants: UTC for a tz-aware index
    elif len(index) == 0 or (isinstance(index, pd.RangeIndex) and index.step > 0):
        return index
    else:
        values = np.asarray(index)
        if values.dtype.kind not in "iu":
            kind = f"{type(index).__name__} of dtype {index.dtype}"
            raise TypeError(
                f"{name} must have a DatetimeIndex or an integer index, got {kind}; "
                "pass dates, or y.reset_index(drop=True) for positions"
            )
    # compare neighbours directly: np.diff of int64 wraps around near the limits
    later, earlier = values[1:], values[:-1]
    bad = np.flatnonzero(later <= earlier)
    if bad.size:
        i = int(bad[0]) + 1
        problem = (
            "duplicated" if later[bad[0]] == earlier[bad[0]]
            else "not sorted (earlier than the one before)"
        )
        raise ValueError(
            f"{name} index is {problem} at {position_text(index, i)}; "
            f"{bad.size} such position(s) in total. Sort it and remove duplicates first."
        )
    return index


def check_finite(values: np.ndarray, index: pd.Index | None = None, name: str = "y") -> None:
    """Raise if ``values`` holds NaN or inf, naming how many and the first position."""
    finite = np.isfinite(values)
    if not finite.all():
        rows = ~finite if finite.ndim == 1 else ~finite.reshape(len(finite), -1).all(axis=1)
        bad = np.flatnonzero(rows)
        first = bad[0]
        where = position_text(index, first)
        kind = "NaN" if np.isnan(np.asarray(values)[rows][0]).any() else "inf"
        raise ValueError(
            f"{name} contains {bad.size} non-finite value(s) (NaN or inf); "
            f"the first is {kind} at {where}. Drop or fill them explicitly before calling this."
        )


def as_float64(values: np.ndarray, name: str) -> np.ndarray:
    """Return real numeric ``values`` as float64 (no copy if already float64)."""
    if values.dtype == object or not (
        np.issubdtype(values.dtype, np.number) or np.issubdtype(values.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must be numeric, got dtype {values.dtype}")
    if np.iscomplexobj(values):
        raise TypeError(f"{name} must be real-valued, got dtype {values.dtype}")
    return values.astype(np.float64, copy=False)


def check_1d(y: Any, name: str) -> tuple[np.ndarray, pd.Index | None]:
    """Return ``(float64 values, index or None)`` of a finite, non-empty 1-D array or Series.

    Unlike :func:`check_series` it does not require the index to be increasing, so it takes
    the columns of a tidy backtest frame, where target dates repeat across horizons.
    """
    index = y.index if isinstance(y, pd.Series) else None
    values = as_float64(y.to_numpy() if isinstance(y, pd.Series) else np.asarray(y), name)
    if values.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got an array of shape {values.shape}")
    if values.size == 0:
        raise ValueError(f"{name} is empty; at least 1 observation is needed")
    check_finite(values, index, name)
    return values, index


def check_paired(**arrays: Any) -> tuple[np.ndarray, ...]:
    """Validate equally long 1-D inputs that are paired by position; return their values.

    Two Series must carry the same index (a mismatch is usually a misalignment bug).
    """
    names = list(arrays)
    checked = [check_1d(arrays[name], name) for name in names]
    first, (ref, ref_index) = names[0], checked[0]
    for name, (values, index) in zip(names[1:], checked[1:], strict=True):
        if len(values) != len(ref):
            raise ValueError(
                f"{first} and {name} must have the same length, "
                f"got len({first})={len(ref)} and len({name})={len(values)}"
            )
        if ref_index is not None and index is not None and not ref_index.equals(index):
            differ = [i for i, (p, q) in enumerate(zip(ref_index, index, strict=True)) if p != q]
            i = differ[0] if differ else 0
            raise ValueError(
                f"{first} and {name} are Series with different indexes: {first} has "
                f"{ref_index[i]} where {name} has {index[i]} at position {i}. Align them, "
                "or pass .to_numpy() to pair them by position."
            )
    return tuple(values for values, _ in checked)


def check_series(
    y: Any, name: str = "y", *, min_length: int = 1, allow_2d: bool = False
) -> tuple[np.ndarray, pd.Index]:
    """Validate a univariate series and return ``(values, index)``.

    Parameters
    ----------
    y : pandas.Series, 1-D array-like (or 2-D when ``allow_2d``)
        The observations, oldest first. A Series keeps its index; an array gets a
        ``RangeIndex``. A tz-aware DatetimeIndex keeps its zone (see :func:`check_index`).
    name : str
        How the caller calls ``y`` in error messages.
    min_length : int
        The fewest observations accepted.
    allow_2d : bool
        Accept ``(n, n_features)`` input (a DataFrame or a 2-D array).

    Returns
    -------
    values : ndarray of float64, shape (n,) or (n, n_features)
    index : pandas.Index of length n

    Raises
    ------
    TypeError
        for non-numeric (or bool) data or an index that is neither datetime nor integer.
    ValueError
        for wrong dimensions, too few observations, NaN/inf, a NaT label, an unsorted or
        duplicated index.
    """
    if isinstance(y, (pd.Series, pd.DataFrame)):
        if isinstance(y, pd.DataFrame) and not allow_2d:
            if y.shape[1] != 1:
                raise ValueError(
                    f"{name} must be one series, got a DataFrame with {y.shape[1]} columns "
                    f"{list(y.columns)[:5]}; select one column"
                )
            y = y.iloc[:, 0]
        index = y.index
        values = y.to_numpy()
    else:
        values = np.asarray(y)
        index = None
    if np.asarray(values).dtype == np.bool_:
        raise TypeError(
            f"{name} has dtype bool: a series of observations must be numeric; cast it with "
            f"{name}.astype(float) if 0/1 values are meant"
        )
    values = as_float64(values, name)
    max_ndim = 2 if allow_2d else 1
    if values.ndim == 0 or values.ndim > max_ndim:
        want = "1-D or 2-D" if allow_2d else "1-D"
        raise ValueError(f"{name} must be {want}, got an array of shape {values.shape}")
    if index is None:
        index = pd.RangeIndex(len(values))
    index = check_index(index, name)
    if len(values) < min_length:
        raise ValueError(f"{name} needs at least {min_length} observations, got {len(values)}")
    check_finite(values, index, name)
    return values, index


def check_positive(values: np.ndarray, index: pd.Index | None = None, name: str = "y") -> None:
    """Raise if any value is <= 0 (prices must be positive to take logs or ratios)."""
    bad = np.flatnonzero(np.asarray(values) <= 0)
    if bad.size:
        first = int(bad[0])
        where = position_text(index, first)
        raise ValueError(
            f"{name} must be strictly positive (prices), found {bad.size} value(s) <= 0; "
            f"the first is {float(values[first])!r} at {where}"
        )


def check_random_state(value: Any, name: str = "random_state") -> np.random.Generator:
    """Return the ``np.random.Generator`` that ``random_state=value`` stands for.

    Accepted: None (fresh entropy: a different result at every call), a non-negative int
    (a seed: bitwise-reproducible results), a ``np.random.Generator`` (used as it is, so
    that successive calls continue its stream) and, for scikit-learn code, a legacy
    ``np.random.RandomState``, which seeds a new Generator with one draw (it advances, as
    scikit-learn consumes a RandomState). Anything else (a negative int, a float, a str, a
    bool) raises naming ``name``, the value and what to pass instead.

    Examples
    --------
    >>> int(check_random_state(0).integers(100)) == int(np.random.default_rng(0).integers(100))
    True
    """
    if value is None:
        return np.random.default_rng()
    if isinstance(value, np.random.Generator):
        return value
    if isinstance(value, np.random.RandomState):
        return np.random.default_rng(int(value.randint(np.iinfo(np.int64).max, dtype=np.int64)))
    fix = "pass None, a non-negative int seed such as 0, or np.random.default_rng(seed)"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be None, an int or a numpy Generator, got {name}={value!r} of type "
            f"{type(value).__name__}; {fix}"
        )
    if value < 0:
        raise ValueError(f"{name} must be a non-negative int seed, got {name}={value}; {fix}")
    return np.random.default_rng(int(value))
