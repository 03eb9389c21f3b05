"""Issue 12, defects 3 and 4: every labelled series goes through one index check.

* A missing date (NaT) is refused by every entry point, naming the argument and the position.
* Order is checked by comparing neighbours, so int64 labels near the limits do not wrap.
* A float index is refused (the docs promise a DatetimeIndex or an integer index).
* A tz-aware index keeps its zone and is ordered by instants: both daylight-saving
  transitions pass, and forecasts go on hour by hour in the zone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yfinance

import forecast
from forecast import metrics
from forecast._validation import check_index, check_series
from forecast.data.frame import normalize_price_frame
from forecast.data.yahoo import _from_yfinance, load_yahoo
from forecast.models.global_rnn import GlobalRNNForecaster

ZONE = "US/Eastern"
NAT = r"index has 1 missing date\(s\) \(NaT\); the first is at position 0\. Drop those rows"


@pytest.fixture(scope="module")
def closes() -> pd.Series:
    """The last 80 S&P 500 closes (real prices, a business-day DatetimeIndex)."""
    return forecast.load_dataset("sp500")["close"].iloc[-80:]


def _with_nat(y: pd.Series) -> pd.Series:
    """``y`` with its first date replaced by NaT (the position the old check let through)."""
    index = y.index.to_numpy().copy()
    index[0] = np.datetime64("NaT")
    return y.set_axis(pd.DatetimeIndex(index, name=y.index.name))


def _small_rnn() -> forecast.RNNForecaster:
    return forecast.RNNForecaster("rnn", hidden_size=2, epochs=1, k1=5, random_state=0)


def _hourly(prices: pd.Series, start: str, periods: int) -> pd.Series:
    """Real prices on an hourly US/Eastern index from ``start`` (wall time)."""
    index = pd.date_range(pd.Timestamp(start, tz=ZONE), periods=periods, freq="h", name="date")
    return pd.Series(prices.to_numpy()[:periods], index=pd.DatetimeIndex(index, freq=None))


# --- NaT ----------------------------------------------------------------------------------


def _global_fit(y):
    return GlobalRNNForecaster("rnn", hidden_size=2, epochs=1, k1=5, random_state=0).fit_many(
        {"sp500": y}
    )


FIT_ENTRY_POINTS = {
    "make_windows": lambda y: forecast.make_windows(y, window=3),
    "WalkForwardSplit.split": lambda y: list(forecast.WalkForwardSplit(n_splits=2).split(y)),
    "temporal_train_test_split": lambda y: forecast.temporal_train_test_split(y, test_size=5),
    "LogReturns.fit": lambda y: forecast.LogReturns().fit(y),
    "SimpleReturns.fit": lambda y: forecast.SimpleReturns().fit(y),
    "Differencer.fit": lambda y: forecast.Differencer().fit(y),
    "Standardizer.fit": lambda y: forecast.Standardizer().fit(y),
    "NaiveForecaster.fit": lambda y: forecast.NaiveForecaster().fit(y),
    "ARForecaster.fit": lambda y: forecast.ARForecaster(2).fit(y),
    "RNNForecaster.fit": lambda y: _small_rnn().fit(y),
    "GlobalRNNForecaster.fit_many": _global_fit,
    "backtest": lambda y: forecast.backtest(forecast.ARForecaster(1), y, start=60),
    "compare": lambda y: forecast.compare({"AR(1)": forecast.ARForecaster(1)}, y, test_size=5),
    "metrics.mase": lambda y: metrics.mase([1.0, 2.0], [1.0, 2.5], y),
    "normalize_price_frame": lambda y: normalize_price_frame(y.to_frame("close"), "file.csv"),
    "yahoo _from_yfinance": lambda y: _from_yfinance(y.to_frame("Close"), "MSFT", "yahoo:MSFT"),
}


@pytest.mark.parametrize("entry", FIT_ENTRY_POINTS)
def test_a_nat_label_is_refused_naming_the_position(closes, entry):
    with pytest.raises(ValueError, match=NAT):
        FIT_ENTRY_POINTS[entry](_with_nat(closes))


@pytest.mark.parametrize(
    "make",
    [
        lambda: forecast.NaiveForecaster(),
        lambda: forecast.ARForecaster(2),
        lambda: _small_rnn(),
        lambda: None,  # the global model's per-series forecaster
    ],
    ids=["naive", "ar", "rnn", "global"],
)
def test_update_refuses_a_nat_label(closes, make):
    model = make()
    if model is None:
        model = _global_fit(closes.iloc[:60]).for_series("sp500").fit(closes.iloc[:60])
    else:
        model.fit(closes.iloc[:60])
    later = closes.iloc[60:63]
    with pytest.raises(ValueError, match=r"y_new " + NAT):
        model.update(_with_nat(later))
    assert len(model.index_) == 60  # nothing was appended
    model.update(later)
    assert model.index_[-1] == closes.index[62]


def test_nat_in_the_middle_is_named_as_missing_not_as_unsorted(closes):
    y = closes.copy()
    index = y.index.to_numpy().copy()
    index[[10, 20]] = np.datetime64("NaT")
    with pytest.raises(ValueError, match=r"y index has 2 missing date\(s\) \(NaT\); the first "
                       r"is at position 10"):
        check_series(y.set_axis(pd.DatetimeIndex(index)))


# --- integer and float labels ---------------------------------------------------------------


def test_an_int64_index_that_wraps_around_in_np_diff_is_refused(closes):
    labels = pd.Index(np.array([0, 2**62, -(2**63) + 5, -(2**63) + 6], dtype=np.int64))
    y = pd.Series(closes.to_numpy()[:4], index=labels)
    message = r"y index is not sorted \(earlier than the one before\) at position 2"
    with pytest.raises(ValueError, match=message):
        check_series(y)
    with pytest.raises(ValueError, match=message):
        forecast.ARForecaster(1).fit(y)
    with pytest.raises(ValueError, match=message):
        forecast.make_windows(y, window=2)


def test_an_increasing_int64_index_spanning_the_whole_range_is_accepted(closes):
    labels = pd.Index(np.array([-(2**63), 0, 2**63 - 1], dtype=np.int64))  # steps of ~2**63
    y = pd.Series(closes.to_numpy()[:3], index=labels)
    values, index = check_series(y)
    assert index.equals(labels)
    np.testing.assert_array_equal(values, closes.to_numpy()[:3])
    duplicated = labels[[0, 1, 1]]
    with pytest.raises(ValueError, match=r"y index is duplicated at position 2"):
        check_series(pd.Series(closes.to_numpy()[:3], index=duplicated))


@pytest.mark.parametrize("length", [1, 4])
def test_a_float_index_is_refused_as_the_docs_say(closes, length):
    y = pd.Series(closes.to_numpy()[:length], index=np.arange(length) + 0.5)
    with pytest.raises(TypeError, match=r"y must have a DatetimeIndex or an integer index, got "
                       r"Index of dtype float64; pass dates, or y.reset_index\(drop=True\)"):
        check_series(y)
    with pytest.raises(TypeError, match=r"X must have a DatetimeIndex or an integer index"):
        list(forecast.WalkForwardSplit(n_splits=1, test_size=1).split(y.to_frame()))


# --- tz-aware data at daylight-saving transitions -------------------------------------------


# fit ends at the last label; the next three labels, hour by hour in US/Eastern
TRANSITIONS = {
    "spring-forward": (
        "2020-03-07 20:00", 6,  # ... 00:00, 01:00-05:00 (02:00 does not exist)
        ["2020-03-08 03:00:00-04:00", "2020-03-08 04:00:00-04:00", "2020-03-08 05:00:00-04:00"],
    ),
    "fall-back": (
        "2020-10-31 20:00", 5,  # ... 00:00-04:00 (01:00 comes twice)
        ["2020-11-01 01:00:00-04:00", "2020-11-01 01:00:00-05:00", "2020-11-01 02:00:00-05:00"],
    ),
}


@pytest.mark.parametrize("transition", TRANSITIONS)
@pytest.mark.parametrize(
    "make",
    [lambda: forecast.NaiveForecaster(), lambda: forecast.ARForecaster(1), _small_rnn],
    ids=["naive", "ar", "rnn"],
)
def test_hourly_forecasts_go_on_hour_by_hour_across_the_transition(closes, transition, make):
    start, n, expected = TRANSITIONS[transition]
    y = _hourly(closes, start, n)
    labels = make().fit(y).predict(3).index
    assert str(labels.tz) == ZONE
    assert [str(t) for t in labels] == expected
    assert ((labels[1:] - labels[:-1]) == pd.Timedelta(hours=1)).all()
    assert labels[0] - y.index[-1] == pd.Timedelta(hours=1)


@pytest.mark.parametrize("transition", TRANSITIONS)
def test_fit_keeps_the_zone_and_the_repeated_hour(closes, transition):
    start, n, _ = TRANSITIONS[transition]
    y = _hourly(closes, start, n + 3)
    model = forecast.ARForecaster(1).fit(y)
    assert model.index_.equals(y.index)
    assert model.index_.is_unique and str(model.index_.tz) == ZONE


@pytest.mark.parametrize("transition", TRANSITIONS)
def test_updates_across_the_transition_keep_labels_in_the_zone(closes, transition):
    start, n, expected = TRANSITIONS[transition]
    y = _hourly(closes, start, n + 3)
    model = forecast.NaiveForecaster().fit(y.iloc[: n - 2])
    model.update(y.iloc[n - 2 : n - 1])  # one dated value
    model.update(y.iloc[n - 1 : n].tz_convert("UTC"))  # another zone: same instants
    model.update(closes.to_numpy()[n : n + 2])  # values without labels
    assert model.index_.equals(y.index[: n + 2])
    assert [str(t) for t in model.predict(1).index] == [expected[2]]


def test_make_windows_accepts_both_transitions(closes):
    spring, fall = _hourly(closes, "2020-03-08 00:00", 6), _hourly(closes, "2020-11-01 00:00", 6)
    y = pd.concat([spring, fall])
    assert y.index.tz_localize(None).duplicated().any()  # the wall clock repeats 01:00
    X, Y = forecast.make_windows(y, window=3, horizon=2)
    values = y.to_numpy()
    np.testing.assert_array_equal(X[0], values[:3])
    np.testing.assert_array_equal(Y[-1], values[-2:])
    assert len(X) == len(y) - 3 - 2 + 1


@pytest.mark.parametrize(
    "entry", [e for e in FIT_ENTRY_POINTS if e != "backtest"]  # backtest: its own test below
)
def test_every_entry_point_accepts_data_over_both_transitions(closes, entry):
    # 06:00 .. 05:00 the next day, twice: 2020-03-08 has 23 hours, 2020-11-01 has 25
    y = pd.concat(
        [_hourly(closes, "2020-03-07 06:00", 23), _hourly(closes.iloc[23:], "2020-10-31 06:00", 25)]
    )
    assert y.index.is_unique and y.index.tz_localize(None).duplicated().sum() == 1
    FIT_ENTRY_POINTS[entry](y)  # no error: order and uniqueness are those of the instants


def test_backtest_and_compare_on_tz_aware_data_date_targets_in_the_zone(closes):
    y = _hourly(closes, "2020-10-31 12:00", 40)
    start = pd.Timestamp("2020-11-01 01:00:00-05:00").tz_convert("UTC")  # the second 01:00
    frame = forecast.backtest(forecast.ARForecaster(1), y, start=start, horizon=2)
    assert str(frame["target"].dt.tz) == ZONE
    assert frame["target"].iloc[0] == pd.Timestamp("2020-11-01 01:00:00-05:00")
    assert frame["origin"].iloc[0] == pd.Timestamp("2020-11-01 01:00:00-04:00")
    assert not frame["target"].isna().any()
    result = forecast.compare({"AR(1)": forecast.ARForecaster(1)}, y, test_size=20)
    targets = result.backtests["target"]
    assert str(targets.dt.tz) == ZONE and not targets.isna().any()
    assert targets.iloc[-1] == y.index[-1]


@pytest.mark.parametrize(
    ("start", "data_tz", "message"),
    [
        (pd.Timestamp("2020-11-01 03:00"), ZONE,
         r"start is tz-naive but y is tz-aware \(US/Eastern\).*\.tz_localize\('US/Eastern'\)"),
        (pd.Timestamp("2020-11-01 03:00", tz="UTC"), None,
         r"start is tz-aware \(UTC\) but y is tz-naive"),
    ],
    ids=["naive-start-aware-data", "aware-start-naive-data"],
)
def test_backtest_start_of_the_other_tz_awareness_is_a_named_value_error(
    closes, start, data_tz, message
):
    y = _hourly(closes, "2020-10-31 12:00", 40)
    if data_tz is None:
        y = y.tz_convert("UTC").tz_localize(None)
    with pytest.raises(ValueError, match=message):
        forecast.backtest(forecast.ARForecaster(1), y, start=start)


def test_update_with_tz_naive_labels_after_tz_aware_data_is_refused(closes):
    y = _hourly(closes, "2020-10-31 20:00", 8)
    model = forecast.ARForecaster(1).fit(y.iloc[:4])
    with pytest.raises(ValueError, match=r"y_new is tz-naive but the data seen so far is "
                       r"tz-aware \(US/Eastern\)"):
        model.update(y.iloc[4:5].tz_localize(None))
    assert len(model.index_) == 4


def _offset_csv(path, stamps, prices):
    rows = "".join(f"{s},{float(p)!r}\n" for s, p in zip(stamps, prices, strict=True))
    path.write_text("date,close\n" + rows)
    return path


@pytest.mark.parametrize(
    "stamps",
    [
        ["2020-03-08 00:00:00-05:00", "2020-03-08 01:00:00-05:00", "2020-03-08 03:00:00-04:00",
         "2020-03-08 04:00:00-04:00"],
        ["2020-11-01 00:00:00-04:00", "2020-11-01 01:00:00-04:00", "2020-11-01 01:00:00-05:00",
         "2020-11-01 02:00:00-05:00"],
    ],
    ids=["spring-forward", "fall-back"],
)
def test_load_csv_reads_offsets_across_the_transition_as_instants(tmp_path, closes, stamps):
    prices = closes.to_numpy()[:4]
    frame = forecast.load_csv(_offset_csv(tmp_path / "hourly.csv", stamps, prices))
    assert str(frame.index.tz) == "UTC"  # the offsets differ: one index holds them in UTC
    assert frame.index.equals(pd.DatetimeIndex(pd.to_datetime(stamps, utc=True), name="date"))
    assert (np.diff(frame.index.asi8) == 3600 * 10**9).all()  # hour by hour
    np.testing.assert_array_equal(frame["close"], prices)
    local = frame.tz_convert(ZONE)
    assert [str(t) for t in local.index] == stamps


def test_load_csv_refuses_dates_with_and_without_offsets(tmp_path, closes):
    stamps = ["2020-11-01 00:00:00-04:00", "2020-11-01 01:00:00", "2020-11-01 01:00:00-05:00"]
    path = _offset_csv(tmp_path / "mixed.csv", stamps, closes.to_numpy()[:3])
    with pytest.raises(ValueError, match=r"mixed.csv: the dates mix UTC offsets and none: "
                       r"'2020-11-01 01:00:00' \(line 3\)"):
        forecast.load_csv(path)


@pytest.mark.parametrize("start", ["2020-03-07 22:00", "2020-10-31 22:00"],
                         ids=["spring-forward", "fall-back"])
def test_yahoo_frame_with_a_tz_aware_index_keeps_its_zone(closes, start):
    y = _hourly(closes, start, 6)
    raw = pd.DataFrame({"Close": y.to_numpy(), "Open": y.to_numpy()},
                       index=y.index.rename("Datetime").tz_convert("America/New_York"))
    frame = _from_yfinance(raw, "MSFT", "yahoo:MSFT")
    assert str(frame.index.tz) == "America/New_York"
    assert frame.index.equals(raw.index.rename("date"))
    np.testing.assert_array_equal(frame["close"], y.to_numpy())


def test_yahoo_cache_keeps_the_zone_and_the_repeated_hour(closes, tmp_path, monkeypatch):
    y = _hourly(closes, "2020-10-31 22:00", 6)
    raw = pd.DataFrame({"Close": y.to_numpy()},
                       index=y.index.rename("Datetime").tz_convert("America/New_York"))
    monkeypatch.setattr(yfinance, "download", lambda *args, **kwargs: raw.copy())
    fresh = load_yahoo("MSFT", interval="1h", cache_dir=tmp_path)

    def offline(*args, **kwargs):
        raise ConnectionError("offline")

    monkeypatch.setattr(yfinance, "download", offline)
    cached = load_yahoo("MSFT", interval="1h", cache_dir=tmp_path)
    pd.testing.assert_frame_equal(cached, fresh, check_exact=True, check_freq=False)
    assert str(cached.index.tz) == "America/New_York"


def test_check_index_returns_a_tz_aware_index_unchanged():
    index = pd.date_range("2020-11-01 00:00", periods=4, freq="h", tz=ZONE)
    assert check_index(index) is index


def test_backtest_on_tz_aware_trading_data_matches_the_tz_naive_one():
    y = forecast.load_dataset("sp500")["close"].iloc[-600:]
    local = y.tz_localize("America/New_York")  # midnight in New York, across 10 DST changes
    naive = forecast.backtest(forecast.ARForecaster(2), y, start=100, horizon=2)
    aware = forecast.backtest(forecast.ARForecaster(2), local, start=100, horizon=2)
    np.testing.assert_array_equal(aware["forecast"], naive["forecast"])
    for col in ("origin", "target"):
        assert str(aware[col].dt.tz) == "America/New_York"
        assert (aware[col].dt.tz_localize(None) == naive[col]).all()
    model = forecast.ARForecaster(2).fit(local.iloc[:-5])
    model.update(local.iloc[-5:])
    assert model.predict(2).index.equals(
        forecast.ARForecaster(2).fit(y).predict(2).index.tz_localize("America/New_York")
    )


@pytest.mark.parametrize(
    "labels",
    [np.arange(3, dtype=float), np.array([0, 2**62, 2**63 - 1])],
    ids=["float", "int64-near-overflow"],
)
def test_a_price_frame_indexed_by_numbers_is_refused_not_read_as_1970(labels):
    raw = pd.DataFrame({"Close": [1.0, 2.0, 3.0]}, index=labels)
    with pytest.raises(ValueError, match=r"yahoo:X: the index holds numbers .*not dates"):
        normalize_price_frame(raw, "yahoo:X")


def test_a_complex_price_column_is_refused_by_name():
    raw = pd.DataFrame(
        {"Close": [1 + 1j, 2 + 0j]}, index=pd.to_datetime(["2020-01-02", "2020-01-03"])
    )
    with pytest.raises(ValueError, match=r"column 'close' is not numeric \(dtype complex128\)"):
        normalize_price_frame(raw, "yahoo:X")


@pytest.mark.parametrize(
    "entry",
    [
        lambda y: forecast.ARForecaster(1).fit(y),
        lambda y: forecast.NaiveForecaster().fit(y),
        lambda y: forecast.backtest(forecast.NaiveForecaster(), y, start=5),
    ],
    ids=["ar-fit", "naive-fit", "backtest"],
)
def test_a_bool_series_is_refused_with_the_cast_that_fixes_it(entry):
    y = pd.Series(np.arange(10) % 2 == 0)
    with pytest.raises(TypeError, match=r"y has dtype bool.*astype\(float\)"):
        entry(y)
