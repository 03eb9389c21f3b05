"""RNNRegressor: a scikit-learn regressor that reads each row of X as a sequence.

Each sample is a window, oldest value first, ``X[i]`` of shape ``(window,)`` (one feature per
step) or ``(window, n_features)``; the network runs over it from a zero state and its head
predicts ``y[i]`` (one value, or ``horizon`` values) from the state at the last step::

    h_t = Net(h_{t-1}, x_{i,t}),   t = 1 .. window,   h_0 = 0
    y^_i = W_head h_window + b_head

It is trained by full backpropagation through the window (many-to-one) with minibatches,
and plugs into scikit-learn: ``GridSearchCV``, ``cross_val_score``, pipelines, ``clone``.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from forecast._validation import check_random_state
from forecast.models.rnn.divergence import (
    DivergenceError,
    check_finite_values,
    forget_fit,
    unfitted_on_error,
    usable_limit,
    zero_baseline,
)
from forecast.models.rnn.settings import REGRESSOR_DEFAULTS as D
from forecast.models.rnn.settings import check_settings, document_parameters
from forecast.models.rnn.training import fit_network, validation_split
from forecast.models.rnn.window_model import WindowNetworkModel
from forecast.models.rnn.windows import many_to_one_epoch, predict_last, window_epoch_functions
from forecast.nn import get_loss
from forecast.transforms import Standardizer

logger = logging.getLogger(__name__)


@document_parameters
class RNNRegressor(WindowNetworkModel, RegressorMixin, BaseEstimator):
    """Recurrent network (RNN, LSTM or GRU) regressor on windows, many-to-one.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    network_ : forecast.nn.RecurrentNetwork
        The trained network (weights under PyTorch's names, see :meth:`get_weights`).
    n_features_in_ : int
        ``X.shape[1]``, the window length.
    n_inputs_ : int
        Features per step (1 for 2-D ``X``).
    n_outputs_ : int
        Values predicted per sample (``y.shape[1]``, or 1).
    x_scaler_, y_scaler_ : Standardizer or None
        The input and target scalings (None when ``scale=False``).
    history_ : dict of str to list of float
        Per epoch: ``train_loss``, ``val_loss`` (with a validation fraction) and
        ``grad_norm`` (mean global gradient norm before clipping). Losses are on the
        scaled targets when ``scale=True``.
    best_epoch_ : int
        The epoch whose weights the model holds.

    Examples
    --------
    >>> import numpy as np, forecast
    >>> close = forecast.load_dataset("sp500")["close"]
    >>> returns = np.log(close).diff().dropna().to_numpy()
    >>> X, y = forecast.make_windows(returns, window=10)
    >>> model = RNNRegressor("gru", hidden_size=8, epochs=3, random_state=0).fit(X, y.ravel())
    >>> model.predict(X[-2:]).shape
    (2,)
    >>> sorted(model.get_weights())[:2]
    ['bias_hh_l0', 'bias_ih_l0']
    """

    def __init__(
        self,
        cell=D.cell,
        *,
        hidden_size=D.hidden_size,
        num_layers=D.num_layers,
        epochs=D.epochs,
        batch_size=D.batch_size,
        lr=D.lr,
        lr_schedule=D.lr_schedule,
        lr_schedule_params=D.lr_schedule_params,
        optimizer=D.optimizer,
        clip_norm=D.clip_norm,
        loss=D.loss,
        dtype=D.dtype,
        engine=D.engine,
        scale=D.scale,
        validation_fraction=D.validation_fraction,
        patience=D.patience,
        warm_start=D.warm_start,
        random_state=D.random_state,
        verbose=D.verbose,
    ) -> None:
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.lr_schedule_params = lr_schedule_params
        self.optimizer = optimizer
        self.clip_norm = clip_norm
        self.loss = loss
        self.dtype = dtype
        self.engine = engine
        self.scale = scale
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X: Any, y: Any) -> RNNRegressor:
        """Train on windows ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, window) or (n_samples, window, n_features)
            Each row a sequence, oldest value first.
        y : array-like of shape (n_samples,) or (n_samples, horizon)

        Returns
        -------
        self

        Raises
        ------
        DivergenceError
            if no epoch reaches a usable fit (see :mod:`forecast.models.rnn.divergence`); the
            model is left unfitted, also if it was fitted before.

        Warns
        -----
        DivergenceWarning
            if training diverged after a usable epoch, whose weights are kept.

        Notes
        -----
        When every (scaled) training target is 0 (e.g. a constant ``y`` with
        ``scale=True``) nothing can beat the zero baseline: the network is not trained,
        its head is set to zero (it predicts the training mean of y) and a warning is
        logged.
        """
        s = check_settings(self)
        x, y2 = self._check_data(X, y, reset=True)
        rng = check_random_state(self.random_state)
        n_val = validation_split(len(x), s.validation_fraction)
        n_train = len(x) - n_val
        desc = type(self).__name__
        with unfitted_on_error(self):  # a DivergenceError, or scaled data that overflow
            self._start(x[:n_train], y2[:n_train], s, rng, keep=self.warm_start)
            xs, ys = self._scaled(x, self.x_scaler_, "X"), self._scaled(y2, self.y_scaler_, "y")
            optimizer = s.build_optimizer()
            fns = window_epoch_functions(self.network_, xs, ys, n_train, s, optimizer, rng)
            result = fit_network(self.network_, fns, s, verbose=self.verbose, desc=desc,
                                 optimizer=optimizer)
        self._finish(result, optimizer, rng)
        return self

    def partial_fit(self, X: Any, y: Any) -> RNNRegressor:
        """Run exactly one epoch of minibatch updates on ``(X, y)``.

        With ``batch_size >= n_samples`` that is one optimiser step. The first call
        initialises the network (and, with ``scale=True``, fits the scalers on this first
        batch of data); later calls continue from the current weights and optimiser state.
        Nothing is held out for validation.

        Returns
        -------
        self

        Raises
        ------
        DivergenceError
            if the loss is NaN or inf, or the updated weights are not usable on this batch
            (see :mod:`forecast.models.rnn.divergence`): the weights from before the call are
            restored, or, on the first call, the model is left unfitted.
        ValueError
            with an ``lr_schedule``: one epoch per call leaves it nothing to schedule.
        """
        s = check_settings(self)
        if s.lr_schedule is not None:
            raise ValueError(
                f"partial_fit runs one epoch per call and does not schedule the learning rate, "
                f"got lr_schedule={s.lr_schedule!r}; use fit, or lr_schedule=None"
            )
        first = not hasattr(self, "network_")
        x, y2 = self._check_data(X, y, reset=first)
        if first:
            rng = check_random_state(self.random_state)
            self._start(x, y2, s, rng, keep=False)
            self.history_ = {"train_loss": [], "grad_norm": []}
            self.best_epoch_ = 0
        elif y2.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2.shape[1]} output(s) per sample but the model was fitted with "
                f"{self.n_outputs_}"
            )
        if getattr(self, "_optimizer", None) is None:
            self._optimizer = s.build_optimizer()
        if getattr(self, "_rng", None) is None:
            self._rng = check_random_state(self.random_state)
        before = self.network_.get_weights()
        try:
            xs, ys = self._scaled(x, self.x_scaler_, "X"), self._scaled(y2, self.y_scaler_, "y")
        except ValueError:
            if first:
                forget_fit(self)
            raise
        loss_fn = get_loss(s.loss)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            loss, norm = many_to_one_epoch(
                self.network_,
                xs,
                ys,
                batch_size=s.batch_size,
                optimizer=self._optimizer,
                loss_fn=loss_fn,
                clip_norm=s.clip_norm,
                rng=self._rng,
            )
            after = float(loss_fn(predict_last(self.network_, xs), ys)[0])
        for key, value in (("train_loss", loss), ("grad_norm", norm), ("val_loss", np.nan)):
            if key in self.history_:
                self.history_[key].append(float(value))
        # usable: the loss of the new weights on this batch stays below 2 x the larger of the
        # loss of predicting zero and the loss before the updates (see models.rnn.divergence)
        limit = usable_limit(zero_baseline(s.loss, ys), float(loss))
        if np.isfinite(loss) and np.isfinite(norm) and after < limit:
            self.best_epoch_ = len(self.history_["train_loss"])
            return self
        problem = (
            f"the training loss of the updated weights is {after:.6g}, not below {limit:.6g} "
            f"(2 x the larger of the loss of predicting zero and {float(loss):.6g}, the loss "
            "before the updates)"
            if np.isfinite(loss) and np.isfinite(norm)
            else f"the training loss is {loss}"
        )
        if first:  # no weights from before: unfitted, as after a failed fit
            forget_fit(self)
            kept = "the model is left unfitted"
        else:
            self.network_.set_weights(before)
            self._optimizer = None  # its moments saw the bad gradients
            kept = "the weights from before this call were restored"
        raise DivergenceError(
            f"partial_fit diverged: {problem}; {kept}. Lower the learning rate lr or set "
            f"clip_norm (gradient clipping){s.hint}"
        )

    def predict(self, X: Any) -> np.ndarray:
        """Predict from the state at the last step of every window.

        Parameters
        ----------
        X : array-like of shape (n_samples, window) or (n_samples, window, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, horizon), float64
        """
        check_is_fitted(self)
        x, _ = self._check_data(X, "no_validation", reset=False)
        out = predict_last(self.network_, self._scaled(x, self.x_scaler_, "X")).astype(np.float64)
        if self.y_scaler_ is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                out = self.y_scaler_.inverse_transform(out).reshape(out.shape)
        check_finite_values(out.reshape(-1), f"{type(self).__name__}.predict: the prediction")
        return out[:, 0] if self._y_1d else out

    def save(self, path: Any) -> Any:
        """Write the model to ``path`` (see :func:`forecast.models.persistence.save_model`)."""
        from forecast.models.persistence import save_model

        return save_model(self, path)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()  # the network as plain arrays (NetworkPickling)
        state.pop("_optimizer", None)  # its moments are rebuilt by the next partial_fit
        return state

    # ------------------------------------------------------------------ internals

    def _check_data(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """Validate; return x as (n, window, n_inputs) and y as (n, n_outputs).

        ``y="no_validation"`` (predict) checks X only; ``y=None`` in fit raises.
        """
        x, y = self._check_windows(X, y, reset, multi_output=True, y_numeric=True)
        if y is None:
            return x, None
        if reset:
            self._y_1d = y.ndim == 1
        return x, y.reshape(len(y), -1)

    def _start(
        self, x: np.ndarray, y: np.ndarray, s: Any, rng: np.random.Generator, keep: bool
    ) -> None:
        """Fit the scalers on the training windows and build (or keep) the network."""
        self._fit_input_scaler(x)
        self.n_outputs_ = y.shape[1]
        self.y_scaler_ = Standardizer().fit(y) if self.scale else None
        old = getattr(self, "network_", None) if keep else None
        self.network_ = s.build_network(self.n_inputs_, self.n_outputs_, rng, old)

    def _finish(self, result: Any, optimizer: Any, rng: np.random.Generator) -> None:
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self._optimizer, self._rng = optimizer, rng

