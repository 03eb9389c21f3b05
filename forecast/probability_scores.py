r"""Scores of probability forecasts of a binary event, re-exported by :mod:`forecast.metrics`.

A forecast :math:`p_t = P(o_t = 1)` of an outcome :math:`o_t \in \{0, 1\}` (up or not) is
scored by the Brier score :math:`\frac{1}{n}\sum_t (p_t - o_t)^2` (:func:`brier`), by the
log loss :math:`-\frac{1}{n}\sum_t [o_t \log p_t + (1 - o_t)\log(1 - p_t)]`
(:func:`log_loss`), both negatively oriented, and by its reliability: the frequency of the
event among the forecasts that said about ``p`` (:func:`reliability_curve`, drawn by
:func:`forecast.plots.plot_reliability`). They agree with scikit-learn's
``brier_score_loss``, ``log_loss`` and ``calibration_curve``.

Inputs pair by position as in :mod:`forecast.metrics` (1-D arrays or Series of equal
length; two Series must share their index). Outcomes other than 0/1 (or False/True),
probabilities outside [0, 1], NaN/inf and length mismatches raise ``ValueError`` naming the
argument, the first offending position and the fix; nothing is clipped silently.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from forecast._validation import check_choice, check_int, check_paired, position_text

__all__ = ["brier", "check_outcomes", "check_probabilities", "log_loss", "reliability_curve"]

#: log loss clips probabilities to [EPS, 1 - EPS], as scikit-learn does for float64
EPS = float(np.finfo(np.float64).eps)


def check_outcomes(values: np.ndarray, index: pd.Index | None, name: str) -> np.ndarray:
    """Raise unless every value of ``values`` (float64) is 0 or 1; return them."""
    bad = np.flatnonzero((values != 0) & (values != 1))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"{name} must hold binary outcomes (0/1 or False/True), found {bad.size} other "
            f"value(s); the first is {float(values[i])!r} at {position_text(index, i)}. Pass the "
            "event as 0/1, e.g. (returns > 0).astype(int)"
        )
    return values


def check_probabilities(values: np.ndarray, index: pd.Index | None, name: str) -> np.ndarray:
    """Raise unless every value of ``values`` (float64, finite) is in [0, 1]; return them."""
    bad = np.flatnonzero((values < 0) | (values > 1))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"{name} must be probabilities in [0, 1], found {bad.size} value(s) outside; the "
            f"first is {float(values[i])!r} at {position_text(index, i)}. Pass P(event), e.g. "
            "predict_proba(X)[:, 1], not a decision score"
        )
    return values


def _checked(y_true: Any, y_prob: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(outcomes, probabilities)`` as float64, paired by position and checked."""
    o, p = check_paired(y_true=y_true, y_prob=y_prob)
    index = y_true.index if isinstance(y_true, pd.Series) else None
    check_outcomes(o, index, "y_true")
    check_probabilities(p, y_prob.index if isinstance(y_prob, pd.Series) else index, "y_prob")
    return o, p


def brier(y_true: Any, y_prob: Any) -> float:
    r"""Brier score :math:`\frac{1}{n}\sum_t (p_t - o_t)^2`, from 0 (perfect) to 1.

    A constant forecast of the event's frequency :math:`\bar o` scores
    :math:`\bar o (1 - \bar o)` (0.25 at a coin flip's 0.5).

    Parameters
    ----------
    y_true : array-like or Series of shape (n,)
        Outcomes :math:`o_t`, 0/1 or False/True.
    y_prob : array-like or Series of shape (n,)
        Forecast probabilities :math:`p_t = P(o_t = 1)`, in [0, 1].

    Returns
    -------
    float
        Equal to ``sklearn.metrics.brier_score_loss(y_true, y_prob)``.

    Raises
    ------
    ValueError
        For outcomes other than 0/1, probabilities outside [0, 1], NaN/inf or a length
        mismatch.

    Examples
    --------
    >>> round(brier([1, 0, 1], [0.9, 0.2, 0.5]), 6)
    0.1
    """
    o, p = _checked(y_true, y_prob)
    return float(np.mean((p - o) ** 2))


def log_loss(y_true: Any, y_prob: Any) -> float:
    r"""Log loss :math:`-\frac{1}{n}\sum_t [o_t \log p_t + (1 - o_t)\log(1 - p_t)]` (nats).

    A probability of exactly 0 or 1 on the wrong side would cost :math:`+\infty`; as in
    scikit-learn (``sklearn.metrics.log_loss``, which this equals), :math:`p_t` and
    :math:`1 - p_t` are each clipped to :math:`[\epsilon, 1 - \epsilon]` with
    :math:`\epsilon` = 2.22e-16, the float64 machine epsilon, before the logarithm: such a
    point costs :math:`-\log \epsilon \approx 36.04`. Only the logarithm's argument is
    clipped: probabilities outside [0, 1] are an error, not clipped. A coin flip's 0.5
    scores :math:`\log 2 \approx 0.693`.

    Parameters
    ----------
    y_true : array-like or Series of shape (n,)
        Outcomes :math:`o_t`, 0/1 or False/True.
    y_prob : array-like or Series of shape (n,)
        Forecast probabilities :math:`p_t = P(o_t = 1)`, in [0, 1].

    Returns
    -------
    float
        Equal to ``sklearn.metrics.log_loss(y_true, y_prob, labels=[0, 1])``.

    Raises
    ------
    ValueError
        For outcomes other than 0/1, probabilities outside [0, 1], NaN/inf or a length
        mismatch.

    Examples
    --------
    >>> round(log_loss([1, 0], [0.5, 0.5]), 6)
    0.693147
    >>> round(log_loss([1], [0.0]), 2)  # clipped to the machine epsilon, as scikit-learn
    36.04
    """
    o, p = _checked(y_true, y_prob)
    up = np.clip(p, EPS, 1 - EPS)  # p and 1 - p clipped separately, as scikit-learn does
    down = np.clip(1 - p, EPS, 1 - EPS)
    return float(np.mean(-np.where(o == 1, np.log(up), np.log(down))))


def reliability_curve(
    y_true: Any,
    y_prob: Any,
    *,
    n_bins: int = 10,
    strategy: Literal["uniform", "quantile"] = "uniform",
) -> pd.DataFrame:
    """The reliability (calibration) curve: how often the event happened per forecast bin.

    The forecasts are cut into ``n_bins`` bins on [0, 1], of equal width
    (``"uniform"``) or holding about as many forecasts each (``"quantile"``, edges at the
    quantiles of ``y_prob``); for each non-empty bin ``B``::

        mean_prob = mean(p_t for t in B)      frequency = mean(o_t for t in B)

    A calibrated forecaster has ``frequency`` close to ``mean_prob`` (the diagonal). The
    bins and values are those of ``sklearn.calibration.calibration_curve``.

    Parameters
    ----------
    y_true, y_prob : array-like or Series of shape (n,)
        Outcomes (0/1) and forecast probabilities, paired by position.
    n_bins : int, default=10
        Number of bins (>= 1).
    strategy : {"uniform", "quantile"}, default="uniform"
        Bins of equal width, or of equal counts (better when the forecasts cluster, as
        daily probabilities of "up" do near 0.5).

    Returns
    -------
    DataFrame
        One row per non-empty bin, in increasing ``mean_prob``: ``mean_prob``,
        ``frequency``, ``count``.

    Examples
    --------
    >>> reliability_curve([0, 1, 1, 1], [0.1, 0.2, 0.8, 0.9], n_bins=2)
       mean_prob  frequency  count
    0       0.15        0.5      2
    1       0.85        1.0      2
    """
    o, p = _checked(y_true, y_prob)
    n_bins = check_int(n_bins, "n_bins", min_value=1)
    check_choice(strategy, "strategy", ("uniform", "quantile"))
    if strategy == "quantile":
        edges = np.percentile(p, np.linspace(0, 1, n_bins + 1) * 100)
    else:
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    # bin k holds edges[k] < p <= edges[k + 1] (the first bin includes 0), as scikit-learn
    bins = np.searchsorted(edges[1:-1], p, side="left")
    count = np.bincount(bins, minlength=n_bins)
    used = count > 0
    return pd.DataFrame(
        {
            "mean_prob": np.bincount(bins, weights=p, minlength=n_bins)[used] / count[used],
            "frequency": np.bincount(bins, weights=o, minlength=n_bins)[used] / count[used],
            "count": count[used],
        }
    )
