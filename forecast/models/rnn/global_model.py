"""One recurrent network trained across many series (a *global* model), per-series scaling.

:class:`GlobalRNNForecaster` learns the dynamics that many price series share. Each series
is turned into its own standardised increments, exactly as in
:class:`~forecast.models.rnn.forecaster.RNNForecaster` (log returns by default, scaled by
the mean and standard deviation of *that series'* training part), so a stock quoted at
1000 and one quoted at 10 feed the network the same kind of numbers. The training pairs
``u_i -> s(r_{i+1})`` of every series are cut into contiguous TBPTT streams of one common
length ``L`` (:func:`~forecast.models.rnn.streams.pooled_streams`); a series contributes
``floor(n_train_s / L)`` streams and **no stream crosses from one series into another**.
All streams run in parallel through :func:`forecast.nn.train_tbptt`
(:mod:`forecast.models.rnn.streams`); each epoch, stream ``b`` of a series starts from the
state in which stream ``b - 1`` of the same series ended (the first stream of each series
from zeros). Early stopping uses the validation tails of all series, each run on from the state
in which its series' last stream ended.

:meth:`GlobalRNNForecaster.for_series` gives a :class:`GlobalSeriesForecaster`: the shared
network with one series' scaler, following the forecaster contract so that
:func:`forecast.backtest` and :func:`forecast.compare` can use it. Its ``fit`` does not
train: it runs the shared network over the series to the forecast origin.

**Look-ahead across series.** ``fit_many`` trains on everything it is given, so a network
fitted on series that end on different dates has seen, for the series that ends first,
observations of the others dated after its end. That is right for forecasting from today,
and wrong in a backtest. :func:`forecast.compare` and :func:`forecast.backtest` on many
series therefore never use one fit for all origins: with
:func:`~forecast.models.rnn.global_series.global_forecasters`, the network that forecasts
series ``s`` from origin ``t`` is fitted on every series truncated at ``t`` (observations dated on
or before ``t``), at the first origin and at each refit, and only ``s``'s own observations
move its state between refits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from forecast._validation import check_random_state, check_series
from forecast.models.rnn.divergence import unfitted_on_error
from forecast.models.rnn.global_series import GlobalSeriesForecaster
from forecast.models.rnn.likelihood_paths import check_scale
from forecast.models.rnn.settings import GLOBAL_DEFAULTS as D
from forecast.models.rnn.settings import check_settings, document_parameters
from forecast.models.rnn.streams import (
    direct_targets,
    plan_training,
    pooled_streams,
    tbptt_functions,
)
from forecast.models.rnn.target import TargetTransform, check_target_values
from forecast.models.rnn.training import NetworkPickling, fit_network
from forecast.nn import head_size

logger = logging.getLogger(__name__)

__all__ = ["GlobalRNNForecaster", "GlobalSeriesForecaster"]


@document_parameters
class GlobalRNNForecaster(NetworkPickling, BaseEstimator):
    """One LSTM, GRU or RNN trained on many series, each with its own scaler.

    It trains as :class:`~forecast.models.rnn.forecaster.RNNForecaster` with
    ``training="tbptt"`` (no ``window``, no covariates; ``strategy="direct"`` puts the same
    head of ``max_horizon`` outputs on the state at the origin); ``batch_size`` is the total
    number of parallel streams wanted, shared out over the series (see
    :func:`~forecast.models.rnn.streams.pooled_streams`).

    Parameters
    ----------
    {parameters}

    Notes
    -----
    *Likelihood (DeepAR).* With ``likelihood="normal"`` or ``"student_t"`` the shared head
    gives the distribution of each series' next scaled increment and is trained by its
    negative log-likelihood over the streams of all series (early stopping on the NLL of
    their validation tails). ``for_series(name)`` then forecasts from that distribution:
    ``sample_paths`` draws price paths by ancestral sampling, ``predict`` is its mean
    (Normal) or median (Student-t), ``predict_interval`` and ``predict_quantiles`` its
    quantiles, analytic at step 1 and from paths beyond (see
    :mod:`forecast.models.rnn.likelihood_paths`); in :func:`forecast.compare` with
    ``coverage`` its CRPS is scored. A fit whose predicted scale collapses on any series
    raises DivergenceError and leaves the model unfitted.

    The network learns from every observation passed to :meth:`fit_many`. To backtest a
    global model, pass it to :func:`forecast.compare` (``global_models``) or
    :func:`forecast.backtest` with a dict of series rather than backtesting a
    :meth:`for_series` forecaster: they refit it at each series' origins on all series
    truncated at that date (see
    :func:`~forecast.models.rnn.global_series.global_forecasters`), so that no forecast depends
    on an observation of any series dated after its origin.

    Attributes
    ----------
    network_ : forecast.nn.RecurrentNetwork
        The one network, shared by every :meth:`for_series` forecaster.
    scalers_ : dict of str to TargetTransform
        Each series' increments and standardisation, fitted on its own training part.
    series_ : dict of str to pandas.Series
        The series given to :meth:`fit_many`.
    n_streams_ : int
        Parallel streams B over all series.
    stream_owner_ : ndarray of shape (B,)
        The name of the series each stream comes from.
    history_ : dict of str to list of float
    best_epoch_ : int

    Examples
    --------
    >>> import forecast
    >>> wide = forecast.load_dataset("stocks_monthly")
    >>> series = {c: wide[c].dropna() for c in wide}
    >>> g = GlobalRNNForecaster(hidden_size=4, epochs=2, random_state=0).fit_many(series)
    >>> g.for_series("IBM").predict(2).index.strftime("%Y-%m").tolist()
    ['2010-04', '2010-05']
    >>> deepar = GlobalRNNForecaster(hidden_size=4, epochs=2, likelihood="student_t",
    ...                              random_state=0).fit_many(series)
    >>> deepar.for_series("IBM").sample_paths(3, n_samples=100, random_state=0).shape
    (100, 3)
    """

    def __init__(
        self,
        cell=D.cell,
        *,
        hidden_size=D.hidden_size,
        num_layers=D.num_layers,
        strategy=D.strategy,
        max_horizon=D.max_horizon,
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

    def fit_many(self, series: Mapping[str, Any]) -> GlobalRNNForecaster:
        """Train the network on all ``series`` at once.

        Parameters
        ----------
        series : mapping of str to pandas.Series or 1-D array
            Prices, oldest first, one entry per series (no missing values).

        Returns
        -------
        self

        Raises
        ------
        DivergenceError
            if no epoch reaches a usable fit (see :mod:`forecast.models.rnn.divergence`); the
            model is left unfitted.
        """
        if not isinstance(series, Mapping) or not series:
            raise TypeError(
                "fit_many needs a non-empty dict of series {name: Series}, got "
                f"{type(series).__name__}" + (" (empty)" if isinstance(series, Mapping) else "")
            )
        s = check_settings(self)
        rng = check_random_state(self.random_state)
        names, inputs, n_train, tails, data, scalers = [], [], [], [], {}, {}
        for name, y in series.items():
            values, index = check_series(y, f"series {name!r}", min_length=3)
            check_target_values(values, index, self.target, f"series {name!r}")
            plan = plan_training(s, len(values))
            scalers[name] = TargetTransform(
                self.target, values, None, plan.first_val + plan.offset + 1, f"series {name!r}"
            )
            u = scalers[name].inputs(values, None, dtype=s.dtype, name=f"series {name!r}")
            if not np.any(u[1 : plan.first_val + 1, 0]):  # its scaler cannot scale it
                raise ValueError(
                    f"series {name!r} has constant {self.target} increments on its training "
                    "part: nothing to learn, and the shared network would add a drift to it; "
                    "leave it out of the global model (NaiveForecaster forecasts it exactly)"
                )
            names.append(name)
            inputs.append(u)
            n_train.append(plan.first_val - s.n_steps + 1)  # origins whose targets all train
            tails.append((plan.first_val, plan.n_val))
            data[name] = pd.Series(values, index=index, name=getattr(y, "name", name))
        direct = [direct_targets(u, s.n_steps) for u in inputs] if s.n_steps > 1 else None
        streams = pooled_streams(inputs, n_train, s.batch_size, s.k2, direct)
        owner = streams[2]
        logger.info("global %s: %d series, %d streams of %d steps", s.cell, len(names),
                    len(owner), len(streams[0]))
        old = getattr(self, "network_", None) if self.warm_start else None
        net = s.build_network(1, head_size(s.training_loss), rng, old)
        optimizer = s.build_optimizer()
        fns = tbptt_functions(net, inputs, tails, streams, s, optimizer, rng)
        desc = f"{type(self).__name__}({s.cell})"
        with unfitted_on_error(self):
            result = fit_network(net, fns, s, verbose=self.verbose, desc=desc, optimizer=optimizer)
            if s.likelihood is not None:
                for name, u in zip(names, inputs, strict=True):
                    check_scale(net, s.training_loss, u, f"{desc}, series {name!r}")
        self.network_, self.scalers_, self.series_ = net, scalers, data
        self.n_streams_ = len(owner)
        self.stream_owner_ = np.array(names, dtype=object)[owner]
        self.history_, self.best_epoch_ = result.history, result.best_epoch
        return self

    def for_series(self, name: str) -> GlobalSeriesForecaster:
        """The forecaster of series ``name``: the shared network, that series' scaler.

        Returns
        -------
        GlobalSeriesForecaster
            Fitted on the series as given to :meth:`fit_many` (origin at its end).
        """
        if not hasattr(self, "network_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet; call fit_many first")
        if name not in self.scalers_:
            raise KeyError(f"no series {name!r} in the global model; it has {list(self.scalers_)}")
        view = GlobalSeriesForecaster(
            network=self.network_,
            scaler=self.scalers_[name],
            validation_fraction=self.validation_fraction,
            likelihood=self.likelihood,
            strategy=self.strategy,
            max_horizon=self.max_horizon,
        )
        return view.fit(self.series_[name])
