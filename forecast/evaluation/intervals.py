r"""The interval table of :func:`forecast.compare` with ``coverage``: every interval scored.

With ``compare(..., coverage=c)`` each model that has ``predict_interval`` is backtested with
its central ``c`` intervals (the ``lower``/``upper`` columns of the backtest frame; a model
without intervals has NaN there). :func:`score_intervals` turns them into one row per
(model, step), over the forecast origins in time order (``A`` actual, ``[l, u]`` the
interval, ``L`` the last observed value at the origin):

* ``coverage``: the fraction of ``l <= A <= u`` (the interval is closed), to compare with the
  nominal ``c`` (:func:`forecast.metrics.coverage`);
* ``width``: ``mean(u - l)``, in price units;
* ``return_width``: ``mean(log(u / L) - log(l / L)) = mean(log(u / l))``, the width on the
  return scale of :mod:`forecast.evaluation.scoring` (log returns from the last value, where
  the random walk forecasts 0), comparable across price levels; NaN on a series with values
  <= 0 or for a model with a lower bound <= 0 (logged);
* ``interval_score``: the mean Winkler score (Gneiting and Raftery 2007),
  ``(u - l) + 2 / alpha (l - A) 1{A < l} + 2 / alpha (A - u) 1{A > u}``, ``alpha = 1 - c``
  (:func:`forecast.metrics.interval_score`), price units, smaller is better;
* ``kupiec_pvalue``: Kupiec's test that the hit rate is ``c``
  (:func:`forecast.significance.kupiec`, hits = 1 inside the closed interval);
* ``christoffersen_pvalue`` and ``independence_pvalue``: Christoffersen's joint test of
  conditional coverage (right rate and independent violations, chi2(2)) and its
  independence part (chi2(1)) (:func:`forecast.significance.christoffersen`);
* ``crps``, price units, for the models with a predictive distribution; NaN for the others
  (conformal bands and point forecasters: their distribution is not known):

  - Gaussian intervals (:func:`is_gaussian`: the AR and naive forecasters): the mean CRPS
    of their predictive ``N(mu, sigma^2)`` with ``mu = (l + u) / 2`` and
    ``sigma = (u - l) / (2 z)``, ``z = Phi^{-1}(1 - alpha / 2)``, the sd the interval
    implies (:func:`forecast.metrics.crps_normal`);
  - likelihood RNNs (:func:`gives_distribution`: ``RNNForecaster`` or a global model's
    series forecaster with ``likelihood``): the mean of the ``crps`` column the backtest
    records at every origin (:func:`distribution_crps`), from the model's own predictive
    distribution: at step 1 the closed form of its Normal or Student-t
    (:func:`forecast.metrics.crps_normal`, :func:`forecast.metrics.crps_student_t`) at the
    predictive parameters, beyond step 1 the fair sample CRPS of its price paths
    (:func:`forecast.metrics.crps_sample`);
* ``coverage_flag``: ``kupiec_pvalue < ALPHA`` (5 %): the coverage differs from nominal,
  logged as a warning as lag traps are.

With a horizon above 1, the h-step intervals of consecutive origins overlap, so their hits
are dependent and the tests are rough there. A model without intervals has NaN everywhere
(shown ``-``) and no flag.
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Mapping
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from forecast import metrics, significance
from forecast.evaluation.scoring import ALPHA

logger = logging.getLogger(__name__)

__all__ = [
    "INTERVAL_COLUMNS", "check_coverage", "coverage_message", "distribution_crps",
    "gives_distribution", "gives_intervals", "is_gaussian", "score_intervals",
]

#: the columns of :func:`score_intervals`, in order
INTERVAL_COLUMNS = [
    "coverage", "width", "return_width", "interval_score", "kupiec_pvalue",
    "christoffersen_pvalue", "independence_pvalue", "crps", "coverage_flag",
]


def check_coverage(coverage: Any) -> float | None:
    """``coverage`` of :func:`forecast.compare`: None, or a float strictly inside (0, 1).

    Examples
    --------
    >>> check_coverage(0.9), check_coverage(None)
    (0.9, None)
    """
    if coverage is None:
        return None
    if isinstance(coverage, bool) or not isinstance(coverage, numbers.Real):
        raise TypeError(
            f"coverage must be a number strictly between 0 and 1 (e.g. 0.9) or None, got "
            f"{coverage!r} of type {type(coverage).__name__}"
        )
    value = float(coverage)
    if not 0.0 < value < 1.0:  # NaN too
        raise ValueError(
            f"coverage must be strictly between 0 and 1 (e.g. 0.9 for 90% intervals), got "
            f"coverage={coverage!r}; pass coverage=None to score no intervals"
        )
    return value


def gives_intervals(model: Any) -> bool:
    """Whether a forecaster has ``predict_interval`` (is backtested with intervals)."""
    return callable(getattr(model, "predict_interval", None))


def gives_distribution(model: Any) -> bool:
    """Whether ``model`` states a predictive distribution the backtest can score with CRPS
    (:func:`distribution_crps`): it has ``predictive_parameters`` and a ``likelihood``.

    Examples
    --------
    >>> import forecast
    >>> gives_distribution(forecast.RNNForecaster(likelihood="student_t"))
    True
    >>> gives_distribution(forecast.RNNForecaster()), gives_distribution(forecast.ARForecaster())
    (False, False)
    """
    return callable(getattr(model, "predictive_parameters", None)) and (
        getattr(model, "likelihood", None) is not None
    )


def distribution_crps(model: Any, last: float, actual: np.ndarray) -> np.ndarray:
    r"""The CRPS of a fitted likelihood model's forecasts of ``actual`` (steps 1..H), in price
    units: what the backtest records at each origin for :func:`gives_distribution` models.

    *Step 1*, closed form at the predictive parameters (``loc``, ``scale``, ``df``) of the
    next increment ``r`` (:meth:`predictive_parameters
    <forecast.models.rnn.likelihood_paths.ProbabilisticForecaster.predictive_parameters>`),
    with ``L = last``, the value at the origin:

    * ``"diff"``: ``CRPS(F_r, A - L)``, exact (the price ``L + r`` is a shift of ``r``);
    * ``"level"``: ``CRPS(F_r, A)``, exact;
    * ``"log_return"``: ``L * CRPS(F_r, log(A / L))``, the CRPS of the log return in price
      units: exact for the linearised price ``L (1 + r)`` (the CRPS scales with an affine
      map), which differs from ``L exp(r)`` by ``O(r^2)`` (a relative error of the order of
      the daily volatility, about 1 %). The exact price CRPS of a Student-t log return does
      not exist (``exp(r)`` has no mean).

    ``F_r`` is ``N(loc, scale^2)`` (:func:`forecast.metrics.crps_normal`) or the
    location-scale Student-t (:func:`forecast.metrics.crps_student_t`).

    *Steps 2..H*: the fair ensemble CRPS (:func:`forecast.metrics.crps_sample`,
    ``fair=True``) of the model's price paths, those its ``predict`` uses
    (:meth:`sample_paths` with ``PREDICT_SAMPLES`` paths and ``PREDICT_SEED``).

    Parameters
    ----------
    model : RNNForecaster or GlobalSeriesForecaster
        Fitted, with a likelihood.
    last : float
        The value at the origin.
    actual : ndarray of shape (H,)
        The values of steps 1..H.

    Returns
    -------
    ndarray of shape (H,)
    """
    from forecast.models.rnn.likelihood_paths import PREDICT_SAMPLES, PREDICT_SEED

    p = model.predictive_parameters()
    target = model.predictive_target
    a = float(actual[0])
    x, unit = {"log_return": (np.log(a / last), last), "diff": (a - last, 1.0)}.get(
        target, (a, 1.0)
    )
    if "df" in p:
        first = metrics.crps_student_t([x], p["loc"], p["scale"], p["df"])
    else:
        first = metrics.crps_normal([x], p["loc"], p["scale"])
    out = np.empty(len(actual), dtype=np.float64)
    out[0] = unit * first
    if len(actual) > 1:
        paths = model.sample_paths(len(actual), PREDICT_SAMPLES, PREDICT_SEED)
        for h in range(1, len(actual)):
            out[h] = metrics.crps_sample([actual[h]], paths[:, h][None, :], fair=True)
    return out


def is_gaussian(model: Any) -> bool:
    """Whether ``model``'s intervals are Gaussian, ``forecast -/+ z sigma_h``: an
    :class:`~forecast.ARForecaster` or :class:`~forecast.NaiveForecaster` (then CRPS is
    scored from the sd the interval implies).

    Examples
    --------
    >>> import forecast
    >>> is_gaussian(forecast.ARForecaster(order=1)), is_gaussian(forecast.RNNForecaster())
    (True, False)
    """
    from forecast.models.ar import ARForecaster
    from forecast.models.naive import NaiveForecaster

    return isinstance(model, (ARForecaster, NaiveForecaster))


def _interval_row(
    a: np.ndarray, lo: np.ndarray, hi: np.ndarray, last: np.ndarray, coverage: float,
    gaussian: bool, returns: bool, what: str, recorded: np.ndarray | None = None,
) -> dict[str, Any]:
    """The scores and tests of one model's intervals at one step (``recorded``: the CRPS
    the backtest recorded at each origin, or None)."""
    hits = (lo <= a) & (a <= hi)
    kup = significance.kupiec(hits, coverage)
    chris = significance.christoffersen(hits, coverage)
    return_width = np.nan
    if returns and (lo > 0).all():
        return_width = float(np.mean(np.log(hi / last) - np.log(lo / last)))
    elif returns:
        logger.warning("%s has a lower bound <= 0; its return-scale width is NaN", what)
    crps = np.nan
    if recorded is not None and not np.isnan(recorded).all():
        crps = float(np.mean(recorded))
    elif gaussian:
        z = NormalDist().inv_cdf(1.0 - (1.0 - coverage) / 2.0)
        sigma = (hi - lo) / (2.0 * z)
        if (sigma > 0).all():
            crps = metrics.crps_normal(a, (lo + hi) / 2.0, sigma)
        else:
            logger.warning("%s has an interval of width 0; its CRPS is NaN", what)
    return {
        "coverage": metrics.coverage(a, lo, hi),
        "width": float(np.mean(hi - lo)),
        "return_width": return_width,
        "interval_score": metrics.interval_score(a, lo, hi, coverage),
        "kupiec_pvalue": kup.pvalue,
        "christoffersen_pvalue": chris.pvalue,
        "independence_pvalue": chris.pvalue_ind,
        "crps": crps,
        "coverage_flag": bool(kup.pvalue < ALPHA),
    }


def score_intervals(
    bt: pd.DataFrame,
    coverage: float,
    gaussian: Mapping[str, bool],
    returns: bool,
) -> pd.DataFrame:
    """The interval table: scores and coverage tests per (model, step).

    Parameters
    ----------
    bt : DataFrame
        All models' backtests with ``actual``, ``last``, ``lower`` and ``upper`` columns
        (NaN bounds for a model without intervals), in origin order per model and step,
        and the ``crps`` column the backtest records for the models with a predictive
        distribution (NaN for the others) if any model has one.
    coverage : float
        The nominal coverage of the intervals, in (0, 1).
    gaussian : mapping of str to bool
        Per model, whether its intervals are Gaussian (see :func:`is_gaussian`): CRPS is
        scored for those.
    returns : bool
        Whether the series is positive (the return-scale width needs prices).

    Returns
    -------
    DataFrame
        Indexed by (model, step), columns :data:`INTERVAL_COLUMNS` (formulas in the module
        docstring); NaN and no flag for a model without intervals.
    """
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for (model, step), idx in bt.groupby(["model", "step"], sort=False).indices.items():
        part = bt.iloc[idx]
        a, lo, hi, last = (part[c].to_numpy(np.float64) for c in ("actual", "lower", "upper",
                                                                    "last"))
        key = (str(model), int(step))
        if np.isnan(lo).all() and np.isnan(hi).all():
            rows[key] = dict.fromkeys(INTERVAL_COLUMNS, np.nan) | {"coverage_flag": False}
            continue
        what = f"{model} (step {step})"
        recorded = part["crps"].to_numpy(np.float64) if "crps" in part else None
        rows[key] = _interval_row(a, lo, hi, last, coverage, gaussian.get(str(model), False),
                                  returns, what, recorded)
        if rows[key]["coverage_flag"]:
            logger.warning("coverage: %s", coverage_message(*key, rows[key], coverage))
    table = pd.DataFrame.from_dict(rows, orient="index", columns=INTERVAL_COLUMNS)
    table.index = pd.MultiIndex.from_tuples(list(rows), names=["model", "step"])
    table["coverage_flag"] = table["coverage_flag"].astype(bool)
    return table


def coverage_message(name: str, step: int, row: Mapping[str, Any], coverage: float) -> str:
    """Say why a model's coverage is flagged, with its numbers.

    Examples
    --------
    >>> coverage_message("RNN", 1, {"coverage": 0.68, "kupiec_pvalue": 1e-9}, 0.9)[:50]
    'RNN (step 1) covered 68.0% of the actuals with 90%'
    """
    p = row["kupiec_pvalue"]
    side = "too narrow" if row["coverage"] < coverage else "too wide"
    return (
        f"{name} (step {step}) covered {row['coverage']:.1%} of the actuals with "
        f"{coverage * 100:g}% intervals (Kupiec p {'< 0.001' if p < 0.001 else f'= {p:.3f}'}, "
        f"below {ALPHA}): its intervals are {side}"
    )
