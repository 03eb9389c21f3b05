"""forecast._devtools.layout: cycles, private imports and long modules of small packages."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import forecast
from forecast._devtools.imports import Finding
from forecast._devtools.layout import Cycle, analyse, main

SUMMARY = re.compile(
    r"^layout: (\d+) cycles, (\d+) private imports, (\d+) modules over 450 lines, ([\d,]+) lines$"
)


def make_package(tmp_path: Path, files: dict[str, str]) -> Path:
    """Write ``pkg/<path>`` for each file (an empty ``pkg/__init__.py`` unless given)."""
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "__init__.py").write_text("")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def edges(layout) -> set[tuple[str, str]]:
    return {(e.source, e.target) for e in layout.edges}


def test_a_cycle_through_an_import_inside_a_function_is_found(tmp_path):
    root = make_package(tmp_path, {
        "a.py": "from pkg import b\n\nx = 1\n",
        "b.py": "def f():\n    from pkg.a import x\n    return x\n",
    })
    layout = analyse(root)
    assert layout.cycles == [Cycle(("pkg.a", "pkg.b"), (("pkg.a", "pkg.b", "pkg.a"),))]
    assert "pkg/b.py:2 (in a function)" in layout.report()
    assert not layout.clean


def test_three_modules_importing_round_are_one_cycle_shown_as_one_chain(tmp_path):
    root = make_package(tmp_path, {
        "a.py": "import pkg.b\n",
        "b.py": "from pkg.c import f\n",
        "c.py": "def f():\n    import pkg.a\n",
    })
    (cycle,) = analyse(root).cycles
    assert cycle.chains == (("pkg.a", "pkg.b", "pkg.c", "pkg.a"),)


def test_a_module_importing_itself_is_a_cycle(tmp_path):
    root = make_package(tmp_path, {"a.py": "def f():\n    from pkg.a import g\n\ndef g(): ...\n"})
    assert analyse(root).cycles == [Cycle(("pkg.a",), (("pkg.a", "pkg.a"),))]


def test_imports_that_run_one_way_are_not_a_cycle(tmp_path):
    root = make_package(tmp_path, {
        "a.py": "from pkg.b import f\n",
        "b.py": "def f():\n    from pkg.c import g\n",
        "c.py": "import numpy\n\ndef g(): ...\n",
    })
    layout = analyse(root)
    assert layout.cycles == []
    assert edges(layout) == {("pkg.a", "pkg.b"), ("pkg.b", "pkg.c")}


def test_relative_imports_are_resolved_against_the_importing_package(tmp_path):
    root = make_package(tmp_path, {
        "top.py": "def h(): ...\n",
        "sub/__init__.py": "from .x import f\n",
        "sub/x.py": "from . import y\nfrom ..top import h\n\ndef f(): ...\n",
        "sub/y.py": "def g():\n    from .x import f\n",
    })
    layout = analyse(root)
    assert edges(layout) == {
        ("pkg.sub", "pkg.sub.x"),
        ("pkg.sub.x", "pkg.sub.y"),
        ("pkg.sub.x", "pkg.top"),
        ("pkg.sub.y", "pkg.sub.x"),
    }
    assert [c.modules for c in layout.cycles] == [("pkg.sub.x", "pkg.sub.y")]


def test_a_package_init_that_reexports_its_modules_is_not_in_a_cycle_with_them(tmp_path):
    root = make_package(tmp_path, {
        "sub/__init__.py": "from pkg.sub.x import f\n",
        "sub/x.py": "from pkg.sub.y import g\n\ndef f(): ...\n",
        "sub/y.py": "def g(): ...\n",
    })
    assert analyse(root).cycles == []


def test_strings_in_a_lazy_init_are_not_imports(tmp_path):
    root = make_package(tmp_path, {
        "__init__.py": """
            import importlib

            _PUBLIC = {"f": "pkg.a"}

            def __getattr__(name):
                return getattr(importlib.import_module(_PUBLIC[name]), name)
            """,
        "a.py": "def f():\n    import pkg\n",
    })
    layout = analyse(root)
    assert edges(layout) == {("pkg.a", "pkg")}
    assert layout.cycles == []


def test_a_name_taken_from_a_lazy_init_points_at_the_module_that_defines_it(tmp_path):
    root = make_package(tmp_path, {
        "__init__.py": '_PUBLIC = {"f": "pkg.a", "g": "pkg.b"}\n',
        "a.py": "def f():\n    from pkg import g\n",
        "b.py": "import pkg\n\ndef g():\n    return pkg.f\n",
    })
    layout = analyse(root)
    assert edges(layout) == {("pkg.a", "pkg.b"), ("pkg.b", "pkg"), ("pkg.b", "pkg.a")}
    assert [c.modules for c in layout.cycles] == [("pkg.a", "pkg.b")]


def test_a_private_name_imported_from_another_module_is_counted(tmp_path):
    root = make_package(tmp_path, {
        "a.py": "def _helper(): ...\n\ndef public(): ...\n",
        "b.py": "from pkg.a import _helper, public\n",
        "c.py": "import pkg.a as a\n\ndef f():\n    return a._helper()\n",
    })
    layout = analyse(root)
    assert layout.private_imports == [
        Finding("pkg.b", 1, "pkg.a", "_helper", "private name"),
        Finding("pkg.c", 4, "pkg.a", "_helper", "private name"),
    ]
    assert not layout.clean


def test_a_package_init_may_collect_private_names_of_its_own_modules_only(tmp_path):
    root = make_package(tmp_path, {
        "__init__.py": "from pkg.sub.x import _y\n",
        "sub/__init__.py": "from pkg.sub.x import _y\n",
        "sub/x.py": "_y = 1\n",
    })
    assert analyse(root).private_imports == [Finding("pkg", 1, "pkg.sub.x", "_y", "private name")]


def test_a_private_module_is_private_to_the_package_that_holds_it(tmp_path):
    root = make_package(tmp_path, {
        "_checks.py": "def check(): ...\n",
        "sub/_impl.py": "def f(): ...\n",
        "sub/x.py": "from pkg._checks import check\nfrom pkg.sub._impl import f\n",
        "sub/deeper/y.py": "from pkg.sub import _impl\n",
        "other.py": "from pkg.sub._impl import f\n",
    })
    assert analyse(root).private_imports == [
        Finding("pkg.other", 1, "pkg.sub._impl", "f", "private module")
    ]


def test_dunder_names_are_not_private(tmp_path):
    root = make_package(tmp_path, {
        "__init__.py": '__version__ = "1"\n',
        "a.py": "from pkg import __version__\n",
    })
    assert analyse(root).private_imports == []


def test_private_attributes_of_other_modules_objects_are_listed_but_not_counted(tmp_path):
    root = make_package(tmp_path, {
        "model.py": "class M:\n    def _forecast(self):\n        return self._state\n",
        "run.py": 'def run(m):\n    return m._forecast(), getattr(m, "_forecast")\n',
    })
    layout = analyse(root)
    assert [(f.module, f.line, f.name, f.target) for f in layout.private_attributes] == [
        ("pkg.run", 2, "_forecast", "pkg.model"),
        ("pkg.run", 2, "_forecast", "pkg.model"),
    ]
    assert layout.clean


def test_a_module_over_450_lines_is_reported_and_one_of_450_is_not(tmp_path):
    root = make_package(tmp_path, {"long.py": "x = 1\n" * 451, "full.py": "x = 1\n" * 450})
    layout = analyse(root)
    assert layout.long_modules == ["pkg.long"]
    assert analyse(root, max_lines=449).long_modules == ["pkg.long", "pkg.full"]


def test_total_lines_count_docstrings_comments_and_blank_lines(tmp_path):
    root = make_package(tmp_path, {"a.py": '"""Doc.\n\nMore.\n"""\n\n# note\nx = 1\n'})
    assert analyse(root).total_lines == 7


def test_a_clean_package_exits_zero_with_a_summary_of_zeros_last(tmp_path, capsys):
    root = make_package(tmp_path, {"a.py": "from pkg.b import f\n", "b.py": "def f(): ...\n"})
    assert main([str(root)]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == "layout: 0 cycles, 0 private imports, 0 modules over 450 lines, 2 lines"


def test_a_package_with_a_cycle_exits_one_and_counts_it_in_the_last_line(tmp_path, capsys):
    root = make_package(tmp_path, {
        "a.py": "def f():\n    from pkg.b import _g\n",
        "b.py": "from pkg.a import f\n\ndef _g(): ...\n" + "\n" * 450,
    })
    assert main([str(root)]) == 1
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == "layout: 1 cycles, 1 private imports, 1 modules over 450 lines, 455 lines"


def test_a_directory_without_init_is_refused_naming_it(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path)])
    assert exit_.value.code == 2
    assert f"root={str(tmp_path)!r} is not a package directory" in capsys.readouterr().err


def test_the_package_imports_one_way_with_no_private_names_and_no_long_module():
    """Issue 13's layout: 0 cycles (imports inside functions counted), 0 private names
    imported across modules, no module over 450 lines."""
    layout = analyse(Path(forecast.__file__).parent)
    assert "forecast.models" in layout.modules and "forecast.nn.network" in layout.modules
    assert layout.clean, layout.summary()


def test_python_dash_m_prints_the_summary_last_for_the_hook():
    env = dict(os.environ, PYTHONPATH=str(Path(forecast.__file__).parents[1]))
    done = subprocess.run(
        [sys.executable, "-m", "forecast._devtools.layout"],
        capture_output=True, text=True, env=env, check=False,
    )
    match = SUMMARY.match(done.stdout.splitlines()[-1])
    assert match, done.stdout + done.stderr
    clean = match.group(1, 2, 3) == ("0", "0", "0")
    assert done.returncode == (0 if clean else 1)
