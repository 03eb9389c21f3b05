"""Compare forecasters honestly on one series: every model against the random walk.

:func:`compare_series` backtests each model on the same origins (see
:func:`~forecast.evaluation.backtest.run_backtest`), always together with the random walk,
and scores them with :func:`~forecast.evaluation.scoring.score` into a
:class:`~forecast.evaluation.results.SeriesComparison`. :func:`forecast.compare` is the
user-facing entry; :mod:`forecast.evaluation.many` runs the same steps on many series.

Covariates (``X`` observed, ``X_known`` known in advance; the convention of
:mod:`forecast.models.covariates`) go to the models named by ``covariates_for`` (default:
every model given), each through its own backtest, so no model sees a row of ``X`` after
its origin. The random walk is the reference by construction: it forecasts from ``y``
alone and never gets them. A model that gets covariates it cannot take is an error (named),
never silently run without them.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd

from forecast._validation import check_int, check_series
from forecast.evaluation.backtest import check_forecaster, run_backtest
from forecast.evaluation.intervals import (
    check_coverage,
    gives_intervals,
    is_gaussian,
    score_intervals,
)
from forecast.evaluation.results import SeriesComparison
from forecast.evaluation.schedule import WalkForward
from forecast.evaluation.scoring import family, score
from forecast.models.covariates import check_covariates

logger = logging.getLogger(__name__)

__all__ = [
    "REFERENCE", "backtest_model", "check_covariate_models", "check_models", "check_target",
    "compare_series", "model_coverage", "refit_schedule", "score_series",
]

#: the name of the random walk, the reference of every comparison
REFERENCE = "Random walk"


def compare_series(
    models: dict[str, Any],
    y: Any,
    schedule: WalkForward,
    *,
    test_size: int,
    refit_every: int | None | Mapping[str, int | None] = None,
    coverage: float | None = None,
    progress: bool = False,
    X: Any = None,
    X_known: Any = None,
    covariates_for: Collection[str] | None = None,
) -> SeriesComparison:
    """Backtest ``models`` on the last ``test_size`` observations of ``y`` and score them.

    Parameters
    ----------
    models : dict of str to forecaster
        As returned by :func:`check_models` (the random walk included).
    y : pandas.Series or 1-D array-like
        The series, oldest first.
    schedule : WalkForward
        Horizon, step, window, train_size and warm_start (its ``start`` and
        ``refit_every`` are replaced: the first target is ``n - test_size`` and
        ``refit_every`` is given per model).
    test_size : int
        The number of final observations that are forecast targets.
    refit_every : int, None or mapping of str to int or None, default=None
        See :func:`refit_schedule`.
    coverage : float in (0, 1), optional
        Backtest the models that have ``predict_interval`` with their central ``coverage``
        intervals and score them (see :mod:`forecast.evaluation.intervals`); the models
        without intervals are backtested without (NaN bounds).
    progress
        As in :func:`forecast.backtest`.
    X, X_known : DataFrame or array-like of shape (n, k), optional
        Observed and known-in-advance covariates, one row per observation of ``y`` (a
        pandas object labelled like a pandas ``y``), passed to the backtest of each model
        of ``covariates_for`` as in :func:`forecast.backtest`.
    covariates_for : collection of str, optional
        See :func:`check_covariate_models`.

    Returns
    -------
    SeriesComparison
        With ``X`` or ``X_known``, ``settings["covariates"]`` records their number of
        columns and the models that got them.

    Examples
    --------
    >>> import forecast
    >>> y = forecast.load_dataset("sp500")["close"]
    >>> models = check_models({"AR(1)": forecast.ARForecaster(order=1)})
    >>> res = compare_series(models, y, WalkForward(), test_size=50)
    >>> res.settings["n_origins"]
    50
    """
    test_size = check_int(test_size, "test_size", min_value=1)
    coverage = check_coverage(coverage)
    series, start = check_target(y, "y", schedule, test_size=test_size)
    refit = refit_schedule(refit_every, list(models))
    given = {"X": X, "X_known": X_known}
    users = check_covariate_models(covariates_for, models, given)
    labels = series.index if isinstance(y, (pd.Series, pd.DataFrame)) else None
    columns = {key: 0 if value is None else check_covariates(
        value, len(series), key, index=labels).shape[1] for key, value in given.items()}
    runs = {
        name: backtest_model(name, model, series, schedule.replace(start=start,
                             refit_every=refit[name]),
                             coverage=model_coverage(model, coverage), progress=progress,
                             **(given if name in users else {}))
        for name, model in models.items()
    }
    result = score_series(models, runs, series, schedule.replace(start=start), refit,
                          coverage=coverage)
    if users:
        result.settings["covariates"] = {**columns, "models": users}
    return result


def check_covariate_models(
    covariates_for: Any, models: dict[str, Any], given: dict[str, Any]
) -> list[str]:
    """The names of the models that get the covariates ``given`` (``{"X": .., "X_known": ..}``).

    ``covariates_for=None`` means every model but the reference random walk, which forecasts
    from ``y`` alone by construction; a collection of names picks the models (the others
    are compared without covariates, e.g. an AR beside the same AR with ``X``). Without
    covariates it must be None, and every model named must take each covariate given in
    its ``fit`` (a model that takes the argument but refuses it, as
    :class:`~forecast.models.naive.NaiveForecaster` refuses ``X``, raises its own error
    in its first fit).

    Raises
    ------
    TypeError
        For ``covariates_for`` that is not a collection of names, or a model named whose
        ``fit`` has no parameter for a covariate given.
    ValueError
        For ``covariates_for`` without covariates, naming an unknown model or the reference.
    """
    kinds = [key for key, value in given.items() if value is not None]
    if not kinds:
        if covariates_for is not None:
            raise ValueError(
                f"covariates_for={covariates_for!r} names models to get covariates, but X and "
                "X_known are None; pass X or X_known, or covariates_for=None"
            )
        return []
    if covariates_for is None:
        names = [name for name in models if name != REFERENCE]
    elif isinstance(covariates_for, str) or not isinstance(covariates_for, Collection):
        raise TypeError(
            f"covariates_for must be a list of model names, got {covariates_for!r}; e.g. "
            f"covariates_for=[{next(iter(models))!r}]"
        )
    else:
        names = list(dict.fromkeys(covariates_for))
        unknown = [name for name in names if name not in models]
        if unknown:
            raise ValueError(
                f"covariates_for names unknown model(s) {unknown}; the models are {list(models)}"
            )
        if REFERENCE in names:
            raise ValueError(
                f"covariates_for names {REFERENCE!r}, the reference, which forecasts from y "
                "alone; leave it out (compare a model with covariates against it)"
            )
    for name in names:
        params = inspect.signature(models[name].fit).parameters
        anything = any(p.kind is p.VAR_KEYWORD for p in params.values())
        for key in kinds:
            if key not in params and not anything:
                raise TypeError(
                    f"models[{name!r}] ({type(models[name]).__name__}) takes no {key} in fit; "
                    "leave it out of covariates_for (the models that get covariates; default: "
                    "every model) to compare it without covariates"
                )
    return names


def model_coverage(model: Any, coverage: float | None) -> float | None:
    """The ``coverage`` a model is backtested with: None when it has no ``predict_interval``."""
    return coverage if gives_intervals(model) else None


def check_target(
    y: Any, name: str, schedule: WalkForward, *, test_size: int
) -> tuple[pd.Series, int]:
    """The validated series ``y`` (called ``name`` in errors) and its first target position.

    The last ``test_size`` observations are the targets; at least 2 observations must
    precede them, and they must give at least ``max(3, horizon + 1)`` origins (the tests
    need them).
    """
    values, index = check_series(y, name, min_length=4)
    series = pd.Series(values, index=index, name=getattr(y, "name", None))
    n, horizon, step = len(values), schedule.horizon, schedule.step
    if test_size > n - 2:
        raise ValueError(
            f"test_size={test_size} leaves {n - test_size} training observation(s) of "
            f"{name} (n={n}); at least 2 are needed, so test_size must be <= {n - 2}"
        )
    n_origins = (test_size - horizon) // step + 1 if test_size >= horizon else 0
    if n_origins < max(3, horizon + 1):
        raise ValueError(
            f"test_size={test_size} with horizon={horizon} and step={step} gives {n_origins} "
            f"origin(s); the tests need at least {max(3, horizon + 1)}"
        )
    return series, n - test_size


def backtest_model(
    name: str, model: Any, y: pd.Series, schedule: WalkForward, **options: Any
) -> tuple[pd.DataFrame, Any]:
    """One model's backtest on one series: the unit of work of a parallel comparison.

    An error of a model given covariates (``X``/``X_known`` in ``options``) gets a note
    saying how to compare it without them.
    """
    logger.info("backtesting %s (refit_every=%s)", name, schedule.refit_every)
    try:
        return run_backtest(model, y, schedule, model_name=name, **options)
    except (TypeError, ValueError) as err:
        kinds = [key for key in ("X", "X_known") if options.get(key) is not None]
        if kinds:
            err.add_note(f"models[{name!r}] was given {' and '.join(kinds)}; to compare it "
                         "without covariates, leave it out of covariates_for (default: every "
                         "model)")
        raise


def score_series(
    models: dict[str, Any],
    runs: dict[str, tuple[pd.DataFrame, Any]],
    y: pd.Series,
    schedule: WalkForward,
    refit: dict[str, int | None],
    *,
    coverage: float | None = None,
) -> SeriesComparison:
    """Score the backtests ``runs`` (name -> (frame, fitted model)) of one series.

    ``schedule.start`` is the position of the first target in ``y``; ``refit`` the
    ``refit_every`` of each model, as reported in the settings. With ``coverage`` the
    intervals are scored too (:func:`~forecast.evaluation.intervals.score_intervals`).
    """
    start = schedule.start
    frames = [runs[name][0] for name in models]
    if coverage is not None:  # a model without intervals: NaN bounds
        frames = [f if "lower" in f.columns else f.assign(lower=np.nan, upper=np.nan)
                  for f in frames]
    fitted = {name: runs[name][1] for name in models}
    bt = pd.concat(frames, ignore_index=True)
    values = y.to_numpy()
    origin_pos = y.index.get_indexer(pd.Index(bt["origin"]))
    bt.insert(bt.columns.get_loc("actual") + 1, "last", values[origin_pos])
    positive = bool((values > 0).all())
    if not positive:
        logger.info("y has values <= 0: no return-scale metrics (they need prices)")
    price, returns, tests = score(
        bt,
        prev=values[origin_pos - 1],
        y_train=values[:start],
        reference=REFERENCE,
        families={name: family(model) for name, model in models.items()},
        returns=positive,
    )
    intervals = None
    if coverage is not None:
        gaussian = {name: is_gaussian(model) for name, model in models.items()}
        intervals = score_intervals(bt, coverage, gaussian, positive)
    settings = {
        "n_obs": len(values),
        "horizon": schedule.horizon,
        "test_size": len(values) - start,
        "step": schedule.step,
        "window": schedule.window,
        "train_size": schedule.train_size,
        "refit_every": dict(refit),
        "first_origin": bt["origin"].iloc[0],
        "last_origin": bt["origin"].iloc[-1],
        "n_origins": int(bt["origin"].nunique()),
    }
    if coverage is not None:
        settings["coverage"] = coverage
    return SeriesComparison(
        backtests=bt,
        metrics=price,
        return_metrics=returns,
        tests=tests,
        models=fitted,
        reference=REFERENCE,
        settings=settings,
        intervals=intervals,
    )


def random_walk() -> Any:
    """The reference forecaster: ``NaiveForecaster(strategy="last")``."""
    from forecast.models.naive import NaiveForecaster

    return NaiveForecaster(strategy="last")


def check_models(models: Any) -> dict[str, Any]:
    """Names -> forecasters, the random walk first (added unless already named)."""
    if not isinstance(models, Mapping):
        raise TypeError(
            f"models must be a mapping of names to forecasters, e.g. {{'AR(20)': "
            f"ARForecaster(order=20)}}, got {type(models).__name__}"
        )
    for name, model in models.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"model names must be non-empty strings, got {name!r}")
        check_forecaster(model, f"models[{name!r}]")
    out = {} if REFERENCE in models else {REFERENCE: random_walk()}
    out.update(models)
    return out


def refit_schedule(refit_every: Any, names: list[str]) -> dict[str, int | None]:
    """``refit_every`` per model name (a single value applies to all)."""
    if not isinstance(refit_every, Mapping):
        if refit_every is not None:
            refit_every = check_int(refit_every, "refit_every", min_value=1)
        return dict.fromkeys(names, refit_every)
    unknown = [k for k in refit_every if k not in names]
    if unknown:
        raise ValueError(f"refit_every names unknown model(s) {unknown}; the models are {names}")
    schedule = {}
    for name in names:
        value = refit_every.get(name)
        schedule[name] = None if value is None else check_int(
            value, f"refit_every[{name!r}]", min_value=1
        )
    return schedule
