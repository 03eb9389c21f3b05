"""Old home of :func:`forecast.backtest`, kept for one release: import from ``forecast``."""

from forecast.api import backtest
from forecast.evaluation.backtest import COLUMNS, check_forecaster

__all__ = ["COLUMNS", "backtest", "check_forecaster"]
