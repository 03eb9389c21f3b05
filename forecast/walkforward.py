"""Rolling-origin evaluation of any forecaster, without look-ahead.

:func:`backtest` walks a forecast origin through the series. At every origin the forecaster
has seen only the observations up to and including the origin; it forecasts the next
``horizon`` values, which are then paired with what happened. Between refits the
forecaster's state is moved forward with ``update``, as a deployed model would be.
"""

from __future__ import annotations

import datetime as _dt
import logging
import numbers
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import clone
from tqdm.std import tqdm  # text bar: no ipywidgets needed in notebooks

from forecast._dates import to_zone
from forecast._validation import check_choice, check_float, check_int, check_series
from forecast.models.base import walks_by_position

logger = logging.getLogger(__name__)

__all__ = ["backtest", "check_forecaster"]

#: the columns of the frame returned by :func:`backtest`, in order
COLUMNS = ["origin", "target", "step", "forecast", "actual", "model"]


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
    coverage: float | None = None,
    progress: bool = False,
    model_name: str | None = None,
    n_jobs: int | None = None,
    scheduler: Any = None,
) -> pd.DataFrame:
    """Evaluate a forecaster from rolling origins, using at each origin only the past.

    ``y`` may also hold many series (a dict of Series or a wide DataFrame): each is
    backtested on its own (see :func:`forecast.many.backtest_many`, which ``n_jobs`` and
    ``scheduler`` are for) and the frames are stacked with a leading ``series`` column.

    With ``p`` the position of the first forecast target, the origins are the positions
    ``p, p + step, p + 2 step, ...`` while a full horizon of actuals is left. At the origin
    whose first target is position ``q`` the forecaster has seen exactly ``y[:q]`` (its last
    observation, ``y[q - 1]``, is the *origin*) and forecasts ``y[q : q + horizon]``::

        origin i:  seen = y[:q_i]   forecast = predict(horizon)   actual = y[q_i : q_i + horizon]

    What happens between origins (``i = 0, 1, ...``, ``k = refit_every``):

    * ``i = 0``: a clone of ``forecaster`` is fitted on ``y[:p]`` (the last ``train_size``
      observations of it with ``window="rolling"``);
    * ``i`` a multiple of ``k``, a *refit*: with ``window="expanding"`` and ``warm_start``
      it is ``update(y_new, refit=True)``, which the forecaster contract defines as
      re-estimating on everything seen so far starting from the current state (AR
      recomputes its least squares exactly and incrementally; an RNN warm-starts from its
      current weights). Otherwise a fresh clone is fitted on ``y[:q_i]`` (expanding,
      ``warm_start=False``) or on ``y[q_i - train_size : q_i]`` (rolling);
    * any other ``i``: ``update(y_new)``, which moves the origin without changing the
      parameters. ``refit_every=None`` never refits: one fit, then updates only.

    Forecasts are paired with actuals by step (the s-th value after the origin), not by the
    label the forecaster puts on them, because a business-day calendar does not know the
    exchange holidays; the ``target`` column holds the label of the actual observation.

    A forecaster that keeps the contract's own ``update`` and ``predict`` (AR and naive, see
    :func:`~forecast.models.base.walks_by_position`; a class that overrides either is
    always called through them) gets its new observations by position through
    ``update_slice`` and is asked for ``forecast_values(horizon)`` (the values of
    ``predict``): the same numbers without building two pandas objects per origin, which
    made the walk-forward of an AR(20) with a refit at every origin about 3x faster
    (``benchmarks/bench_ar_walkforward.py``).

    Parameters
    ----------
    forecaster : forecaster
        Any object following the forecaster contract (``fit``, ``predict``, ``update``,
        and ``predict_interval`` when ``coverage`` is given) that scikit-learn can
        ``clone``. It is not modified.
    y : pandas.Series or 1-D array-like of shape (n,)
        The series, oldest first (a DatetimeIndex or integer index; arrays get a RangeIndex).
    start : int, float, str or date, default=0.8
        The first forecast target, i.e. the size of the first training set:

        * int: a position; negative counts from the end (``start=-500``: the last 500
          observations are forecast targets);
        * float in (0, 1): a fraction of the series, ``p = floor(start * n)``;
        * str, date or Timestamp (DatetimeIndex only): the first observation on or after
          that date; tz-aware (any zone) if and only if ``y``'s index is.
    horizon : int, default=1
        Number of steps forecast at each origin (``>= 1``).
    step : int, default=1
        Observations between consecutive origins (``>= 1``).
    refit_every : int or None, default=None
        Refit at every ``refit_every``-th origin (counting origins, not observations);
        ``None`` fits once at the first origin.
    window : {"expanding", "rolling"}, default="expanding"
        The training data of a refit: everything seen so far, or the last ``train_size``
        observations.
    train_size : int or None, default=None
        Length of the rolling training window (``window="rolling"`` only); ``None`` means
        the size of the first training set, ``p``.
    warm_start : bool, default=True
        For ``window="expanding"``: refit through ``update(y_new, refit=True)`` (True) or
        by fitting a fresh clone (False).
    X : DataFrame or array-like of shape (n, n_features), optional
        Exogenous inputs aligned with ``y`` by position. Sliced like ``y`` and passed as
        ``fit(y, X=...)`` and ``update(y_new, X=...)``.
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
        when ``coverage`` is given).

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
    many = isinstance(y, (Mapping, pd.DataFrame))
    if not (many and callable(getattr(forecaster, "fit_many", None))):  # global: many only
        check_forecaster(forecaster, interval=coverage is not None)
    if many:
        if X is not None:
            raise ValueError("X is not supported with many series; backtest each series alone")
        from forecast.many import backtest_many

        return backtest_many(
            forecaster, y, start=start, horizon=horizon, step=step, refit_every=refit_every,
            window=window, train_size=train_size, warm_start=warm_start, coverage=coverage,
            progress=progress, model_name=model_name, n_jobs=n_jobs, scheduler=scheduler,
        )
    frame, _ = run_backtest(
        forecaster, y, start=start, horizon=horizon, step=step, refit_every=refit_every,
        window=window, train_size=train_size, warm_start=warm_start, X=X, coverage=coverage,
        progress=progress, model_name=model_name,
    )
    return frame


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
    *,
    start: Any = 0.8,
    horizon: int = 1,
    step: int = 1,
    refit_every: int | None = None,
    window: str = "expanding",
    train_size: int | None = None,
    warm_start: bool = True,
    X: Any = None,
    coverage: float | None = None,
    progress: bool = False,
    model_name: str | None = None,
) -> tuple[pd.DataFrame, Any]:
    """:func:`backtest`, also returning the forecaster as it stands after the last origin."""
    check_forecaster(forecaster, interval=coverage is not None)
    values, index = check_series(y, "y", min_length=2)
    n = len(values)
    horizon = check_int(horizon, "horizon", min_value=1)
    step = check_int(step, "step", min_value=1)
    if refit_every is not None:
        refit_every = check_int(refit_every, "refit_every", min_value=1)
    check_choice(window, "window", ("expanding", "rolling"))
    if not isinstance(warm_start, (bool, np.bool_)):
        raise TypeError(f"warm_start must be a bool, got {warm_start!r}")
    if coverage is not None:
        coverage = check_float(coverage, "coverage", min_value=0, max_value=1, inclusive=False)
    first = _resolve_start(start, index, n)
    last_first = n - horizon  # the last position whose full horizon is observed
    if first > last_first:
        raise ValueError(
            f"no origin has a full horizon: start is position {first} of n={n} observations "
            f"and horizon={horizon} needs positions {first}..{first + horizon - 1}; "
            f"start at position {last_first} or earlier"
        )
    if train_size is None:
        train_size = first
    else:
        train_size = check_int(train_size, "train_size", min_value=1)
        if window == "expanding":
            raise ValueError(
                f"train_size={train_size} is only for window='rolling', got window='expanding'"
            )
        if train_size > first:
            raise ValueError(
                f"train_size={train_size} is longer than the {first} observations before "
                f"the first forecast target (position {first})"
            )
    exog = _check_exog(X, n)
    series = pd.Series(values, index=index, name=getattr(y, "name", None))
    name = model_name if model_name is not None else type(forecaster).__name__

    targets = np.arange(first, last_first + 1, step)  # q_i: first target of origin i
    n_origins = len(targets)
    forecasts = np.empty((n_origins, horizon))
    bounds = np.empty((n_origins, horizon, 2)) if coverage is not None else None
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
        point = model.forecast_values(horizon) if fast else model.predict(horizon)
        forecasts[i] = _checked(point, horizon, name, index, q - 1, "predict")
        if bounds is not None:
            band = model.predict_interval(horizon, coverage=coverage)
            for j, col in enumerate(("lower", "upper")):
                bounds[i, :, j] = _checked(
                    band[col], horizon, name, index, q - 1, "predict_interval"
                )
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
    return frame, model


def _resolve_start(start: Any, index: pd.Index, n: int) -> int:
    """Turn ``start`` (position, fraction or date) into the position of the first target."""
    if isinstance(start, (numbers.Integral, np.integer)) and not isinstance(start, bool):
        first = int(start) + n if start < 0 else int(start)
        if not 1 <= first < n:
            raise ValueError(
                f"start={start} must leave at least one observation on each side: "
                f"a position in 1..{n - 1} (or -{n - 1}..-1) for n={n}"
            )
        return first
    if isinstance(start, (float, np.floating)):
        if not 0 < start < 1:
            raise ValueError(
                f"a float start is a fraction of the series and must be in (0, 1), got {start}"
            )
        first = int(np.floor(start * n))
        if first < 1:
            raise ValueError(f"start={start} of n={n} observations leaves no training data")
        return first
    if isinstance(start, (str, _dt.date, np.datetime64)):
        if not isinstance(index, pd.DatetimeIndex):
            raise TypeError(
                f"a date start ({start!r}) needs a DatetimeIndex, y has a "
                f"{type(index).__name__}; give a position instead"
            )
        try:
            when = pd.Timestamp(start)
        except ValueError as exc:
            raise ValueError(f"start={start!r} is not a date: {exc}") from None
        first = int(index.searchsorted(to_zone(when, index.tz, "start", seen="y"), side="left"))
        if first == 0 or first >= n:
            span = f"{index[0].date()} .. {index[-1].date()}"
            raise ValueError(
                f"start={start!r} must fall after the first and on or before the last "
                f"observation ({span})"
            )
        return first
    raise TypeError(
        f"start must be a position (int), a fraction (float) or a date, "
        f"got {start!r} of type {type(start).__name__}"
    )


def _check_exog(X: Any, n: int) -> Any:
    """Require ``X`` (if given) to have one row per observation of ``y``."""
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
