"""The two kinds of covariates of the RNN forecasters, checked where they are forecast with.

* ``X``: covariates **observed up to the origin** (volume, the high-low range). One row per
  observation of ``y`` in ``fit``/``update``; they enter lagged (``x_{t-1}`` helps predict
  ``y_t``), so no value after the origin is ever asked for: a direct model uses them for
  every step, a recursive one can forecast one step only (step 2 would read ``x`` of the
  step-1 date, which is not known at the origin; nothing is imputed).
* ``X_known``: covariates **known in advance** (calendar, scheduled events, see
  :func:`forecast.calendar_features`). One row per observation of ``y`` in ``fit``/``update``,
  and in ``predict`` one row per forecast step, for the forecast dates.

:func:`known_future` validates the ``X_known`` of ``predict`` (with
:func:`forecast.models.covariates.check_known_future`, as for every forecaster),
:func:`check_steps` the horizon a model can forecast, :func:`known_after` the known inputs of
rollouts from the validation origins.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecast.models.covariates import check_known_future


def known_future(
    X_known: Any, horizon: int, dates: pd.Index, n_known: int, owner: str
) -> np.ndarray | None:
    """The ``X_known`` of ``predict(horizon)`` as float64 (horizon, q), or None without any.

    One row per forecast step, indexed by the forecast ``dates`` if a pandas object with a
    DatetimeIndex; ValueError names what is missing, too short, misaligned, or given to a
    model fitted without known-in-advance covariates.
    """
    if n_known == 0:
        if X_known is not None:
            raise ValueError(
                f"{owner} was fitted without known-in-advance covariates, got X_known of type "
                f"{type(X_known).__name__}; pass X_known=None (or refit with X_known)"
            )
        return None
    return check_known_future(X_known, horizon, n_known, dates)


def check_steps(horizon: int, strategy: str, max_horizon: int, n_exog: int, owner: str) -> None:
    """Refuse a horizon beyond a direct head, or beyond step 1 of a recursive model with X."""
    if strategy == "direct" and horizon > max_horizon:
        raise ValueError(
            f"horizon={horizon} exceeds max_horizon={max_horizon}, the steps of the direct "
            "head; refit with a larger max_horizon (or strategy='recursive')"
        )
    if strategy == "recursive" and n_exog and horizon > 1:
        raise ValueError(
            f"{owner} with strategy='recursive' and covariates observed up to the origin (X, "
            f"{n_exog} column(s)) forecasts one step: step 2 would read X of the step-1 date, "
            f"which is not known at the origin, got horizon={horizon}. Use "
            f"strategy='direct' with max_horizon >= {horizon}, or pass covariates known in "
            "advance as X_known"
        )


def known_after(u: np.ndarray, positions: np.ndarray, horizon: int, n_known: int) -> np.ndarray:
    """Known inputs of rollouts from the inputs at ``positions`` (B,) of ``u``: (horizon, B, q).

    Step ``h + 1`` from origin ``i`` reads the known columns of input ``i + h`` (those of the
    date of its target); positions past ``u`` are 0: their forecasts target data not seen
    and their errors are discarded (NaN).
    """
    steps = positions[None, :] + np.arange(horizon)[:, None]  # (horizon, B)
    inside = steps < len(u)
    rows = u[np.minimum(steps, len(u) - 1), -n_known:]
    return np.where(inside[..., None], rows, 0.0)
