"""Direct against recursive multi-step RNN forecasts of the S&P 500, per forecast step.

Both are ``RNNForecaster("lstm")`` with the same settings, one with ``strategy="recursive"``
(the step-1 head fed back 20 times), one with ``strategy="direct", max_horizon=20`` (a head of
20 outputs on the state at the origin). ``forecast.compare`` backtests them with the random
walk on the last ``--test-size`` days of the bundled S&P 500 closes (1999-2018), fitted once
on everything before and moved forward with ``update`` (no refit), forecasting 20 steps from
every origin. Printed per step h = 1, 5, 20: the RMSE of the price forecasts and the skill
``1 - MSE / MSE(random walk)`` (and the Diebold-Mariano p-value against the random walk),
for each of ``--seeds`` random states (the weights and the
shuffling), as the median and the range over them. Run from the repository root::

    python benchmarks/bench_direct.py [--seeds 0 1 2] [--test-size 500] [--epochs 20]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import forecast
from forecast import RNNForecaster

STEPS = (1, 5, 20)


def run(seed: int, test_size: int, epochs: int, hidden: int) -> dict:
    close = forecast.load_dataset("sp500")["close"]
    settings = dict(hidden_size=hidden, epochs=epochs, random_state=seed)
    models = {
        "RNN recursive": RNNForecaster("lstm", **settings),
        "RNN direct": RNNForecaster("lstm", strategy="direct", max_horizon=20, **settings),
    }
    result = forecast.compare(models, close, horizon=20, test_size=test_size)
    m = result.metrics
    return {
        (name, h): tuple(float(m.loc[(name, h), key]) for key in ("rmse", "skill", "dm_pvalue"))
        for name in ("Random walk", *models)
        for h in STEPS
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--test-size", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--hidden", type=int, default=32)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    runs = []
    for seed in args.seeds:
        start = time.perf_counter()
        runs.append(run(seed, args.test_size, args.epochs, args.hidden))
        print(f"seed {seed}: {time.perf_counter() - start:.1f} s, load {os.getloadavg()[0]:.2f}")
    print(
        f"\nS&P 500, last {args.test_size} days, LSTM hidden {args.hidden}, {args.epochs} "
        f"epochs, seeds {args.seeds}: median [min, max] over seeds\n"
    )
    print("| model | step | RMSE | skill vs random walk | DM p-value |")
    print("|---|---:|---:|---:|---:|")
    for name in ("Random walk", "RNN recursive", "RNN direct"):
        for h in STEPS:
            rmse = np.array([r[(name, h)][0] for r in runs])
            skill = np.array([r[(name, h)][1] for r in runs])
            pvalue = np.array([r[(name, h)][2] for r in runs])
            if name == "Random walk":
                print(f"| {name} | {h} | {np.median(rmse):.2f} | 0 | |")
                continue
            print(
                f"| {name} | {h} | {np.median(rmse):.2f} [{rmse.min():.2f}, {rmse.max():.2f}] "
                f"| {np.median(skill):+.4f} [{skill.min():+.4f}, {skill.max():+.4f}] "
                f"| {np.median(pvalue):.2f} [{pvalue.min():.2f}, {pvalue.max():.2f}] |"
            )
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
