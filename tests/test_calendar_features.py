"""forecast.calendar_features and future_calendar: known-in-advance calendar columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast import calendar_features, future_calendar
from forecast.data.calendars import calendars_available


@pytest.fixture(scope="module")
def dates():
    return forecast.load_dataset("sp500").index


def test_weekday_month_and_gaps_around_christmas_2016(dates):
    f = calendar_features(dates).loc["2016-12-22":"2017-01-04"]
    assert f.index.strftime("%m-%d").tolist() == [
        "12-22", "12-23", "12-27", "12-28", "12-29", "12-30", "01-03", "01-04",
    ]  # fmt: skip
    assert f["day_of_week"].tolist() == [3, 4, 1, 2, 3, 4, 1, 2]
    assert f["month"].tolist() == [12, 12, 12, 12, 12, 12, 1, 1]
    assert f["days_to_next"].tolist() == [1, 4, 1, 1, 1, 4, 1, 1]  # Christmas, New Year
    assert f["turn_of_month"].tolist() == [0, 0, 0, 0, 0, 1, 1, 1]
    assert (f.dtypes == np.float64).all()


def test_turn_of_month_is_the_last_trading_day_and_the_first_three(dates):
    """Against pandas: each month's last date and its first three, whole months only."""
    f = calendar_features(dates)
    months = pd.Series(np.arange(len(dates)), index=dates).groupby(dates.to_period("M"))
    expected = np.zeros(len(dates))
    for _, pos in months:
        expected[pos.iloc[:3]] = 1.0
        expected[pos.iloc[-1]] = 1.0
    later = dates >= "1999-02-01"  # whole months (the data end on 2018-12-31)
    np.testing.assert_array_equal(f["turn_of_month"].to_numpy()[later], expected[later])
    # the first month is counted from its first day by the step of the index: Friday
    # 1999-01-01 (a holiday, before the data) counts, so Jan 4 and 5 are its 2nd and 3rd
    # trading days, Jan 6 not
    assert f["turn_of_month"].iloc[:3].tolist() == [1.0, 1.0, 0.0]


def test_days_to_next_are_the_gaps_of_the_index_then_the_step_after_it(dates):
    f = calendar_features(dates)
    gaps = np.diff(dates.to_numpy()).astype("timedelta64[D]").astype(float)
    np.testing.assert_array_equal(f["days_to_next"].to_numpy()[:-1], gaps)
    # Monday 2018-12-31 -> 2019-01-02 on the XNYS sessions (the calendars extra), the
    # holiday 2019-01-01 by the business-day rule without it
    assert f["days_to_next"].iloc[-1] == (2.0 if calendars_available() else 1.0)


def test_future_dates_get_the_columns_the_whole_index_would_give(dates):
    close = forecast.load_dataset("sp500")["close"]
    model = forecast.NaiveForecaster().fit(close.loc[:"2018-06-26"])
    future = future_calendar(model, 5)
    assert future.index.equals(model.predict(5).index)
    known = dates[dates <= "2018-07-03"].append(pd.DatetimeIndex(["2018-07-05"], name="date"))
    whole = calendar_features(known)
    # the business-day rule forecasts 2018-07-04 (a holiday) where the data has none
    assert future.index.strftime("%m-%d").tolist() == ["06-27", "06-28", "06-29", "07-02", "07-03"]
    pd.testing.assert_frame_equal(future.iloc[:3], whole.loc["2018-06-27":"2018-06-29"])
    assert future["turn_of_month"].tolist() == [0, 0, 1, 1, 1]


def test_one_date_needs_the_step_between_trading_days():
    one = pd.DatetimeIndex(["2024-05-31"])
    with pytest.raises(ValueError, match="one date.*freq="):
        calendar_features(one)
    f = calendar_features(one, freq="B")
    assert f.iloc[0].tolist() == [4.0, 5.0, 1.0, 3.0]


def test_bad_indexes_are_refused_by_name():
    with pytest.raises(TypeError, match="index must be a pandas.DatetimeIndex, got RangeIndex"):
        calendar_features(pd.RangeIndex(5))
    with pytest.raises(ValueError, match="increasing without repeated dates"):
        calendar_features(pd.DatetimeIndex(["2024-01-03", "2024-01-02"]))
    with pytest.raises(ValueError, match="no NaT"):
        calendar_features(pd.DatetimeIndex(["2024-01-02", None]))
    with pytest.raises(TypeError, match="future_calendar needs a forecaster fitted on a series"):
        future_calendar(forecast.NaiveForecaster().fit(np.arange(1.0, 10.0)), 2)
