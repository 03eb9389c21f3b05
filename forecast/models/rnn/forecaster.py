"""RNNForecaster: the latent autoregressive model ``H_t = Net(H_{t-1}, X_t)`` on a price series.

It follows the forecaster contract of :class:`~forecast.models.ar.ARForecaster`, so the two
swap in one line. Inside, prices become standardised increments (log returns by default,
see :mod:`forecast.models.rnn.target`), the network learns to predict the next increment
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

Two ways to forecast beyond one step (``strategy``): ``"recursive"`` feeds each forecast back
as the next input; ``"direct"`` puts a head of ``max_horizon`` outputs on the state at the
origin (one state, many outputs), trained with either mode on every origin of the training
part whose ``max_horizon`` next increments lie in it (see :mod:`forecast.models.rnn.rollout`).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from forecast._validation import check_random_state, check_series
from forecast.models.base import check_refit
from forecast.models.history import SeriesHistory
from forecast.models.rnn.divergence import unfitted_on_error
from forecast.models.rnn.likelihood_paths import ProbabilisticForecaster, check_scale
from forecast.models.rnn.rollout import INTERVAL_STEPS, RecurrentForecaster
from forecast.models.rnn.settings import FORECASTER_DEFAULTS as D
from forecast.models.rnn.settings import check_settings, document_parameters
from forecast.models.rnn.streams import (
    Plan,
    cut_streams,
    direct_targets,
    plan_training,
    single_layout,
    tbptt_functions,
)
from forecast.models.rnn.target import TargetTransform, check_exog, check_target_values
from forecast.models.rnn.training import TrainingResult, fit_network
from forecast.models.rnn.windows import series_windows, window_epoch_functions
from forecast.nn import RecurrentNetwork, head_size

logger = logging.getLogger(__name__)


@document_parameters
class RNNForecaster(ProbabilisticForecaster, RecurrentForecaster):
    """Recurrent network forecaster (LSTM, GRU or RNN) with the AR forecaster's interface.

    Parameters
    ----------
    {parameters}

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
        Columns of ``X``, the covariates observed up to the origin (0 without).
    n_known_ : int
        Columns of ``X_known``, the covariates known in advance (0 without).
    index_ : pandas.Index
        Labels of every observation seen (``fit`` and ``update``).

    Notes
    -----
    *Covariates*, two kinds (see :mod:`forecast.models.rnn.covariates`), standardised on the
    training part and appended to the input of every step:

    * ``X``, **observed up to the origin** (e.g. volume, the high-low range): the input of
      date ``t`` holds ``x_t``, so ``x_{t-1}`` helps predict ``y_t`` and no value after the
      origin is needed. A direct model uses them for all its steps; a recursive model
      forecasts one step (step 2 would need ``x`` of the step-1 date; nothing is imputed).
    * ``X_known``, **known in advance** (e.g. :func:`forecast.calendar_features`): the input
      of date ``t`` holds the row of date ``t + 1``, the date its output forecasts, so
      ``predict(h, X_known=...)`` takes one row per forecast step (a direct head reads that
      of step 1, a recursive one each step's).

    ``update`` needs the new rows of each kind the fit had, alongside the new observations.

    *Intervals.* ``predict_interval`` uses the h-step forecast errors of the fitted model on
    the validation tail, on the scale of ``log p`` (log returns) or ``p`` (other targets),
    from each validation origin forecasting as ``predict`` does (recursively, or the direct
    head's step h), and takes their equal-tailed split-conformal quantiles
    (:func:`~forecast.models.rnn.rollout.conformal_bounds`). The errors of the first 20
    steps are computed at the end of each fit (longer horizons when asked for) and
    ``update`` without refit keeps them. Their coverage holds as long as the errors of the
    validation tail are like those to come (no change of volatility).

    *Likelihood.* With ``likelihood="normal"`` or ``"student_t"`` the head predicts the
    distribution of the next increment instead (trained by its negative log-likelihood):
    ``sample_paths`` draws price paths by ancestral sampling, ``predict`` is the mean of the
    predictive distribution (Normal) or its median (Student-t), and ``predict_interval``
    and ``predict_quantiles`` its quantiles, analytic at step 1 and from paths beyond (see
    :mod:`forecast.models.rnn.likelihood_paths`).

    Examples
    --------
    >>> import forecast
    >>> close = forecast.load_dataset("sp500")["close"]
    >>> model = RNNForecaster("lstm", hidden_size=8, epochs=3, random_state=0)
    >>> model = model.fit(close.loc[:"2016-03-15"])
    >>> model.predict(3).index.strftime("%Y-%m-%d").tolist()
    ['2016-03-16', '2016-03-17', '2016-03-18']
    >>> list(model.predict_interval(3, coverage=0.9).columns)
    ['lower', 'upper']
    """

    def __init__(
        self,
        cell=D.cell,
        *,
        hidden_size=D.hidden_size,
        num_layers=D.num_layers,
        strategy=D.strategy,
        max_horizon=D.max_horizon,
        training=D.training,
        window=D.window,
        k1=D.k1,
        k2=D.k2,
        target=D.target,
        epochs=D.epochs,
        batch_size=D.batch_size,
        lr=D.lr,
        lr_schedule=D.lr_schedule,
        lr_schedule_params=D.lr_schedule_params,
        optimizer=D.optimizer,
        clip_norm=D.clip_norm,
        loss=D.loss,
        likelihood=D.likelihood,
        dtype=D.dtype,
        engine=D.engine,
        validation_fraction=D.validation_fraction,
        patience=D.patience,
        warm_start=D.warm_start,
        random_state=D.random_state,
        verbose=D.verbose,
    ) -> None:
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.strategy = strategy
        self.max_horizon = max_horizon
        self.training = training
        self.window = window
        self.k1 = k1
        self.k2 = k2
        self.target = target
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.lr_schedule_params = lr_schedule_params
        self.optimizer = optimizer
        self.clip_norm = clip_norm
        self.loss = loss
        self.likelihood = likelihood
        self.dtype = dtype
        self.engine = engine
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ the contract

    def fit(self, y: Any, X: Any = None, X_known: Any = None) -> RNNForecaster:
        """Train on the series ``y`` (and covariates ``X``, ``X_known``).

        Parameters
        ----------
        y : pandas.Series or array-like of shape (n,)
            Prices (or any level series), oldest first; a DatetimeIndex or integer index.
        X : pandas.DataFrame or array-like of shape (n, k), optional
            Covariates observed up to the origin, one row per observation of ``y`` (same
            index if both are pandas objects); they enter lagged.
        X_known : pandas.DataFrame or array-like of shape (n, q), optional
            Covariates known in advance (calendar), one row per observation of ``y``;
            ``predict`` then needs their rows for the forecast dates.

        Returns
        -------
        self

        Raises
        ------
        DivergenceError
            if no epoch reaches a usable fit (see :mod:`forecast.models.rnn.divergence`): the
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
        aligned = index if isinstance(y, (pd.Series, pd.DataFrame)) else None
        exog, known = (
            None if Z is None else check_exog(Z, aligned, len(values), None, name)
            for Z, name in ((X, "X"), (X_known, "X_known"))
        )
        plan = self._plan(len(values))  # every check that can fail, before any state changes
        if known is not None and plan.settings.likelihood is not None:
            raise ValueError(
                f"likelihood={self.likelihood!r} samples paths without known-in-advance "
                "covariates, got X_known; pass X_known=None or use likelihood=None"
            )
        rng = check_random_state(self.random_state)
        warm = self.warm_start and hasattr(self, "network_")
        self._history = SeriesHistory(values, index)
        self._exog = None if exog is None else [exog]
        self._known = None if known is None else [known]
        self._fit_series(values, exog, known, plan, warm, rng)
        return self

    def update(
        self, y_new: Any, refit: bool = False, X: Any = None, X_known: Any = None
    ) -> RNNForecaster:
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
            The rows of the covariates observed up to the origin for the new observations;
            required iff ``fit`` had ``X``.
        X_known : DataFrame or array-like of shape (m, q), optional
            The rows of the known-in-advance covariates for the new observations (their
            dates, not the forecast dates); required iff ``fit`` had ``X_known``.

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
        check_refit(refit)
        n_seen = len(self._history)
        values, new_index = check_series(y_new, "y_new")
        check_target_values(values, new_index, self.target, "y_new")
        pandas_y = isinstance(y_new, pd.Series)
        exog, known = (
            _new_rows(Z, name, n_cols, new_index if pandas_y else None, len(values))
            for Z, name, n_cols in ((X, "X", self.n_exog_), (X_known, "X_known", self.n_known_))
        )
        if refit:
            rng = check_random_state(self.random_state)
            plan = self._plan(n_seen + len(values))
        else:  # the new origin, before anything changes: committed after the append
            origin = self._advanced(values, exog, known)
        self._history.append(y_new, "y_new")
        for parts, rows in ((self._exog, exog), (self._known, known)):
            if parts is not None:
                parts.append(rows)
        if refit:
            all_exog = None if self._exog is None else np.concatenate(self._exog)
            all_known = None if self._known is None else np.concatenate(self._known)
            self._fit_series(self._history.values.copy(), all_exog, all_known, plan, True, rng)
        else:
            self._move_origin(origin)
        logger.debug("update: %d -> %d observations (refit=%s)", n_seen, len(self._history), refit)
        return self

    # ------------------------------------------------------------------ training

    @property
    def _network(self) -> RecurrentNetwork:
        return self.network_

    @property
    def _transform(self) -> TargetTransform:
        return self._features

    def _plan(self, n: int) -> Plan:
        """Validate every parameter against a series of ``n`` observations (see :class:`Plan`)."""
        return plan_training(check_settings(self), n)

    def _fit_series(
        self,
        values: np.ndarray,
        exog: np.ndarray | None,
        known: np.ndarray | None,
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
        self.n_known_ = 0 if known is None else known.shape[1]
        old = getattr(self, "network_", None) if warm else None
        with unfitted_on_error(self):
            self._features = TargetTransform(
                self.target, values, exog, first_val + plan.offset + 1, known=known
            )
            u = self._features.inputs(values, exog, known=known, dtype=s.dtype)  # (m, D)
            self.network_, self.n_streams_, result = train_network(
                old, u, plan, rng, verbose=self.verbose, desc=f"{type(self).__name__}({s.cell})"
            )
            self.history_, self.best_epoch_ = result.history, result.best_epoch
            if s.likelihood is not None:
                check_scale(self.network_, s.training_loss, u, f"{type(self).__name__}")
            window = s.window if s.training == "window" else None
            self._set_origin(u, window, first_val, n_val, INTERVAL_STEPS)


def train_network(
    old: RecurrentNetwork | None,
    u: np.ndarray,
    plan: Plan,
    rng: np.random.Generator,
    *,
    verbose: bool,
    desc: str,
) -> tuple[RecurrentNetwork, int, TrainingResult]:
    """Train a network of RNNForecaster on the scaled inputs ``u`` (m, D) laid out by ``plan``.

    ``old`` (a warm start) is trained on if its shape fits, otherwise a new network is
    drawn from ``rng``. Returns ``(network, n_streams, result)``; raises DivergenceError
    when no epoch is usable (see :func:`forecast.models.rnn.training.train`).
    """
    s = plan.settings
    H = s.n_steps  # the outputs of a point head: 1, or max_horizon for a direct one
    net = s.build_network(u.shape[1], head_size(s.training_loss), rng, old)
    optimizer = s.build_optimizer()
    targets = direct_targets(u, H) if H > 1 else None  # (m, H): u_{i+1..i+H, 0}, NaN past u
    if s.training == "tbptt":
        n_train = plan.first_val - H + 1  # the origins whose H targets are all trained on
        length, counts = single_layout(n_train, s.batch_size, s.k2)
        streams = cut_streams([u], [n_train], length, counts, None if H == 1 else [targets])
        logger.debug(
            "tbptt: %d streams of %d steps, k1=%d, k2=%d", counts[0], length, s.k1, s.k2
        )
        tails = [(plan.first_val, plan.n_val)]
        fns = tbptt_functions(net, [u], tails, streams, s, optimizer, rng)
        n_streams = counts[0]
    else:
        x = series_windows(u, s.window)[: plan.n_samples]  # window j ends at input j + window - 1
        # and predicts the increment(s) of the input(s) after it
        t = u[s.window :, :1] if H == 1 else targets[s.window - 1 : s.window - 1 + len(x)]
        first_val = plan.n_samples - plan.n_val
        fns = window_epoch_functions(net, x, t, first_val - H + 1, s, optimizer, rng, first_val)
        n_streams = 0
    return net, n_streams, fit_network(net, fns, s, verbose=verbose, desc=desc,
                                       optimizer=optimizer)


def _new_rows(Z: Any, name: str, n_columns: int, index: pd.Index | None, n: int) -> Any:
    """The rows of covariates ``name`` for ``n`` new observations, required iff fitted with."""
    if (Z is None) != (n_columns == 0):
        need = f"{name} with {n_columns} column(s)" if n_columns else f"{name}=None"
        raise ValueError(
            f"update needs {need}, as in fit; got {name} of type {type(Z).__name__}"
        )
    return None if Z is None else check_exog(Z, index, n, n_columns, name)
