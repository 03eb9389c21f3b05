"""EnsembleForecaster: a weighted combination of forecasters, its weights from past errors only.

The forecast-combination puzzle (Stock and Watson 2004; Smith and Wallis 2009): the equally
weighted mean of several forecasts often beats each of them, and beats weights estimated from
their past errors. :class:`EnsembleForecaster` combines the forecasts of its members with
equal weights or with weights inversely proportional to their recent one-step mean squared
errors, which are recorded as each target is observed (never before it: no look-ahead).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from forecast._validation import check_choice, check_int, check_series
from forecast.models.base import check_horizon, check_refit, forecast_series

logger = logging.getLogger(__name__)

__all__ = ["WEIGHTS", "EnsembleForecaster", "inverse_mse_weights"]

WEIGHTS = ("equal", "inverse_mse")


def inverse_mse_weights(errors: np.ndarray) -> np.ndarray:
    """Weights ``w_i = (1 / MSE_i) / sum_j (1 / MSE_j)`` from errors of shape (n, members).

    ``MSE_i = 1/n sum_t e_{t,i}^2``. Members with ``MSE_i = 0`` (exact so far) share all the
    weight equally; with no errors yet (n = 0) the weights are equal.

    Examples
    --------
    >>> inverse_mse_weights(np.array([[1.0, 2.0], [-1.0, 2.0]])).tolist()
    [0.8, 0.2]
    """
    m = errors.shape[1]
    if len(errors) == 0:
        return np.full(m, 1.0 / m)
    mse = np.mean(np.square(errors), axis=0)
    if (mse == 0).any():
        return (mse == 0) / np.count_nonzero(mse == 0)
    inverse = 1.0 / mse
    return inverse / inverse.sum()


class EnsembleForecaster(BaseEstimator):
    """The weighted mean of the forecasts of several forecasters of one series.

    ``y^_{t+h} = sum_i w_i y^_{i,t+h}``, with

    * ``weights="equal"``: ``w_i = 1 / M`` for the M members;
    * ``weights="inverse_mse"``: ``w_i = (1 / MSE_i) / sum_j (1 / MSE_j)``, ``MSE_i`` the
      mean squared one-step error of member i over the last ``window`` observations (see
      :func:`inverse_mse_weights`). ``fit`` seeds those errors by walking each member over
      the last ``window`` observations of ``y`` (fitted on the ones before, each forecast
      from its own past), then fits the members on all of ``y``; ``update`` records the
      error of each member's one-step forecast of every new observation before the member
      sees it. The weights at an origin therefore use only targets up to the origin.

    It follows the forecaster contract (``fit``, ``predict``, ``update``), so it runs in
    :func:`forecast.backtest` and :func:`forecast.compare`.

    Parameters
    ----------
    forecasters : list of (str, forecaster) pairs, or dict of str to forecaster
        The members (cloned, not modified).
    weights : {"equal", "inverse_mse"}, default="equal"
    window : int, default=250
        The one-step errors the inverse-MSE weights are computed from (``"inverse_mse"``
        only; ``y`` needs ``window + 2`` observations then).

    Attributes
    ----------
    forecasters_ : dict of str to forecaster
        The fitted members, moved on by ``update``.
    weights_ : ndarray of shape (M,)
        The weights of the next forecast.
    errors_ : DataFrame of shape (n, M)
        ``"inverse_mse"``: the last ``window`` one-step errors ``y_t - y^_{i,t}``, a column
        per member.

    Examples
    --------
    >>> import forecast
    >>> y = forecast.load_dataset("sp500")["close"][-300:]
    >>> ens = EnsembleForecaster([("AR", forecast.ARForecaster(order=1)),
    ...                           ("Drift", forecast.NaiveForecaster(strategy="drift"))])
    >>> ens.fit(y).weights_.tolist()
    [0.5, 0.5]
    """

    def __init__(self, forecasters: Any, *, weights: str = "equal", window: int = 250) -> None:
        self.forecasters = forecasters
        self.weights = weights
        self.window = window

    # ------------------------------------------------------------------ the contract

    def fit(self, y: Any, X: Any = None) -> EnsembleForecaster:
        """Fit every member on ``y`` (and seed the errors of ``"inverse_mse"``).

        Parameters
        ----------
        y : pandas.Series or array-like of shape (n,)
            Oldest first.
        X : DataFrame or array-like of shape (n, n_features), optional
            Exogenous inputs aligned with ``y``, passed to every member.

        Returns
        -------
        self

        Raises
        ------
        ValueError, TypeError
            For an empty or malformed ``forecasters``, a member that is not a forecaster,
            repeated names, an unknown ``weights``, a bad ``window`` or a ``y`` shorter
            than ``window + 2`` (``"inverse_mse"``), naming each.
        """
        members = _members(self.forecasters)
        check_choice(self.weights, "weights", WEIGHTS)
        values, index = check_series(y, "y", min_length=2)
        series = pd.Series(values, index=index, name=getattr(y, "name", None))
        n = len(values)
        self._errors: deque[np.ndarray] = deque()
        if self.weights == "inverse_mse":
            window = check_int(self.window, "window", min_value=1)
            self._errors = deque(maxlen=window)
            if n < window + 2:
                raise ValueError(
                    f"y has n={n} observations, but weights='inverse_mse' seeds the errors on "
                    f"the last window={window} of them and fits the members on the ones "
                    f"before: pass at least window + 2 = {window + 2} observations, or lower "
                    "window"
                )
            first = n - window
            seeds = [_fit(clone(f), series.iloc[:first], _rows(X, 0, first))
                     for f in members.values()]  # fmt: skip
            for i in range(first, n):  # each one-step forecast from its own past only
                self._step(seeds, series.iloc[i : i + 1], _rows(X, i, i + 1), refit=False,
                           last=i + 1 == n)  # fmt: skip
        self.forecasters_ = {
            name: _fit(clone(f), series, X) for name, f in members.items()
        }
        return self

    def predict(self, horizon: int) -> pd.Series:
        """The weighted mean of the members' ``predict(horizon)``, labelled like the first."""
        check_is_fitted(self)
        horizon = check_horizon(horizon)
        forecasts = [m.predict(horizon) for m in self.forecasters_.values()]
        stacked = np.column_stack([np.asarray(f, dtype=np.float64) for f in forecasts])
        return forecast_series(stacked @ self.weights_, forecasts[0].index)

    def update(self, y_new: Any, refit: bool = False, X: Any = None) -> EnsembleForecaster:
        """Append observations to every member (recording their one-step errors first).

        Parameters
        ----------
        y_new : pandas.Series or array-like of shape (m,)
            As in the members' ``update``.
        refit : bool, default=False
            Passed to every member (with the last observation, for ``"inverse_mse"``,
            which hands the observations over one at a time).
        X : DataFrame or array-like of shape (m, n_features), optional
            The exogenous rows of ``y_new``, passed to every member.

        Returns
        -------
        self
        """
        check_is_fitted(self)
        check_refit(refit)
        members = list(self.forecasters_.values())
        if self.weights == "equal":
            for m in members:
                _update(m, y_new, X, refit=bool(refit))
            return self
        values, _ = check_series(y_new, "y_new")
        pandas = isinstance(y_new, pd.Series)
        for i in range(len(values)):
            piece = y_new.iloc[i : i + 1] if pandas else values[i : i + 1]
            self._step(members, piece, _rows(X, i, i + 1), refit=bool(refit),
                       last=i + 1 == len(values))  # fmt: skip
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "forecasters_")

    @property
    def weights_(self) -> np.ndarray:
        """The weights of the next forecast (see the class docstring)."""
        check_is_fitted(self)
        if self.weights == "equal":
            return np.full(len(self.forecasters_), 1.0 / len(self.forecasters_))
        return inverse_mse_weights(np.array(self._errors).reshape(-1, len(self.forecasters_)))

    @property
    def errors_(self) -> pd.DataFrame:
        """The one-step errors the inverse-MSE weights come from, a column per member."""
        check_is_fitted(self)
        data = np.array(self._errors).reshape(-1, len(self.forecasters_))
        return pd.DataFrame(data, columns=list(self.forecasters_))

    @property
    def index_(self) -> pd.Index:
        """Labels of all observations seen (those of the first member)."""
        check_is_fitted(self)
        return next(iter(self.forecasters_.values())).index_

    def _step(self, members: list[Any], piece: Any, x: Any, *, refit: bool, last: bool) -> None:
        """Record each member's one-step error of the observation ``piece``, then pass it on."""
        value = float(np.asarray(piece, dtype=np.float64)[0])
        point = np.array([float(np.asarray(m.predict(1))[0]) for m in members])
        self._errors.append(value - point)
        for m in members:
            _update(m, piece, x, refit=refit and last)


def _members(forecasters: Any) -> dict[str, Any]:
    """``forecasters`` as a dict of name -> forecaster instance, or raise naming the problem."""
    pairs = forecasters.items() if isinstance(forecasters, Mapping) else forecasters
    try:
        pairs = [(name, f) for name, f in pairs]
    except (TypeError, ValueError):
        raise TypeError(
            "forecasters must be a list of (name, forecaster) pairs or a dict of name -> "
            f"forecaster, e.g. [('AR', ARForecaster(order=5))]; got {forecasters!r}"
        ) from None
    if not pairs:
        raise ValueError("forecasters is empty: give at least one (name, forecaster) pair")
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"forecasters need distinct str names, got {names}")
    for name, f in pairs:
        if isinstance(f, type) or not all(
            callable(getattr(f, m, None)) for m in ("fit", "predict", "update", "get_params")
        ):
            raise TypeError(
                f"forecasters[{name!r}] must be a forecaster instance with fit, predict and "
                f"update that scikit-learn can clone, e.g. ARForecaster(order=1); got {f!r}"
            )
    return dict(pairs)


def _rows(X: Any, lo: int, hi: int) -> Any:
    """Rows ``lo:hi`` of ``X`` (None stays None)."""
    if X is None:
        return None
    return X.iloc[lo:hi] if hasattr(X, "iloc") else np.asarray(X)[lo:hi]


def _fit(model: Any, y: pd.Series, X: Any) -> Any:
    return model.fit(y) if X is None else model.fit(y, X=X)


def _update(model: Any, y_new: Any, X: Any, *, refit: bool) -> None:
    if X is None:
        model.update(y_new, refit=refit)
    else:
        model.update(y_new, refit=refit, X=X)
