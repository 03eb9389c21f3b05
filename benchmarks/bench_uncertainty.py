"""How honest are the 90 % bands? Coverage, width, interval score, CRPS and coverage tests.

On the bundled S&P 500 (the last ``--history`` days; the last ``--test-size`` of them are
one-day-ahead forecast targets), ``forecast.compare(..., coverage=0.9)`` scores

* AR Gaussian: ``ARForecaster(order="aic", max_order=10)``, refitted at every origin;
* RNN split-conformal, RNN Normal, RNN Student-t: ``RNNForecaster`` (LSTM, ``--hidden``
  units) without and with a likelihood head, refitted every ``--refit-every`` origins;
* ACI(model) for each: ``ConformalForecaster(model, method="aci", gamma=g)`` for every
  ``--gammas`` value (0.005 is the default; ``--gammas`` alone: no ACI);

for every ``--seeds`` value of the networks' ``random_state`` (ranges over the seeds are
printed), with the networks trained as ``--training`` says: ``default`` (the package
defaults, 20 epochs here, early stopping with patience 5) or ``long`` (60 epochs, patience
None: every epoch is tried and the best on the validation NLL kept). ``--period validation``
runs the same on the 500 days before the test period (the data the settings were chosen
on, never the test period).

With ``--global``, also the DeepAR pair: ``GlobalRNNForecaster(likelihood="normal" |
"student_t")``, one network trained across the S&P 500 and MSFT (the last ``--history`` days
of each, the last ``--test-size`` forecast), refitted every ``--refit-every`` origins on both
series cut at the origin's date.

Then the sampling cost: ``sample_paths(20, 1000)`` of an LSTM of hidden size 32 with a
Normal head, the 1000 paths one batch (best, median and worst of ``--repeats`` calls), with
the machine's load average. Run from the repository root::

    python benchmarks/bench_uncertainty.py [--seeds 0 1 2] [--gammas 0.005 0.05]
        [--training default long] [--period test|validation] [--global] [--repeats 20]
"""

from __future__ import annotations

import argparse
import logging
import os
import time

import numpy as np
import pandas as pd

import forecast

COVERAGE = 0.9
TRAINING = {"default": {"epochs": 20}, "long": {"epochs": 60, "patience": None}}
COLUMNS = ["coverage", "width", "interval_score", "crps", "kupiec_pvalue",
           "christoffersen_pvalue"]


def models(seed: int, hidden: int, training: str, gammas: list[float]) -> dict[str, object]:
    rnn = {"hidden_size": hidden, "random_state": seed, **TRAINING[training]}
    base = {
        "AR Gaussian": forecast.ARForecaster(order="aic", max_order=10),
        "RNN split-conformal": forecast.RNNForecaster(**rnn),
        "RNN Normal": forecast.RNNForecaster(likelihood="normal", **rnn),
        "RNN Student-t": forecast.RNNForecaster(likelihood="student_t", **rnn),
    }
    aci = {f"ACI({name}, {g:g})": forecast.ConformalForecaster(model, method="aci", gamma=g,
                                                                coverage=COVERAGE)
           for g in gammas for name, model in base.items()}
    return base | aci


def scores(y: pd.Series, args: argparse.Namespace, seed: int, training: str) -> pd.DataFrame:
    ms = models(seed, args.hidden, training, args.gammas)
    refit = {name: 1 if "AR Gaussian" in name else args.refit_every for name in ms}
    res = forecast.compare(ms, y, test_size=args.test_size, coverage=COVERAGE,
                           refit_every=refit)
    return res.intervals.xs(1, level="step")[COLUMNS].drop(index="Random walk")


def fmt_range(values: pd.Series, digits: int, pct: bool = False) -> str:
    lo, hi = values.min(), values.max()
    if np.isnan(lo):
        return "-"
    f = (lambda v: f"{100 * v:.{digits}f}") if pct else (lambda v: f"{v:.{digits}f}")
    return f(lo) if f(lo) == f(hi) else f"{f(lo)}-{f(hi)}"


def coverage_table(y: pd.Series, args: argparse.Namespace) -> None:
    for training in args.training:
        start = time.perf_counter()
        runs = pd.concat({seed: scores(y, args, seed, training) for seed in args.seeds},
                         names=["seed", "model"])
        took = time.perf_counter() - start
        print(f"\nnetworks trained '{training}' {TRAINING[training]}; seeds {args.seeds}; "
              f"{took:.0f} s")
        print(f"{'model':<34}{'coverage %':>12}{'width':>13}{'int. score':>13}{'CRPS':>13}"
              f"{'Kupiec p':>13}{'Christ. p':>13}")
        for name in runs.index.unique("model"):
            r = runs.xs(name, level="model")
            print(f"{name:<34}{fmt_range(r['coverage'], 1, pct=True):>12}"
                  f"{fmt_range(r['width'], 1):>13}{fmt_range(r['interval_score'], 1):>13}"
                  f"{fmt_range(r['crps'], 2):>13}{fmt_range(r['kupiec_pvalue'], 3):>13}"
                  f"{fmt_range(r['christoffersen_pvalue'], 3):>13}")


def global_table(args: argparse.Namespace) -> None:
    from forecast.models.rnn.global_model import GlobalRNNForecaster

    cut = slice(None, -args.test_size) if args.period == "validation" else slice(None)
    series = {name: forecast.load_dataset(key)["close"].iloc[cut].iloc[-args.history :]
              for name, key in (("S&P 500", "sp500"), ("MSFT", "msft"))}
    for training in args.training:
        rows = []
        for seed in args.seeds:
            deepar = {f"DeepAR {lik}": GlobalRNNForecaster(
                likelihood=lik, hidden_size=args.hidden, random_state=seed, **TRAINING[training])
                for lik in ("normal", "student_t")}
            ar = {"AR Gaussian": forecast.ARForecaster(order="aic", max_order=10)}
            res = forecast.compare(ar, series, test_size=args.test_size, coverage=COVERAGE,
                                   global_models=deepar, refit_every={
                                       "AR Gaussian": 1, **dict.fromkeys(deepar, args.refit_every)})
            for name in series:
                table = res[name].intervals.xs(1, level="step").loc[list(deepar), COLUMNS]
                rows.append(table.assign(series=name).set_index("series", append=True))
        runs = pd.concat(rows)
        print(f"\nglobal models trained '{training}' {TRAINING[training]} on "
              f"{list(series)}; seeds {args.seeds}")
        for (model, name), r in runs.groupby(level=[0, 1], sort=False):
            print(f"{model + ', ' + name:<34}{fmt_range(r['coverage'], 1, pct=True):>12}"
                  f"{fmt_range(r['width'], 2):>14}{fmt_range(r['interval_score'], 2):>15}"
                  f"{fmt_range(r['crps'], 3):>15}{fmt_range(r['kupiec_pvalue'], 3):>13}"
                  f"{fmt_range(r['christoffersen_pvalue'], 3):>13}")


def sampling_cost(y: pd.Series, repeats: int) -> None:
    model = forecast.RNNForecaster(hidden_size=32, epochs=2, likelihood="normal",
                                   random_state=0).fit(y)
    model.sample_paths(20, 1000, random_state=0)  # warm-up
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        model.sample_paths(20, 1000, random_state=i)
        times.append(time.perf_counter() - start)
    t = np.sort(times)
    print(f"\nsample_paths(20, 1000), LSTM hidden 32, Normal head, {model.network_.dtype}: "
          f"best {t[0]:.3f} s, median {np.median(t):.3f} s, worst {t[-1]:.3f} s over "
          f"{repeats} calls")


def load() -> str:
    if not hasattr(os, "getloadavg"):
        return "load average unknown"
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--gammas", type=float, nargs="*", default=[0.005, 0.05])
    parser.add_argument("--training", nargs="+", choices=list(TRAINING),
                        default=["default", "long"])
    parser.add_argument("--period", choices=["test", "validation"], default="test")
    parser.add_argument("--history", type=int, default=2500)
    parser.add_argument("--test-size", type=int, default=500)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--refit-every", type=int, default=125)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--skip-coverage", action="store_true")
    parser.add_argument("--global", dest="global_models", action="store_true")
    args = parser.parse_args()
    logging.getLogger("forecast").setLevel(logging.ERROR)  # the coverage flags: in the table

    y = forecast.load_dataset("sp500")["close"]
    if args.period == "validation":
        y = y.iloc[: -args.test_size]
    y = y.iloc[-args.history :]
    print(f"S&P 500 close, {len(y)} days to {y.index[-1].date()}, the last {args.test_size} "
          f"forecast one day ahead ({args.period} period), {COVERAGE:.0%} nominal; {load()}")
    if not args.skip_coverage:
        coverage_table(y, args)
    if args.global_models:
        global_table(args)
    sampling_cost(y, args.repeats)
    print(load())


if __name__ == "__main__":
    main()
