"""Least squares that grows one row at a time without losing accuracy: the core of AR(tau).

``min_b ||y - X b||^2`` is solved from the thin QR factorisation ``X = Q R``::

    z = Q^T y          b = R^{-1} z          ssr = ||y - X b||^2

A walk-forward refit adds one row ``(x, y)`` per step. Refitting from scratch costs
O(n k^2); forming the normal equations ``X^T X`` squares the condition number, which on raw
prices (columns that are almost collinear) throws away half of the digits. Instead
:meth:`QRLeastSquares.add_row` applies the k Givens rotations that fold the new row into
``[R | z]``, in O(k^2), so the result is the QR solution of the extended data: what a fresh
fit gives, to rounding. No ``X^T X`` is ever formed.

The rotations have a closed form (Gill, Golub, Murray & Saunders, "Methods for modifying
matrix factorizations", Math. Comp. 28, 1974, method C1), which turns k sequential
rotations into a handful of vector operations. With ``p`` solving ``R^T p = x`` and
``D_j = 1 + p_0^2 + ... + p_j^2`` (``D_{-1} = 1``), rotation j has
``c_j = sqrt(D_{j-1} / D_j)``, ``s_j = p_j / sqrt(D_j)``, and with ``g_j = p_j / D_{j-1}``::

    R'[j] = c_j * (R[j] + g_j * sum_{m >= j} p_m R[m])        (R' = M R, M upper triangular)
    z'_j  = c_j * (z_j  + g_j * (y - sum_{m < j} p_m z_m))
    ssr'  = ssr + r^2 / D_{k-1}        r = y - p . z = y - x . b, the new row's residual

The class carries ``S = R^{-1}`` instead of ``R`` (the "inverse QR" form of recursive least
squares), so that ``p = S^T x`` is a matrix-vector product instead of a triangular solve.
The same rotations update it as ``S' = S M^{-1}``, and since ``z' = M z + c g r`` the
coefficients follow without a solve either::

    M^{-1}[m, m] = c_m       M^{-1}[j, m] = -p_j c_m g_m  (j < m)       S' = S M^{-1}
    b' = S' z' = b + r S' (c g)

``M^{-1}`` has norm <= 1 (``M^T M = I + p p^T``), so rounding errors are not amplified from
step to step: an AR(20) on raw S&P 500 closes, fitted on 100 days and then updated one
day at a time for 4,931 days, still equals a fresh ``AutoReg`` fit to 4e-11 relative
(``tests/test_ar_update.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

_EPS = np.finfo(np.float64).eps


class QRLeastSquares:
    """Ordinary least squares kept as ``(R^{-1}, Q^T y)`` of a thin QR, extendable by rows.

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
        ``R^{-1}``, upper triangular, where ``X = Q R`` and ``X^T X = R^T R``.
    z : ndarray of shape (k,)
        ``Q^T y`` of the initial fit (rows added later update ``coef`` directly).
    coef : ndarray of shape (k,)
        The least-squares coefficients ``b = R^{-1} z``.
    ssr : float
        Sum of squared residuals of the least-squares fit.
    nobs : int
        Number of rows folded in so far.

    Raises
    ------
    ValueError
        if the columns of ``X`` are collinear (a diagonal entry of ``R`` is negligible).
        Adding rows only makes the diagonal of ``R`` larger in magnitude
        (``|R'_jj| = sqrt(D_j / D_{j-1}) |R_jj|``), so the check is made once, here.

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
            _check_rank(R, n, names)
            self.z = Q.T @ y
            self.S = np.linalg.solve(R, np.eye(k))  # R^{-1}
        else:
            self.S, self.z = np.empty((0, 0)), np.empty(0)
        self.coef = self.S @ self.z  # b = R^{-1} Q^T y
        self.nobs = n
        resid = y - X @ self.coef
        self.ssr = float(resid @ resid)
        self._minus_upper = -np.triu(np.ones((k, k)), 1)  # -1 where j < m

    def solve(self) -> np.ndarray:
        """The least-squares coefficients ``b = R^{-1} z``, shape (k,)."""
        return self.coef.copy()

    def add_row(self, x: np.ndarray, y: float) -> None:
        """Fold the observation ``(x, y)`` into ``R^{-1}``, ``b`` and ``ssr`` in O(k^2).

        The k Givens rotations in closed form (see the module docstring).
        """
        self.nobs += 1
        k = len(x)
        p = self.S.T @ x  # R^T p = x
        D = np.empty(k + 1)  # D[j] = D_{j-1} = 1 + sum_{m < j} p_m^2
        D[0] = 1.0
        D[1:] = p * p
        np.add.accumulate(D, out=D)
        D_prev = D[:-1]
        c = np.sqrt(D_prev / D[1:])
        cg = c * p / D_prev  # c_j g_j
        M_inv = np.multiply.outer(p, cg)
        M_inv *= self._minus_upper  # M^{-1}[j, m] = -p_j c_m g_m  (j < m)
        M_inv.flat[:: k + 1] = c  # M^{-1}[m, m] = c_m
        self.S = self.S @ M_inv
        r = float(y - x @ self.coef)  # the new row's residual under the old fit
        self.coef = self.coef + r * (self.S @ cg)  # b' = S' z' = S' (M z + c g r) = b + r S' c g
        self.ssr += r * r / float(D[k])  # e = r / sqrt(D_{k-1})

    def add_rows(self, X: np.ndarray, y: np.ndarray) -> None:
        """Fold the rows of ``X`` (shape (m, k)) and ``y`` (shape (m,)) in, one by one."""
        for x_i, y_i in zip(X, y, strict=True):
            self.add_row(x_i, float(y_i))


def _check_rank(R: np.ndarray, n: int, names: Sequence[str] | None) -> None:
    """Raise if a diagonal entry of ``R`` is negligible (collinear columns), naming it."""
    diag = np.abs(np.diagonal(R))
    tol = diag.max() * max(n, len(R)) * _EPS
    if diag.min() <= tol:
        j = int(np.flatnonzero(diag <= tol)[0])
        name = names[j] if names is not None else f"x{j}"
        raise ValueError(
            f"the regressors are collinear: column {j} ({name}) is a linear combination of "
            f"the columns before it (|R[{j}, {j}]| = {diag[j]:.3g} <= tolerance {tol:.3g}); "
            "a constant stretch of the series can cause this"
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
