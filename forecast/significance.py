"""Is a difference in accuracy real? Directional accuracy and the Diebold-Mariano test.

:func:`directional_accuracy` asks whether the *direction* of the change from the last
observed value was right, with a binomial test against a coin flip; :func:`diebold_mariano`
tests whether two forecasts have equal expected loss (Diebold and Mariano, 1995, with the
small-sample correction of Harvey, Leybourne and Newbold, 1997). Both are re-exported by
:mod:`forecast.metrics`. So are :func:`kupiec` and :func:`christoffersen`, the tests of an
interval's coverage, which live in :mod:`forecast.coverage_tests`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats

from forecast._numeric import pow2_exponent, pow2_scaled, rescale
from forecast._validation import check_choice, check_int, check_paired
from forecast.coverage_tests import ChristoffersenResult, KupiecResult, christoffersen, kupiec

logger = logging.getLogger(__name__)

__all__ = [
    "ChristoffersenResult",
    "DMResult",
    "DirectionalResult",
    "KupiecResult",
    "christoffersen",
    "diebold_mariano",
    "directional_accuracy",
    "kupiec",
]


# --------------------------------------------------------------------------- direction


@dataclass(frozen=True)
class DirectionalResult:
    """Directional accuracy and its binomial test against a coin flip.

    Attributes
    ----------
    hit_rate : float
        ``hits / n``.
    hits : int
        Positions where the forecast change and the actual change have the same nonzero sign.
    n : int
        Positions counted (all of them, or those left after ``zero="exclude"``).
    pvalue : float
        Two-sided exact binomial p-value of ``hits`` out of ``n`` against p = 0.5.
    pvalue_greater : float
        One-sided p-value for the alternative "better than a coin flip" (p > 0.5).
    n_excluded : int
        Positions dropped because a change was zero (0 unless ``zero="exclude"``).
    """

    hit_rate: float
    hits: int
    n: int
    pvalue: float
    pvalue_greater: float
    n_excluded: int = 0


def directional_accuracy(
    y_true: Any, y_pred: Any, y_last: Any, *, zero: Literal["miss", "exclude"] = "miss"
) -> DirectionalResult:
    r"""Hit rate of the predicted direction of change, with a binomial p-value against 50 %.

    With :math:`L_t` the last value observed at the forecast origin, a hit is

    .. math:: \operatorname{sign}(F_t - L_t) = \operatorname{sign}(A_t - L_t) \neq 0 .

    Zero changes: with ``zero="miss"`` (default) every position counts and a zero change on
    either side is a miss: a no-change forecast makes no directional call, and an unchanged
    price (often a stale or holiday quote) has no direction to call. So the random walk scores
    0 by construction, rather than being rewarded on stale days. With ``zero="exclude"``
    positions where either change is zero are left out of ``n`` (reported in
    ``n_excluded``).

    Parameters
    ----------
    y_true, y_pred : array-like or Series of shape (n,)
        Actuals and forecasts, paired by position.
    y_last : array-like or Series of shape (n,)
        The last value observed at each forecast's origin.
    zero : {"miss", "exclude"}, default "miss"
        How zero changes are treated (see above).

    Returns
    -------
    DirectionalResult
        ``hit_rate``, ``hits``, ``n``, the two-sided ``pvalue`` and ``pvalue_greater``
        (exact binomial tests, :func:`scipy.stats.binomtest`, against p = 0.5).

    Raises
    ------
    ValueError
        If no position is left to count (``zero="exclude"`` and every change is zero).

    Examples
    --------
    >>> r = directional_accuracy([11.0, 9.0, 12.0], [10.5, 10.2, 11.0], y_last=[10.0] * 3)
    >>> r.hits, r.n
    (2, 3)
    """
    a, f, last = check_paired(y_true=y_true, y_pred=y_pred, y_last=y_last)
    check_choice(zero, "zero", ("miss", "exclude"))
    actual_sign = _sign_of_change(a, last)
    forecast_sign = _sign_of_change(f, last)
    hit = (forecast_sign == actual_sign) & (actual_sign != 0)
    counted = np.ones(len(a), dtype=bool)
    if zero == "exclude":
        counted = (actual_sign != 0) & (forecast_sign != 0)
    n = int(counted.sum())
    if n == 0:
        raise ValueError(
            f"directional accuracy is undefined: all {len(a)} positions have a zero change "
            "and zero='exclude' leaves none to count"
        )
    hits = int(hit[counted].sum())
    return DirectionalResult(
        hit_rate=hits / n,
        hits=hits,
        n=n,
        pvalue=float(stats.binomtest(hits, n, 0.5, alternative="two-sided").pvalue),
        pvalue_greater=float(stats.binomtest(hits, n, 0.5, alternative="greater").pvalue),
        n_excluded=len(a) - n,
    )


def _sign_of_change(x: np.ndarray, last: np.ndarray) -> np.ndarray:
    """``sign(x - last)`` by comparison: no overflow when ``x - last`` exceeds float64."""
    return (x > last).astype(np.int8) - (x < last).astype(np.int8)


# --------------------------------------------------------------------------- Diebold-Mariano


@dataclass(frozen=True)
class DMResult:
    """Result of :func:`diebold_mariano`.

    Attributes
    ----------
    statistic : float
        The DM statistic (HLN-corrected when ``harvey_correction``).
    pvalue : float
        For the requested ``alternative``.
    mean_difference : float
        :math:`\\bar d`, the mean loss differential ``L(e1) - L(e2)``; negative favours e1.
    h : int
        The forecast horizon (autocovariances up to lag h - 1 enter the variance).
    n : int
        The number of loss differentials.
    alternative : str
    harvey_correction : bool
    variance : str
        The long-run variance estimator actually used: "rectangular" or "bartlett".
    """

    statistic: float
    pvalue: float
    mean_difference: float
    h: int
    n: int
    alternative: str
    harvey_correction: bool
    variance: str


_LOSSES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "squared": lambda e: e**2,
    "absolute": np.abs,
}


def _long_run_variance(dc: np.ndarray, h: int, kernel: str) -> float:
    """Variance of the mean of ``d`` from ``dc = d - mean(d)``: autocovariances to lag h - 1."""
    n = len(dc)
    # gamma_k = 1/n * sum_{t=k+1}^{n} (d_t - dbar)(d_{t-k} - dbar)
    gamma = np.array([np.dot(dc[k:], dc[: n - k]) / n for k in range(h)])
    lags = np.arange(1, h)
    weights = np.ones(h - 1) if kernel == "rectangular" else 1.0 - lags / h
    # V = (gamma_0 + 2 * sum_{k=1}^{h-1} w_k gamma_k) / n
    return float((gamma[0] + 2.0 * np.sum(weights * gamma[1:])) / n)


def _loss_differential(a: np.ndarray, b: np.ndarray, loss: Any) -> tuple[np.ndarray, int, str]:
    """``(d, k, name)``: the loss differentials are ``d * 2**k``, with ``d`` finite.

    The built-in losses are homogeneous (``L(c e) = c^p L(e)``), so the errors are scaled by
    a common power of two first: squares of errors near 1e200 do not overflow, nor those
    near 1e-200 underflow to 0. A callable ``loss`` gets the errors as they are.
    """
    if callable(loss):
        loss_fn, loss_name, power, k = loss, getattr(loss, "__name__", "loss"), 0, 0
    else:
        loss_fn = _LOSSES[check_choice(loss, "loss", tuple(_LOSSES))]
        loss_name, power = loss, {"squared": 2, "absolute": 1}[loss]
        k = max(pow2_exponent(a), pow2_exponent(b))
        a, b = np.ldexp(a, -k), np.ldexp(b, -k)
    losses = []
    for name, e in (("e1", a), ("e2", b)):
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            values = np.asarray(loss_fn(e), dtype=np.float64)
        if values.shape != e.shape:
            raise ValueError(
                f"loss {loss_name!r} must return one loss per error: shape {e.shape} in, "
                f"got shape {values.shape} for {name}"
            )
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"loss {loss_name!r} returned {values[i]} for the finite error {name}[{i}] = "
                f"{e[i]!r} ({bad.size} non-finite loss(es)); it overflows float64 or is "
                "undefined there: rescale the errors or use a loss that stays finite"
            )
        losses.append(values)
    with np.errstate(over="ignore"):
        d = losses[0] - losses[1]
    k_d = power * k
    if not np.isfinite(d).all():  # two losses near the float64 limit: halve both (exact)
        d, k_d = losses[0] * 0.5 - losses[1] * 0.5, k_d + 1
    return d, k_d, loss_name


def diebold_mariano(
    e1: Any,
    e2: Any,
    *,
    h: int = 1,
    loss: Literal["squared", "absolute"] | Callable[[np.ndarray], np.ndarray] = "squared",
    alternative: Literal["two-sided", "less", "greater"] = "two-sided",
    harvey_correction: bool = True,
    variance: Literal["rectangular", "bartlett"] = "rectangular",
) -> DMResult:
    r"""Diebold-Mariano test of equal predictive accuracy, with the HLN correction.

    With loss differentials :math:`d_t = L(e_{1,t}) - L(e_{2,t})`, :math:`t = 1..n`, and
    sample autocovariances
    :math:`\hat\gamma_k = \frac{1}{n}\sum_{t=k+1}^{n}(d_t - \bar d)(d_{t-k} - \bar d)`:

    .. math::
        \hat V(\bar d) = \frac{1}{n}\Big(\hat\gamma_0 + 2\sum_{k=1}^{h-1} w_k\hat\gamma_k\Big),
        \qquad DM = \frac{\bar d}{\sqrt{\hat V(\bar d)}} .

    An optimal h-step forecast has MA(h - 1) errors, so autocovariances up to lag h - 1 enter.
    ``variance="rectangular"`` (default) is Diebold and Mariano's truncated estimator,
    :math:`w_k = 1`, as in R's ``forecast::dm.test``. It can come out non-positive when
    h > 1; then the Bartlett (Newey-West, lag h - 1) weights :math:`w_k = 1 - k/h`, which
    are never negative, are used instead, a message is logged, and ``result.variance`` says
    "bartlett". ``variance="bartlett"`` asks for them from the start.

    With ``harvey_correction`` (Harvey, Leybourne and Newbold, 1997) the statistic is
    multiplied by :math:`\sqrt{(n + 1 - 2h + h(h-1)/n)/n}` and compared with Student's t
    with n - 1 degrees of freedom; otherwise with the standard normal.

    If the two losses are identical at every position (:math:`d \equiv 0`, e.g. the same
    forecasts) there is no evidence of a difference: the statistic is 0 and the p-value is
    that of 0 (1 two-sided, 0.5 one-sided).

    Parameters
    ----------
    e1, e2 : array-like or Series of shape (n,)
        Forecast errors of methods 1 and 2 for the same targets, paired by position.
    h : int, default 1
        Forecast horizon of the errors; 1 <= h < n.
    loss : {"squared", "absolute"} or callable, default "squared"
        :math:`L(e) = e^2`, :math:`|e|`, or a function mapping an error array to a loss
        array of the same shape.
    alternative : {"two-sided", "less", "greater"}, default "two-sided"
        "less": method 1 is more accurate (:math:`E[d] < 0`); "greater": method 2 is more
        accurate (:math:`E[d] > 0`).
    harvey_correction : bool, default True
        Apply the HLN small-sample correction and use the t distribution.
    variance : {"rectangular", "bartlett"}, default "rectangular"
        The long-run variance weights (see above).

    Returns
    -------
    DMResult
        ``statistic``, ``pvalue``, ``mean_difference`` (:math:`\bar d`), ``h``, ``n`` and the
        settings used.

    Raises
    ------
    ValueError
        For h outside [1, n - 1], a non-finite or misshaped custom loss, a constant
        nonzero loss differential (zero variance: the statistic is infinite), a long-run
        variance that stays <= 0 with Bartlett weights, or
        (:class:`~forecast._numeric.FloatRangeError`) a mean loss differential or a
        statistic beyond float64.

    Notes
    -----
    The built-in losses are computed on the errors scaled by a power of two, and the
    autocovariances on the centred differentials scaled likewise (exact, so the result is
    bitwise the plain formula whenever that neither overflows nor underflows): errors near
    1e200 do not square to inf, nor errors near 1e-200 to 0.

    Examples
    --------
    >>> r = diebold_mariano([0.0, 1, 2, 3, 4, 5], [0.0, 2, 3, 3, 5, 6])
    >>> round(r.statistic, 4), round(r.pvalue, 4)
    (-2.4905, 0.0551)
    """
    a, b = check_paired(e1=e1, e2=e2)
    n = len(a)
    if n < 2:
        raise ValueError(f"the Diebold-Mariano test needs at least 2 errors, got n={n}")
    h = check_int(h, "h", min_value=1)
    if h >= n:
        raise ValueError(f"h must be smaller than the number of errors, got h={h} and n={n}")
    check_choice(alternative, "alternative", ("two-sided", "less", "greater"))
    check_choice(variance, "variance", ("rectangular", "bartlett"))
    if not isinstance(harvey_correction, (bool, np.bool_)):
        raise TypeError(f"harvey_correction must be a bool, got {harvey_correction!r}")

    d, k_d, loss_name = _loss_differential(a, b, loss)  # d_t = L(e1_t) - L(e2_t), times 2**-k_d
    d_bar = rescale(d.mean(), k_d, "the mean loss differential")

    if np.all(d == d[0]):  # constant differential: the variance is zero
        if d[0] != 0:
            d_0 = rescale(d[0], k_d, "the loss differential")
            raise ValueError(
                f"the loss differential is constant (d_t = {d_0} at all {n} positions), "
                "so its variance is zero and the DM statistic is infinite; the two forecasts "
                f"differ by the same {loss_name} loss everywhere, which needs no test"
            )
        statistic, kernel = 0.0, variance
    else:
        kernel = variance
        dc, k_c = pow2_scaled(d - d.mean())  # d - dbar = dc * 2**(k_c + k_d), max|dc| < 1
        v = _long_run_variance(dc, h, kernel)  # V(dbar) * 2**(-2 (k_c + k_d))
        if v <= 0:
            logger.warning(
                "rectangular long-run variance is %.3g <= 0 with h=%d, n=%d; "
                "using Bartlett weights instead",
                v * 2.0 ** min(2 * (k_c + k_d), 1000),
                h,
                n,
            )
            kernel = "bartlett"
            v = _long_run_variance(dc, h, kernel)
        if not v > 0:
            raise ValueError(
                f"the long-run variance of the loss differential is {v:.3g} <= 0 even with "
                f"Bartlett weights (h={h}, n={n}); the DM statistic is undefined"
            )
        # DM = dbar / sqrt(V), computed on the scaled d and dc: (d.mean() / sqrt(v)) * 2**-k_c
        statistic = rescale(d.mean() / np.sqrt(v), -k_c, "the DM statistic")

    if harvey_correction:  # (n + 1 - 2h + h(h-1)/n) / n = (n - h)(n - h + 1) / n^2 > 0
        statistic *= np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
        dist = stats.t(df=n - 1)
    else:
        dist = stats.norm()
    if alternative == "two-sided":
        pvalue = 2.0 * dist.cdf(-abs(statistic))
    elif alternative == "less":
        pvalue = dist.cdf(statistic)
    else:
        pvalue = dist.sf(statistic)
    return DMResult(
        statistic=float(statistic),
        pvalue=float(pvalue),
        mean_difference=d_bar,
        h=h,
        n=n,
        alternative=alternative,
        harvey_correction=bool(harvey_correction),
        variance=kernel,
    )
