"""Time-ordered train/test splits: walk-forward cross-validation and a single holdout.

Both keep time order: every training sample comes before every test sample, nothing is
shuffled. ``WalkForwardSplit`` is a scikit-learn cross-validator (pass it as ``cv=`` to
``GridSearchCV`` or ``cross_val_score``); ``temporal_train_test_split`` is the time-ordered
counterpart of ``sklearn.model_selection.train_test_split``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils import _safe_indexing, indexable
from sklearn.utils.validation import _num_samples, check_consistent_length

from forecast._validation import check_choice, check_float, check_index, check_int

__all__ = ["WalkForwardSplit", "temporal_train_test_split"]


class WalkForwardSplit(BaseCrossValidator):
    """Walk-forward (rolling-origin) cross-validator with an expanding or rolling window.

    The test blocks have ``test_size`` samples and start ``step`` samples apart; the last
    one ends at the last sample. With ``n`` samples and ``n_splits`` splits, split ``k``
    (``k = 0 .. n_splits - 1``) is::

        test_start = n - test_size - (n_splits - 1 - k) * step
        test       = [test_start, test_start + test_size)
        train_end  = test_start - gap
        train      = [0, train_end)                        # window="expanding"
        train      = [train_end - train_size, train_end)   # window="rolling"

    With the defaults (``step=test_size``, expanding) the splits are exactly those of
    ``sklearn.model_selection.TimeSeriesSplit(n_splits, test_size=test_size, gap=gap)``.

    Parameters
    ----------
    n_splits : int or None, default=5
        Number of splits (``>= 1``). ``None`` means as many as fit: test blocks are laid out
        backwards from the end, every ``step`` samples, while the training set of the
        earliest one still has at least ``min_train_size`` (expanding) or ``train_size``
        (rolling) samples. The earliest split may then train on up to ``step - 1`` more
        samples than that minimum.
    test_size : int or None, default=None
        Samples in each test block. ``None`` means ``n_samples // (n_splits + 1)`` (as in
        ``TimeSeriesSplit``); it is required when ``n_splits=None``.
    gap : int, default=0
        Samples left out between the end of each training set and the start of its test
        block. When the samples are windows from :func:`forecast.make_windows` with
        ``horizon=h``, use ``gap >= h - 1``: then no training target lies at or after the
        first test target (target rows ``i`` and ``i + h - 1`` overlap otherwise).
    step : int or None, default=None
        Distance between the starts of consecutive test blocks; ``None`` means
        ``test_size`` (adjacent, non-overlapping test blocks). ``step < test_size`` gives
        overlapping test blocks, ``step > test_size`` leaves samples untested.
    window : {"expanding", "rolling"}, default="expanding"
        ``"expanding"``: every training set starts at sample 0. ``"rolling"``: every
        training set has the same length ``train_size``.
    train_size : int or None, default=None
        Length of the rolling training window (``window="rolling"`` only). ``None`` means
        the length of the earliest split's training set; it is required when
        ``n_splits=None``.
    min_train_size : int or None, default=None
        Fewest training samples accepted in the earliest split (expanding window); ``None``
        means 1. With a rolling window the minimum is ``train_size``.

    Raises
    ------
    ValueError
        from :meth:`split` / :meth:`get_n_splits` when the splits do not fit the number of
        samples; the message gives every number involved.

    Examples
    --------
    >>> import numpy as np
    >>> cv = WalkForwardSplit(n_splits=3, test_size=2, window="rolling", train_size=4)
    >>> for train, test in cv.split(np.zeros(10)):
    ...     print(train, test)
    [0 1 2 3] [4 5]
    [2 3 4 5] [6 7]
    [4 5 6 7] [8 9]
    >>> cv = WalkForwardSplit(n_splits=None, test_size=3, min_train_size=5)
    >>> cv.get_n_splits(np.zeros(14))
    3

    As ``cv=`` in scikit-learn, on windows of real prices:

    >>> import forecast
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.model_selection import cross_val_score
    >>> close = forecast.load_dataset("sp500")["close"]
    >>> X, Y = forecast.make_windows(close.to_numpy(), window=10)
    >>> scores = cross_val_score(Ridge(), X, Y.ravel(), cv=WalkForwardSplit(n_splits=4))
    >>> len(scores)
    4
    """

    def __init__(
        self,
        n_splits: int | None = 5,
        *,
        test_size: int | None = None,
        gap: int = 0,
        step: int | None = None,
        window: str = "expanding",
        train_size: int | None = None,
        min_train_size: int | None = None,
    ) -> None:
        self.n_splits = n_splits
        self.test_size = test_size
        self.gap = gap
        self.step = step
        self.window = window
        self.train_size = train_size
        self.min_train_size = min_train_size

    def split(
        self, X: Any, y: Any = None, groups: Any = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train, test)`` index arrays, oldest split first.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Only its length is used. A pandas object's index must be dates (no NaT) or
            integers, sorted and unique (see :func:`forecast._validation.check_index`).
        y, groups : ignored
            For scikit-learn compatibility (a non-None ``groups`` gives a UserWarning).

        Yields
        ------
        train : ndarray of int
            Training indices, increasing.
        test : ndarray of int
            Test indices, increasing, all greater than ``train[-1] + gap``.
        """
        if groups is not None:
            warnings.warn(
                f"The groups parameter is ignored by {type(self).__name__}",
                UserWarning,
                stacklevel=2,
            )
        (X,) = indexable(X)
        if isinstance(X, (pd.Series, pd.DataFrame)):
            check_index(X.index, "X")
        return self._split(_num_samples(X))

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Return the number of splits: ``n_splits``, or how many fit ``X`` if it is None.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...), optional
            Needed when ``n_splits=None``; when given, the splits are checked against it.
        y, groups : ignored

        Returns
        -------
        int
        """
        if X is None:
            if self.n_splits is None:
                raise ValueError(
                    "n_splits=None (as many splits as fit) needs X to count the splits; "
                    "call get_n_splits(X)"
                )
            return check_int(self.n_splits, "n_splits", min_value=1)
        (X,) = indexable(X)
        return self._plan(_num_samples(X))[0]

    def _split(self, n_samples: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n_splits, test_size, step, first_test_start, train_size = self._plan(n_samples)
        indices = np.arange(n_samples)
        for k in range(n_splits):
            test_start = first_test_start + k * step
            train_end = test_start - self.gap
            train_start = 0 if train_size is None else train_end - train_size
            yield indices[train_start:train_end], indices[test_start : test_start + test_size]

    def _plan(self, n_samples: int) -> tuple[int, int, int, int, int | None]:
        """Validate the parameters against ``n_samples``.

        Returns ``(n_splits, test_size, step, first_test_start, train_size)`` with
        ``train_size=None`` for an expanding window.
        """
        n_splits = self.n_splits
        if n_splits is not None:
            n_splits = check_int(n_splits, "n_splits", min_value=1)
        window = check_choice(self.window, "window", ("expanding", "rolling"))
        gap = check_int(self.gap, "gap", min_value=0)

        if self.test_size is not None:
            test_size = check_int(self.test_size, "test_size", min_value=1)
        elif n_splits is None:
            raise ValueError("n_splits=None (as many splits as fit) needs test_size; got None")
        else:
            test_size = n_samples // (n_splits + 1)
            if test_size < 1:
                raise ValueError(
                    f"n_splits={n_splits} is too many: cannot have number of folds="
                    f"{n_splits + 1} greater than the number of samples={n_samples}; use "
                    f"n_splits <= {n_samples - 1} or set test_size"
                )
        step = test_size if self.step is None else check_int(self.step, "step", min_value=1)

        train_size = self.train_size
        if train_size is not None:
            train_size = check_int(train_size, "train_size", min_value=1)
            if window == "expanding":
                raise ValueError(
                    f"train_size={train_size} sets the length of a rolling window, but "
                    "window='expanding'; pass window='rolling' or use min_train_size"
                )
        min_train_size = self.min_train_size
        if min_train_size is not None:
            min_train_size = check_int(min_train_size, "min_train_size", min_value=1)
            if train_size is not None and min_train_size > train_size:
                raise ValueError(
                    f"min_train_size={min_train_size} is larger than the rolling "
                    f"train_size={train_size}"
                )
        need = train_size if train_size is not None else (min_train_size or 1)

        if n_splits is None:
            if window == "rolling" and train_size is None:
                raise ValueError(
                    "window='rolling' with n_splits=None (as many splits as fit) needs "
                    "train_size; got None"
                )
            room = n_samples - test_size - gap - need
            if room < 0:
                raise ValueError(
                    f"No split fits in number of samples={n_samples}: test_size={test_size} "
                    f"+ gap={gap} + {need} training sample(s) = {test_size + gap + need}"
                )
            n_splits = room // step + 1

        first_test_start = n_samples - test_size - (n_splits - 1) * step
        first_train_size = first_test_start - gap
        if first_train_size < need:
            raise ValueError(
                f"Too many splits={n_splits} for number of samples={n_samples} with "
                f"test_size={test_size}, step={step} and gap={gap}: the first training set "
                f"would have {first_train_size} sample(s), fewer than the {need} required"
            )
        if window == "rolling" and train_size is None:
            train_size = first_train_size
        return n_splits, test_size, step, first_test_start, train_size


def temporal_train_test_split(
    *arrays: Any, test_size: float | int = 0.25, gap: int = 0
) -> list[Any]:
    """Split arrays into a leading training part and a trailing test part, without shuffling.

    With ``n`` samples and ``n_test`` test samples::

        train = [0, n - n_test - gap)
        test  = [n - n_test, n)

    Parameters
    ----------
    *arrays : sequence of indexables of the same length
        NumPy arrays, lists, pandas Series or DataFrames (their index must be sorted and
        unique), scipy sparse matrices. Each is sliced, so NumPy results are views.
    test_size : float or int, default=0.25
        A float in (0, 1) is the fraction of samples in the test part,
        ``n_test = ceil(test_size * n)``; an int is the number of test samples.
    gap : int, default=0
        Samples dropped between the training part and the test part (e.g. ``horizon - 1``
        for windows from :func:`forecast.make_windows`, so that no training target lies in
        the test period).

    Returns
    -------
    splitting : list of length 2 * len(arrays)
        ``[a_train, a_test, b_train, b_test, ...]``, each of the type of its input.

    Raises
    ------
    ValueError
        if no array is given, the lengths differ, ``test_size`` is out of range, the index
        of a pandas input has a NaT label, is unsorted or duplicated, or no training
        sample is left.

    Examples
    --------
    >>> import numpy as np
    >>> X, y = np.arange(20).reshape(10, 2), np.arange(10)
    >>> X_train, X_test, y_train, y_test = temporal_train_test_split(X, y, test_size=3)
    >>> y_train, y_test
    (array([0, 1, 2, 3, 4, 5, 6]), array([7, 8, 9]))

    >>> import forecast
    >>> close = forecast.load_dataset("sp500")["close"]
    >>> train, test = temporal_train_test_split(close, test_size=0.2)
    >>> bool(train.index[-1] < test.index[0])
    True
    """
    if not arrays:
        raise ValueError("At least one array required as input")
    check_consistent_length(*arrays)
    n_samples = _num_samples(arrays[0])
    for i, array in enumerate(arrays):
        if isinstance(array, (pd.Series, pd.DataFrame)):
            check_index(array.index, f"arrays[{i}]")

    if isinstance(test_size, numbers.Integral) and not isinstance(test_size, bool):
        n_test = check_int(test_size, "test_size", min_value=1)
    else:
        fraction = check_float(
            test_size, "test_size", min_value=0.0, max_value=1.0, inclusive=False
        )
        n_test = math.ceil(fraction * n_samples)
    gap = check_int(gap, "gap", min_value=0)
    n_train = n_samples - n_test - gap
    if n_train < 1:
        raise ValueError(
            f"test_size={test_size!r} ({n_test} test sample(s)) and gap={gap} leave no "
            f"training sample out of number of samples={n_samples}"
        )
    train, test = slice(0, n_train), slice(n_samples - n_test, n_samples)
    return [part for a in arrays for part in (_safe_indexing(a, train), _safe_indexing(a, test))]
