"""Hostile series through the metrics and the significance tests.

The hostile value is ``y_true`` (or ``e1``, ``y_train``); its partner is a clean NumPy array
of the same length, so values are paired by position and only the hostile side is tested.
A score must come out finite (a p-value in [0, 1]) or be refused with a named error.
"""

from __future__ import annotations

import numpy as np
import pytest
from hostile_cases import BASE, CASE_IDS, CASES, check_result, resolve, run_cell

from forecast import metrics, significance


def _partner(y, shift: float = 1.01) -> np.ndarray:
    """Clean values as long as ``y`` (the whole clean series when ``y`` has no length)."""
    n = len(y) if hasattr(y, "__len__") and not isinstance(y, str) else len(BASE)
    return BASE.to_numpy()[:n] * shift


#: metrics pair by position: the labels of y_true are not theirs to check
_BY_POSITION = {"index": "either", "valid": "ok", "length_1": "ok", "too_short": "ok",
                "nonpositive": "ok", "bool_dtype": "either"}

POINT_METRICS = {
    "mae": lambda y: metrics.mae(y, _partner(y)),
    "rmse": lambda y: metrics.rmse(y, _partner(y)),
    "mape": lambda y: metrics.mape(y, _partner(y)),
    "smape": lambda y: metrics.smape(y, _partner(y)),
    "mase": lambda y: metrics.mase(y, _partner(y), y_train=BASE.to_numpy()),
    "theil_u2": lambda y: metrics.theil_u2(y, _partner(y), y_last=_partner(y, 0.99)),
}
_METRIC_RULES = {
    "mape": {"nonpositive": "either"},  # a zero actual has no percentage error
    "theil_u2": {"length_1": "either"},
}


def _check_score(value) -> None:
    check_result(float(value))


@pytest.mark.parametrize("name", list(POINT_METRICS))
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_point_metric(case, name):
    y = case.build(BASE)
    rules = {**_BY_POSITION, **_METRIC_RULES.get(name, {})}
    run_cell(lambda: POINT_METRICS[name](y), resolve(case, rules), args=("y_true",),
             words=case.words, check=_check_score)


#: y_train scales MASE by its in-sample naive error: it needs 2 values that change
_TRAIN_RULES = {"index": "either", "valid": "ok", "too_short": "ok", "nonpositive": "ok",
                "bool_dtype": "either", "constant": "error"}


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_mase_y_train(case):
    y_train = case.build(BASE)
    actual = BASE.to_numpy()[-20:]
    run_cell(lambda: metrics.mase(actual, actual * 1.01, y_train=y_train),
             resolve(case, _TRAIN_RULES), args=("y_train",),
             words=case.words + r"|constant|zero|scale", check=_check_score)


def _check_test(result) -> None:
    for name in ("statistic", "pvalue", "hit_rate", "pvalue_greater"):
        if hasattr(result, name):
            check_result(float(getattr(result, name)))
    assert 0.0 <= result.pvalue <= 1.0, f"p-value {result.pvalue}"


def _errors(y) -> np.ndarray:
    """Forecast errors of a clean forecaster, as long as ``y``."""
    partner = _partner(y)
    return partner - np.roll(partner, 1) * 1.0005


SIGNIFICANCE = {
    "diebold_mariano": lambda y: significance.diebold_mariano(y, _errors(y), h=2),
    "directional_accuracy": lambda y: significance.directional_accuracy(
        y, _partner(y), _partner(y, 0.995)),
}
_TEST_RULES = {
    # a DM test needs a few differentials; a constant e1 is a fine (if silly) forecast error
    "diebold_mariano": {"length_1": "error", "too_short": "either", "constant": "ok"},
    "directional_accuracy": {"constant": "ok"},
}


@pytest.mark.parametrize("name", list(SIGNIFICANCE))
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_significance(case, name):
    y = case.build(BASE)
    rules = {**_BY_POSITION, **_TEST_RULES[name]}
    run_cell(lambda: SIGNIFICANCE[name](y), resolve(case, rules), args=("e1", "y_true"),
             words=case.words, check=_check_test)
