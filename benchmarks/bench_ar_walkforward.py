"""Walk-forward speed: incremental AR(tau) refits against refitting statsmodels' AutoReg.

At each of ``--steps`` daily origins of the bundled S&P 500 series (log returns, then
close prices) the AR(tau) model (trend "c") is re-estimated on all data up to the origin
and the next value is forecast:

* reference: ``AutoReg(y[:origin], tau).fit().forecast(1)``, a fresh fit per step;
* ``forecast.backtest(ARForecaster(tau), y, start=first, refit_every=1)``, the package's
  walk-forward: one fit, then at every origin ``update(..., refit=True)`` (the new row is
  folded into the least-squares state in O(tau^2)) and a one-step forecast; backtest moves
  the model with the contract's ``update_slice`` (the new observation by position) and
  reads ``forecast_values(1)`` (an array), so no pandas object is built per step (the
  result is the usual frame with dates and actuals). Timed on the dated Series and on its
  values (an array);
* the same steps written by hand with the public methods, ``model.update(y_new,
  refit=True)`` then ``model.predict(1)``, which build and read a one-value Series each step
  (and label the forecast: the dates after the data are inferred at every ``predict``).

Prints both times, their ratio, the largest relative difference between the forecasts and
the load average before and after.
A walk-forward of ours takes a fraction of a second, so a burst of other work on a shared
machine can double one run of it: it is repeated ``--repeat`` times and the median run is
reported (the reference, a single run of several seconds, averages such bursts out).
Run from the repository root (statsmodels is needed: ``pip install -e ".[bench]"``)::

    python benchmarks/bench_ar_walkforward.py [--steps 1000] [--order 20] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd
import statsmodels
from statsmodels.tsa.ar_model import AutoReg
from threadpoolctl import threadpool_limits

import forecast
from forecast.models.ar import ARForecaster


def reference(y: np.ndarray, first: int, steps: int, order: int) -> tuple[np.ndarray, Timing]:
    """One-step forecasts from a fresh AutoReg fit at every origin, and the time taken."""
    out = np.empty(steps)
    clock = Timing.start()
    for i in range(steps):
        out[i] = AutoReg(y[: first + i], order, trend="c").fit().forecast(1)[0]
    return out, clock.stop()


def walk_forward(
    y: pd.Series | np.ndarray, first: int, steps: int, order: int
) -> tuple[np.ndarray, Timing]:
    """The same forecasts from ``forecast.backtest`` with a refit at every origin, and the time."""
    clock = Timing.start()
    frame = forecast.backtest(ARForecaster(order), y, start=first, refit_every=1)
    elapsed = clock.stop()
    if len(frame) != steps:
        raise RuntimeError(f"expected {steps} forecasts, got {len(frame)}")
    return frame["forecast"].to_numpy(), elapsed


def update_predict(
    y: pd.Series | np.ndarray, first: int, steps: int, order: int
) -> tuple[np.ndarray, Timing]:
    """The same forecasts from ``update(y_new, refit=True)`` and ``predict(1)``, and the time."""
    out = np.empty(steps)
    at = y.iloc if isinstance(y, pd.Series) else y
    clock = Timing.start()
    model = ARForecaster(order).fit(at[:first])
    out[0] = model.predict(1).to_numpy()[0]
    for i in range(1, steps):
        model.update(at[first + i - 1 : first + i], refit=True)
        out[i] = model.predict(1).to_numpy()[0]
    return out, clock.stop()


class Timing:
    """Wall-clock and CPU time (this process) of one run, in seconds."""

    def __init__(self, wall: float, cpu: float) -> None:
        self.wall, self.cpu = wall, cpu

    @classmethod
    def start(cls) -> Timing:
        return cls(time.perf_counter(), time.process_time())

    def stop(self) -> Timing:
        return Timing(time.perf_counter() - self.wall, time.process_time() - self.cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--order", type=int, default=20)
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs of each incremental walk-forward (median)"
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS threads for both sides (default 1: on a shared machine, idle BLAS threads "
        "spinning on busy cores make the reference erratic)",
    )
    args = parser.parse_args()
    with threadpool_limits(limits=args.blas_threads):
        run(args.steps, args.order, args.blas_threads, args.repeat)


def run(steps: int, order: int, blas_threads: int, repeat: int) -> None:
    """Time both walk-forwards on log returns and on close prices and print the figures."""
    close = forecast.load_dataset("sp500")["close"]
    returns = np.log(close).diff().dropna()
    print(
        f"AR({order}), trend 'c', {steps} refit-and-forecast steps on the bundled S&P 500 "
        f"({len(close)} days)\n{platform.machine()}, {os.cpu_count()} CPU(s), "
        f"{blas_threads} BLAS thread(s), Python {platform.python_version()}, numpy "
        f"{np.__version__}, pandas {pd.__version__}, statsmodels {statsmodels.__version__}"
        f"\nARForecaster: median of {repeat} run(s); AutoReg: one run; {_load()}"
    )
    reference(close.to_numpy(), len(close) - 3, 3, order)  # warm-up: first calls import and
    for ours in (walk_forward, update_predict):  # cache code paths; not part of the timing
        ours(close, len(close) - 3, 3, order)
    for name, series in (("log returns", returns), ("close prices", close)):
        values = series.to_numpy()
        first = len(values) - steps
        ref, t_ref = reference(values, first, steps, order)
        origins = f"{series.index[first - 1]:%Y-%m-%d} .. {series.index[-2]:%Y-%m-%d}"
        print(f"\n{name}, origins {origins}")
        print(f"  {'':40s} wall s   faster    CPU s   faster   max rel diff")
        print(
            f"  {'AutoReg(...).fit().forecast(1)':40s} {t_ref.wall:7.3f}  {'':7s}  {t_ref.cpu:7.3f}"
        )
        for label, ours, y in (
            ("backtest, dated Series", walk_forward, series),
            ("backtest, array", walk_forward, values),
            ("update + predict, dated Series", update_predict, series),
            ("update + predict, arrays", update_predict, values),
        ):
            runs = [ours(y, first, steps, order) for _ in range(repeat)]
            forecasts = runs[0][0]  # every run gives the same forecasts
            t = Timing(
                float(np.median([t.wall for _, t in runs])),
                float(np.median([t.cpu for _, t in runs])),
            )
            rel = np.max(np.abs(forecasts - ref) / np.abs(ref))
            print(
                f"  {label:40s} {t.wall:7.3f} {t_ref.wall / t.wall:6.0f}x "
                f"  {t.cpu:7.3f} {t_ref.cpu / t.cpu:6.0f}x   {rel:.1e}"
            )
    print(f"\n{_load()}")


def _load() -> str:
    """The load averages over 1, 5 and 15 minutes (how busy the machine was)."""
    if not hasattr(os, "getloadavg"):
        return "load average unknown"
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
