"""The numbers behind :func:`forecast.compare`: metrics per model and step, tests, lag trap,
and the summary of many series.

Everything here works on the tidy backtest frame of all models (columns ``origin, target,
step, forecast, actual, model, last``, ``last`` being the value observed at the origin) and
compares each model with the reference forecast (the random walk) made at the same origins.

Definitions (``A`` actual, ``F`` forecast, ``L`` the last observed value at the origin,
``P`` the value before it, ``R`` the reference forecast, all for one model and one step):

* skill (MSE based, the out-of-sample R^2 against the random walk)::

      skill = 1 - mean((A - F)^2) / mean((A - R)^2)

  above 0 beats the random walk; the same formula on log returns for the return scale;
* price R^2 = 1 - sum((A - F)^2) / sum((A - mean(A))^2): how "good" a price forecast looks;
* return scale: ``r_F = log(F / L)`` against ``r_A = log(A / L)`` (the random walk forecasts
  ``r = 0``);
* lag-trap statistics: ``lag_corr = corr(F - L, L - P)``, the correlation of the forecast
  change with the previous change, and ``rw_distance = mean|F - L| / mean|A - L|``, how far
  the forecast moves from the last value relative to the typical move over the horizon;
* lag trap flag: price ``R^2 >= LAG_TRAP_R2`` while ``skill <= 0`` or
  ``rw_distance < LAG_TRAP_DISTANCE``: the "good" price forecast is the last price shifted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from forecast import metrics

logger = logging.getLogger(__name__)

#: a price forecast with an R^2 at least this high "looks good"
LAG_TRAP_R2 = 0.9
#: forecasts closer than this to the last value (in typical moves) are the random walk
LAG_TRAP_DISTANCE = 0.1
#: significance level used for the ``significant`` column of the tests table
ALPHA = 0.05

#: the model families tested against each other (each "rnn" model against each "ar" one);
#: a forecaster declares its family as the class attribute ``family``
AR_FAMILY = "ar"
RNN_FAMILY = "rnn"
#: the columns of :func:`summarize`
SUMMARY_COLUMNS = [
    "n_series", "median_skill", "median_return_skill", "n_better", "n_worse",
]


def family(model: Any) -> str | None:
    """The family a forecaster declares (``"ar"``, ``"rnn"``, ...), None if it declares none.

    Examples
    --------
    >>> import forecast
    >>> family(forecast.ARForecaster(order=2)), family(forecast.NaiveForecaster())
    ('ar', None)
    """
    value = getattr(model, "family", None)
    return value if isinstance(value, str) else None


def _guard(fn: Callable[..., Any], *args: Any, what: str, **kwargs: Any) -> Any:
    """Call a metric; a value it declares undefined (ValueError) becomes NaN, logged."""
    try:
        return fn(*args, **kwargs)
    except ValueError as err:
        logger.warning("%s is undefined here, reported as NaN: %s", what, err)
        return None


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation, NaN when either side is constant (no variation to correlate)."""
    a, b = a - a.mean(), b - b.mean()
    den = np.sqrt(np.sum(a * a) * np.sum(b * b))
    return float(np.sum(a * b) / den) if den > 0 else float("nan")


def _skill(error: np.ndarray, ref_error: np.ndarray) -> float:
    """1 - MSE / MSE_ref (NaN if the reference is perfect)."""
    ref = np.mean(ref_error**2)
    return float(1.0 - np.mean(error**2) / ref) if ref > 0 else float("nan")


def _dm(error: np.ndarray, ref_error: np.ndarray, h: int, what: str) -> tuple[float, float]:
    """Two-sided DM statistic and p-value of squared errors (NaN when undefined)."""
    result = _guard(metrics.diebold_mariano, error, ref_error, h=h, what=what)
    return (np.nan, np.nan) if result is None else (result.statistic, result.pvalue)


def _direction(a: np.ndarray, f: np.ndarray, last: np.ndarray, what: str) -> tuple[float, float]:
    """Hit rate of the direction of change and its two-sided binomial p-value."""
    result = _guard(metrics.directional_accuracy, a, f, last, what=what)
    return (np.nan, np.nan) if result is None else (result.hit_rate, result.pvalue)


#: the columns of the tests against the reference (NaN in the reference's own row)
_TEST_COLUMNS = ("dm_stat", "dm_pvalue", "hit_rate", "hit_pvalue")


def _against_reference(
    e: np.ndarray, e_ref: np.ndarray, a: np.ndarray, f: np.ndarray, last: np.ndarray,
    step: int, is_reference: bool, what: str,
) -> dict[str, float]:
    """The DM test of the errors ``e`` against the reference's ``e_ref`` and the direction
    test of ``F - L`` against ``A - L``; NaN for the reference itself."""
    if is_reference:
        return dict.fromkeys(_TEST_COLUMNS, np.nan)
    dm_stat, dm_p = _dm(e, e_ref, step, f"DM of {what}")
    hit, hit_p = _direction(a, f, last, what)
    return {"dm_stat": dm_stat, "dm_pvalue": dm_p, "hit_rate": hit, "hit_pvalue": hit_p}


def _value(result: Any) -> float:
    return float("nan") if result is None else float(result)


def _price_row(
    a: np.ndarray,
    f: np.ndarray,
    last: np.ndarray,
    prev: np.ndarray,
    ref: np.ndarray,
    y_train: np.ndarray,
    step: int,
    is_reference: bool,
    name: str,
) -> dict[str, Any]:
    """Price-scale metrics of one model at one step."""
    what = f"{name} (step {step})"
    e, e_ref = a - f, a - ref
    r2 = 1.0 - np.sum(e**2) / np.sum((a - a.mean()) ** 2) if np.ptp(a) > 0 else np.nan
    skill = _skill(e, e_ref)
    tests = _against_reference(e, e_ref, a, f, last, step, is_reference, what)
    move = np.mean(np.abs(a - last))  # the typical move over the horizon
    distance = np.mean(np.abs(f - last)) / move if move > 0 else np.nan
    trap = (not is_reference) and bool(
        r2 >= LAG_TRAP_R2 and (skill <= 0 or distance < LAG_TRAP_DISTANCE)
    )
    return {
        "n": len(a),
        "mae": metrics.mae(a, f),
        "rmse": metrics.rmse(a, f),
        "mape": _value(_guard(metrics.mape, a, f, what=f"MAPE of {what}")),
        "smape": metrics.smape(a, f),
        "mase": _value(_guard(metrics.mase, a, f, y_train, what=f"MASE of {what}")),
        "theil_u2": _value(_guard(metrics.theil_u2, a, f, last, what=f"U2 of {what}")),
        "r2": r2,
        "skill": skill,
        **tests,
        "lag_corr": _corr(f - last, last - prev),
        "rw_distance": distance,
        "lag_trap": trap,
    }


def _return_row(
    a: np.ndarray,
    f: np.ndarray,
    last: np.ndarray,
    ref: np.ndarray,
    step: int,
    is_reference: bool,
    name: str,
) -> dict[str, Any]:
    """Return-scale metrics of one model at one step: log(F/L) against log(A/L)."""
    what = f"{name} (step {step}, returns)"
    r_a, r_f, r_ref = np.log(a / last), np.log(f / last), np.log(ref / last)
    e, e_ref = r_a - r_f, r_a - r_ref
    tests = _against_reference(e, e_ref, a, f, last, step, is_reference, what)
    return {
        "n": len(a),
        "mae": metrics.mae(r_a, r_f),
        "rmse": metrics.rmse(r_a, r_f),
        "skill": _skill(e, e_ref),
        "corr": _corr(r_f, r_a),
        **tests,
    }


def _by_model_step(bt: pd.DataFrame) -> dict[tuple[str, int], np.ndarray]:
    """Row positions of each (model, step), in origin order."""
    groups = bt.groupby(["model", "step"], sort=False).indices
    return {(str(m), int(s)): rows for (m, s), rows in groups.items()}


def score(
    bt: pd.DataFrame,
    prev: np.ndarray,
    y_train: np.ndarray,
    reference: str,
    families: Mapping[str, str | None],
    returns: bool,
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame]:
    """Compute the price table, the return table (or None) and the pairwise DM tests.

    Parameters
    ----------
    bt : DataFrame
        All models' backtests with a ``last`` column; every model has the same origins.
    prev : ndarray
        The value before the origin, row by row of ``bt``.
    y_train : ndarray
        The series before the first forecast target (the MASE scale).
    reference : str
        The model every other is compared with (the random walk).
    families : mapping of str to str or None
        Each model's family (see :func:`family`), to find the AR and RNN models.
    returns : bool
        Whether to compute the return scale (positive prices only).

    Returns
    -------
    price, returns, tests : DataFrame
        ``price`` and ``returns`` indexed by (model, step); ``tests`` one row per pair, step
        and scale.
    """
    rows = _by_model_step(bt)
    a_all, f_all, last_all = (bt[c].to_numpy(np.float64) for c in ("actual", "forecast", "last"))
    models = list(dict.fromkeys(bt["model"].astype(str)))
    steps = sorted({s for _, s in rows})
    price, ret = {}, {}
    for name in models:
        for s in steps:
            idx, ref_idx = rows[(name, s)], rows[(reference, s)]
            a, f, last = a_all[idx], f_all[idx], last_all[idx]
            is_ref = name == reference
            price[(name, s)] = _price_row(
                a, f, last, prev[idx], f_all[ref_idx], y_train, s, is_ref, name
            )
            if returns:
                if (f <= 0).any():
                    logger.warning(
                        "%s forecasts a price <= 0 at step %d; its return-scale metrics are NaN",
                        name, s,
                    )
                    ret[(name, s)] = dict.fromkeys(_RETURN_COLUMNS, np.nan) | {"n": len(a)}
                else:
                    ret[(name, s)] = _return_row(a, f, last, f_all[ref_idx], s, is_ref, name)
    price_table = _table(price)
    return_table = _table(ret) if returns else None
    tests = _tests(rows, a_all, f_all, models, steps, reference, families, returns)
    for (name, s), row in price_table[price_table["lag_trap"]].iterrows():
        logger.warning("lag trap: %s", lag_trap_message(name, s, row))
    return price_table, return_table, tests


def lag_trap_message(name: str, step: int, row: Mapping[str, Any]) -> str:
    """Say why a model is flagged as a lag trap, with its numbers."""
    why = []
    if row["skill"] <= 0:
        why.append(f"its skill against the random walk is {row['skill']:+.2%}")
    if row["rw_distance"] < LAG_TRAP_DISTANCE:
        why.append(
            f"its forecasts stay within {row['rw_distance']:.3f} typical moves of the last price"
        )
    return (
        f"{name} (step {step}) has a price R^2 of {row['r2']:.3f}, which looks good, but "
        + " and ".join(why)
        + ": the R^2 comes from the last price, not from the model"
    )


_RETURN_COLUMNS = ("n", "mae", "rmse", "skill", "corr", *_TEST_COLUMNS)


def _table(rows: dict[tuple[str, int], dict[str, Any]]) -> pd.DataFrame:
    """A table indexed by (model, step) from ``{(model, step): {column: value}}``."""
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index = pd.MultiIndex.from_tuples(list(rows), names=["model", "step"])
    return table


def pairs(
    models: list[str], reference: str, families: Mapping[str, str | None]
) -> list[tuple[str, str]]:
    """The (model, versus) pairs tested: every model against the reference, each RNN against
    each AR model.

    Examples
    --------
    >>> pairs(["RW", "AR", "LSTM"], "RW", {"AR": "ar", "LSTM": "rnn"})
    [('AR', 'RW'), ('LSTM', 'RW'), ('LSTM', 'AR')]
    """
    out = [(m, reference) for m in models if m != reference]
    ars = [m for m in models if families.get(m) == AR_FAMILY]
    rnns = [m for m in models if families.get(m) == RNN_FAMILY]
    out += [(rnn, ar) for ar in ars for rnn in rnns]
    return out


def _tests(
    rows: dict[tuple[str, int], np.ndarray],
    a_all: np.ndarray,
    f_all: np.ndarray,
    models: list[str],
    steps: list[int],
    reference: str,
    families: Mapping[str, str | None],
    returns: bool,
) -> pd.DataFrame:
    """Diebold-Mariano tests (squared loss, two-sided, HLN) for every pair, step and scale."""
    records = []
    scales = ("price", "return") if returns else ("price",)
    for model, versus in pairs(models, reference, families):
        for s in steps:
            i, j = rows[(model, s)], rows[(versus, s)]
            for scale in scales:
                if scale == "price":
                    e1, e2 = a_all[i] - f_all[i], a_all[j] - f_all[j]
                else:
                    if (f_all[i] <= 0).any() or (f_all[j] <= 0).any():
                        continue
                    e1 = np.log(a_all[i] / f_all[i])  # log(A/L) - log(F/L)
                    e2 = np.log(a_all[j] / f_all[j])
                stat, p = _dm(e1, e2, s, f"DM of {model} vs {versus} (step {s}, {scale})")
                mse1, mse2 = np.mean(e1**2), np.mean(e2**2)
                records.append(
                    {
                        "model": model,
                        "versus": versus,
                        "step": s,
                        "scale": scale,
                        "dm_stat": stat,
                        "pvalue": p,
                        "mse_ratio": mse1 / mse2 if mse2 > 0 else np.nan,
                        "better": model if mse1 < mse2 else versus if mse2 < mse1 else "tie",
                        "significant": bool(p < ALPHA),
                    }
                )
    columns = [
        "model", "versus", "step", "scale", "dm_stat", "pvalue", "mse_ratio", "better",
        "significant",
    ]
    return pd.DataFrame.from_records(records, columns=columns)


def summarize(results: Mapping[str, Any], reference: str) -> pd.DataFrame:
    """The cross-series summary of per-series comparisons.

    For each model other than the reference and each step, over the series:

    * ``median_skill``: median of the price-scale skill ``1 - MSE / MSE(random walk)``;
    * ``median_return_skill``: the same on the return scale (NaN when no series has one);
    * ``n_better`` / ``n_worse``: series where the price-scale Diebold-Mariano test against
      the random walk is significant at ``ALPHA`` (5 %) with the model's MSE lower / higher;
    * ``n_series``: series compared;
    * ``n_coverage_flagged`` (only when the comparisons scored intervals): series where the
      model's coverage differs from nominal (Kupiec p < 5 %, see
      :mod:`forecast.evaluation.intervals`).

    Parameters
    ----------
    results : mapping of str to SeriesComparison
        The per-series comparisons (same models): anything with ``metrics``,
        ``return_metrics`` and ``tests`` tables.
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
            acc = rows.setdefault((model, step), {"skill": [], "rskill": [], "sig": [],
                                                  "cov": []})
            if getattr(res, "intervals", None) is not None:
                acc["cov"].append(bool(res.intervals.loc[(model, step), "coverage_flag"]))
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
            "n_coverage_flagged": sum(acc["cov"]),
        }
        for key, acc in rows.items()
    }
    intervals = any(getattr(r, "intervals", None) is not None for r in results.values())
    columns = SUMMARY_COLUMNS + ["n_coverage_flagged"] * intervals
    table = pd.DataFrame.from_dict(records, orient="index", columns=columns)
    table.index = pd.MultiIndex.from_tuples(list(records), names=["model", "step"])
    return table
