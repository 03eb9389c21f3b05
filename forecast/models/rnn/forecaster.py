"""RNNForecaster: the latent autoregressive model ``H_t = Net(H_{t-1}, X_t)`` on a price series.

It follows the forecaster contract of :class:`~forecast.models.ar.ARForecaster`, so the two
swap in one line. Inside, prices become standardised increments (log returns by default,
see :mod:`forecast.models._rnn_series`), the network learns to predict the next increment
from its state, and forecasts are turned back into prices and dated like AR's.

Two ways to train:

``training="tbptt"`` (default)
    Teacher-forced many-to-many training over the whole history. The training part is cut
    into B contiguous streams run in parallel (B = ``batch_size``, fewer for a short series)
    and trained by truncated BPTT(k1, k2) (:func:`forecast.nn.train_tbptt`): the state is
    carried forward through each stream, gradients flow back k2 steps. Each epoch starts
    stream b from the state in which stream b - 1 ended in the previous epoch (stream 0
    from zeros), so the state at every point reflects the whole history before it. After
    training, one forward pass over the entire series gives the state at the forecast
    origin.
``training="window"``
    Sliding windows of ``window`` inputs, each run from a zero state, many-to-one (as darts
    and neuralforecast do), in shuffled minibatches.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from forecast._validation import check_choice, check_float, check_random_state, check_series
from forecast.models._contract import (
    SeriesForecaster,
    SeriesHistory,
    check_horizon,
    forecast_series,
)
from forecast.models._many_to_one import predict_last
from forecast.models._rnn_rollout import (
    conformal_bounds,
    origin_states,
    rollout_state,
    rollout_window,
)
from forecast.models._rnn_series import TARGETS, TargetTransform, check_exog, check_target_values
from forecast.models._rnn_training import Plan, plan_training, train_network
from forecast.models._settings import check_settings
from forecast.models._training import network_from_state, network_state
from forecast.models.divergence import check_finite_values, forget_fit
from forecast.nn import RecurrentNetwork

logger = logging.getLogger(__name__)

TRAINING = ("tbptt", "window")
#: the forecast steps whose validation errors are computed at fit (more on demand)
INTERVAL_STEPS = 20


class RNNForecaster(SeriesForecaster):
    """Recurrent network forecaster (LSTM, GRU or RNN) with the AR forecaster's interface.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"}, default="lstm"
    hidden_size : int, default=32
    num_layers : int, default=1
    training : {"tbptt", "window"}, default="tbptt"
        See the module docstring.
    window : int, default=20
        Inputs per window (``training="window"`` only).
    k1 : int, default=20
        Truncated BPTT: steps between updates (``training="tbptt"`` only).
    k2 : int or None, default=None
        Truncated BPTT: steps backpropagated, ``>= k1``; None means ``k1``.
    target : {"log_return", "diff", "level"}, default="log_return"
        What the network models: ``log(p_t / p_{t-1})``, ``p_t - p_{t-1}`` or ``p_t``,
        standardised with the mean and standard deviation of the training part (the data
        before the validation tail).
    epochs : int, default=30
    batch_size : int, default=32
        Parallel streams (``"tbptt"``) or windows per update (``"window"``).
    lr : float, default=5e-3
    optimizer : {"adam", "adamw", "sgd", "momentum", "nesterov"}, default="adam"
    clip_norm : float or None, default=1.0
        Global gradient-norm clipping; None does not clip.
    loss : {"mse", "mae", "huber"}, default="mse"
    dtype : {"float32", "float64"}, default="float32"
    validation_fraction : float in [0, 1), default=0.1
        Trailing fraction of the training samples held out for early stopping and for the
        residuals of :meth:`predict_interval`. 0: no early stopping and no intervals.
    patience : int or None, default=5
        Epochs without improvement of the validation loss before stopping (the best weights
        are restored in any case).
    warm_start : bool, default=True
        ``fit`` on a fitted forecaster starts from its current weights (when the network
        shape still fits), as ``update(y_new, refit=True)`` always does; False draws new
        weights from ``random_state`` at every fit.
    random_state : int >= 0, numpy Generator or None, default=None
        Seeds the weights and the shuffling: an int gives bitwise-identical forecasts,
        also in another process (see :func:`forecast._validation.check_random_state`; a
        legacy RandomState seeds a Generator with one draw).
    verbose : bool, default=False
        Progress bar over epochs (on a terminal only).

    Attributes
    ----------
    network_ : forecast.nn.RecurrentNetwork
    state_ : tuple of ndarray of shape (num_layers, 1, hidden_size) or None
        The recurrent state at the forecast origin (``"tbptt"``): the network run over all
        the data seen, from a zero state at the first observation. None for ``"window"``.
    window_ : ndarray of shape (window, n_inputs) or None
        The last ``window`` scaled inputs (``"window"``), None for ``"tbptt"``.
    history_ : dict of str to list of float
        Per epoch: ``train_loss``, ``val_loss`` (if validating), ``grad_norm``.
    best_epoch_ : int
        The epoch whose weights the model holds.
    n_streams_ : int
        The number of parallel streams B used by ``"tbptt"`` (0 for ``"window"``).
    n_exog_ : int
        Exogenous columns (0 without X).
    index_ : pandas.Index
        Labels of every observation seen (``fit`` and ``update``).

    Notes
    -----
    *Exogenous inputs.* ``fit(y, X=frame)`` appends the columns of ``X`` (e.g. volume, the
    high-low range), standardised on the training part, to the input of every step. A
    forecast of step ``h >= 2`` needs ``X`` after the origin, which is not known: **the last
    observed row of X is held** for all steps of the horizon. ``update`` then needs the new
    rows of ``X`` alongside the new observations.

    *Intervals.* ``predict_interval`` uses the h-step forecast errors of the fitted model on
    the validation tail, on the scale of ``log p`` (log returns) or ``p`` (other targets),
    from each validation origin forecasting recursively as ``predict`` does, and takes their
    equal-tailed split-conformal quantiles (:func:`conformal_bounds`). The errors of the
    first 20 steps are computed at the end of each fit (longer horizons when asked for) and
    ``update`` without refit keeps them. Their coverage holds as long as the errors of the
    validation tail are like those to come (no change of volatility).

    Examples
    --------
    >>> import forecast
    >>> close = forecast.load_dataset("sp500")["close"]
    >>> model = RNNForecaster("lstm", hidden_size=8, epochs=3, random_state=0)
    >>> model = model.fit(close.loc[:"2016"])
    >>> model.predict(3).index.strftime("%Y-%m-%d").tolist()
    ['2017-01-02', '2017-01-03', '2017-01-04']
    >>> list(model.predict_interval(3, coverage=0.9).columns)
    ['lower', 'upper']
    """

    def __init__(
        self,
        cell: str = "lstm",
        *,
        hidden_size: int = 32,
        num_layers: int = 1,
        training: str = "tbptt",
        window: int = 20,
        k1: int = 20,
        k2: int | None = None,
        target: str = "log_return",
        epochs: int = 30,
        batch_size: int = 32,
        lr: float = 5e-3,
        optimizer: str = "adam",
        clip_norm: float | None = 1.0,
        loss: str = "mse",
        dtype: str = "float32",
        validation_fraction: float = 0.1,
        patience: int | None = 5,
        warm_start: bool = True,
        random_state: Any = None,
        verbose: bool = False,
    ) -> None:
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.training = training
        self.window = window
        self.k1 = k1
        self.k2 = k2
        self.target = target
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.clip_norm = clip_norm
        self.loss = loss
        self.dtype = dtype
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ the contract

    def fit(self, y: Any, X: Any = None) -> RNNForecaster:
        """Train on the series ``y`` (and exogenous columns ``X``).

        Parameters
        ----------
        y : pandas.Series or array-like of shape (n,)
            Prices (or any level series), oldest first; a DatetimeIndex or integer index.
        X : pandas.DataFrame or array-like of shape (n, k), optional
            Exogenous inputs, one row per observation of ``y`` (same index if both are
            pandas objects).

        Returns
        -------
        self

        Raises
        ------
        DivergenceError
            if no epoch reaches a usable fit (see :mod:`forecast.models.divergence`): the
            message gives the losses, and the forecaster is left unfitted (a previous fit
            is removed too).

        Warns
        -----
        DivergenceWarning
            if training diverged after a usable epoch, whose weights are kept.

        Notes
        -----
        A series whose training increments are all equal (a constant price) has nothing
        to learn: the network is not trained and predicts a zero scaled increment, so the
        forecast continues that increment (a constant series is forecast constant, with an
        interval of zero width); a warning is logged.
        """
        values, index = check_series(y, "y", min_length=3)
        check_target_values(values, index, self.target)
        exog = None
        if X is not None:
            pandas_y = isinstance(y, (pd.Series, pd.DataFrame))
            exog = check_exog(X, index if pandas_y else None, len(values), None)
        plan = self._plan(len(values))  # every check that can fail, before any state changes
        rng = check_random_state(self.random_state)
        warm = self.warm_start and hasattr(self, "network_")
        self._history = SeriesHistory(values, index)
        self._exog = None if exog is None else [exog]
        self._fit_series(values, exog, plan, warm, rng)
        return self

    def update(self, y_new: Any, refit: bool = False, X: Any = None) -> RNNForecaster:
        """Append observations that follow the data seen; the origin moves to their end.

        Parameters
        ----------
        y_new : pandas.Series or array-like of shape (m,)
            A Series whose first label follows the last one seen, or an array.
        refit : bool, default=False
            False advances the state over the new observations only, with the weights
            unchanged: O(m) work, ``tbptt`` runs the network forward from the state at
            the old origin. True retrains on all data seen, starting from the current
            weights (scalers and interval residuals are recomputed).
        X : DataFrame or array-like of shape (m, k), optional
            The exogenous rows of the new observations; required iff ``fit`` had ``X``.

        Returns
        -------
        self

        Raises
        ------
        DivergenceError
            with ``refit=True``, as :meth:`fit` (the forecaster is left unfitted); without,
            if the network's output over the new data is not finite (nothing is changed).
        """
        check_is_fitted(self)
        if not isinstance(refit, (bool, np.bool_)):
            raise TypeError(f"refit must be a bool, got {refit!r}")
        if (X is None) != (self.n_exog_ == 0):
            need = f"X with {self.n_exog_} column(s)" if self.n_exog_ else "X=None"
            raise ValueError(f"update needs {need}, as in fit; got X of type {type(X).__name__}")
        previous = float(self._history.values[-1])
        n_seen = len(self._history)
        values, new_index = check_series(y_new, "y_new")
        check_target_values(values, new_index, self.target, "y_new")
        exog = None
        if X is not None:
            exog = check_exog(
                X, new_index if isinstance(y_new, pd.Series) else None, len(values), self.n_exog_
            )
        if refit:
            rng = check_random_state(self.random_state)
            plan = self._plan(n_seen + len(values))
        else:  # the new origin, before anything changes: committed after the append
            u_new = self._features.inputs(
                values, exog, previous=previous, dtype=self.network_.dtype, name="y_new"
            )
            origin = self._advanced(u_new)
        self._history.append(y_new, "y_new")
        if self._exog is not None:
            self._exog.append(exog)
        if refit:
            all_exog = None if self._exog is None else np.concatenate(self._exog)
            self._fit_series(self._history.values.copy(), all_exog, plan, True, rng)
        else:
            self._last_row, self.state_, self.window_, self._last_output = origin
        logger.debug("update: %d -> %d observations (refit=%s)", n_seen, len(self._history), refit)
        return self

    def predict(self, horizon: int) -> pd.Series:
        """Forecast the next ``horizon`` prices, recursively from the state at the origin.

        Returns
        -------
        pandas.Series of length horizon, named "forecast", indexed by the labels that
        follow the data seen (see :func:`forecast._dates.future_index`).
        """
        check_is_fitted(self)
        horizon = check_horizon(horizon)
        levels = self._features.levels(self._rollout_origin(horizon), self._history.values[-1])
        return forecast_series(levels, self._history.future_index(horizon))

    def predict_interval(self, horizon: int, coverage: float = 0.95) -> pd.DataFrame:
        """Prediction intervals from the h-step errors on the validation tail (conformal).

        ``lower_h = p^_h exp(q_lo,h)``, ``upper_h = p^_h exp(q_hi,h)`` for log returns
        (``p^_h + q`` for the other targets), with ``q`` the split-conformal quantiles of the
        h-step errors of ``log p`` (or ``p``) over the validation origins (see the class
        Notes). Needs ``validation_fraction > 0`` and at most as many steps as validation
        origins. The interval always contains the point forecast: a quantile on the wrong
        side of 0 (all errors of one sign) is replaced by 0, which only widens it.

        Returns
        -------
        pandas.DataFrame with columns ["lower", "upper"], indexed like :meth:`predict`.
        """
        check_is_fitted(self)
        horizon = check_horizon(horizon)
        coverage = check_float(coverage, "coverage", min_value=0.0, max_value=1.0, inclusive=False)
        errors = self._validation_errors(horizon)
        point = self.predict(horizon)
        bounds = np.array([conformal_bounds(e[~np.isnan(e)], coverage) for e in errors.T])
        lower, upper = self._features.interval(point.to_numpy(), bounds[:, 0], bounds[:, 1])
        return pd.DataFrame({"lower": lower, "upper": upper}, index=point.index)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())  # a copy: object.__getstate__ returns __dict__
        if isinstance(state.get("network_"), RecurrentNetwork):
            state["network_"] = network_state(state["network_"])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if isinstance(state.get("network_"), dict):
            state = {**state, "network_": network_from_state(state["network_"])}
        super().__setstate__(state)

    # ------------------------------------------------------------------ training

    def _plan(self, n: int) -> Plan:
        """Validate every parameter against a series of ``n`` observations (see :class:`Plan`)."""
        check_choice(self.training, "training", TRAINING)
        check_choice(self.target, "target", TARGETS)
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise TypeError(f"warm_start must be True or False, got {self.warm_start!r}")
        return plan_training(
            check_settings(self), self.training, self.target, self.window, self.k1, self.k2, n
        )

    def _fit_series(
        self,
        values: np.ndarray,
        exog: np.ndarray | None,
        plan: Plan,
        warm: bool,
        rng: np.random.Generator,
    ) -> None:
        """Fit scalers and network on ``values`` (all data seen), then set the origin state.

        A :class:`DivergenceError` (or an overflow of the scaled inputs) leaves the
        forecaster unfitted.
        """
        s, n_val, first_val = plan.settings, plan.n_val, plan.first_val
        self.n_exog_ = 0 if exog is None else exog.shape[1]
        desc = f"{type(self).__name__}({s.cell})"
        old = getattr(self, "network_", None) if warm else None
        try:
            self._features = TargetTransform(
                self.target, values, exog, first_val + plan.offset + 1
            )
            u = self._features.inputs(values, exog, dtype=s.dtype)  # (m, D)
            self.network_, self.n_streams_, result = train_network(
                old, u, plan, self.training, self.window, rng, verbose=self.verbose, desc=desc
            )
            self._finish(result, u, first_val, n_val, desc)
        except ValueError:  # DivergenceError included
            forget_fit(self)
            raise

    def _finish(self, result: Any, u: np.ndarray, first_val: int, n_val: int, desc: str) -> None:
        """Record the history and set the state at the origin and the validation origins."""
        self.history_, self.best_epoch_ = result.history, result.best_epoch
        window = self.window if self.training == "window" else None
        self.state_, self.window_, self._last_output, self._val = origin_states(
            self.network_, u, window, first_val, n_val, desc
        )
        self._last_row = u[-1:].copy()
        # the interval residuals of the first steps, so that predict_interval only reads them
        steps = min(n_val, INTERVAL_STEPS)
        self._errors = self._compute_errors(steps) if n_val else np.empty((0, 0))

    # ------------------------------------------------------------------ state and forecasts

    def _advanced(self, u_new: np.ndarray) -> tuple[Any, ...]:
        """The origin moved over new scaled inputs (weights unchanged), not yet set.

        Returns ``(last_row, state_, window_, last_output)``; raises DivergenceError if the
        network's output there is not finite.
        """
        state, window = self.state_, self.window_
        with np.errstate(over="ignore", invalid="ignore"):  # reported below
            if self.training == "tbptt":
                y_hat, state, _ = self.network_.forward(u_new[:, None], state)
                output = y_hat[-1, :, 0].astype(np.float64)
            else:
                window = np.concatenate([window, u_new])[-self.window :]
                output = predict_last(self.network_, window[None])[:, 0].astype(np.float64)
        check_finite_values(output, f"{type(self).__name__}.update: the network output")
        return u_new[-1:].copy(), state, window, output

    def _hold(self, rows: np.ndarray) -> np.ndarray | None:
        """The exogenous part of input rows (held for multi-step forecasts), or None."""
        return rows[:, 1:] if self.n_exog_ else None

    def _rollout_origin(self, horizon: int) -> np.ndarray:
        """Scaled increment forecasts of steps 1..horizon from the current origin: (horizon,)."""
        hold = self._hold(self._last_row)
        with np.errstate(over="ignore", invalid="ignore"):  # checked in TargetTransform.levels
            if self.training == "tbptt":
                out = rollout_state(self.network_, self.state_, self._last_output, hold, horizon)
            else:
                out = rollout_window(self.network_, self.window_[None], hold, horizon)
        return out[:, 0]

    def _validation_errors(self, horizon: int) -> np.ndarray:
        """h-step errors of the cumulative series at the validation origins: (n_val, horizon)."""
        n_val = self._val["count"]
        if n_val == 0:
            raise ValueError(
                "predict_interval needs residuals from a validation tail, but the model was "
                "fitted with validation_fraction=0; refit with validation_fraction > 0"
            )
        if horizon > n_val:
            raise ValueError(
                f"horizon={horizon} exceeds the {n_val} validation origins available for the "
                "interval residuals; use a shorter horizon or a larger validation_fraction"
            )
        if horizon <= self._errors.shape[1]:
            return self._errors[:, :horizon]
        return self._compute_errors(horizon)  # longer than the stored steps: not kept

    def _compute_errors(self, horizon: int) -> np.ndarray:
        """Forecast recursively from every validation origin; return the errors (n_val, h)."""
        n_val = self._val["count"]
        first, start, u = self._val["first"], self._val["start"], self._val["u"]
        origins = np.arange(first, first + n_val)  # input positions; observation i + offset
        if self.training == "tbptt":
            rows = u[origins - start]
            r_hat = rollout_state(
                self.network_, self._val["states"], self._val["outputs"], self._hold(rows), horizon
            )
        else:
            w = self.window
            windows = np.stack([u[i - start - w + 1 : i - start + 1] for i in origins])
            r_hat = rollout_window(self.network_, windows, self._hold(windows[:, -1]), horizon)
        check_finite_values(r_hat, "the forecasts from the validation origins")
        observed = origins + self._features.offset  # the observation at each origin
        return self._features.errors(r_hat, self._history.values, observed)
