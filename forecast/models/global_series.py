"""Moved to :mod:`forecast.models.rnn.global_series`; this path stays for one release."""

from forecast.models.rnn.global_series import (
    MIN_GLOBAL_OBS,
    GlobalSeriesForecaster,
    global_forecasters,
)

__all__ = ["MIN_GLOBAL_OBS", "GlobalSeriesForecaster", "global_forecasters"]
