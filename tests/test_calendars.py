"""Trading calendars: forecasts dated on an exchange's sessions (the ``calendars`` extra),
the business-day rule without it, and intraday labels that follow the trading hours seen.

The reference for the sessions is exchange-calendars itself (``sessions`` of XNYS).
"""

from __future__ import annotations

import logging
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast import with_calendar
from forecast._dates import future_index
from forecast.cli import main


def _xnys_after(day: str, n: int) -> list[str]:
    xcals = pytest.importorskip("exchange_calendars")
    with warnings.catch_warnings():  # the library's own pandas deprecation notices
        warnings.simplefilter("ignore")
        sessions = xcals.get_calendar("XNYS", start="2018-01-02", end="2019-12-31").sessions
    after = sessions[sessions > pd.Timestamp(day)][:n]
    return after.strftime("%Y-%m-%d").tolist()


@pytest.fixture
def close():
    pytest.importorskip("exchange_calendars")
    return forecast.load_dataset("sp500")["close"]


def _days(index):
    return index.strftime("%Y-%m-%d").tolist()


@pytest.mark.parametrize("model", [
    forecast.NaiveForecaster(),
    forecast.NaiveForecaster(strategy="drift"),
    forecast.ARForecaster(order=2),
    forecast.RNNForecaster("gru", hidden_size=2, epochs=1, window=10, random_state=0),
], ids=["naive", "drift", "ar", "gru"])
def test_sp500_forecasts_made_after_2018_12_31_start_on_2019_01_02(close, model):
    assert isinstance(close.index.freq, pd.offsets.CustomBusinessDay)
    got = model.fit(close.iloc[-300:]).predict(10).index
    assert _days(got) == _xnys_after("2018-12-31", 10)
    assert got[0] == pd.Timestamp("2019-01-02")


def test_forecasts_skip_christmas_and_follow_updates(close):
    model = forecast.ARForecaster(order=1).fit(close.loc["2018-06":"2018-12-21"])
    assert _days(model.predict(3).index) == ["2018-12-24", "2018-12-26", "2018-12-27"]
    model.update(close.loc["2018-12-24":"2018-12-28"])
    assert _days(model.predict(2).index) == ["2018-12-31", "2019-01-02"]


def test_compare_and_backtest_forecast_on_sessions(close):
    result = forecast.compare({"AR": forecast.ARForecaster(order=1)}, close.iloc[-80:],
                              test_size=20)
    assert _days(result.models["AR"].predict(2).index) == ["2018-12-31", "2019-01-02"]
    bt = forecast.backtest(forecast.NaiveForecaster(), close.loc[:"2018-12-24"],
                           start="2018-12-17", horizon=1)
    assert "2018-12-25" not in _days(pd.DatetimeIndex(bt["target"]))


def test_the_calendar_changes_dates_only_never_values():
    pytest.importorskip("exchange_calendars")
    for name in ("sp500", "msft"):
        on, off = forecast.load_dataset(name), forecast.load_dataset(name, calendar=None)
        assert off.index.freq is None and on.index.freq is not None
        pd.testing.assert_frame_equal(on, off, check_freq=False)


def test_sessions_the_data_lacks_are_logged_and_treated_as_closed(caplog):
    pytest.importorskip("exchange_calendars")
    with caplog.at_level(logging.INFO, logger="forecast.data.calendars"):
        msft = forecast.load_dataset("msft", calendar="XNYS")
    assert "2 XNYS session(s) without an observation (1998-10-29, 1999-11-16)" in caplog.text
    assert msft.index.freq is not None
    assert _days(forecast.NaiveForecaster().fit(msft["close"]).predict(2).index) == [
        "2017-11-13", "2017-11-14"]


def test_a_saved_model_keeps_the_calendar(close, tmp_path):
    model = forecast.ARForecaster(order=1).fit(close.iloc[-100:])
    forecast.save_model(model, tmp_path / "ar.npz")
    loaded = forecast.load_model(tmp_path / "ar.npz")
    assert _days(loaded.predict(3).index) == ["2019-01-02", "2019-01-03", "2019-01-04"]


def test_load_csv_takes_a_calendar(tmp_path, close):
    close.iloc[-30:].to_frame().to_csv(tmp_path / "sp.csv")
    frame = forecast.load_csv(tmp_path / "sp.csv", calendar="XNYS")
    assert _days(future_index(frame.index, 1)) == ["2019-01-02"]


def test_an_unknown_calendar_lists_close_matches(close):
    with pytest.raises(ValueError, match=r"unknown calendar='XNYZ' \(command line: --calendar "
                       r"XNYZ\); close matches: .*XNYS"):
        with_calendar(close, "XNYZ")


def test_a_date_that_is_no_session_is_named(close):
    bad = close.iloc[-10:].rename(lambda d: pd.Timestamp("2018-12-25") if d == pd.Timestamp(
        "2018-12-24") else d)
    with pytest.raises(ValueError, match=r"1 date\(s\) are no XNYS session, the first "
                       r"2018-12-25"):
        with_calendar(bad, "XNYS")


def test_intraday_data_is_refused_by_a_calendar(close):
    hourly = pd.Series(1.0, index=pd.date_range("2018-12-03 10:00", periods=5, freq="h"))
    with pytest.raises(ValueError, match="needs one observation per session.*trading hours"):
        with_calendar(hourly, "XNYS")
    with pytest.raises(TypeError, match="indexed by dates"):
        with_calendar(pd.Series([1.0, 2.0]), "XNYS")


@pytest.mark.parametrize(("argv", "message"), [
    (["--calendar", "XNYZ"], "unknown calendar='XNYZ'.*close matches"),
    (["--csv", "{holiday}", "--calendar", "XNYS"], "are no XNYS session, the first 2018-12-25"),
])
def test_cli_calendar_errors_are_one_line(capsys, tmp_path, close, argv, message):
    import re

    frame = close.iloc[-10:].to_frame()
    frame.index = frame.index.where(frame.index != "2018-12-24", pd.Timestamp("2018-12-25"))
    frame.to_csv(tmp_path / "h.csv")
    argv = [a.format(holiday=tmp_path / "h.csv") for a in argv]
    code = main(["compare", "--models", "naive", "--test-size", "5", *argv])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert line.startswith("forecast: error: ") and re.search(message, line), line


# ----------------------------------------------------------------- without the extra


@pytest.fixture
def no_calendars(monkeypatch):
    monkeypatch.setitem(sys.modules, "exchange_calendars", None)  # import fails


def test_without_the_extra_the_business_day_rule_dates_a_holiday(no_calendars):
    close = forecast.load_dataset("sp500")["close"]
    assert close.index.freq is None
    got = forecast.NaiveForecaster().fit(close).predict(2).index
    assert _days(got) == ["2019-01-01", "2019-01-02"]  # 2019-01-01 is a holiday


def test_without_the_extra_a_calendar_names_the_install(no_calendars):
    close = forecast.load_dataset("sp500")["close"]
    with pytest.raises(ImportError, match=r'pip install "forecast\[calendars\]"'):
        with_calendar(close, "XNYS")


def test_without_the_extra_cli_calendar_is_one_line_naming_the_install(no_calendars, capsys):
    code = main(["compare", "--models", "naive", "--test-size", "5", "--calendar", "XNYS"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert line.startswith("forecast: error: trading calendars need the exchange-calendars")
    assert 'pip install "forecast[calendars]"' in line


# ------------------------------------------------------------- intraday: trading hours


def _fx_hours():
    hours = pd.date_range("2018-01-07 22:00", "2018-02-02 21:00", freq="h", tz="UTC")
    week_hour = hours.day_of_week * 24 + hours.hour
    return hours[(week_hour < 4 * 24 + 22) | (week_hour >= 6 * 24 + 22)]  # Fri 22h-Sun 22h


def test_hourly_fx_goes_from_friday_21h_to_sunday_22h_never_saturday():
    got = future_index(_fx_hours(), 4)
    assert [str(t) for t in got] == [
        "2018-02-04 22:00:00+00:00", "2018-02-04 23:00:00+00:00",
        "2018-02-05 00:00:00+00:00", "2018-02-05 01:00:00+00:00"]
    fx = pd.Series(np.linspace(1.2, 1.25, len(_fx_hours())), index=_fx_hours())
    labels = forecast.NaiveForecaster().fit(fx).predict(60).index
    assert (labels.day_of_week != 5).all()


def test_hourly_stock_bars_go_from_the_close_to_the_next_trading_morning():
    bars = pd.date_range("2018-01-01 09:30", "2018-02-02 15:30", freq="h", tz="America/New_York")
    bars = bars[(bars.day_of_week < 5) & (bars.hour >= 9) & (bars.hour <= 15)]
    got = future_index(bars, 8)  # Friday 15:30 -> Monday 09:30 .. 15:30, Tuesday 09:30
    assert [t.strftime("%a %H:%M") for t in got] == [
        "Mon 09:30", "Mon 10:30", "Mon 11:30", "Mon 12:30", "Mon 13:30", "Mon 14:30",
        "Mon 15:30", "Tue 09:30"]


def test_less_than_a_week_of_intraday_history_continues_by_the_step():
    hours = pd.date_range("2018-01-05 10:00", "2018-01-05 20:00", freq="h")  # a Friday
    assert [t.strftime("%a %H") for t in future_index(hours, 4)] == [
        "Fri 21", "Fri 22", "Fri 23", "Sat 00"]


def test_load_yahoo_takes_a_calendar(monkeypatch, tmp_path, close):
    import forecast.data.yahoo as yahoo

    raw = forecast.load_dataset("sp500", calendar=None).iloc[-20:].rename(columns=str.title)
    raw = raw.drop(columns="Adj_Close").rename_axis("Date")
    monkeypatch.setattr(yahoo, "_download", lambda *args, **kwargs: raw)
    frame = forecast.load_yahoo("^GSPC", cache_dir=tmp_path, calendar="XNYS")
    assert isinstance(frame.index.freq, pd.offsets.CustomBusinessDay)
    assert _days(forecast.NaiveForecaster().fit(frame["close"]).predict(1).index) == [
        "2019-01-02"]
