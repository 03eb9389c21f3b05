"""One forecaster's walk-forward: rolling origins, each forecast made from the past only.

:func:`run_backtest` walks a forecast origin through the series as a :class:`WalkForward`
schedules it. At every origin the forecaster has seen only the observations up to and
including the origin; it forecasts the next ``horizon`` values, which are then paired with
what happened. Between refits the forecaster's state is moved forward with ``update``, as a
deployed model would be. :func:`forecast.backtest` is the user-facing entry.
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
    (``benchmarks/bench_ar_walkforward.py``). A forecaster of P(up) (see
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
    X, coverage, progress, model_name
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
    exog = check_exog(X, n)
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
    # by position and give their forecasts as arrays: the same numbers, no pandas objects.
    fast = exog is None and walks_by_position(forecaster)
    for i, q in bar:
        q = int(q)
        refit = i == 0 or (refit_every is not None and i % refit_every == 0)
        if refit and (i == 0 or window == "rolling" or not warm_start):
            lo = q - train_size if window == "rolling" else 0
            model = clone(forecaster)
            _call(model.fit, series.iloc[lo:q], exog, lo, q)
        elif fast:
            model.update_slice(values, index, seen, q, refit=refit)
        else:
            _call(model.update, series.iloc[seen:q], exog, seen, q, refit=refit)
        seen = q
        point = model.forecast_values(horizon) if fast or direction else model.predict(horizon)
        forecasts[i] = _checked(point, horizon, name, index, q - 1, "predict")
        if bounds is not None:
            band = model.predict_interval(horizon, coverage=coverage)
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


def check_exog(X: Any, n: int) -> Any:
    """``X`` (if given) as a frame or array with one row per observation of ``y``."""
    if X is None:
        return None
    if not hasattr(X, "iloc"):
        X = np.asarray(X)
    if len(X) != n:
        raise ValueError(f"X must have one row per observation of y: len(X)={len(X)}, len(y)={n}")
    return X


def _call(method: Any, y_part: pd.Series, exog: Any, lo: int, hi: int, **kwargs: Any) -> None:
    """Call ``fit`` or ``update`` with ``y[lo:hi]`` (and ``X[lo:hi]`` when there is one)."""
    if exog is not None:
        kwargs["X"] = exog.iloc[lo:hi] if hasattr(exog, "iloc") else exog[lo:hi]
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
