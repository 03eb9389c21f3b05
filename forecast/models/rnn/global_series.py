"""One series' forecaster of a global model, and the schedule that keeps a backtest honest.

:class:`GlobalSeriesForecaster` is the shared network of a
:class:`~forecast.models.rnn.global_model.GlobalRNNForecaster` with one series' scaler, following
the forecaster contract. :func:`global_forecasters` fits the global model at the forecast
origins of every series, on all series truncated at each origin's date, and hands each
series a forecaster that switches networks at its own refit origins: no forecast depends
on an observation of any series dated after its origin.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from forecast._validation import check_choice, check_float, check_int, check_series
from forecast.models.base import check_refit, refuse_exog
from forecast.models.history import SeriesHistory
from forecast.models.rnn.likelihood_paths import ProbabilisticForecaster, check_head
from forecast.models.rnn.rollout import RecurrentForecaster
from forecast.models.rnn.settings import FORECASTER_DEFAULTS, STRATEGIES
from forecast.models.rnn.target import TargetTransform, check_target_values
from forecast.models.rnn.training import validation_split
from forecast.nn import RecurrentNetwork

logger = logging.getLogger(__name__)

__all__ = ["MIN_GLOBAL_OBS", "GlobalSeriesForecaster", "global_forecasters"]

#: a series with fewer observations up to a fit origin sits out that fit of a global model
MIN_GLOBAL_OBS = 3


def global_forecasters(
    model: Any,
    tasks: Mapping[str, tuple[pd.Series, int]],
    *,
    horizon: int = 1,
    step: int = 1,
    refit_every: int | None = None,
) -> dict[str, Any]:
    """Per-series forecasters of a global model, none trained on data after its origin.

    The rule: **the network that forecasts series ``s`` from origin ``t`` (the date of the
    last observation of ``s`` seen there) is fitted on every series truncated at ``t``**,
    that is on the observations of all series dated on or before ``t``. Each series keeps
    its own calendar of origins, those of :func:`forecast.backtest` with first target
    ``start``; when the series end on different dates (MSFT in 2017, the S&P 500 in 2018)
    their origins differ, and so do the fits they use.

    The *fit origins* of ``s`` are its first origin and, with ``refit_every = k``, every
    k-th origin after it. For each distinct fit-origin date ``c`` over all series, one clone
    of ``model`` is fitted with ``fit_many`` on ``{r: y_r[dates <= c]}``; a series with
    fewer than ``MIN_GLOBAL_OBS`` observations dated on or before ``c`` has no usable past
    yet and sits out that fit (unless ``c`` is one of its own fit origins). Series ``s``
    gets a :class:`GlobalSeriesForecaster` with the network and
    scaler of its first fit origin and those of its later fit origins as ``refits``; in a
    backtest it switches to them at its refit origins and otherwise only moves its state
    over its own observations with ``update``. So no forecast depends on an observation of
    any series dated after its origin, in the fit, at refits, or between them. Series that
    share their dates share their fits: on series that end on the same date the first
    network is the single fit on every series' data before its first target.

    Parameters
    ----------
    model : GlobalRNNForecaster
        The template, cloned for every fit (never modified).
    tasks : mapping of str to (Series, int)
        Each validated series and the position of its first forecast target.
    horizon, step : int, default=1
        As in :func:`forecast.backtest`: they fix the origins.
    refit_every : int or None, default=None
        Refit at every ``refit_every``-th origin of each series; None fits once.

    Returns
    -------
    dict of str to GlobalSeriesForecaster
        Unfitted, one per series, for :func:`forecast.backtest` with the same settings.

    Raises
    ------
    TypeError
        If the indexes are not on one calendar (all dates with a time zone, all dates
        without one, or all positions).
    ValueError
        If a series has no origin with a full horizon, or is too short for ``fit_many`` at
        one of its fit origins (named).
    """
    kinds = {name: _calendar(y.index) for name, (y, _) in tasks.items()}
    if len(set(kinds.values())) > 1:
        raise TypeError(f"a global model aligns the series on one calendar, but their indexes "
                        f"differ: {kinds}; give every series a DatetimeIndex (all with or all "
                        f"without a time zone) or every series integer positions")
    origins = {}
    for name, (y, start) in tasks.items():
        targets = np.arange(start, len(y) - horizon + 1, step)
        if not len(targets):
            raise ValueError(f"series {name!r} has no origin with a full horizon: its first "
                             f"target is position {start} of {len(y)} and horizon={horizon}; "
                             f"start earlier")
        picks = targets[::refit_every] if refit_every else targets[:1]
        origins[name] = list(y.index[picks - 1])
    fits = {}
    for cutoff in sorted({c for labels in origins.values() for c in labels}):
        data = {}
        for name, (y, _) in tasks.items():
            past = y.iloc[: int(y.index.searchsorted(cutoff, side="right"))]
            if len(past) >= MIN_GLOBAL_OBS or cutoff in origins[name]:
                data[name] = past
            else:
                logger.info("global fit up to %s: series %r has %d observation(s) by then and "
                            "sits it out", cutoff, name, len(past))
        logger.info("global fit up to %s on %d series", cutoff, len(data))
        fits[cutoff] = clone(model).fit_many(data)
    return {
        name: GlobalSeriesForecaster(
            network=fits[labels[0]].network_,
            scaler=fits[labels[0]].scalers_[name],
            validation_fraction=model.validation_fraction,
            likelihood=model.likelihood,
            strategy=model.strategy,
            max_horizon=model.max_horizon,
            refits=tuple((c, fits[c].network_, fits[c].scalers_[name]) for c in labels[1:]),
        )
        for name, labels in origins.items()
    }


def _calendar(index: pd.Index) -> str:
    if isinstance(index, pd.DatetimeIndex):
        return "dates with a time zone" if index.tz is not None else "dates"
    return "positions"


class GlobalSeriesForecaster(ProbabilisticForecaster, RecurrentForecaster):
    """A trained network (shared) and one series' scaler, as a forecaster.

    ``fit(y)`` does **not** train: it runs the network over ``y``, scaled with the series'
    scaler, from a zero state to the forecast origin. ``update(y_new)`` carries the state
    on with the same weights.

    ``refits`` lists the networks of later fits of the global model, each with the date
    (index label) up to which it was trained: at an origin ``t`` (the last label seen) the
    forecaster uses the last of them dated on or before ``t``, or ``network`` if none is.
    ``fit`` chooses by the last label of ``y``; ``update(y_new, refit=True)`` chooses by the
    last label of ``y_new`` and reruns the chosen network from a zero state over everything
    seen (the refit of a backtest). Without ``refits``, ``refit=True`` raises, since the
    weights belong to the global model (refit that with
    :meth:`GlobalRNNForecaster.fit_many`). :func:`global_forecasters` builds
    such forecasters for a backtest, with no network trained on data after its origin.

    Parameters
    ----------
    network : forecast.nn.RecurrentNetwork
        Trained weights (not copied: forecasters of one global model share them).
    scaler : TargetTransform
        The series' increments and standardisation from the global fit.
    validation_fraction : float, default=0.1
        Trailing fraction of the pairs of ``y`` whose h-step errors give the intervals of
        :meth:`predict_interval` (in-sample for the global model); :meth:`for_series
        <forecast.models.rnn.global_model.GlobalRNNForecaster.for_series>` passes on the
        global model's.
    likelihood : {None, "normal", "student_t"}, default=None
        The head the network was trained with (that of the global model): with a name,
        ``predict``, ``predict_interval``, ``predict_quantiles`` and ``sample_paths`` come
        from the predictive distribution (ancestral sampling across the horizon, see
        :mod:`forecast.models.rnn.likelihood_paths`); None gives the point forecasts and
        the conformal intervals of the validation tail.
    strategy : {"recursive", "direct"}, default="recursive"
        The head the network was trained with (that of the global model): "direct" gives
        the increments of steps 1..max_horizon at once (see
        :mod:`forecast.models.rnn.rollout`).
    max_horizon : int, default=20
        The outputs of a direct head (``strategy="direct"`` only).
    refits : sequence of (label, RecurrentNetwork, TargetTransform), default=()
        Later networks with this series' scaler, in increasing order of the label (the date
        of the last observation of any series they were trained on).

    Examples
    --------
    See :class:`GlobalRNNForecaster`.
    """

    def __init__(
        self,
        network: Any = None,
        scaler: Any = None,
        validation_fraction: float = FORECASTER_DEFAULTS.validation_fraction,
        likelihood: str | None = None,
        strategy: str = FORECASTER_DEFAULTS.strategy,
        max_horizon: int = FORECASTER_DEFAULTS.max_horizon,
        refits: Any = (),
    ) -> None:
        self.network = network
        self.scaler = scaler
        self.validation_fraction = validation_fraction
        self.likelihood = likelihood
        self.strategy = strategy
        self.max_horizon = max_horizon
        self.refits = refits

    def _check_refits(self) -> list[tuple[Any, RecurrentNetwork, Any]]:
        refits = list(self.refits)
        for j, entry in enumerate(refits):
            if not (isinstance(entry, tuple) and len(entry) == 3
                    and isinstance(entry[1], RecurrentNetwork) and entry[2] is not None):
                raise TypeError(f"refits[{j}] must be a tuple (label, network, scaler), got "
                                f"{entry!r}; build them with global_forecasters (in "
                                "forecast.models.rnn.global_series)")
            if j and not refits[j - 1][0] < entry[0]:
                raise ValueError(f"refits must be in increasing order of their labels, got "
                                 f"{refits[j - 1][0]!r} before {entry[0]!r}")
        return refits

    def _weights_at(self, origin: Any) -> int:
        """Position in ``refits`` of the network in force at label ``origin`` (-1: network)."""
        active = -1
        for j, (label, _, _) in enumerate(self.refits):
            if label <= origin:
                active = j
        return active

    @property
    def _network(self) -> RecurrentNetwork:
        return self.network if self._active < 0 else self.refits[self._active][1]

    @property
    def _transform(self) -> TargetTransform:
        return self.scaler if self._active < 0 else self.refits[self._active][2]

    def fit(self, y: Any, X: Any = None) -> GlobalSeriesForecaster:
        """Run the network in force at the end of ``y`` over ``y`` (no training).

        Returns
        -------
        self
        """
        if not isinstance(self.network, RecurrentNetwork) or self.scaler is None:
            raise TypeError("GlobalSeriesForecaster needs a trained network and a scaler; get "
                            "one from GlobalRNNForecaster.for_series(name)")
        refuse_exog(X, "the global model")
        check_float(self.validation_fraction, "validation_fraction", min_value=0.0,
                    max_value=1.0)
        strategy = check_choice(self.strategy, "strategy", STRATEGIES)
        steps = 1
        if strategy == "direct":
            steps = check_int(self.max_horizon, "max_horizon", min_value=1)
        for net in [self.network] + [entry[1] for entry in self._check_refits()]:
            check_head(net, self.likelihood, steps)
        values, index = check_series(y, "y", min_length=3)
        self._active = self._weights_at(index[-1])
        check_target_values(values, index, self._transform.target)
        self._run(values, index)
        return self

    def _run(self, values: np.ndarray, index: pd.Index) -> None:
        """State, last output and interval residuals of the active network over ``values``."""
        u = self._transform.inputs(values, None, dtype=self._network.dtype)
        self._history = SeriesHistory(values, index)
        self.n_exog_ = 0
        n_val = validation_split(len(u) - 1, float(self.validation_fraction))
        self._set_origin(u, None, len(u) - 1 - n_val, n_val, steps=0)  # errors on demand

    def update(self, y_new: Any, refit: bool = False, X: Any = None) -> GlobalSeriesForecaster:
        """Append observations and carry the state over them.

        With ``refit=True`` (only when ``refits`` is given) the network in force at the new
        origin is run from a zero state over everything seen.
        """
        check_is_fitted(self)
        check_refit(refit)
        if refit and not len(self.refits):
            raise ValueError("refit=True: the weights of a global model are shared by all "
                             "series; refit it with GlobalRNNForecaster.fit_many instead")
        refuse_exog(X, "the global model")
        values, new_index = check_series(y_new, "y_new")
        check_target_values(values, new_index, self._transform.target, "y_new")
        if not refit:  # before anything changes: an overflow is refused by name
            origin = self._advanced(values, None)
        self._history.append(y_new, "y_new")
        if refit:
            self._active = self._weights_at(self._history.index[-1])
            self._run(self._history.values.copy(), self._history.index)
        else:
            self._move_origin(origin)
        return self

    def __sklearn_clone__(self) -> GlobalSeriesForecaster:
        # unfitted, with the same (read-only) network: the weights stay shared, not copied
        return type(self)(**self.get_params(deep=False))
