"""The dates that follow a series: business days for trading data, inferred freq otherwise."""

import pandas as pd
import pytest

import forecast
from forecast._dates import future_index


def test_daily_trading_data_continues_with_business_days():
    # ends Monday 2018-12-31, holidays inside; no exchange calendar: the business-day rule
    index = forecast.load_dataset("sp500", calendar=None).index
    assert pd.DatetimeIndex(index[-60:], freq="infer").freq is None
    got = future_index(index, 6)
    assert got.strftime("%Y-%m-%d").tolist() == [
        "2019-01-01",
        "2019-01-02",
        "2019-01-03",
        "2019-01-04",
        "2019-01-07",
        "2019-01-08",
    ]
    assert got.name == "date"


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_rule_does_not_depend_on_the_index_resolution(unit):
    index = forecast.load_dataset("msft").index[-30:].as_unit(unit)  # ends Friday 2017-11-10
    assert future_index(index, 2).strftime("%Y-%m-%d").tolist() == ["2017-11-13", "2017-11-14"]


def test_monthly_data_continues_month_starts():
    index = forecast.load_dataset("stocks_monthly").index  # ends 2010-03-01
    assert future_index(index, 2).strftime("%Y-%m-%d").tolist() == ["2010-04-01", "2010-05-01"]


def test_irregular_spacing_continues_with_the_median_step():
    index = pd.DatetimeIndex(["2020-01-01", "2020-01-08", "2020-01-15", "2020-01-23"])
    assert future_index(index, 1)[0] == pd.Timestamp("2020-01-30")


def test_integer_indexes_continue_their_step():
    assert future_index(pd.RangeIndex(10), 3).tolist() == [10, 11, 12]
    assert isinstance(future_index(pd.RangeIndex(10), 3), pd.RangeIndex)
    assert future_index(pd.Index([0, 5, 10]), 2).tolist() == [15, 20]


def test_one_date_is_not_enough_to_infer_a_step():
    with pytest.raises(ValueError, match="1 observation"):
        future_index(pd.DatetimeIndex(["2020-01-01"]), 1)


def test_tz_aware_irregular_daily_data_continues_at_midnight_in_its_zone():
    # every day but one (no freq to infer), midnight in New York, up to the fall-back day:
    # 24 h after 2020-11-01 00:00 would be 23:00 the same day; calendar days keep midnight
    days = ["2020-10-26", "2020-10-27", "2020-10-29", "2020-10-30", "2020-10-31", "2020-11-01"]
    index = pd.DatetimeIndex(days).tz_localize("America/New_York")
    got = future_index(index, 2)
    assert got.tz is not None and str(got.tz) == "America/New_York"
    assert [str(t) for t in got] == ["2020-11-02 00:00:00-05:00", "2020-11-03 00:00:00-05:00"]

