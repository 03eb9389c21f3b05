"""Compare forecasters on many series, in parallel with joblib or on a Dask cluster.

:func:`compare_many` runs the single-series comparison of :mod:`forecast.evaluation.compare`
once per series. The series are independent tasks for :class:`joblib.Parallel`; each task works
on fresh clones of the forecasters (their ``random_state`` fixes their seeds), so a parallel
run gives exactly the numbers of a serial one. Each task limits BLAS to one thread
(threadpoolctl) so that parallel workers do not oversubscribe the cores. With a
``scheduler`` the tasks run on a Dask cluster through joblib's ``"dask"`` backend.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from forecast._validation import check_int, check_series
from forecast.evaluation.backtest import run_backtest
from forecast.evaluation.compare import (
    REFERENCE,
    backtest_model,
    check_target,
    model_coverage,
    refit_schedule,
    score_series,
)
from forecast.evaluation.intervals import check_coverage
from forecast.evaluation.results import CompareResult
from forecast.evaluation.schedule import WalkForward, first_target
from forecast.evaluation.scoring import RNN_FAMILY, family, summarize
from forecast.models.rnn.global_series import global_forecasters

logger = logging.getLogger(__name__)

__all__ = ["backtest_many", "check_n_jobs", "compare_many", "parallel_backend", "series_dict"]

DASK_HINT = "pip install forecast[dask]"


def series_dict(data: Any) -> dict[str, pd.Series]:
    """Many series as ``{name: Series}``, each with its leading NaN trimmed.

    Parameters
    ----------
    data : dict of Series (or 1-D arrays) or DataFrame
        A DataFrame gives one series per column (e.g. ``load_dataset("stocks_monthly")``).

    Returns
    -------
    dict of str to Series
        Leading missing values of each series are dropped (a stock listed later than the
        others, like GOOG in ``stocks_monthly``); interior or trailing NaN are kept, so the
        comparison rejects them with their position.

    Raises
    ------
    TypeError
        If ``data`` is neither a mapping nor a DataFrame.
    ValueError
        If there is no series, or one is entirely missing.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> s = series_dict(pd.DataFrame({"A": [np.nan, 1.0, 2.0], "B": [1.0, 2.0, 3.0]}))
    >>> [len(v) for v in s.values()]
    [2, 3]
    """
    if isinstance(data, pd.DataFrame):
        items = [(str(c), data[c]) for c in data.columns]
    elif isinstance(data, Mapping):
        items = [(str(k), v if isinstance(v, pd.Series) else pd.Series(v)) for k, v in
                 data.items()]
    else:
        raise TypeError(f"many series must be a dict of Series or a DataFrame, got "
                        f"{type(data).__name__}")
    if not items:
        raise ValueError("no series to compare: the dict or DataFrame is empty")
    if len({name for name, _ in items}) < len(items):
        raise ValueError(f"series names must be unique, got {[name for name, _ in items]}")
    out = {}
    for name, s in items:
        if not pd.api.types.is_numeric_dtype(s.dtype):
            raise TypeError(f"series {name!r} must be numeric, got dtype {s.dtype}")
        first = s.first_valid_index()
        if first is None:
            raise ValueError(f"series {name!r} has no values (all {len(s)} are missing)")
        trimmed = s.iloc[s.index.get_loc(first):]
        if len(trimmed) < len(s):
            logger.info("series %r: %d leading missing value(s) trimmed", name,
                        len(s) - len(trimmed))
        out[name] = trimmed.rename(name)
    return out


def compare_many(
    models: dict[str, Any],
    data: Any,
    schedule: WalkForward,
    *,
    test_size: int,
    refit_every: int | None | Mapping[str, int | None] = None,
    coverage: float | None = None,
    progress: bool = False,
    n_jobs: int | None = None,
    scheduler: Any = None,
    global_models: Mapping[str, Any] | None = None,
) -> CompareResult:
    """Compare the same forecasters on many series, in parallel.

    Each series is compared as by :func:`~forecast.evaluation.compare.compare_series`
    (random walk included, last ``test_size`` observations as targets); the per-series
    results are summarised across series by :func:`~forecast.evaluation.scoring.summarize`:
    median skill against the random walk and the number of series significantly better or
    worse under Diebold-Mariano (5 %).

    The unit of parallel work is one model's backtest on one series (a clone of the
    model, so the caller's forecasters are never fitted and every task starts from the
    same ``random_state``); the scoring runs in the calling process.

    Parameters
    ----------
    models : dict of str to forecaster
        As returned by :func:`~forecast.evaluation.compare.check_models`; cloned for every
        series (never modified).
    data : dict of Series or DataFrame
        The series, one per key or column. Leading NaN of each series are trimmed (see
        :func:`series_dict`); any other missing value raises.
    schedule : WalkForward
        Horizon, step, window, train_size, warm_start (``start`` and ``refit_every`` are
        set per series and model).
    test_size, refit_every, coverage, progress
        As in :func:`forecast.compare`, for every series.
    n_jobs : int or None, default=None
        Series compared at once by :class:`joblib.Parallel` (None: 1; -1: all cores). The
        results do not depend on it.
    scheduler : str or dask.distributed.Client, optional
        A Dask scheduler address (``"tcp://host:8786"``) or client: the series run on that
        cluster through ``joblib.parallel_config(backend="dask")``.
    global_models : mapping of str to GlobalRNNForecaster, optional
        Models trained across all series (see :mod:`forecast.models.global_rnn`), listed
        in the results and the summary beside ``models``. **No forecast of a global model
        depends on an observation of any series dated after its origin**, even when the
        series end on different dates (see
        :func:`~forecast.models.rnn.global_series.global_forecasters`): the network that
        forecasts series ``s`` from its first origin ``t`` (the date of its last training
        observation) is a clone fitted with ``fit_many`` on every series truncated at ``t``
        (observations dated on or before ``t``); between refits its state moves over the
        test data of ``s`` alone, by ``update``. Series that share their dates share one
        fit, so on series that end on the same date this is the single fit on every
        series' data before its first target. A global model is refit only when
        ``refit_every`` is a mapping that names it (a single ``refit_every`` value applies
        to the per-series ``models`` only): at each refit origin ``t`` of ``s`` its network
        is again fitted on every series truncated at ``t``. The fits run in the calling
        process.

    Returns
    -------
    CompareResult
        ``results`` (one SeriesComparison per series), ``summary``, ``to_markdown()``,
        ``to_csv()``.

    Raises
    ------
    ValueError, TypeError
        Bad settings, or a series that is too short or has interior NaN (named).
    ImportError
        ``scheduler`` given but Dask is not installed (``pip install forecast[dask]``).

    Examples
    --------
    >>> import forecast
    >>> wide = forecast.load_dataset("stocks_monthly")
    >>> from forecast.evaluation.compare import check_models
    >>> models = check_models({"AR(1)": forecast.ARForecaster(order=1)})
    >>> res = compare_many(models, wide, WalkForward(), test_size=12)
    >>> int(res.summary.loc[("AR(1)", 1), "n_series"])
    5
    """
    test_size = check_int(test_size, "test_size", min_value=1)
    coverage = check_coverage(coverage)
    global_models = _check_global(global_models, models)
    refit = refit_schedule(refit_every, list(models) + list(global_models))
    if not isinstance(refit_every, Mapping):  # one value: the per-series models only
        refit.update(dict.fromkeys(global_models))
    n_jobs = check_n_jobs(n_jobs)
    tasks = {}
    for name, s in series_dict(data).items():
        tasks[name] = check_target(s, f"series {name!r}", schedule, test_size=test_size)
    # global models: at each origin, trained on every series up to that origin's date
    views = {name: global_forecasters(g, tasks, horizon=schedule.horizon, step=schedule.step,
                                      refit_every=refit[name])
             for name, g in global_models.items()}
    per_series = {series: {**models, **{name: v[series] for name, v in views.items()}}
                  for series in tasks}
    # the slow fits (recurrent networks) first, so that no worker is left with them at the end
    slow = [name for name in models if family(models[name]) == RNN_FAMILY]
    order = slow + [name for name in models if name not in slow]
    jobs = [(series, name) for name in order for series in tasks]
    jobs = [(series, name) for name in global_models for series in tasks] + jobs
    logger.info("comparing %d models on %d series: %d backtests (n_jobs=%s, scheduler=%s)",
                len(models), len(tasks), len(jobs), n_jobs, scheduler)
    with parallel_backend(scheduler):
        parallel = Parallel(n_jobs=-1 if scheduler is not None else n_jobs)
        done = parallel(
            delayed(_task)(name, per_series[series][name], tasks[series][0],
                           schedule.replace(start=tasks[series][1], refit_every=refit[name]),
                           coverage=model_coverage(per_series[series][name], coverage),
                           progress=progress)
            for series, name in jobs
        )
    runs: dict[str, dict[str, Any]] = {series: {} for series in tasks}
    for (series, name), run in zip(jobs, done, strict=True):
        runs[series][name] = run
    results = {
        series: score_series(per_series[series], runs[series], y,
                             schedule.replace(start=start), refit, coverage=coverage)
        for series, (y, start) in tasks.items()
    }
    settings = {"horizon": schedule.horizon, "test_size": test_size, "step": schedule.step,
                "window": schedule.window, "refit_every": dict(refit), "n_jobs": n_jobs,
                "n_obs": {k: len(y) for k, (y, _) in tasks.items()}}
    return CompareResult(results=results, summary=summarize(results, REFERENCE),
                         reference=REFERENCE, shared_settings=settings)


def backtest_many(
    forecaster: Any,
    data: Any,
    schedule: WalkForward,
    *,
    coverage: float | None = None,
    progress: bool = False,
    model_name: str | None = None,
    n_jobs: int | None = None,
    scheduler: Any = None,
) -> pd.DataFrame:
    """Backtest one forecaster on many series, in parallel; the frames stacked.

    Parameters
    ----------
    forecaster : forecaster or GlobalRNNForecaster
        Cloned for every series (never modified). A global model (one with ``fit_many``)
        is trained across the series without look-ahead, as described in
        :func:`~forecast.models.rnn.global_series.global_forecasters` (``refit_every`` refits
        it).
    data : dict of Series or DataFrame
        The series; leading NaN of each are trimmed (see :func:`series_dict`). An integer
        ``start`` is a position in each trimmed series; prefer a fraction or a date.
    schedule : WalkForward
        The origins of every series.
    coverage, progress, model_name
        As in :func:`forecast.backtest`.
    n_jobs, scheduler
        As in :func:`compare_many`.

    Returns
    -------
    DataFrame
        The columns of :func:`forecast.backtest` after a leading ``series`` column.

    Examples
    --------
    >>> import forecast
    >>> wide = forecast.load_dataset("stocks_monthly")
    >>> bt = backtest_many(forecast.NaiveForecaster(), wide, WalkForward(start=-12))
    >>> bt.groupby("series").size().tolist()
    [12, 12, 12, 12, 12]
    """
    n_jobs = check_n_jobs(n_jobs)
    series = series_dict(data)
    models = dict.fromkeys(series, forecaster)
    if callable(getattr(forecaster, "fit_many", None)) and not isinstance(forecaster, type):
        models = _global_backtest_models(forecaster, series, schedule)
        if model_name is None:
            model_name = type(forecaster).__name__
    with parallel_backend(scheduler):
        parallel = Parallel(n_jobs=-1 if scheduler is not None else n_jobs)
        frames = parallel(delayed(_backtest_task)(models[name], y, schedule, coverage=coverage,
                                                  progress=progress, model_name=model_name)
                          for name, y in series.items())
    for name, frame in zip(series, frames, strict=True):
        frame.insert(0, "series", name)
    return pd.concat(frames, ignore_index=True)


def _global_backtest_models(model: Any, series: dict[str, pd.Series],
                            schedule: WalkForward) -> dict[str, Any]:
    """The forecasters of :func:`global_forecasters` for ``backtest_many(model, ...)``."""
    tasks = {}
    for name, y in series.items():
        values, index = check_series(y, f"series {name!r}", min_length=2)
        first = first_target(schedule.start, index, len(values))
        tasks[name] = (pd.Series(values, index=index, name=name), first)
    return global_forecasters(model, tasks, horizon=schedule.horizon, step=schedule.step,
                              refit_every=schedule.refit_every)


def _backtest_task(forecaster: Any, y: pd.Series, schedule: WalkForward,
                   **options: Any) -> pd.DataFrame:
    with threadpool_limits(limits=1):
        return run_backtest(clone(forecaster), y, schedule, **options)[0]


def _check_global(global_models: Any, models: Mapping[str, Any]) -> dict[str, Any]:
    """``global_models`` as a dict of models with ``fit_many``, names distinct from models."""
    if global_models is None:
        return {}
    if not isinstance(global_models, Mapping):
        raise TypeError(f"global_models must be a mapping of names to GlobalRNNForecaster, "
                        f"got {type(global_models).__name__}")
    for name, g in global_models.items():
        if name in models:
            raise ValueError(f"global_models[{name!r}] has the name of one of the models "
                             f"{list(models)}; give it another name")
        if not callable(getattr(g, "fit_many", None)) or isinstance(g, type):
            raise TypeError(f"global_models[{name!r}] must be a model with fit_many (a "
                            f"GlobalRNNForecaster instance), got {g!r}")
    return dict(global_models)


def check_n_jobs(n_jobs: Any) -> int | None:
    """``n_jobs`` for :class:`joblib.Parallel`: None, a positive count or -1 (all cores)."""
    if n_jobs is None:
        return None
    n_jobs = check_int(n_jobs, "n_jobs")
    if n_jobs == 0:
        raise ValueError("n_jobs must be a positive number of workers or -1 (all), got 0")
    return n_jobs


def _task(name: str, model: Any, y: pd.Series, schedule: WalkForward, **options: Any) -> Any:
    """One model's backtest on one series, on a fresh clone, with one BLAS thread."""
    with threadpool_limits(limits=1):
        return backtest_model(name, clone(model), y, schedule, **options)


@contextlib.contextmanager
def parallel_backend(scheduler: Any) -> Iterator[None]:
    """joblib's default backend, or its ``"dask"`` backend on ``scheduler``."""
    if scheduler is None:
        yield
        return
    try:
        from dask.distributed import Client
    except ImportError as err:
        raise ImportError(
            f"scheduler={scheduler!r} needs Dask, which is not installed ({err}); "
            f"install it with `{DASK_HINT}`"
        ) from None
    from joblib import parallel_config

    if isinstance(scheduler, Client):
        with parallel_config(backend="dask", client=scheduler):
            yield
        return
    if not isinstance(scheduler, str):
        raise TypeError(f"scheduler must be a Dask scheduler address (str) or a "
                        f"dask.distributed.Client, got {type(scheduler).__name__}")
    with Client(scheduler, set_as_default=False) as client:
        logger.info("attached to the Dask cluster at %s", scheduler)
        with parallel_config(backend="dask", client=client):
            yield
