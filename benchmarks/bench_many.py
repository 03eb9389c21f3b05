"""Speed-up of many-series comparisons with ``n_jobs=2`` over ``n_jobs=1``.

Two universes, each compared with the random walk, the drift, AR and a small LSTM:

* the bundled monthly stocks (AAPL, AMZN, GOOG, IBM, MSFT; 123 months, GOOG 68): the last
  24 months forecast, the LSTM refitted every 12 origins;
* the bundled daily S&P 500 and MSFT closes: the last 250 days forecast, the LSTM refitted
  every 125 origins.

Each comparison is timed with ``n_jobs=1`` and ``n_jobs=2`` (best of ``--repeats``); the two
runs are checked to give identical metrics. The joblib workers are started once before
timing (a warm-up comparison), so the times do not include process start-up and imports.
Run from the repository root::

    python benchmarks/bench_many.py [--repeats 2] [--epochs 5]
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import time

import pandas as pd

from forecast import load_dataset
from forecast.api import compare
from forecast.models.ar import ARForecaster
from forecast.models.naive import NaiveForecaster
from forecast.models.rnn_forecaster import RNNForecaster


def universes() -> dict[str, tuple[dict[str, pd.Series], int, int]]:
    """name -> (series, test_size, LSTM refit interval)."""
    monthly = load_dataset("stocks_monthly")
    daily = {"S&P 500": load_dataset("sp500")["close"], "MSFT": load_dataset("msft")["close"]}
    return {
        "monthly stocks (5 series)": ({c: monthly[c] for c in monthly.columns}, 24, 12),
        "S&P 500 + MSFT daily (2 series)": (daily, 250, 125),
    }


def models(epochs: int) -> dict[str, object]:
    return {
        "Drift": NaiveForecaster(strategy="drift"),
        "AR(5)": ARForecaster(order=5),
        "LSTM": RNNForecaster(cell="lstm", hidden_size=16, epochs=epochs, random_state=0),
    }


def run(data: dict, test_size: int, rnn_refit: int, epochs: int, n_jobs: int):
    refit = {"Drift": 1, "AR(5)": 1, "LSTM": rnn_refit}
    began = time.perf_counter()
    res = compare(models(epochs), data, test_size=test_size, refit_every=refit, n_jobs=n_jobs)
    return time.perf_counter() - began, res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    print(f"{platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, LSTM epochs {args.epochs}, best of {args.repeats}")
    logging.getLogger("forecast").setLevel(logging.ERROR)  # no lag-trap warnings here
    data, test_size, rnn_refit = next(iter(universes().values()))
    run(data, test_size, rnn_refit, 1, n_jobs=2)  # start the workers and import forecast there
    print(f"{'universe':<34}{'n_jobs=1':>10}{'n_jobs=2':>10}{'speed-up':>10}")
    totals = {1: 0.0, 2: 0.0}
    for name, (data, test_size, rnn_refit) in universes().items():
        best, results = {}, {}
        for _ in range(args.repeats):
            for n_jobs in (1, 2):
                seconds, results[n_jobs] = run(data, test_size, rnn_refit, args.epochs, n_jobs)
                best[n_jobs] = min(best.get(n_jobs, float("inf")), seconds)
        for series in results[1].results:
            pd.testing.assert_frame_equal(results[1][series].metrics, results[2][series].metrics,
                                          check_exact=True)
        totals[1] += best[1]
        totals[2] += best[2]
        print(f"{name:<34}{best[1]:>9.2f}s{best[2]:>9.2f}s{best[1] / best[2]:>9.2f}x")
    print(f"{'total':<34}{totals[1]:>9.2f}s{totals[2]:>9.2f}s{totals[1] / totals[2]:>9.2f}x")
    print("n_jobs=2 metrics identical to n_jobs=1: yes")


if __name__ == "__main__":
    main()
