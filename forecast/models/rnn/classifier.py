"""RNNClassifier: a scikit-learn classifier that reads each row of X as a sequence.

Each sample is a window, oldest value first, ``X[i]`` of shape ``(window,)`` or
``(window, n_features)``; the network runs over it from a zero state and its head turns the
state at the last step into class probabilities (many-to-one)::

    h_t = Net(h_{t-1}, x_{i,t}),   t = 1 .. window,   h_0 = 0
    two classes:  z_i = w^T h_window + b          P(y_i = classes_[1]) = sigmoid(z_i)
    K classes:    z_i = W h_window + b  (K,)      P(y_i = classes_[k]) = softmax(z_i)_k

It is trained by full backpropagation through the window with minibatches, minimising the
log loss (binary cross-entropy of the logit, or cross-entropy of the K logits; see
:mod:`forecast.nn.classification`), with early stopping on the log loss of a trailing
validation tail; it plugs into scikit-learn (``GridSearchCV`` with
``scoring="neg_log_loss"``, ``cross_val_score``, pipelines, ``clone``).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from forecast import nn
from forecast._validation import check_random_state
from forecast.models.rnn.divergence import check_finite_values, unfitted_on_error
from forecast.models.rnn.settings import REGRESSOR_DEFAULTS as D
from forecast.models.rnn.settings import check_settings, document_parameters
from forecast.models.rnn.training import fit_network, validation_split
from forecast.models.rnn.window_model import WindowNetworkModel
from forecast.models.rnn.windows import predict_last, window_epoch_functions
from forecast.nn.likelihood import sigmoid

logger = logging.getLogger(__name__)


@document_parameters
class RNNClassifier(WindowNetworkModel, ClassifierMixin, BaseEstimator):
    """Recurrent network (RNN, LSTM or GRU) classifier on windows, many-to-one.

    Two classes get a sigmoid head (one logit, binary cross-entropy), more a softmax head (one
    logit per class, cross-entropy). The losses in ``history_`` are log losses (natural
    log, per sample), the quantity ``sklearn.metrics.log_loss`` reports.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted; ``predict_proba`` columns follow this order.
    network_ : forecast.nn.RecurrentNetwork
        The trained network; its head has 1 output for two classes, ``n_classes`` otherwise.
    n_features_in_ : int
        ``X.shape[1]``, the window length.
    n_inputs_ : int
        Features per step (1 for 2-D ``X``).
    x_scaler_ : Standardizer or None
        The input scaling (None when ``scale=False``).
    history_ : dict of str to list of float
        Per epoch: ``train_loss``, ``val_loss`` (with a validation fraction; the early
        stopping criterion) and ``grad_norm``.
    best_epoch_ : int
        The epoch whose weights the model holds.

    Examples
    --------
    >>> import numpy as np, forecast
    >>> close = forecast.load_dataset("sp500")["close"]
    >>> returns = np.log(close).diff().dropna().to_numpy()
    >>> X, y = forecast.make_windows(returns, window=10)
    >>> up = np.where(y.ravel() > 0, "up", "down")
    >>> model = RNNClassifier("gru", hidden_size=8, epochs=3, random_state=0).fit(X, up)
    >>> model.classes_.tolist(), model.predict_proba(X[-2:]).shape
    (['down', 'up'], (2, 2))
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
        self.dtype = dtype
        self.engine = engine
        self.scale = scale
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X: Any, y: Any) -> RNNClassifier:
        """Train on windows ``X`` and class labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, window) or (n_samples, window, n_features)
            Each row a sequence, oldest value first.
        y : array-like of shape (n_samples,)
            Class labels (integers, strings or booleans), at least two distinct ones.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            if ``y`` does not hold class labels (e.g. real-valued targets) or holds one class.
        DivergenceError
            if no epoch reaches a usable fit, a log loss below twice that of the uniform
            probabilities (see :mod:`forecast.models.rnn.divergence`); the model is left
            unfitted.
        """
        s = check_settings(self)
        x, y = self._check_windows(X, y, reset=True)
        classes, codes = _encode(y)
        s = replace(s, loss="bce" if len(classes) == 2 else "cross_entropy")
        rng = check_random_state(self.random_state)
        n_train = len(x) - validation_split(len(x), s.validation_fraction)
        with unfitted_on_error(self):
            self.classes_ = classes
            self._fit_input_scaler(x[:n_train])
            old = getattr(self, "network_", None) if self.warm_start else None
            n_outputs = 1 if len(classes) == 2 else len(classes)
            self.network_ = s.build_network(self.n_inputs_, n_outputs, rng, old)
            xs = self._scaled(x, self.x_scaler_, "X")
            targets = codes[:, None].astype(self.network_.dtype)  # 0/1, or a class index
            optimizer = s.build_optimizer()
            # the regressor's epochs under BCE/cross-entropy; the baseline is the log loss of
            # zero logits (log 2, or log K for K classes); training labels all of one class
            # are still a thing to learn (not a "constant" series whose head is zeroed)
            fns = window_epoch_functions(
                self.network_, xs, targets, n_train, s, optimizer, rng
            )._replace(constant=False)
            result = fit_network(
                self.network_, fns, s, verbose=self.verbose, desc=type(self).__name__,
                optimizer=optimizer,
            )
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """The logits: shape (n_samples,) for two classes (> 0 means ``classes_[1]``), else
        (n_samples, n_classes).

        Parameters
        ----------
        X : array-like of shape (n_samples, window) or (n_samples, window, n_features)

        Returns
        -------
        ndarray of float64
        """
        check_is_fitted(self)
        x, _ = self._check_windows(X, "no_validation", reset=False)
        z = predict_last(self.network_, self._scaled(x, self.x_scaler_, "X")).astype(np.float64)
        check_finite_values(z.reshape(-1), f"{type(self).__name__}: the logits")
        return z[:, 0] if len(self.classes_) == 2 else z

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``: sigmoid of the logit
        (``[1 - p, p]``) for two classes, softmax of the logits otherwise.

        Parameters
        ----------
        X : array-like of shape (n_samples, window) or (n_samples, window, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes), float64, rows summing to 1
        """
        z = self.decision_function(X)
        if z.ndim == 1:
            return np.column_stack([sigmoid(-z), sigmoid(z)])  # 1 - s(z) = s(-z), exactly
        return nn.softmax(z)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """``log(predict_proba(X))``, computed from the logits without underflow."""
        z = self.decision_function(X)
        if z.ndim == 1:
            z = np.column_stack([np.zeros_like(z), z])  # sigmoid(z) = softmax([0, z])[1]
        return nn.log_softmax(z)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of every window (the logit's sign for two classes).

        Returns
        -------
        ndarray of shape (n_samples,), labels from ``classes_``
        """
        z = self.decision_function(X)
        index = (z > 0).astype(np.intp) if z.ndim == 1 else np.argmax(z, axis=1)
        return self.classes_[index]


def _encode(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted classes of ``y`` and each label's index among them; named errors for
    targets that are not class labels or hold a single class."""
    kind = type_of_target(y, input_name="y")
    if kind not in ("binary", "multiclass"):
        raise ValueError(
            f"Unknown label type: {kind!r}. RNNClassifier needs y of class labels (integers, "
            f"strings or booleans), got y[:3]={y[:3].tolist()}; for a real-valued target use "
            "RNNRegressor, or turn it into classes first (e.g. y > 0)"
        )
    classes, codes = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(
            f"y has 1 class only ({classes.tolist()[0]!r} in all {len(y)} samples); a "
            "classifier needs at least two classes to learn from"
        )
    return classes, codes
