"""Moved to :mod:`forecast.models.rnn.regressor`; this path stays for one release."""

from forecast.models.rnn.regressor import RNNRegressor

__all__ = ["RNNRegressor"]
