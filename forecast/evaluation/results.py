"""What :func:`forecast.compare` returns: one :class:`CompareResult`, for one series or many.

A :class:`CompareResult` holds one :class:`SeriesComparison` per series (the tables of that
series) and the summary across series. Given one series, it reads as that series'
comparison: ``metrics``, ``backtests``, ``tests``, ``to_markdown()``, ``plot()`` are those of
the series. Figures come from :mod:`forecast.plots`; nothing here picks a matplotlib backend
or shows a window.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecast._validation import check_choice
from forecast.evaluation.figures import plot_comparison, plot_summary
from forecast.evaluation.report import series_markdown, summary_markdown

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CSV_FILES", "PLOT_KINDS", "CompareResult", "MultiCompareResult", "SeriesComparison"]

#: the files written by :meth:`SeriesComparison.to_csv` into a directory
CSV_FILES = {
    "backtests": "backtests.csv",
    "metrics": "metrics_price.csv",
    "return_metrics": "metrics_returns.csv",
    "tests": "dm_tests.csv",
    "intervals": "intervals.csv",
}

PLOT_KINDS = ("forecast", "loss", "errors", "training")


@dataclass
class SeriesComparison:
    """The comparison of forecasters on one series (what ``compare(...)[series]`` holds).

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
        The settings of the comparison (horizon, test_size, refit_every, origins, ...,
        and ``coverage`` when intervals were asked for).
    intervals : DataFrame or None
        With ``compare(..., coverage=)``: the interval scores and coverage tests indexed by
        (model, step), see :func:`~forecast.evaluation.intervals.score_intervals`; NaN for
        a model without intervals. None without ``coverage``.
    """

    backtests: pd.DataFrame
    metrics: pd.DataFrame
    return_metrics: pd.DataFrame | None
    tests: pd.DataFrame
    models: dict[str, Any] = field(repr=False)
    reference: str = "Random walk"
    settings: dict[str, Any] = field(default_factory=dict)
    intervals: pd.DataFrame | None = None

    def __repr__(self) -> str:
        s = self.settings
        return (
            f"SeriesComparison(models={list(self.models)}, origins={s.get('n_origins')}, "
            f"horizon={s.get('horizon')}, lag_traps={self.lag_traps})"
        )

    @property
    def lag_traps(self) -> list[str]:
        """Names of the models flagged as lag traps (at any step)."""
        flagged = self.metrics[self.metrics["lag_trap"]]
        return list(dict.fromkeys(flagged.index.get_level_values("model")))

    @property
    def coverage_flags(self) -> list[str]:
        """Names of the models whose coverage differs from nominal (Kupiec p < 0.05, at any
        step); empty without ``coverage``."""
        if self.intervals is None:
            return []
        flagged = self.intervals[self.intervals["coverage_flag"]]
        return list(dict.fromkeys(flagged.index.get_level_values("model")))

    def to_markdown(self) -> str:
        """The comparison as Markdown: settings, price and return tables, DM tests, lag traps
        (and with ``coverage`` the interval table and its flags).

        Returns
        -------
        str
        """
        return series_markdown(self)

    def to_csv(self, path: str | os.PathLike) -> list[Path]:
        """Write the tables as CSV.

        Parameters
        ----------
        path : str or path-like
            A file ending in ``.csv``: the price-scale metrics table is written there.
            Anything else is a directory (created if needed) that receives
            ``backtests.csv``, ``metrics_price.csv``, ``metrics_returns.csv`` (if any),
            ``dm_tests.csv`` and ``intervals.csv`` (with ``coverage``).

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
            table.to_csv(target, index=attr in ("metrics", "return_metrics", "intervals"))
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
            ``"forecast"``: actuals and forecasts (with intervals when present), one panel
            per model; ``"loss"``: the cumulative squared-error difference of each model
            against the random walk, by origin date; ``"errors"``: the error
            distributions, one row per model, the random walk first; ``"training"``: the
            loss curves (``history_``) of the models that have one, one panel per model.
            See :mod:`forecast.evaluation.figures`.
        ax : matplotlib Axes, optional
            Where to draw; a new figure is made when None. Given an Axes, "forecast" and
            "training" draw every model on it rather than one panel per model.
        step : int, default 1
            Which forecast step to show.
        models : sequence of str, optional
            Which models (default all; the random walk is the benchmark of ``"loss"``).
        last : int, optional
            Show only the last ``last`` targets (``"forecast"``, ``"loss"``).

        Returns
        -------
        matplotlib Axes
            The Axes drawn on; for panels, the first (``ax.figure.axes`` holds them all).
        """
        check_choice(kind, "kind", PLOT_KINDS)
        return plot_comparison(self, kind, ax=ax, step=step, models=models, last=last)


@dataclass
class CompareResult:
    """The outcome of :func:`forecast.compare`, on one series or on many.

    Given one series (``one_series=True``), every attribute and method of its
    :class:`SeriesComparison` is the result's own: ``backtests``, ``metrics``,
    ``return_metrics``, ``tests``, ``intervals``, ``models``, ``lag_traps``,
    ``coverage_flags``, ``settings``,
    ``to_markdown()``, ``to_csv()`` and ``plot()``. Given many series, ``to_markdown()``
    and ``to_csv()`` give the summary and then each series, ``metrics`` stacks the series'
    price tables, and the other tables are read per series: ``result["AAPL"].backtests``.

    Attributes
    ----------
    results : dict of str to SeriesComparison
        Each series' comparison, in the order of the input.
    summary : DataFrame
        The cross-series summary indexed by (model, step), see
        :func:`forecast.evaluation.scoring.summarize`.
    reference : str
        The random walk's name.
    shared_settings : dict
        The settings shared by the series' comparisons (horizon, test_size, n_jobs, ...).
    one_series : bool
        Whether :func:`forecast.compare` was given one series (not a dict or a DataFrame).
    """

    results: dict[str, SeriesComparison] = field(repr=False)
    summary: pd.DataFrame
    reference: str = "Random walk"
    shared_settings: dict[str, Any] = field(default_factory=dict)
    one_series: bool = False

    def __repr__(self) -> str:
        if self.one_series:
            return "CompareResult" + repr(self._only).removeprefix("SeriesComparison")
        return (
            f"CompareResult(series={list(self.results)}, "
            f"models={list(dict.fromkeys(self.summary.index.get_level_values('model')))})"
        )

    def __getitem__(self, name: str) -> SeriesComparison:
        return self.results[name]

    @property
    def _only(self) -> SeriesComparison:
        """The comparison of the one series, or an AttributeError naming the way to one."""
        if not self.one_series:
            names = list(self.results)
            raise AttributeError(
                f"this comparison holds {len(names)} series {names}: read one series' tables "
                f"from result[name], e.g. result[{names[0]!r}].backtests"
            )
        return next(iter(self.results.values()))

    @property
    def settings(self) -> dict[str, Any]:
        """The settings: the series' (origins included) for one series, else the shared ones."""
        return self._only.settings if self.one_series else self.shared_settings

    @property
    def metrics(self) -> pd.DataFrame:
        """Price-scale metrics by (model, step); by (series, model, step) for many series."""
        if self.one_series:
            return self._only.metrics
        return pd.concat({k: r.metrics for k, r in self.results.items()}, names=["series"])

    @property
    def backtests(self) -> pd.DataFrame:
        """The stacked backtests of the one series (see :class:`SeriesComparison`)."""
        return self._only.backtests

    @property
    def return_metrics(self) -> pd.DataFrame | None:
        """The return-scale metrics of the one series (see :class:`SeriesComparison`)."""
        return self._only.return_metrics

    @property
    def tests(self) -> pd.DataFrame:
        """The Diebold-Mariano tests of the one series (see :class:`SeriesComparison`)."""
        return self._only.tests

    @property
    def models(self) -> dict[str, Any]:
        """The fitted models of the one series (see :class:`SeriesComparison`)."""
        return self._only.models

    @property
    def lag_traps(self) -> list[str]:
        """The models flagged as lag traps on the one series."""
        return self._only.lag_traps

    @property
    def intervals(self) -> pd.DataFrame | None:
        """The interval scores of the one series (see :class:`SeriesComparison`)."""
        return self._only.intervals

    @property
    def coverage_flags(self) -> list[str]:
        """The models whose coverage differs from nominal on the one series."""
        return self._only.coverage_flags

    def plot(self, kind: str = "forecast", **options: Any) -> Axes:
        """One figure of the one series' comparison: :meth:`SeriesComparison.plot` with the
        same ``kind`` and keyword options (``ax``, ``step``, ``models``, ``last``).

        Many series: ``kind="summary"`` draws each model's skill
        against the random walk on each series (options ``ax``, ``step``); the figures of
        one series are ``result[name].plot(...)``.
        """
        if kind == "summary":
            if self.one_series:
                raise ValueError("kind='summary' is for a comparison of many series")
            return plot_summary(self, **options)
        return self._only.plot(kind, **options)

    def to_markdown(self) -> str:
        """The comparison as Markdown (for many series: the summary, then each series).

        Returns
        -------
        str
        """
        return self._only.to_markdown() if self.one_series else summary_markdown(self)

    def to_csv(self, path: str | os.PathLike) -> list[Path]:
        """Write the tables as CSV.

        Parameters
        ----------
        path : str or path-like
            One series: see :meth:`SeriesComparison.to_csv`. Many series: a directory
            (created if needed) that receives ``summary.csv`` and each series' tables in
            ``path/<series>/``.

        Returns
        -------
        list of Path
            The files written.
        """
        if self.one_series:
            return self._only.to_csv(path)
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.summary.to_csv(path / "summary.csv")
        written = [path / "summary.csv"]
        for name, res in self.results.items():
            written += res.to_csv(path / safe_name(name))
        return written


#: the name this type had for many series; the same type now
MultiCompareResult = CompareResult


def safe_name(name: str) -> str:
    """A file-system-safe folder name for a series (``^GSPC`` -> ``_GSPC``)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(name)) or "series"
