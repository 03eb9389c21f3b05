"""ForecastSearchCV: tune a forecaster's parameters by a walk-forward backtest of each candidate.

scikit-learn's ``GridSearchCV`` cross-validates estimators of ``(X, y)`` samples; a forecaster
of one series is scored by walking it forward instead. :class:`ForecastSearchCV` backtests
every candidate of a grid (or a random sample of one) on the last ``test_size`` observations
(:func:`~forecast.evaluation.backtest.run_backtest`), keeps the one with the lowest loss, and
refits it on all the data. It follows the forecaster contract itself, so inside
:func:`forecast.compare` or :func:`forecast.backtest` it is an honest nested selection: at each
refit it searches again on the data seen so far.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import ParameterGrid, ParameterSampler
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from forecast._dates import future_index
from forecast._validation import check_choice, check_int, check_random_state, check_series
from forecast.evaluation.backtest import check_exog, check_forecaster, run_backtest
from forecast.evaluation.many import check_n_jobs, parallel_backend
from forecast.evaluation.schedule import WalkForward
from forecast.models.base import check_refit
from forecast.significance import diebold_mariano

logger = logging.getLogger(__name__)

__all__ = ["SCORINGS", "ForecastSearchCV", "candidates"]

#: the losses a search minimises: name -> (loss of one error, DM loss name)
SCORINGS = {
    "mse": (np.square, "squared"),
    "rmse": (np.square, "squared"),
    "mae": (np.abs, "absolute"),
}


def candidates(
    param_grid: Any, param_distributions: Any, n_iter: Any, random_state: Any, params: Mapping
) -> list[dict[str, Any]]:
    """The parameter settings to try, checked against the forecaster's ``params``.

    ``param_grid`` gives every combination (:class:`~sklearn.model_selection.ParameterGrid`),
    or ``n_iter`` of them drawn without replacement; ``param_distributions`` gives ``n_iter``
    draws (:class:`~sklearn.model_selection.ParameterSampler`: lists are sampled uniformly,
    scipy distributions by their ``rvs``).
    """
    if (param_grid is None) == (param_distributions is None):
        raise ValueError(
            "pass exactly one of param_grid (every combination) and param_distributions "
            f"(n_iter draws); got param_grid={param_grid!r}, "
            f"param_distributions={param_distributions!r}"
        )
    name = "param_grid" if param_grid is not None else "param_distributions"
    space = param_grid if param_grid is not None else param_distributions
    if isinstance(space, Mapping):
        space = [space]
    if not isinstance(space, (list, tuple)) or not all(isinstance(s, Mapping) for s in space):
        raise TypeError(
            f"{name} must be a dict of parameter name -> values, or a list of such dicts, "
            f"e.g. {{'order': [1, 5, 10]}}; got {space!r}"
        )
    if not space or not all(space):
        raise ValueError(
            f"{name} is empty ({space!r}): give at least one parameter and its values, "
            "e.g. {'order': [1, 5, 10]}"
        )
    for sub in space:
        unknown = sorted(set(sub) - set(params))
        if unknown:
            raise ValueError(
                f"{name} names {unknown}, which the forecaster does not have; its parameters "
                f"are {sorted(params)}"
            )
        for key, values in sub.items():
            if hasattr(values, "rvs") and name == "param_distributions":
                continue
            if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
                raise TypeError(
                    f"{name}[{key!r}] must be a list of values"
                    + (" or a scipy distribution" if name == "param_distributions" else "")
                    + f", got {values!r}; e.g. [{values!r}]"
                )
            if len(values) == 0:
                raise ValueError(f"{name}[{key!r}] is an empty list: give at least one value")
    finite = all(not hasattr(v, "rvs") for sub in space for v in sub.values())
    size = len(ParameterGrid(space)) if finite else None
    if n_iter is None:
        if param_distributions is not None:
            raise ValueError("param_distributions needs n_iter, the number of draws; got None")
        return list(ParameterGrid(space))
    n_iter = check_int(n_iter, "n_iter", min_value=1)
    if size is not None and n_iter > size:
        raise ValueError(
            f"n_iter={n_iter} is larger than the {size} combinations of {name}; pass "
            f"n_iter <= {size} (or n_iter=None with param_grid to try them all)"
        )
    seed = int(check_random_state(random_state).integers(2**31 - 1))
    return list(ParameterSampler(space, n_iter, random_state=seed))


class ForecastSearchCV(BaseEstimator):
    """Choose a forecaster's parameters by a walk-forward backtest of every candidate.

    For each candidate ``theta`` of the grid, a clone of ``forecaster`` with ``theta`` is
    walked forward over the last ``test_size`` observations of ``y`` (fitted on the data
    before them, refit every ``refit_every`` origins, forecasting ``horizon`` steps from
    each origin, see :func:`forecast.backtest`). Its score is the loss of those forecasts,
    over the n pairs (origin, step)::

        mse = 1/n sum e_i^2,   rmse = sqrt(mse),   mae = 1/n sum |e_i|,   e_i = y_i - y^_i

    The lowest score wins; ``best_forecaster_`` is that candidate fitted on all of ``y``.
    Every candidate is also tested against the best with the Diebold-Mariano test (HLN
    correction; per origin, the loss averaged over the ``horizon`` steps, autocovariances
    to lag ``horizon - 1``): a large p-value says the data cannot tell it from the best.

    The search follows the forecaster contract: ``predict`` and ``update`` go to
    ``best_forecaster_``; ``update(y_new, refit=True)`` searches again on everything seen.
    Inside :func:`forecast.compare` or :func:`forecast.backtest` each refit therefore
    selects the parameters on the past only (a nested, honest selection).

    Parameters
    ----------
    forecaster : forecaster
        The forecaster to tune (cloned, not modified).
    param_grid : dict or list of dicts, optional
        Parameter name -> list of values: every combination is tried (as
        :class:`~sklearn.model_selection.ParameterGrid`; with ``n_iter``, that many of them
        drawn without replacement).
    param_distributions : dict or list of dicts, optional
        Parameter name -> list or scipy distribution: ``n_iter`` draws (as
        :class:`~sklearn.model_selection.ParameterSampler`). Exactly one of the two.
    n_iter : int, optional
        The number of candidates drawn; needed with ``param_distributions``.
    test_size : int
        The last observations forecast by each candidate's backtest.
    horizon : int, default=1
        Steps forecast at each origin.
    scoring : {"mse", "rmse", "mae"}, default="mse"
        The loss minimised.
    refit_every : int or None, default=None
        Refit each candidate every ``refit_every`` origins of its backtest (None: fit once).
    n_jobs : int or None, default=None
        Candidates backtested in parallel by :class:`joblib.Parallel` (-1: all cores).
    scheduler : str or dask.distributed.Client, optional
        Run the candidates on a Dask cluster (as in :func:`forecast.compare`).
    random_state : int, numpy Generator or None, default=None
        Seeds the draws of ``n_iter`` candidates.

    Attributes
    ----------
    best_params_ : dict
    best_score_ : float
        The loss of the best candidate.
    best_index_ : int
        Its row of ``cv_results_``.
    best_forecaster_ : forecaster
        The best candidate fitted on all the data seen.
    cv_results_ : pandas.DataFrame
        One row per candidate: ``params``, a ``param_<name>`` column per parameter,
        ``mean_test_score`` (the loss: lower is better), ``rank_test_score`` (1: best),
        ``dm_statistic`` and ``dm_pvalue`` (against the best) and ``mean_fit_time``
        (seconds of its backtest).

    Examples
    --------
    >>> import forecast
    >>> y = forecast.load_dataset("sp500")["close"][-300:]
    >>> search = ForecastSearchCV(forecast.ARForecaster(), {"order": [1, 2, 5]}, test_size=50)
    >>> search.fit(y).best_params_ in [{"order": 1}, {"order": 2}, {"order": 5}]
    True
    >>> list(search.cv_results_.columns)[:3]
    ['params', 'param_order', 'mean_test_score']
    """

    def __init__(
        self,
        forecaster: Any,
        param_grid: Any = None,
        param_distributions: Any = None,
        *,
        n_iter: int | None = None,
        test_size: int,
        horizon: int = 1,
        scoring: str = "mse",
        refit_every: int | None = None,
        n_jobs: int | None = None,
        scheduler: Any = None,
        random_state: Any = None,
    ) -> None:
        self.forecaster = forecaster
        self.param_grid = param_grid
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.test_size = test_size
        self.horizon = horizon
        self.scoring = scoring
        self.refit_every = refit_every
        self.n_jobs = n_jobs
        self.scheduler = scheduler
        self.random_state = random_state

    @property
    def family(self) -> str | None:
        """The tuned forecaster's family (for the family tests of :func:`forecast.compare`)."""
        value = getattr(self.forecaster, "family", None)
        return value if isinstance(value, str) else None

    # ------------------------------------------------------------------ the contract

    def fit(self, y: Any, X: Any = None) -> ForecastSearchCV:
        """Backtest every candidate on the last ``test_size`` values of ``y``; fit the best.

        Parameters
        ----------
        y : pandas.Series or array-like of shape (n,)
            The series, oldest first.
        X : DataFrame or array-like of shape (n, n_features), optional
            Exogenous inputs aligned with ``y``, passed to the forecaster as the backtest
            passes them.

        Returns
        -------
        self

        Raises
        ------
        ValueError, TypeError
            For an empty or invalid grid, a parameter the forecaster does not have,
            ``n_iter`` larger than the grid, an unknown ``scoring``, a ``test_size`` that
            leaves no training data, or a ``forecaster`` that is not one, naming each.
        """
        check_forecaster(self.forecaster, "forecaster")
        loss, dm_loss = SCORINGS[check_choice(self.scoring, "scoring", tuple(SCORINGS))]
        params = candidates(
            self.param_grid, self.param_distributions, self.n_iter, self.random_state,
            self.forecaster.get_params(),
        )  # fmt: skip
        values, index = check_series(y, "y", min_length=2)
        n = len(values)
        test_size = check_int(self.test_size, "test_size", min_value=1)
        if test_size >= n - 1:
            raise ValueError(
                f"test_size={test_size} leaves {n - test_size} observation(s) of y (n={n}) to "
                f"fit on; pass test_size <= {n - 2} or a longer y"
            )
        series = pd.Series(values, index=index, name=getattr(y, "name", None))
        exog = check_exog(X, n)
        schedule = WalkForward(start=n - test_size, horizon=self.horizon,
                               refit_every=self.refit_every)  # fmt: skip
        n_jobs = check_n_jobs(self.n_jobs)
        with parallel_backend(self.scheduler):
            parallel = Parallel(n_jobs=-1 if self.scheduler is not None else n_jobs)
            runs = parallel(
                delayed(_candidate_losses)(self.forecaster, theta, series, exog, schedule, loss)
                for theta in params
            )
        self.cv_results_ = _results(params, runs, self.scoring, schedule.horizon, dm_loss)
        self.best_index_ = int(self.cv_results_["mean_test_score"].to_numpy().argmin())
        self.best_params_ = dict(params[self.best_index_])
        self.best_score_ = float(self.cv_results_["mean_test_score"].iloc[self.best_index_])
        logger.info("ForecastSearchCV: best %s (%s %.6g) of %d candidates",
                    self.best_params_, self.scoring, self.best_score_, len(params))
        best = clone(self.forecaster).set_params(**self.best_params_)
        self.best_forecaster_ = best.fit(series) if exog is None else best.fit(series, X=exog)
        self._y, self._X = series, exog
        return self

    def predict(self, horizon: int) -> pd.Series:
        """``best_forecaster_.predict(horizon)``."""
        check_is_fitted(self)
        return self.best_forecaster_.predict(horizon)

    @available_if(lambda self: callable(getattr(self.forecaster, "predict_interval", None)))
    def predict_interval(self, horizon: int, coverage: float = 0.9) -> pd.DataFrame:
        """``best_forecaster_.predict_interval(horizon, coverage)``."""
        check_is_fitted(self)
        return self.best_forecaster_.predict_interval(horizon, coverage=coverage)

    def update(self, y_new: Any, refit: bool = False, X: Any = None) -> ForecastSearchCV:
        """Append observations; with ``refit`` search again on everything seen and refit.

        Parameters
        ----------
        y_new : pandas.Series or array-like of shape (m,)
            As in ``best_forecaster_.update`` (which checks it first).
        refit : bool, default=False
            False moves ``best_forecaster_`` on (its parameters stay); True runs the whole
            search again on all the data seen so far and refits the new best.
        X : DataFrame or array-like of shape (m, n_features), optional
            The exogenous rows of ``y_new`` (when ``fit`` had ``X``).

        Returns
        -------
        self
        """
        check_is_fitted(self)
        check_refit(refit)
        if (X is None) != (self._X is None):
            raise ValueError(
                f"update got X={'None' if X is None else type(X).__name__} but fit had "
                f"X={'None' if self._X is None else 'columns'}; pass X exactly when fit had it"
            )
        kwargs = {} if X is None else {"X": X}
        self.best_forecaster_.update(y_new, refit=False, **kwargs)  # checks y_new first
        values = np.asarray(y_new, dtype=np.float64).ravel()
        new = y_new.index if isinstance(y_new, pd.Series) else future_index(
            self._y.index, len(values))
        piece = pd.Series(values, index=new)
        self._y = pd.concat([self._y, piece.rename(self._y.name)])
        if X is not None:
            self._X = _concat_rows(self._X, X)
        if refit:
            self.fit(self._y, X=self._X)
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "best_forecaster_")

    @property
    def index_(self) -> pd.Index:
        """Labels of all observations seen (``fit`` and every ``update``)."""
        check_is_fitted(self)
        return self._y.index


def _candidate_losses(
    forecaster: Any, theta: dict[str, Any], y: pd.Series, exog: Any, schedule: WalkForward,
    loss: Any,
) -> tuple[np.ndarray, float]:
    """The losses (origins, horizon) of one candidate's backtest, and its run time."""
    tic = time.perf_counter()
    with threadpool_limits(limits=1):
        model = clone(forecaster).set_params(**theta)
        frame, _ = run_backtest(model, y, schedule, X=exog)
    errors = frame["actual"].to_numpy() - frame["forecast"].to_numpy()
    return loss(errors).reshape(-1, schedule.horizon), time.perf_counter() - tic


def _results(
    params: list[dict[str, Any]], runs: list[tuple[np.ndarray, float]], scoring: str,
    horizon: int, dm_loss: str,
) -> pd.DataFrame:
    """``cv_results_``: a row per candidate, its score, rank and DM test against the best."""
    losses = [run[0] for run in runs]
    scores = np.array([np.mean(a) for a in losses])
    if scoring == "rmse":
        scores = np.sqrt(scores)
    best = int(scores.argmin())
    per_origin = [a.mean(axis=1) for a in losses]  # d_t: the loss averaged over the steps
    stats, pvalues = [], []
    for j, a in enumerate(per_origin):
        try:  # e1, e2 are per-origin losses here: the DM loss is the identity
            dm = diebold_mariano(a, per_origin[best], h=horizon, loss=_identity)
            stats.append(dm.statistic)
            pvalues.append(dm.pvalue)
        except ValueError as err:  # e.g. a constant nonzero loss difference
            logger.info("no DM test of candidate %s against the best (%s loss): %s",
                        params[j], dm_loss, err)
            stats.append(np.nan)
            pvalues.append(np.nan)
    names = list(dict.fromkeys(key for theta in params for key in theta))
    table = {"params": params}
    for key in names:
        table[f"param_{key}"] = [theta.get(key, np.nan) for theta in params]
    table |= {
        "mean_test_score": scores,
        "rank_test_score": pd.Series(scores).rank(method="min").astype(int).to_numpy(),
        "dm_statistic": stats,
        "dm_pvalue": pvalues,
        "mean_fit_time": [run[1] for run in runs],
    }
    return pd.DataFrame(table)


def _identity(losses: np.ndarray) -> np.ndarray:
    return losses


def _concat_rows(old: Any, new: Any) -> Any:
    """The exogenous rows seen so far followed by ``new`` (frames or arrays)."""
    if hasattr(old, "iloc"):
        return pd.concat([old, pd.DataFrame(new, columns=old.columns) if not hasattr(
            new, "iloc") else new])
    return np.concatenate([np.asarray(old), np.asarray(new)])
