"""What a many-series :func:`forecast.compare` returns: per-series results and a summary.

The summary condenses the per-series tables: for each model (and forecast step), the median
skill against the random walk and how many series it beats, or loses to, significantly
under the Diebold-Mariano test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast._result import CompareResult, _fmt, markdown_table
from forecast._scorecard import ALPHA

__all__ = ["MultiCompareResult", "summarize"]

SUMMARY_COLUMNS = [
    "n_series", "median_skill", "median_return_skill", "n_better", "n_worse",
]


def summarize(results: dict[str, CompareResult], reference: str) -> pd.DataFrame:
    """The cross-series summary of per-series comparisons.

    For each model other than the reference and each step, over the series:

    * ``median_skill``: median of the price-scale skill ``1 - MSE / MSE(random walk)``;
    * ``median_return_skill``: the same on the return scale (NaN when no series has one);
    * ``n_better`` / ``n_worse``: series where the price-scale Diebold-Mariano test against
      the random walk is significant at ``ALPHA`` (5 %) with the model's MSE lower / higher;
    * ``n_series``: series compared.

    Parameters
    ----------
    results : dict of str to CompareResult
        The per-series comparisons (same models).
    reference : str
        The random walk's name.

    Returns
    -------
    DataFrame
        Indexed by (model, step), columns ``SUMMARY_COLUMNS``.

    Examples
    --------
    >>> summarize({}, "Random walk").columns.tolist()
    ['n_series', 'median_skill', 'median_return_skill', 'n_better', 'n_worse']
    """
    rows: dict[tuple[str, int], dict[str, list]] = {}
    for res in results.values():
        tests = res.tests
        price_tests = tests[(tests["versus"] == reference) & (tests["scale"] == "price")]
        for (model, step), row in res.metrics.iterrows():
            if model == reference:
                continue
            acc = rows.setdefault((model, step), {"skill": [], "rskill": [], "sig": []})
            acc["skill"].append(row["skill"])
            if res.return_metrics is not None:
                acc["rskill"].append(res.return_metrics.loc[(model, step), "skill"])
            dm = price_tests[(price_tests["model"] == model) & (price_tests["step"] == step)]
            if len(dm) and bool(dm["significant"].iloc[0]):
                acc["sig"].append(1 if dm["better"].iloc[0] == model else -1)
    records = {
        key: {
            "n_series": len(acc["skill"]),
            "median_skill": float(np.median(acc["skill"])),
            "median_return_skill": float(np.median(acc["rskill"])) if acc["rskill"] else np.nan,
            "n_better": acc["sig"].count(1),
            "n_worse": acc["sig"].count(-1),
        }
        for key, acc in rows.items()
    }
    table = pd.DataFrame.from_dict(records, orient="index", columns=SUMMARY_COLUMNS)
    table.index = pd.MultiIndex.from_tuples(list(records), names=["model", "step"])
    return table


_SUMMARY_MD = [
    ("model", "model", str),
    ("n_series", "series", str),
    ("median_skill", "median skill vs RW", _fmt("+.2%")),
    ("median_return_skill", "median return skill", _fmt("+.2%")),
    ("n_better", f"better (DM p < {ALPHA})", str),
    ("n_worse", f"worse (DM p < {ALPHA})", str),
]


@dataclass
class MultiCompareResult:
    """The outcome of :func:`forecast.compare` on many series.

    Attributes
    ----------
    results : dict of str to CompareResult
        Each series' comparison, in the order of the input.
    summary : DataFrame
        The cross-series summary indexed by (model, step), see :func:`summarize`.
    reference : str
        The random walk's name.
    settings : dict
        The settings shared by the comparisons (horizon, test_size, n_jobs, ...).
    """

    results: dict[str, CompareResult] = field(repr=False)
    summary: pd.DataFrame
    reference: str = "Random walk"
    settings: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"MultiCompareResult(series={list(self.results)}, "
            f"models={list(dict.fromkeys(self.summary.index.get_level_values('model')))})"
        )

    def __getitem__(self, name: str) -> CompareResult:
        return self.results[name]

    def metrics(self) -> pd.DataFrame:
        """All series' price-scale metrics stacked, indexed by (series, model, step)."""
        return pd.concat({k: r.metrics for k, r in self.results.items()}, names=["series"])

    def to_markdown(self) -> str:
        """The summary table, then each series' comparison, as Markdown.

        Returns
        -------
        str
        """
        flat = self.summary.reset_index()
        columns = list(_SUMMARY_MD)
        if self.settings.get("horizon", 1) > 1:
            columns.insert(1, ("step", "step", str))
        lines = [
            f"## Summary over {len(self.results)} series",
            "",
            f"Skill = 1 - MSE / MSE({self.reference}), median over series; better / worse "
            f"count the series where the Diebold-Mariano test against the random walk "
            f"(price scale) is significant at {ALPHA}.",
            "",
            markdown_table(flat, columns),
            "",
        ]
        for name, res in self.results.items():
            lines += [f"# {name}", "", res.to_markdown()]
        return "\n".join(lines)

    def to_csv(self, path: str | os.PathLike) -> list[Path]:
        """Write ``summary.csv`` and each series' tables into ``path/<series>/``.

        Parameters
        ----------
        path : str or path-like
            A directory (created if needed).

        Returns
        -------
        list of Path
            The files written.
        """
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.summary.to_csv(path / "summary.csv")
        written = [path / "summary.csv"]
        for name, res in self.results.items():
            written += res.to_csv(path / _safe(name))
        return written


def _safe(name: str) -> str:
    """A file-system-safe folder name for a series (``^GSPC`` -> ``_GSPC``)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(name)) or "series"
