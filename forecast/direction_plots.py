"""Figures for up/down probability forecasts: the reliability diagram.

Like :mod:`forecast.plots` (which re-exports it), :func:`plot_reliability` draws on the
matplotlib ``Axes`` it is given, or on a new figure's Axes when ``ax`` is None, and returns
that Axes; pyplot is imported only when a new figure is needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from forecast.probability_scores import reliability_curve

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_reliability"]


def plot_reliability(
    y_true: Any,
    y_prob: Any,
    *,
    n_bins: int = 10,
    strategy: Literal["uniform", "quantile"] = "uniform",
    ax: Axes | None = None,
    label: str = "forecast",
) -> Axes:
    """Reliability diagram: the observed frequency of the event against the forecast probability.

    Each curve joins the bins of :func:`forecast.metrics.reliability_curve` (mean forecast
    probability, observed frequency); a calibrated forecaster lies on the diagonal, one
    that is too sure of "up" below it where it says more than 0.5. Marker areas are
    proportional to the number of forecasts in the bin. Both axes span the range of the
    points (plus 0.05, within [0, 1]): daily probabilities of up cluster near 0.5.

    Parameters
    ----------
    y_true : array-like or Series of shape (n,)
        The outcomes (0/1), shared by every curve.
    y_prob : array-like or Series of shape (n,), or mapping of str to those
        One forecaster's probabilities, or name -> probabilities of several (each paired
        with ``y_true`` by position).
    n_bins : int, default=10
        Bins per curve.
    strategy : {"uniform", "quantile"}, default="uniform"
        Bins of equal width, or of equal counts (better for probabilities near 0.5).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    label : str, default="forecast"
        The legend entry of a single (unnamed) ``y_prob``.

    Returns
    -------
    matplotlib Axes
        With the title "Reliability diagram", axis labels and a legend.

    Raises
    ------
    ValueError
        As :func:`forecast.metrics.reliability_curve`: outcomes other than 0/1,
        probabilities outside [0, 1], a length mismatch; or an empty mapping.
    """
    curves = dict(y_prob) if isinstance(y_prob, Mapping) else {label: y_prob}
    if not curves:
        raise ValueError("y_prob is an empty mapping; pass at least one forecaster's "
                         "probabilities")
    tables = {name: reliability_curve(y_true, p, n_bins=n_bins, strategy=strategy)
              for name, p in curves.items()}  # checked before anything is drawn
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1,
            label="perfectly calibrated")
    largest = max(int(t["count"].max()) for t in tables.values())
    for name, table in tables.items():
        line = ax.plot(table["mean_prob"], table["frequency"], linewidth=1.2, label=name)[0]
        ax.scatter(table["mean_prob"], table["frequency"], s=80 * table["count"] / largest,
                   color=line.get_color(), zorder=3)
    points = [t[c] for t in tables.values() for c in ("mean_prob", "frequency")]
    lo = max(0.0, min(float(v.min()) for v in points) - 0.05)
    hi = min(1.0, max(float(v.max()) for v in points) + 0.05)
    ax.set_xlim(lo, hi)  # daily probabilities of up cluster near 0.5: show where they are
    ax.set_ylim(lo, hi)
    ax.set_xlabel("forecast probability of up")
    ax.set_ylabel("observed frequency of up")
    ax.set_title("Reliability diagram")
    ax.legend(loc="upper left")
    return ax
