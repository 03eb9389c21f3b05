r"""Scores of interval, quantile and distribution forecasts, re-exported by forecast.metrics.

:func:`coverage` and :func:`interval_score` (the Winkler score, Gneiting and Raftery 2007,
eq. 43) score a central interval; :func:`pinball` scores quantiles at one or several levels;
:func:`crps_normal`, :func:`crps_student_t` (closed forms) and :func:`crps_sample` (from
draws) score a whole predictive distribution by the continuous ranked probability score
:math:`\mathrm{CRPS}(F, y) = \int (F(x) - 1\{x \ge y\})^2\,dx`. Every score is negatively
oriented (smaller is better), in the units of ``y``, and returned as the mean over positions.

Inputs pair by position as in :mod:`forecast.metrics`: 1-D arrays or Series of equal length
(two Series must share their index); NaN/inf, a length mismatch, ``lower > upper``, a
``coverage`` or level outside (0, 1), ``sigma <= 0`` and ``df <= 1`` raise ``ValueError``
naming the argument, the value and the fix. The scores are homogeneous of degree one
(``score(c y, c F) = c score(y, F)``), so the inputs are scaled by a common power of two
first (exact): values near 1e300 give the right number rather than ``inf``, and a mean score
beyond float64 raises :class:`~forecast._numeric.FloatRangeError`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from forecast._numeric import pow2_exponent, rescale
from forecast._validation import (
    as_float64,
    check_1d,
    check_finite,
    check_float,
    check_paired,
    position_text,
)

__all__ = [
    "coverage",
    "crps_normal",
    "crps_sample",
    "crps_student_t",
    "interval_score",
    "pinball",
]

_SQRT_PI = math.sqrt(math.pi)


# --------------------------------------------------------------------------- shared checks


def _check_interval(y: Any, lower: Any, upper: Any) -> tuple[np.ndarray, ...]:
    """``(y, lower, upper)`` as float64, paired by position, with ``lower <= upper``."""
    a, lo, hi = check_paired(y=y, lower=lower, upper=upper)
    bad = np.flatnonzero(lo > hi)
    if bad.size:
        i = int(bad[0])
        index = y.index if isinstance(y, pd.Series) else None
        raise ValueError(
            f"lower must not exceed upper: lower={float(lo[i])!r} > upper={float(hi[i])!r} at "
            f"{position_text(index, i)} ({bad.size} such position(s)); the bounds may be "
            "swapped: pass lower=min, upper=max"
        )
    return a, lo, hi


def _check_coverage(value: Any, name: str = "coverage") -> float:
    """A nominal probability strictly between 0 and 1."""
    return check_float(value, name, min_value=0.0, max_value=1.0, inclusive=False)


def _scale_together(*arrays: np.ndarray) -> tuple[list[np.ndarray], int]:
    """``([x * 2**-k, ...], k)`` with one ``k`` for all: every magnitude below 1 (exact)."""
    k = max(int(pow2_exponent(x)) for x in arrays)
    with np.errstate(under="ignore"):
        return [np.ldexp(x, -k) for x in arrays], k


def _location_scale(y: Any, **params: Any) -> list[np.ndarray]:
    """``y`` and each parameter (a scalar or paired with ``y``) as float64 arrays of shape (n,)."""
    arrays = {"y": y}
    scalars = {}
    for name, value in params.items():
        if np.ndim(value) == 0 and not isinstance(value, pd.Series):
            scalars[name] = check_float(
                value.item() if isinstance(value, np.ndarray) else value, name
            )
        else:
            arrays[name] = value
    checked = dict(zip(arrays, check_paired(**arrays), strict=True))
    n = len(checked["y"])
    out = [checked["y"]]
    for name in params:
        out.append(checked[name] if name in checked else np.full(n, scalars[name]))
    return out


def _check_above(
    values: np.ndarray, bound: float, name: str, given: Any, y: Any, fix: str
) -> None:
    """Raise naming the first position where ``values <= bound`` (``given``: as passed)."""
    bad = np.flatnonzero(values <= bound)
    if bad.size and np.ndim(given) == 0:
        raise ValueError(f"{name} must be > {bound}, got {name}={float(values[0])!r}; {fix}")
    if bad.size:
        i = int(bad[0])
        index = y.index if isinstance(y, pd.Series) else None
        raise ValueError(
            f"{name} must be > {bound}, got {name}={float(values[i])!r} at "
            f"{position_text(index, i)} ({bad.size} such position(s)); {fix}"
        )


# --------------------------------------------------------------------------- intervals


def coverage(y: Any, lower: Any, upper: Any) -> float:
    r"""Empirical coverage: the fraction of positions with :math:`l_t \le y_t \le u_t`.

    The interval is closed: a value on a bound is covered.

    Parameters
    ----------
    y : array-like or Series of shape (n,)
        The actual values.
    lower, upper : array-like or Series of shape (n,)
        The interval bounds, paired with ``y`` by position; ``lower <= upper``.

    Returns
    -------
    float
        Between 0 and 1; compare it with the nominal coverage (e.g. with :func:`kupiec`).

    Examples
    --------
    >>> coverage([1.0, 2.0, 5.0, 3.0], [0.0, 2.0, 3.0, 3.5], [2.0, 4.0, 4.0, 4.0])
    0.5
    """
    a, lo, hi = _check_interval(y, lower, upper)
    return float(np.mean((lo <= a) & (a <= hi)))


def interval_score(y: Any, lower: Any, upper: Any, coverage: float) -> float:
    r"""Mean interval (Winkler) score of central intervals (Gneiting and Raftery 2007, eq. 43).

    With :math:`\alpha = 1 - \text{coverage}`:

    .. math::
        S_\alpha(l, u; y) = (u - l) + \frac{2}{\alpha}(l - y)\,1\{y < l\}
                                    + \frac{2}{\alpha}(y - u)\,1\{y > u\}

    The width is rewarded to be small and a miss is charged :math:`2/\alpha` times its
    distance to the interval; the expected score is minimised by the :math:`\alpha/2` and
    :math:`1 - \alpha/2` quantiles (a proper score).

    Parameters
    ----------
    y : array-like or Series of shape (n,)
        The actual values.
    lower, upper : array-like or Series of shape (n,)
        The interval bounds, paired with ``y``; ``lower <= upper``.
    coverage : float
        The nominal coverage of the intervals, in (0, 1), e.g. 0.9.

    Returns
    -------
    float
        The mean score, in the units of ``y``.

    Examples
    --------
    >>> interval_score([5.0, 0.0], [0.0, 1.0], [4.0, 3.0], coverage=0.5)
    7.0
    """
    a, lo, hi = _check_interval(y, lower, upper)
    alpha = 1.0 - _check_coverage(coverage)
    (a, lo, hi), k = _scale_together(a, lo, hi)  # the score of the scaled inputs, times 2**k
    width = hi - lo
    miss = np.where(a < lo, lo - a, 0.0) + np.where(a > hi, a - hi, 0.0)
    return rescale(np.mean(width) + (2.0 / alpha) * np.mean(miss), k, "the interval score")


def pinball(y: Any, q: Any, level: Any) -> float:
    r"""Mean pinball (quantile) loss of quantile forecasts at one or several levels.

    .. math::
        \rho_\tau(y, q) = (y - q)\,(\tau - 1\{y < q\})
                        = \begin{cases} \tau\,(y - q) & y \ge q \\
                                        (1 - \tau)(q - y) & y < q \end{cases}

    Parameters
    ----------
    y : array-like or Series of shape (n,)
        The actual values.
    q : array-like or Series of shape (n,), or array-like or DataFrame of shape (n, Q)
        The forecast quantiles: one column per level.
    level : float or array-like of shape (Q,)
        The quantile level(s) :math:`\tau` in (0, 1): a float for a 1-D ``q``, one level
        per column for a 2-D ``q``.

    Returns
    -------
    float
        The mean over positions and levels; for the loss of one level, pass its column
        (``pinball(y, q[:, j], level[j])``). Twice the average over many evenly spaced
        levels approximates the CRPS.

    Examples
    --------
    >>> pinball([1.0, 3.0], [2.0, 2.0], level=0.9)
    0.5
    >>> round(pinball([1.0, 3.0], [[0.0, 2.0], [1.0, 4.0]], level=[0.1, 0.9]), 6)
    0.125
    """
    a, index = check_1d(y, "y")
    levels = np.atleast_1d(as_float64(np.asarray(level), "level"))
    if levels.ndim != 1 or levels.size == 0:
        raise ValueError(f"level must be a float or a 1-D sequence, got shape {levels.shape}")
    for tau in levels:
        _check_coverage(tau, "level")  # finite and in (0, 1)
    if isinstance(q, pd.DataFrame) and index is not None and not q.index.equals(index):
        raise ValueError(
            "y and q have different indexes; align them, or pass .to_numpy() to pair them "
            "by position"
        )
    if isinstance(q, pd.Series):
        check_paired(y=y, q=q)  # same length and, for two Series, the same index
    quantiles = as_float64(np.asarray(q), "q")
    if np.ndim(level) == 0:
        if quantiles.ndim != 1:
            raise ValueError(
                f"with one level, q must be 1-D of shape (n,), got shape {quantiles.shape}; "
                "pass one level per column for a 2-D q"
            )
        quantiles = quantiles[:, None]
    elif quantiles.ndim != 2 or quantiles.shape[1] != levels.size:
        raise ValueError(
            f"q must have shape (n, {levels.size}), one column per level of "
            f"level={levels.tolist()}, got shape {quantiles.shape}"
        )
    if len(quantiles) != len(a):
        raise ValueError(
            f"y and q must have the same length, got len(y)={len(a)} and len(q)={len(quantiles)}"
        )
    check_finite(quantiles, index, "q")
    (a, quantiles), k = _scale_together(a, quantiles)
    diff = a[:, None] - quantiles  # y - q, scaled: |diff| < 2
    loss = np.where(diff >= 0, levels * diff, (levels - 1.0) * diff)  # (n, Q)
    return rescale(loss.mean(), k, "the pinball loss")


# --------------------------------------------------------------------------- CRPS


def crps_normal(y: Any, mu: Any, sigma: Any) -> float:
    r"""Mean CRPS of Normal predictive distributions :math:`N(\mu_t, \sigma_t^2)` (closed form).

    With :math:`z = (y - \mu)/\sigma` (Gneiting, Raftery, Westveld and Goldman, 2005):

    .. math::
        \mathrm{CRPS} = \sigma\Big[z\,(2\Phi(z) - 1) + 2\varphi(z) - \frac{1}{\sqrt\pi}\Big]

    computed as :math:`|y - \mu| + \sigma\,[2\varphi(z) - 2|z|\Phi(-|z|) - 1/\sqrt\pi]`, the
    same number, which stays exact when :math:`|z|` is huge.

    Parameters
    ----------
    y : array-like or Series of shape (n,)
        The actual values.
    mu, sigma : float or array-like or Series of shape (n,)
        Mean and standard deviation of each forecast; ``sigma > 0``.

    Returns
    -------
    float

    Examples
    --------
    >>> round(crps_normal([0.0], 0.0, 1.0), 6)  # (sqrt(2) - 1) / sqrt(pi)
    0.233695
    """
    a, mu_, sigma_ = _location_scale(y, mu=mu, sigma=sigma)
    _check_above(sigma_, 0.0, "sigma", sigma, y, "a forecast distribution needs a scale > 0")
    (a, mu_, sigma_), k = _scale_together(a, mu_, sigma_)
    d = a - mu_
    with np.errstate(over="ignore", divide="ignore", under="ignore", invalid="ignore"):
        z = np.abs(d) / sigma_
        tail = 2.0 * stats.norm.pdf(z) - 2.0 * z * stats.norm.sf(z)  # -> 0 as z -> inf
    tail = np.where(np.isfinite(tail), tail, 0.0)  # z = inf (sigma below 2**-1074 after scaling)
    crps = np.abs(d) + sigma_ * (tail - 1.0 / _SQRT_PI)
    return rescale(np.mean(crps), k, "the CRPS")


def _crps_t_constant(df: np.ndarray) -> np.ndarray:
    """``2 sqrt(df) B(1/2, df - 1/2) / ((df - 1) B(1/2, df/2)**2)``, through log-Beta."""
    log_b = special.betaln(0.5, df - 0.5) - 2.0 * special.betaln(0.5, df / 2.0)
    return 2.0 * np.sqrt(df) * np.exp(log_b) / (df - 1.0)


def crps_student_t(y: Any, mu: Any, sigma: Any, df: Any) -> float:
    r"""Mean CRPS of location-scale Student-t forecasts (closed form, needs ``df > 1``).

    For :math:`y = \mu + \sigma T`, :math:`T \sim t_\nu`, with :math:`z = (y - \mu)/\sigma`,
    :math:`F_\nu, f_\nu` the cdf and density of :math:`t_\nu` and :math:`B` the Beta function
    (Jordan, Krueger and Lerch 2019, the R package scoringRules):

    .. math::
        \mathrm{CRPS} = \sigma\Big[z\,(2F_\nu(z) - 1) + 2f_\nu(z)\frac{\nu + z^2}{\nu - 1}
            - \frac{2\sqrt\nu\,B(\tfrac12, \nu - \tfrac12)}{(\nu - 1)\,B(\tfrac12, \tfrac\nu2)^2}
            \Big]

    The CRPS is finite only when the distribution has a mean, hence :math:`\nu > 1`; it
    tends to :func:`crps_normal` as :math:`\nu \to \infty`. As :math:`\nu \to 1` the last
    two terms grow like :math:`1/(\nu - 1)` and cancel, so a few digits are lost there.

    Parameters
    ----------
    y : array-like or Series of shape (n,)
        The actual values.
    mu, sigma : float or array-like or Series of shape (n,)
        Location and scale (not the standard deviation) of each forecast; ``sigma > 0``.
    df : float or array-like or Series of shape (n,)
        Degrees of freedom :math:`\nu > 1`.

    Returns
    -------
    float

    Examples
    --------
    >>> round(crps_student_t([0.0], 0.0, 1.0, df=3.0), 6)
    0.275664
    """
    a, mu_, sigma_, nu = _location_scale(y, mu=mu, sigma=sigma, df=df)
    _check_above(sigma_, 0.0, "sigma", sigma, y, "a forecast distribution needs a scale > 0")
    _check_above(
        nu, 1.0, "df", df, y,
        "the CRPS of a Student-t exists only with a finite mean (df > 1); use df > 1",
    )
    (a, mu_, sigma_), k = _scale_together(a, mu_, sigma_)
    d = a - mu_
    with np.errstate(over="ignore", divide="ignore", under="ignore", invalid="ignore"):
        z = np.abs(d) / sigma_
        small = z < 1e100  # beyond, the tail terms are below |z|**(1 - df) relative to |z|
        zs = np.where(small, z, 0.0)
        # z (2F(z) - 1) = |z| - 2|z| F(-|z|);  2 f(z) (df + z^2) / (df - 1)
        tail = -2.0 * zs * stats.t.sf(zs, nu) + 2.0 * stats.t.pdf(zs, nu) * (nu + zs**2) / (
            nu - 1.0
        )
    tail = np.where(small, tail, 0.0)
    crps = np.abs(d) + sigma_ * (tail - _crps_t_constant(nu))
    return rescale(np.mean(crps), k, "the CRPS")


def crps_sample(y: Any, samples: Any, *, fair: bool = False) -> float:
    r"""Mean CRPS of forecasts given as samples (ensembles), in O(m log m) per position.

    For draws :math:`x_1..x_m` of the forecast at a position (the ensemble, or energy,
    form of Gneiting and Raftery 2007, eq. 21):

    .. math::
        \mathrm{CRPS} = \frac1m\sum_i |x_i - y|
            - \frac{1}{2 m^2}\sum_{i,j}|x_i - x_j|

    which is exactly the CRPS of the empirical distribution of the draws (the default). With
    ``fair=True`` the second sum is divided by :math:`2m(m-1)` instead: the "fair" estimator
    (Ferro 2014), unbiased for the CRPS of the distribution the draws come from, so a
    sample-based score is comparable with :func:`crps_normal` or :func:`crps_student_t`
    (the default is larger by :math:`E|X - X'|/(2m)` on average). The double sum is computed
    from the sorted draws as :math:`2\sum_{k=1}^{m-1} k(m - k)(x_{(k+1)} - x_{(k)})`, a sum
    of non-negative terms.

    Parameters
    ----------
    y : array-like or Series of shape (n,)
        The actual values.
    samples : array-like or DataFrame of shape (n, m)
        Row t holds the m draws of the forecast of ``y[t]``. Paths from ``sample_paths``
        of shape ``(n_samples, horizon)`` are the transpose of this for one origin.
    fair : bool, default False
        Use the fair (unbiased) estimator; needs m >= 2.

    Returns
    -------
    float

    Examples
    --------
    >>> crps_sample([0.5], [[0.0, 1.0]])
    0.25
    >>> crps_sample([0.5], [[0.0, 1.0]], fair=True)
    0.0
    """
    a, index = check_1d(y, "y")
    if not isinstance(fair, (bool, np.bool_)):
        raise TypeError(f"fair must be a bool, got fair={fair!r}")
    if isinstance(samples, pd.DataFrame) and index is not None and not samples.index.equals(index):
        raise ValueError(
            "y and samples have different indexes; align them, or pass .to_numpy() to pair "
            "them by position"
        )
    x = as_float64(np.asarray(samples), "samples")
    if x.ndim != 2 or len(x) != len(a):
        hint = (
            f"; the draws look like columns: pass samples.T of shape {x.shape[::-1]}"
            if x.ndim == 2 and x.shape[1] == len(a)
            else ""
        )
        raise ValueError(
            f"samples must have shape (n, m) = (len(y), number of draws) = ({len(a)}, m), "
            f"got shape {x.shape}{hint}"
        )
    m = x.shape[1]
    if m < (2 if fair else 1):
        raise ValueError(
            f"samples has m={m} draw(s) per position; the {'fair' if fair else 'ensemble'} "
            f"CRPS needs at least {2 if fair else 1}"
        )
    check_finite(x, index, "samples")
    (a, x), k = _scale_together(a, x)
    x = np.sort(x, axis=1)
    mean_abs = np.mean(np.abs(x - a[:, None]), axis=1)  # (1/m) sum_i |x_i - y|
    weights = np.arange(1, m) * (m - np.arange(1, m))  # k (m - k), k = 1..m-1
    pair_sum = 2.0 * (np.diff(x, axis=1) @ weights)  # sum_{i,j} |x_i - x_j|
    spread = pair_sum / (2.0 * m * (m - 1)) if fair else pair_sum / (2.0 * m * m)
    return rescale(np.mean(mean_abs - spread), k, "the CRPS")
