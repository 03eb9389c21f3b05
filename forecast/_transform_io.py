"""Input and output of the transformers: validate 1-D/2-D values, wrap results like the input.

Used by :mod:`forecast.transforms` and :mod:`forecast.scaling`. A Series or DataFrame
result keeps the matching part of the input's index and its name/columns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from forecast._numeric import FloatRangeError
from forecast._validation import check_finite, check_positive, check_series


def read_values(X: Any, min_length: int = 1) -> np.ndarray:
    """Validate ``X`` (1-D or 2-D, finite, sorted unique index) and return float64 values."""
    values, _ = check_series(X, "X", min_length=min_length, allow_2d=True)
    return values


def n_features(values: np.ndarray) -> int:
    """1 for 1-D values, the number of columns for 2-D values."""
    return 1 if values.ndim == 1 else values.shape[1]


def check_n_features(estimator: BaseEstimator, values: np.ndarray) -> None:
    """Require as many features as the estimator saw in ``fit``."""
    n = n_features(values)
    if n != estimator.n_features_in_:
        raise ValueError(
            f"X has {n} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input (1-D input counts as 1 feature)"
        )


def read_fitted(estimator: BaseEstimator, X: Any, min_length: int = 1) -> np.ndarray:
    """Values of ``X`` for a fitted ``estimator``: fitted, valid, as many features as in fit.

    The checks run in that order (see :func:`read_values` and :func:`check_n_features`).
    """
    check_is_fitted(estimator)
    values = read_values(X, min_length)
    check_n_features(estimator, values)
    return values


def wrap_like(X: Any, values: np.ndarray, rows: slice = slice(None)) -> Any:
    """Return ``values`` as the same kind as ``X``, with ``X``'s index sliced by ``rows``."""
    if isinstance(X, pd.Series):
        return pd.Series(values, index=X.index[rows], name=X.name)
    if isinstance(X, pd.DataFrame):
        return pd.DataFrame(values, index=X.index[rows], columns=X.columns)
    return values


def describe_position(X: Any, flat: int, n_cols: int) -> str:
    """Describe the ``flat``-th value of a (n,) or (n, n_cols) result: row label and column."""
    row, col = divmod(flat, n_cols)
    index = X.index if isinstance(X, (pd.Series, pd.DataFrame)) else None
    where = f"position {row}"
    if index is not None and not isinstance(index, pd.RangeIndex):
        label = index[row]
        if isinstance(label, pd.Timestamp) and label == label.normalize():
            label = label.strftime("%Y-%m-%d")
        where += f" ({label})"
    if isinstance(X, pd.DataFrame):
        where += f", column {X.columns[col]!r}"
    elif np.ndim(X) == 2:
        where += f", column {col}"
    return where


def refuse_overflow(X: Any, out: np.ndarray, what: str, fix: str) -> np.ndarray:
    """Return ``out`` if finite, else raise FloatRangeError naming the first inf's position.

    ``X`` supplies the labels: it has the rows of ``out`` (slice it to match).
    """
    bad = ~np.isfinite(out)
    if bad.any():
        flat = int(np.argmax(bad.reshape(-1)))
        n_cols = 1 if out.ndim == 1 else out.shape[1]
        where = describe_position(X, flat, n_cols)
        raise FloatRangeError(f"{what} overflows float64 (beyond 1.8e308) at {where}; {fix}")
    return out


def check_prices(X: Any, values: np.ndarray, name: str = "X") -> None:
    """Refuse prices <= 0, naming the value, its position and (2-D) its column."""
    index = X.index if isinstance(X, (pd.Series, pd.DataFrame)) else None
    if values.ndim == 1:
        check_positive(values, index, name)
        return
    columns = X.columns if isinstance(X, pd.DataFrame) else range(values.shape[1])
    for j, column in enumerate(columns):
        check_positive(values[:, j], index, f"{name} column {column!r}")


def check_start(start: Any, values: np.ndarray, n_levels: int | None, positive: bool) -> Any:
    """Validate a user's ``start`` for increments ``values``.

    ``n_levels=None`` (returns): one level per feature, shape ``()`` or ``(n_features,)``.
    Otherwise (differences): ``n_levels`` rows of such levels; a scalar counts as one row.
    A level without the feature axis is shared by every feature.
    """
    start = np.asarray(start, dtype=np.float64)
    if n_levels is not None and start.ndim == 0:
        start = start.reshape(1)
    lead = () if n_levels is None else (n_levels,)
    want = (*lead, *values.shape[1:])
    if start.shape[: len(lead)] != lead:
        raise ValueError(
            f"start must hold the last {n_levels} level(s), shape {want}, got shape {start.shape}"
        )
    if start.shape[len(lead) :] not in ((), (n_features(values),)):
        raise ValueError(
            f"start of shape {start.shape} does not match X with {n_features(values)} "
            f"feature(s); expected shape {want}"
        )
    check_finite(np.atleast_1d(start), None, "start")
    if positive:
        check_positive(start.reshape(-1), None, "start")
    return start
