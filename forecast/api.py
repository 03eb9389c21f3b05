"""The user-facing evaluation: :func:`backtest` and :func:`compare`, on one series or many,
and :func:`compare_direction` for forecasts of P(up) on one series.

This is the only place that tells one series from many: a dict of series or a wide
DataFrame goes to :mod:`forecast.evaluation.many`, anything else to the single-series code
of :mod:`forecast.evaluation.backtest` and :mod:`forecast.evaluation.compare`. The keyword
settings of the walk-forward become one validated
:class:`~forecast.evaluation.schedule.WalkForward` here.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any, Literal

import pandas as pd

from forecast.evaluation.backtest import check_forecaster, run_backtest
from forecast.evaluation.compare import check_models, compare_series
from forecast.evaluation.direction import DirectionComparison, compare_direction_series
from forecast.evaluation.many import backtest_many, compare_many
from forecast.evaluation.results import CompareResult
from forecast.evaluation.schedule import WalkForward
from forecast.evaluation.scoring import summarize
from forecast.models.direction import forecasts_direction

__all__ = ["backtest", "compare", "compare_direction"]


def is_many(y: Any) -> bool:
    """Whether ``y`` holds many series: a mapping of series or a (wide) DataFrame."""
    return isinstance(y, (Mapping, pd.DataFrame))


def backtest(
    forecaster: Any,
    y: Any,
    *,
    start: int | float | str | _dt.date | pd.Timestamp = 0.8,
    horizon: int = 1,
    step: int = 1,
    refit_every: int | None = None,
    window: Literal["expanding", "rolling"] = "expanding",
    train_size: int | None = None,
    warm_start: bool = True,
    X: Any = None,
    X_known: Any = None,
    coverage: float | None = None,
    progress: bool = False,
    model_name: str | None = None,
    n_jobs: int | None = None,
    scheduler: Any = None,
) -> pd.DataFrame:
    """Evaluate a forecaster from rolling origins, using at each origin only the past.

    ``y`` may also hold many series (a dict of Series or a wide DataFrame): each is
    backtested on its own (see :func:`forecast.evaluation.many.backtest_many`, which
    ``n_jobs`` and ``scheduler`` are for) and the frames are stacked with a leading
    ``series`` column.

    The settings ``start`` .. ``warm_start`` make a
    :class:`~forecast.evaluation.schedule.WalkForward`, whose documentation says which
    origins they give and what happens between them: at the origin whose first target is
    position ``q`` the forecaster has seen exactly ``y[:q]`` (its last observation,
    ``y[q - 1]``, is the *origin*) and forecasts ``y[q : q + horizon]``; it is fitted at
    the first origin, refit every ``refit_every`` origins and otherwise moved on by
    ``update``.

    Forecasts are paired with actuals by step (the s-th value after the origin), not by the
    label the forecaster puts on them, because a business-day calendar does not know the
    exchange holidays; the ``target`` column holds the label of the actual observation.

    Parameters
    ----------
    forecaster : forecaster
        Any object following the forecaster contract (``fit``, ``predict``, ``update``,
        and ``predict_interval`` when ``coverage`` is given) that scikit-learn can
        ``clone``. It is not modified.
    y : pandas.Series or 1-D array-like of shape (n,)
        The series, oldest first (a DatetimeIndex or integer index; arrays get a RangeIndex).
    start, horizon, step, refit_every, window, train_size, warm_start
        The walk-forward, see :class:`~forecast.evaluation.schedule.WalkForward`: the first
        forecast target (a position, a fraction or a date), the steps forecast at each
        origin, the observations between origins, the refit period in origins (None: fit
        once), the refit's training data (``"expanding"`` or ``"rolling"``), the rolling
        window's length and whether an expanding refit goes through
        ``update(y_new, refit=True)``.
    X : DataFrame or array-like of shape (n, n_features), optional
        Observed covariates aligned with ``y`` by position. Sliced like ``y`` and passed as
        ``fit(y, X=...)`` and ``update(y_new, X=...)`` (rows up to the origin only).
    X_known : DataFrame or array-like of shape (n, n_known), optional
        Known-in-advance covariates (calendar), aligned with ``y`` by position: passed like
        ``X``, and their rows of the forecast targets as ``predict(horizon, X_known=...)``
        (see :mod:`forecast.models.covariates`).
    coverage : float in (0, 1), optional
        Also ask ``predict_interval(horizon, coverage)`` and add ``lower`` and ``upper``
        columns.
    progress : bool, default=False
        Show a tqdm progress bar over origins (only on a terminal).
    model_name : str, optional
        The ``model`` column; default the forecaster's class name.

    Returns
    -------
    pandas.DataFrame
        One row per (origin, step), ordered by origin then step, with columns ``origin``
        (label of the last observation seen), ``target`` (label of the forecast observation),
        ``step`` (1..horizon), ``forecast``, ``actual``, ``model`` (and ``lower``, ``upper``
        when ``coverage`` is given; ``prob_up``, the forecast P(up), for a forecaster of
        the direction such as :class:`~forecast.models.direction.DirectionForecaster`,
        whose ``forecast`` is its call, 1.0 up or 0.0).

    Raises
    ------
    ValueError
        If ``start`` leaves no origin with a full horizon, is tz-aware and ``y`` is not (or
        the reverse), the arguments are out of range,
        ``X`` does not match ``y`` in length, or the forecaster returns a forecast of the
        wrong length or with NaN/inf (naming the origin).
    TypeError
        For a ``start`` of the wrong type, a date ``start`` on an integer index, or a
        ``forecaster`` that is not a forecaster instance (a class, ``None``, a scikit-learn
        regressor; see :func:`check_forecaster`).

    Examples
    --------
    >>> import forecast
    >>> y = forecast.load_dataset("sp500")["close"]
    >>> rw = forecast.NaiveForecaster(strategy="last")
    >>> bt = backtest(rw, y, start="2018-12-24", horizon=2)
    >>> bt[["origin", "target", "step"]].astype(str).values.tolist()[:2]
    [['2018-12-21', '2018-12-24', '1'], ['2018-12-21', '2018-12-26', '2']]
    >>> len(bt), bool((bt["forecast"] == bt["forecast"].iloc[0]).iloc[:2].all())
    (8, True)
    """
    many = is_many(y)
    if not (many and callable(getattr(forecaster, "fit_many", None))):  # global: many only
        check_forecaster(forecaster, interval=coverage is not None)
    for name, value in (("X", X), ("X_known", X_known)):
        if many and value is not None:
            raise ValueError(
                f"{name} is not supported with many series; backtest each series alone"
            )
    schedule = WalkForward(start=start, horizon=horizon, step=step, refit_every=refit_every,
                           window=window, train_size=train_size, warm_start=warm_start)
    options = dict(coverage=coverage, progress=progress, model_name=model_name)
    if many:
        return backtest_many(forecaster, y, schedule, n_jobs=n_jobs, scheduler=scheduler,
                             **options)
    frame, _ = run_backtest(forecaster, y, schedule, X=X, X_known=X_known, **options)
    return frame


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
) -> CompareResult:
    """Backtest several forecasters on the same origins and compare them with the random walk.

    The random walk (``NaiveForecaster(strategy="last")``, named ``"Random walk"``) is
    always included: it is added first unless ``models`` already has an entry of that name,
    which is then the reference. Every model is backtested from the same origins: the
    forecast targets are the last ``test_size`` observations, and each model is first fitted
    on everything before them.

    Scores (per model and per forecast step; the formulas are in
    :mod:`forecast.evaluation.scoring`):

    * price scale: MAE, RMSE, MAPE, sMAPE, MASE (scaled by the in-sample naive MAE of the
      training part), Theil's U2, R^2, skill ``1 - MSE / MSE(random walk)``, the
      Diebold-Mariano statistic and p-value against the random walk (squared loss,
      two-sided, HLN-corrected), directional accuracy with its binomial p-value, and the
      lag-trap statistics ``lag_corr``, ``rw_distance`` and the ``lag_trap`` flag;
    * return scale (positive series only): the same comparison of ``log(F / L)`` with
      ``log(A / L)``, ``L`` the last observed value at the origin;
    * pairwise Diebold-Mariano tests: each model against the random walk, and each
      model of the ``"rnn"`` family against each of the ``"ar"`` family (the class
      attribute ``family``: ``RNNForecaster`` and ``ARForecaster``), on both scales.

    A model flagged as a lag trap (a price R^2 that looks good while the skill against the
    random walk is <= 0 or the forecasts hardly leave the last price) is logged as a
    warning. With ``coverage``, the prediction intervals are scored and tested too, and a
    model whose coverage differs from nominal is flagged in the same way.

    Parameters
    ----------
    models : mapping of str to forecaster
        Display name -> unfitted forecaster following the forecaster contract. Not modified.
    y : pandas.Series, 1-D array-like, dict of Series or DataFrame
        The price series, oldest first; many series as a dict or as the columns of a
        DataFrame (leading NaN of each trimmed, see :func:`forecast.evaluation.many.compare_many`).
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
    window, train_size, warm_start, progress
        As in :func:`forecast.backtest`.
    coverage : float in (0, 1), optional
        Also score prediction intervals of this nominal coverage (e.g. 0.9): every model
        that has ``predict_interval`` is backtested with its central intervals (``lower``,
        ``upper`` in ``backtests``; NaN for a model without intervals, which is not an
        error here) and the ``intervals`` table gives per (model, step) the empirical
        coverage, the mean width on the price and return scales, the interval (Winkler)
        score, the Kupiec and Christoffersen p-values and, for the AR and naive
        forecasters (Gaussian intervals), the CRPS of the Normal predictive the interval
        implies (formulas in :mod:`forecast.evaluation.intervals`). A model whose coverage
        differs from nominal (Kupiec p < 0.05) is flagged (``coverage_flags``), logged as a
        warning and named in ``to_markdown()``, as lag traps are. None (default): no
        intervals, nothing of this is computed.
    n_jobs : int or None, default=None
        Many series only: series compared in parallel by :class:`joblib.Parallel` (None:
        one, -1: all cores). Results are identical to a serial run (see
        :func:`forecast.evaluation.many.compare_many`).
    scheduler : str or dask.distributed.Client, optional
        Many series only: run on this Dask cluster (scheduler address or client) through
        joblib's ``"dask"`` backend; needs ``pip install forecast[dask]``.
    global_models : mapping of str to GlobalRNNForecaster, optional
        Many series only: one network trained across all series, compared beside the
        per-series models. At each origin ``t`` of a series, the global network it uses was
        trained on every series truncated at ``t``'s date, so no forecast depends on an
        observation of any series dated after its origin, even when the series end on
        different dates; ``refit_every`` refits a global model only as a mapping that names
        it (see :func:`forecast.evaluation.many.compare_many`).

    Returns
    -------
    CompareResult
        One :class:`~forecast.evaluation.results.SeriesComparison` per series in
        ``results`` (``result[name]``) and the ``summary`` across series. For one series it
        reads as that series' comparison: ``backtests``, ``metrics`` (price scale),
        ``return_metrics``, ``tests``, ``intervals`` (with ``coverage``), the fitted
        ``models`` as they stand after the last origin, and reporting helpers
        ``to_markdown()``, ``to_csv()`` and ``plot()``. For a
        dict of series or a wide DataFrame (one series per column, see
        :func:`forecast.evaluation.many.compare_many`) ``to_markdown()`` and ``to_csv()``
        give the summary and then each series.

    Raises
    ------
    ValueError
        For a ``test_size`` that leaves too little training data or too few origins,
        ``refit_every`` naming an unknown model, or a ``coverage`` outside (0, 1).
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
    many = is_many(y)
    if not many and global_models is not None:
        raise ValueError("global_models are trained across many series: pass y as a dict of "
                         f"series or a DataFrame, got a single series ({type(y).__name__})")
    for name, model in (models.items() if isinstance(models, Mapping) else ()):
        if forecasts_direction(model):
            raise TypeError(f"models[{name!r}] forecasts P(up), not prices: score it against "
                            "the base rate with forecast.compare_direction")
    models = check_models(models)
    schedule = WalkForward(horizon=horizon, step=step, window=window, train_size=train_size,
                           warm_start=warm_start)
    options = dict(test_size=test_size, refit_every=refit_every, coverage=coverage,
                   progress=progress)
    if many:
        return compare_many(models, y, schedule, n_jobs=n_jobs, scheduler=scheduler,
                            global_models=global_models, **options)
    result = compare_series(models, y, schedule, **options)
    name = str(y.name) if getattr(y, "name", None) is not None else "y"
    return CompareResult(
        results={name: result},
        summary=summarize({name: result}, result.reference),
        reference=result.reference,
        shared_settings=dict(result.settings),
        one_series=True,
    )


def compare_direction(
    models: Mapping[str, Any],
    y: Any,
    *,
    test_size: int = 500,
    threshold: float = 0.0,
    refit_every: int | None | Mapping[str, int | None] = None,
    window: Literal["expanding", "rolling"] = "expanding",
    train_size: int | None = None,
    warm_start: bool = True,
    progress: bool = False,
) -> DirectionComparison:
    """Backtest forecasts of P(up) one day ahead and score them against the base rate.

    The base rate (named ``"Base rate"``), the share of days whose log return exceeded
    ``threshold`` among all days before each origin, is the direction analogue of the
    random walk and is always included. Each model is backtested from the same origins
    (the targets are the last ``test_size`` prices, horizon 1) with the past only, and
    scored by the Brier score, its skill against the base rate with a Diebold-Mariano
    p-value on the Brier losses, the log loss and the hit rate with an exact binomial
    p-value against always calling the more frequent direction (formulas in
    :mod:`forecast.evaluation.direction`).

    Parameters
    ----------
    models : mapping of str to forecaster of P(up)
        Display name -> unfitted forecaster whose ``family`` is "direction", e.g.
        ``{"Logistic AR(5)": DirectionForecaster(LogisticRegression(), window=5)}``;
        each model's ``threshold`` must equal ``threshold``. Not modified.
    y : pandas.Series or 1-D array-like
        Positive prices, oldest first (one series).
    test_size : int, default=500
        The number of final prices that are forecast targets (one origin each).
    threshold : float, default=0.0
        "Up" means a log return above it (finite).
    refit_every, window, train_size, warm_start, progress
        As in :func:`compare` (``refit_every`` per model name as a mapping; the base rate
        uses every past day at every origin).

    Returns
    -------
    DirectionComparison
        ``backtests`` (with ``prob_up``, ``last`` and the outcome ``up``), ``metrics``
        indexed by model, the fitted ``models``, ``settings``, ``to_markdown()``,
        ``to_csv(folder)`` and ``plot()`` (the reliability diagram).

    Raises
    ------
    TypeError
        If ``models`` is not a mapping of names to forecasters of P(up) (a price
        forecaster goes to :func:`compare`).
    ValueError
        For a ``threshold`` that is not finite or differs from a model's, prices <= 0, a
        ``test_size`` that leaves too little data, or many series.

    Examples
    --------
    >>> import forecast
    >>> from sklearn.linear_model import LogisticRegression
    >>> y = forecast.load_dataset("sp500")["close"]
    >>> model = forecast.DirectionForecaster(LogisticRegression(), window=5)
    >>> res = compare_direction({"Logistic AR(5)": model}, y, test_size=50, refit_every=25)
    >>> res.metrics.index.tolist()
    ['Base rate', 'Logistic AR(5)']
    """
    if is_many(y):
        raise ValueError(f"compare_direction scores one series, got {type(y).__name__} of "
                         "many; call it once per series")
    schedule = WalkForward(window=window, train_size=train_size, warm_start=warm_start)
    return compare_direction_series(models, y, schedule, test_size=test_size,
                                    threshold=threshold, refit_every=refit_every,
                                    progress=progress)
