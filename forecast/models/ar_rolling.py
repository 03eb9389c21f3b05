"""A rolling-window AR walk-forward in one call: refit at every origin, forecast one step.

:meth:`RollingWalk.walk_rolling` is what ``update_slice(values, index, q - 1, q,
refit=True)`` then ``forecast_values(1)`` give at every origin ``q`` (see
:func:`forecast.backtest`), with the per-origin bookkeeping of those two calls taken out of
the loop: the design rows of all origins are built once (a lag matrix from
``sliding_window_view``), the square root ``S`` and the coefficients ``b`` are kept side by
side in one array ``A = [S | b]`` of shape (k, k + 1) and moved in place, and the history
is appended once at the end. One step, with ``U = [x_out; x_in]`` (the row leaving the
window and the row entering it, a strided view of the design rows)::

    U A = [W | U b]                   W = U S, the rank-2 step's W, and the rows' fits
    G = W S^T                         rows P x_out, P x_in
    A' = A + G^T [N W | M r]          S' = S (I + W^T N W),  b' = b + (S W^T) M r

with ``C = W W^T``, ``M``, ``N`` and ``r`` as in
:meth:`~forecast.models._lstsq.QRLeastSquares.replace_row` (the same 2 x 2 algebra, in
Python floats). The one-step forecast at the origin is the fit ``x_in . b'`` of the next
step's entering row, read off the next ``U A``.

The guards of :func:`~forecast.models.ar_window.slide` are kept, in the same order and
with the same thresholds: a step that ``replace_row`` would refuse is made by the general
path (``update_slice``) from the same state, and a step after which ``slide`` would
refactorise (``d_in`` too large, the loss or the error estimate past their bounds, a
negative ``ssr``) refactorises the window the same way. Anything the walk does not cover
(covariates, the direct strategy, a time trend, a window not yet full, values that are
not finite or beyond the magnitude check, a subclass overriding one of those methods) is
the general loop itself.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import as_strided, sliding_window_view
from sklearn.utils.validation import check_is_fitted

from forecast.models import ar_window

__all__ = ["RollingWalk"]

_EPS = float(np.finfo(np.float64).eps)


class RollingWalk:
    """Mixin of :class:`~forecast.models.ar.ARForecaster`: the rolling walk-forward in one call."""

    def walk_rolling(
        self, values: np.ndarray, index: pd.Index, start: int, stop: int
    ) -> np.ndarray:
        """One-step forecasts after a refit at each origin ``q = start + 1 .. stop``.

        The forecaster has seen ``values[:start]``; for each ``q`` it does
        ``update_slice(values, index, q - 1, q, refit=True)`` and ``forecast_values(1)``,
        and afterwards has seen ``values[:stop]``. With a full rolling ``window``, no
        covariates, the recursive strategy and trend "n" or "c", the refits are made in
        one loop (see the module docstring), equal to those calls to rounding.

        Parameters
        ----------
        values : ndarray of shape (n,)
            The whole series, its first ``start`` values those seen so far.
        index : pandas.Index of length n
            Their labels.
        start, stop : int
            The positions walked: ``start`` is the number of values seen,
            ``start < stop <= n``.

        Returns
        -------
        ndarray of shape (stop - start,)
            Entry ``i``: the forecast of ``values[start + i + 1]`` made at origin
            ``start + i + 1`` (the last one, at ``stop = n``, is beyond the data).

        Raises
        ------
        ValueError
            if ``start`` is not the number of values seen, or ``stop`` not in
            ``start + 1 .. len(values)``; the checks of ``update_slice`` otherwise.
        """
        check_is_fitted(self)
        seen = len(self._history)
        if start != seen or not start < stop <= len(values):
            raise ValueError(
                f"walk_rolling needs start = the number of values seen ({seen}) < stop <= "
                f"len(values) ({len(values)}), got start={start}, stop={stop}; pass the "
                "positions that follow the data seen"
            )
        new = values[start:stop]
        w = self.window
        if not (
            _keeps_the_steps(type(self))
            and w is not None
            and self._cov is None
            and not self._direct
            and self._trend in ("n", "c")
            and self._lo == start - w
            and self._n_fit == start
            and 2 * 2 <= w
            and new.dtype == np.float64
            and np.isfinite(new).all()
            and np.abs(new).max() < 2.0**499  # check_magnitude_of_new's quick test
        ):
            out = np.empty(stop - start)
            for i, q in enumerate(range(start + 1, stop + 1)):
                self.update_slice(values, index, q - 1, q, refit=True)
                out[i] = self.forecast_values(1)[0]
            return out
        return self._walk_rolling(values, index, start, stop)

    def _walk_rolling(
        self, values: np.ndarray, index: pd.Index, start: int, stop: int
    ) -> np.ndarray:
        """The loop of :meth:`RollingWalk.walk_rolling` (its conditions hold)."""
        w, p, hb = self.window, self.order_, self.hold_back_
        kc = 1 if self._trend == "c" else 0
        k = kc + p
        m = w - hb  # rows in the window: x_out of origin q is m rows before x_in
        # D[t - t0]: the regressors of the target y[t], t0 the first target leaving the window
        t0 = start - w + hb
        lagged = sliding_window_view(values[t0 - p : stop], p)[:, ::-1] if p else None
        D = np.empty((stop + 1 - t0, k))
        if kc:
            D[:, 0] = 1.0
        if p:
            D[:, kc:] = lagged
        n_steps = stop - start
        # U[i] = [D[t_out], D[t_in]] of origin start + 1 + i (t_in = start + i), plus one more
        # pair whose entering row is the forecast row of the last origin
        s0, s1 = D.strides
        U = as_strided(D, shape=(n_steps + 1, 2, k), strides=(s0, m * s0, s1), writeable=False)
        out = np.empty(n_steps)
        A = np.empty((k, k + 1))  # [S | b]
        Wx, G, B, T, N = (np.empty(s) for s in ((2, k + 1), (2, k), (2, k + 1), (k, k + 1), (2, 2)))
        S, W, GT = A[:, :k], Wx[:, :k], G.T
        ST, WT = S.T, W.T
        min_d, max_loss, max_error = ar_window.MIN_D, ar_window.MAX_LOSS, ar_window.MAX_ERROR
        floor = max(min_d, 1e-8)

        def load() -> Any:
            ls = self._models[0][1]
            A[:, :k], A[:, k] = ls.S, ls.coef
            return ls

        def store(ls: Any, ssr: float, loss: float, q: int) -> None:
            """Write the state back: the model has seen values[:q]."""
            ls.S, ls.coef, ls.ssr = A[:, :k].copy(), A[:, k].copy(), ssr
            self._loss, self._lo, self._n_fit = loss, q - w, q
            seen = len(self._history)
            if q > seen:
                self._history.append_slice(values, index, seen, q)

        ls = load()
        ssr, loss = ls.ssr, self._loss
        dot, add = np.dot, np.add
        y = values[: stop + 1].tolist()  # Python floats: scalar math on them is quicker
        dot(U[0], A, out=Wx)
        for i in range(n_steps):
            q = start + 1 + i  # the origin: the window moves to values[q - w : q]
            (c22, c12), (_, c11) = dot(W, WT).tolist()  # rows out, in (1 = in, 2 = out)
            (f_out, f_in) = Wx[:, k].tolist()
            d_in = 1.0 + c11
            d_out = 1.0 - c22 + c12 * c12 / d_in
            l11 = math.sqrt(c11)
            l21 = c12 / l11 if l11 > 0 else 0.0
            l22_sq = c22 - l21 * l21
            if d_out <= floor or l11 == 0 or l22_sq <= 1e-12 * c22:  # replace_row refuses
                store(ls, ssr, loss, q - 1)
                self.update_slice(values, index, q - 1, q, refit=True)
                ls = load()
                ssr, loss = ls.ssr, self._loss
                dot(U[i + 1], A, out=Wx)
                out[i] = Wx[1, k]
                continue
            l22 = math.sqrt(l22_sq)
            det = -d_in * d_out
            m11, m12, m22 = (c22 - 1.0) / det, -c12 / det, d_in / det
            r_in, r_out = y[q - 1] - f_in, y[q - 1 - m] - f_out
            v1, v2 = m11 * r_in + m12 * r_out, m12 * r_in + m22 * r_out
            new_ssr = ssr + (r_in * v1 + r_out * v2)
            before, loss = loss, loss + 1.0 / d_out
            if d_in * min_d > 1.0 or loss > max_loss or new_ssr < 0:  # slide refactorises
                store(ls, ssr, before, q - 1)
                self._refactorise_window(values, index, q)
                ls = load()
                ssr, loss = ls.ssr, 0.0
                dot(U[i + 1], A, out=Wx)
                out[i] = Wx[1, k]
                continue
            ssr = new_ssr
            qa, qb, qc = 1.0 + l11 * l11 - l21 * l21, -l21 * l22, 1.0 - l22 * l22
            root = math.sqrt(qa * qc - qb * qb)
            scale = math.sqrt(qa + qc + 2.0 * root)
            sa, sb, sc = (qa + root) / scale, qb / scale, (qc + root) / scale
            inv = 1.0 / (sa * sc - sb * sb)
            ea, eb, ec = sc * inv - 1.0, -sb * inv, sa * inv - 1.0
            i11, i21, i22 = 1.0 / l11, -l21 / (l11 * l22), 1.0 / l22
            a1, a2 = ea * i11 + eb * i21, eb * i22
            b1, b2 = eb * i11 + ec * i21, ec * i22
            n11, n12, n22 = i11 * a1 + i21 * b1, i11 * a2 + i21 * b2, i22 * b2
            dot(W, ST, out=G)  # rows P x_out, P x_in
            N[0, 0], N[0, 1], N[1, 0], N[1, 1] = n22, n12, n12, n11
            dot(N, Wx, out=B)
            B[0, k], B[1, k] = v2, v1
            add(A, dot(GT, B, out=T), out=A)
            if int(loss) >> 4 != int(before) >> 4:  # slide's condition estimate
                x = U[i, 1]
                s = S.ravel()
                kappa = math.sqrt(float(s.dot(s)) * float(x.dot(x)) * ls.nobs)
                if _EPS * kappa * math.sqrt(loss) > max_error:
                    store(ls, ssr, loss, q)
                    self._refactorise_window(values, index, q)
                    ls = load()
                    ssr, loss = ls.ssr, 0.0
            dot(U[i + 1], A, out=Wx)
            out[i] = Wx[1, k]  # x_in of the next step (the target y[q]) . b
        store(ls, ssr, loss, stop)
        self._set_fitted()
        return out


    def _refactorise_window(self, values: np.ndarray, index: pd.Index, q: int) -> None:
        """Factorise the window ``values[q - window : q]`` afresh, as ``slide`` returning None
        makes ``_observed`` do; the history is first brought to ``values[:q]``."""
        seen = len(self._history)
        if q > seen:
            self._history.append_slice(values, index, seen, q)
        y = self._history.values
        lo = q - self.window
        self._models = ar_window.factorise(self._spec(), y, [self._lags], lo, q)
        self.n_refactorizations_ += 1
        self._lo, self._n_fit, self._loss = lo, q, 0.0


def _keeps_the_steps(cls: type) -> bool:
    """Whether ``cls`` keeps the methods the walk stands for (a subclass that overrides
    one of them, to shift forecasts or log refits, is walked through them)."""
    base = next(c for c in cls.__mro__ if RollingWalk in c.__bases__)
    names = ("update_slice", "_observed", "forecast_values", "_set_fitted")
    return all(getattr(cls, name) is getattr(base, name) for name in names)
