"""The README's Python code blocks run, so the documentation cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_python_block_runs(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # blocks may write files
    try:
        exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})
    finally:
        plt.close("all")


def test_readme_has_python_examples():
    assert len(BLOCKS) >= 1


def test_ar_on_log_returns_figures_in_the_readme_are_measured():
    """The README's sentence on AR fitted to log returns states what the code gives."""
    import numpy as np

    import forecast
    from forecast import metrics

    returns = np.log(forecast.load_dataset("sp500")["close"]).diff().dropna()
    tau = forecast.ARForecaster(order="aic", max_order=20).fit(returns[:-500]).order_
    bt = forecast.backtest(forecast.ARForecaster(tau), returns, start=-500, refit_every=1)
    error, rw_error = bt["actual"] - bt["forecast"], bt["actual"]
    skill = 1 - (error**2).mean() / (rw_error**2).mean()
    pvalue = metrics.diebold_mariano(error, rw_error, h=1).pvalue
    assert str(bt["origin"].iloc[0].date()) == "2017-01-04"  # the origins of forecast compare
    text = " ".join(README.read_text().split())
    assert f"AR({tau}) (τ by AIC on the same training part) has skill {skill:.2%}" in text
    assert f"Diebold-Mariano p = {pvalue:.2f}" in text
    assert f"# {tau} {skill:.4f} {pvalue:.2f}" in text


def _readme_table(title: str) -> list[list[str]]:
    """The rows of the first Markdown table after the line starting with ``title``."""
    lines = README.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows:
            break
    return rows[2:]  # after the header and the alignment row


def test_the_answer_on_the_sp500_in_the_readme_is_what_forecast_compare_computes(tmp_path):
    """Every number of the README's comparison table and sentence comes from the run."""
    import pandas as pd

    from forecast.cli import main

    assert main(["compare", "--out", str(tmp_path)]) == 0
    metrics = pd.read_csv(tmp_path / "metrics_returns.csv").set_index("model")
    price = pd.read_csv(tmp_path / "metrics_price.csv").set_index("model")
    dm = pd.read_csv(tmp_path / "dm_tests.csv")
    rows = _readme_table("Return scale (log(F / last) against log(A / last))")
    assert [row[0] for row in rows] == list(metrics.index)
    for model, rmse, skill, p, hits, hits_p in rows:
        m = metrics.loc[model]
        assert rmse == f"{m['rmse']:.5f}"
        assert skill == f"{m['skill']:+.2%}"
        if model == "Random walk":
            assert (p, hits, hits_p) == ("-", "-", "-")
        else:
            assert (p, hits, hits_p) == (
                f"{m['dm_pvalue']:.3f}", f"{m['hit_rate']:.1%}", f"{m['hit_pvalue']:.3f}"
            )
    text = " ".join(README.read_text().split())
    against_ar = dm[(dm["versus"] == "AR(19)") & (dm["scale"] == "return")].set_index("model")
    ps = ", ".join(f"{against_ar.loc[m, 'pvalue']:.2f}" for m in ("RNN", "LSTM", "GRU"))
    assert f"(RNN, LSTM, GRU against AR: p = {ps} on returns)" in text
    assert (metrics["dm_pvalue"].dropna() > 0.7).all()  # "every Diebold-Mariano p > 0.7"
    assert set(price["r2"].round(3)) == {0.986}  # "every model has R² = 0.986"
    intervals = pd.read_csv(tmp_path / "intervals.csv").set_index("model")
    rows = _readme_table("The same run scores each model's 90% interval")
    assert [row[0] for row in rows] == list(intervals.index)
    for model, cover, width, kupiec, christoffersen in rows:
        i = intervals.loc[model]
        assert [cover, width, kupiec, christoffersen] == [
            f"{i['coverage']:.1%}", f"{i['return_width']:.4f}",
            f"{i['kupiec_pvalue']:.3f}", f"{i['christoffersen_pvalue']:.3f}",
        ]
    assert intervals["coverage_flag"].all()  # "every one is flagged"


def test_the_uncertainty_table_in_the_readme_is_measured():
    """The README's interval table: coverage, width, score and tests of four interval kinds."""
    import numpy as np

    import forecast
    from forecast import metrics, significance

    returns = np.log(forecast.load_dataset("sp500")["close"]).diff().dropna()
    ar = forecast.ARForecaster(1)
    models = {
        "AR(1) Gaussian": ar,
        "rolling conformal, window 250": forecast.ConformalForecaster(ar, method="rolling"),
        "ACI, gamma 0.005": forecast.ConformalForecaster(ar, method="aci"),
        "ACI, gamma 0.05": forecast.ConformalForecaster(ar, method="aci", gamma=0.05),
    }
    rows = {row[0]: row[1:] for row in _readme_table("One-day-ahead 90% intervals")}
    for name, model in models.items():
        bt = forecast.backtest(model, returns, start=-500, refit_every=1, coverage=0.9)
        y, lower, upper = bt["actual"], bt["lower"], bt["upper"]
        hits = (lower <= y) & (y <= upper)
        assert rows[name] == [
            f"{metrics.coverage(y, lower, upper):.1%}",
            f"{(upper - lower).mean():.4f}",
            f"{metrics.interval_score(y, lower, upper, 0.9):.4f}",
            f"{significance.kupiec(hits, 0.9).pvalue:.3f}",
            f"{significance.christoffersen(hits, 0.9).pvalue:.3f}",
        ], name


def test_the_up_down_table_in_the_readme_is_what_forecast_compare_direction_computes(tmp_path):
    """The README's direction table: Brier skill, DM p, hit rate and its binomial p."""
    import pandas as pd

    from forecast.cli import main

    assert main(["compare", "--direction", "--out", str(tmp_path)]) == 0
    metrics = pd.read_csv(tmp_path / "direction_metrics.csv").set_index("model")
    rows = _readme_table("On the bundled S&P 500's last 500 days (2017-2018), with everything")
    assert [row[0] for row in rows] == list(metrics.index)
    p0 = metrics["hit_p0"].iloc[0]
    assert f"| model | Brier skill vs base rate | DM p | hit rate | hit p (vs {p0:.1%}".replace(
        "%", " %") in README.read_text()
    for model, skill, p, hits, hits_p in rows:
        m = metrics.loc[model]
        if model == "Base rate":
            assert (skill, p) == ("0", "-")
        else:
            assert skill == f"{m['brier_skill']:+.2%}".replace("%", " %")
            assert p == f"{m['dm_pvalue']:.3f}"
        assert (hits, hits_p) == (f"{m['hit_rate']:.1%}".replace("%", " %"),
                                  f"{m['hit_pvalue']:.3f}")
