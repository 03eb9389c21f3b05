"""What the scikit-learn estimators on windows share: RNNRegressor and RNNClassifier.

Each sample is a window, oldest value first, ``X[i]`` of shape ``(window,)`` (one feature per
step) or ``(window, n_features)``; the network runs over it from a zero state and its head
reads the state at the last step (many-to-one). :class:`WindowNetworkModel` holds what does
not depend on the head: checking the windows (:meth:`~WindowNetworkModel._check_windows`),
standardising the inputs (:meth:`~WindowNetworkModel._fit_input_scaler`,
:meth:`~WindowNetworkModel._scaled`), the weights under PyTorch's names, pickling the network
as plain arrays and the scikit-learn tags (3-D input).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from forecast.models.rnn.training import NetworkPickling
from forecast.transforms import Standardizer


class WindowNetworkModel(NetworkPickling):
    """Mixin of the window estimators (put it before the scikit-learn mixins and
    ``BaseEstimator``). Fitted attributes it sets: ``n_inputs_`` and ``x_scaler_``; the
    estimator sets ``network_``."""

    def get_weights(self) -> dict[str, np.ndarray]:
        """A copy of the weights under PyTorch's names (``weight_ih_l0``, ..., ``head.bias``)."""
        check_is_fitted(self)
        return self.network_.get_weights()

    def set_weights(self, weights: dict[str, np.ndarray]) -> Any:
        """Replace the weights (same names and shapes as :meth:`get_weights`); returns self."""
        check_is_fitted(self)
        self.network_.set_weights(weights)
        return self

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags

    def _check_windows(
        self, X: Any, y: Any, reset: bool, **y_checks: Any
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Validate; return x as (n, window, n_inputs) and y as validated by scikit-learn.

        ``y="no_validation"`` (predict) checks X only; ``y=None`` in fit raises.
        ``y_checks`` go to ``validate_data`` (e.g. ``multi_output=True, y_numeric=True``).
        """
        if X is None:  # scikit-learn's message would speak of "a scalar array nan"
            raise TypeError(
                "X must be an array-like of windows of shape (n_samples, window) or "
                "(n_samples, window, n_features), got X=None"
            )
        floats = [np.float64, np.float32]
        if isinstance(y, str) and y == "no_validation":
            y = None
            X = validate_data(self, X, reset=reset, allow_nd=True, dtype=floats)
        else:
            X, y = validate_data(self, X, y, reset=reset, allow_nd=True, dtype=floats, **y_checks)
        if X.ndim > 3:
            raise ValueError(
                f"X must be (n_samples, window) or (n_samples, window, n_features), got an "
                f"array of shape {X.shape}"
            )
        x = X[:, :, None] if X.ndim == 2 else X
        if not reset and x.shape[2] != self.n_inputs_:
            raise ValueError(
                f"X has {x.shape[2]} features per step, but {type(self).__name__} is expecting "
                f"{self.n_inputs_}"
            )
        return x, y

    def _fit_input_scaler(self, x: np.ndarray) -> None:
        """``n_inputs_`` and ``x_scaler_``: each feature standardised over all steps of the
        training windows ``x`` (n, window, n_inputs); None when ``scale=False``."""
        self.n_inputs_ = x.shape[2]
        self.x_scaler_ = Standardizer().fit(x.reshape(-1, x.shape[2])) if self.scale else None

    def _scaled(self, a: np.ndarray, scaler: Standardizer | None, name: str) -> np.ndarray:
        """``a`` in the network's dtype, standardised by ``scaler`` unless None; all finite.

        ``a`` is the inputs (n, window, n_inputs), each feature scaled over all steps, or
        the targets (n, n_outputs).
        """
        with np.errstate(over="ignore", invalid="ignore"):
            if scaler is not None:
                a = scaler.transform(a.reshape(-1, a.shape[-1])).reshape(a.shape)
            a = a.astype(self.network_.dtype)
        return check_scaled(a, name, self.network_.dtype)


def check_scaled(a: np.ndarray, name: str, dtype: np.dtype) -> np.ndarray:
    """``a`` if all finite; otherwise a ValueError naming ``name`` (scaling overflowed)."""
    if not np.isfinite(a).all():
        first = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise ValueError(
            f"{name} overflows {dtype.name} once scaled: {a[first]} at index {first}; "
            "rescale it (e.g. divide by a power of 10), or use dtype='float64'"
        )
    return a
