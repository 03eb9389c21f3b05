"""The AR lag order by walk-forward search, nested in the README's S&P 500 comparison.

``forecast compare``'s AR takes tau by AIC once, on the training part (AR(19)). Here
``ForecastSearchCV`` picks it among 1, 2, 5, 10, 19 by the one-step MSE of a walk-forward
over the last ``--inner`` days seen (AR refitted at every inner origin), again at every
``--refit`` origins of the comparison (the last 500 trading days), so each choice uses the
past only. Prints the orders chosen, the return-scale table (RMSE, skill against the random
walk, DM p) and the time. Run from the repository root::

    python benchmarks/bench_search.py [--inner 250] [--refit 125]
"""

from __future__ import annotations

import argparse
import logging
import os
import time

import numpy as np

from forecast import ARForecaster, ForecastSearchCV, compare, load_dataset

ORDERS = [1, 2, 5, 10, 19]


class LoggedSearch(ForecastSearchCV):
    """ForecastSearchCV that remembers the orders it chose (a list shared by its clones)."""

    chosen: list = []

    def fit(self, y, X=None):
        super().fit(y, X)
        LoggedSearch.chosen.append((y.index[-1].date(), self.best_params_["order"]))
        return self


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inner", type=int, default=250)
    parser.add_argument("--refit", type=int, default=125)
    options = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    close = load_dataset("sp500")["close"]
    search = LoggedSearch(ARForecaster(), {"order": ORDERS}, test_size=options.inner,
                          refit_every=1)
    models = {"AR(19)": ARForecaster(order=19), "AR(search)": search}
    print(f"{os.cpu_count()} cores, load {os.getloadavg()}")
    began = time.perf_counter()
    result = compare(models, close, test_size=500, refit_every={"AR(19)": 1,
                                                                "AR(search)": options.refit})
    seconds = time.perf_counter() - began
    print(f"compare: {seconds:.1f} s, load {os.getloadavg()[0]:.2f}")
    print("orders chosen (last day seen, order):", LoggedSearch.chosen)
    table = result.return_metrics.xs(1, level="step")[["rmse", "skill", "dm_pvalue"]]
    print("| model | RMSE | skill vs RW | DM p vs RW |\n|:---|---:|---:|---:|")
    for name, row in table.iterrows():
        p = "-" if np.isnan(row["dm_pvalue"]) else f"{row['dm_pvalue']:.3f}"
        print(f"| {name} | {row['rmse']:.5f} | {row['skill']:+.2%} | {p} |")


if __name__ == "__main__":
    main()
