"""One forecaster's walk-forward: rolling origins, each forecast made from the past only.

:func:`run_backtest` walks a forecast origin through the series as a :class:`WalkForward`
schedules it. At every origin the forecaster has seen only the observations up to and
including the origin; it forecasts the next ``horizon`` values, which are then paired with
what happened. Between refits the forecaster's state is moved forward with ``update``, as a
deployed model would be. :func:`forecast.backtest` is the user-facing entry.

Covariates follow :mod:`forecast.models.covariates`: ``X`` (observed) and ``X_known`` (known
in advance) have one row per observation of ``y``; ``fit`` and ``update`` get the rows of
the observations they get, and ``predict`` the rows of ``X_known`` of the forecast targets
``q .. q + horizon - 1`` (as an array: positions, not dates, since a business-day calendar
does not know the exchange holidays). No row after the origin of ``X`` is ever passed.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from tqdm.std import tqdm  # text bar: no ipywidgets needed in notebooks

from forecast._validation import check_float, check_series
from forecast.evaluation.intervals import distribution_crps, gives_distribution
from forecast.evaluation.schedule import WalkForward
from forecast.models.base import walks_by_position
from forecast.models.direction import forecasts_direction

logger = logging.getLogger(__name__)

__all__ = ["COLUMNS", "check_forecaster", "run_backtest"]

#: the columns of the frame returned by :func:`forecast.backtest`, in order
COLUMNS = ["origin", "target", "step", "forecast", "actual", "model"]


def check_forecaster(forecaster: Any, name: str = "forecaster", *, interval: bool = False) -> Any:
    """Return ``forecaster`` if it follows the forecaster contract, else raise ``TypeError``.

    A forecaster is an *instance* with ``fit``, ``predict`` and ``update`` (and
    ``predict_interval`` when ``interval``) that scikit-learn can ``clone`` (it has
    ``get_params``). The message names ``name``, what was received and the fix: a class
    is to be called, a scikit-learn regressor (no ``update``) works on the windows of
    :func:`forecast.make_windows` instead.

    Parameters
    ----------
    forecaster : object
        What the caller received.
    name : str, default="forecaster"
        How the caller calls it in the message, e.g. ``"models['AR']"``.
    interval : bool, default=False
        Also require ``predict_interval`` (a backtest with ``coverage``).

    Returns
    -------
    The same object.

    Raises
    ------
    TypeError
        For a class, ``None`` or any object missing a method of the contract.
    """
    example = "e.g. NaiveForecaster() or ARForecaster(order=20)"
    if isinstance(forecaster, type):
        raise TypeError(
            f"{name} must be a forecaster instance, got the class {forecaster.__name__}; "
            f"call it: {forecaster.__name__}()"
        )
    methods = ("fit", "predict", "update", "get_params")
    if interval:
        methods += ("predict_interval",)
    missing = [m for m in methods if not callable(getattr(forecaster, m, None))]
    if not missing:
        return forecaster
    if forecaster is None:
        raise TypeError(f"{name} must be a forecaster instance, got None; pass one, {example}")
    if callable(getattr(forecaster, "fit_many", None)):  # a global model
        raise TypeError(
            f"{name} is the global model {forecaster!r}, which is trained across series: pass "
            "a dict of series and give it as global_models={'name': model} to compare, or "
            "in a backtest over a dict of series"
        )
    kind = type(forecaster).__name__
    if missing == ["predict_interval"]:
        raise TypeError(
            f"{name}={kind} has no predict_interval, which coverage needs; pass coverage=None "
            "or a forecaster with intervals"
        )
    fix = f"pass a forecaster, {example}"
    if callable(getattr(forecaster, "fit", None)) and callable(
        getattr(forecaster, "predict", None)
    ):
        fix = (
            "a scikit-learn estimator fits windows, not a series: use it on "
            f"forecast.make_windows(y, window=...), or pass a forecaster, {example}"
        )
    raise TypeError(
        f"{name} must be a forecaster with fit, predict and update that scikit-learn can "
        f"clone; got {forecaster!r} of type {kind} (no {', '.join(missing)}); {fix}"
    )


def run_backtest(
    forecaster: Any,
    y: Any,
    schedule: WalkForward,
    *,
    X: Any = None,
    X_known: Any = None,
    coverage: float | None = None,
    progress: bool = False,
    model_name: str | None = None,
) -> tuple[pd.DataFrame, Any]:
    """Backtest ``forecaster`` on one series; also return it as it stands after the last origin.

    A forecaster that keeps the contract's own ``update`` and ``predict`` (AR and naive, see
    :func:`~forecast.models.base.walks_by_position`; a class that overrides either is
    always called through them) gets its new observations by position through
    ``update_slice`` and is asked for ``forecast_values(horizon)`` (the values of
    ``predict``): the same numbers without building two pandas objects per origin, which
    made the walk-forward of an AR(20) with a refit at every origin about 3x faster
    (``benchmarks/bench_ar_walkforward.py``). A rolling window whose refits the forecaster
    can make by sliding (``forecaster.slides_window(train_size)``, AR with an int order) is
    fitted once and then refit through ``update(..., refit=True)`` on a clone with
    ``window=train_size``: the same forecasts as a fresh fit per window, in O(k^2) per row;
    with a refit at every consecutive origin and ``horizon=1`` (no covariates, intervals or
    P(up)), the origins after the first go to ``forecaster.walk_rolling`` in one call
    (:mod:`forecast.models.ar_rolling`).
    A forecaster of P(up) (see
    :func:`~forecast.models.direction.forecasts_direction`) is asked for
    ``forecast_values`` and ``proba_values``, and its P(up) is recorded as ``prob_up``.

    Parameters
    ----------
    forecaster : forecaster
        Follows the forecaster contract (see :func:`check_forecaster`); cloned, not modified.
    y : pandas.Series or 1-D array-like of shape (n,)
        The series, oldest first.
    schedule : WalkForward
        The origins, refits and training windows.
    X, X_known, coverage, progress, model_name
        As in :func:`forecast.backtest`.

    Returns
    -------
    frame : DataFrame
        The backtest, columns :data:`COLUMNS` (and ``lower``, ``upper`` with ``coverage``,
        and ``crps`` then for a model with a predictive distribution, see
        :func:`~forecast.evaluation.intervals.distribution_crps`).
    model : forecaster
        The clone used at the last origin.

    Examples
    --------
    >>> import forecast
    >>> y = forecast.load_dataset("sp500")["close"]
    >>> frame, _ = run_backtest(forecast.NaiveForecaster(), y, WalkForward(start=-3))
    >>> len(frame)
    3
    """
    check_forecaster(forecaster, interval=coverage is not None)
    values, index = check_series(y, "y", min_length=2)
    n = len(values)
    if coverage is not None:
        coverage = check_float(coverage, "coverage", min_value=0, max_value=1, inclusive=False)
    plan = schedule.plan(index)
    horizon, refit_every, window = schedule.horizon, schedule.refit_every, schedule.window
    warm_start, train_size, targets = schedule.warm_start, plan.train_size, plan.targets
    exog, known = check_exog(X, n), check_exog(X_known, n, "X_known")
    series = pd.Series(values, index=index, name=getattr(y, "name", None))
    name = model_name if model_name is not None else type(forecaster).__name__

    n_origins = len(targets)
    forecasts = np.empty((n_origins, horizon))
    bounds = np.empty((n_origins, horizon, 2)) if coverage is not None else None
    # a forecaster of P(up) gives its call and P(up) as arrays: no labels built per origin
    direction = forecasts_direction(forecaster)
    prob_up = np.empty((n_origins, horizon)) if direction else None
    # a predictive distribution is scored by CRPS at each origin, as its band is recorded
    crps = np.empty((n_origins, horizon)) if bounds is not None and gives_distribution(
        forecaster) else None
    model = None
    seen = 0  # how many observations the current model has seen
    bar = tqdm(
        enumerate(targets),
        total=n_origins,
        desc=name,
        unit="origin",
        disable=None if progress else True,
        leave=False,
    )
    # forecasters that keep the contract's update and predict take their new observations
    # by position and give their forecasts as arrays: the same numbers, no pandas object.
    rows = {"X": _floats(exog), "X_known": _floats(known)}
    fast = walks_by_position(forecaster) and all(
        v is None or isinstance(v, np.ndarray) for v in rows.values()
    )
    fast_rows = {key: value for key, value in rows.items() if value is not None}
    slides = window == "rolling" and warm_start and _slides(forecaster, train_size)
    # a rolling refit at every consecutive origin, one step ahead: the whole run in one call
    walks = (slides and fast and refit_every == 1 and horizon == 1 and not fast_rows
             and bounds is None and not direction and n_origins > 1
             and int(targets[-1]) - int(targets[0]) == n_origins - 1
             and callable(getattr(forecaster, "walk_rolling", None)))
    for i, q in bar:
        q = int(q)
        if walks and i == 1:  # the same as update_slice and forecast_values at each origin
            lo = int(targets[0]) - train_size  # the model's history is values[lo:seen]
            forecasts[1:, 0] = model.walk_rolling(values[lo:], index[lo:], seen - lo,
                                                  int(targets[-1]) - lo)
            for j in np.flatnonzero(~np.isfinite(forecasts[:, 0]))[:1]:
                _checked(forecasts[j], horizon, name, index, int(targets[j]) - 1, "predict")
            bar.update(n_origins - 1)
            break
        refit = i == 0 or (refit_every is not None and i % refit_every == 0)
        fresh = window == "expanding" and not warm_start or window == "rolling" and not slides
        if refit and (i == 0 or fresh):
            lo = q - train_size if window == "rolling" else 0
            model = clone(forecaster)
            if slides:
                model.set_params(window=train_size)
            _call(model.fit, series.iloc[lo:q], exog, known, lo, q)
        elif fast:
            model.update_slice(values, index, seen, q, refit=refit, **fast_rows)
        else:
            _call(model.update, series.iloc[seen:q], exog, known, seen, q, refit=refit)
        seen = q
        ahead = {}  # the known covariates of the targets, by position
        if known is not None:
            ahead["X_known"] = _rows(rows["X_known"], q, q + horizon)
        if fast or direction:
            point = model.forecast_values(horizon, **ahead)
        else:
            point = model.predict(horizon, **ahead)
        forecasts[i] = _checked(point, horizon, name, index, q - 1, "predict")
        if bounds is not None:
            band = model.predict_interval(horizon, coverage=coverage, **ahead)
            for j, col in enumerate(("lower", "upper")):
                bounds[i, :, j] = _checked(
                    band[col], horizon, name, index, q - 1, "predict_interval"
                )
        if prob_up is not None:
            prob_up[i] = _checked(model.proba_values(horizon), horizon, name, index, q - 1,
                                  "predict_proba")
        if crps is not None:
            crps[i] = distribution_crps(model, values[q - 1], values[q : q + horizon])
    bar.close()
    logger.debug("backtest of %s: %d origins, horizon %d", name, n_origins, horizon)

    steps = np.tile(np.arange(1, horizon + 1), n_origins)
    target_pos = np.repeat(targets, horizon) + steps - 1
    frame = pd.DataFrame(
        {
            "origin": index[np.repeat(targets - 1, horizon)],
            "target": index[target_pos],
            "step": steps,
            "forecast": forecasts.ravel(),
            "actual": values[target_pos],
            "model": name,
        }
    )
    if bounds is not None:
        frame["lower"] = bounds[..., 0].ravel()
        frame["upper"] = bounds[..., 1].ravel()
    if prob_up is not None:
        frame["prob_up"] = prob_up.ravel()
    if crps is not None:
        frame["crps"] = crps.ravel()
    return frame, model


def check_exog(X: Any, n: int, name: str = "X") -> Any:
    """``X`` (if given) as a frame or array with one row per observation of ``y``."""
    if X is None:
        return None
    if not hasattr(X, "iloc"):
        X = np.asarray(X)
    if len(X) != n:
        raise ValueError(
            f"{name} must have one row per observation of y: len({name})={len(X)}, len(y)={n}"
        )
    return X


def _slides(forecaster: Any, train_size: int) -> bool:
    """Whether the forecaster's rolling refits can slide (see :func:`run_backtest`)."""
    slides_window = getattr(forecaster, "slides_window", None)
    return callable(slides_window) and bool(slides_window(train_size))


def _floats(X: Any) -> Any:
    """``X`` as a float64 array when it is numeric (the rows the forecaster gets by
    position), else as given (the forecaster refuses it, naming it)."""
    if X is None:
        return None
    try:
        return np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        return X


def _rows(X: Any, lo: int, hi: int) -> Any:
    return X.iloc[lo:hi] if hasattr(X, "iloc") else X[lo:hi]


def _call(
    method: Any, y_part: pd.Series, exog: Any, known: Any, lo: int, hi: int, **kwargs: Any
) -> None:
    """Call ``fit`` or ``update`` with ``y[lo:hi]`` (and the rows ``lo:hi`` of ``X`` and
    ``X_known`` when they are given)."""
    if exog is not None:
        kwargs["X"] = _rows(exog, lo, hi)
    if known is not None:
        kwargs["X_known"] = _rows(known, lo, hi)
    method(y_part, **kwargs)


def _checked(
    values: Any, horizon: int, name: str, index: pd.Index, origin: int, what: str
) -> np.ndarray:
    """Return the ``horizon`` forecast values as floats, or raise naming the origin.

    ``origin`` is the position of the origin in ``index`` (its label is looked up only for
    the message).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (horizon,):
        raise ValueError(
            f"{name}.{what}({horizon}) returned shape {values.shape} at origin "
            f"{index[origin]}; expected ({horizon},)"
        )
    if not np.isfinite(values).all():
        raise ValueError(
            f"{name}.{what}({horizon}) returned NaN or inf at origin {index[origin]}"
        )
    return values
