r"""Score up/down probability forecasts honestly: every model against the base rate.

:func:`compare_direction_series` backtests forecasters of P(up) (such as
:class:`~forecast.models.direction.DirectionForecaster`) on the same origins, one step
ahead, and scores them with :func:`score_direction` against the **base rate**, the
direction analogue of the random walk: at the origin whose first target is position ``q``
it forecasts the share of "up" returns among all returns observed so far,

.. math:: b_q = \frac{1}{q - 1}\sum_{j=1}^{q-1} 1\{\log(y_j / y_{j-1}) > \theta\} ,

which uses the past only. With the outcome :math:`o = 1\{\log(A / L) > \theta\}` (``A`` the
actual, ``L`` the value at the origin, :math:`\theta` the threshold) and ``p`` a model's
P(up), per model:

* ``brier`` = mean((p - o)^2), ``brier_skill`` = 1 - brier / brier(base rate) (above 0 beats
  the base rate), ``log_loss`` (clipped as in :func:`forecast.metrics.log_loss`);
* ``dm_stat``, ``dm_pvalue``: the Diebold-Mariano test (two-sided, HLN-corrected) of the
  Brier losses against the base rate's, i.e. of the "errors" ``p - o`` under squared loss;
* ``hit_rate``: the share of calls (up when p > 0.5) that were right, and ``hit_pvalue``,
  the two-sided exact binomial test (:func:`scipy.stats.binomtest`) against ``hit_p0``, the
  hit rate of always calling the direction that was more frequent before the first origin
  (:math:`\max(b, 1 - b)`): a coin flip (0.5) would credit "always up" with skill in a
  rising market.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from forecast import metrics
from forecast._validation import check_float, check_int, check_positive, label_text
from forecast.evaluation.compare import backtest_model, check_target, refit_schedule
from forecast.evaluation.report import fmt, markdown_table
from forecast.evaluation.schedule import WalkForward
from forecast.models.direction import forecasts_direction

if TYPE_CHECKING:
    from matplotlib.axes import Axes

logger = logging.getLogger(__name__)

__all__ = [
    "CSV_FILES", "DirectionComparison", "REFERENCE", "base_rate_frame", "check_direction_models",
    "compare_direction_series", "score_direction",
]

#: the name of the base rate, the reference of every direction comparison
REFERENCE = "Base rate"
#: the files written by :meth:`DirectionComparison.to_csv` into a directory
CSV_FILES = {"backtests": "direction_backtests.csv", "metrics": "direction_metrics.csv"}
#: the columns of :attr:`DirectionComparison.metrics`
METRIC_COLUMNS = ["n", "brier", "brier_skill", "log_loss", "dm_stat", "dm_pvalue", "hit_rate",
                  "hits", "hit_p0", "hit_pvalue", "mean_prob"]


def _pvalue(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


_MARKDOWN = [
    ("model", "model", str),
    ("brier", "Brier", fmt(".5f")),
    ("brier_skill", "Brier skill vs base rate", fmt("+.2%")),
    ("dm_pvalue", "DM p vs base rate", _pvalue),
    ("log_loss", "log loss", fmt(".5f")),
    ("hit_rate", "hit rate", fmt(".1%")),
    ("hit_pvalue", "hit p", _pvalue),
    ("mean_prob", "mean P(up)", fmt(".3f")),
]


@dataclass
class DirectionComparison:
    """What :func:`forecast.compare_direction` returns: the scored up/down backtests.

    Attributes
    ----------
    backtests : DataFrame
        Every model's one-step backtest, stacked (the base rate first): ``origin, target,
        step, forecast, actual, model, prob_up, last, up``; ``forecast`` is the call (1.0
        up, 0.0 not), ``last`` the value at the origin, ``up`` the outcome (0/1).
    metrics : DataFrame
        Indexed by model, columns :data:`METRIC_COLUMNS` (see the module docstring); NaN
        in the base rate's own test cells.
    models : dict
        Each forecaster as it stands after the last origin (fitted); None for the base rate.
    reference : str
        The name of the base rate.
    settings : dict
        test_size, threshold, refit_every, window, n_origins, first and last origin.
    """

    backtests: pd.DataFrame
    metrics: pd.DataFrame
    models: dict[str, Any] = field(repr=False)
    reference: str = REFERENCE
    settings: dict[str, Any] = field(default_factory=dict)

    def to_markdown(self) -> str:
        """The comparison as Markdown: the settings and the metrics table."""
        s = self.settings
        refits = ", ".join(f"{k}: {'never' if v is None else v}"
                           for k, v in s.get("refit_every", {}).items())
        lines = [
            "## Up/down forecasts against the base rate",
            "",
            f"{s['n_origins']} one-day-ahead forecasts of P(log return > {s['threshold']:g}) "
            f"from {label_text(s['first_origin'])} to {label_text(s['last_origin'])}, "
            f"{s['window']} window; refit every (origins): {refits}.",
            f"Base rate = share of up days before each origin. Brier skill = 1 - Brier / "
            f"Brier({self.reference}); DM = Diebold-Mariano test of the Brier losses "
            "against the base rate (two-sided, HLN); hit p = exact binomial test of the hit "
            f"rate against {s['hit_p0']:.1%}, the hit rate of always calling the direction "
            "more frequent before the first origin.",
            "",
            markdown_table(self.metrics.reset_index(), _MARKDOWN),
        ]
        return "\n".join(lines) + "\n"

    def to_csv(self, path: str | os.PathLike) -> list[Path]:
        """Write ``direction_backtests.csv`` and ``direction_metrics.csv`` into the folder
        ``path`` (created if needed); return the files written."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for attr, filename in CSV_FILES.items():
            getattr(self, attr).to_csv(folder / filename, index=attr == "metrics")
            written.append(folder / filename)
        return written

    def plot(self, *, ax: Axes | None = None, n_bins: int = 10,
             strategy: str = "quantile") -> Axes:
        """The reliability diagram of every model (:func:`forecast.plots.plot_reliability`),
        the base rate included; ``strategy="quantile"`` bins hold equal counts."""
        from forecast.direction_plots import plot_reliability

        bt = self.backtests
        outcome = bt.loc[bt["model"] == self.reference, "up"].to_numpy()
        probs = {m: g["prob_up"].to_numpy() for m, g in bt.groupby("model", sort=False)}
        return plot_reliability(outcome, probs, n_bins=n_bins, strategy=strategy, ax=ax)


def check_direction_models(models: Any, threshold: float) -> dict[str, Any]:
    """Names -> forecasters of P(up), each with ``threshold`` (if it has one) equal to this one."""
    if not isinstance(models, Mapping) or not models:
        raise TypeError(
            "models must be a non-empty mapping of names to forecasters of P(up), e.g. "
            "{'Logistic AR(5)': DirectionForecaster(LogisticRegression(), window=5)}, got "
            f"{models!r} of type {type(models).__name__}"
        )
    for name, model in models.items():
        if not isinstance(name, str) or not name or name == REFERENCE:
            raise TypeError(f"model names must be non-empty strings other than {REFERENCE!r} "
                            f"(always included), got {name!r}")
        if not forecasts_direction(model):
            raise TypeError(
                f"models[{name!r}] must forecast P(up) (family 'direction' with "
                f"predict_proba(horizon)), got {model!r}; wrap a classifier: "
                "DirectionForecaster(LogisticRegression(), window=5). Price forecasters "
                "go to forecast.compare"
            )
        own = getattr(model, "threshold", threshold)
        if own != threshold:
            raise ValueError(
                f"models[{name!r}] has threshold={own!r} but the comparison scores "
                f"threshold={threshold!r}; give every model the comparison's threshold"
            )
    return dict(models)


def base_rate_frame(y: pd.Series, targets: np.ndarray, threshold: float) -> pd.DataFrame:
    """The base rate's backtest: at each origin, the share of up returns seen so far.

    ``targets`` are the positions ``q`` of the targets (``q >= 2``): the forecast for ``q``
    is ``mean(log(y_j / y_{j-1}) > threshold for j = 1..q-1)``.
    """
    values = y.to_numpy()
    up = np.diff(np.log(values)) > threshold  # up[j - 1]: the return into position j
    seen_up = np.cumsum(up)  # seen_up[q - 2]: ups among the returns into 1..q-1
    prob = seen_up[targets - 2] / (targets - 1)
    return pd.DataFrame({
        "origin": y.index[targets - 1], "target": y.index[targets], "step": 1,
        "forecast": (prob > 0.5).astype(np.float64), "actual": values[targets],
        "model": REFERENCE, "prob_up": prob,
    })


def score_direction(bt: pd.DataFrame, reference: str, hit_p0: float) -> pd.DataFrame:
    """The metrics of each model of the backtest frame ``bt`` (with ``up``) against
    ``reference`` (see the module docstring); ``hit_p0`` is the null of the hit test."""
    groups = dict(tuple(bt.groupby("model", sort=False)))
    o_ref = groups[reference]["up"].to_numpy()
    p_ref = groups[reference]["prob_up"].to_numpy()
    brier_ref = metrics.brier(o_ref, p_ref)
    rows = {}
    for name, g in groups.items():
        o, p = g["up"].to_numpy(), g["prob_up"].to_numpy()
        brier = metrics.brier(o, p)
        hits = int(np.sum((p > 0.5) == (o == 1)))
        dm_stat = dm_p = np.nan
        if name != reference:
            try:  # the Brier loss is the squared "error" p - o
                dm = metrics.diebold_mariano(p - o, p_ref - o, h=1)
                dm_stat, dm_p = dm.statistic, dm.pvalue
            except ValueError as err:
                logger.warning("DM of %s against the base rate is undefined, NaN: %s", name, err)
        rows[name] = {
            "n": len(o), "brier": brier,
            "brier_skill": 1.0 - brier / brier_ref if brier_ref > 0 else np.nan,
            "log_loss": metrics.log_loss(o, p), "dm_stat": dm_stat, "dm_pvalue": dm_p,
            "hit_rate": hits / len(o), "hits": hits, "hit_p0": hit_p0,
            "hit_pvalue": float(stats.binomtest(hits, len(o), hit_p0).pvalue),
            "mean_prob": float(np.mean(p)),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")[METRIC_COLUMNS]
    table.index.name = "model"
    return table


def compare_direction_series(
    models: Mapping[str, Any],
    y: Any,
    schedule: WalkForward,
    *,
    test_size: int,
    threshold: float = 0.0,
    refit_every: int | None | Mapping[str, int | None] = None,
    progress: bool = False,
) -> DirectionComparison:
    """Backtest forecasters of P(up) on the last ``test_size`` prices of ``y``; score them.

    Parameters
    ----------
    models : mapping of str to forecaster of P(up)
        See :func:`check_direction_models`; the base rate is added first.
    y : pandas.Series or 1-D array-like
        Positive prices, oldest first.
    schedule : WalkForward
        Window, train_size and warm_start (horizon 1; ``start`` and ``refit_every`` are
        replaced, as in :func:`~forecast.evaluation.compare.compare_series`).
    test_size, threshold, refit_every, progress
        As in :func:`forecast.compare_direction`.

    Returns
    -------
    DirectionComparison
    """
    threshold = check_float(threshold, "threshold")
    test_size = check_int(test_size, "test_size", min_value=1)
    models = check_direction_models(models, threshold)
    if schedule.horizon != 1:
        raise ValueError(f"up/down forecasts are one step ahead: horizon must be 1, got "
                         f"{schedule.horizon}")
    series, start = check_target(y, "y", schedule, test_size=test_size)
    check_positive(series.to_numpy(), series.index, "y")
    refit = refit_schedule(refit_every, list(models))
    targets = schedule.replace(start=start).plan(series.index).targets
    frames, fitted = [base_rate_frame(series, targets, threshold)], {}
    for name, model in models.items():
        frame, fitted[name] = backtest_model(
            name, model, series, schedule.replace(start=start, refit_every=refit[name]),
            progress=progress)
        frames.append(frame)
    bt = pd.concat(frames, ignore_index=True)
    values = series.to_numpy()
    target_pos = series.index.get_indexer(pd.Index(bt["target"]))
    bt["last"] = values[target_pos - 1]
    # the outcome: the log return into the target, as the models' labels define it
    bt["up"] = (np.diff(np.log(values))[target_pos - 1] > threshold).astype(np.int64)
    train_rate = float(frames[0]["prob_up"].iloc[0])  # the up share before the first origin
    hit_p0 = max(train_rate, 1.0 - train_rate)
    settings = {
        "test_size": test_size, "threshold": threshold, "refit_every": dict(refit),
        "window": schedule.window, "n_origins": len(targets), "hit_p0": hit_p0,
        "first_origin": bt["origin"].iloc[0], "last_origin": bt["origin"].iloc[-1],
    }
    return DirectionComparison(
        backtests=bt, metrics=score_direction(bt, REFERENCE, hit_p0),
        models={REFERENCE: None, **fitted}, reference=REFERENCE, settings=settings,
    )
