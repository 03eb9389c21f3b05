"""Hostile input on the command line, offline: exit code 2 and exactly one line on stderr.

A refused input is one line naming the problem (never "unexpected error", the CLI's label
for a bug); an accepted one exits 0 with a markdown table on stdout.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys

import pytest
from hostile_cases import BASE, CASES, resolve

import forecast.data.yahoo as yahoo
from forecast.cli import main


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """No cell reaches the network: a Yahoo download fails as it does offline."""

    def refuse(*args, **kwargs):
        raise ConnectionError("network disabled in tests")

    monkeypatch.setattr(yahoo, "_download", refuse)


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_line_error(code: int, err: str) -> None:
    lines = err.strip().splitlines()
    assert code == 2, f"exit code {code}, stderr {err!r}"
    assert len(lines) == 1, f"{len(lines)} lines on stderr: {err!r}"
    assert "unexpected error" not in lines[0], lines[0]


def _assert_cell(code: int, out: str, err: str, expect: str) -> None:
    if expect == "ok" or (expect == "either" and code == 0):
        assert code == 0 and err == "", f"exit code {code}, stderr {err!r}"
        assert "| Random walk" in out or "Random walk" in out, out[:300]
    else:
        _assert_one_line_error(code, err)


#: the CLI reads a close column: a second column is simply not used
_CLI = {"float_index": "error", "length_1": "error", "too_short": "error", "two_d": "ok",
        "object_dtype": "ok",
        "constant": "either", "mixed_tz": "either", "nonpositive": "either",
        "unsorted": "either"}
CLI_CASES = [c for c in CASES if c.kind != "type"]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.name for c in CLI_CASES])
def test_compare_csv(case, tmp_path, capsys):
    y = case.build(BASE)
    path = tmp_path / "prices.csv"
    (y.to_frame() if hasattr(y, "to_frame") else y).to_csv(path, index_label="date")
    code, out, err = _run(capsys, "compare", "--csv", path, "--models", "naive,ar",
                          "--test-size", 5)
    _assert_cell(code, out, err, resolve(case, _CLI))


BAD_ARGUMENTS = {
    "horizon-zero": ["compare", "--horizon", "0"],
    "horizon-float": ["compare", "--horizon", "1.5"],
    "test-size-negative": ["compare", "--test-size", "-1"],
    "test-size-huge": ["compare", "--test-size", "100000"],
    "unknown-model": ["compare", "--models", "transformer"],
    "empty-models": ["compare", "--models", ""],
    "unknown-dataset": ["compare", "--dataset", "nope"],
    "missing-csv": ["compare", "--csv", "/nonexistent/prices.csv"],
    "bad-start-date": ["compare", "--start", "not-a-date"],
    "start-after-end": ["compare", "--start", "2018-01-01", "--end", "2017-01-01"],
    "start-in-future": ["compare", "--start", "2100-01-01"],
    "epochs-zero": ["compare", "--epochs", "0"],
    "seed-string": ["compare", "--seed", "abc"],
    "refit-every-string": ["compare", "--refit-every", "often"],
    "unknown-column": ["compare", "--column", "nope"],
    "unknown-command": ["predict"],
    "no-command": [],
    "ticker-newline": ["fetch", "MSFT\n"],
    "ticker-path": ["fetch", "../etc"],
    "ticker-offline": ["fetch", "MSFT"],
    "compare-ticker-offline": ["compare", "--ticker", "MSFT"],
    "fetch-interval": ["fetch", "MSFT", "--interval", "7m"],
}


@pytest.mark.parametrize("argv", list(BAD_ARGUMENTS.values()), ids=list(BAD_ARGUMENTS))
def test_bad_arguments(argv, capsys, tmp_path):
    if argv[:1] == ["fetch"] or "--ticker" in argv:
        argv = [*argv, "--cache-dir", tmp_path]
    code, _, err = _run(capsys, *argv)
    _assert_one_line_error(code, err)


def test_latin1_csv(tmp_path, capsys):
    path = tmp_path / "prices.csv"
    path.write_bytes("date,close\n2020-01-02,1.0\n2020-01-03,2.0\n2020-01-0\xe9,3.0\n"
                     .encode("latin-1"))
    code, _, err = _run(capsys, "compare", "--csv", path)
    _assert_one_line_error(code, err)


@pytest.mark.parametrize("content", [b"not gzip at all", gzip.compress(b"date,close\n")[:12]],
                         ids=["fake", "truncated"])
def test_broken_gzip_csv(content, tmp_path, capsys):
    path = tmp_path / "prices.csv.gz"
    path.write_bytes(content)
    code, _, err = _run(capsys, "compare", "--csv", path)
    _assert_one_line_error(code, err)


def test_date_out_of_bounds_csv(tmp_path, capsys):
    path = tmp_path / "prices.csv"
    path.write_text("date,close\n1200-01-01,1.0\n1200-01-02,2.0\n1200-01-03,3.0\n")
    code, _, err = _run(capsys, "compare", "--csv", path)
    _assert_one_line_error(code, err)


def _offline_env(tmp_path) -> dict[str, str]:
    """A child environment whose every HTTP(S) request goes to a closed local port."""
    dead = "http://127.0.0.1:9"
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    for key in ("http_proxy", "https_proxy", "all_proxy"):
        env[key] = env[key.upper()] = dead
    env["NO_PROXY"] = env["no_proxy"] = ""
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


@pytest.mark.parametrize("argv", [["fetch", "MSFT"], ["compare", "--ticker", "MSFT"]],
                         ids=["fetch", "compare-ticker"])
def test_offline_yahoo_in_a_subprocess_is_one_line(argv, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "forecast", *argv, "--cache-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=120, env=_offline_env(tmp_path),
    )
    _assert_one_line_error(done.returncode, done.stderr)
