"""The bundled datasets load after a plain wheel install into a fresh virtual environment.

The wheel is built from the source tree without build isolation (so without the network:
the build backend, hatchling, must be installed in the test environment), installed with
``--no-deps --no-index`` into a new venv, and the venv borrows this interpreter's
site-packages for numpy and pandas through a ``.pth`` file. The check runs from an empty
folder, so ``forecast`` can only come from the wheel, and it asserts that.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHECK = textwrap.dedent(
    """
    import json, sys
    from importlib.metadata import entry_points
    from pathlib import Path

    import forecast
    from forecast.data.bundled import dataset_path

    report = {"file": forecast.__file__, "prefix": sys.prefix, "datasets": {}}
    for name in forecast.list_datasets():
        frame = forecast.load_dataset(name)
        report["datasets"][name] = {
            "shape": list(frame.shape),
            "columns": [str(c) for c in frame.columns],
            "first": str(frame.index[0].date()),
            "last": str(frame.index[-1].date()),
            "index": [frame.index.name, str(frame.index.tz), frame.index.is_monotonic_increasing],
            "path": str(dataset_path(name)),
        }
    report["ibm_rows"] = len(forecast.load_dataset("stocks_monthly", symbol="IBM"))
    scripts = entry_points(group="console_scripts", name="forecast")
    report["script"] = [ep.value for ep in scripts]
    print(json.dumps(report))
    """
)


def _run(args: list, cwd: Path, env: dict | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_wheel_install_loads_every_dataset(tmp_path):
    if importlib.util.find_spec("hatchling") is None:
        pytest.fail("building the wheel offline needs the build backend: pip install hatchling")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    dist = tmp_path / "dist"
    _run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
          "-w", dist, ROOT], cwd=tmp_path)
    (wheel,) = dist.glob("forecast-*.whl")

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    _run([*pip, "--python", python, "install", "--no-deps", "--no-index", "-q", wheel],
         cwd=tmp_path)

    # numpy, pandas, ... come from this interpreter's site-packages, appended after the
    # venv's own (plain path lines: this environment's editable-install hooks stay off)
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=tmp_path).strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "borrowed_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")

    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    report = json.loads(_run([python, "-c", CHECK], cwd=workdir, env=env))

    installed = site / "forecast"
    assert Path(report["file"]).resolve() == (installed / "__init__.py").resolve()
    assert Path(report["prefix"]).resolve() == venv.resolve()
    assert report["script"] == ["forecast.cli:main"]
    expected = {
        "sp500": ([5031, 6], "1999-01-04", "2018-12-31"),
        "msft": ([7983, 5], "1986-03-13", "2017-11-10"),
        "stocks_monthly": ([123, 5], "2000-01-01", "2010-03-01"),
    }
    assert set(report["datasets"]) == set(expected)
    for name, (shape, first, last) in expected.items():
        got = report["datasets"][name]
        assert (got["shape"], got["first"], got["last"]) == (shape, first, last), name
        assert got["index"] == ["date", "None", True], name
        assert Path(got["path"]).resolve().parent == (installed / "_datasets").resolve()
    assert report["datasets"]["sp500"]["columns"] == [
        "open", "high", "low", "close", "adj_close", "volume"
    ]
    symbols = ["AAPL", "AMZN", "GOOG", "IBM", "MSFT"]
    assert report["datasets"]["stocks_monthly"]["columns"] == symbols
    assert report["ibm_rows"] == 123
