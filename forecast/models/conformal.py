"""ConformalForecaster: intervals for any forecaster from the errors of the forecasts it made.

A meta-estimator around a forecaster of one series (AR, naive, RNN, ...). It walks with the
forecaster through the data, keeps the realised h-step errors ``e = y_t - y^_t`` of the
forecasts made at every origin, once their target is observed (never before: no
look-ahead), and turns the last ``window`` of them into a symmetric band around the point
forecast, either at the nominal level (``"rolling"``) or at a level adapted online by
adaptive conformal inference (``"aci"``, Gibbs and Candes 2021).
"""

from __future__ import annotations

import logging
import math
from collections import deque
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from forecast._validation import check_choice, check_float, check_int, check_series
from forecast.models.base import check_horizon, refuse_exog

logger = logging.getLogger(__name__)

__all__ = ["METHODS", "ConformalForecaster", "conformal_radius", "errors_needed"]

METHODS = ("rolling", "aci")

#: slack in ceil((n + 1) level): 10 * 0.9 is 9.000000000000002 in float64, and means 9
_EPS = 1e-9


def conformal_radius(scores: np.ndarray, level: float) -> float:
    """The conformal quantile of the scores ``|e_1|, ..., |e_n|`` at ``level``, clipped.

    ``q = s_(k)``, the k-th smallest score, with ``k = ceil((n + 1) level)``: a new score
    exchangeable with the n is ``<= q`` with probability at least ``level``. Clipped to
    the scores there are: ``k > n`` (the conformal quantile is infinite: ``level`` too
    close to 1, or >= 1) gives the largest score, ``k <= 0`` (``level <= 0``) gives 0.

    Examples
    --------
    >>> conformal_radius(np.arange(1.0, 20.0), 0.9)  # n = 19: k = ceil(18) = 18
    18.0
    >>> conformal_radius(np.arange(1.0, 20.0), 1.2), conformal_radius(np.arange(1.0, 20.0), -0.1)
    (19.0, 0.0)
    """
    n = len(scores)
    k = math.ceil((n + 1) * level - _EPS)
    if k <= 0:
        return 0.0
    k = min(k, n)
    return float(np.partition(scores, k - 1)[k - 1])


def errors_needed(coverage: float) -> int:
    """The fewest errors n whose conformal quantile at ``coverage`` is finite.

    ``ceil((n + 1) coverage) <= n`` holds iff ``n >= coverage / (1 - coverage)``, e.g. 9
    errors for 90%, 19 for 95%, 99 for 99%.

    Examples
    --------
    >>> errors_needed(0.9), errors_needed(0.95), errors_needed(0.5)
    (9, 19, 1)
    """
    return max(math.ceil(coverage / (1.0 - coverage) - _EPS), 1)


class ConformalForecaster(BaseEstimator):
    """Prediction intervals for any forecaster from the errors of its own past forecasts.

    At every forecast origin (after ``fit`` and after each observation passed to
    ``update``) the inner forecaster forecasts steps ``1..max_horizon``; when the target of
    a forecast is observed its signed error ``e = y - y^`` is recorded for its step h. Only
    errors whose target is observed at the origin enter an interval. The band of step h is

        [y^_h - q_h, y^_h + q_h],   q_h = conformal_radius(|last window errors of step h|, level)

    the k-th smallest of the ``n <= window`` absolute errors, ``k = ceil((n + 1) level)``
    (:func:`conformal_radius`): a symmetric band, so it always contains its point forecast.

    * ``method="rolling"``: ``level = coverage``.
    * ``method="aci"``: ``level = 1 - alpha_t``, with ``alpha_t`` of step h updated each time
      a target of step h is observed (adaptive conformal inference, Gibbs and Candes 2021)::

          alpha_{t+1} = alpha_t + gamma (alpha - err_t),   alpha = 1 - coverage

      ``err_t = 1`` if the target fell outside the band issued for it at its origin
      (``|e| > q``), else 0; ``alpha_1 = alpha``. For steps h > 1 the feedback arrives h
      observations after the band was issued. When ``alpha_t`` is so small that
      ``k > n`` (including ``alpha_t <= 0``, where the paper's band is the whole line) the
      band is the widest the errors give, the largest ``|e|`` of the window, so that it
      stays finite and can be scored; ``window >= coverage / (1 - coverage)`` makes that
      band's miss rate (about ``1 / (n + 1)``) smaller than ``alpha``, so ``alpha_t`` drifts
      back up. When ``alpha_t >= 1`` the band has width 0 (the paper's is empty).

    The tracked level of ACI is fixed by ``coverage``: ``predict_interval`` refuses another
    one (``"rolling"`` gives any level its errors allow).

    ``fit(y)`` seeds the errors: the inner forecaster is fitted on ``y`` without its last
    ``window`` observations and moved over them one at a time with ``update`` (each
    forecast made from its own past only), then a clone is fitted on all of ``y``:
    ``forecaster_``, which ``predict`` and the next origins use. So intervals exist from
    the first origin. ACI starts there, at ``alpha_1 = alpha``, as in the paper: the
    seeding walk fills the errors only. (Carried over from the walk, ``alpha_t`` would
    start where the seeding left it, which says little about the forecaster: the first
    bands of the walk come from a window still filling up, whose conformal quantile is
    conservative (``k = n`` for 9 to 18 errors at 90%), and the walk's forecaster is not
    refitted. On the S&P 500, a walk over 2016 left ``alpha_t = 0.156`` at the first
    origin with ``gamma = 0.005``: the first test bands had level 84.4%, not 90%.)

    *Choosing gamma.* From the update, the miss rate over T origins is
    ``alpha + (alpha_1 - alpha_{T+1}) / (gamma T)``: ACI corrects a miscoverage of d
    within T origins only if ``gamma T d`` exceeds the distance ``alpha_t`` has to travel
    (about ``alpha``). Gibbs and Candes's 0.005 suits thousands of origins; over a
    500-day test a volatility change (2017 to 2018 on the S&P 500) leaves ACI 2.0 to 2.6
    points under 90% at 0.005 and 0.4 at 0.05, around AR and RNN forecasters alike
    (``benchmarks/bench_uncertainty.py``): take ``gamma`` near 0.05 for a few hundred
    origins.

    Parameters
    ----------
    forecaster : forecaster
        An unfitted forecaster (``fit``, ``predict``, ``update``); cloned, not modified.
    method : {"rolling", "aci"}, default="rolling"
    window : int, default=250
        The number of most recent errors per step that form a band, and the number of
        observations the errors are seeded on at ``fit``. At least
        ``errors_needed(coverage) + max_horizon - 1`` (9 for a one-step 90% band), so that
        every step has the errors its nominal quantile needs from the first origin.
    gamma : float, default=0.005
        ACI's step size (> 0); ignored by "rolling".
    coverage : float in (0, 1), default=0.9
        The nominal coverage ``1 - alpha``: the level ACI tracks and the default of
        :meth:`predict_interval`.
    max_horizon : int, default=1
        The forecast steps whose errors are kept: ``predict_interval`` gives at most this
        many steps (``predict`` any).

    Attributes
    ----------
    forecaster_ : forecaster
        The inner forecaster fitted on all data given to ``fit`` and moved by ``update``.
    alpha_ : ndarray of shape (max_horizon,)
        The current miscoverage level of each step (``1 - coverage`` for "rolling").
    errors_ : list of ndarray
        Read-only property: per step, the last ``window`` signed errors ``y - y^``, oldest
        first.
    index_ : pandas.Index
        Read-only property: labels of all observations seen.

    Notes
    -----
    ``forecast.save_model`` cannot store the error record and the ACI state: saving raises
    ``TypeError``; save ``forecaster_`` and fit a ConformalForecaster around it again.

    Examples
    --------
    >>> import numpy as np, forecast
    >>> r = np.log(forecast.load_dataset("sp500")["close"]).diff().dropna()
    >>> model = ConformalForecaster(forecast.ARForecaster(1), method="aci").fit(r)
    >>> band = model.predict_interval(1)
    >>> bool(band["lower"].iloc[0] < model.predict(1).iloc[0] < band["upper"].iloc[0])
    True
    """

    def __init__(
        self,
        forecaster: Any,
        *,
        method: str = "rolling",
        window: int = 250,
        gamma: float = 0.005,
        coverage: float = 0.9,
        max_horizon: int = 1,
    ) -> None:
        self.forecaster = forecaster
        self.method = method
        self.window = window
        self.gamma = gamma
        self.coverage = coverage
        self.max_horizon = max_horizon

    @property
    def family(self) -> str | None:
        """The inner forecaster's family (its point forecasts are this model's)."""
        value = getattr(self.forecaster, "family", None)
        return value if isinstance(value, str) else None

    # ------------------------------------------------------------------ the contract

    def fit(self, y: Any, X: Any = None) -> ConformalForecaster:
        """Seed the errors on the last ``window`` observations of ``y``, then fit on all of it.

        Parameters
        ----------
        y : pandas.Series or array-like of shape (n,)
            Oldest first; at least ``window + 2`` observations (and as many before the last
            ``window`` as the inner forecaster needs to fit).
        X : None
            Not supported.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            For ``method`` not in ``METHODS``, ``coverage`` outside (0, 1), ``gamma <= 0``,
            ``window`` below the errors the level needs, ``max_horizon < 1`` or too short a
            ``y`` (each naming the argument).
        """
        refuse_exog(X, type(self).__name__)
        self._check_params()
        window = self.window
        values, index = check_series(y, "y")
        n = len(values)
        if n < window + 2:
            raise ValueError(
                f"y has n={n} observations, but ConformalForecaster seeds its errors on the "
                f"last window={window} of them and fits the forecaster on the ones before: "
                f"pass at least window + 2 = {window + 2} observations, or lower window"
            )
        series = pd.Series(values, index=index, name=getattr(y, "name", None))
        self._reset()
        first = n - window
        seed = clone(self.forecaster).fit(series.iloc[:first])
        self._issue(seed)
        for i in range(first, n):  # each forecast from its own past only
            if i + 1 < n:
                seed.update(series.iloc[i : i + 1])
            self._record(values[i])
            if i + 1 < n:
                self._issue(seed)
        self.forecaster_ = clone(self.forecaster).fit(series)
        self.alpha_ = np.full(self.max_horizon, 1.0 - self.coverage)  # alpha_1 = alpha
        self._issue(self.forecaster_)
        logger.debug("%s: seeded %d one-step errors", self.method, len(self._errors[0]))
        return self

    def predict(self, horizon: int) -> pd.Series:
        """The inner forecaster's ``predict(horizon)``."""
        check_is_fitted(self)
        return self.forecaster_.predict(horizon)

    def predict_interval(self, horizon: int, coverage: float | None = None) -> pd.DataFrame:
        """The conformal band of steps 1..horizon at the current origin.

        Centred on the forecasts made at the origin (``forecaster_.predict(max_horizon)``,
        the first ``horizon`` of them, which are ``predict(horizon)`` for a recursive or
        direct forecaster); see the class docstring for the radius.

        Parameters
        ----------
        horizon : int
            1..``max_horizon``.
        coverage : float in (0, 1), optional
            None: the ``coverage`` of the estimator. "aci" refuses any other value (its
            level is tracked for that one); "rolling" takes any level its errors allow.

        Returns
        -------
        pandas.DataFrame with columns ["lower", "upper"], indexed like :meth:`predict`.
        """
        check_is_fitted(self)
        horizon = check_horizon(horizon)
        if horizon > self.max_horizon:
            raise ValueError(
                f"horizon={horizon} exceeds max_horizon={self.max_horizon}, the steps whose "
                f"errors ConformalForecaster keeps; construct it with max_horizon={horizon}"
            )
        point = self._origin_forecasts[:horizon]
        radius = self._origin_radii[:horizon]
        if coverage is not None:
            coverage = check_float(
                coverage, "coverage", min_value=0.0, max_value=1.0, inclusive=False
            )
        if coverage is not None and coverage != self.coverage:
            if self.method == "aci":
                raise ValueError(
                    f"ConformalForecaster(method='aci') tracks coverage={self.coverage} (set "
                    f"when constructed); predict_interval got coverage={coverage}; construct "
                    f"it with coverage={coverage} or pass coverage=None"
                )
            have, need = min(len(e) for e in self._errors[:horizon]), errors_needed(coverage)
            if have < need:
                raise ValueError(
                    f"coverage={coverage} needs {need} errors per step and the band has "
                    f"{have} (window={self.window}); construct it with window >= "
                    f"{need + self.max_horizon - 1} or ask a lower coverage"
                )
            radius = np.array([self._radius(h, coverage) for h in range(horizon)])
        index = self.forecaster_.predict(horizon).index
        return pd.DataFrame({"lower": point - radius, "upper": point + radius}, index=index)

    def update(self, y_new: Any, refit: bool = False, X: Any = None) -> ConformalForecaster:
        """Append observations, recording the errors of the forecasts whose targets they are.

        The observations are passed to ``forecaster_.update`` one at a time (the last one
        with ``refit``), and the forecasts of every new origin are kept, so the errors are
        the same whether the values come together or one by one (without refit).

        Parameters
        ----------
        y_new : pandas.Series or array-like of shape (m,)
            As in the inner forecaster's ``update``.
        refit : bool, default=False
            Passed with the last observation: re-estimate the inner forecaster.
        X : None
            Not supported.

        Returns
        -------
        self

        Raises
        ------
        TypeError, ValueError
            As the inner forecaster's ``update`` (checked on the first value before
            anything changes; ``y_new`` is checked for NaN/inf first). An error of the
            inner forecaster at a later value (e.g. a ``DivergenceError`` of the refit)
            leaves the values before it appended and their errors recorded.
        """
        check_is_fitted(self)
        refuse_exog(X, type(self).__name__)
        if not isinstance(refit, (bool, np.bool_)):
            raise TypeError(f"refit must be a bool, got {refit!r}")
        values, _ = check_series(y_new, "y_new")
        pandas = isinstance(y_new, (pd.Series, pd.DataFrame))
        for i in range(len(values)):
            piece = y_new.iloc[i : i + 1] if pandas else values[i : i + 1]
            self.forecaster_.update(piece, refit=bool(refit) and i == len(values) - 1)
            self._record(values[i])
            self._issue(self.forecaster_)
        return self

    def save(self, path: Any) -> Any:
        """Refused: a model file cannot hold the errors and the ACI state (TypeError)."""
        raise TypeError(
            "a ConformalForecaster cannot be saved to a model file (its error record and ACI "
            "state are not part of the format); save its forecaster_ with "
            "forecast.save_model(model.forecaster_, path) and fit a ConformalForecaster again"
        )

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "forecaster_")

    @property
    def index_(self) -> pd.Index:
        """Labels of all observations seen (``fit`` and every ``update``)."""
        check_is_fitted(self)
        return self.forecaster_.index_

    @property
    def errors_(self) -> list[np.ndarray]:
        """Per step h, the last ``window`` signed errors ``y - y^`` (oldest first)."""
        check_is_fitted(self)
        return [np.array(e) for e in self._errors]

    # ------------------------------------------------------------------ the record

    def _check_params(self) -> None:
        """Validate the parameters (called by ``fit``) and set the derived ones."""
        check_choice(self.method, "method", METHODS)
        coverage = check_float(
            self.coverage, "coverage", min_value=0.0, max_value=1.0, inclusive=False
        )
        check_float(self.gamma, "gamma", min_value=0.0, inclusive=False)
        max_horizon = check_int(self.max_horizon, "max_horizon", min_value=1)
        window = check_int(self.window, "window", min_value=1)
        need = errors_needed(coverage) + max_horizon - 1
        if window < need:
            raise ValueError(
                f"window={window} is below the {need} errors needed: a conformal quantile at "
                f"coverage={coverage} needs n >= coverage / (1 - coverage), i.e. "
                f"{errors_needed(coverage)} errors, for each of max_horizon={max_horizon} "
                f"step(s) (step h gets window - h + 1 at fit); set window >= {need}"
            )
        methods = ("fit", "predict", "update", "get_params")
        if isinstance(self.forecaster, type) or not all(
            callable(getattr(self.forecaster, m, None)) for m in methods
        ):
            raise TypeError(
                "forecaster must be a forecaster instance with fit, predict and update that "
                f"scikit-learn can clone, e.g. ARForecaster(order=1); got {self.forecaster!r}"
            )

    def _reset(self) -> None:
        """An empty record: no errors, no forecasts, ``alpha_t = alpha`` for every step."""
        H = self.max_horizon
        self._errors = [deque(maxlen=self.window) for _ in range(H)]
        self._pending: deque[tuple[np.ndarray, np.ndarray]] = deque()  # newest origin last
        self.alpha_ = np.full(H, 1.0 - self.coverage)

    def _radius(self, h: int, level: float) -> float:
        """The radius of step h + 1 at ``level``, NaN while it has too few errors for its
        nominal quantile (no band is issued and ACI is not updated then)."""
        errors = self._errors[h]
        if len(errors) < errors_needed(self.coverage):
            return math.nan
        return conformal_radius(np.abs(np.fromiter(errors, float, len(errors))), level)

    def _issue(self, forecaster: Any) -> None:
        """Forecast steps 1..max_horizon at the current origin with the band of each step."""
        H = self.max_horizon
        point = np.asarray(forecaster.predict(H), dtype=np.float64)
        level = 1.0 - self.alpha_ if self.method == "aci" else np.full(H, self.coverage)
        radius = np.array([self._radius(h, level[h]) for h in range(H)])
        self._origin_forecasts, self._origin_radii = point, radius
        self._pending.append((point, radius))
        if len(self._pending) > H:
            self._pending.popleft()

    def _record(self, value: float) -> None:
        """The next observation arrived: record the error of each pending forecast of it.

        The origin issued ``j`` origins ago (j = 0 the newest) forecast it as its step
        ``j + 1``. ACI moves ``alpha_`` of that step by ``gamma (alpha - err)``.
        """
        alpha = 1.0 - self.coverage
        for j, (point, radius) in enumerate(reversed(self._pending)):
            error = value - point[j]
            self._errors[j].append(error)
            if self.method == "aci" and not math.isnan(radius[j]):
                miss = 1.0 if abs(error) > radius[j] else 0.0
                # alpha_{t+1} = alpha_t + gamma (alpha - err_t)
                self.alpha_[j] += self.gamma * (alpha - miss)
