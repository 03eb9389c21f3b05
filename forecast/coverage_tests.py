r"""Does an interval cover as often as it claims? Kupiec and Christoffersen likelihood-ratio tests.

Both take the hit sequence of Christoffersen (1998): :math:`I_t = 1` when the actual lies
inside the interval forecast for it (:math:`l_t \le y_t \le u_t`), 0 for a violation, e.g.
``hits = (lower <= y) & (y <= upper)``; ``coverage`` is the nominal probability p of a hit.
:func:`kupiec` tests the unconditional coverage (the share of hits is p);
:func:`christoffersen` also tests that violations do not cluster (a first-order Markov
alternative) and combines both into the conditional-coverage test. Both are re-exported by
:mod:`forecast.significance` and :mod:`forecast.metrics`.

A likelihood of a count of zero uses the convention :math:`0 \log 0 = 0`, so no violations,
only violations, or a transition that never occurs give finite statistics (see each function).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from forecast._validation import check_1d, check_float, position_text

__all__ = ["ChristoffersenResult", "KupiecResult", "check_hits", "christoffersen", "kupiec"]


@dataclass(frozen=True)
class KupiecResult:
    """Result of :func:`kupiec`.

    Attributes
    ----------
    statistic : float
        :math:`LR_{pof}`, asymptotically chi-squared with 1 degree of freedom.
    pvalue : float
        ``P(chi2(1) >= statistic)``.
    coverage : float
        The nominal coverage p tested.
    empirical_coverage : float
        ``n_hits / n``.
    n : int
        The number of forecasts.
    n_violations : int
        Positions outside the interval (``n - n_hits``).
    """

    statistic: float
    pvalue: float
    coverage: float
    empirical_coverage: float
    n: int
    n_violations: int


@dataclass(frozen=True)
class ChristoffersenResult:
    """Result of :func:`christoffersen`: the conditional-coverage test and its two parts.

    Attributes
    ----------
    statistic : float
        :math:`LR_{cc} = LR_{pof} + LR_{ind}`, asymptotically chi-squared with 2 degrees of
        freedom: coverage right *and* violations independent.
    pvalue : float
        ``P(chi2(2) >= statistic)``.
    statistic_pof, pvalue_pof : float
        The unconditional-coverage part, :func:`kupiec` on the same hits (chi2(1)).
    statistic_ind, pvalue_ind : float
        The independence part :math:`LR_{ind}` (chi2(1)).
    coverage : float
        The nominal coverage p tested.
    n : int
        The number of forecasts (n - 1 transitions).
    transitions : tuple of int
        ``(n00, n01, n10, n11)``: ``nij`` counts t with :math:`I_{t-1} = i, I_t = j`
        (1 = hit, 0 = violation).
    """

    statistic: float
    pvalue: float
    statistic_pof: float
    pvalue_pof: float
    statistic_ind: float
    pvalue_ind: float
    coverage: float
    n: int
    transitions: tuple[int, int, int, int]


def check_hits(hits: Any) -> tuple[np.ndarray, pd.Index | None]:
    """The hit sequence as a bool array (and its index, for a Series); only 0/1 (or bool)
    values are accepted, anything else is a ValueError naming the first position."""
    values, index = check_1d(hits, "hits")
    bad = np.flatnonzero((values != 0) & (values != 1))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"hits must be 1 (inside the interval) or 0 (a violation), got {float(values[i])!r} at "
            f"{position_text(index, i)} ({bad.size} such value(s)); pass "
            "(lower <= y) & (y <= upper)"
        )
    return values == 1, index


def _log_likelihood(n_hits: float, n_miss: float, p_hit: float) -> float:
    """``n_hits log p + n_miss log(1 - p)``, with ``0 log 0 = 0``."""
    return float(special.xlogy(n_hits, p_hit) + special.xlog1py(n_miss, -p_hit))


def _lr_pof(n_hits: int, n: int, p: float) -> float:
    # LR_pof = -2 [log L(p) - log L(pi_hat)],  pi_hat = n_hits / n
    lr = -2.0 * (
        _log_likelihood(n_hits, n - n_hits, p) - _log_likelihood(n_hits, n - n_hits, n_hits / n)
    )
    return lr if lr > 0 else 0.0  # >= 0 exactly; a rounding to -1e-16 (or -0.0) is no evidence


def kupiec(hits: Any, coverage: float) -> KupiecResult:
    r"""Kupiec (1995) proportion-of-failures test of unconditional coverage.

    With :math:`n_1` hits among :math:`n` forecasts, :math:`\hat\pi = n_1/n` and nominal
    coverage :math:`p`:

    .. math::
        LR_{pof} = -2\log\frac{p^{n_1}(1 - p)^{n - n_1}}
                             {\hat\pi^{n_1}(1 - \hat\pi)^{n - n_1}}
        \;\sim\; \chi^2(1) \text{ under } H_0: P(I_t = 1) = p .

    With no violations (:math:`n_1 = n`) the statistic is :math:`-2n\log p`, with only
    violations :math:`-2n\log(1 - p)` (:math:`0\log 0 = 0`); both are finite. The
    chi-squared p-value is asymptotic: with few expected violations (:math:`n(1-p)` below
    about 5) it is rough.

    Parameters
    ----------
    hits : array-like or Series of shape (n,) of bool or 0/1
        1 where the actual lies inside its interval, 0 for a violation.
    coverage : float
        The nominal coverage p of the intervals, in (0, 1).

    Returns
    -------
    KupiecResult
        ``statistic``, ``pvalue``, ``empirical_coverage``, ``n``, ``n_violations``.

    Examples
    --------
    >>> r = kupiec([True] * 18 + [False] * 2, coverage=0.9)
    >>> r.statistic, r.pvalue
    (0.0, 1.0)
    """
    inside, _ = check_hits(hits)
    p = check_float(coverage, "coverage", min_value=0.0, max_value=1.0, inclusive=False)
    n, n_hits = len(inside), int(inside.sum())
    statistic = _lr_pof(n_hits, n, p)
    return KupiecResult(
        statistic=statistic,
        pvalue=float(stats.chi2.sf(statistic, 1)),
        coverage=p,
        empirical_coverage=n_hits / n,
        n=n,
        n_violations=n - n_hits,
    )


def christoffersen(hits: Any, coverage: float) -> ChristoffersenResult:
    r"""Christoffersen (1998) tests of independence and of conditional coverage.

    With :math:`n_{ij}` the number of t with :math:`I_{t-1} = i, I_t = j`,
    :math:`\hat\pi_{01} = n_{01}/(n_{00} + n_{01})`, :math:`\hat\pi_{11} = n_{11}/(n_{10} +
    n_{11})` and :math:`\hat\pi = (n_{01} + n_{11})/(n - 1)`, the independence test against a
    first-order Markov chain is

    .. math::
        LR_{ind} = -2\log\frac{(1 - \hat\pi)^{n_{00} + n_{10}}\,\hat\pi^{n_{01} + n_{11}}}
            {(1 - \hat\pi_{01})^{n_{00}}\hat\pi_{01}^{n_{01}}
             (1 - \hat\pi_{11})^{n_{10}}\hat\pi_{11}^{n_{11}}} \;\sim\; \chi^2(1)

    and the conditional-coverage test is :math:`LR_{cc} = LR_{pof} + LR_{ind} \sim
    \chi^2(2)`, with :math:`LR_{pof}` the :func:`kupiec` statistic on all n hits (the usual
    practice; Christoffersen's exact decomposition conditions on the first observation, a
    difference of one observation).

    With :math:`0\log 0 = 0`, a row of the transition table that never occurs contributes
    nothing (its :math:`\hat\pi_{i1}` is then irrelevant). With no violations, only
    violations, or a single violation that is the last observation, the fitted chain is the
    independent one: :math:`LR_{ind} = 0` and its p-value is 1 (the data hold no evidence of
    dependence), and :math:`LR_{cc} = LR_{pof}`. The chi-squared p-values are asymptotic and
    rough with few violations.

    Parameters
    ----------
    hits : array-like or Series of shape (n,) of bool or 0/1
        1 where the actual lies inside its interval, 0 for a violation, in time order;
        n >= 2.
    coverage : float
        The nominal coverage p of the intervals, in (0, 1).

    Returns
    -------
    ChristoffersenResult
        ``statistic``/``pvalue`` of the joint test, ``statistic_ind``/``pvalue_ind`` and
        ``statistic_pof``/``pvalue_pof`` of its parts, and the ``transitions`` counts.

    Raises
    ------
    ValueError
        For fewer than 2 hits (no transition to test), or hits other than 0/1.

    Examples
    --------
    >>> r = christoffersen([1, 1, 0, 0, 1, 1, 1, 1, 0, 0], coverage=0.8)
    >>> r.transitions
    (2, 1, 2, 4)
    >>> round(r.statistic_ind, 4)
    0.9081
    """
    inside, _ = check_hits(hits)
    p = check_float(coverage, "coverage", min_value=0.0, max_value=1.0, inclusive=False)
    n = len(inside)
    if n < 2:
        raise ValueError(
            f"the Christoffersen test needs at least 2 hits (1 transition), got n={n}; "
            "use kupiec for a single forecast"
        )
    prev, curr = inside[:-1], inside[1:]
    n00 = int(np.sum(~prev & ~curr))
    n01 = int(np.sum(~prev & curr))
    n10 = int(np.sum(prev & ~curr))
    n11 = int(np.sum(prev & curr))
    pi = (n01 + n11) / (n - 1)
    pi01 = n01 / (n00 + n01) if n00 + n01 else 0.0  # an empty row: any value, 0 log 0 = 0
    pi11 = n11 / (n10 + n11) if n10 + n11 else 0.0
    # LR_ind = -2 [log L(pi) - log L(pi01, pi11)]
    log_l_markov = _log_likelihood(n01, n00, pi01) + _log_likelihood(n11, n10, pi11)
    log_l_indep = _log_likelihood(n01 + n11, n00 + n10, pi)
    lr_ind = -2.0 * (log_l_indep - log_l_markov)
    lr_ind = lr_ind if lr_ind > 0 else 0.0  # >= 0 exactly; only rounding makes it negative
    lr_pof = _lr_pof(int(inside.sum()), n, p)
    lr_cc = lr_pof + lr_ind
    return ChristoffersenResult(
        statistic=lr_cc,
        pvalue=float(stats.chi2.sf(lr_cc, 2)),
        statistic_pof=lr_pof,
        pvalue_pof=float(stats.chi2.sf(lr_pof, 1)),
        statistic_ind=lr_ind,
        pvalue_ind=float(stats.chi2.sf(lr_ind, 1)),
        coverage=p,
        n=n,
        transitions=(n00, n01, n10, n11),
    )
