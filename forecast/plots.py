"""Figures for the comparison: forecasts, loss against the random walk, errors, training.

Every function draws on the matplotlib ``Axes`` it is given (or on a new figure's Axes when
``ax`` is None) and returns that Axes. Nothing here calls ``plt.show()`` or changes the
backend; pyplot is imported only when a new figure is needed, so ``import forecast.plots``
is cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast._validation import check_1d, check_paired
from forecast.direction_plots import plot_reliability
from forecast.uncertainty_plots import (
    binomial_band,
    draw_quantile_bands,
    plot_coverage,
    plot_pit,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: boxplot takes orientation= from matplotlib 3.10 (vert= is deprecated there)
_MPL_ORIENTATION = tuple(int(p) for p in version("matplotlib").split(".")[:2]) >= (3, 10)

__all__ = [
    "binomial_band",
    "plot_coverage",
    "plot_cumulative_loss_difference",
    "plot_error_distribution",
    "plot_forecast",
    "plot_gradient_norms",
    "plot_pit",
    "plot_reliability",
    "plot_training_curves",
]


def _axes(ax: Axes | None) -> Axes:
    """Return ``ax``, or the Axes of a new figure."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def _series(y: Any, name: str) -> pd.Series:
    """Require a pandas Series (its index is the x axis)."""
    if not isinstance(y, pd.Series):
        raise TypeError(
            f"{name} must be a pandas Series (its index is the x axis), got {type(y).__name__}"
        )
    return y


def _named(values: Any, name: str, default: str) -> dict[str, Any]:
    """Turn one item or a mapping of items into a non-empty ``{label: item}`` dict."""
    if isinstance(values, Mapping):
        if len(values) == 0:
            raise ValueError(f"{name} is an empty mapping; give at least one entry")
        return {str(k): v for k, v in values.items()}
    return {default: values}


def plot_forecast(
    actual: pd.Series,
    forecasts: pd.Series | Mapping[str, pd.Series],
    intervals: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None,
    ax: Axes | None = None,
    history: pd.Series | None = None,
    *,
    quantiles: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None,
) -> Axes:
    """Plot forecasts against the actual values, with prediction intervals as bands.

    Lines are drawn in this order: ``history`` (if given), ``actual``, then one line per
    forecast, in the mapping's order. Each interval is a filled band between its ``lower``
    and ``upper`` columns. Each entry of ``quantiles`` is drawn as a fan chart (see
    :func:`forecast.uncertainty_plots.draw_quantile_bands`): nested bands between paired
    quantile levels, darker towards the centre, in the color of the forecast of the same label.

    Parameters
    ----------
    actual : Series
        The realised values over the forecast period; its index is the x axis.
    forecasts : Series or mapping of str to Series
        One forecast (labelled by its name, or "forecast") or several keyed by label.
    intervals : DataFrame with columns "lower" and "upper", or mapping of them, optional
        A mapping is keyed like ``forecasts``; a single DataFrame is drawn as one band.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when None.
    history : Series, optional
        Observations before the forecast period, drawn in grey for context.
    quantiles : DataFrame or mapping of str to DataFrame, optional
        Predictive quantiles with one column per level in (0, 1), increasing (as
        ``predict_quantiles`` returns), e.g. columns 0.05, 0.25, 0.5, 0.75, 0.95 make a
        5%-95% band, a darker 25%-75% band and a dashed median. A mapping is keyed like
        ``forecasts``; a single DataFrame is labelled like a single forecast. With quantiles
        the Axes also gets a title and an x label.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> actual = pd.Series([1.0, 2.0, 3.0])
    >>> ax = plot_forecast(actual, {"AR": actual + 0.1})
    >>> len(ax.get_lines())
    2
    >>> fan = pd.DataFrame({0.05: actual - 2, 0.25: actual - 1, 0.75: actual + 1,
    ...                     0.95: actual + 2})
    >>> ax = plot_forecast(actual, {"AR": actual}, quantiles={"AR": fan})
    >>> [c.get_label() for c in ax.collections]
    ['AR 5%-95%', 'AR 25%-75%']
    """
    actual = _series(actual, "actual")
    default = forecasts.name if isinstance(forecasts, pd.Series) and forecasts.name else "forecast"
    forecasts = _named(forecasts, "forecasts", str(default))
    forecasts = {k: _series(v, f"forecasts[{k!r}]") for k, v in forecasts.items()}
    bands = {} if intervals is None else _named(intervals, "intervals", "interval")
    fans = {} if quantiles is None else _named(quantiles, "quantiles", next(iter(forecasts)))
    ax = _axes(ax)
    if history is not None:
        history = _series(history, "history")
        ax.plot(history.index, history.to_numpy(), color="0.6", lw=1, label="history")
    ax.plot(actual.index, actual.to_numpy(), color="black", lw=1.5, label="actual")
    colors = {}
    for label, forecast in forecasts.items():
        (line,) = ax.plot(forecast.index, forecast.to_numpy(), lw=1.2, label=label)
        colors[label] = line.get_color()
    for label, band in bands.items():
        if not isinstance(band, pd.DataFrame):
            raise TypeError(f"intervals[{label!r}] must be a DataFrame, got {type(band).__name__}")
        missing = {"lower", "upper"} - set(band.columns)
        if missing:
            raise ValueError(
                f"intervals[{label!r}] needs columns 'lower' and 'upper'; missing "
                f"{sorted(missing)}, has {list(band.columns)}"
            )
        lower, upper = band["lower"].to_numpy(float), band["upper"].to_numpy(float)
        crossed = np.flatnonzero(lower > upper)
        if crossed.size:
            i = int(crossed[0])
            raise ValueError(
                f"intervals[{label!r}] has lower > upper at position {i} ({band.index[i]}): "
                f"lower={float(lower[i])}, upper={float(upper[i])}"
            )
        ax.fill_between(band.index, lower, upper, alpha=0.2, label=f"{label} interval")
    for k, (label, fan) in enumerate(fans.items()):
        draw_quantile_bands(ax, fan, label, color=colors.get(label, f"C{k}"))
    if fans:
        ax.set_title("forecasts with predictive quantile bands (darker: more central)")
        ax.set_xlabel("date" if isinstance(actual.index, pd.DatetimeIndex) else "time")
    ax.set_ylabel("value")
    ax.legend(loc="best")
    return ax


def plot_cumulative_loss_difference(
    actual: Any,
    forecasts: Mapping[str, Any],
    benchmark: Any,
    ax: Axes | None = None,
    *,
    benchmark_name: str = "benchmark",
    xlabel: str | None = None,
    units: str = "price units",
) -> Axes:
    r"""Plot the running sum of squared-error differences against a benchmark.

    For each model, at time :math:`T`:

    .. math:: C_T = \sum_{t \le T} \left(e_{\text{bench},t}^2 - e_{\text{model},t}^2\right),
        \qquad e_t = A_t - F_t .

    Above zero the model has so far made a smaller total squared error than the benchmark
    (normally the random walk); a rising curve means it is currently doing better, a falling
    one worse. A curve that ends near zero after wandering means there is no lasting gain.
    Drawn: one line per model, in the mapping's order, then a dashed line at zero.

    Parameters
    ----------
    actual : array-like or Series of shape (n,)
        The realised values; a Series' index is the x axis, otherwise 0..n-1.
    forecasts : mapping of str to array-like or Series of shape (n,)
        The model forecasts for the same targets, paired with ``actual`` by position.
    benchmark : array-like or Series of shape (n,)
        The benchmark forecasts (the random walk: the last observed value).
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when None.
    benchmark_name : str, default "benchmark"
        How the title, the y label and the zero line ("as good as the random walk") name
        the benchmark.
    xlabel : str, optional
        The x label (default "date" for a Series with dates, else "time").
    units : str, default "price units"
        The units of the values; the y axis is in their square.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> ax = plot_cumulative_loss_difference([1.0, 2.0], {"AR": [1.0, 2.5]}, [0.0, 1.0])
    >>> ax.get_lines()[0].get_ydata().tolist()
    [1.0, 1.75]
    """
    forecasts = _named(forecasts, "forecasts", "model")
    a, bench = check_paired(actual=actual, benchmark=benchmark)
    x = actual.index if isinstance(actual, pd.Series) else np.arange(len(a))
    ax = _axes(ax)
    for label, forecast in forecasts.items():
        _, f = check_paired(actual=actual, **{f"forecasts[{label!r}]": forecast})
        cumulative = np.cumsum((a - bench) ** 2 - (a - f) ** 2)
        ax.plot(x, cumulative, lw=1.2, label=label)
    ax.axhline(0.0, color="black", lw=0.8, ls="--", label=f"as good as the {benchmark_name}")
    dates = isinstance(actual, pd.Series) and isinstance(actual.index, pd.DatetimeIndex)
    ax.set_xlabel(xlabel or ("date" if dates else "time"))
    ax.set_ylabel(f"cumulative SE({benchmark_name}) - SE(model)\n(squared {units})")
    ax.set_title(f"Squared error summed against the {benchmark_name}: above zero, "
                 f"better than the {benchmark_name} so far", fontsize="medium")
    legend_outside(ax)
    return ax


def legend_outside(ax: Axes) -> None:
    """The legend to the right of the data, where it hides no line."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
              fontsize="small")


def plot_error_distribution(
    errors: Mapping[str, Any] | Any,
    ax: Axes | None = None,
    *,
    kind: str = "hist",
    bins: int | Sequence[float] = 30,
) -> Axes:
    """Plot the distribution of each model's forecast errors.

    Parameters
    ----------
    errors : mapping of str to array-like of shape (n,), or one array
        Forecast errors keyed by model.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when None.
    kind : {"hist", "box", "rows"}, default "hist"
        "hist": overlaid translucent histograms on common bin edges (``bins`` bars per
        model, counts on the y axis); "box": one box plot per model, in the mapping's
        order; "rows": one horizontal box plot per model, a row each, the first model on
        top, errors on a shared x axis with a line at zero (readable for many models).
    bins : int or sequence of float, default 30
        Number of bins or the bin edges (``kind="hist"`` only), shared by all models.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> ax = plot_error_distribution({"AR": [0.1, -0.2, 0.3]}, bins=3)
    >>> len(ax.patches)
    3
    """
    errors = _named(errors, "errors", "errors")
    errors = {k: check_1d(v, f"errors[{k!r}]")[0] for k, v in errors.items()}
    if kind not in ("hist", "box", "rows"):
        raise ValueError(f"unknown kind={kind!r}; valid choices are 'hist', 'box', 'rows'")
    ax = _axes(ax)
    if kind == "hist":
        edges = np.histogram_bin_edges(np.concatenate(list(errors.values())), bins=bins)
        for label, e in errors.items():
            ax.hist(e, bins=edges, alpha=0.5, label=label)
        ax.set_xlabel("forecast error")
        ax.set_ylabel("count")
        ax.legend(loc="best")
    elif kind == "box":
        ax.boxplot(list(errors.values()))
        ax.set_xticks(np.arange(1, len(errors) + 1), labels=list(errors))
        ax.axhline(0.0, color="black", lw=0.8, ls="--")
        ax.set_ylabel("forecast error")
    else:
        rows = np.arange(len(errors), 0, -1)  # the first model on top
        sideways = {"orientation": "horizontal"} if _MPL_ORIENTATION else {"vert": False}
        ax.boxplot(list(errors.values()), positions=rows, widths=0.6,
                   flierprops={"markersize": 2}, **sideways)
        ax.set_yticks(rows, labels=list(errors))
        ax.axvline(0.0, color="black", lw=0.8, ls="--")
        ax.set_xlabel("forecast error (actual - forecast)")
        ax.set_ylabel("model")
    return ax



def plot_training_curves(
    history: Mapping[str, Sequence[float]],
    ax: Axes | None = None,
    *,
    keys: Sequence[str] | None = None,
    log: bool = False,
) -> Axes:
    """Plot per-epoch training records (e.g. ``train_loss`` and ``val_loss``) against epoch.

    One line per key, with x = 1, 2, ..., n_epochs. NaN values (a diverged epoch) are drawn
    as gaps, not removed.

    Parameters
    ----------
    history : mapping of str to sequence of float
        Per-epoch values, e.g. ``{"train_loss": [...], "val_loss": [...]}``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when None.
    keys : sequence of str, optional
        Which entries to draw (default: all, in the mapping's order).
    log : bool, default False
        Use a logarithmic y axis.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> ax = plot_training_curves({"train_loss": [1.0, 0.5], "val_loss": [1.2, 0.8]})
    >>> [line.get_label() for line in ax.get_lines()]
    ['train_loss', 'val_loss']
    """
    if not isinstance(history, Mapping):
        raise TypeError(
            f"history must be a mapping of per-epoch values, got {type(history).__name__}"
        )
    if len(history) == 0:
        raise ValueError("history is an empty mapping; give at least one per-epoch record")
    keys = list(history) if keys is None else list(keys)
    unknown = [k for k in keys if k not in history]
    if unknown:
        raise ValueError(f"keys {unknown} are not in history; it has {list(history)}")
    ax = _axes(ax)
    for key in keys:
        values = np.asarray(history[key], dtype=np.float64)
        if values.ndim != 1 or values.size == 0:
            raise ValueError(
                f"history[{key!r}] must be a non-empty 1-D sequence of per-epoch values, "
                f"got shape {values.shape}"
            )
        epochs = np.arange(1, len(values) + 1)
        ax.plot(epochs, values, marker="." if len(values) < 50 else None, label=key)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend(loc="best")
    return ax


def plot_gradient_norms(
    norms: Any | Mapping[str, Any],
    ax: Axes | None = None,
    log: bool = True,
) -> Axes:
    r"""Plot :math:`\lVert \partial L / \partial h_t \rVert` against the time step t.

    Shows how much of the loss gradient reaches each time step during backpropagation through
    time: norms that fall geometrically towards small t are the vanishing-gradient problem,
    norms that grow are the exploding one. One line per entry, x = 0..T-1 (t = T-1 is the
    last step, nearest the loss).

    Parameters
    ----------
    norms : array-like of shape (T,), or mapping of str to such arrays
        Non-negative gradient norms per time step, e.g. one array per cell type.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when None.
    log : bool, default True
        Use a logarithmic y axis (exact zeros are then not drawn).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> ax = plot_gradient_norms({"rnn": [1e-4, 1e-2, 1.0]})
    >>> ax.get_yscale()
    'log'
    """
    norms = _named(norms, "norms", "gradient norm")
    ax = _axes(ax)
    for label, values in norms.items():
        g, _ = check_1d(values, f"norms[{label!r}]")
        negative = np.flatnonzero(g < 0)
        if negative.size:
            i = int(negative[0])
            raise ValueError(f"norms[{label!r}] must be >= 0, got {float(g[i])} at position {i}")
        ax.plot(np.arange(len(g)), g, lw=1.2, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("time step t")
    ax.set_ylabel(r"$\|\partial L / \partial h_t\|$")
    ax.legend(loc="best")
    return ax
