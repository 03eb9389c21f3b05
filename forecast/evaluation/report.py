"""The Markdown of :func:`forecast.compare`'s results: one series' tables and the summary.

The Markdown tables are written here (no ``tabulate`` dependency).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from forecast._validation import label_text
from forecast.evaluation.scoring import ALPHA, LAG_TRAP_DISTANCE, LAG_TRAP_R2

__all__ = ["FIGURE_CAPTIONS", "figures_markdown", "fmt", "markdown_table", "series_markdown",
           "summary_markdown"]

#: the one-line caption of each figure file the command line writes
FIGURE_CAPTIONS = {
    "forecast.png": "One panel per model: the actual price (black), the model's forecast "
    "and, where it has one, its prediction interval (shaded), over the last targets.",
    "cumulative_loss.png": "Squared error of the random walk minus each model's, summed "
    "over origin dates: a rising line is a model beating the random walk, a falling one a "
    "model losing to it; the dashed zero line is 'as good as the random walk'.",
    "errors.png": "Forecast errors (actual - forecast), one row per model, the random walk "
    "on top: the box holds the middle half of the errors; a box off zero is a bias.",
    "training.png": "Training and validation loss per epoch of each RNN's final fit, on one "
    "scale. Validation loss can sit below training loss: the validation block is the last "
    "part of the training data, often a calmer period than the whole, and the training "
    "loss is averaged over each epoch while the weights still move.",
    "summary.png": "Each model's skill against the random walk (1 - MSE / MSE of the random "
    "walk) on each series; right of the dashed line is better than the random walk.",
}


def _pvalue(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def fmt(spec: str) -> Callable[[Any], str]:
    """A cell formatter: ``format(value, spec)``."""
    return lambda v: format(v, spec)


def _yes(v: Any) -> str:
    return "yes" if v else ""


#: (column, header, formatter) of the Markdown tables
_PRICE_COLUMNS = [
    ("mae", "MAE", fmt(".4g")),
    ("rmse", "RMSE", fmt(".4g")),
    ("mape", "MAPE %", fmt(".3f")),
    ("mase", "MASE", fmt(".3f")),
    ("theil_u2", "Theil U2", fmt(".4f")),
    ("r2", "R^2", fmt(".4f")),
    ("skill", "skill vs RW", fmt("+.2%")),
    ("dm_pvalue", "DM p vs RW", _pvalue),
    ("hit_rate", "direction hits", fmt(".1%")),
    ("hit_pvalue", "hits p", _pvalue),
    ("lag_corr", "lag corr", fmt("+.3f")),
    ("rw_distance", "RW distance", fmt(".3f")),
    ("lag_trap", "lag trap", _yes),
]
_RETURN_COLUMNS = [
    ("mae", "MAE", fmt(".5f")),
    ("rmse", "RMSE", fmt(".5f")),
    ("skill", "skill vs RW", fmt("+.2%")),
    ("corr", "corr(F, A)", fmt("+.3f")),
    ("dm_pvalue", "DM p vs RW", _pvalue),
    ("hit_rate", "direction hits", fmt(".1%")),
    ("hit_pvalue", "hits p", _pvalue),
]
_INTERVAL_COLUMNS = [
    ("coverage", "coverage", fmt(".1%")),
    ("width", "width", fmt(".4g")),
    ("return_width", "return width", fmt(".5f")),
    ("interval_score", "interval score", fmt(".4g")),
    ("kupiec_pvalue", "Kupiec p", _pvalue),
    ("christoffersen_pvalue", "Christoffersen p", _pvalue),
    ("crps", "CRPS", fmt(".4g")),
    ("coverage_flag", "coverage off", _yes),
]
_TEST_COLUMNS = [
    ("model", "model", str),
    ("versus", "versus", str),
    ("step", "step", str),
    ("scale", "scale", str),
    ("dm_stat", "DM stat", fmt("+.3f")),
    ("pvalue", "p", _pvalue),
    ("mse_ratio", "MSE ratio", fmt(".4f")),
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


_SUMMARY_MD = [
    ("model", "model", str),
    ("n_series", "series", str),
    ("median_skill", "median skill vs RW", fmt("+.2%")),
    ("median_return_skill", "median return skill", fmt("+.2%")),
    ("n_better", f"better (DM p < {ALPHA})", str),
    ("n_worse", f"worse (DM p < {ALPHA})", str),
]


def series_markdown(result: Any) -> str:
    """One series' comparison as Markdown: settings, price and return tables, DM tests, lag traps.

    Parameters
    ----------
    result : SeriesComparison
        Its ``settings``, ``reference``, tables and ``lag_traps`` are read (this module
        does not import the result types, which import it).

    Returns
    -------
    str
    """
    s = result.settings
    h = int(s.get("horizon", 1))
    lines = [
        "## Forecast comparison",
        "",
        f"{s.get('n_origins', '?')} forecast origins from {label_text(s.get('first_origin'))} "
        f"to {label_text(s.get('last_origin'))}, horizon {h}, step {s.get('step', 1)}, "
        f"{s.get('window', 'expanding')} window; refit every: "
        + ", ".join(f"{k}: {_refit(v)}" for k, v in s.get("refit_every", {}).items())
        + ".",
        f"Skill = 1 - MSE / MSE({result.reference}); DM = Diebold-Mariano test (squared "
        "loss, two-sided, Harvey-Leybourne-Newbold correction).",
        "",
        "### Price scale",
        "",
    ]
    flat, keys = _flat(result.metrics, h)
    lines += [markdown_table(flat, keys + _PRICE_COLUMNS), ""]
    if result.return_metrics is not None:
        flat, keys = _flat(result.return_metrics, h)
        lines += [
            "### Return scale: log(F / last) against log(A / last)",
            "",
            markdown_table(flat, keys + _RETURN_COLUMNS),
            "",
        ]
    if len(result.tests):
        lines += ["### Diebold-Mariano tests", "", markdown_table(result.tests, _TEST_COLUMNS),
                  ""]
    lines.append("### Lag trap")
    lines.append("")
    if result.lag_traps:
        lines.append(
            f"Flagged: {', '.join(result.lag_traps)}. Their price R^2 (>= {LAG_TRAP_R2}) looks "
            "good, but they do not beat the random walk, or their forecasts stay within "
            f"{LAG_TRAP_DISTANCE} typical moves of the last price: the R^2 comes from the "
            "last price, not from the model. Judge them on skill and on the return scale."
        )
    else:
        lines.append("No model is flagged.")
    if getattr(result, "intervals", None) is not None:
        lines += [""] + _interval_lines(result, h)
    return "\n".join(lines) + "\n"


def _interval_lines(result: Any, horizon: int) -> list[str]:
    """The interval table and the coverage flags of one series' comparison."""
    nominal = result.settings["coverage"]
    flat, keys = _flat(result.intervals, horizon)
    lines = [
        f"### Intervals: {nominal * 100:g}% nominal",
        "",
        "Coverage = share of actuals inside the closed interval; width = mean upper - lower "
        "(return width: mean log(upper / lower)); interval score = Winkler (smaller is "
        "better); Kupiec p tests the coverage, Christoffersen p the coverage and the "
        "independence of misses; CRPS of the Gaussian predictive the interval implies (AR "
        "and naive). A model without intervals shows -.",
        "",
        markdown_table(flat, keys + _INTERVAL_COLUMNS),
        "",
        "### Coverage",
        "",
    ]
    if result.coverage_flags:
        lines.append(
            f"Flagged: {', '.join(result.coverage_flags)}. Their coverage differs from the "
            f"nominal {nominal * 100:g}% (Kupiec p < {ALPHA}): their intervals do not mean "
            "what they say."
        )
    else:
        lines.append(f"No model is flagged (every Kupiec p >= {ALPHA}).")
    return lines


def summary_markdown(result: Any) -> str:
    """The summary table over many series, then each series' comparison, as Markdown.

    Parameters
    ----------
    result : CompareResult
        A many-series result: its ``summary``, ``results``, ``reference`` and ``settings``.

    Returns
    -------
    str
    """
    flat = result.summary.reset_index()
    columns = list(_SUMMARY_MD)
    if result.settings.get("horizon", 1) > 1:
        columns.insert(1, ("step", "step", str))
    if "n_coverage_flagged" in flat.columns:
        columns.append(("n_coverage_flagged", f"coverage off (Kupiec p < {ALPHA})", str))
    lines = [
        f"## Summary over {len(result.results)} series",
        "",
        f"Skill = 1 - MSE / MSE({result.reference}), median over series; better / worse "
        f"count the series where the Diebold-Mariano test against the random walk "
        f"(price scale) is significant at {ALPHA}.",
        "",
        markdown_table(flat, columns),
        "",
    ]
    for name, res in result.results.items():
        lines += [f"# {name}", "", series_markdown(res)]
    return "\n".join(lines)


def figures_markdown(files: Sequence[str]) -> str:
    """A ``## Figures`` section embedding each figure file with its one-line caption.

    Parameters
    ----------
    files : sequence of str
        Paths relative to the report (``forecast.png``, ``AAPL/errors.png``); the caption
        is that of the file name in :data:`FIGURE_CAPTIONS`, headed by the folder (the
        series) when there is one.

    Returns
    -------
    str
    """
    lines = ["## Figures", ""]
    for file in files:
        folder, _, name = file.rpartition("/")
        caption = FIGURE_CAPTIONS.get(name, name)
        lines += [f"![{name.removesuffix('.png')}]({file})", "",
                  f"*{folder + ': ' if folder else ''}{caption}*", ""]
    return "\n".join(lines)


def _refit(value: Any) -> str:
    return "never" if value is None else ("every origin" if value == 1 else f"{value} origins")
