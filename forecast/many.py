"""Compare forecasters on many series, in parallel with joblib or on a Dask cluster.

:func:`compare_many` runs the single-series comparison of :mod:`forecast.comparison` once
per series. The series are independent tasks for :class:`joblib.Parallel`; each task works
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

from forecast._multi import MultiCompareResult, summarize
from forecast._result import CompareResult
from forecast._validation import check_choice, check_int

logger = logging.getLogger(__name__)

__all__ = ["MultiCompareResult", "compare_many", "series_dict"]

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
    models: Mapping[str, Any],
    data: Any,
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
) -> MultiCompareResult:
    """Compare the same forecasters on many series, in parallel.

    Each series is compared as by :func:`forecast.compare` (random walk included, last
    ``test_size`` observations as targets); the per-series results are summarised across
    series by :func:`forecast._multi.summarize`: median skill against the random walk and
    the number of series significantly better or worse under Diebold-Mariano (5 %).

    Parameters
    ----------
    models : mapping of str to forecaster
        As in :func:`forecast.compare`; cloned for every series (never modified).
    data : dict of Series or DataFrame
        The series, one per key or column. Leading NaN of each series are trimmed (see
        :func:`series_dict`); any other missing value raises.
    horizon, test_size, step, refit_every, window, train_size, warm_start, coverage, progress
        As in :func:`forecast.compare`, for every series.
    n_jobs : int or None, default=None
        Series compared at once by :class:`joblib.Parallel` (None: 1; -1: all cores). The
        results do not depend on it.
    scheduler : str or dask.distributed.Client, optional
        A Dask scheduler address (``"tcp://host:8786"``) or client: the series run on that
        cluster through ``joblib.parallel_config(backend="dask")``.

    Returns
    -------
    MultiCompareResult
        ``results`` (one CompareResult per series), ``summary``, ``to_markdown()``,
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
    >>> res = compare_many({"AR(1)": forecast.ARForecaster(order=1)}, wide, test_size=12)
    >>> int(res.summary.loc[("AR(1)", 1), "n_series"])
    5
    """
    from forecast.comparison import _check_models, _check_target, _refit_schedule

    models = _check_models(models)
    horizon = check_int(horizon, "horizon", min_value=1)
    step = check_int(step, "step", min_value=1)
    test_size = check_int(test_size, "test_size", min_value=1)
    check_choice(window, "window", ("expanding", "rolling"))
    refit = _refit_schedule(refit_every, list(models))
    if n_jobs is not None:
        n_jobs = check_int(n_jobs, "n_jobs")
        if n_jobs == 0:
            raise ValueError("n_jobs must be a positive number of workers or -1 (all), got 0")
    tasks = {}
    for name, s in series_dict(data).items():
        tasks[name] = _check_target(s, f"series {name!r}", horizon=horizon, step=step,
                                    test_size=test_size)
    options = dict(horizon=horizon, step=step, refit=refit, window=window,
                   train_size=train_size, warm_start=warm_start, coverage=coverage,
                   progress=progress)
    logger.info("comparing %d models on %d series (n_jobs=%s, scheduler=%s)", len(models),
                len(tasks), n_jobs, scheduler)
    with _backend(scheduler):
        parallel = Parallel(n_jobs=-1 if scheduler is not None else n_jobs)
        done = parallel(
            delayed(_task)(models, y, start=start, **options) for y, start in tasks.values()
        )
    results = dict(zip(tasks, done, strict=True))
    from forecast.comparison import REFERENCE

    settings = {"horizon": horizon, "test_size": test_size, "step": step, "window": window,
                "refit_every": dict(refit), "n_jobs": n_jobs,
                "n_obs": {k: len(y) for k, (y, _) in tasks.items()}}
    return MultiCompareResult(results=results, summary=summarize(results, REFERENCE),
                              reference=REFERENCE, settings=settings)


def _task(models: dict[str, Any], y: pd.Series, *, start: int, **options: Any) -> CompareResult:
    """One series' comparison, on fresh clones, with one BLAS thread."""
    from forecast.comparison import _compare_one

    with threadpool_limits(limits=1):
        fresh = {name: clone(model) for name, model in models.items()}
        return _compare_one(fresh, y, start=start, **options)


@contextlib.contextmanager
def _backend(scheduler: Any) -> Iterator[None]:
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
