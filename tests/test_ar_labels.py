"""Forecast labels in a walk-forward: the labels after the data are the rule on the full index.

``SeriesHistory`` keeps the labels appended (Series, arrays, slices by position) as parts and
joins them when asked. These tests hold its index to the index built independently, and the
labels of forecasts to ``forecast._dates.future_index`` of the whole index seen, label for
label (values, unit, name, freq), through single-value Series updates, chunks, arrays,
positional slices, holidays, weekend labels, unit and name changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast
from forecast._dates import future_index
from forecast.models.ar import ARForecaster
from forecast.models.history import SeriesHistory
from forecast.models.naive import NaiveForecaster


@pytest.fixture(scope="module")
def returns():
    close = forecast.load_dataset("sp500", calendar=None)["close"]
    return np.log(close).diff().dropna()


def assert_same_labels(actual: pd.Index, expected: pd.Index) -> None:
    pd.testing.assert_index_equal(actual, expected, exact=True)
    assert getattr(actual, "freq", None) == getattr(expected, "freq", None)


@pytest.mark.parametrize("model", [ARForecaster(5), NaiveForecaster(strategy="drift")])
def test_dated_walk_forward_labels_equal_the_rule_on_the_full_index(returns, model):
    """300 one-day updates over the S&P 500 holidays of 2017 (Series, then arrays)."""
    first = returns.index.get_loc(pd.Timestamp("2017-01-03"))
    model.fit(returns.iloc[:first])
    for t in range(first, first + 300):
        model.update(returns.iloc[t : t + 1], refit=True)
        expected = future_index(returns.index[: t + 1], 3)
        assert_same_labels(model.predict(3).index, expected)
        assert_same_labels(model.predict_interval(3).index, expected)
    assert_same_labels(model.index_, returns.index[: first + 300])
    values = returns.to_numpy()
    for t in range(first + 300, first + 320):  # arrays: their labels continue by the rule
        model.update(values[t : t + 1])
        assert_same_labels(model.predict(2).index, future_index(model.index_, 2))


def test_holidays_seen_in_the_tail_do_not_change_the_next_business_day(returns):
    """After Christmas Eve 2018 (a Monday) comes Wednesday 26 in the data, Tuesday by rule."""
    model = ARForecaster(3).fit(returns.loc[:"2018-12-21"])
    assert list(model.predict(2).index.strftime("%a %d")) == ["Mon 24", "Tue 25"]
    model.update(returns.loc["2018-12-24":"2018-12-24"])
    model.update(returns.loc["2018-12-26":"2018-12-26"], refit=True)
    assert list(model.predict(3).index.strftime("%a %d")) == ["Thu 27", "Fri 28", "Mon 31"]


@st.composite
def dated_walks(draw):
    """A weekday index with holidays, and a sequence of updates to append after it."""
    unit = draw(st.sampled_from(["s", "ms", "us", "ns"]))
    n = draw(st.integers(2, 90))
    days = pd.bdate_range("2021-01-04", periods=n + 400)
    keep = draw(st.lists(st.booleans(), min_size=len(days), max_size=len(days)))
    days = days[np.array(keep) | (np.arange(len(days)) % 9 != 0)]  # some holidays
    hour = draw(st.sampled_from([0, 0, 16]))
    labels = (days + pd.Timedelta(hours=hour)).as_unit(unit)
    with_freq = hour == 0 and draw(st.booleans()) and n == len(labels[:n])
    index = labels[:n]
    if with_freq:  # an index that carries freq="B" (all business days)
        index = pd.bdate_range("2021-01-04", periods=n, name=None).as_unit(unit)
        labels = pd.bdate_range("2021-01-04", periods=len(labels)).as_unit(unit)
    index = index.rename(draw(st.sampled_from([None, "date"])))
    steps = draw(
        st.lists(
            st.tuples(
                st.sampled_from(
                    ["one", "one", "one", "chunk", "array", "saturday", "unit", "slice", "slice"]
                ),
                st.integers(1, 70),
                st.sampled_from([None, "date", "other"]),
            ),
            max_size=12,
        )
    )
    return index, labels, steps


@settings(max_examples=40, deadline=None)
@given(dated_walks())
def test_followed_labels_equal_future_index_of_the_joined_index(walk):
    index, labels, steps = walk
    history = SeriesHistory(np.zeros(len(index)), index)
    seen = index  # what the joined index must be, built independently
    position = int(np.searchsorted(labels, index[-1], side="right"))
    named = {name: labels.rename(name) for name in (None, "date", "other")}
    ones = np.ones(len(labels))
    for kind, m, name in steps:
        if kind == "slice":  # backtest's positional update, consecutive slices merged
            part = named[name][position : position + m]
            if len(part) == 0:
                break
            history.append_slice(ones, named[name], position, position + len(part))
            seen = seen.append(part)
            position += len(part)
        elif kind == "array":
            history.append(np.zeros(m))
            seen = seen.append(future_index(seen, m))
            position = int(np.searchsorted(labels, seen[-1], side="right"))
        else:
            size = 1 if kind in ("one", "saturday", "unit") else m
            part = labels[position : position + size]
            if len(part) == 0:
                break
            if kind == "saturday":  # a label on a weekend day
                saturday = seen[-1].normalize() + pd.offsets.Week(weekday=5)
                part = pd.DatetimeIndex([saturday]).as_unit(seen.unit)
            if kind == "unit":
                part = part.as_unit("ms" if seen.unit != "ms" else "us")
            part = part.rename(name)
            history.append(pd.Series(np.ones(len(part)), index=part))
            seen = seen.append(part)
            position = int(np.searchsorted(labels, seen[-1], side="right"))
        expected = future_index(seen, 7)
        assert_same_labels(history.future_index(7), expected)
        assert_same_labels(history.future_index(1), expected[:1])
    assert_same_labels(history.index, seen)


@pytest.mark.parametrize(
    "index",
    [
        pd.date_range("2020-01-01", periods=40, freq="D", name="date"),  # a calendar freq
        pd.date_range("2020-01-31", periods=40, freq="ME"),  # month ends, inferred
        pd.DatetimeIndex(pd.bdate_range("2020-01-01", periods=6).tolist()),  # too short
        pd.DatetimeIndex(pd.date_range("2020-01-06", periods=6, freq="23h").tolist()),
        pd.DatetimeIndex(
            [
                "2020-01-06 00:00",
                "2020-01-06 23:00",
                "2020-01-08",
                "2020-01-09",
                "2020-01-09 23:30",
                "2020-01-13",
                "2020-01-14",
                "2020-01-15",
            ]
        ),
        pd.bdate_range(  # an exchange calendar: custom business days
            "2020-11-20", "2020-12-24", freq="C", holidays=["2020-11-26", "2020-12-25"]
        ),
    ],
)
def test_other_dated_indexes_use_the_rule_on_the_joined_index(index):
    """Indexes that are not plainly daily trading data are continued by future_index."""
    history = SeriesHistory(np.zeros(len(index)), index)
    seen = index
    assert_same_labels(history.future_index(3), future_index(seen, 3))
    for _ in range(3):
        part = future_index(seen, 2)[1:]  # one label, skipping one step
        history.append(pd.Series([1.0], index=part))
        seen = seen.append(part)
        assert_same_labels(history.future_index(3), future_index(seen, 3))
    history.append(np.ones(4))
    seen = seen.append(future_index(seen, 4))
    assert_same_labels(history.future_index(5), future_index(seen, 5))
    assert_same_labels(history.index, seen)


def test_the_tail_goes_weekly_and_back_to_business_days():
    """Business days until most spacings in the tail are a week, then the median week."""
    seen = pd.bdate_range("2021-01-04", periods=80, name="date")
    history = SeriesHistory(np.zeros(len(seen)), seen)

    def append(part: pd.DatetimeIndex) -> None:
        nonlocal seen
        history.append(pd.Series(np.ones(len(part)), index=part))
        seen = seen.append(part)
        assert_same_labels(history.future_index(2), future_index(seen, 2))

    for _ in range(40):  # one value a week, on Mondays
        append(pd.DatetimeIndex([seen[-1] + pd.offsets.Week(weekday=0)], name="date"))
    assert future_index(seen, 1)[0] - seen[-1] == pd.Timedelta(days=7)
    append(pd.DatetimeIndex([seen[-1] + pd.offsets.Week(weekday=5)], name="date"))  # Saturday
    for _ in range(70):  # business days again, until the Saturday has left the tail
        append(pd.DatetimeIndex([seen[-1] + pd.offsets.BDay()], name="date"))
    append(pd.date_range(seen[-1] + pd.Timedelta(days=7), periods=60, freq="7D", name="date"))
    assert future_index(seen, 1)[0] - seen[-1] == pd.Timedelta(days=7)
    append(pd.bdate_range(seen[-1] + pd.Timedelta(days=3), periods=60, name="date"))


def test_labels_follow_a_new_time_of_day_and_a_new_name():
    """Closing times after midnight labels (and an unnamed part) move the labels with them."""
    seen = pd.bdate_range("2021-01-04", periods=30, name="date")
    history = SeriesHistory(np.zeros(len(seen)), seen)
    assert_same_labels(history.future_index(3), future_index(seen, 3))
    for name in ("date", "date", None):
        label = seen[-1].normalize() + pd.offsets.BDay() + pd.Timedelta("16h")
        part = pd.DatetimeIndex([label], name=name)
        history.append(pd.Series([1.0], index=part))
        seen = seen.append(part)
        assert_same_labels(history.future_index(3), future_index(seen, 3))
    assert seen.name is None


def test_integer_series_updates_continue_the_range_index(returns):
    """backtest passes an array as Series slices with a RangeIndex: as if arrays were passed."""
    y = pd.Series(returns.to_numpy()[:300], index=pd.RangeIndex(300, name="i"))
    model = ARForecaster(3).fit(y.iloc[:200])
    twin = ARForecaster(3).fit(y.to_numpy()[:200])
    for t in range(200, 250):
        model.update(y.iloc[t : t + 1], refit=True)
        twin.update(y.to_numpy()[t : t + 1], refit=True)
        assert_same_labels(model.predict(2).index, pd.RangeIndex(t + 1, t + 3, name="i"))
    np.testing.assert_array_equal(model.params_, twin.params_)
    assert_same_labels(model.index_, pd.RangeIndex(250, name="i"))
    model.update(pd.Series([0.01], index=pd.RangeIndex(250, 251, name="t")))  # another name
    assert_same_labels(model.index_, pd.RangeIndex(251))  # so the joined index has none
    model.update(pd.Series([0.02], index=pd.RangeIndex(260, 261)))  # a gap in the labels
    expected = pd.Index([*range(251), 260])
    assert_same_labels(model.index_, expected)
    assert_same_labels(model.predict(2).index, future_index(expected, 2))
    with pytest.raises(ValueError, match=r"first label 260 is not after the last label seen"):
        model.update(pd.Series([0.03], index=pd.RangeIndex(260, 261)))


def test_single_value_updates_are_still_checked(returns):
    """The quick path for one dated value refuses what check_series and the order refuse."""
    model = ARForecaster(2).fit(returns.iloc[:100])
    last = returns.index[99]
    with pytest.raises(ValueError, match=r"first label 1999-05-27 is not after the last label"):
        model.update(returns.iloc[99:100])
    with pytest.raises(ValueError, match=r"y_new contains 1 non-finite value.*1999-05-28"):
        model.update(pd.Series([np.nan], index=[last + pd.Timedelta(days=1)]))
    with pytest.raises(TypeError, match=r"y_new has a RangeIndex but the data seen so far"):
        model.update(pd.Series([0.1]))
    with pytest.raises(TypeError, match=r"y_new must be numeric, got dtype object"):
        model.update(pd.Series(["a"], index=[last + pd.Timedelta(days=1)]))
    assert len(model.index_) == 100
    tz = pd.DatetimeIndex([last + pd.Timedelta(days=1)]).tz_localize("UTC")
    with pytest.raises(ValueError, match=r"y_new is tz-aware \(UTC\) but the data seen so far"):
        model.update(pd.Series([0.01], index=tz), refit=True)  # which instant is naive 05-28?
    assert len(model.index_) == 100
    model.update(pd.Series([0.01], index=tz.tz_localize(None)), refit=True)
    assert model.index_[-1] == pd.Timestamp("1999-05-28")
    assert_same_labels(model.predict(2).index, future_index(model.index_, 2))


def test_a_model_file_with_the_old_label_bookkeeping_still_loads(returns, tmp_path):
    """Files saved before issue 13 hold the history's label-following state; it is ignored."""
    model = ARForecaster(3).fit(returns.iloc[:300])
    model.update_slice(returns.to_numpy(), returns.index, 300, 310, refit=True)
    model.update(np.array([0.01]))
    history = model._history
    tail = returns.index.asi8[250:310].tolist()
    history.__dict__.update(  # the extra attributes an older SeriesHistory saved
        _range_ahead=None, _tail=tail, _unit="ns", _dtype="datetime64[ns]", _name="date",
        _n_weekend=0, _n_daily=55, _block=None, _block_days=[],
    )
    loaded = forecast.load_model(model.save(tmp_path / "ar.npz"))
    seen = returns.index[:310]
    assert_same_labels(loaded.index_, seen.append(future_index(seen, 1)))
    pd.testing.assert_series_equal(loaded.predict(3), model.predict(3))
