"""Does the equal-weight combination of AR and the RNNs beat each of them on the S&P 500?

The README's default comparison (``forecast compare``: the last 500 trading days of the
bundled S&P 500, one step ahead; AR(tau) with tau by AIC on the training part refitted at
every origin, the drift too; RNN, LSTM and GRU with hidden size 16, up to 20 epochs, refitted
every 125 origins) with two more models: ``EnsembleForecaster`` of AR(tau), RNN, LSTM and GRU
with equal weights and with inverse-MSE weights (window 250), refitted every 125 origins
(all members then, AR included). For each seed of the RNNs it prints, on the return scale
(log(F / last) against log(A / last)), each model's RMSE, skill against the random walk
(1 - MSE / MSE_RW) and Diebold-Mariano p-value against it, and the DM p-value of the
equal-weight ensemble against each member (two-sided, HLN). Run from the repository root::

    python benchmarks/bench_ensemble.py [--seeds 0 1 2] [--epochs 20]
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import time

import numpy as np
import pandas as pd

from forecast import EnsembleForecaster, compare, load_dataset
from forecast.cli.models import build_models
from forecast.cli.parser import DEFAULT_TEST_SIZE, RNN_REFIT_EVERY
from forecast.significance import diebold_mariano

MEMBERS = ("RNN", "LSTM", "GRU")


def run(close: pd.Series, seed: int, epochs: int) -> tuple[pd.DataFrame, dict[str, float], float]:
    args = argparse.Namespace(models=["naive", "ar", "rnn", "lstm", "gru"], epochs=epochs,
                              seed=seed)
    train = close.iloc[:-DEFAULT_TEST_SIZE]
    models, refit = build_models(args, train)
    ar = next(name for name in models if name.startswith("AR"))
    members = [(name, models[name]) for name in (ar, *MEMBERS)]
    models["Ensemble (equal)"] = EnsembleForecaster(members)
    models["Ensemble (inverse MSE)"] = EnsembleForecaster(members, weights="inverse_mse")
    refit["Ensemble (equal)"] = refit["Ensemble (inverse MSE)"] = RNN_REFIT_EVERY
    began = time.perf_counter()
    result = compare(models, close, test_size=DEFAULT_TEST_SIZE, refit_every=refit,
                     coverage=None)
    seconds = time.perf_counter() - began
    table = result.return_metrics.xs(1, level="step")[["rmse", "skill", "dm_pvalue"]]
    bt = result.backtests
    log_error = {
        name: (np.log(g["actual"]) - np.log(g["forecast"])).to_numpy()
        for name, g in bt.groupby("model", sort=False)
    }
    vs_members = {
        name: diebold_mariano(log_error["Ensemble (equal)"], log_error[name]).pvalue
        for name in (ar, *MEMBERS)
    }
    return table, vs_members, seconds


def markdown(table: pd.DataFrame) -> str:
    """The README table: model | RMSE | skill vs RW | DM p vs RW."""
    lines = ["| model | RMSE | skill vs RW | DM p vs RW |", "|:---|---:|---:|---:|"]
    for name, row in table.iterrows():
        p = "-" if np.isnan(row["dm_pvalue"]) else f"{row['dm_pvalue']:.3f}"
        lines.append(f"| {name} | {row['rmse']:.5f} | {row['skill']:+.2%} | {p} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=20)
    options = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # not the lag-trap warnings of every model
    close = load_dataset("sp500")["close"]
    print(f"{platform.platform()}, {os.cpu_count()} cores, load {os.getloadavg()}")
    print(f"S&P 500: last {DEFAULT_TEST_SIZE} days, one step ahead, return scale\n")
    skills, beats = [], []
    for seed in options.seeds:
        table, vs_members, seconds = run(close, seed, options.epochs)
        print(f"seed {seed} ({seconds:.1f} s, load {os.getloadavg()[0]:.2f}):")
        print(markdown(table))
        mse = table["rmse"] ** 2
        members = [name for name in table.index if name.startswith("AR")] + list(MEMBERS)
        wins = [name for name in members if mse["Ensemble (equal)"] < mse[name]]
        print("equal-weight ensemble vs each member: DM p = "
              + ", ".join(f"{k} {p:.3f}" for k, p in vs_members.items())
              + f"; lower MSE than {len(wins)}/{len(members)} ({', '.join(wins) or 'none'})\n")
        skills.append(table["skill"])
        beats.append(len(wins) == len(members))
    frame = pd.DataFrame(skills, index=options.seeds)
    print("skill against the random walk over the seeds (min .. max):")
    for name in frame.columns:
        print(f"  {name:24s} {frame[name].min():+.2%} .. {frame[name].max():+.2%}")
    print(f"the equal-weight ensemble beats every member in {sum(beats)}/{len(beats)} seeds")


if __name__ == "__main__":
    main()
