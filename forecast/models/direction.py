"""Up/down forecasts: any scikit-learn classifier on windows of past log returns, as a forecaster.

:class:`DirectionForecaster` turns a classifier into a forecaster of
``P(next log return > threshold)`` that keeps the forecaster contract (``fit``, ``update``,
``predict``), so :func:`forecast.backtest` walks it from rolling origins and records its
``prob_up``; :func:`forecast.compare_direction` scores it against the base rate.
``DirectionForecaster(LogisticRegression(), window=tau)`` is the logistic AR(tau).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from forecast._validation import check_float, check_int, check_positive, check_series
from forecast.models.base import SeriesForecaster, check_horizon, check_refit
from forecast.models.history import SeriesHistory
from forecast.models.rnn.target import check_exog

logger = logging.getLogger(__name__)

__all__ = ["DIRECTION_FAMILY", "DirectionForecaster", "direction_windows", "forecasts_direction"]

#: the ``family`` of forecasters of P(up): :func:`forecast.backtest` records their ``prob_up``
DIRECTION_FAMILY = "direction"


def forecasts_direction(model: Any) -> bool:
    """Whether ``model`` forecasts P(up) (a :class:`DirectionForecaster`): its ``family`` is
    "direction" and it has ``predict_proba(horizon)`` and the arrays of its values and of
    ``predict``'s, ``proba_values(horizon)`` and ``forecast_values(horizon)``, which
    :func:`forecast.backtest` asks for (no labels are built per origin)."""
    return getattr(model, "family", None) == DIRECTION_FAMILY and all(
        callable(getattr(model, m, None))
        for m in ("predict_proba", "proba_values", "forecast_values")
    )


def direction_windows(
    prices: np.ndarray, window: int, threshold: float, exog: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The training rows of a direction classifier: past log returns -> did the next go up.

    With ``r_j = log(p_{j+1} / p_j)`` (``j = 0..n-2``) and origin ``i`` (the last price seen,
    ``window <= i <= n - 2``)::

        features_i = [r_{i-window}, ..., r_{i-1}, x_i]        label_i = 1{r_i > threshold}

    (``x_i`` the exogenous row of the origin's date, if any), so every feature is known at
    the origin and the label is the return that follows it.

    Parameters
    ----------
    prices : ndarray of shape (n,)
        Positive prices, oldest first, with ``n >= window + 2``.
    window : int
        Past log returns per row.
    threshold : float
        A return above it is "up".
    exog : ndarray of shape (n, k), optional
        Exogenous columns aligned with ``prices``.

    Returns
    -------
    features : ndarray of shape (n - window - 1, window + k)
    labels : ndarray of int64, shape (n - window - 1,)
        1 up, 0 not up.
    """
    r = np.diff(np.log(prices))
    features = sliding_window_view(r, window)[:-1]  # row k = r[k : k + window], origin k + window
    labels = (r[window:] > threshold).astype(np.int64)
    if exog is not None:
        features = np.hstack([features, exog[window : len(prices) - 1]])
    return features, labels


class DirectionForecaster(SeriesForecaster):
    """Forecast P(next log return > threshold) with a classifier on windows of past returns.

    With prices ``p`` and log returns ``r_t = log(p_t / p_{t-1})``, the classifier is fitted
    on the rows ``[r_{t-window+1}, ..., r_t, x_t] -> 1{r_{t+1} > threshold}`` of every
    origin ``t`` of the data (see :func:`direction_windows`) and, at the end ``n`` of the
    data seen, forecasts::

        prob_up = P(r_{n+1} > threshold | r_{n-window+1}, ..., r_n, x_n)

    ``DirectionForecaster(LogisticRegression(), window=tau)`` is the logistic AR(tau):
    ``logit prob_up = b_0 + b_1 r_n + ... + b_tau r_{n-tau+1}``. Only one step ahead is
    forecast (the exogenous columns after the origin are unknown).

    ``predict(1)`` gives the most probable direction (1.0 up, 0.0 not up, as a
    classifier's ``predict`` gives its most probable class; 0.0 at exactly 0.5) and
    :meth:`predict_proba` the probability. ``update(y_new)`` moves the origin with the
    classifier unchanged; ``update(y_new, refit=True)`` refits a fresh clone of it on all
    data seen.

    A row is flat: ``window`` returns, oldest first, then the exogenous columns. A recurrent
    classifier (``RNNClassifier``) reads it as a sequence of ``window + k`` scalars, so give
    it no ``X``. The classifier can be any estimator, so ``save`` (the package's model
    files) refuses this forecaster; pickle or joblib store it.

    Parameters
    ----------
    classifier : scikit-learn classifier
        Any estimator with ``fit`` and ``predict_proba`` (e.g. ``LogisticRegression()``,
        a pipeline, :class:`forecast.RNNClassifier`); cloned at every fit, not modified.
    window : int, default=20
        Past log returns in each row (>= 1).
    threshold : float, default=0.0
        A log return above it is "up" (finite).

    Attributes
    ----------
    classifier_ : estimator
        The fitted clone of ``classifier``.
    n_features_in_ : int
        Columns of each row: ``window`` plus the exogenous columns.
    n_exog_ : int
        Exogenous columns (0 without X).
    base_rate_ : float
        The share of "up" labels in the data of the last fit.
    nobs_ : int
        Rows of the last fit (``n - window - 1`` for ``n`` prices).
    index_ : pandas.Index
        Read-only property: labels of all observations seen.

    Examples
    --------
    >>> import forecast
    >>> from sklearn.linear_model import LogisticRegression
    >>> close = forecast.load_dataset("sp500")["close"]
    >>> model = DirectionForecaster(LogisticRegression(), window=5).fit(close)
    >>> p = model.predict_proba()
    >>> p.name, p.index[0] > close.index[-1], bool(0 < p.iloc[0] < 1)
    ('prob_up', True, True)
    """

    family = DIRECTION_FAMILY  # its backtests get prob_up; forecast.compare_direction scores it

    def __init__(self, classifier: Any, *, window: int = 20, threshold: float = 0.0) -> None:
        self.classifier = classifier
        self.window = window
        self.threshold = threshold

    def fit(self, y: Any, X: Any = None) -> DirectionForecaster:
        """Fit a clone of the classifier on every window of ``y``'s log returns.

        Parameters
        ----------
        y : pandas.Series or array-like of shape (n,)
            Positive prices, oldest first; ``n >= window + 2`` (a window of returns and
            the return after it).
        X : pandas.DataFrame or array-like of shape (n, k), optional
            Exogenous columns known at each date (aligned with ``y``; equal indexes when
            both are pandas objects). ``update`` then needs their new rows.

        Returns
        -------
        self

        Raises
        ------
        TypeError
            If ``classifier`` has no ``fit`` or ``predict_proba``.
        ValueError
            For a ``window`` longer than the data allows, a ``threshold`` that is not
            finite, prices <= 0, or labels of one direction only (the classifier needs both).
        """
        self._check_classifier()
        window = check_int(self.window, "window", min_value=1)
        threshold = check_float(self.threshold, "threshold")
        values, index = check_series(y, "y")
        check_positive(values, index, "y")
        if len(values) < window + 2:
            raise ValueError(
                f"window={window} needs at least {window + 2} prices in y (window + 1 for the "
                f"first {window} log returns, one more for the return to forecast), got "
                f"{len(values)}; use a smaller window or more data"
            )
        exog = None
        if X is not None:
            exog = check_exog(X, index if isinstance(y, pd.Series) else None, len(values), None)
        self._window, self._threshold = window, threshold
        self._fit_classifier(values, exog)  # may refuse the data: nothing is fitted then
        self.n_exog_ = 0 if exog is None else exog.shape[1]
        self.n_features_in_ = window + self.n_exog_
        self._exog = None if exog is None else [exog]
        self._history = SeriesHistory(values, index)  # having it is being fitted
        return self

    def update(self, y_new: Any, refit: bool = False, X: Any = None) -> DirectionForecaster:
        """Append observations that follow the data seen so far; the origin moves to their end.

        Parameters
        ----------
        y_new : pandas.Series or array-like of shape (m,)
            Positive prices whose first label is after the last one seen (or an array).
        refit : bool, default=False
            True refits a fresh clone of the classifier on all data seen.
        X : DataFrame or array-like of shape (m, k), optional
            The exogenous rows of the new observations; required if and only if ``fit``
            had ``X``.

        Returns
        -------
        self
        """
        check_is_fitted(self)
        check_refit(refit)
        if (X is None) != (self.n_exog_ == 0):
            need = f"X with {self.n_exog_} column(s)" if self.n_exog_ else "X=None"
            raise ValueError(f"update needs {need}, as in fit; got X of type {type(X).__name__}")
        values, new_index = check_series(y_new, "y_new")
        check_positive(values, new_index, "y_new")
        exog = None
        if X is not None:
            exog = check_exog(X, new_index if isinstance(y_new, pd.Series) else None,
                              len(values), self.n_exog_)
        self._history.append(y_new, "y_new")
        self._prob_up = None
        if exog is not None:
            self._exog = [np.concatenate([*self._exog, exog])] if refit else [*self._exog, exog]
        if refit:
            exog_seen = None if self._exog is None else self._exog[0]
            self._fit_classifier(self._history.values, exog_seen)
        return self

    def predict_proba(self, horizon: int = 1) -> pd.Series:
        """P(the next log return > threshold), dated like :meth:`predict`.

        Parameters
        ----------
        horizon : int, default=1
            Only 1: the forecaster forecasts the next step.

        Returns
        -------
        pandas.Series of length 1, named "prob_up", indexed by the label after the data seen
        (see :func:`forecast._dates.future_index`).
        """
        check_is_fitted(self)
        values = self.proba_values(horizon)
        return pd.Series(values, index=self._history.future_index(1), name="prob_up")

    def proba_values(self, horizon: int = 1) -> np.ndarray:
        """The values of :meth:`predict_proba`, an array of shape (1,)."""
        check_is_fitted(self)
        self._check_one_step(horizon)
        if self._prob_up is None:
            prices = self._history.values[-(self._window + 1) :]
            row = np.diff(np.log(prices))  # r_{n-window+1} .. r_n
            if self._exog is not None:
                row = np.concatenate([row, self._exog[-1][-1]])
            proba = self.classifier_.predict_proba(row[None, :])
            self._prob_up = float(proba[0, self._up_column])
        return np.array([self._prob_up])

    def forecast_values(self, horizon: int) -> np.ndarray:
        """The most probable direction of the next step: ``[1.0]`` up, ``[0.0]`` not up."""
        return (self.proba_values(horizon) > 0.5).astype(np.float64)

    def _check_one_step(self, horizon: Any) -> None:
        """Refuse a horizon other than 1, with the reason."""
        if check_horizon(horizon) != 1:
            raise ValueError(
                f"{type(self).__name__} forecasts the direction of the next step only: "
                f"horizon must be 1, got horizon={horizon} (backtest it with horizon=1)"
            )

    def _check_classifier(self) -> None:
        """Refuse a classifier that cannot be fitted or give probabilities."""
        missing = [m for m in ("fit", "predict_proba") if not callable(
            getattr(self.classifier, m, None))]
        if isinstance(self.classifier, type) or missing:
            kind = self.classifier.__name__ if isinstance(self.classifier, type) else type(
                self.classifier).__name__
            raise TypeError(
                f"classifier must be a scikit-learn classifier instance with fit and "
                f"predict_proba, got {self.classifier!r} of type {kind}; pass e.g. "
                "LogisticRegression() (an instance, not the class)"
            )

    def _fit_classifier(self, prices: np.ndarray, exog: np.ndarray | None) -> None:
        """Fit a fresh clone of the classifier on every window of ``prices`` (and ``exog``)."""
        features, labels = direction_windows(prices, self._window, self._threshold, exog)
        n_up = int(labels.sum())
        if n_up in (0, len(labels)):
            side = "up" if n_up else "not up"
            raise ValueError(
                f"all {len(labels)} labels of y are {side} (log return > "
                f"threshold={self._threshold}): the classifier needs both directions; use "
                "more data or another threshold"
            )
        model = clone(self.classifier).fit(features, labels)
        classes = [int(c) for c in np.asarray(model.classes_)]
        self._up_column = classes.index(1)
        self.classifier_ = model
        self.base_rate_ = n_up / len(labels)
        self.nobs_ = len(labels)
        self._prob_up = None
        logger.debug("direction classifier fitted on %d windows (%.3f up)", len(labels),
                     self.base_rate_)
