"""Moved to :mod:`forecast.models.rnn.global_model`; this path stays for one release."""

from forecast.models.rnn.global_model import GlobalRNNForecaster, GlobalSeriesForecaster
from forecast.models.rnn.streams import pooled_streams

__all__ = ["GlobalRNNForecaster", "GlobalSeriesForecaster", "pooled_streams"]
