"""The README's Python code blocks run, so the documentation cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


@pytest.mark.slow
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
