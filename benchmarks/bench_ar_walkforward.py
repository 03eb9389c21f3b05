"""Walk-forward speed: incremental AR(tau) refits against refitting statsmodels' AutoReg.

At each of ``--steps`` daily origins of the bundled S&P 500 series (log returns, then
close prices) the AR(tau) model (trend "c") is re-estimated on all data up to the origin
and the next value is forecast:

* reference: ``AutoReg(y[:origin], tau).fit().forecast(1)``, a fresh fit per step;
* forecast: ``ARForecaster(tau).fit(y[:first_origin])``, then per step
  ``update(y_new, refit=True)`` (the new row is folded into the least-squares state in
  O(tau^2)) and ``predict(1)``; timed with arrays and with dated pandas Series.

Prints both times, their ratio and the largest relative difference between the forecasts.
The incremental walk-forward takes a fraction of a second, so a burst of other work on a
shared machine can double one run of it: it is repeated ``--repeat`` times and the median
run is reported (the reference, a single run of several seconds, averages such bursts out).
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


def incremental(
    y: pd.Series | np.ndarray, first: int, steps: int, order: int
) -> tuple[np.ndarray, Timing]:
    """The same forecasts from one fit and ``steps - 1`` incremental refits, and the time."""
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
        f"\nARForecaster: median of {repeat} run(s); AutoReg: one run"
    )
    reference(close.to_numpy(), len(close) - 3, 3, order)  # warm-up: first calls import and
    incremental(close, len(close) - 3, 3, order)  # cache code paths; not part of the timing
    for name, series in (("log returns", returns), ("close prices", close)):
        values = series.to_numpy()
        first = len(values) - steps
        ref, t_ref = reference(values, first, steps, order)
        origins = f"{series.index[first - 1]:%Y-%m-%d} .. {series.index[-2]:%Y-%m-%d}"
        print(f"\n{name}, origins {origins}")
        print(f"  {'':34s} wall s   faster    CPU s   faster   max rel diff")
        print(
            f"  {'AutoReg(...).fit().forecast(1)':34s} {t_ref.wall:7.3f}  {'':7s}  {t_ref.cpu:7.3f}"
        )
        for label, y in (("arrays", values), ("dated Series", series)):
            runs = [incremental(y, first, steps, order) for _ in range(repeat)]
            ours = runs[0][0]  # every run gives the same forecasts
            t = Timing(
                float(np.median([t.wall for _, t in runs])),
                float(np.median([t.cpu for _, t in runs])),
            )
            rel = np.max(np.abs(ours - ref) / np.abs(ref))
            print(
                f"  {'ARForecaster, ' + label:34s} {t.wall:7.3f} {t_ref.wall / t.wall:6.0f}x "
                f"  {t.cpu:7.3f} {t_ref.cpu / t.cpu:6.0f}x   {rel:.1e}"
            )


if __name__ == "__main__":
    main()
