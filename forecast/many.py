"""Old home of the many-series functions, kept for one release: use :func:`forecast.compare`
and :func:`forecast.backtest` with a dict of series or a wide DataFrame."""

from __future__ import annotations

from typing import Any

from forecast.api import backtest, compare
from forecast.evaluation.many import series_dict
from forecast.evaluation.results import CompareResult, MultiCompareResult
from forecast.models.rnn.global_series import global_forecasters

__all__ = [
    "MultiCompareResult", "backtest_many", "compare_many", "global_forecasters", "series_dict",
]


def compare_many(models: Any, data: Any, **options: Any) -> CompareResult:
    """``forecast.compare(models, data, ...)`` on many series (``data`` a dict or DataFrame)."""
    return compare(models, series_dict(data), **options)


def backtest_many(forecaster: Any, data: Any, **options: Any) -> Any:
    """``forecast.backtest(forecaster, data, ...)`` on many series (a dict or DataFrame)."""
    return backtest(forecaster, series_dict(data), **options)
