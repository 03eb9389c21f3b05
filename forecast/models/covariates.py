"""Covariates of a forecaster: two kinds, one convention for every forecaster.

* ``X``, **observed covariates** (volume, another market's return, ...): known only up to
  the origin, like ``y`` itself. They come with one row per observation of ``y`` (in
  ``fit(y, X=...)`` and ``update(y_new, X=...)``) and enter **lagged by one step**: the row
  of time ``t - 1`` helps predict ``y_t``, so a forecast never needs a value of ``X`` after
  the origin. (statsmodels' ``AutoReg(y, exog=E)`` uses ``E_t`` for ``y_t``: the same model
  is ``AutoReg(y, exog=X.shift(1))``.)
* ``X_known``, **known-in-advance covariates** (calendar: day of week, month end, holidays;
  scheduled events): they enter **at the time they describe**, ``X_known_t`` for ``y_t``. In
  ``fit``/``update`` they have one row per observation of ``y``; ``predict(horizon,
  X_known=...)`` needs one row per forecast step (``AutoReg``'s ``exog`` and
  ``exog_oos``). A DataFrame with a DatetimeIndex must be indexed by exactly the forecast
  dates; an array (or any other index) is taken row by row.

The signatures, on every forecaster: ``fit(y, X=None, X_known=None)``,
``update(y_new, refit=False, X=None, X_known=None)`` and ``predict(horizon, X_known=None)``.
A forecaster fitted with a kind of covariate needs it again in every ``update`` (and
``X_known`` in every ``predict``); one fitted without it refuses it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecast._validation import check_series, label_text

__all__ = ["check_covariates", "check_known_future", "missing_covariate"]


def check_covariates(
    X: Any, n: int, name: str, *, index: pd.Index | None = None, n_columns: int | None = None
) -> np.ndarray:
    """Validate covariates with one row per observation: a float64 array of shape (n, k).

    Parameters
    ----------
    X : pandas.DataFrame, pandas.Series or array-like of shape (n,) or (n, k)
        Numeric and finite (a 1-D input is one column).
    n : int
        The number of observations of ``y`` they go with.
    name : str
        ``"X"`` or ``"X_known"`` (for the messages).
    index : pandas.Index, optional
        The labels of those observations of ``y``, when ``y`` was a pandas object: a pandas
        ``X`` must then have the same labels (otherwise rows are aligned by position).
    n_columns : int, optional
        The number of columns the forecaster was fitted with (``update`` and ``predict``).

    Raises
    ------
    TypeError
        for non-numeric columns.
    ValueError
        for NaN/inf, a wrong number of rows or columns, or labels that differ from ``y``'s.
    """
    values, x_index = check_series(X, name, allow_2d=True)
    values = values.reshape(len(values), -1)
    if len(values) != n:
        raise ValueError(
            f"{name} must have one row per observation of y: len({name})={len(values)}, "
            f"len(y)={n}; pass the rows of the same observations"
        )
    if index is not None and isinstance(X, (pd.Series, pd.DataFrame)) and not x_index.equals(index):
        bad = next(i for i, (a, b) in enumerate(zip(x_index, index, strict=True)) if a != b)
        raise ValueError(
            f"{name} and y have different indexes: {name} has {label_text(x_index[bad])} where "
            f"y has {label_text(index[bad])} at position {bad}; align them (or pass "
            f"{name}.to_numpy())"
        )
    if n_columns is not None and values.shape[1] != n_columns:
        raise ValueError(
            f"{name} has {values.shape[1]} column(s) but the model was fitted with {n_columns}; "
            "pass the same columns"
        )
    return values


def check_known_future(
    X_known: Any, horizon: int, n_columns: int, future: pd.Index | None = None
) -> np.ndarray:
    """Validate the known-in-advance covariates of the forecast steps: shape (horizon, k).

    Parameters
    ----------
    X_known : pandas.DataFrame or array-like of shape (horizon, k)
        One row per forecast step, numeric and finite.
    horizon : int
        The number of steps forecast.
    n_columns : int
        The number of known covariates the forecaster was fitted with.
    future : pandas.Index, optional
        The forecast dates; a DataFrame or Series with a DatetimeIndex must be indexed by
        them exactly.

    Raises
    ------
    ValueError
        when ``X_known`` is None (but needed), has another number of rows or columns, holds
        NaN/inf, or is indexed by other dates than the forecast's.
    """
    if X_known is None:
        raise missing_covariate("X_known", n_columns, f"predict({horizon})", horizon)
    values, index = check_series(X_known, "X_known", allow_2d=True)
    values = values.reshape(len(values), -1)
    if len(values) != horizon:
        raise ValueError(
            f"X_known must have one row per forecast step: got {len(values)} row(s) for "
            f"horizon={horizon}; pass the known covariates of the {horizon} forecast dates"
        )
    if values.shape[1] != n_columns:
        raise ValueError(
            f"X_known has {values.shape[1]} column(s) but the model was fitted with {n_columns}; "
            "pass the same columns"
        )
    dated = isinstance(X_known, (pd.Series, pd.DataFrame)) and isinstance(index, pd.DatetimeIndex)
    if dated and future is not None and not index.equals(future):
        bad = next((i for i, (a, b) in enumerate(zip(index, future, strict=True)) if a != b), 0)
        raise ValueError(
            f"X_known is misaligned with the forecast dates: step {bad + 1} is "
            f"{label_text(future[bad])} but X_known has {label_text(index[bad])}; index "
            "X_known by the forecast dates (or pass X_known.to_numpy() to align by position)"
        )
    return values


def missing_covariate(name: str, n_columns: int, where: str, rows: int) -> ValueError:
    """The error for a covariate the forecaster was fitted with but did not get."""
    return ValueError(
        f"{name} is missing in {where}: the model was fitted with {n_columns} {name} "
        f"column(s), so pass {name} with {rows} row(s) and {n_columns} column(s)"
    )
