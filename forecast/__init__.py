"""forecast: does a recurrent network beat a plain autoregressive model on stock prices?

The package is laid out like its architecture::

    data          load_dataset, list_datasets, load_csv, load_yahoo
    windows       make_windows                      (series -> supervised windows)
    splits        WalkForwardSplit, temporal_train_test_split
    transforms    LogReturns, SimpleReturns, Differencer, Standardizer
    models        NaiveForecaster, ARForecaster, ARRegressor,   (baselines)
                  RNNRegressor, RNNForecaster, load_model       (NumPy RNN/LSTM/GRU)
                  GlobalRNNForecaster                           (one RNN, many series)
                  ConformalForecaster           (adaptive conformal intervals, any model)
    nn            the NumPy recurrent engine (cells, BPTT, truncated BPTT, optimisers)
    metrics       MAE, RMSE, MAPE, sMAPE, MASE, Theil's U2, and from significance:
                  directional accuracy, Diebold-Mariano
    evaluation    schedule   WalkForward            (origins, refits, training windows)
                  backtest   one forecaster's rolling-origin walk, without look-ahead
                  scoring    metrics per model and step, DM tests, lag trap, summary
                  compare, many   every model against the random walk; many series with
                             n_jobs (joblib) or on Dask clusters
                  results, report CompareResult (one series or many), its Markdown and CSV
    api           backtest, compare                 (one series or many: the only dispatch)
    plots         matplotlib functions that take and return Axes
    cli           the ``forecast`` command line

Errors worth catching: ``DivergenceError`` (training never reached a usable fit),
``ModelFileError`` (a model file that is not a valid one; a ``ValueError``) and
``YahooDownloadError`` (Yahoo Finance could not be reached and nothing is cached),
``FloatRangeError`` (a result beyond float64; a ``ValueError``) and the warning
``DivergenceWarning`` (training recovered from a divergent epoch).

Public names are imported lazily (PEP 562), so ``import forecast`` stays cheap and the
command line does not pay for matplotlib unless it plots.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "load_dataset": "forecast.data.bundled",
    "list_datasets": "forecast.data.bundled",
    "load_csv": "forecast.data.csv",
    "load_yahoo": "forecast.data.yahoo",
    "with_calendar": "forecast.data.calendars",
    "make_windows": "forecast.windows",
    "WalkForwardSplit": "forecast.splits",
    "temporal_train_test_split": "forecast.splits",
    "LogReturns": "forecast.transforms",
    "SimpleReturns": "forecast.transforms",
    "Differencer": "forecast.transforms",
    "Standardizer": "forecast.scaling",
    "NaiveForecaster": "forecast.models.naive",
    "ARForecaster": "forecast.models.ar",
    "ARRegressor": "forecast.models.ar_regressor",
    "RNNRegressor": "forecast.models.rnn.regressor",
    "RNNClassifier": "forecast.models.rnn.classifier",
    "RNNForecaster": "forecast.models.rnn.forecaster",
    "ConformalForecaster": "forecast.models.conformal",
    "GlobalRNNForecaster": "forecast.models.rnn.global_model",
    "load_model": "forecast.models.persistence",
    "save_model": "forecast.models.persistence",
    "calendar_features": "forecast.calendar_features",
    "future_calendar": "forecast.calendar_features",
    "backtest": "forecast.api",
    "compare": "forecast.api",
    "compare_direction": "forecast.api",
    "DirectionForecaster": "forecast.models.direction",
    "CompareResult": "forecast.evaluation.results",
    "ForecastSearchCV": "forecast.evaluation.search",
    "EnsembleForecaster": "forecast.models.ensemble",
    "MultiCompareResult": "forecast.evaluation.results",
    # errors a user may want to catch
    "DivergenceError": "forecast.models.rnn.divergence",
    "DivergenceWarning": "forecast.models.rnn.divergence",
    "ModelFileError": "forecast.models.persistence",
    "YahooDownloadError": "forecast.data.yahoo",
    "FloatRangeError": "forecast._numeric",
}

#: submodules reachable as attributes after a plain ``import forecast``
_SUBMODULES = (
    "data", "models", "nn", "metrics", "significance", "plots", "evaluation", "many", "cli",
)

__all__ = sorted(_PUBLIC) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"forecast.{name}")
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'forecast' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__ + list(_SUBMODULES)
