"""Forecast accuracy metrics and the tests that say whether a difference in accuracy is real.

Point metrics (MAE, RMSE, MAPE, sMAPE, MASE, Theil's U2) compare forecasts ``F`` with actuals
``A`` position by position. :func:`directional_accuracy` asks whether the *direction* of the
change from the last observed value was right, with a binomial test against a coin flip, and
:func:`diebold_mariano` tests whether two forecasts have equal expected loss (Diebold and
Mariano, 1995, with the small-sample correction of Harvey, Leybourne and Newbold, 1997).
Scores of intervals, quantiles and predictive distributions (:func:`coverage`,
:func:`interval_score`, :func:`pinball`, :func:`crps_normal`, :func:`crps_student_t`,
:func:`crps_sample`) live in :mod:`forecast.interval_scores`, the coverage tests
(:func:`kupiec`, :func:`christoffersen`) in :mod:`forecast.coverage_tests`, the scores of
probability forecasts of up/down (:func:`brier`, :func:`log_loss`, :func:`reliability_curve`)
in :mod:`forecast.probability_scores`; all are re-exported here.

Every function takes 1-D arrays or pandas Series of equal length and pairs them by position.
Two Series must carry the same index (a mismatch is usually a misalignment bug); pass
``.to_numpy()`` to pair them by position on purpose. NaN/inf and length mismatches raise
``ValueError`` naming the offending position or both lengths; nothing is dropped.

Errors are scaled by a power of two before they are squared or summed (exact, see
:mod:`forecast._numeric`), so values near the float64 limits give the right number rather
than ``inf`` or 0; a result that is itself beyond float64 raises :class:`FloatRangeError`
(a ``ValueError``). A zero scale (constant training data in MASE, a perfect random walk in
Theil's U2) raises ``ValueError`` saying so.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecast._numeric import FloatRangeError, rescale, scaled_difference
from forecast._validation import check_int, check_paired, check_series, position_text
from forecast.interval_scores import (
    coverage,
    crps_normal,
    crps_sample,
    crps_student_t,
    interval_score,
    pinball,
)
from forecast.probability_scores import brier, log_loss, reliability_curve
from forecast.significance import (
    ChristoffersenResult,
    DirectionalResult,
    DMResult,
    KupiecResult,
    christoffersen,
    diebold_mariano,
    directional_accuracy,
    kupiec,
)

__all__ = [
    "ChristoffersenResult",
    "DMResult",
    "FloatRangeError",
    "DirectionalResult",
    "KupiecResult",
    "brier",
    "christoffersen",
    "coverage",
    "crps_normal",
    "crps_sample",
    "crps_student_t",
    "diebold_mariano",
    "directional_accuracy",
    "interval_score",
    "kupiec",
    "log_loss",
    "mae",
    "mape",
    "mase",
    "pinball",
    "reliability_curve",
    "rmse",
    "smape",
    "theil_u2",
]


# --------------------------------------------------------------------------- point metrics


def mae(y_true: Any, y_pred: Any) -> float:
    r"""Mean absolute error, :math:`\mathrm{MAE} = \frac{1}{n}\sum_t |F_t - A_t|`.

    Parameters
    ----------
    y_true : array-like or Series of shape (n,)
        The actual values :math:`A_t`.
    y_pred : array-like or Series of shape (n,)
        The forecasts :math:`F_t`, paired with ``y_true`` by position.

    Returns
    -------
    float

    Examples
    --------
    >>> mae([1.0, 2.0, 4.0], [1.5, 2.0, 3.0])
    0.5
    """
    a, f = check_paired(y_true=y_true, y_pred=y_pred)
    d, k = scaled_difference(f, a)  # F - A = d * 2**k: no overflow, exact scaling
    return rescale(np.mean(np.abs(d)), k, "the MAE")


def rmse(y_true: Any, y_pred: Any) -> float:
    r"""Root mean squared error, :math:`\sqrt{\frac{1}{n}\sum_t (F_t - A_t)^2}`.

    Parameters
    ----------
    y_true, y_pred : array-like or Series of shape (n,)
        Actuals and forecasts, paired by position.

    Returns
    -------
    float

    Examples
    --------
    >>> rmse([1.0, 2.0], [4.0, 6.0])
    3.5355339059327378
    """
    a, f = check_paired(y_true=y_true, y_pred=y_pred)
    d, k = scaled_difference(f, a)  # F - A = d * 2**k, max|d| < 1: squares cannot overflow
    return rescale(np.sqrt(np.mean(d**2)), k, "the RMSE")


def mape(y_true: Any, y_pred: Any) -> float:
    r"""Mean absolute percentage error, in percent.

    .. math:: \mathrm{MAPE} = \frac{100}{n}\sum_t \left|\frac{F_t - A_t}{A_t}\right|

    Parameters
    ----------
    y_true, y_pred : array-like or Series of shape (n,)
        Actuals and forecasts, paired by position.

    Returns
    -------
    float
        In percent (``5.0`` means 5 %).

    Raises
    ------
    ValueError
        If an actual is zero (the ratio is undefined there); the message names the position.
        Use :func:`smape` or :func:`mae` for series that cross zero, such as returns.

    Examples
    --------
    >>> mape([100.0, 200.0], [110.0, 220.0])
    10.0
    """
    a, f = check_paired(y_true=y_true, y_pred=y_pred)
    zero = np.flatnonzero(a == 0)
    if zero.size:
        index = y_true.index if isinstance(y_true, pd.Series) else None
        where = position_text(index, int(zero[0]))
        raise ValueError(
            f"MAPE is undefined when an actual is zero: y_true is 0 at {where} "
            f"({zero.size} zero(s) in total); use smape or mae instead"
        )
    f_s, a_s = _pairwise_scaled(f, a)
    with np.errstate(over="ignore"):
        terms = np.abs((f_s - a_s) / a_s)  # the same ratios, without overflow in F - A
        value = 100.0 * np.mean(terms)
    if not np.isfinite(value):
        bad = ~np.isfinite(terms)
        i = int(np.argmax(bad)) if bad.any() else int(np.argmax(terms))
        raise FloatRangeError(
            f"MAPE overflows float64: at position {i}, |F - A| / |A| = "
            f"|{float(f[i])} - {float(a[i])}| / |{float(a[i])}| is too large (the actual is "
            "nearly zero); use smape or mae instead"
        )
    return float(value)


def smape(y_true: Any, y_pred: Any) -> float:
    r"""Symmetric mean absolute percentage error, in percent (between 0 and 200).

    .. math::
        \mathrm{sMAPE} = \frac{100}{n}\sum_t \frac{2\,|F_t - A_t|}{|A_t| + |F_t|}

    A term with :math:`A_t = F_t = 0` is :math:`0/0`; it is defined as 0 (a perfect forecast of
    zero), so such positions count in :math:`n` with no error.

    Parameters
    ----------
    y_true, y_pred : array-like or Series of shape (n,)
        Actuals and forecasts, paired by position.

    Returns
    -------
    float
        In percent; 200 is the worst possible value (opposite signs or one side zero).

    Examples
    --------
    >>> smape([100.0, 0.0], [300.0, 0.0])
    50.0
    """
    a, f = check_paired(y_true=y_true, y_pred=y_pred)
    f, a = _pairwise_scaled(f, a)  # each term is scale-free: no overflow in F - A or |A| + |F|
    num = 2.0 * np.abs(f - a)
    den = np.abs(a) + np.abs(f)
    terms = np.divide(num, den, out=np.zeros_like(num), where=den > 0)  # 0/0 := 0
    return float(100.0 * np.mean(terms))


def mase(y_true: Any, y_pred: Any, y_train: Any, sp: int = 1) -> float:
    r"""Mean absolute scaled error (Hyndman and Koehler, 2006).

    The MAE of the forecasts divided by the in-sample MAE of the seasonal naive forecast
    (lag ``sp``) on the training series :math:`y_1..y_T`:

    .. math::
        \mathrm{MASE} = \frac{\frac{1}{n}\sum_t |F_t - A_t|}
                             {\frac{1}{T - sp}\sum_{t=sp+1}^{T} |y_t - y_{t-sp}|}

    Below 1 means better than the in-sample (seasonal) random walk.

    Parameters
    ----------
    y_true, y_pred : array-like or Series of shape (n,)
        Actuals and forecasts, paired by position.
    y_train : array-like or Series of shape (T,)
        The training series, oldest first; needs more than ``sp`` observations.
    sp : int, default 1
        The seasonal period of the naive scaling forecast; 1 is the random walk.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``y_train`` is constant at lag ``sp`` (the scale is zero).

    Examples
    --------
    >>> mase([5.0, 6.0], [5.5, 6.5], y_train=[1.0, 2.0, 4.0])
    0.3333333333333333
    """
    a, f = check_paired(y_true=y_true, y_pred=y_pred)
    sp = check_int(sp, "sp", min_value=1)
    train, _ = check_series(y_train, "y_train", min_length=sp + 1)
    naive, k_naive = scaled_difference(train[sp:], train[:-sp])
    scale = np.mean(np.abs(naive))  # in-sample naive MAE, times 2**-k_naive
    if scale == 0:
        raise ValueError(
            f"MASE is undefined: y_train is constant at lag sp={sp}, so the in-sample naive "
            f"MAE (the scale) is 0 over its {len(train)} observations; use mae, or a "
            "y_train that moves"
        )
    d, k = scaled_difference(f, a)
    return rescale(np.mean(np.abs(d)) / scale, k - k_naive, "the MASE")


def theil_u2(y_true: Any, y_pred: Any, y_last: Any) -> float:
    r"""Theil's U2: RMSE relative to the no-change (random-walk) forecast.

    The variant used compares each forecast with the random walk made at the same origin,
    whose forecast is the last observed value :math:`L_t`:

    .. math::
        U_2 = \sqrt{\frac{\sum_t (F_t - A_t)^2}{\sum_t (L_t - A_t)^2}}

    :math:`U_2 < 1` beats the random walk, :math:`U_2 = 1` ties it (the random walk itself
    scores exactly 1), :math:`U_2 > 1` is worse. Written with relative changes,
    :math:`((F_t - A_t)/L_t)^2` over :math:`((A_t - L_t)/L_t)^2`, this is Theil's 1966 U2 up to
    the :math:`1/L_t^2` weights; the unweighted form above is the ratio of the two RMSEs.

    Parameters
    ----------
    y_true, y_pred : array-like or Series of shape (n,)
        Actuals and forecasts, paired by position.
    y_last : array-like or Series of shape (n,)
        The last value observed at each forecast's origin (for an h-step forecast, the value
        h steps before the target).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If every actual equals its last value (the random walk is perfect: U2 is undefined).

    Examples
    --------
    >>> theil_u2([11.0, 12.0], [11.0, 11.0], y_last=[10.0, 11.0])
    0.7071067811865476
    """
    a, f, last = check_paired(y_true=y_true, y_pred=y_pred, y_last=y_last)
    d_model, k_model = scaled_difference(f, a)  # errors = d * 2**k: squares cannot overflow
    d_naive, k_naive = scaled_difference(last, a)
    sse_model = np.sum(d_model**2)  # times 2**(-2 k_model)
    sse_naive = np.sum(d_naive**2)
    if sse_naive == 0:
        raise ValueError(
            f"Theil's U2 is undefined: y_true equals y_last at all {len(a)} positions, so the "
            "random walk has zero error; use rmse instead"
        )
    return rescale(np.sqrt(sse_model / sse_naive), k_model - k_naive, "Theil's U2")


def _pairwise_scaled(f: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f`` and ``a`` with each pair scaled by the same power of two (ratios unchanged)."""
    _, k = np.frexp(np.maximum(np.abs(f), np.abs(a)))
    with np.errstate(under="ignore"):
        return np.ldexp(f, -k), np.ldexp(a, -k)
