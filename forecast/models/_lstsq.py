"""Least squares that grows one row at a time without losing accuracy: the core of AR(tau).

``min_b ||y - X b||^2`` is first solved from the thin QR factorisation ``X = Q R``::

    z = Q^T y          b = R^{-1} z          ssr = ||y - X b||^2

A walk-forward refit adds one row ``(x, y)`` per step. Refitting from scratch costs
O(n k^2); forming the normal equations ``X^T X`` squares the condition number, which on raw
prices (columns that are almost collinear) throws away half of the digits. Instead the
class keeps a square root ``S`` of ``P = (X^T X)^{-1}`` (``S S^T = P``; ``S = R^{-1}`` after
the QR) and :meth:`QRLeastSquares.add_row` folds a new row into ``S``, ``b`` and ``ssr`` in
O(k^2) with Potter's square-root update (J. E. Potter, 1963; see G. J. Bierman,
"Factorization Methods for Discrete Sequential Estimation", 1977). No ``X^T X`` or
``P`` is ever formed. With ``p = S^T x``, ``d = 1 + p . p = 1 + x^T P x`` and
``r = y - x . b`` (the new row's residual under the old fit)::

    b'   = b + (r / d) S p                  S p = P x: the recursive least-squares gain
    S'   = S (I - gamma p p^T)              gamma = 1 / (d + sqrt(d))
    ssr' = ssr + r^2 / d

``(I - gamma p p^T)^2 = I - p p^T / d``, so ``S' S'^T = P - P x x^T P / d``, which is
``(X^T X + x x^T)^{-1}`` (Sherman-Morrison): ``S'`` is a square root of the extended
problem's ``P``, and ``b'`` its least-squares solution, to rounding. ``I - gamma p p^T`` has
the eigenvalues 1 and ``1 / sqrt(d)``, so its norm is at most 1 and rounding errors in
``S`` are not amplified from step to step: an AR(20) on raw S&P 500 closes, fitted on 100
days and then updated one day at a time for 4,931 days, still equals a fresh ``AutoReg``
fit to 2e-11 relative (``tests/test_ar_update.py``; 4e-11 when the row is folded into
``R^{-1}`` by Givens rotations, which takes twice as many of these tiny array operations).

A rolling window also removes its oldest row (:meth:`QRLeastSquares.remove_row`), the same
step with the sign of the row's weight flipped: with ``d = 1 - p . p = 1 - x^T P x`` (one
minus the row's leverage) and ``r = y - x . b``::

    b'   = b - (r / d) S p        S' = S (I + gamma p p^T),  gamma = 1 / (d + sqrt(d))
    ssr' = ssr - r^2 / d

which is ``(X^T X - x x^T)^{-1}`` by Sherman-Morrison (``(I + gamma p p^T)^2 = I + p p^T / d``
with this gamma). A downdate is not norm-reducing: ``I + gamma p p^T`` stretches by
``1 / sqrt(d)``, and ``1 / d`` is at the same time how much the condition number of
``X^T X`` can grow by losing the row (``lambda_min' >= d lambda_min``). A row of leverage
near 1 (the window without it is near-collinear) leaves ``d`` near 0 and would cost
``log10(1 / d)`` digits: :meth:`remove_row` refuses such a step (``d <= min_d``) and the
caller refactorises the window from its data instead (:mod:`forecast.models.ar_window`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

_EPS = np.finfo(np.float64).eps


class QRLeastSquares:
    """Ordinary least squares kept as a square root of ``(X^T X)^{-1}``, extendable by rows.

    Parameters
    ----------
    X : ndarray of shape (n, k)
        The regressors (``n >= k``).
    y : ndarray of shape (n,)
        The targets.
    names : sequence of str, optional
        Column names, used in the message when the columns are collinear.

    Attributes
    ----------
    S : ndarray of shape (k, k)
        A square root of ``(X^T X)^{-1}``: ``S S^T = (X^T X)^{-1}``. ``R^{-1}`` (upper
        triangular) after the initial fit ``X = Q R``; a full matrix once rows are added.
    z : ndarray of shape (k,)
        ``Q^T y`` of the initial fit (rows added later update ``coef`` directly).
    coef : ndarray of shape (k,)
        The least-squares coefficients (``R^{-1} z`` at the initial fit).
    ssr : float
        Sum of squared residuals of the least-squares fit.
    nobs : int
        Number of rows folded in so far.

    Raises
    ------
    ValueError
        if a column of ``X`` is zero or collinear with the ones before it (a diagonal entry
        of ``R`` is negligible next to that column's norm).
        Adding rows only makes ``X^T X`` larger (``X^T X + x x^T``), so its smallest
        eigenvalue cannot shrink, and the check is made once, here.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(50, 3)), rng.normal(size=50)
    >>> ls = QRLeastSquares(X[:40], y[:40])
    >>> for i in range(40, 50):
    ...     ls.add_row(X[i], y[i])
    >>> bool(np.allclose(ls.solve(), np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-12))
    True
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, names: Sequence[str] | None = None) -> None:
        n, k = X.shape
        if k:
            Q, R = np.linalg.qr(X)  # X = Q R, Q of shape (n, k)
            _check_rank(X, R, names)
            self.z = Q.T @ y
            self.S = np.linalg.solve(R, np.eye(k))  # R^{-1}
        else:
            self.S, self.z = np.empty((0, 0)), np.empty(0)
        self.coef = self.S @ self.z  # b = R^{-1} Q^T y
        self.nobs = n
        resid = y - X @ self.coef
        self.ssr = float(resid @ resid)

    def solve(self) -> np.ndarray:
        """The least-squares coefficients ``b``, shape (k,) (a copy)."""
        return self.coef.copy()

    def add_row(self, x: np.ndarray, y: float) -> float:
        """Fold the observation ``(x, y)`` into ``S``, ``b`` and ``ssr`` in O(k^2).

        Potter's square-root update (see the module docstring).

        Returns
        -------
        float
            ``d = 1 + x^T P x``: a large ``d`` means the rows before had almost no
            information in the direction of ``x`` (they were near-collinear).
        """
        # ndarray.dot: a fraction of the call overhead of the @ operator on these small arrays
        S = self.S
        p = x.dot(S)  # p = S^T x
        d = 1.0 + float(p.dot(p))  # d = 1 + x^T P x
        gain = S.dot(p)  # S p = P x
        r = float(y - x.dot(self.coef))  # the new row's residual under the old fit
        self.coef = self.coef + gain * (r / d)  # b' = b + (r / d) P x
        gamma = 1.0 / (d + math.sqrt(d))
        self.S = S - (gain * gamma)[:, None] * p  # S' = S (I - gamma p p^T)
        self.ssr += r * r / d
        self.nobs += 1
        return d

    def remove_row(self, x: np.ndarray, y: float, min_d: float = 0.0) -> float:
        """Take the observation ``(x, y)`` (one of the rows folded in) out in O(k^2).

        The downdate of the module docstring. It is made only when ``d = 1 - x^T P x``
        exceeds ``min_d``; otherwise the state is left unchanged (the caller refactorises).

        Returns
        -------
        float
            ``d``, one minus the leverage of the row removed: ``1 / d`` bounds the growth of
            the condition number of ``X^T X`` by this step.
        """
        S = self.S
        p = x.dot(S)  # p = S^T x
        d = 1.0 - float(p.dot(p))  # d = 1 - x^T P x
        if d <= min_d:
            return d
        gain = S.dot(p)  # S p = P x
        r = float(y - x.dot(self.coef))
        self.coef = self.coef - gain * (r / d)  # b' = b - (r / d) P x
        gamma = 1.0 / (d + math.sqrt(d))
        self.S = S + (gain * gamma)[:, None] * p  # S' = S (I + gamma p p^T)
        self.ssr -= r * r / d
        self.nobs -= 1
        return d

    def replace_row(
        self, x_in: np.ndarray, y_in: float, x_out: np.ndarray, y_out: float, min_d: float
    ) -> tuple[float, float] | None:
        """:meth:`add_row` ``(x_in, y_in)`` then :meth:`remove_row` ``(x_out, y_out)`` in one
        rank-2 step (a rolling window's refit: fewer, larger array operations).

        With ``U = [x_in; x_out]``, ``W = U S`` (rows ``p_in``, ``p_out``), ``C = W W^T = L
        L^T`` (Cholesky), ``J = diag(1, -1)``, ``M = (J + C)^{-1}`` and the residuals
        ``r = [y_in, y_out] - U b``::

            b' = b + (S W^T) M r          ssr' = ssr + r^T M r
            S' = S (I + W^T N W),         N = L^{-T} ((I + L^T J L)^{-1/2} - I) L^{-1}

        (``(I + W^T N W)^2 = I - W^T M W``, Woodbury), which is what the two steps give.

        Returns
        -------
        (d_in, d_out) or None
            ``d_in = 1 + x_in^T P x_in`` and the removed row's ``d_out = 1 - leverage``
            after the addition; None (state unchanged) when ``d_out <= min_d`` or the two
            rows are (numerically) parallel in ``S``'s coordinates: take the steps one by one.
        """
        S = self.S
        U = np.array((x_in, x_out))
        W = U.dot(S)
        (c11, c12), (_, c22) = W.dot(W.T).tolist()
        d_in = 1.0 + c11
        d_out = 1.0 - c22 + c12 * c12 / d_in
        l11 = math.sqrt(c11)
        l21 = c12 / l11 if l11 > 0 else 0.0
        l22_sq = c22 - l21 * l21
        if d_out <= max(min_d, 1e-8) or l11 == 0 or l22_sq <= 1e-12 * c22:
            return None  # (the 2 x 2 algebra below wants d_out clear of 0)
        l22 = math.sqrt(l22_sq)
        det = -d_in * d_out  # det(J + C) = (1 + c11)(c22 - 1) - c12^2
        m11, m12, m22 = (c22 - 1.0) / det, -c12 / det, d_in / det  # M = (J + C)^{-1}
        r_in, r_out = (y_in - x_in.dot(self.coef), y_out - x_out.dot(self.coef))
        v1, v2 = m11 * r_in + m12 * r_out, m12 * r_in + m22 * r_out  # M r
        G = W.dot(S.T)  # rows P x_in, P x_out
        self.coef = self.coef + np.array((v1, v2)).dot(G)
        self.ssr += float(r_in * v1 + r_out * v2)
        # Q = I + L^T J L, its square root by the 2 x 2 formula, then E = Q^{-1/2}
        qa, qb, qc = 1.0 + l11 * l11 - l21 * l21, -l21 * l22, 1.0 - l22 * l22
        root = math.sqrt(qa * qc - qb * qb)
        scale = math.sqrt(qa + qc + 2.0 * root)
        sa, sb, sc = (qa + root) / scale, qb / scale, (qc + root) / scale  # sqrt(Q)
        inv = 1.0 / (sa * sc - sb * sb)
        ea, eb, ec = sc * inv - 1.0, -sb * inv, sa * inv - 1.0  # Q^{-1/2} - I
        # N = L^{-T} (E - I) L^{-1}, L^{-1} = [[1/l11, 0], [-l21/(l11 l22), 1/l22]]
        i11, i21, i22 = 1.0 / l11, -l21 / (l11 * l22), 1.0 / l22
        a1, a2 = ea * i11 + eb * i21, eb * i22  # first row of (E - I) L^{-1}
        b1, b2 = eb * i11 + ec * i21, ec * i22  # second row
        n11, n12, n22 = i11 * a1 + i21 * b1, i11 * a2 + i21 * b2, i22 * b2
        self.S = S + G.T.dot(np.array(((n11, n12), (n12, n22))).dot(W))
        return d_in, d_out

    def add_rows(self, X: np.ndarray, y: np.ndarray) -> None:
        """Fold the rows of ``X`` (shape (m, k)) and ``y`` (shape (m,)) in, one by one."""
        for x_i, y_i in zip(X, y, strict=True):
            self.add_row(x_i, float(y_i))


def _check_rank(X: np.ndarray, R: np.ndarray, names: Sequence[str] | None) -> None:
    """Raise if a column of ``X`` is zero or (numerically) a combination of earlier ones.

    ``|R[j, j]|`` is the norm of the part of column j that the columns before it do not
    explain, so column j is dependent when ``|R[j, j]| <= ||X[:, j]|| * max(n, k) * eps``:
    a test relative to the column's own size, so columns of very different scale (a
    constant next to prices near 1e20) are not mistaken for collinear ones.
    """
    n, k = X.shape
    label = list(names) if names is not None else [f"x{j}" for j in range(k)]
    diag = np.abs(np.diagonal(R))
    norms = np.linalg.norm(X, axis=0)
    tol = norms * max(n, k) * _EPS
    bad = np.flatnonzero(diag <= tol)
    if not bad.size:
        return
    j = int(bad[0])
    if norms[j] == 0:
        raise ValueError(
            f"the regressors are degenerate: column {j} ({label[j]}) is all zeros over the "
            f"{n} rows, so its coefficient cannot be estimated; the series is 0 throughout "
            "(check the data, or use NaiveForecaster for a series that does not move)"
        )
    raise ValueError(
        f"the regressors are collinear: column {j} ({label[j]}) is a linear combination of "
        f"the columns before it ({', '.join(label[:j])}): |R[{j}, {j}]| = {diag[j]:.3g} <= "
        f"{tol[j]:.3g}, {max(n, k)} * eps times the column's norm. A constant series (or a "
        "constant stretch as long as the estimation sample) causes this: check the data, "
        "lower the order, or use NaiveForecaster for a series that does not move"
    )


def ridge_lstsq(X: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """Ridge coefficients by least squares on an augmented system (no normal equations).

    ``w = argmin ||y - X w||^2 + alpha ||w||^2``, solved as the ordinary least squares of
    ``[X; sqrt(alpha) I] w = [y; 0]`` (SVD based, so ``alpha=0`` with collinear columns
    gives the minimum-norm solution).

    Parameters
    ----------
    X : ndarray of shape (n, k)
    y : ndarray of shape (n,)
    alpha : float
        Penalty ``>= 0``.

    Returns
    -------
    ndarray of shape (k,)
    """
    if alpha > 0:
        k = X.shape[1]
        X = np.vstack([X, np.sqrt(alpha) * np.eye(k)])
        y = np.concatenate([y, np.zeros(k)])
    return np.linalg.lstsq(X, y, rcond=None)[0]


def information_criteria(ssr: float, nobs: int, k: int) -> tuple[float, float, float]:
    """``(llf, aic, bic)`` of a Gaussian regression with k coefficients, as ``AutoReg``.

    ``llf = -(nobs/2) (log(2 pi) + log(ssr/nobs) + 1)``, ``aic = -2 llf + 2 (k + 1)``,
    ``bic = -2 llf + log(nobs) (k + 1)`` (the ``+ 1`` counts the variance).
    """
    if ssr > 0:
        llf = -(nobs / 2) * (math.log(2 * math.pi) + math.log(ssr / nobs) + 1)
    else:  # a perfect fit
        llf = math.inf
    aic = -2 * llf + 2 * (k + 1)
    bic = -2 * llf + math.log(nobs) * (k + 1)
    return llf, aic, bic
