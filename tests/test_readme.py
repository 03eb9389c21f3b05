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
