"""The table of hostile values, and the one rule every cell of the battery checks.

A *cell* is one hostile value passed to one public entry point. It must end in exactly one
of two ways:

* ``"error"``: a ``ValueError`` or ``TypeError`` (or a subclass) whose message names the
  argument or the value;
* ``"ok"``: a result that :func:`check_result` accepts (every number finite, an interval
  that contains its point forecast, forecasts dated after the data, as many as asked).

``"either"`` is for values where both are honest answers (``1e300``, a constant series):
refused with a named error, or a result that passes :func:`check_result`. Any other
exception type (AttributeError, KeyError, IndexError, ZeroDivisionError,
FloatingPointError, a raw pandas error) and any RuntimeWarning or NumPy/pandas warning
that reaches the caller fail the cell. A warning the package issues itself (say, a training
that recovered) is allowed.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import forecast

#: the real data every hostile series is cut from: the last 300 S&P 500 closes
BASE = forecast.load_dataset("sp500")["close"].iloc[-300:].rename("close")

PACKAGE_DIR = str(Path(forecast.__file__).parent)

#: a named training failure (a FloatingPointError and a ValueError)
DivergenceError = forecast.DivergenceError


@dataclass(frozen=True)
class Case:
    """One hostile value: how to build it from a clean series, and what it should get.

    ``kind`` groups the cases: "value" (the numbers), "index" (the labels), "shape",
    "type" (not a series at all) or "valid" (odd but legitimate: time zones, DST).
    ``words`` is a regular expression for an error message that names the value.
    """

    name: str
    build: Callable[[pd.Series], Any]
    expect: str
    kind: str
    words: str


def _with(y: pd.Series, i: int, value: Any) -> pd.Series:
    out = y.astype(object) if isinstance(value, str) else y.copy()
    out.iloc[i] = value
    return out


def _relabel(y: pd.Series, index: Any) -> pd.Series:
    return pd.Series(y.to_numpy(), index=index, name=y.name)


def _unsorted(y: pd.Series) -> pd.Series:
    labels = list(y.index)
    i = len(labels) // 2
    labels[i], labels[i + 1] = labels[i + 1], labels[i]
    return _relabel(y, pd.DatetimeIndex(labels, name=y.index.name))


def _duplicated(y: pd.Series) -> pd.Series:
    labels = list(y.index)
    i = len(labels) // 2
    labels[i + 1] = labels[i]
    return _relabel(y, pd.DatetimeIndex(labels, name=y.index.name))


def _nat(y: pd.Series) -> pd.Series:
    labels = list(y.index)
    labels[-1] = pd.NaT  # the last label: an origin with no date
    return _relabel(y, pd.DatetimeIndex(labels, name=y.index.name))


def _tz(y: pd.Series) -> pd.Series:
    return _relabel(y, y.index.tz_localize("US/Eastern"))


def _hourly(y: pd.Series, start: str) -> pd.Series:
    """Hourly US/Eastern labels that cross a DST transition in the middle of ``y``."""
    mid = pd.Timestamp(start, tz="US/Eastern")
    index = pd.date_range(end=mid, periods=len(y) // 2, freq="h")
    index = index.append(pd.date_range(mid, periods=len(y) - len(index) + 1, freq="h")[1:])
    return _relabel(y, index.rename("date"))


def _mixed_tz(y: pd.Series) -> pd.Series:
    half = len(y) // 2
    labels = [t.tz_localize("US/Eastern") for t in y.index[:half]]
    labels += [t.tz_localize("Asia/Tokyo") for t in y.index[half:]]
    return _relabel(y, pd.Index(labels, dtype=object))


def _nonpositive(y: pd.Series) -> pd.Series:
    out = y.copy()
    out.iloc[len(y) // 3] = 0.0
    out.iloc[2 * len(y) // 3] = -out.iloc[2 * len(y) // 3]
    return out


def _two_d(y: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"close": y, "twice": 2 * y})


def _int_overflow(y: pd.Series) -> pd.Series:
    # np.diff of this index wraps around int64: -2**63 + 5 - 2**62 comes out positive
    head = [0, 2**62, -(2**63) + 5, -(2**63) + 6]
    return _relabel(y, pd.Index(head + list(range(4, len(y))), dtype="int64"))


CASES = [
    Case("nan", lambda y: _with(y, len(y) // 2, np.nan), "error", "value", r"nan|missing|finite"),
    Case("inf", lambda y: _with(y, len(y) // 2, np.inf), "error", "value", r"inf|finite"),
    Case("dot_string", lambda y: _with(y, len(y) // 2, "."), "error", "value",
         r"'\.'|numeric|object|str|missing"),
    Case("strings", lambda y: pd.Series("abc", index=y.index), "error", "value",
         r"'abc'|numeric|object|str"),
    Case("empty", lambda y: y.iloc[:0], "error", "shape", r"empty|at least|\b0\b|no "),
    Case("length_1", lambda y: y.iloc[:1], "error", "shape", r"at least|\b1\b|too short|few"),
    Case("too_short", lambda y: y.iloc[:4], "error", "shape", r"at least|\b4\b|too short|few"),
    Case("unsorted", _unsorted, "error", "index", r"sort|order|increas|monoton"),
    Case("duplicates", _duplicated, "error", "index", r"duplicat"),
    Case("nat_label", _nat, "error", "index", r"NaT|missing date|not a time"),
    Case("tz_aware", _tz, "ok", "valid", r"tz|zone"),
    Case("dst_fall_back", lambda y: _hourly(y, "2020-11-01 00:00"), "ok", "valid", r"tz|zone"),
    Case("dst_spring_forward", lambda y: _hourly(y, "2020-03-08 01:00"), "ok", "valid",
         r"tz|zone"),
    Case("mixed_tz", _mixed_tz, "error", "index", r"tz|zone|mixed|offset"),
    # issue 12 allows refusing a float index (as the docs say) or documenting it: either
    Case("float_index", lambda y: _relabel(y, np.arange(len(y), dtype=float)), "either",
         "index", r"float|index"),
    Case("int_index_overflow", _int_overflow, "error", "index", r"sort|order|increas"),
    Case("nonpositive", _nonpositive, "either", "value", r"positive|<= ?0|zero|negative"),
    Case("two_d", _two_d, "error", "shape", r"1-D|one series|column|shape|dimension"),
    Case("object_dtype", lambda y: y.astype(object), "either", "value", r"numeric|object"),
    Case("bool_dtype", lambda y: y > y.median(), "error", "value", r"bool|numeric"),
    Case("complex", lambda y: y.astype(complex), "error", "value", r"complex|real"),
    Case("datetimes_as_values", lambda y: pd.Series(y.index, index=y.index), "error", "value",
         r"numeric|datetime"),
    Case("huge_1e300", lambda y: y / y.max() * 1e300, "either", "value",
         r"overflow|too large|finite|1e\+?300|scale"),
    Case("constant", lambda y: pd.Series(5.0, index=y.index, name=y.name), "either", "value",
         r"constant|zero variance|no variation|std|collinear"),
    Case("none", lambda y: None, "error", "type", r"None"),
    Case("scalar", lambda y: 2500.0, "error", "type", r"1-D|scalar|shape|dimension|float"),
]
CASE_IDS = [case.name for case in CASES]
SERIES_CASES = [c for c in CASES if c.kind != "type"]


def case(name: str) -> Case:
    return next(c for c in CASES if c.name == name)


# --------------------------------------------------------------------------- the one rule


def assert_named(err: BaseException, arg_names: tuple[str, ...], words: str) -> None:
    """The message of ``err`` names one of ``arg_names`` (as a word), matches ``words``, or
    points at the offending position."""
    message = str(err)
    by_arg = any(re.search(rf"(?<![\w.]){re.escape(a)}(?!\w)", message) for a in arg_names)
    # pointing at the offending value ("at position 140") names it too; a codec's "in
    # position 50" of a file it does not name does not
    by_value = re.search(rf"{words}|\bat position \d+", message, flags=re.I) is not None
    assert by_arg or by_value, (
        f"{type(err).__name__} names neither the argument {arg_names} nor the value "
        f"(/{words}/): {message!r}"
    )


@dataclass
class Outcome:
    result: Any = None
    error: BaseException | None = None


def call_cell(call: Callable[[], Any]) -> Outcome:
    """Run ``call`` recording its warnings; a non-Value/TypeError exception fails the cell."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            outcome = Outcome(result=call())
        except (ValueError, TypeError) as err:
            outcome = Outcome(error=err)
        except Exception as err:  # noqa: BLE001 - the very thing the battery looks for
            pytest.fail(f"raw {type(err).__name__} instead of a named ValueError/TypeError: "
                        f"{str(err)[:300]}")
    foreign = [w for w in caught if not str(w.filename).startswith(PACKAGE_DIR)
               or issubclass(w.category, RuntimeWarning)]
    if foreign:
        w = foreign[0]
        pytest.fail(f"a {w.category.__name__} reached the user from {w.filename}:{w.lineno}: "
                    f"{str(w.message)[:200]}")
    return outcome


def run_cell(
    call: Callable[[], Any],
    expect: str,
    *,
    args: tuple[str, ...],
    words: str,
    check: Callable[[Any], None],
) -> None:
    """The one assertion of every cell (see the module docstring)."""
    assert expect in ("error", "ok", "either"), expect
    outcome = call_cell(call)
    if outcome.error is not None:
        if expect == "ok":
            pytest.fail(f"refused a valid input: {type(outcome.error).__name__}: "
                        f"{str(outcome.error)[:300]}")
        assert_named(outcome.error, args, words)
        return
    if expect == "error":
        pytest.fail(f"accepted silently; returned {_summary(outcome.result)}")
    check(outcome.result)


def _summary(result: Any) -> str:
    text = repr(result)
    return text if len(text) < 300 else text[:300] + "..."


# --------------------------------------------------------------------------- the invariant


def _labels_after(labels: pd.Index, seen: pd.Index | None) -> None:
    assert not pd.isna(labels).any(), f"a forecast is labelled NaT/NaN: {list(labels)}"
    if seen is None or len(seen) == 0:
        return
    last = seen[-1]
    if isinstance(seen, pd.DatetimeIndex):
        assert isinstance(labels, pd.DatetimeIndex), f"labels {labels!r} are not dates"
        assert str(labels.tz) == str(seen.tz), (
            f"the data is in time zone {seen.tz}, the forecasts are labelled in {labels.tz}"
        )
    assert (labels > last).all(), f"forecast labels {list(labels)} not after the data ({last})"
    if len(labels) > 1:
        assert labels.is_monotonic_increasing and labels.is_unique, f"labels {list(labels)}"


def _finite(values: Any, what: str) -> None:
    arr = np.asarray(values, dtype=float)
    assert np.isfinite(arr).all(), f"{what} holds non-finite values: {arr.ravel()[:8]}"


def check_result(
    result: Any,
    *,
    horizon: int | None = None,
    seen: pd.Index | None = None,
    point: pd.Series | None = None,
) -> None:
    """The stated invariant of an accepted hostile input.

    * every number in ``result`` is finite (a float, an array, a Series, a DataFrame's
      numeric columns, a tuple of those);
    * ``horizon``: ``result`` has exactly that many rows;
    * ``seen``: the labels of the data; the forecasts are labelled after its last label, in
      its time zone, increasing, never NaT;
    * ``point``: ``result`` is an interval frame (lower, upper) that contains ``point``,
      on the same labels.
    """
    if isinstance(result, tuple | list):
        for part in result:
            check_result(part)
        return
    if isinstance(result, pd.DataFrame):
        numeric = result.select_dtypes(include=[np.number])
        _finite(numeric.to_numpy(), "the result frame")
    elif isinstance(result, pd.Series | np.ndarray | float | int | np.floating):
        _finite(result, "the result")
    if horizon is not None:
        assert len(result) == horizon, f"asked for {horizon} steps, got {len(result)}"
    if seen is not None:
        _labels_after(result.index, seen)
    if point is not None:
        assert list(result.columns) == ["lower", "upper"], list(result.columns)
        assert result.index.equals(point.index), "interval and forecast labels differ"
        lower, upper, mid = result["lower"], result["upper"], point
        assert (lower <= mid).all() and (mid <= upper).all(), (
            f"the interval does not contain its point forecast: lower {lower.to_numpy()}, "
            f"forecast {mid.to_numpy()}, upper {upper.to_numpy()}"
        )


def seen_index(y: Any) -> pd.Index | None:
    """The labels a forecaster fitted on ``y`` has seen (None for a plain array)."""
    if isinstance(y, pd.Series | pd.DataFrame):
        return y.index
    return None


def forecasts(model: Any, horizon: int = 3, coverage: float = 0.9) -> tuple[Any, Any]:
    """``(predict(horizon), predict_interval(horizon, coverage))`` of a fitted forecaster."""
    return model.predict(horizon), model.predict_interval(horizon, coverage=coverage)


def check_forecasts(result: tuple[Any, Any], seen: pd.Index | None, horizon: int = 3) -> None:
    """The output of :func:`forecasts` satisfies :func:`check_result`."""
    point, band = result
    check_result(point, horizon=horizon, seen=seen)
    check_result(band, horizon=horizon, point=point)


def resolve(case: Case, overrides: dict[str, str]) -> str:
    """The expectation of ``case`` at an entry point: by case name, else by kind, else its own."""
    return overrides.get(case.name, overrides.get(case.kind, case.expect))
