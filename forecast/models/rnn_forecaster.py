"""Moved to :mod:`forecast.models.rnn.forecaster`; this path stays for one release."""

from forecast.models.rnn.forecaster import RNNForecaster

__all__ = ["RNNForecaster"]
