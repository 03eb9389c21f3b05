"""Classification heads: sigmoid and softmax outputs, their cross-entropy losses, sampling.

The network's head stays linear; its outputs are *logits* ``z``, and the output activation
lives in the loss (as in PyTorch's ``binary_cross_entropy_with_logits`` and ``cross_entropy``),
which keeps both the value and the gradient exact and stable for any logit:

    binary_cross_entropy(z, y) = mean(softplus(z) - y z)              dL/dz = (s(z) - y) / n
        = mean(-y log s(z) - (1 - y) log(1 - s(z))),  s(z) = 1 / (1 + e^{-z})   (sigmoid)
    cross_entropy(z, c)        = mean_i(logsumexp(z_i) - z_{i, c_i})   dL/dz_i = (p_i - e_{c_i}) / n
        = mean_i(-log p_{i, c_i}),  p_i = softmax(z_i)

``binary_cross_entropy`` compares one logit per target element, ``pred`` and ``target`` of the
same shape (``(..., O)``: O independent binary outputs; targets in [0, 1]), and averages over
the ``n`` elements. ``cross_entropy`` reads the last axis of ``pred`` as the ``C`` class logits
of one row and ``target`` as one class index per row, shape ``(..., 1)`` (or ``(...)``), and
averages over the ``n`` rows. Both are losses like ``mse``: ``get_loss("bce")`` and
``get_loss("cross_entropy")`` return them, so ``bptt`` and ``train_tbptt`` train with them on
the last step (many-to-one, targets ``(B, O)`` / ``(B, 1)``) or on every step (many-to-many,
``(T, B, O)`` / ``(T, B, 1)``). ``softplus(z) = max(z, 0) + log1p(e^{-|z|})`` and
``logsumexp(z) = max(z) + log(sum(e^{z - max(z)}))`` never overflow: the losses are exact
for logits up to about 1e300 in size. Everything is computed in float64; the gradient is
returned in ``pred``'s dtype.

:func:`sample_softmax` draws classes from ``softmax(z / temperature)``: generation, feeding
each draw back as the next input (one-to-many).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from forecast._validation import check_float
from forecast.nn.likelihood import sigmoid, softplus

__all__ = [
    "CLASSIFICATION_LOSSES",
    "binary_cross_entropy",
    "class_indices",
    "cross_entropy",
    "log_softmax",
    "sample_softmax",
    "softmax",
]


def log_softmax(logits: Any, temperature: float = 1.0) -> np.ndarray:
    """``log softmax(z / temperature)`` over the last axis: ``z - logsumexp(z)``, float64."""
    z = np.asarray(logits, dtype=np.float64) / _check_temperature(temperature)
    shifted = z - z.max(axis=-1, keepdims=True)  # the largest logit becomes 0: no overflow
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(logits: Any, temperature: float = 1.0) -> np.ndarray:
    """Class probabilities ``softmax(z / temperature)`` over the last axis, float64.

    Examples
    --------
    >>> softmax(np.array([0.0, np.log(3.0)])).round(6).tolist()
    [0.25, 0.75]
    """
    return np.exp(log_softmax(logits, temperature))


def _floats(pred: Any) -> tuple[np.ndarray, np.dtype]:
    pred = np.asarray(pred)
    if not (np.issubdtype(pred.dtype, np.floating) or np.issubdtype(pred.dtype, np.integer)):
        raise TypeError(f"pred must be an array of logits, got dtype {pred.dtype}")
    dtype = pred.dtype if np.issubdtype(pred.dtype, np.floating) else np.dtype(np.float64)
    z = pred.astype(np.float64)
    if not np.isfinite(z).all():
        raise ValueError(f"pred must hold finite logits, got {z[~np.isfinite(z)][0]}")
    if z.size == 0:
        raise ValueError(f"pred must not be empty, got shape {z.shape}")
    return z, dtype


def binary_cross_entropy(pred: Any, target: Any) -> tuple[float, np.ndarray]:
    r"""Binary cross-entropy of logits (a sigmoid head) and its gradient.

    .. math::

        L = \frac{1}{n} \sum_j \big[\operatorname{softplus}(z_j) - y_j z_j\big]
          = -\frac{1}{n} \sum_j \big[y_j \log s(z_j) + (1 - y_j) \log(1 - s(z_j))\big],
        \qquad \frac{\partial L}{\partial z_j} = \frac{s(z_j) - y_j}{n},

    ``s`` the sigmoid, ``n`` the number of elements: PyTorch's
    ``binary_cross_entropy_with_logits`` with ``reduction="mean"``.

    Parameters
    ----------
    pred : ndarray of shape (..., O)
        Logits.
    target : ndarray of the same shape
        Labels 0 or 1 (probabilities in [0, 1] are accepted too).

    Returns
    -------
    value : float
    dpred : ndarray like ``pred``

    Examples
    --------
    >>> value, dpred = binary_cross_entropy(np.array([0.0, 1e4]), np.array([1.0, 1.0]))
    >>> round(value, 6), dpred.tolist()           # (log 2 + 0) / 2; (s(z) - y) / 2
    (0.346574, [-0.25, 0.0])
    """
    z, dtype = _floats(pred)
    y = np.asarray(target)
    if y.shape != z.shape:
        raise ValueError(
            f"target must have the shape of pred, {z.shape} (one 0/1 label per logit), got "
            f"{y.shape}"
        )
    y = _as_float(y, "target")
    outside = y[~((y >= 0.0) & (y <= 1.0))]  # NaN falls here too
    if outside.size:
        raise ValueError(
            f"binary_cross_entropy needs targets in [0, 1] (labels 0 or 1), got "
            f"{outside.size} outside, the first is {outside[0]}; encode the classes as 0 and 1"
        )
    value = float(np.mean(softplus(z) - y * z))
    return value, ((sigmoid(z) - y) / z.size).astype(dtype, copy=False)


def cross_entropy(pred: Any, target: Any) -> tuple[float, np.ndarray]:
    r"""Cross-entropy of class logits (a softmax head) against class indices, and its gradient.

    .. math::

        L = \frac{1}{n} \sum_i \Big[\log \sum_k e^{z_{ik}} - z_{i c_i}\Big]
          = -\frac{1}{n} \sum_i \log p_{i c_i},
        \qquad \frac{\partial L}{\partial z_{ik}} = \frac{p_{ik} - [k = c_i]}{n},

    ``p_i = softmax(z_i)``, ``n`` the number of rows: PyTorch's ``cross_entropy`` with
    ``reduction="mean"``.

    Parameters
    ----------
    pred : ndarray of shape (..., C)
        Logits of the C classes.
    target : ndarray of shape (..., 1) or (...)
        The class index of each row, an integer in ``0 .. C-1`` (a float array holding whole
        numbers is accepted, as targets pass through the network's dtype).

    Returns
    -------
    value : float
    dpred : ndarray like ``pred``

    Examples
    --------
    >>> value, dpred = cross_entropy(np.array([[0.0, 0.0, 0.0, 0.0]]), np.array([[2]]))
    >>> round(value, 6), dpred.tolist()                # log 4; p - one_hot(2)
    (1.386294, [[0.25, 0.25, -0.75, 0.25]])
    """
    z, dtype = _floats(pred)
    if z.ndim < 1:
        raise ValueError(f"pred must have a class axis, shape (..., C), got {z.shape}")
    c = np.asarray(target)
    rows = z.shape[:-1]
    if c.shape not in (rows, rows + (1,)):
        raise ValueError(
            f"target must hold one class index per row of pred (shape {z.shape}): shape "
            f"{rows + (1,)} or {rows}, got {c.shape}"
        )
    c = class_indices(c.reshape(rows), z.shape[-1], "target")
    logp = log_softmax(z)
    picked = np.take_along_axis(logp, c[..., None], axis=-1)  # log p_{i, c_i}
    n = int(np.prod(rows))
    dz = np.exp(logp)
    np.put_along_axis(dz, c[..., None], np.expm1(picked), axis=-1)  # p_{i, c_i} - 1
    return float(-picked.mean()), (dz / n).astype(dtype, copy=False)


#: ``cross_entropy`` compares a head of C logits with ONE class index per row (read by
#: ``nn.target_size``, so that ``bptt`` checks targets of shape (k, B, 1))
cross_entropy.target_width = 1  # type: ignore[attr-defined]


def class_indices(c: Any, n_classes: int, name: str = "target") -> np.ndarray:
    """``c`` as an int64 array of class indices in ``0 .. n_classes-1``, or a named error."""
    c = np.asarray(c)
    if np.issubdtype(c.dtype, np.integer):
        ints = c.astype(np.int64)
    elif np.issubdtype(c.dtype, np.floating):
        if not np.isfinite(c).all() or np.any(c != np.round(c)):
            bad = c[~np.isfinite(c) | (c != np.round(c))].reshape(-1)[0]
            raise ValueError(
                f"{name} must hold class indices (whole numbers 0 .. {n_classes - 1}), got "
                f"{bad}; encode the labels with sklearn.preprocessing.LabelEncoder"
            )
        ints = c.astype(np.int64)
    else:
        raise TypeError(f"{name} must hold integer class indices, got dtype {c.dtype}")
    outside = ints[(ints < 0) | (ints >= n_classes)]
    if outside.size:
        raise ValueError(
            f"{name} has class index {outside[0]}, but the head has {n_classes} logits (classes "
            f"0 .. {n_classes - 1}); give the head one output per class"
        )
    return ints


def _as_float(a: np.ndarray, name: str) -> np.ndarray:
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)
            or a.dtype == np.bool_):
        raise TypeError(f"{name} must be numeric (0/1 labels), got dtype {a.dtype}")
    return a.astype(np.float64)


def sample_softmax(
    logits: Any, temperature: float = 1.0, rng: np.random.Generator | int | None = None
) -> np.ndarray:
    """Draw one class per row from ``softmax(logits / temperature)``.

    ``temperature < 1`` sharpens the distribution towards the most likely class (towards
    ``argmax`` as it goes to 0), ``temperature > 1`` flattens it towards uniform. Used to
    generate a sequence one step at a time (one-to-many): each draw is fed back as the next
    input.

    Parameters
    ----------
    logits : array of shape (..., C)
    temperature : float > 0, default 1.0
    rng : numpy Generator, int seed or None

    Returns
    -------
    ndarray of int64 of shape (...)

    Examples
    --------
    >>> sample_softmax(np.array([[0.0, 50.0, 0.0]]), rng=0).tolist()    # p ~ (0, 1, 0)
    [1]
    """
    p = softmax(logits, temperature)
    rng = np.random.default_rng(rng)
    u = rng.random(p.shape[:-1] + (1,))
    cdf = np.cumsum(p, axis=-1)
    # the first class whose cumulative probability exceeds u (inverse-CDF sampling)
    return np.minimum((cdf <= u).sum(axis=-1), p.shape[-1] - 1).astype(np.int64)


def _check_temperature(temperature: Any) -> float:
    return check_float(temperature, "temperature", min_value=0.0, inclusive=False)


#: the classification losses ``get_loss`` selects by name
CLASSIFICATION_LOSSES = {"bce": binary_cross_entropy, "cross_entropy": cross_entropy}
