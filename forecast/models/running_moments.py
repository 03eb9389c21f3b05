"""Running sums for the naive forecasters: refits in constant time per new observation.

:class:`~forecast.models.naive.NaiveForecaster` re-estimates ``mean_``, ``drift_`` and
``sigma2_`` on all data seen at every ``update(y_new, refit=True)``; recomputing them from
the whole history made a walk-forward quadratic. Instead a small state is kept and the new
values folded in, O(1) each:

* ``sum y`` as a compensated (Neumaier) sum, for ``mean_``: its error is about
  ``eps * sum |y|`` whatever the length, so even the mean of returns (near 0) keeps its
  digits;
* Welford's count, mean and ``M2 = sum (b - mean_b)^2`` of the series ``b`` whose spread
  ``sigma2_`` measures (``y`` for "mean", the changes ``y_t - y_{t-1}`` otherwise), merged
  chunk by chunk with Chan, Golub and LeVeque's pairwise formula
  ``M2 = M2_a + M2_b + delta^2 n_a n_b / n`` (no cancellation: a sum of squares around the
  running mean);
* ``sum b^2`` of the same series as a compensated sum, for the residuals of "last" and
  "seasonal_last" (``b`` the seasonal changes there), which have no mean removed.

The state is one float64 array, :data:`FIELDS` in order. Values outside ``[1e-100,
1e100]`` in magnitude (whose squares could leave float64) are not folded: the caller then
recomputes from the whole series, which scales them first.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["FIELDS", "base_series", "fold", "moments_of", "safe"]

#: the entries of the state, in order
FIELDS = ("sum", "sum_comp", "n_b", "mean_b", "m2_b", "sq_b", "sq_comp", "folded")
_LIMITS = (1e-100, 1e100)


def safe(values: np.ndarray) -> bool:
    """Whether the squares of ``values`` stay well inside float64 (0 is fine)."""
    if len(values) == 1:  # a walk-forward's step, quickly
        x = abs(float(values[0]))
        return x == 0 or _LIMITS[0] < x < _LIMITS[1]
    peak = float(np.max(np.abs(values))) if len(values) else 0.0
    nonzero = np.abs(values[values != 0])
    return peak < _LIMITS[1] and (not nonzero.size or float(nonzero.min()) > _LIMITS[0])


def base_series(y: np.ndarray, start: int, strategy: str, sp: int) -> np.ndarray:
    """The values of ``b`` for the observations ``y[start:]`` (``start >= lag``)."""
    if strategy == "mean":
        return y[start:]
    lag = sp if strategy == "seasonal_last" else 1
    return y[start:] - y[start - lag : len(y) - lag]


def _first(strategy: str, sp: int) -> int:
    """The first position with a value of ``b``."""
    return {"mean": 0, "seasonal_last": sp}.get(strategy, 1)


def moments_of(y: np.ndarray, strategy: str, sp: int) -> np.ndarray:
    """The state of the whole series ``y`` (see the module docstring)."""
    state = np.zeros(len(FIELDS))
    state[-1] = 0  # nothing folded yet
    return fold(state, y, strategy, sp)


def fold(state: np.ndarray, y: np.ndarray, strategy: str, sp: int) -> np.ndarray:
    """A new state with the observations ``y[folded:]`` folded in (``y`` all seen so far)."""
    s, s_comp, n_b, mean_b, m2_b, sq, sq_comp, folded = state.tolist()
    start = int(folded)
    new = y[start:]
    first = max(start, _first(strategy, sp))
    if len(new) == 1 and first == start:  # a walk-forward's step: plain floats
        x = float(new[0])
        s, s_comp = _neumaier(s, s_comp, x)
        if strategy != "mean":
            x -= float(y[start - (sp if strategy == "seasonal_last" else 1)])
        n_b += 1
        delta = x - mean_b
        mean_b += delta / n_b
        m2_b += delta * (x - mean_b)
        sq, sq_comp = _neumaier(sq, sq_comp, x * x)
        out = np.empty(len(FIELDS))
        out[:] = (s, s_comp, n_b, mean_b, m2_b, sq, sq_comp, len(y))
        return out
    b = base_series(y, first, strategy, sp)
    if len(new) == 1:
        s, s_comp = _neumaier(s, s_comp, float(new[0]))
    else:
        s, s_comp = _neumaier(s, s_comp, math.fsum(new.tolist()))
    if len(b) == 1:
        x = float(b[0])
        n_b += 1
        delta = x - mean_b
        mean_b += delta / n_b
        m2_b += delta * (x - mean_b)
        sq, sq_comp = _neumaier(sq, sq_comp, x * x)
    elif len(b):
        n_c = len(b)
        mean_c = math.fsum(b.tolist()) / n_c
        dev = b - mean_c
        m2_c = float(dev.dot(dev))
        n = n_b + n_c
        delta = mean_c - mean_b
        m2_b += m2_c + delta * delta * n_b * n_c / n
        mean_b += delta * n_c / n
        n_b = n
        sq, sq_comp = _neumaier(sq, sq_comp, math.fsum((b * b).tolist()))
    return np.array([s, s_comp, n_b, mean_b, m2_b, sq, sq_comp, float(len(y))])


def _neumaier(total: float, comp: float, x: float) -> tuple[float, float]:
    """Add ``x`` to the compensated sum ``total + comp`` (Neumaier's variant of Kahan's)."""
    t = total + x
    if abs(total) >= abs(x):
        comp += (total - t) + x
    else:
        comp += (x - t) + total
    return t, comp
