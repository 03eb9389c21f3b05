"""When a walk-forward evaluation forecasts, refits and updates: the :class:`WalkForward` settings.

One object documents and validates the seven settings shared by :func:`forecast.backtest`,
:func:`forecast.compare` and their many-series runs, and turns them into the forecast origins
of a given series (:meth:`WalkForward.plan`).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecast._dates import to_zone
from forecast._validation import check_choice, check_int

__all__ = ["Plan", "WalkForward", "first_target"]

WINDOWS = ("expanding", "rolling")


@dataclass(frozen=True)
class Plan:
    """The origins of one walk-forward over a series of ``n`` observations.

    Attributes
    ----------
    targets : ndarray of int
        ``q_i``, the position of the first forecast target of origin ``i`` (the origin
        itself is position ``q_i - 1``).
    train_size : int
        Length of the training window of a rolling refit (the first training set's length
        with ``window="expanding"``).
    """

    targets: np.ndarray
    train_size: int


@dataclass(frozen=True)
class WalkForward:
    """The settings of a rolling-origin evaluation, validated when it is made.

    With ``p`` the position of the first forecast target, the origins are the positions
    ``p, p + step, p + 2 step, ...`` while a full horizon of actuals is left. At the origin
    whose first target is position ``q`` the forecaster has seen exactly ``y[:q]`` (its last
    observation, ``y[q - 1]``, is the *origin*) and forecasts ``y[q : q + horizon]``::

        origin i:  seen = y[:q_i]   forecast = predict(horizon)   actual = y[q_i : q_i + horizon]

    What happens between origins (``i = 0, 1, ...``, ``k = refit_every``):

    * ``i = 0``: a clone of the forecaster is fitted on ``y[:p]`` (the last ``train_size``
      observations of it with ``window="rolling"``);
    * ``i`` a multiple of ``k``, a *refit*: with ``window="expanding"`` and ``warm_start``
      it is ``update(y_new, refit=True)``, which the forecaster contract defines as
      re-estimating on everything seen so far starting from the current state (AR
      recomputes its least squares exactly and incrementally; an RNN warm-starts from its
      current weights). Otherwise a fresh clone is fitted on ``y[:q_i]`` (expanding,
      ``warm_start=False``) or on ``y[q_i - train_size : q_i]`` (rolling);
    * any other ``i``: ``update(y_new)``, which moves the origin without changing the
      parameters. ``refit_every=None`` never refits: one fit, then updates only.

    Parameters
    ----------
    start : int, float, str or date, default=0.8
        The first forecast target, i.e. the size of the first training set:

        * int: a position; negative counts from the end (``start=-500``: the last 500
          observations are forecast targets);
        * float in (0, 1): a fraction of the series, ``p = floor(start * n)``;
        * str, date or Timestamp (DatetimeIndex only): the first observation on or after
          that date; tz-aware (any zone) if and only if the series' index is.
    horizon : int, default=1
        Number of steps forecast at each origin (``>= 1``).
    step : int, default=1
        Observations between consecutive origins (``>= 1``).
    refit_every : int or None, default=None
        Refit at every ``refit_every``-th origin (counting origins, not observations);
        ``None`` fits once at the first origin.
    window : {"expanding", "rolling"}, default="expanding"
        The training data of a refit: everything seen so far, or the last ``train_size``
        observations.
    train_size : int or None, default=None
        Length of the rolling training window (``window="rolling"`` only); ``None`` means
        the size of the first training set, ``p``.
    warm_start : bool, default=True
        For ``window="expanding"``: refit through ``update(y_new, refit=True)`` (True) or
        by fitting a fresh clone (False).

    Raises
    ------
    ValueError, TypeError
        For a setting out of range or of the wrong type, naming it (``start`` is checked
        against a series by :meth:`plan`).

    Examples
    --------
    >>> wf = WalkForward(start=-3, horizon=2)
    >>> wf.plan(pd.RangeIndex(10)).targets.tolist()
    [7, 8]
    """

    start: int | float | str | _dt.date | pd.Timestamp = 0.8
    horizon: int = 1
    step: int = 1
    refit_every: int | None = None
    window: str = "expanding"
    train_size: int | None = None
    warm_start: bool = True

    def __post_init__(self) -> None:
        fix = object.__setattr__  # frozen: the checked values replace the given ones
        fix(self, "horizon", check_int(self.horizon, "horizon", min_value=1))
        fix(self, "step", check_int(self.step, "step", min_value=1))
        if self.refit_every is not None:
            fix(self, "refit_every", check_int(self.refit_every, "refit_every", min_value=1))
        check_choice(self.window, "window", WINDOWS)
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise TypeError(f"warm_start must be a bool, got {self.warm_start!r}")
        if self.train_size is not None:
            fix(self, "train_size", check_int(self.train_size, "train_size", min_value=1))

    def replace(self, **changes: Any) -> WalkForward:
        """A copy with some settings changed (and validated again)."""
        return dataclasses.replace(self, **changes)

    def plan(self, index: pd.Index) -> Plan:
        """The origins over a series with labels ``index``.

        Parameters
        ----------
        index : pandas.Index of shape (n,)
            The labels of the series (a DatetimeIndex for a date ``start``).

        Returns
        -------
        Plan

        Raises
        ------
        ValueError
            If ``start`` leaves no origin with a full horizon, or ``train_size`` does not fit
            before the first target (or is given with ``window="expanding"``).
        """
        n = len(index)
        first = first_target(self.start, index, n)
        last_first = n - self.horizon  # the last position whose full horizon is observed
        if first > last_first:
            raise ValueError(
                f"no origin has a full horizon: start is position {first} of n={n} "
                f"observations and horizon={self.horizon} needs positions "
                f"{first}..{first + self.horizon - 1}; start at position {last_first} or earlier"
            )
        train_size = self.train_size
        if train_size is None:
            train_size = first
        elif self.window == "expanding":
            raise ValueError(
                f"train_size={train_size} is only for window='rolling', got window='expanding'"
            )
        elif train_size > first:
            raise ValueError(
                f"train_size={train_size} is longer than the {first} observations before "
                f"the first forecast target (position {first})"
            )
        return Plan(targets=np.arange(first, last_first + 1, self.step), train_size=train_size)


def first_target(start: Any, index: pd.Index, n: int) -> int:
    """Turn ``start`` (position, fraction or date) into the position of the first target.

    Parameters
    ----------
    start : int, float, str or date
        As in :class:`WalkForward`.
    index : pandas.Index
        The series' labels.
    n : int
        The series' length.

    Returns
    -------
    int
        A position in ``1..n - 1``.
    """
    if isinstance(start, (numbers.Integral, np.integer)) and not isinstance(start, bool):
        first = int(start) + n if start < 0 else int(start)
        if not 1 <= first < n:
            raise ValueError(
                f"start={start} must leave at least one observation on each side: "
                f"a position in 1..{n - 1} (or -{n - 1}..-1) for n={n}"
            )
        return first
    if isinstance(start, (float, np.floating)):
        if not 0 < start < 1:
            raise ValueError(
                f"a float start is a fraction of the series and must be in (0, 1), got {start}"
            )
        first = int(np.floor(start * n))
        if first < 1:
            raise ValueError(f"start={start} of n={n} observations leaves no training data")
        return first
    if isinstance(start, (str, _dt.date, np.datetime64)):
        if not isinstance(index, pd.DatetimeIndex):
            raise TypeError(
                f"a date start ({start!r}) needs a DatetimeIndex, y has a "
                f"{type(index).__name__}; give a position instead"
            )
        try:
            when = pd.Timestamp(start)
        except ValueError as exc:
            raise ValueError(f"start={start!r} is not a date: {exc}") from None
        first = int(index.searchsorted(to_zone(when, index.tz, "start", seen="y"), side="left"))
        if first == 0 or first >= n:
            span = f"{index[0].date()} .. {index[-1].date()}"
            raise ValueError(
                f"start={start!r} must fall after the first and on or before the last "
                f"observation ({span})"
            )
        return first
    raise TypeError(
        f"start must be a position (int), a fraction (float) or a date, "
        f"got {start!r} of type {type(start).__name__}"
    )
