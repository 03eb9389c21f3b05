"""Walk-forward evaluation: the schedule, one backtest, scoring, comparisons, their results.

Imports run one way: ``schedule`` <- ``backtest``; ``scoring`` <- ``report`` <- ``results``;
``compare`` uses both lines, ``many`` uses ``compare``, ``search`` (ForecastSearchCV) uses
``backtest`` and ``many``. :mod:`forecast.api` is the user-facing entry and nothing here
imports it.
"""
