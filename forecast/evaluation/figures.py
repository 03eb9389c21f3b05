"""The figures of a comparison, readable at a glance (what ``CompareResult.plot`` draws).

Every figure has a title, axis labels with units and a legend that hides no line; the
random walk ("Random walk", the reference of every comparison) is named wherever it is
the benchmark. With ``ax=None`` the figures of many models are small multiples:

* ``"forecast"``: one panel per model (actual, forecast, interval band), shared axes;
* ``"errors"``: one row per model (a horizontal box plot), the random walk on top;
* ``"loss"``: the cumulative squared-error difference of each model against the random
  walk by origin date, with a zero line "as good as the random walk";
* ``"training"``: one panel per recurrent model, training and validation loss on one
  shared (log) scale;
* ``"summary"`` (many series): each model's skill against the random walk per series.

Given an ``ax``, "forecast" and "training" draw every model on that one Axes instead.
A panel figure's functions return the Axes of its first panel (``ax.figure.axes`` holds
them all).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast import plots
from forecast._validation import check_int

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: what ``ylabel`` says of the values of a price series
PRICE_UNITS = "price units"
#: the report's one-line caption of the training figure
TRAINING_CAPTION = (
    "Validation loss can sit below training loss: the validation block is the last part "
    "of the training data, often a calmer period than the whole, and the training loss "
    "is averaged over each epoch's updates while the weights still move."
)


def _panels(n: int, ax: Axes | None, *, width: float = 9.0, height: float = 2.2) -> list[Axes]:
    """``n`` stacked panels sharing x and y axes, or ``[ax]`` when ``ax`` is given."""
    if ax is not None:
        return [ax]
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(n, 1, sharex=True, sharey=True, squeeze=False,
                             figsize=(width, 1.0 + height * n), layout="constrained")
    return list(axes[:, 0])


def _concise_dates(ax: Axes) -> None:
    """Date ticks that do not overlap (``2018``, ``Nov``, ``15`` rather than full dates)."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _step_rows(comparison: Any, step: int, last: int | None) -> pd.DataFrame:
    step = check_int(step, "step", min_value=1)
    horizon = int(comparison.settings.get("horizon", 1))
    if step > horizon:
        raise ValueError(f"step={step} is beyond the horizon of the comparison ({horizon})")
    bt = comparison.backtests[comparison.backtests["step"] == step]
    if last is not None:
        last = check_int(last, "last", min_value=1)
        keep = bt["target"].drop_duplicates().iloc[-last:]
        bt = bt[bt["target"].isin(keep)]
    return bt


def plot_comparison(
    comparison: Any,
    kind: str,
    *,
    ax: Axes | None = None,
    step: int = 1,
    models: Sequence[str] | None = None,
    last: int | None = None,
) -> Axes:
    """Draw figure ``kind`` of a :class:`~forecast.evaluation.results.SeriesComparison`
    (see the module docstring and :meth:`SeriesComparison.plot`)."""
    names = list(comparison.models) if models is None else list(models)
    unknown = [m for m in names if m not in comparison.models]
    if unknown:
        raise ValueError(f"unknown model(s) {unknown}; the models are {list(comparison.models)}")
    reference = comparison.reference
    names = [reference] * (reference in names) + [m for m in names if m != reference]
    if kind == "training":
        return _training(comparison, names, ax)
    bt = _step_rows(comparison, step, last)
    by_model = {m: g.set_index("target") for m, g in bt.groupby("model", sort=False)}
    actual = by_model[reference]["actual"].rename("actual")
    ahead = "one-step-ahead" if int(comparison.settings.get("horizon", 1)) == 1 else (
        f"step-{step}")
    if kind == "forecast":
        return _forecast(by_model, actual, names, ax, ahead)
    if kind == "loss":
        return _loss(by_model, reference, [m for m in names if m != reference], ax)
    return _errors(by_model, actual, names, ax, ahead)


def _loss(by_model: dict[str, pd.DataFrame], reference: str, others: list[str],
          ax: Axes | None) -> Axes:
    if not others:
        raise ValueError("kind='loss' needs a model other than the random walk")
    by_origin = {m: by_model[m].set_index("origin") for m in [reference, *others]}
    ax = plots.plot_cumulative_loss_difference(
        by_origin[reference]["actual"], {m: by_origin[m]["forecast"] for m in others},
        by_origin[reference]["forecast"], ax=ax, benchmark_name="random walk",
        xlabel="origin date", units=PRICE_UNITS)
    if isinstance(by_origin[reference].index, pd.DatetimeIndex):
        _concise_dates(ax)
    return ax


def _errors(by_model: dict[str, pd.DataFrame], actual: pd.Series, names: list[str],
            ax: Axes | None, ahead: str) -> Axes:
    errors = {m: (actual - by_model[m]["forecast"]).to_numpy() for m in names}
    ax = plots.plot_error_distribution(errors, ax=ax, kind="rows")
    ax.set_xlabel(f"{ahead} forecast error, actual - forecast ({PRICE_UNITS})")
    ax.set_title(f"{ahead.capitalize()} forecast errors by model "
                 "(box: middle half; whiskers: 1.5 IQR; dots: beyond)", fontsize="medium")
    if ax.figure.get_figheight() < 1.0 + 0.5 * len(names):
        ax.figure.set_figheight(1.0 + 0.5 * len(names))
    return ax


def _forecast(by_model: dict[str, pd.DataFrame], actual: pd.Series, names: list[str],
              ax: Axes | None, ahead: str) -> Axes:
    forecasts = {m: by_model[m]["forecast"].rename(m) for m in names}
    bands = {m: by_model[m][["lower", "upper"]] for m in names
             if "lower" in by_model[m].columns}
    title = f"{ahead.capitalize()} forecasts against the actual price"
    if ax is not None:  # the caller's one Axes: every model on it
        plots.plot_forecast(actual, forecasts, intervals=bands or None, ax=ax)
        axes = [ax]
        ax.set_title(title, fontsize="medium")
    else:
        axes = _panels(len(names), None)
        for panel, name in zip(axes, names, strict=True):
            band = {name: bands[name]} if name in bands else None
            plots.plot_forecast(actual, forecasts[name], intervals=band, ax=panel)
            panel.set_title(name, fontsize="medium", loc="left")
        axes[0].figure.suptitle(title + ", one panel per model")
    for panel in axes:
        panel.set_ylabel(f"price ({PRICE_UNITS})")
        plots.legend_outside(panel)
    axes[-1].set_xlabel("target date")
    if isinstance(actual.index, pd.DatetimeIndex):
        _concise_dates(axes[-1])
    return axes[0]


def _training(comparison: Any, names: list[str], ax: Axes | None) -> Axes:
    curves = {}
    for name in names:
        history = getattr(comparison.models[name], "history_", None)
        losses = {key: values for key, values in dict(history or {}).items()
                  if "loss" in str(key) and len(np.atleast_1d(values))}
        if losses:
            curves[name] = losses
    if not curves:
        raise ValueError(
            f"none of the models {names} has a training history (a history_ with losses)"
        )
    panels = ax is None
    axes = _panels(len(curves), ax, height=2.6)
    for k, (name, losses) in enumerate(curves.items()):
        panel = axes[k if panels else 0]
        if panels:
            shown = {_loss_label(key): values for key, values in losses.items()}
            panel.set_title(name, fontsize="medium", loc="left")
        else:
            shown = {f"{name}: {key}": values for key, values in losses.items()}
        plots.plot_training_curves(shown, ax=panel, log=True)
        panel.xaxis.get_major_locator().set_params(integer=True)
        panel.set_ylabel("loss (scaled MSE, log)")
        plots.legend_outside(panel)
    title = "RNN training: loss per epoch of the final fit"
    if panels:
        axes[0].figure.suptitle(title + ", one panel per model, same scale")
    else:
        axes[0].set_title(title, fontsize="medium")
    return axes[0]


def _loss_label(key: str) -> str:
    return {"train_loss": "training loss", "val_loss": "validation loss"}.get(key, key)


def plot_summary(result: Any, *, ax: Axes | None = None, step: int = 1) -> Axes:
    """Each model's skill against the random walk on each series of a comparison of many.

    Skill is ``1 - MSE / MSE(random walk)`` on the price scale, in percent, one row per
    series and one marker per model, with a zero line "as good as the random walk".
    """
    step = check_int(step, "step", min_value=1)
    skill = {}
    for name, comparison in result.results.items():
        table = comparison.metrics.xs(step, level="step")
        skill[name] = table["skill"].drop(comparison.reference, errors="ignore")
    frame = pd.DataFrame(skill).T
    ax = _one_axes(ax, len(frame))
    rows = np.arange(len(frame), 0, -1)
    for model in frame.columns:
        ax.plot(100 * frame[model].to_numpy(float), rows, "o", label=str(model))
    ax.axvline(0.0, color="black", lw=0.8, ls="--", label="as good as the random walk")
    ax.set_yticks(rows, labels=[str(i) for i in frame.index])
    ax.set_xlabel("skill against the random walk (%): 1 - MSE / MSE(random walk)")
    ax.set_ylabel("series")
    ax.set_title(f"Skill against the random walk on each of {len(frame)} series "
                 "(right of zero: better)", fontsize="medium")
    plots.legend_outside(ax)
    return ax


def _one_axes(ax: Axes | None, n_rows: int) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(9.0, 1.5 + 0.35 * n_rows), layout="constrained")
    return ax
