"""From a price series (and exogenous columns) to the scaled inputs of an RNN forecaster, back.

The network never sees prices. With ``target="log_return"`` it reads and predicts
``r_t = log(p_t / p_{t-1})``, with ``"diff"`` ``r_t = p_t - p_{t-1}``, with ``"level"``
``r_t = p_t``; each standardised with the mean and standard deviation of the training part.
Its input at step ``t`` is ``u_t = [s(r_t), s(x_t), s(c_{t+1})]`` and its output at step ``t``
predicts ``s(r_{t+1})`` (or, for a direct model, ``s(r_{t+1}), ..., s(r_{t+H})``):

* ``x_t``, the row of ``X`` of the same date: covariates *observed up to the origin*, which
  so enter lagged (``x_{t-1}`` helps predict ``r_t``; no value after the origin is needed);
* ``c_{t+1}``, the row of ``X_known`` of the *next* date: covariates *known in advance*
  (calendar), so the input at the forecast origin needs those of the first forecast date.
  The last input of the data seen is *pending* until they are given: its known columns
  are 0 in ``u`` (:meth:`TargetTransform.inputs`) and are filled by the forecaster.

Each column is standardised with the mean and standard deviation of the training part.
Forecasts of ``s(r)`` go back to prices with the transforms' ``inverse_transform`` from the
last observed price.

Residuals for intervals are taken on the *cumulative scale* ``z``: ``log p`` for log returns,
``p`` otherwise, where an h-step forecast error is ``z_{t+h} - z^_{t+h}``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecast._numeric import FloatRangeError
from forecast._validation import check_positive
from forecast.models.covariates import check_covariates
from forecast.models.rnn.divergence import DivergenceError
from forecast.transforms import Differencer, LogReturns, Standardizer


class TargetTransform:
    """The fitted map ``(prices, exogenous) -> network inputs`` of one RNNForecaster fit.

    Parameters
    ----------
    target : {"log_return", "diff", "level"}
    y : ndarray of shape (n,)
        Training prices (levels), oldest first.
    X : ndarray of shape (n, k) or None
        Covariates observed up to the origin, aligned with ``y``.
    n_scale : int
        How many of the first observations the scalers are fitted on (the data before the
        validation tail).
    name : str, default="y"
        How the caller calls ``y`` in error messages (an increment that overflows raises).
    known : ndarray of shape (n, q) or None, default=None
        Covariates known in advance (``X_known``), aligned with ``y``.

    Attributes
    ----------
    offset : int
        Observations consumed before the first increment (1 for returns and differences,
        0 for levels): input ``u_i`` belongs to observation ``i + offset``.
    n_inputs : int
        ``1 + k + q`` features per step.
    n_known : int
        ``q``, the known-in-advance columns (the last ``q`` inputs).
    """

    known_scaler: Standardizer | None = None  # models saved before X_known have none
    n_known = 0

    def __init__(
        self,
        target: str,
        y: np.ndarray,
        X: np.ndarray | None,
        n_scale: int,
        name: str = "y",
        known: np.ndarray | None = None,
    ) -> None:
        self.target = target
        self.offset = 0 if target == "level" else 1
        if target == "log_return":
            self.increments: LogReturns | Differencer | None = LogReturns().fit(y[:n_scale])
        elif target == "diff":
            self.increments = Differencer(order=1).fit(y[:n_scale])
        else:
            self.increments = None
        with np.errstate(over="ignore", invalid="ignore"):
            r = self._raw_increments(y[:n_scale], None)
        if not np.isfinite(r).all():
            i = int(np.flatnonzero(~np.isfinite(r))[0])
            raise ValueError(
                f"{name} gives a non-finite network input at position {i + self.offset}: its "
                f"target={target!r} increment there is {r[i]} (overflow). Rescale the data "
                "(e.g. divide by a power of 10) first"
            )
        self.target_scaler = Standardizer().fit(r)
        self.exog_scaler = None if X is None else Standardizer().fit(X[self.offset : n_scale])
        if known is not None:
            self.known_scaler = Standardizer().fit(known[:n_scale])
            self.n_known = known.shape[1]
        self.n_inputs = 1 + (0 if X is None else X.shape[1]) + self.n_known

    def _raw_increments(self, y: np.ndarray, previous: float | None) -> np.ndarray:
        """``r`` of ``y`` (preceded by the level ``previous`` when given), unscaled; inf
        where an increment overflows (reported by the callers with the position)."""
        if self.increments is None:
            return y
        levels = y if previous is None else np.concatenate(([previous], y))
        try:
            return self.increments.transform(levels)
        except FloatRangeError:  # the transform names no position of the caller's y
            if self.target != "diff":
                raise
            return np.diff(levels)  # inf where a difference overflows

    def inputs(
        self,
        y: np.ndarray,
        X: np.ndarray | None,
        previous: float | None = None,
        *,
        known: np.ndarray | None = None,
        dtype: Any = np.float64,
        name: str = "y",
    ) -> np.ndarray:
        """Network inputs ``u`` of shape (m, n_inputs) in ``dtype``, all finite.

        Without ``previous``, ``y`` is a whole series and ``m = len(y) - offset``; with it
        (the level just before ``y``), ``y`` continues a series and ``m = len(y)``. The
        known columns of a row are those of ``known`` (aligned with ``y``) at the next
        observation; the last row's are pending, 0 (see the module docstring).

        Raises
        ------
        ValueError
            naming ``name`` and the first row if an increment or a scaled value overflows
            (e.g. differences of values near 1e308, or a value far outside the scale of
            the training part in float32).
        """
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
            r = self.target_scaler.transform(self._raw_increments(y, previous))
            columns = [r[:, None]]
            if self.exog_scaler is not None:
                x = X if previous is not None else X[self.offset :]
                columns.append(self.exog_scaler.transform(x).reshape(len(x), -1))
            if self.n_known:
                c = self.scale_known(known if previous is not None else known[self.offset :])
                columns.append(np.concatenate([c[1:], np.zeros_like(c[:1])]))  # c_{t+1}
            u = np.concatenate(columns, axis=1).astype(dtype)
        bad = np.flatnonzero(~np.isfinite(u).all(axis=1))
        if bad.size:
            row = int(bad[0]) + (0 if previous is not None else self.offset)
            raise ValueError(
                f"{name} gives a non-finite network input at position {row}: "
                f"{u[bad[0]].tolist()} ({bad.size} such position(s)); its target={self.target!r} "
                f"increments (or the columns of X), scaled, overflow {np.dtype(dtype).name}. "
                "Rescale the data (e.g. divide by a power of 10) first"
            )
        return u

    def scale_known(self, known: np.ndarray) -> np.ndarray:
        """Known-in-advance rows ``known`` (m, q) standardised: ``(c - mean) / scale``."""
        return self.known_scaler.transform(known).reshape(len(known), -1)

    def levels(self, r_scaled: np.ndarray, last_level: float) -> np.ndarray:
        """Prices that continue ``last_level`` with the scaled increments ``r_scaled`` (h,).

        ``p_{n+h} = p_n exp(r_{n+1} + ... + r_{n+h})`` for log returns,
        ``p_n + r_{n+1} + ... + r_{n+h}`` for differences, ``r_{n+h}`` for levels.
        """
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            r = self.target_scaler.inverse_transform(r_scaled)
            try:
                levels = (
                    r
                    if self.increments is None
                    else self.increments.inverse_transform(r, start=float(last_level))
                )
            except FloatRangeError:  # the same formula, to find the step that overflows
                total = np.cumsum(r)
                levels = (
                    last_level * np.exp(total)
                    if self.target == "log_return"
                    else last_level + total
                )
        bad = ~np.isfinite(levels) | ((levels <= 0) if self.target == "log_return" else False)
        if bad.any():
            h = int(np.flatnonzero(bad)[0])
            raise DivergenceError(
                f"the forecast of step {h + 1} is {levels[h]} (scaled increment "
                f"{float(r_scaled[h]):.6g}): the recursive forecast overflows. Use a "
                "shorter horizon, or refit with a lower learning rate lr"
            )
        return levels

    def cumulative(self, y: np.ndarray) -> np.ndarray:
        """The scale of interval residuals: ``z = log p`` for log returns, ``p`` otherwise."""
        return np.log(y) if self.target == "log_return" else y

    def cumulative_paths(self, r_scaled: np.ndarray, z_origin: np.ndarray) -> np.ndarray:
        """Forecasts of ``z`` from scaled increments (h, B) and ``z`` at the B origins: (h, B).

        ``z^_{t+h} = z_t + r_{t+1} + ... + r_{t+h}`` for increments, ``r_{t+h}`` for levels.
        """
        r = r_scaled * self.target_scaler.scale_ + self.target_scaler.mean_  # unscale
        return r if self.increments is None else z_origin + np.cumsum(r, axis=0)

    def errors(self, r_scaled: np.ndarray, y: np.ndarray, observed: np.ndarray) -> np.ndarray:
        """h-step forecast errors ``z_{t+h} - z^_{t+h}`` from B origins: (B, h).

        ``r_scaled`` (h, B) are the scaled increment forecasts from the origins, which are
        the observations ``observed`` (B,) of ``y``. Errors whose target lies after the
        last origin's next observation (the end of the validation tail) are NaN.
        """
        z = self.cumulative(y)
        z_hat = self.cumulative_paths(r_scaled, z[observed])  # (h, B)
        steps = observed[None, :] + np.arange(1, len(r_scaled) + 1)[:, None]  # targets (h, B)
        last = observed[-1] + 1
        actual = np.where(steps <= last, z[np.minimum(steps, last)], np.nan)
        return (actual - z_hat).T

    def interval(
        self, forecast: np.ndarray, lower_q: np.ndarray, upper_q: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Bounds ``z^ + q`` mapped to prices: ``p^ exp(q)`` for log returns, ``p^ + q`` else.

        The interval always contains the point forecast: a quantile on the wrong side of
        zero (a biased model, all its errors of one sign) is replaced by 0, which only
        widens the interval (coverage is kept). Raises DivergenceError for a bound that is
        not finite.
        """
        lower_q, upper_q = np.minimum(lower_q, 0.0), np.maximum(upper_q, 0.0)
        with np.errstate(over="ignore", invalid="ignore"):
            if self.target == "log_return":
                lower, upper = forecast * np.exp(lower_q), forecast * np.exp(upper_q)
            else:
                lower, upper = forecast + lower_q, forecast + upper_q
        bad = ~(np.isfinite(lower) & np.isfinite(upper))
        if bad.any():
            h = int(np.flatnonzero(bad)[0])
            raise DivergenceError(
                f"the interval of step {h + 1} is [{lower[h]}, {upper[h]}]: its residuals "
                f"[{lower_q[h]:.6g}, {upper_q[h]:.6g}] overflow; refit with a lower "
                "learning rate lr"
            )
        return lower, upper


def check_target_values(y: np.ndarray, index: pd.Index, target: str, name: str = "y") -> None:
    """Log returns need positive prices: name the first offender otherwise."""
    if target == "log_return":
        check_positive(y, index, f"{name} (target='log_return' takes logs of prices)")


def check_exog(
    X: Any, index: pd.Index | None, n: int, n_columns: int | None, name: str = "X"
) -> np.ndarray:
    """Validate covariates (``X`` or ``X_known``) aligned with ``n`` observations of y.

    Returns them as a float64 array of shape ``(n, k)``: the checks of
    :func:`forecast.models.covariates.check_covariates` (rows aligned by ``index`` when both
    are pandas objects, by position otherwise; ``n_columns`` as fitted, in ``update``).
    """
    return check_covariates(X, n, name, index=index, n_columns=n_columns)
