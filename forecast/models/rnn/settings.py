"""The training parameters that the RNN models share, validated once: :class:`Settings`.

:func:`check_settings` reads them from an estimator (RNNRegressor, RNNForecaster,
GlobalRNNForecaster) and names any bad value; :func:`make_optimizer` builds the optimiser
they ask for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from forecast import nn
from forecast._validation import check_choice, check_float, check_int
from forecast.nn import CELLS, LOSSES

#: the ``optimizer`` names the RNN models accept
OPTIMIZER_NAMES = ("adam", "adamw", "sgd", "momentum", "nesterov")


def make_optimizer(name: str, lr: float) -> Any:
    """The optimiser called ``name``: "adam", "adamw", "sgd", "momentum" (0.9) or "nesterov"."""
    name = check_choice(name, "optimizer", OPTIMIZER_NAMES)
    if name == "momentum":
        return nn.make_optimizer("sgd", lr=lr, momentum=0.9)
    if name == "nesterov":
        return nn.make_optimizer("sgd", lr=lr, momentum=0.9, nesterov=True)
    return nn.make_optimizer(name, lr=lr)


@dataclass
class Settings:
    """The validated training parameters of an RNN model (see :func:`check_settings`)."""

    cell: str
    hidden_size: int
    num_layers: int
    epochs: int
    batch_size: int
    lr: float
    optimizer: str
    clip_norm: float | None
    loss: str
    validation_fraction: float
    patience: int | None
    dtype: np.dtype

    @property
    def hint(self) -> str:
        """What to change after a divergence, with the current values."""
        return f" (now lr={self.lr}, clip_norm={self.clip_norm})"


def check_settings(est: Any) -> Settings:
    """Validate the parameters that RNNRegressor and RNNForecaster share; name bad values."""
    clip_norm = est.clip_norm
    if clip_norm is not None:
        clip_norm = check_float(clip_norm, "clip_norm", min_value=0.0, inclusive=False)
    patience = est.patience
    if patience is not None:
        patience = check_int(patience, "patience", min_value=1)
    fraction = check_float(
        est.validation_fraction, "validation_fraction", min_value=0.0, max_value=1.0
    )
    if fraction == 1.0:
        raise ValueError("validation_fraction must be < 1, got validation_fraction=1.0")
    if not isinstance(est.verbose, (bool, np.bool_)):
        raise TypeError(f"verbose must be True or False, got {est.verbose!r}")
    return Settings(
        cell=check_choice(est.cell, "cell", tuple(CELLS)),
        hidden_size=check_int(est.hidden_size, "hidden_size", min_value=1),
        num_layers=check_int(est.num_layers, "num_layers", min_value=1),
        epochs=check_int(est.epochs, "epochs", min_value=1),
        batch_size=check_int(est.batch_size, "batch_size", min_value=1),
        lr=check_float(est.lr, "lr", min_value=0.0, inclusive=False),
        optimizer=check_choice(est.optimizer, "optimizer", OPTIMIZER_NAMES),
        clip_norm=clip_norm,
        loss=check_choice(est.loss, "loss", tuple(LOSSES)),
        validation_fraction=fraction,
        patience=patience,
        dtype=_check_dtype(est.dtype),
    )


def _check_dtype(dtype: Any) -> np.dtype:
    """``dtype`` as a NumPy float32 or float64 dtype, or raise naming it."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype must be 'float32' or 'float64', got dtype={dtype!r}")
    return resolved
