"""forecast.api: the one dispatch between one series and many; old module paths; import order."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pandas as pd
import pytest

import forecast
import forecast.comparison
import forecast.many
import forecast.walkforward
from forecast import api
from forecast.evaluation.results import CompareResult

EVALUATION = Path(forecast.__file__).parent / "evaluation"


def test_public_signatures_keep_their_keywords_and_defaults():
    backtest = inspect.signature(forecast.backtest).parameters
    assert {k: v.default for k, v in backtest.items() if k not in ("forecaster", "y")} == {
        "start": 0.8, "horizon": 1, "step": 1, "refit_every": None, "window": "expanding",
        "train_size": None, "warm_start": True, "X": None, "X_known": None, "coverage": None,
        "progress": False, "model_name": None, "n_jobs": None, "scheduler": None,
    }
    compare = inspect.signature(forecast.compare).parameters
    assert {k: v.default for k, v in compare.items() if k not in ("models", "y")} == {
        "horizon": 1, "test_size": 500, "step": 1, "refit_every": None, "window": "expanding",
        "train_size": None, "warm_start": True, "coverage": None, "progress": False,
        "n_jobs": None, "scheduler": None, "global_models": None,
    }


def test_old_module_paths_re_export_the_public_names():
    assert forecast.walkforward.backtest is forecast.backtest is api.backtest
    assert forecast.comparison.compare is forecast.compare is api.compare
    assert forecast.comparison.CompareResult is forecast.many.MultiCompareResult is CompareResult
    assert forecast.comparison.REFERENCE == "Random walk"


def test_old_many_functions_give_what_compare_and_backtest_give():
    wide = forecast.load_dataset("stocks_monthly")
    models = {"AR(1)": forecast.ARForecaster(order=1)}
    old = forecast.many.compare_many(models, wide, test_size=12)
    pd.testing.assert_frame_equal(old.summary, forecast.compare(models, wide, test_size=12).summary)
    frame = forecast.many.backtest_many(forecast.NaiveForecaster(), wide, start=-12)
    pd.testing.assert_frame_equal(frame, forecast.backtest(forecast.NaiveForecaster(), wide,
                                                           start=-12))
    with pytest.raises(TypeError, match="dict of Series or a DataFrame"):
        forecast.many.compare_many(models, wide["IBM"])


@pytest.mark.parametrize("y", [{"a": [1.0, 2.0]}, pd.DataFrame({"a": [1.0, 2.0]})])
def test_a_dict_or_a_frame_is_many_series(y):
    assert api.is_many(y) and not api.is_many(pd.Series([1.0, 2.0]))


def _imports(path: Path) -> set[str]:
    """Every forecast module ``path`` imports, inside functions too."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m.startswith("forecast")}


@pytest.mark.parametrize("path", sorted(EVALUATION.glob("*.py")), ids=lambda p: p.name)
def test_evaluation_never_imports_the_layers_above_it_or_the_old_paths(path):
    upward = {"forecast.api", "forecast.cli", "forecast.walkforward", "forecast.comparison",
              "forecast.many"}
    assert not {m for m in _imports(path) if m in upward or m.startswith("forecast.cli")}


def test_evaluation_modules_import_each_other_one_way():
    graph = {p.stem: {m.split(".")[2] for m in _imports(p)
                      if m.startswith("forecast.evaluation.") and m.count(".") >= 2}
             for p in EVALUATION.glob("*.py")}

    def reaches(start, goal, seen=()):
        return any(n == goal or (n not in seen and reaches(n, goal, (*seen, n)))
                   for n in graph.get(start, ()))

    assert not [m for m in graph if reaches(m, m)]


@pytest.mark.parametrize("path", sorted(EVALUATION.glob("*.py")), ids=lambda p: p.name)
def test_evaluation_imports_no_private_name_from_another_module(path):
    private = [
        f"{node.module}.{a.name}"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("forecast")
        for a in node.names
        if a.name.startswith("_")
    ]
    assert not private
