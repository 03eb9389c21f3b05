"""Moved to :mod:`forecast.models.rnn.divergence`; this path stays for one release."""

from forecast.models.rnn.divergence import (
    USABLE_FACTOR,
    DivergenceError,
    DivergenceWarning,
    check_finite_values,
)

__all__ = ["USABLE_FACTOR", "DivergenceError", "DivergenceWarning", "check_finite_values"]
