"""One recurrent network trained across many series (a *global* model), per-series scaling.

:class:`GlobalRNNForecaster` learns the dynamics that many price series share. Each series
is turned into its own standardised increments, exactly as in
:class:`~forecast.models.rnn_forecaster.RNNForecaster` (log returns by default, scaled by
the mean and standard deviation of *that series'* training part), so a stock quoted at
1000 and one quoted at 10 feed the network the same kind of numbers. The training pairs
``u_i -> s(r_{i+1})`` of every series are cut into contiguous TBPTT streams of one common
length ``L`` (:func:`pooled_streams`); a series contributes ``floor(n_train_s / L)`` streams
and **no stream crosses from one series into another**. All streams run in parallel through
:func:`forecast.nn.train_tbptt`; each epoch, stream ``b`` of a series starts from the state
in which stream ``b - 1`` of the same series ended (the first stream of each series from
zeros). Early stopping uses the validation tails of all series, each run on from the state
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
:func:`~forecast.models.global_series.global_forecasters`, the network that forecasts series
``s`` from origin ``t`` is fitted on every series truncated at ``t`` (observations dated on
or before ``t``), at the first origin and at each refit, and only ``s``'s own observations
move its state between refits.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from forecast._validation import check_choice, check_random_state, check_series
from forecast.models._rnn_series import TARGETS, TargetTransform, check_target_values
from forecast.models._rnn_training import plan_training, tbptt_evaluation
from forecast.models._settings import check_settings, make_optimizer
from forecast.models._training import (
    EpochFunctions,
    fit_network,
)
from forecast.models.divergence import DivergenceError, forget_fit
from forecast.models.global_series import GlobalSeriesForecaster
from forecast.nn import NonFiniteError, RecurrentNetwork, get_loss, train_tbptt

logger = logging.getLogger(__name__)

__all__ = ["GlobalRNNForecaster", "GlobalSeriesForecaster", "pooled_streams"]


def pooled_streams(
    inputs: list[np.ndarray], n_train: list[int], batch_size: int, k2: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut the training pairs of many series into streams of one length ``L``.

    Series ``s`` has scaled inputs ``u^s`` (m_s, D) and ``n_train[s]`` training pairs
    ``u^s_i -> u^s_{i+1, 0}``. With ``per = ceil(batch_size / S)`` streams wanted per series
    and ``n = min_s n_train[s]``, ``L = min(n, max(k2, n // per))`` (a stream spans a
    truncation window when it can) and series ``s`` gives ``b_s = n_train[s] // L``
    streams covering its last ``b_s L`` training pairs (the oldest remainder is left out, so
    the last stream ends right before the validation tail).

    Parameters
    ----------
    inputs : list of ndarray of shape (m_s, D)
    n_train : list of int
    batch_size : int
    k2 : int, default=1
        The truncated-BPTT window: the shortest stream length unless a series is shorter.

    Returns
    -------
    x : ndarray of shape (L, B, D)
        Time-major inputs, B = sum of b_s, series after series.
    t : ndarray of shape (L, B, 1)
        The targets ``u_{i+1, 0}``.
    owner : ndarray of shape (B,)
        The position of the series each stream comes from.

    Examples
    --------
    >>> u = [np.arange(11.0)[:, None], 100 + np.arange(7.0)[:, None]]
    >>> x, t, owner = pooled_streams(u, [10, 6], batch_size=4)
    >>> x.shape, owner.tolist()
    ((3, 5, 1), [0, 0, 0, 1, 1])
    >>> x[:, 3, 0].tolist(), t[:, 3, 0].tolist()
    ([100.0, 101.0, 102.0], [101.0, 102.0, 103.0])
    """
    per = math.ceil(batch_size / len(inputs))
    shortest = min(n_train)
    length = min(shortest, max(k2, shortest // per))
    xs, ts, owner = [], [], []
    for s, (u, n) in enumerate(zip(inputs, n_train, strict=True)):
        b = n // length
        skip = n - b * length
        D = u.shape[1]
        xs.append(u[skip:n].reshape(b, length, D).transpose(1, 0, 2))
        ts.append(u[skip + 1 : n + 1, :1].reshape(b, length, 1).transpose(1, 0, 2))
        owner += [s] * b
    return np.concatenate(xs, axis=1), np.concatenate(ts, axis=1), np.array(owner)


class GlobalRNNForecaster(BaseEstimator):
    """One LSTM, GRU or RNN trained on many series, each with its own scaler.

    The parameters are those of :class:`~forecast.models.rnn_forecaster.RNNForecaster`
    with ``training="tbptt"`` (no ``window``, no exogenous inputs); ``batch_size`` is the
    total number of parallel streams wanted, shared out over the series (see
    :func:`pooled_streams`).

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"}, default="lstm"
    hidden_size, num_layers, k1, k2, target, epochs, batch_size, lr, optimizer, clip_norm,
    loss, dtype, validation_fraction, patience, random_state, verbose
        As in RNNForecaster. ``validation_fraction`` is taken of each series' pairs.

    Notes
    -----
    The network learns from every observation passed to :meth:`fit_many`. To backtest a
    global model, pass it to :func:`forecast.compare` (``global_models``) or
    :func:`forecast.backtest` with a dict of series rather than backtesting a
    :meth:`for_series` forecaster: they refit it at each series' origins on all series
    truncated at that date (see
    :func:`~forecast.models.global_series.global_forecasters`), so that no forecast depends
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
    """

    def __init__(
        self,
        cell: str = "lstm",
        *,
        hidden_size: int = 32,
        num_layers: int = 1,
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
        random_state: Any = None,
        verbose: bool = False,
    ) -> None:
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
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
            if no epoch reaches a usable fit (see :mod:`forecast.models.divergence`); the
            model is left unfitted.
        """
        if not isinstance(series, Mapping) or not series:
            raise TypeError(
                "fit_many needs a non-empty dict of series {name: Series}, got "
                f"{type(series).__name__}" + (" (empty)" if isinstance(series, Mapping) else "")
            )
        check_choice(self.target, "target", TARGETS)
        s = check_settings(self)
        rng = check_random_state(self.random_state)
        names, inputs, n_train, tails, data, scalers = [], [], [], [], {}, {}
        plan = None
        for name, y in series.items():
            values, index = check_series(y, f"series {name!r}", min_length=3)
            check_target_values(values, index, self.target, f"series {name!r}")
            plan = plan_training(s, "tbptt", self.target, 1, self.k1, self.k2, len(values))
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
            n_train.append(plan.first_val)
            tails.append((plan.first_val, plan.n_val))
            data[name] = pd.Series(values, index=index, name=getattr(y, "name", name))
        x, t, owner = pooled_streams(inputs, n_train, s.batch_size, plan.k2)
        logger.info("global %s: %d series, %d streams of %d steps", s.cell, len(names),
                    x.shape[1], x.shape[0])
        net = RecurrentNetwork(s.cell, 1, s.hidden_size, s.num_layers, dtype=s.dtype, rng=rng)
        optimizer = make_optimizer(s.optimizer, s.lr)
        first = np.r_[True, owner[1:] != owner[:-1]]  # the first stream of each series
        last = np.r_[owner[1:] != owner[:-1], True]
        carried = net.init_state(len(owner))
        ends: list[tuple[np.ndarray, ...]] = []
        loss_fn = get_loss(s.loss)

        def run_epoch(epoch: int) -> tuple[float, float]:
            nonlocal carried
            try:
                result = train_tbptt(
                    net, x, t, k1=plan.k1, k2=plan.k2, optimizer=optimizer, loss=s.loss,
                    clip_norm=s.clip_norm, state=carried, rng=rng,
                )
            except NonFiniteError:  # a NaN or inf reached the carried state or the gradients
                return float("nan"), float("nan")
            # stream b starts where stream b - 1 of the same series ended; first ones from zeros
            shifted = tuple(np.concatenate([p[:, :1], p[:, :-1]], axis=1) for p in result.state)
            carried = tuple(np.where(first[None, :, None], 0, p) for p in shifted)
            ends[:] = [tuple(p[:, last] for p in result.state)]
            return float(np.mean(result.losses)), float(np.mean(result.grad_norms))

        def validate() -> float:
            y_hats, targets = [], []
            for j, (u, (fv, n_val)) in enumerate(zip(inputs, tails, strict=True)):
                state = tuple(p[:, j : j + 1] for p in ends[0])
                y_hat, _, _ = net.forward(u[fv : fv + n_val, None], state)
                y_hats.append(y_hat)
                targets.append(u[fv + 1 : fv + n_val + 1, None, :1])
            return loss_fn(np.concatenate(y_hats), np.concatenate(targets))[0]

        has_val = all(n_val for _, n_val in tails)
        evaluate, baseline = tbptt_evaluation(net, x, t, plan.k1, plan.k2, s.loss)
        fns = EpochFunctions(run_epoch, validate if has_val else None, evaluate, baseline)
        try:
            result = fit_network(
                net, fns, s, verbose=self.verbose, desc=f"{type(self).__name__}({s.cell})"
            )
        except DivergenceError:
            forget_fit(self)  # unfitted, also if fitted before
            raise
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
        )
        return view.fit(self.series_[name])
