"""Sliding windows: turn a series into a supervised (inputs, targets) problem without copying.

``make_windows(y, window, horizon, step)`` cuts ``y`` into rows ``X[i]`` of ``window`` past
values and ``Y[i]`` of the ``horizon`` values that follow them. The windows are strided views
into ``y`` (``numpy.lib.stride_tricks.sliding_window_view``), so windowing a 10-million-point
series costs no extra memory.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from forecast._validation import check_int, check_series

__all__ = ["make_windows"]


def make_windows(
    y: Any, window: int, horizon: int = 1, step: int = 1, *, target: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Cut a series into input windows and the values that follow each of them.

    Window ``i`` starts at ``s = i * step``::

        X[i] = y[s : s + window]                         # the inputs, oldest first
        Y[i] = y[s + window : s + window + horizon]      # the targets right after them

    and there are ``n = (len(y) - window - horizon) // step + 1`` windows. ``X[i]`` uses only
    observations strictly before the first target ``Y[i, 0]``.

    Parameters
    ----------
    y : array-like or Series of shape (n_obs,), or array-like or DataFrame of shape (n_obs, k)
        The observations, oldest first. A Series or DataFrame contributes its values; its
        index must be dates (NaT refused) or integers, sorted and unique (a tz-aware index
        is ordered by its instants). NaN and inf are refused.
    window : int
        Number of past observations in each input row (``>= 1``).
    horizon : int, default=1
        Number of future observations in each target row (``>= 1``).
    step : int, default=1
        Distance between the starts of consecutive windows (``>= 1``).
    target : int or None, default=0
        Which column of 2-D input the targets come from: ``Y[i]`` holds column
        ``target`` (negative values count from the end). ``None`` keeps every
        column, so ``Y`` has shape ``(n, horizon, k)``. Univariate input counts as
        a single feature, so ``target`` must then be 0, -1 or None (all give the same ``Y``).

    Returns
    -------
    X : ndarray of shape (n, window), or (n, window, k) for 2-D input with k features
        Read-only strided view into the float64 values of ``y`` (no copy when ``y`` already
        is float64, e.g. ``np.shares_memory(X, y)`` is True for a float64 array). Call
        ``X.copy()`` before writing to it.
    Y : ndarray of shape (n, horizon), or (n, horizon, k) when ``target=None``
        Read-only view as well.

    Raises
    ------
    TypeError
        if ``window``, ``horizon``, ``step`` or ``target`` is not an integer, ``y`` is
        not numeric, or its index is neither dates nor integers (floats are refused).
    ValueError
        if ``window``, ``horizon`` or ``step`` is below 1, ``target`` is out of range,
        ``y`` is not 1-D or 2-D, holds NaN/inf (the message names the first position), has
        a NaT label, an unsorted or duplicated index, or is shorter than
        ``window + horizon``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.arange(7.0)
    >>> X, Y = make_windows(y, window=3, horizon=2, step=2)
    >>> X
    array([[0., 1., 2.],
           [2., 3., 4.]])
    >>> Y
    array([[3., 4.],
           [5., 6.]])
    >>> bool(np.shares_memory(X, y))
    True

    On real prices, 20 past closes to predict the next 5:

    >>> import forecast
    >>> close = forecast.load_dataset("sp500")["close"]
    >>> X, Y = make_windows(close, window=20, horizon=5)
    >>> X.shape[1], Y.shape[1], len(X) == len(close) - 20 - 5 + 1
    (20, 5, True)
    """
    window = check_int(window, "window", min_value=1)
    horizon = check_int(horizon, "horizon", min_value=1)
    step = check_int(step, "step", min_value=1)
    values, _ = check_series(y, "y", allow_2d=True)

    n_obs = len(values)
    if n_obs < window + horizon:
        raise ValueError(
            f"y has {n_obs} observations, fewer than window + horizon = {window} + {horizon} "
            f"= {window + horizon}; shorten the window or the horizon, or pass a longer series"
        )
    n_features = 1 if values.ndim == 1 else values.shape[1]
    if target is not None:
        target = check_int(target, "target")
        if not -n_features <= target < n_features:
            raise ValueError(
                f"target={target} is out of range for y with {n_features} feature(s); "
                f"valid values are {-n_features} to {n_features - 1} or None"
            )

    span = window + horizon
    if values.ndim == 1:
        rows = sliding_window_view(values, span)[::step]  # (n, span)
        return rows[:, :window], rows[:, window:]
    # sliding_window_view puts the window axis last: (n, n_features, span) -> (n, span, n_features)
    rows = sliding_window_view(values, span, axis=0)[::step].transpose(0, 2, 1)
    X = rows[:, :window, :]
    Y = rows[:, window:, :] if target is None else rows[:, window:, target]
    return X, Y
