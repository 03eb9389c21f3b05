"""The least-squares states of an AR(tau) model: factorised on a window, moved row by row.

:class:`~forecast.models.ar.ARForecaster` keeps one :class:`QRLeastSquares` per forecast
model (the recursive model, or the direct model of each step h), over the targets
``y[t]``, ``lo + hold_back + h - 1 <= t < stop``: ``lo = 0`` for an expanding estimation,
``lo = stop - window`` for a rolling one. A refit moves these bounds:

* new targets ``stop .. stop' - 1`` are folded in (:meth:`QRLeastSquares.add_row`);
* with a rolling window the targets before ``lo'`` are taken out
  (:meth:`QRLeastSquares.remove_row`, the downdate), after the new rows are in, so the
  state is never smaller than the window; one row in and one out (a rolling walk-forward's
  refit) is one rank-2 step, :meth:`QRLeastSquares.replace_row`.

Each downdate is accepted only when ``d = 1 - leverage`` of the row removed exceeds
:data:`MIN_D`, and ``sum 1 / d`` over the downdates since the last factorisation (a
first-order bound on how much their rounding errors were amplified, and on the growth
of the condition number of ``X^T X``) stays below :data:`MAX_LOSS`, and
``eps * kappa * sqrt(sum 1 / d)`` (``kappa`` a condition estimate of the window) below
:data:`MAX_ERROR`. A new row with
``1 + x^T P x > 1 / MIN_D`` says the window before it was near-collinear in the row's
direction, where the square root carried few correct digits. In these cases, and when
more rows change than half the window (a refit after many ``update(refit=False)``), or
with a time trend (whose origin moves with the window), the states are factorised afresh
from the window's rows by QR: a near-collinear window costs a refactorisation, never a
wrong forecast.
"""

from __future__ import annotations

import math

import numpy as np

from forecast._numeric import FloatRangeError, pow2_exponent
from forecast.models._lags import column_names, design_matrix, design_row, n_trend
from forecast.models._lstsq import QRLeastSquares, information_criteria

__all__ = [
    "MAX_LOSS",
    "MIN_D",
    "StateSpec",
    "check_enough",
    "check_magnitude",
    "check_magnitude_of_new",
    "factorise",
    "select_order",
    "slide",
]

#: a downdate of a row of leverage above ``1 - MIN_D`` is refused (it would cost
#: ``log10(1 / d) > 4`` digits): the window is refactorised instead
MIN_D = 1e-4
#: refactorise once ``sum 1 / d`` over the downdates since the last factorisation passes this
#: (each adds at least 1: a well-conditioned rolling window is refactorised every 10,000 rows)
MAX_LOSS = 1e4
#: refactorise once ``eps * kappa * sqrt(sum 1 / d)`` passes this, ``kappa`` the condition
#: estimate ``||S||_F ||x|| sqrt(nobs)`` of the window's regressors: the relative error the
#: moved square root has accumulated (independent roundings add up like a random walk, hence
#: the square root), which an ill-conditioned window turns into forecast error
MAX_ERROR = 1e-9
_EPS = float(np.finfo(np.float64).eps)


class StateSpec:
    """What the rows of an AR model's least squares hold (not stored: built when needed).

    Parameters
    ----------
    trend : {"n", "c", "t", "ct"}
    hold_back : int
        Observations of the window that only serve as lags.
    cov : ndarray of shape (n, n_exog + n_known) or None
        The covariates of all observations seen, observed ones first.
    n_exog : int
        Number of observed covariates (used one step, or h steps, earlier).
    """

    def __init__(self, trend: str, hold_back: int, cov: np.ndarray | None, n_exog: int) -> None:
        self.trend, self.hold_back, self.cov, self.n_exog = trend, hold_back, cov, n_exog

    def row(self, y: np.ndarray, lags: np.ndarray, step: int, t: int, lo: int) -> np.ndarray:
        """The regressors of the target ``y[t]`` in the model of ``step`` (time from ``lo``)."""
        return design_row(y, self.trend, lags, t, -lo, self.cov, self.n_exog, step)

    def first_target(self, lo: int, step: int) -> int:
        """The first target of the model of ``step`` on a window starting at ``lo``."""
        return lo + self.hold_back + step - 1


def factorise(
    spec: StateSpec, y: np.ndarray, steps_lags: list[np.ndarray], lo: int, stop: int
) -> list[tuple[np.ndarray, QRLeastSquares]]:
    """Fresh least-squares states of the models (step h uses ``steps_lags[h - 1]``) on the
    targets ``first_target(lo, h) .. stop - 1``, by QR of their design matrices."""
    models = []
    n_known = 0 if spec.cov is None else spec.cov.shape[1] - spec.n_exog
    for h, lags in enumerate(steps_lags, start=1):
        X, target = design_matrix(
            y, spec.trend, lags, spec.first_target(lo, h), stop, -lo, spec.cov, spec.n_exog, h
        )
        names = column_names(spec.trend, lags, spec.n_exog, n_known, h)
        models.append((lags, QRLeastSquares(X, target, names)))
    return models


def slide(
    spec: StateSpec,
    y: np.ndarray,
    models: list[tuple[np.ndarray, QRLeastSquares]],
    bounds: tuple[int, int, int, int],
    loss: float,
) -> float | None:
    """Move the states from the window ``(lo, stop)`` to ``(lo', stop')`` row by row.

    ``bounds = (lo, stop, lo', stop')`` with ``lo <= lo'`` and ``stop <= stop'``. Returns
    the new ``sum 1 / d`` of the downdates since the last factorisation, or None when the
    states must be factorised afresh instead (a time trend whose origin moves, more rows
    to change than half the window, a downdate refused or the loss past :data:`MAX_LOSS`);
    the states are then partly moved and must be replaced.
    """
    lo, stop, new_lo, new_stop = bounds
    before = loss
    if new_lo != lo and "t" in spec.trend:
        return None
    if 2 * ((new_lo - lo) + (new_stop - stop)) > new_stop - new_lo:
        return None
    step = new_stop == stop + 1 and new_lo == lo + 1  # a rolling walk-forward's refit
    for h, (lags, model) in enumerate(models, start=1):
        t_in, t_out = stop, spec.first_target(lo, h)
        x = spec.row(y, lags, h, t_in, new_lo)
        pair = step and model.replace_row(
            x, y[t_in], spec.row(y, lags, h, t_out, new_lo), y[t_out], MIN_D
        )
        if pair:  # one row in, one out, in one rank-2 step
            d_in, d_out = pair
            loss += 1.0 / d_out
        else:  # row by row: all new rows in, then the old ones out
            d_in = 0.0
            for t in range(stop, new_stop):
                x = spec.row(y, lags, h, t, new_lo)
                d_in = max(d_in, model.add_row(x, y[t]))
            for t in range(t_out, spec.first_target(new_lo, h)):
                d_out = model.remove_row(spec.row(y, lags, h, t, new_lo), y[t], MIN_D)
                if d_out <= MIN_D:
                    return None
                loss += 1.0 / d_out
        if d_in * MIN_D > 1.0:  # a row in a direction the window hardly knew
            return None
        if loss > MAX_LOSS * len(models) or model.ssr < 0:
            return None
        # kappa, each time the loss passes a multiple of 16 (at least every 16 downdates,
        # each adding at least 1); x: the last row in
        if new_stop > stop and (int(loss) >> 4 != int(before) >> 4 or h > 1):
            S = model.S.ravel()
            kappa = math.sqrt(float(S.dot(S)) * float(x.dot(x)) * model.nobs)
            if _EPS * kappa * math.sqrt(loss) > MAX_ERROR:
                return None
    return loss


def select_order(
    y: np.ndarray, spec: StateSpec, max_order: int, ic: str
) -> tuple[int, dict[int, float]]:
    """Choose tau in ``0..max_order`` minimising ``ic`` on one common estimation sample.

    All candidates are fitted on the targets ``y[hold_back:]`` (with the covariates of
    ``spec``, in every candidate, as ``ar_select_order(..., exog=...)``). With the QR of
    the largest design ``[trend, covariates, lag 1, ..., lag max_order] = Q R`` and
    ``z = Q^T y``, the model with the first ``k`` columns has
    ``ssr_k = ssr_full + sum_{j >= k} z_j^2``, so one factorisation gives every candidate.
    Ties go to the smaller order (as ``ar_select_order``).

    Returns
    -------
    order : int
    ics : dict ``{tau: criterion}``
    """
    lags = np.arange(1, max_order + 1)
    X, target = design_matrix(
        y, spec.trend, lags, spec.hold_back, len(y), 0, spec.cov, spec.n_exog
    )
    k_trend = n_trend(spec.trend)
    k_fixed = X.shape[1] - max_order  # trend and covariates, in every candidate
    names = column_names(spec.trend, lags, spec.n_exog, k_fixed - k_trend - spec.n_exog)
    order_cols = [*range(k_trend), *range(k_trend + max_order, X.shape[1])]
    order_cols += list(range(k_trend, k_trend + max_order))
    full = QRLeastSquares(X[:, order_cols], target, [names[j] for j in order_cols])
    pick = {"aic": 1, "bic": 2}[ic]
    z = full.z
    ics = {}
    for order in range(max_order + 1):
        k = k_fixed + order
        ssr = full.ssr + float(z[k:] @ z[k:])
        ics[order] = information_criteria(ssr, full.nobs, k)[pick]
    return min(ics, key=ics.get), ics


def check_enough(n: int, hold_back: int, k: int, what: str) -> None:
    """Require more usable observations than coefficients, naming both numbers."""
    usable = n - hold_back
    if usable <= k:
        raise ValueError(
            f"{what} has {k} coefficient(s) and needs more than {k} usable observations, "
            f"but only {usable} remain ({n} observations minus {hold_back} needed as initial "
            "lags); lower the order or pass a longer series"
        )


#: least squares squares the values: beyond 2**500 (3e150) the sums of squares overflow,
#: below 2**-490 (3e-148) they underflow and the residual variance comes out as 0
_EXPONENT_RANGE = (-490, 500)


def check_magnitude(values: np.ndarray, name: str = "y") -> None:
    """Refuse values whose squares leave float64 (a silent inf or 0 variance otherwise)."""
    k = pow2_exponent(values)
    if values.any() and not _EXPONENT_RANGE[0] < k < _EXPONENT_RANGE[1]:
        peak = float(np.max(np.abs(values)))
        side = "large" if k > 0 else "small"
        raise FloatRangeError(
            f"{name} is too {side} for least squares in float64: max |{name}| = {peak:.3g}, "
            "outside [3e-148, 3e150], so its squares overflow or underflow; rescale "
            f"{name} (multiply or divide it by a power of 10) or model log prices or returns"
        )


def check_magnitude_of_new(values: np.ndarray) -> None:
    """Refuse to refit on new values whose squares overflow (they are kept, as with
    ``refit=False``; the coefficients stay those of the last refit)."""
    if len(values) == 1 and abs(values[0]) < 2.0**499:  # a walk-forward step, quickly
        return
    if pow2_exponent(values) >= _EXPONENT_RANGE[1]:
        raise FloatRangeError(
            f"y_new is too large for least squares in float64: max |y_new| = "
            f"{float(np.max(np.abs(values))):.3g}, above 3e150, so its squares overflow; the "
            "values were appended without a refit. Rescale the series (or model log prices "
            "or returns) and fit again"
        )
