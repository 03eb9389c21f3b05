"""The repository keeps its promises: CI runs the README's test command, nothing reads ../shared."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_readme_has_exactly_two_quickstart_commands():
    commands = _quickstart_commands()
    assert len(commands) == 2, commands
    assert "forecast compare" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    test_command = _quickstart_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci, f"{test_command!r} not in .ci/run"


def test_package_never_reads_shared_folder():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "forecast").rglob("*.py")
        if "../shared" in p.read_text() or "shared/data" in p.read_text()
    ]
    assert offenders == []
