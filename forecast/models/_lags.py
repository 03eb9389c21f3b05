"""The AR(tau) design matrix: deterministic trend columns followed by lagged values.

Row ``t`` (the target ``y[t]``, positions counted from 0 in the series given to ``fit``)
holds, in statsmodels ``AutoReg``'s column order::

    [1,  t + 1,  y[t - lag_1],  y[t - lag_2], ...]
     ^    ^
     |    time trend ("t" in trend), 1 at the first observation of the series
     constant ("c" in trend)

The recursive AR(tau) uses ``lags = 1..tau``; the direct strategy's model for step h uses
``lags = h..h+tau-1`` (the newest value it can see is ``y[t - h]``).

With covariates (see :mod:`forecast.models.covariates`) the row goes on with the observed
covariates of ``step`` positions earlier, ``X[t - step]``, then the known-in-advance ones of
``t`` itself, ``X_known[t]``: ``cov`` holds both side by side, one row per observation,
the first ``n_exog`` columns observed, the others known in advance. ``offset`` moves the
time trend: a rolling window starting at position ``lo`` counts time from it (``offset=-lo``).
"""

from __future__ import annotations

import numpy as np

#: the trend choices, as in statsmodels: none, constant, time trend, constant and time trend
TRENDS = ("n", "c", "t", "ct")


def n_trend(trend: str) -> int:
    """Number of deterministic columns of ``trend`` (0, 1 or 2)."""
    return len(trend) if trend != "n" else 0


def column_names(
    trend: str, lags: np.ndarray, n_exog: int = 0, n_known: int = 0, step: int = 1
) -> list[str]:
    """Names of the design columns, e.g. ``["const", "trend", "y.L1", "y.L2", "X0.L1"]``."""
    names = (["const"] if "c" in trend else []) + (["trend"] if "t" in trend else [])
    names += [f"y.L{lag}" for lag in lags] + [f"X{j}.L{step}" for j in range(n_exog)]
    return names + [f"X_known{j}" for j in range(n_known)]


def design_row(
    y: np.ndarray,
    trend: str,
    lags: np.ndarray,
    t: int,
    offset: int = 0,
    cov: np.ndarray | None = None,
    n_exog: int = 0,
    step: int = 1,
) -> np.ndarray:
    """The one row of :func:`design_matrix` for the target ``y[t]`` (the walk-forward path).

    ``lags`` are consecutive (``lag_1, lag_1 + 1, ...``), so the lagged values are a reversed
    slice. ``offset`` is the position of ``y[0]`` in the whole series, for the time trend:
    the row holds ``[1, offset + t + 1, y[t - lag_1], y[t - lag_1 - 1], ..., X[t - step],
    X_known[t]]`` (the last two when ``cov`` is given).
    """
    k_trend, n_lags = n_trend(trend), len(lags)
    k_cov = 0 if cov is None else cov.shape[1]
    x = np.empty(k_trend + n_lags + k_cov)
    if "c" in trend:
        x[0] = 1.0
    if "t" in trend:
        x[k_trend - 1] = offset + t + 1.0
    if n_lags:
        newest = t - int(lags[0])  # position of the lag_1 value
        x[k_trend : k_trend + n_lags] = y[newest - n_lags + 1 : newest + 1][::-1]
    if k_cov:
        start = k_trend + n_lags
        x[start : start + n_exog] = cov[t - step, :n_exog]
        x[start + n_exog :] = cov[t, n_exog:]
    return x


def design_matrix(
    y: np.ndarray,
    trend: str,
    lags: np.ndarray,
    start: int,
    stop: int,
    offset: int = 0,
    cov: np.ndarray | None = None,
    n_exog: int = 0,
    step: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Regressors and targets for the targets ``y[start:stop]``.

    Parameters
    ----------
    y : ndarray of shape (n,)
        The series, oldest first.
    trend : {"n", "c", "t", "ct"}
    lags : ndarray of int, shape (n_lags,)
        The lags of the columns, e.g. ``np.arange(1, tau + 1)``.
    start, stop : int
        Target positions ``start <= t < stop``; ``start >= max(lags)`` (and ``>= step``
        with observed covariates).
    offset : int, default=0
        Added to the time trend ``t + 1``.
    cov : ndarray of shape (n, n_exog + n_known), optional
        The covariates, one row per observation: observed ones first, then known ones.
    n_exog : int, default=0
        How many columns of ``cov`` are observed covariates (used ``step`` rows earlier).
    step : int, default=1
        The lag of the observed covariates (the direct model of step h uses h).

    Returns
    -------
    X : ndarray of shape (stop - start, n_trend + n_lags + n_exog + n_known)
        ``X[i] = [trend terms of t, y[t - lags[0]], y[t - lags[1]], ..., X[t - step],
        X_known[t]]`` for ``t = start + i``.
    target : ndarray of shape (stop - start,)

    Examples
    --------
    >>> X, target = design_matrix(np.arange(10.0), "ct", np.array([1, 2]), start=8, stop=10)
    >>> X
    array([[ 1.,  9.,  7.,  6.],
           [ 1., 10.,  8.,  7.]])
    >>> target
    array([8., 9.])
    """
    t = np.arange(start, stop)
    k_trend, n_lags = n_trend(trend), len(lags)
    k_cov = 0 if cov is None else cov.shape[1]
    X = np.empty((stop - start, k_trend + n_lags + k_cov))
    if "c" in trend:
        X[:, 0] = 1.0
    if "t" in trend:
        X[:, k_trend - 1] = t + 1.0 + offset
    # X[i, k_trend + j] = y[t_i - lag_j]
    X[:, k_trend : k_trend + n_lags] = y[t[:, None] - lags[None, :]]
    if k_cov:
        first = k_trend + n_lags
        X[:, first : first + n_exog] = cov[start - step : stop - step, :n_exog]
        X[:, first + n_exog :] = cov[start:stop, n_exog:]
    return X, y[start:stop]
