"""Figures for uncertainty: fan charts of quantile bands, PIT histograms, rolling coverage.

Like :mod:`forecast.plots` (which re-exports these functions), every function draws on the
matplotlib ``Axes`` it is given, or on a new figure's Axes when ``ax`` is None, and returns
that Axes; pyplot is imported only when a new figure is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast._validation import as_float64, check_1d, check_finite
from forecast.coverage_tests import check_hits

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["binomial_band", "draw_quantile_bands", "plot_coverage", "plot_pit"]


def _axes(ax: Axes | None) -> Axes:
    """Return ``ax``, or the Axes of a new figure."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def _percent(level: float) -> str:
    """``0.05 -> '5%'``, ``0.025 -> '2.5%'``."""
    return f"{100 * level:g}%"


def binomial_band(n: int, p: float, level: float = 0.95) -> tuple[int, int]:
    """Central ``level`` range of a Binomial(n, p) count: its (1-level)/2 and (1+level)/2 quantiles.

    The quantile ``q`` is the smallest ``k`` with ``P(K <= k) >= q``, as
    :func:`scipy.stats.binom.ppf` defines it.

    Parameters
    ----------
    n : int
        Number of trials, >= 1.
    p : float
        Success probability, in (0, 1).
    level : float, default 0.95
        Probability of the central range, in (0, 1).

    Returns
    -------
    (int, int)
        The lower and upper counts.

    Examples
    --------
    >>> binomial_band(250, 0.1)
    (16, 35)
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    for name, value in (("p", p), ("level", level)):
        if not 0.0 < float(value) < 1.0:
            raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")
    from scipy.stats import binom

    lo, hi = binom.ppf([(1 - level) / 2, (1 + level) / 2], int(n), float(p))
    return int(lo), int(hi)


def draw_quantile_bands(ax: Axes, quantiles: pd.DataFrame, label: str, color: Any = None) -> None:
    """Draw a fan chart of ``quantiles`` on ``ax``: nested bands, darker towards the centre.

    Columns are quantile levels in (0, 1), increasing. The outermost pair of levels
    (first and last column) makes the widest, palest band, the next pair the next band, and
    so on inwards, each band darker; an unpaired middle column (e.g. the median of an odd
    number of levels) is drawn as a dashed line. Bands are labelled ``"{label} 5%-95%"``.

    Parameters
    ----------
    ax : matplotlib Axes
        Where to draw.
    quantiles : DataFrame of shape (n, k)
        One column per quantile level (as ``predict_quantiles`` returns), index the x axis;
        values must be finite and non-decreasing along each row.
    label : str
        Name of the model, used in the legend entries.
    color : matplotlib color, optional
        Color of the bands (default "C0", the first color of the cycle).

    Raises
    ------
    TypeError
        ``quantiles`` is not a DataFrame, or a column label is not a number.
    ValueError
        Fewer than 2 columns, levels outside (0, 1) or not increasing, non-finite values, or
        quantiles that cross (a lower level above a higher one) on some row.
    """
    name = f"quantiles[{label!r}]"
    if not isinstance(quantiles, pd.DataFrame):
        raise TypeError(
            f"{name} must be a DataFrame with one column per quantile level, "
            f"got {type(quantiles).__name__}"
        )
    try:
        levels = np.array([float(c) for c in quantiles.columns])
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} columns must be quantile levels (numbers in (0, 1)), "
            f"got {list(quantiles.columns)}"
        ) from None
    if levels.size < 2:
        raise ValueError(
            f"{name} needs at least 2 quantile columns to make a band, got {list(levels)}"
        )
    if not ((levels > 0) & (levels < 1)).all() or not (np.diff(levels) > 0).all():
        raise ValueError(
            f"{name} columns must be increasing quantile levels strictly between 0 and 1, "
            f"got {list(levels)}; sort the columns (e.g. df.sort_index(axis=1))"
        )
    values = as_float64(quantiles.to_numpy(), name)
    check_finite(values, quantiles.index, name)
    crossed = np.argwhere(np.diff(values, axis=1) < 0)
    if crossed.size:
        i, j = (int(v) for v in crossed[0])
        raise ValueError(
            f"{name} crosses at position {i} ({quantiles.index[i]}): the {levels[j]:g} quantile "
            f"{values[i, j]} is above the {levels[j + 1]:g} quantile {values[i, j + 1]}"
        )
    if color is None:
        color = "C0"
    n_bands = levels.size // 2
    for b in range(n_bands):  # outermost first, so inner bands are drawn on top
        lo, hi = b, levels.size - 1 - b
        alpha = 0.15 + 0.35 * b / max(n_bands - 1, 1)
        ax.fill_between(
            quantiles.index,
            values[:, lo],
            values[:, hi],
            color=color,
            alpha=alpha,
            lw=0,
            label=f"{label} {_percent(levels[lo])}-{_percent(levels[hi])}",
        )
    if levels.size % 2:
        mid = n_bands
        ax.plot(
            quantiles.index,
            values[:, mid],
            color=color,
            ls="--",
            lw=1,
            label=f"{label} {_percent(levels[mid])} quantile",
        )


def plot_pit(pit: Any, bins: int = 10, ax: Axes | None = None, *, level: float = 0.95) -> Axes:
    r"""Histogram of probability integral transform (PIT) values, with the uniform reference.

    The PIT of an observation :math:`y_t` under a predictive CDF :math:`F_t` is
    :math:`u_t = F_t(y_t)`. If the forecasts are calibrated the :math:`u_t` are uniform on
    [0, 1], so the histogram is flat: a U shape means intervals too narrow (overconfident), a
    hump too wide, a slope a biased centre. Drawn: ``bins`` bars of counts on equal bins of
    [0, 1], a dashed line at the expected count ``n / bins``, and the shaded central
    ``level`` range of a bar's count under uniformity, Binomial(n, 1 / bins).

    Parameters
    ----------
    pit : array-like or Series of shape (n,)
        PIT values, each in [0, 1].
    bins : int, default 10
        Number of equal-width bins on [0, 1].
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when None.
    level : float, default 0.95
        Probability of the shaded range of bar heights under calibration.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        ``pit`` empty, not 1-D, with NaN/inf or values outside [0, 1]; ``bins`` < 1.

    Examples
    --------
    >>> ax = plot_pit([0.05, 0.15, 0.5, 0.95], bins=4)
    >>> [float(p.get_height()) for p in ax.patches[:4]]
    [2.0, 0.0, 1.0, 1.0]
    """
    u, index = check_1d(pit, "pit")
    outside = np.flatnonzero((u < 0) | (u > 1))
    if outside.size:
        i = int(outside[0])
        where = f"position {i}" if index is None else f"position {i} ({index[i]})"
        raise ValueError(
            f"pit values must lie in [0, 1]; {outside.size} do not, the first is {u[i]} at "
            f"{where}. PIT values are the predictive CDF at the observation, F_t(y_t)."
        )
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be an integer >= 1, got {bins!r}")
    n = u.size
    ax = _axes(ax)
    ax.hist(u, bins=np.linspace(0.0, 1.0, int(bins) + 1), color="C0", alpha=0.7, label="PIT")
    if bins > 1:
        lo, hi = binomial_band(n, 1.0 / bins, level)
        ax.axhspan(lo, hi, color="0.5", alpha=0.2, label=f"{_percent(level)} range if calibrated")
    ax.axhline(n / bins, color="black", lw=1, ls="--", label="uniform (calibrated)")
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel("PIT value F(y)")
    ax.set_ylabel("count")
    ax.set_title(f"PIT histogram (n = {n}): flat when calibrated")
    ax.legend(loc="best")
    return ax


def plot_coverage(
    hits: Any,
    coverage: float,
    window: int = 50,
    ax: Axes | None = None,
    *,
    level: float = 0.95,
) -> Axes:
    """Plot the rolling empirical coverage of intervals against the nominal coverage.

    At each time the line shows the share of the last ``window`` observations that fell
    inside their interval (``hits.rolling(window).mean()``; the first ``window - 1`` points
    have no full window and are not drawn). Also drawn: the nominal coverage as a dashed
    line, the overall empirical coverage as a dotted one, and the shaded central ``level``
    range of a window's coverage if the intervals were exact, Binomial(window, coverage) /
    window (neighbouring windows overlap, so this is a pointwise guide, not a test).

    Parameters
    ----------
    hits : array-like or Series of shape (n,) of bool or 0/1
        1 where the observation was inside its interval, e.g.
        ``(bt.actual >= bt.lower) & (bt.actual <= bt.upper)``; a Series' index (dates) is
        the x axis, otherwise 0..n-1.
    coverage : float
        The nominal coverage of the intervals, in (0, 1).
    window : int, default 50
        Number of observations in each rolling window, 1..n.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when None.
    level : float, default 0.95
        Probability of the shaded range.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        ``hits`` empty, not 1-D, with NaN or values other than 0/1; ``coverage`` outside
        (0, 1); ``window`` not an integer in 1..n.

    Examples
    --------
    >>> ax = plot_coverage([1, 1, 0, 1], coverage=0.9, window=2)
    >>> ax.get_lines()[0].get_ydata().tolist()
    [nan, 1.0, 0.5, 0.5]
    """
    inside, index = check_hits(hits)
    h = inside.astype(np.float64)
    if (
        isinstance(coverage, bool)
        or not isinstance(coverage, (int, float))
        or not (0.0 < float(coverage) < 1.0)
    ):
        raise ValueError(f"coverage must lie strictly between 0 and 1 (e.g. 0.9), got {coverage!r}")
    n = h.size
    if (
        isinstance(window, bool)
        or not isinstance(window, (int, np.integer))
        or not (1 <= window <= n)
    ):
        raise ValueError(
            f"window must be an integer between 1 and len(hits)={n}, got {window!r}; "
            "use a smaller window or more observations"
        )
    x = index if index is not None else np.arange(n)
    rolling = pd.Series(h).rolling(int(window)).mean().to_numpy()
    ax = _axes(ax)
    ax.plot(x, rolling, color="C0", lw=1.2, label=f"rolling coverage ({window} obs)")
    ax.axhline(coverage, color="black", lw=1, ls="--", label=f"nominal {_percent(coverage)}")
    ax.axhline(h.mean(), color="C1", lw=1, ls=":", label=f"overall {100 * h.mean():.1f}%")
    lo, hi = binomial_band(int(window), float(coverage), level)
    ax.axhspan(
        lo / window, hi / window, color="0.5", alpha=0.2, label=f"{_percent(level)} range if exact"
    )
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("date" if isinstance(index, pd.DatetimeIndex) else "observation")
    ax.set_ylabel("share of observations inside the interval")
    ax.set_title(f"rolling coverage against nominal {_percent(coverage)}")
    ax.legend(loc="best")
    return ax
