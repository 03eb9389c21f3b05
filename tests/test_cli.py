"""The ``forecast`` command: its outputs, its files, and one-line errors with exit code 2."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import forecast.data.yahoo as yahoo
from forecast.cli import main


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """No test reaches the network: every Yahoo download fails unless a test says otherwise."""

    def refuse(*args, **kwargs):
        raise ConnectionError("network disabled in tests")

    monkeypatch.setattr(yahoo, "_download", refuse)


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_datasets_lists_every_bundled_dataset(capsys):
    code, out, err = _run(capsys, "datasets")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["sp500", "msft", "stocks_monthly"]
    assert "1999-01-04 .. 2018-12-31" in lines[0]


def test_python_dash_m_forecast_datasets():
    done = subprocess.run(
        [sys.executable, "-m", "forecast", "datasets"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("sp500")


def test_help_exits_zero(capsys):
    code, out, _ = _run(capsys, "compare", "--help")
    assert code == 0
    assert "--test-size" in out and "models naive,ar,rnn,lstm,gru; the last 500" in out


def test_compare_naive_ar_writes_tables_report_and_figures(capsys, tmp_path):
    out_dir = tmp_path / "results"
    code, out, err = _run(
        capsys, "compare", "--models", "naive,ar", "--test-size", "40", "--start", "2016-01-01",
        "--out", str(out_dir),
    )
    assert code == 0, err
    assert "Traceback" not in err
    assert "# sp500 close, 2016-01-04 .. 2018-12-31" in out
    assert "| Random walk |" in out and "| Drift |" in out and "| AR(" in out
    assert "compared 3 models on 40 origins" in out
    files = sorted(p.name for p in out_dir.iterdir())
    assert files == [
        "backtests.csv", "cumulative_loss.png", "dm_tests.csv", "errors.png", "forecast.png",
        "intervals.csv", "metrics_price.csv", "metrics_returns.csv", "report.md",
    ]
    bt = pd.read_csv(out_dir / "backtests.csv", parse_dates=["origin", "target"])
    assert len(bt) == 3 * 40 and bt["target"].iloc[-1] == pd.Timestamp("2018-12-31")
    assert (out_dir / "forecast.png").read_bytes()[:4] == b"\x89PNG"
    assert "### Price scale" in (out_dir / "report.md").read_text()


def test_compare_wires_the_rnn_models(capsys):
    argv = ["compare", "--models", "gru,ar", "--epochs", "1", "--seed", "3", "--test-size", "20",
            "--start", "2018-01-01"]
    code, out, err = _run(capsys, *argv)
    assert code == 0, err
    assert "| GRU |" in out and "GRU: 125 origins" in out  # its refit schedule
    assert "| GRU | AR(" in out  # the RNN is tested against AR
    code, again, _ = _run(capsys, *argv)
    assert again.split("compared")[0] == out.split("compared")[0]  # same seed, same table


def test_compare_reads_a_csv_file_and_a_horizon(capsys, tmp_path):
    dates = pd.bdate_range("2020-01-01", periods=120)
    prices = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, 120)))
    path = tmp_path / "prices.csv"
    pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Close": prices}).to_csv(path, index=False)
    code, out, err = _run(
        capsys, "compare", "--csv", str(path), "--models", "naive", "--test-size", "30",
        "--horizon", "2", "--refit-every", "never",
    )
    assert code == 0, err
    assert "| Drift | 2 |" in out and "29 forecast origins" in out


def test_fetch_reports_and_writes_the_download(capsys, tmp_path, monkeypatch):
    index = pd.DatetimeIndex(["2020-01-02", "2020-01-03", "2020-01-06"], name="Date")
    raw = pd.DataFrame(
        {"Open": [1.0, 2, 3], "High": [1.5, 2.5, 3.5], "Low": [0.5, 1.5, 2.5],
         "Close": [1.2, 2.2, 3.2], "Volume": [10, 20, 30]},
        index=index,
    )
    monkeypatch.setattr(yahoo, "_download", lambda *a, **k: raw)
    target = tmp_path / "msft.csv"
    code, out, err = _run(
        capsys, "fetch", "MSFT", "--start", "2020-01-01", "--cache-dir", str(tmp_path),
        "--out", str(target),
    )
    assert code == 0, err
    assert out.splitlines()[0] == (
        "MSFT: 3 rows, 2020-01-02 .. 2020-01-06, columns open, high, low, close, volume"
    )
    assert pd.read_csv(target)["close"].tolist() == [1.2, 2.2, 3.2]


def _malformed(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("date,close\n2020-01-01,1.0\nnot a date,2.0\n")
    return str(path)


ERRORS = [
    (["compare", "--csv", "{tmp}/missing.csv"], "no such price file"),
    (["compare", "--csv", "{bad}"], "could not be parsed|not a date|does not parse"),
    (["compare", "--ticker", "NOSUCHTICKER", "--cache-dir", "{tmp}"], "no cached copy"),
    (["fetch", "MSFT", "--cache-dir", "{tmp}"], "could not download 'MSFT'"),
    (["fetch", "../etc", "--cache-dir", "{tmp}"], "ticker"),
    (["compare", "--models", "ar,transformer"], "unknown model 'transformer'"),
    (["compare", "--horizon", "two"], "argument --horizon: expected a positive integer"),
    (["compare", "--test-size", "0"], "expected a positive integer, got 0"),
    (["compare", "--test-size", "6000"], "--test-size 6000 is too large"),
    (["compare", "--refit-every", "often"], "positive integer or 'never'"),
    (["compare", "--dataset", "nasdaq"], "unknown --dataset 'nasdaq'; choose one of sp500, msft"),
    (["compare", "--column", "price"], "no column 'price' in sp500"),
    (["compare", "--start", "yesterday-ish"], "--start must be a date"),
    (["compare", "--dataset", "sp500", "--csv", "x.csv"], "not allowed with argument"),
    (["compare", "--window", "sliding"], "invalid choice: 'sliding'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "choose a command"),
]


@pytest.mark.parametrize(("argv", "message"), ERRORS)
def test_errors_are_one_line_exit_2_no_traceback(capsys, tmp_path, argv, message):
    argv = [a.format(tmp=tmp_path, bad=_malformed(tmp_path)) for a in argv]
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert "Traceback" not in err and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("forecast")
    assert re.search(message, lines[0]), lines[0]


def test_the_command_line_is_the_top_layer_nothing_in_forecast_imports_it():
    import ast
    from pathlib import Path

    import forecast

    root = Path(forecast.__file__).parent
    importers = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("cli/") or rel == "__main__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if any(n == "forecast.cli" or n.startswith("forecast.cli.") for n in names):
                importers.append(rel)
    assert importers == []


def test_cli_modules_import_only_those_above_them_and_no_private_names():
    import ast
    from pathlib import Path

    import forecast.cli

    order = ["parser", "sources", "models", "output", "commands"]
    folder = Path(forecast.cli.__file__).parent
    for rank, name in enumerate(order):
        tree = ast.parse((folder / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not any(a.name.startswith("_") for a in node.names), (name, node.module)
                if node.module.startswith("forecast.cli."):
                    assert order.index(node.module.split(".")[-1]) < rank, (name, node.module)
