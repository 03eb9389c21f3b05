"""Compare forecasters honestly: every model against the random walk, from rolling origins.

:func:`compare` backtests each model on the same origins (see :func:`forecast.backtest`),
always together with the random walk, and scores them on the price scale and on the return
scale, with Diebold-Mariano tests, directional accuracy and the lag-trap statistics. The
definitions are in :mod:`forecast._scorecard`; the result type is :class:`CompareResult`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd

from forecast._multi import MultiCompareResult
from forecast._result import CompareResult
from forecast._scorecard import score
from forecast._validation import check_choice, check_int, check_series
from forecast.walkforward import check_forecaster, run_backtest

logger = logging.getLogger(__name__)

__all__ = ["REFERENCE", "CompareResult", "MultiCompareResult", "compare"]

#: the name of the random walk, the reference of every comparison
REFERENCE = "Random walk"


def compare(
    models: Mapping[str, Any],
    y: Any,
    *,
    horizon: int = 1,
    test_size: int = 500,
    step: int = 1,
    refit_every: int | None | Mapping[str, int | None] = None,
    window: str = "expanding",
    train_size: int | None = None,
    warm_start: bool = True,
    coverage: float | None = None,
    progress: bool = False,
    n_jobs: int | None = None,
    scheduler: Any = None,
    global_models: Mapping[str, Any] | None = None,
) -> CompareResult | MultiCompareResult:
    """Backtest several forecasters on the same origins and compare them with the random walk.

    The random walk (``NaiveForecaster(strategy="last")``, named ``"Random walk"``) is
    always included: it is added first unless ``models`` already has an entry of that name,
    which is then the reference. Every model is backtested from the same origins: the
    forecast targets are the last ``test_size`` observations, and each model is first fitted
    on everything before them.

    Scores (per model and per forecast step; the formulas are in :mod:`forecast._scorecard`):

    * price scale: MAE, RMSE, MAPE, sMAPE, MASE (scaled by the in-sample naive MAE of the
      training part), Theil's U2, R^2, skill ``1 - MSE / MSE(random walk)``, the
      Diebold-Mariano statistic and p-value against the random walk (squared loss,
      two-sided, HLN-corrected), directional accuracy with its binomial p-value, and the
      lag-trap statistics ``lag_corr``, ``rw_distance`` and the ``lag_trap`` flag;
    * return scale (positive series only): the same comparison of ``log(F / L)`` with
      ``log(A / L)``, ``L`` the last observed value at the origin;
    * pairwise Diebold-Mariano tests: each model against the random walk, and each
      ``RNNForecaster`` against each ``ARForecaster``, on both scales.

    A model flagged as a lag trap (a price R^2 that looks good while the skill against the
    random walk is <= 0 or the forecasts hardly leave the last price) is logged as a
    warning.

    Parameters
    ----------
    models : mapping of str to forecaster
        Display name -> unfitted forecaster following the forecaster contract. Not modified.
    y : pandas.Series, 1-D array-like, dict of Series or DataFrame
        The price series, oldest first; many series as a dict or as the columns of a
        DataFrame (leading NaN of each trimmed, see :func:`forecast.many.compare_many`).
    horizon : int, default=1
        Steps forecast at each origin.
    test_size : int, default=500
        The number of final observations that are forecast targets; with a horizon ``h``
        there are ``(test_size - h) // step + 1`` origins.
    step : int, default=1
        Observations between origins.
    refit_every : int, None or mapping of str to int or None, default=None
        As in :func:`forecast.backtest`: one value for every model, or per model name
        (models left out, and the random walk unless named, get None).
    window, train_size, warm_start, coverage, progress
        As in :func:`forecast.backtest`.
    n_jobs : int or None, default=None
        Many series only: series compared in parallel by :class:`joblib.Parallel` (None:
        one, -1: all cores). Results are identical to a serial run (see
        :func:`forecast.many.compare_many`).
    scheduler : str or dask.distributed.Client, optional
        Many series only: run on this Dask cluster (scheduler address or client) through
        joblib's ``"dask"`` backend; needs ``pip install forecast[dask]``.
    global_models : mapping of str to GlobalRNNForecaster, optional
        Many series only: one network trained across all series, compared beside the
        per-series models. At each origin ``t`` of a series, the global network it uses was
        trained on every series truncated at ``t``'s date, so no forecast depends on an
        observation of any series dated after its origin, even when the series end on
        different dates; ``refit_every`` refits a global model only as a mapping that names
        it (see :func:`forecast.many.compare_many`).

    Returns
    -------
    CompareResult or MultiCompareResult
        For one series a :class:`CompareResult`; for a dict of series or a wide DataFrame
        (one series per column, see :func:`forecast.many.compare_many`) a
        :class:`~forecast.many.MultiCompareResult`.

        The CompareResult holds
        ``backtests``, ``metrics`` (price scale), ``return_metrics``, ``tests``, the
        fitted ``models`` as they stand after the last origin, and reporting helpers
        ``to_markdown()``, ``to_csv()`` and ``plot()``.

    Raises
    ------
    ValueError
        For a ``test_size`` that leaves too little training data or too few origins, or
        ``refit_every`` naming an unknown model.
    TypeError
        If ``models`` is not a mapping of names to forecasters.

    Examples
    --------
    >>> import forecast
    >>> y = forecast.load_dataset("sp500")["close"]
    >>> res = compare({"AR(5)": forecast.ARForecaster(order=5)}, y, test_size=250)
    >>> res.metrics.index.get_level_values("model").tolist()
    ['Random walk', 'AR(5)']
    """
    if isinstance(y, (Mapping, pd.DataFrame)):
        from forecast.many import compare_many

        return compare_many(
            models, y, horizon=horizon, test_size=test_size, step=step,
            refit_every=refit_every, window=window, train_size=train_size,
            warm_start=warm_start, coverage=coverage, progress=progress, n_jobs=n_jobs,
            scheduler=scheduler, global_models=global_models,
        )
    if global_models is not None:
        raise ValueError("global_models are trained across many series: pass y as a dict of "
                         f"series or a DataFrame, got a single series ({type(y).__name__})")
    models = _check_models(models)
    horizon = check_int(horizon, "horizon", min_value=1)
    step = check_int(step, "step", min_value=1)
    test_size = check_int(test_size, "test_size", min_value=1)
    series, start = _check_target(y, "y", horizon=horizon, step=step, test_size=test_size)
    check_choice(window, "window", ("expanding", "rolling"))
    refit = _refit_schedule(refit_every, list(models))
    return _compare_one(
        models,
        series,
        start=start,
        horizon=horizon,
        step=step,
        refit=refit,
        window=window,
        train_size=train_size,
        warm_start=warm_start,
        coverage=coverage,
        progress=progress,
    )


def _check_target(
    y: Any, name: str, *, horizon: int, step: int, test_size: int
) -> tuple[pd.Series, int]:
    """The validated series ``y`` (called ``name`` in errors) and its first target position."""
    values, index = check_series(y, name, min_length=4)
    series = pd.Series(values, index=index, name=getattr(y, "name", None))
    n = len(values)
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


def _compare_one(
    models: dict[str, Any],
    y: pd.Series,
    *,
    start: int,
    horizon: int,
    step: int,
    refit: dict[str, int | None],
    window: str,
    train_size: int | None,
    warm_start: bool,
    coverage: float | None,
    progress: bool,
) -> CompareResult:
    """Compare validated ``models`` (reference included) on one validated series ``y``."""
    runs = {
        name: _backtest_one(
            name, model, y, start=start, horizon=horizon, step=step, refit=refit[name],
            window=window, train_size=train_size, warm_start=warm_start, coverage=coverage,
            progress=progress,
        )
        for name, model in models.items()
    }
    return _assemble(models, runs, y, start=start, horizon=horizon, step=step, refit=refit,
                     window=window, train_size=train_size)


def _backtest_one(
    name: str, model: Any, y: pd.Series, *, start: int, refit: int | None, **options: Any
) -> tuple[pd.DataFrame, Any]:
    """One model's backtest on one series: the unit of work of a parallel comparison."""
    logger.info("backtesting %s (refit_every=%s)", name, refit)
    return run_backtest(model, y, start=start, refit_every=refit, model_name=name, **options)


def _assemble(
    models: dict[str, Any],
    runs: dict[str, tuple[pd.DataFrame, Any]],
    y: pd.Series,
    *,
    start: int,
    horizon: int,
    step: int,
    refit: dict[str, int | None],
    window: str,
    train_size: int | None,
) -> CompareResult:
    """Score the backtests ``runs`` (name -> (frame, fitted model)) into a CompareResult."""
    frames = [runs[name][0] for name in models]
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
        classes={name: type(model).__name__ for name, model in models.items()},
        returns=positive,
    )
    settings = {
        "n_obs": len(values),
        "horizon": horizon,
        "test_size": len(values) - start,
        "step": step,
        "window": window,
        "train_size": train_size,
        "refit_every": dict(refit),
        "first_origin": bt["origin"].iloc[0],
        "last_origin": bt["origin"].iloc[-1],
        "n_origins": int(bt["origin"].nunique()),
    }
    return CompareResult(
        backtests=bt,
        metrics=price,
        return_metrics=returns,
        tests=tests,
        models=fitted,
        reference=REFERENCE,
        settings=settings,
    )


def _random_walk() -> Any:
    from forecast.models.naive import NaiveForecaster

    return NaiveForecaster(strategy="last")


def _check_models(models: Any) -> dict[str, Any]:
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
    out = {} if REFERENCE in models else {REFERENCE: _random_walk()}
    out.update(models)
    return out


def _refit_schedule(refit_every: Any, names: list[str]) -> dict[str, int | None]:
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
