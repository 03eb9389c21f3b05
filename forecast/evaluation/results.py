"""What :func:`forecast.compare` returns: the tables, and their Markdown, CSV and figures.

The Markdown tables are written here (no ``tabulate`` dependency). Figures come from
:mod:`forecast.plots`; nothing here picks a matplotlib backend or shows a window.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast import plots
from forecast._scorecard import ALPHA, LAG_TRAP_DISTANCE, LAG_TRAP_R2
from forecast._validation import check_choice, check_int

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: the files written by :meth:`CompareResult.to_csv` into a directory
CSV_FILES = {
    "backtests": "backtests.csv",
    "metrics": "metrics_price.csv",
    "return_metrics": "metrics_returns.csv",
    "tests": "dm_tests.csv",
}

PLOT_KINDS = ("forecast", "loss", "errors", "training")


def _pvalue(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _fmt(spec: str) -> Callable[[Any], str]:
    return lambda v: format(v, spec)


def _yes(v: Any) -> str:
    return "yes" if v else ""


#: (column, header, formatter) of the Markdown tables
_PRICE_COLUMNS = [
    ("mae", "MAE", _fmt(".4g")),
    ("rmse", "RMSE", _fmt(".4g")),
    ("mape", "MAPE %", _fmt(".3f")),
    ("mase", "MASE", _fmt(".3f")),
    ("theil_u2", "Theil U2", _fmt(".4f")),
    ("r2", "R^2", _fmt(".4f")),
    ("skill", "skill vs RW", _fmt("+.2%")),
    ("dm_pvalue", "DM p vs RW", _pvalue),
    ("hit_rate", "direction hits", _fmt(".1%")),
    ("hit_pvalue", "hits p", _pvalue),
    ("lag_corr", "lag corr", _fmt("+.3f")),
    ("rw_distance", "RW distance", _fmt(".3f")),
    ("lag_trap", "lag trap", _yes),
]
_RETURN_COLUMNS = [
    ("mae", "MAE", _fmt(".5f")),
    ("rmse", "RMSE", _fmt(".5f")),
    ("skill", "skill vs RW", _fmt("+.2%")),
    ("corr", "corr(F, A)", _fmt("+.3f")),
    ("dm_pvalue", "DM p vs RW", _pvalue),
    ("hit_rate", "direction hits", _fmt(".1%")),
    ("hit_pvalue", "hits p", _pvalue),
]
_TEST_COLUMNS = [
    ("model", "model", str),
    ("versus", "versus", str),
    ("step", "step", str),
    ("scale", "scale", str),
    ("dm_stat", "DM stat", _fmt("+.3f")),
    ("pvalue", "p", _pvalue),
    ("mse_ratio", "MSE ratio", _fmt(".4f")),
    ("better", "lower MSE", str),
    ("significant", f"p < {ALPHA}", _yes),
]


def markdown_table(
    frame: pd.DataFrame, columns: Sequence[tuple[str, str, Callable[[Any], str]]]
) -> str:
    """Render ``frame`` as a GitHub Markdown table.

    ``columns`` lists ``(column, header, formatter)``; text columns are left-aligned and
    numbers right-aligned, and missing numbers (NaN) are shown as ``-``.
    """
    header = [h for _, h, _ in columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and frame[c].dtype != bool for c, _, _ in
               columns]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" if num else ":---" for num in numeric) + "|",
    ]
    for _, row in frame.iterrows():
        cells = []
        for col, _, formatter in columns:
            value = row[col]
            missing = isinstance(value, float) and math.isnan(value)
            cells.append("-" if missing else formatter(value).replace("|", "\\|"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _flat(table: pd.DataFrame, horizon: int) -> tuple[pd.DataFrame, list]:
    """Move (model, step) into columns; the step column only when there are several steps."""
    flat = table.reset_index()
    keys = [("model", "model", str)]
    if horizon > 1:
        keys.append(("step", "step", str))
    return flat, keys


@dataclass
class CompareResult:
    """The outcome of :func:`forecast.compare`.

    Attributes
    ----------
    backtests : DataFrame
        Every model's backtest, stacked: ``origin, target, step, forecast, actual, last,
        model`` (plus ``lower, upper`` with intervals); ``last`` is the value at the origin.
    metrics : DataFrame
        Price-scale metrics indexed by (model, step).
    return_metrics : DataFrame or None
        Return-scale metrics indexed by (model, step); None for a series with values <= 0.
    tests : DataFrame
        Pairwise Diebold-Mariano tests: model, versus, step, scale, dm_stat, pvalue,
        mse_ratio, better, significant.
    models : dict
        Each forecaster as it stands after the last origin (fitted).
    reference : str
        The name of the random walk.
    settings : dict
        The settings of the comparison (horizon, test_size, refit_every, origins, ...).
    """

    backtests: pd.DataFrame
    metrics: pd.DataFrame
    return_metrics: pd.DataFrame | None
    tests: pd.DataFrame
    models: dict[str, Any] = field(repr=False)
    reference: str = "Random walk"
    settings: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        s = self.settings
        return (
            f"CompareResult(models={list(self.models)}, origins={s.get('n_origins')}, "
            f"horizon={s.get('horizon')}, lag_traps={self.lag_traps})"
        )

    @property
    def lag_traps(self) -> list[str]:
        """Names of the models flagged as lag traps (at any step)."""
        flagged = self.metrics[self.metrics["lag_trap"]]
        return list(dict.fromkeys(flagged.index.get_level_values("model")))

    def to_markdown(self) -> str:
        """The comparison as Markdown: settings, price and return tables, DM tests, lag traps.

        Returns
        -------
        str
        """
        s = self.settings
        h = int(s.get("horizon", 1))
        lines = [
            "## Forecast comparison",
            "",
            f"{s.get('n_origins', '?')} forecast origins from {_date(s.get('first_origin'))} "
            f"to {_date(s.get('last_origin'))}, horizon {h}, step {s.get('step', 1)}, "
            f"{s.get('window', 'expanding')} window; refit every: "
            + ", ".join(f"{k}: {_refit(v)}" for k, v in s.get("refit_every", {}).items())
            + ".",
            f"Skill = 1 - MSE / MSE({self.reference}); DM = Diebold-Mariano test (squared "
            "loss, two-sided, Harvey-Leybourne-Newbold correction).",
            "",
            "### Price scale",
            "",
        ]
        flat, keys = _flat(self.metrics, h)
        lines += [markdown_table(flat, keys + _PRICE_COLUMNS), ""]
        if self.return_metrics is not None:
            flat, keys = _flat(self.return_metrics, h)
            lines += [
                "### Return scale: log(F / last) against log(A / last)",
                "",
                markdown_table(flat, keys + _RETURN_COLUMNS),
                "",
            ]
        if len(self.tests):
            lines += ["### Diebold-Mariano tests", "", markdown_table(self.tests, _TEST_COLUMNS),
                      ""]
        lines.append("### Lag trap")
        lines.append("")
        if self.lag_traps:
            lines.append(
                f"Flagged: {', '.join(self.lag_traps)}. Their price R^2 (>= {LAG_TRAP_R2}) looks "
                "good, but they do not beat the random walk, or their forecasts stay within "
                f"{LAG_TRAP_DISTANCE} typical moves of the last price: the R^2 comes from the "
                "last price, not from the model. Judge them on skill and on the return scale."
            )
        else:
            lines.append("No model is flagged.")
        return "\n".join(lines) + "\n"

    def to_csv(self, path: str | os.PathLike) -> list[Path]:
        """Write the tables as CSV.

        Parameters
        ----------
        path : str or path-like
            A file ending in ``.csv``: the price-scale metrics table is written there.
            Anything else is a directory (created if needed) that receives
            ``backtests.csv``, ``metrics_price.csv``, ``metrics_returns.csv`` (if any) and
            ``dm_tests.csv``.

        Returns
        -------
        list of Path
            The files written.
        """
        path = Path(path)
        if path.suffix.lower() == ".csv":
            path.parent.mkdir(parents=True, exist_ok=True)
            self.metrics.to_csv(path)
            return [path]
        path.mkdir(parents=True, exist_ok=True)
        written = []
        for attr, filename in CSV_FILES.items():
            table = getattr(self, attr)
            if table is None:
                continue
            target = path / filename
            table.to_csv(target, index=attr in ("metrics", "return_metrics"))
            written.append(target)
        return written

    def plot(
        self,
        kind: str = "forecast",
        *,
        ax: Axes | None = None,
        step: int = 1,
        models: Sequence[str] | None = None,
        last: int | None = None,
    ) -> Axes:
        """Draw one figure of the comparison with :mod:`forecast.plots`.

        Parameters
        ----------
        kind : {"forecast", "loss", "errors", "training"}, default "forecast"
            ``"forecast"``: actuals and forecasts (with intervals when present);
            ``"loss"``: the cumulative squared-error difference of each model against the
            random walk; ``"errors"``: the error distributions; ``"training"``: the loss
            curves (``history_``) of the models that have one.
        ax : matplotlib Axes, optional
            Where to draw; a new figure is made when None.
        step : int, default 1
            Which forecast step to show.
        models : sequence of str, optional
            Which models (default all; the random walk is the benchmark of ``"loss"``).
        last : int, optional
            Show only the last ``last`` targets (``"forecast"``, ``"loss"``).

        Returns
        -------
        matplotlib Axes
        """
        check_choice(kind, "kind", PLOT_KINDS)
        names = list(self.models) if models is None else list(models)
        unknown = [m for m in names if m not in self.models]
        if unknown:
            raise ValueError(f"unknown model(s) {unknown}; the models are {list(self.models)}")
        if kind == "training":
            return self._plot_training(names, ax)
        step = check_int(step, "step", min_value=1)
        horizon = int(self.settings.get("horizon", 1))
        if step > horizon:
            raise ValueError(f"step={step} is beyond the horizon of the comparison ({horizon})")
        bt = self.backtests[self.backtests["step"] == step]
        if last is not None:
            last = check_int(last, "last", min_value=1)
            keep = bt["target"].drop_duplicates().iloc[-last:]
            bt = bt[bt["target"].isin(keep)]
        series = {m: g.set_index("target") for m, g in bt.groupby("model", sort=False)}
        actual = series[self.reference]["actual"].rename("actual")
        forecasts = {m: series[m]["forecast"].rename(m) for m in names}
        if kind == "forecast":
            intervals = None
            if "lower" in bt.columns:
                intervals = {m: series[m][["lower", "upper"]] for m in names}
            return plots.plot_forecast(actual, forecasts, intervals=intervals, ax=ax)
        if kind == "loss":
            others = {m: f for m, f in forecasts.items() if m != self.reference}
            if not others:
                raise ValueError("kind='loss' needs a model other than the random walk")
            benchmark = series[self.reference]["forecast"]
            return plots.plot_cumulative_loss_difference(actual, others, benchmark, ax=ax)
        errors = {m: (actual - f).to_numpy() for m, f in forecasts.items()}
        return plots.plot_error_distribution(errors, ax=ax)

    def _plot_training(self, names: list[str], ax: Axes | None) -> Axes:
        curves = {}
        for name in names:
            history = getattr(self.models[name], "history_", None)
            if not history:
                continue
            for key, values in dict(history).items():
                if "loss" in str(key) and len(np.atleast_1d(values)):
                    curves[f"{name}: {key}"] = values
        if not curves:
            raise ValueError(
                f"none of the models {names} has a training history (a history_ with losses)"
            )
        return plots.plot_training_curves(curves, ax=ax, log=True)


def _date(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else str(value)
    return str(value)


def _refit(value: Any) -> str:
    return "never" if value is None else ("every origin" if value == 1 else f"{value} origins")
