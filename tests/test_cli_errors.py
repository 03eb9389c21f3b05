"""Every bad input to the ``forecast`` command ends in one line on stderr and exit code 2.

Offline behaviour is simulated, never reached: ``yfinance.download`` is replaced by a fake
that fails the way yfinance 1.x does without DNS (log lines on the ``yfinance`` logger,
pandas deprecation warnings, an empty frame), and the CLI runs in a subprocess so that
Python's own last-resort log handler and warning display are the real ones.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
import textwrap
import warnings

import pandas as pd
import pytest
import yfinance

import forecast
from forecast import DivergenceError
from forecast.cli import commands, main

OFFLINE_YFINANCE = textwrap.dedent(
    """
    import logging, sys, warnings
    import pandas as pd, yfinance

    Pandas4Warning = getattr(pd.errors, "Pandas4Warning", FutureWarning)

    def download(tickers, **kwargs):  # what yfinance 1.7 does when DNS fails
        log = logging.getLogger("yfinance")
        host = "query2.finance.yahoo.com"
        log.warning("Cookie/crumb fetch failed (DNSError), continuing without crumb")
        log.error(f"Failed to get ticker '{tickers}' reason: Failed to perform, curl: (6) "
                  f"Could not resolve host: {host} (Domain name not found).")
        log.warning("Cookie/crumb fetch failed (DNSError), continuing without crumb")
        log.error("\\n1 Failed download:")
        log.error(f"['{tickers}']: DNSError('Failed to perform, curl: (6) Could not resolve "
                  f"host: {host}.')")
        warnings.warn("The inplace keyword in DataFrame.rename is deprecated", Pandas4Warning)
        warnings.warn("The inplace keyword in DataFrame.sort_index is deprecated",
                      Pandas4Warning)
        if "--raise" in sys.argv:
            raise ConnectionError(f"Could not resolve host: {host}")
        return pd.DataFrame()

    yfinance.download = download
    if sys.argv[1] == "raw":  # the fake alone: as noisy as the real thing
        download("MSFT")
        raise SystemExit(0)
    from forecast.cli import main
    raise SystemExit(main([a for a in sys.argv[1:] if a != "--raise"]))
    """
)


def _offline(*argv):
    return subprocess.run([sys.executable, "-c", OFFLINE_YFINANCE, *argv],
                          capture_output=True, text=True, timeout=120)


def test_the_simulated_offline_yfinance_is_as_noisy_as_the_real_one():
    done = _offline("raw")
    assert len(done.stderr.strip().splitlines()) >= 8
    assert "Could not resolve host" in done.stderr and "Warning" in done.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["fetch", "MSFT"],
        ["compare", "--ticker", "MSFT"],
        ["compare", "--tickers", "MSFT,AAPL"],
        ["fetch", "MSFT", "--raise"],
    ],
)
def test_offline_download_is_exactly_one_line_naming_the_network_and_dataset(tmp_path, argv):
    done = _offline(*argv, "--cache-dir", str(tmp_path))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    line = lines[0]
    assert line.startswith("forecast: error: could not download 'MSFT' from Yahoo Finance")
    assert "name resolution of query2.finance.yahoo.com failed: no network connection" in line
    assert f"no cached copy at '{tmp_path}" in line
    assert "forecast compare --dataset NAME with NAME one of sp500, msft, stocks_monthly" in line
    assert "load_dataset(" not in line  # a command, not a Python call


@pytest.fixture(autouse=True)
def _no_network(monkeypatch, tmp_path):
    """Every download fails (and is recorded); the cache is private to the test."""
    monkeypatch.setenv("FORECAST_CACHE_DIR", str(tmp_path / "cache-root"))
    calls = []

    def refuse(tickers, **kwargs):
        calls.append(tickers)
        raise ConnectionError("network disabled in tests")

    monkeypatch.setattr(yfinance, "download", refuse)
    return calls


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _files(tmp_path):
    """Bad input files, by name."""
    days = pd.bdate_range("2020-01-01", periods=30).strftime("%Y-%m-%d")
    good = "date,close\n" + "".join(f"{d},{100 + i}\n" for i, d in enumerate(days))
    (tmp_path / "short.csv").write_text("date,close\n2020-01-02,1\n2020-01-03,2\n")
    (tmp_path / "old.csv").write_text(good.replace(days[3], "1200-01-01"))
    (tmp_path / "latin.csv").write_bytes("date,clos\xe9\n2020-01-02,1\n".encode("latin-1"))
    (tmp_path / "fake.csv.gz").write_text(good)
    (tmp_path / "cut.csv.gz").write_bytes(gzip.compress(good.encode())[:100])
    (tmp_path / "twice.csv").write_text("date,close,close\n2020-01-02,1,2\n")
    (tmp_path / "a_file").write_text("not a folder")
    clash = tmp_path / "clash"
    clash.mkdir()
    (clash / "x.csv").write_text(good)
    (clash / "x.csv.gz").write_bytes(gzip.compress(good.encode()))


ERRORS = [
    (["compare", "--seed", "-1"], r"argument --seed: expected a non-negative integer, got '-1'"),
    (["compare", "--seed", "1.5"], r"argument --seed: expected a non-negative integer"),
    (["compare", "--out", "{tmp}/a_file"], r"--out '.*a_file' is a file; name a folder"),
    (["compare", "--start", "2015-01-01T00:00+01:00"], "--start must be a date without a time"),
    (["compare", "--end", "99999-01-01"], "--end must be a date such as 2015-01-31"),
    (["compare", "--csv", "{tmp}/short.csv"], r"has 2 observation\(s\); a comparison needs at "
     "least 3"),
    (["compare", "--csv", "{tmp}/old.csv"], r"old.csv: 1 date\(s\) outside the range.*"
     "'1200-01-01' at line 5"),
    (["compare", "--csv", "{tmp}/latin.csv"], "latin.csv: line 1 is not valid UTF-8 text"),
    (["compare", "--csv", "{tmp}/fake.csv.gz"], r"fake.csv.gz: not a valid gz file \(BadGzip"),
    (["compare", "--csv", "{tmp}/cut.csv.gz"], r"cut.csv.gz: not a valid gz file \(EOFError"),
    (["compare", "--csv", "{tmp}/twice.csv"], r"names the column\(s\) \['close'\] more than"),
    (["compare", "--csv-dir", "{tmp}/clash"], r"holds \['x.csv', 'x.csv.gz'\], which would all "
     "be the series named 'x'"),
    (["compare", "--tickers", "MSFT,../etc"], r"argument --tickers: invalid ticker '../etc'"),
    (["compare", "--tickers", "MSFT,AA PL"], r"argument --tickers: invalid ticker 'AA PL'"),
    (["fetch", "MSFT\n"], r"invalid ticker 'MSFT\\n'"),
    (["compare", "--ticker", "MSFT", "--cache-dir", "{tmp}"], r"could not download 'MSFT'.*"
     "network disabled in tests.*To work without Yahoo, use a bundled dataset: forecast "
     "compare --dataset NAME"),
]


@pytest.mark.parametrize(("argv", "message"), ERRORS)
def test_bad_input_is_one_line_exit_2_never_unexpected(capsys, tmp_path, _no_network, argv,
                                                       message):
    _files(tmp_path)
    argv = [a.format(tmp=tmp_path) for a in argv]
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("forecast") and "unexpected error" not in lines[0]
    assert re.search(message, lines[0]), lines[0]
    if "--ticker" not in argv:
        assert _no_network == []  # refused before any download


def test_diverged_training_is_a_one_line_error_not_an_unexpected_one(capsys, monkeypatch):
    def diverge(*args, **kwargs):
        raise DivergenceError("training diverged at epoch 1 (loss inf); lower lr")

    monkeypatch.setattr(forecast, "compare", diverge)  # what the CLI calls
    code, out, err = _run(capsys, "compare", "--models", "naive", "--test-size", "5")
    assert code == 2
    assert err == "forecast: error: training diverged at epoch 1 (loss inf); lower lr\n"


@pytest.mark.filterwarnings("always::RuntimeWarning")
def test_a_warning_during_a_command_is_one_log_line(capsys, monkeypatch):
    def noisy(args):
        warnings.warn("overflow in exp\nsecond line", RuntimeWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(commands, "run_datasets", noisy)
    code, out, err = _run(capsys, "datasets")
    assert code == 0
    assert err == "forecast: WARNING: RuntimeWarning: overflow in exp second line\n"


def test_offline_with_a_corrupt_cache_is_one_line_naming_the_file_as_corrupt(capsys, tmp_path):
    from forecast.data.yahoo import cache_path

    path = cache_path("MSFT", cache_dir=tmp_path)
    path.write_text("date,close\n2017-01-03,1.0\n2017-01-0")
    stale = tmp_path / f".{path.name}.x1y2.tmp"
    stale.write_text("date,close\n")
    os.utime(stale, (0, 0))
    code, out, err = _run(capsys, "fetch", "MSFT", "--cache-dir", str(tmp_path))
    assert code == 2 and out == "" and not stale.exists()
    (line,) = err.splitlines()
    assert f"the cached copy '{path}' is corrupt: " in line and "(delete it)" in line
    assert "no cached copy" not in line
