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

Then three more tables (``--tables`` picks among expanding, arx, rolling, naive):

* **ARX**: the same expanding walk-forward with 3 observed covariates (the day's volume
  change, range and open-to-close move, entering lagged by one step), against
  ``AutoReg(y[:q], tau, exog=X.shift(1)[:q]).fit().forecast(1, exog=X[q-1])``;
* **rolling window**: AR(5) on a 2,000-day window refit at every origin,
  ``backtest(ARForecaster(5), y, window="rolling", train_size=2000, refit_every=1)``
  (the least squares slide: a row in, a row out, in one rank-2 step; backtest hands the
  origins after the first to ``ARForecaster.walk_rolling`` in one call), against
  ``AutoReg(y[q-2000:q], 5)`` on the same windows, on all 3,031 origins the series allows;
* **naive refits**: ``NaiveForecaster("drift"/"mean")`` refit at every one of 10k, 20k and
  40k origins (a price path of 41,000 days made by cycling the S&P 500's daily returns),
  against the same backtest of a forecaster whose refits recompute over the whole history
  (the behaviour before the running sums, quadratic): the running sums make the total time
  linear in the number of origins.

Each of our runs is repeated ``--repeat`` times: the median and the range (min-max) of the
wall time are printed, with the ratio to the reference's single run, and the same ratio of
CPU times (this process only: on a busy shared machine the wall clock also counts the
other processes' turns, the CPU time does not).
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
from typing import Any

import numpy as np
import pandas as pd
import statsmodels
from statsmodels.tsa.ar_model import AutoReg
from threadpoolctl import threadpool_limits

import forecast
from forecast.models.ar import ARForecaster
from forecast.models.naive import NaiveForecaster


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
        "--tables", default="expanding,arx,rolling,naive", help="comma-separated tables to run"
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS threads for both sides (default 1: on a shared machine, idle BLAS threads "
        "spinning on busy cores make the reference erratic)",
    )
    args = parser.parse_args()
    tables = args.tables.split(",")
    with threadpool_limits(limits=args.blas_threads):
        if "expanding" in tables:
            run(args.steps, args.order, args.blas_threads, args.repeat)
        if "arx" in tables:
            run_arx(args.steps, args.order, args.repeat)
        if "rolling" in tables:
            run_rolling(args.repeat)
        if "naive" in tables:
            run_naive(args.repeat)


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


def _timed(run: Any, repeat: int) -> tuple[Any, list[Timing]]:
    """The result of ``run()`` and the times of ``repeat`` runs of it."""
    times, out = [], None
    for _ in range(repeat):
        clock = Timing.start()
        out = run()
        times.append(clock.stop())
    return out, times


HEADER = (f"  {'':34s} {'wall s (range)':>22s} {'faster (range)':>16s} {'CPU s':>7s} "
          f"{'faster':>7s}   max rel diff")


def _ref(label: str, ref: Timing) -> None:
    print(f"  {label:34s} {ref.wall:7.3f} {'':31s} {ref.cpu:7.3f}")


def _row(label: str, ref: Timing, times: list[Timing], diff: float | None = None) -> None:
    """One line: the median and range of our times, the ratios to the reference's."""
    walls = [t.wall for t in times]
    med, lo, hi = float(np.median(walls)), min(walls), max(walls)
    cpu = float(np.median([t.cpu for t in times]))
    tail = "" if diff is None else f"   {diff:.1e}"
    print(
        f"  {label:34s} {med:7.3f} ({lo:.3f}-{hi:.3f}) {ref.wall / med:6.0f}x "
        f"({ref.wall / hi:.0f}-{ref.wall / lo:.0f}x) {cpu:7.3f} {ref.cpu / cpu:6.0f}x{tail}"
    )


def covariates(frame: pd.DataFrame) -> pd.DataFrame:
    """The 3 observed covariates of the S&P 500 days: volume change, range, open-to-close."""
    close = frame["close"]
    return pd.DataFrame(
        {
            "volume": np.log(frame["volume"]).diff(),
            "range": (frame["high"] - frame["low"]) / close,
            "move": np.log(close / frame["open"]),
        }
    ).iloc[1:]


def run_arx(steps: int, order: int, repeat: int) -> None:
    """ARX(tau) with 3 observed covariates, expanding window, refit at every origin."""
    frame = forecast.load_dataset("sp500")
    X = covariates(frame)
    y = frame["close"].iloc[1:]
    values, exog = y.to_numpy(), X.shift(1).fillna(0.0).to_numpy()
    first = len(values) - steps
    print(f"\nARX({order}) + 3 observed covariates, close prices, {steps} refits; {_load()}")
    print(HEADER)
    clock = Timing.start()
    ref = np.array([
        AutoReg(values[:q], order, trend="c", exog=exog[:q]).fit()
        .forecast(1, exog=X.to_numpy()[q - 1 : q])[0]
        for q in range(first, len(values))
    ])
    t_ref = clock.stop()
    _ref("AutoReg(..., exog=X.shift(1)) loop", t_ref)
    bt, times = _timed(
        lambda: forecast.backtest(ARForecaster(order), y, X=X, start=first, refit_every=1),
        repeat,
    )
    diff = float(np.max(np.abs(bt["forecast"].to_numpy() - ref) / np.abs(ref)))
    _row("backtest(ARForecaster, X=X)", t_ref, times, diff)
    print(f"  {_load()}")


def run_rolling(repeat: int, order: int = 5, window: int = 2000) -> None:
    """AR(5) on a rolling 2,000-day window refit at every origin, returns and prices."""
    close = forecast.load_dataset("sp500")["close"]
    returns = np.log(close).diff().dropna()
    print(f"\nrolling window: AR({order}), {window} days, refit at every origin; {_load()}")
    print(HEADER)
    for name, series in (("log returns", returns), ("close prices", close)):
        values = series.to_numpy()
        origins = range(window, len(values))
        clock = Timing.start()
        ref = np.array([
            AutoReg(values[q - window : q], order, trend="c").fit().forecast(1)[0]
            for q in origins
        ])
        t_ref = clock.stop()
        print(f"  {name}, {len(origins)} origins")
        _ref("AutoReg on each window", t_ref)
        bt, times = _timed(
            lambda s=series: forecast.backtest(
                ARForecaster(order), s, start=window, window="rolling", train_size=window,
                refit_every=1,
            ),
            repeat,
        )
        got = bt["forecast"].to_numpy()
        diff = float(np.max(np.abs(got - ref)) / np.max(np.abs(ref)))
        us = np.median([t.cpu for t in times]) / len(origins) * 1e6
        _row("backtest(window='rolling')", t_ref, times, diff)
        print(f"  {'':34s} (CPU: AutoReg {t_ref.cpu / len(origins) * 1e3:.2f} ms per window, "
              f"ours {us:.1f} us per origin)")
    print(f"  {_load()}")


def run_naive(repeat: int) -> None:
    """Drift and mean refit at every origin: running sums against the recomputation."""
    returns = np.diff(np.log(forecast.load_dataset("sp500")["close"].to_numpy()))
    path = 100 * np.exp(np.cumsum(np.resize(returns, 41_000)))
    print(f"\nnaive refits at every origin, a 41,000-day price path; {_load()}")
    print(HEADER)
    for strategy in ("drift", "mean"):
        for n_origins in (10_000, 20_000, 40_000):
            y = path[-(n_origins + 1000) :]

            def ours(y=y, strategy=strategy):
                return forecast.backtest(
                    NaiveForecaster(strategy=strategy), y, start=1000, refit_every=1
                )

            def recompute(y=y, strategy=strategy):
                return forecast.backtest(
                    RecomputingNaive(strategy=strategy), y, start=1000, refit_every=1
                )["forecast"].to_numpy()

            clock = Timing.start()
            ref = recompute()
            t_ref = clock.stop()
            bt, times = _timed(ours, repeat)
            med = float(np.median([t.wall for t in times]))
            label = f"{strategy}, {n_origins:,} origins"
            diff = float(np.max(np.abs(bt["forecast"].to_numpy() - ref) / np.abs(ref)))
            _ref(label + ", recomputed", t_ref)
            _row(label + f", {med / n_origins * 1e6:.0f} us/origin", t_ref, times, diff)
    print(f"  {_load()}")


class RecomputingNaive(NaiveForecaster):
    """The refit before the running sums: every refit recomputes over the whole history."""

    def _observed(self, new: np.ndarray, refit: bool) -> None:
        if refit:
            self._estimate(self._history.values)


def _load() -> str:
    """The load averages over 1, 5 and 15 minutes (how busy the machine was)."""
    if not hasattr(os, "getloadavg"):
        return "load average unknown"
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
