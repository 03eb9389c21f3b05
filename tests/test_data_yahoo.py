"""load_yahoo on recorded yfinance-shaped frames (both layouts), its cache and its failures.

No test touches the network: ``yfinance.download`` is replaced in every test, by default
with a function that fails like a machine without network.
"""

from __future__ import annotations

import inspect
import logging
import os
import time
import warnings

import numpy as np
import pandas as pd
import pytest
import yfinance

import forecast
from forecast.data import yahoo
from forecast.data.yahoo import YahooDownloadError, cache_path, load_yahoo
from forecast.data.yahoo_cache import STALE_TEMP_AGE

REAL_DOWNLOAD = yfinance.download


def _recorded(layout: str, *, ticker: str = "MSFT", adj: bool = False, rows: int = 20):
    """A frame shaped like yfinance's answer, holding real MSFT prices from the bundled data.

    ``layout``: "multi" (yfinance 1.x: columns MultiIndex (Price, Ticker), Price sorted),
    "multi_unnamed" (the same without level names), "by_ticker" (``group_by="ticker"``:
    (Ticker, Price)) or "flat" (one level, the older
    Open/High/Low/Close/Adj Close/Volume order).
    """
    msft = forecast.load_dataset("msft", calendar=None).iloc[-rows:]
    prices = {
        "Open": msft["open"],
        "High": msft["high"],
        "Low": msft["low"],
        "Close": msft["close"],
        "Volume": msft["volume"].astype(np.int64),
    }
    if adj:
        prices["Adj Close"] = msft["close"] * 0.98
    frame = pd.DataFrame(prices)
    frame.index = pd.DatetimeIndex(msft.index, name="Date")
    if layout == "flat":
        order = ["Open", "High", "Low", "Close"] + (["Adj Close"] if adj else []) + ["Volume"]
        return frame[order]
    frame = frame[sorted(frame.columns)]
    if layout in ("multi", "multi_unnamed"):
        names = ["Price", "Ticker"] if layout == "multi" else [None, None]
        frame.columns = pd.MultiIndex.from_product([frame.columns, [ticker]], names=names)
    else:
        frame.columns = pd.MultiIndex.from_product(
            [[ticker], frame.columns], names=["Ticker", "Price"]
        )
    return frame


class FakeDownload:
    """Stands in for ``yfinance.download``: records its calls, returns or raises ``answer``."""

    def __init__(self, answer):
        self.answer = answer
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, tickers, **kwargs):
        # the arguments must be ones the real function accepts
        inspect.signature(REAL_DOWNLOAD).bind(tickers, **kwargs)
        self.calls.append((tickers, kwargs))
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer.copy()


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """No network and a private cache root in every test."""
    monkeypatch.setenv("FORECAST_CACHE_DIR", str(tmp_path / "cache-root"))
    fake = FakeDownload(ConnectionError("network disabled in tests"))
    monkeypatch.setattr(yfinance, "download", fake)
    return fake


@pytest.fixture
def serve(monkeypatch):
    """Make ``yfinance.download`` answer with a given frame (or exception)."""

    def install(answer):
        fake = FakeDownload(answer)
        monkeypatch.setattr(yfinance, "download", fake)
        return fake

    return install


def _expected(rows: int = 20) -> pd.DataFrame:
    msft = forecast.load_dataset("msft", calendar=None)
    return msft.iloc[-rows:][["open", "high", "low", "close", "volume"]]


# --- both layouts -------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["multi", "multi_unnamed", "by_ticker", "flat"])
def test_layouts_give_the_package_shape(serve, tmp_path, layout):
    fake = serve(_recorded(layout))
    frame = load_yahoo("MSFT", cache_dir=tmp_path)
    pd.testing.assert_frame_equal(frame, _expected(), check_exact=True)
    assert frame.index.name == "date" and frame.index.tz is None
    assert len(fake.calls) == 1


def test_download_arguments_are_explicit(serve, tmp_path):
    fake = serve(_recorded("multi"))
    load_yahoo("msft", start="2017-10-13", end="2017-11-11", cache_dir=tmp_path)
    load_yahoo("MSFT", cache_dir=tmp_path / "other", auto_adjust=False, interval="1wk")
    (ticker, first), (_, second) = fake.calls
    assert ticker == "MSFT"  # upper-cased
    assert first["auto_adjust"] is True and second["auto_adjust"] is False
    assert first["progress"] is False
    assert (first["start"], first["end"], first["interval"]) == ("2017-10-13", "2017-11-11", "1d")
    assert "period" not in first
    assert second["period"] == "max" and "start" not in second
    assert second["interval"] == "1wk"


def test_auto_adjust_false_keeps_adj_close(serve, tmp_path):
    for layout in ["multi", "flat"]:
        serve(_recorded(layout, adj=True))
        frame = load_yahoo("MSFT", auto_adjust=False, cache_dir=tmp_path / layout)
        assert list(frame.columns) == ["open", "high", "low", "close", "adj_close", "volume"]
        np.testing.assert_allclose(frame["adj_close"], _expected()["close"] * 0.98, rtol=0)


def test_tz_aware_intraday_index_keeps_exchange_wall_time_and_zone(serve, tmp_path):
    recorded = _recorded("multi", rows=3)
    stamps = ["2017-11-10 09:30", "2017-11-10 09:31", "2017-11-10 09:32"]
    recorded.index = pd.DatetimeIndex(stamps, name="Datetime").tz_localize("America/New_York")
    serve(recorded)
    frame = load_yahoo("MSFT", interval="1m", cache_dir=tmp_path)
    assert str(frame.index.tz) == "America/New_York"  # the zone is kept (issue 12)
    expected = pd.DatetimeIndex(stamps, name="date").tz_localize("America/New_York")
    assert frame.index.equals(expected)
    # and the cached copy reads back identically, times included
    again = load_yahoo("MSFT", interval="1m", cache_dir=tmp_path)
    pd.testing.assert_frame_equal(again, frame, check_exact=True)


def test_wrong_ticker_in_multiindex_is_refused(serve, tmp_path):
    serve(_recorded("multi", ticker="AAPL"))
    with pytest.raises(ValueError, match=r"returned tickers \['AAPL'\], not 'MSFT'"):
        load_yahoo("MSFT", cache_dir=tmp_path)


def test_missing_values_in_a_download_are_named_and_not_cached(serve, tmp_path):
    recorded = _recorded("multi")
    recorded.iloc[[3, 7], 0] = np.nan  # Close on two days
    serve(recorded)
    first_bad = _expected().index[3].strftime("%Y-%m-%d")
    with pytest.raises(ValueError, match=rf"yahoo:MSFT: 2 missing value\(s\).*{first_bad}"):
        load_yahoo("MSFT", cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- the cache ----------------------------------------------------------------------------


def test_cache_hit_serves_without_the_network(serve, tmp_path):
    fake = serve(_recorded("multi"))
    first = load_yahoo("MSFT", start="2017-01-01", cache_dir=tmp_path)
    path = cache_path("MSFT", "2017-01-01", cache_dir=tmp_path)
    assert path.is_file()
    assert path.name == "MSFT_1d_2017-01-01_latest_adjusted.csv"
    serve(ConnectionError("must not be called"))
    second = load_yahoo("msft", start="2017-01-01", cache_dir=tmp_path)
    pd.testing.assert_frame_equal(second, first, check_exact=True)
    assert len(fake.calls) == 1


def test_cache_key_separates_interval_dates_and_adjustment(tmp_path):
    base = cache_path("MSFT", cache_dir=tmp_path)
    others = {
        cache_path("MSFT", interval="1wk", cache_dir=tmp_path),
        cache_path("MSFT", start="2017-01-01", cache_dir=tmp_path),
        cache_path("MSFT", end="2017-01-01", cache_dir=tmp_path),
        cache_path("MSFT", auto_adjust=False, cache_dir=tmp_path),
        cache_path("AAPL", cache_dir=tmp_path),
    }
    assert len(others) == 5 and base not in others
    assert all(p.parent == tmp_path for p in others)
    # the same day written two ways is the same key
    assert cache_path("MSFT", start=pd.Timestamp("2017-01-01"), cache_dir=tmp_path) == cache_path(
        "MSFT", start="2017-01-01", cache_dir=tmp_path
    )


def test_default_cache_dir_is_per_user_and_overridable(monkeypatch, tmp_path):
    assert cache_path("MSFT").parent == tmp_path / "cache-root" / "yahoo"
    monkeypatch.delenv("FORECAST_CACHE_DIR")
    if os.name == "posix" and os.uname().sysname == "Linux":
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert cache_path("MSFT").parent == tmp_path / "xdg" / "forecast" / "yahoo"
    assert cache_path("MSFT", cache_dir=tmp_path / "mine").parent == tmp_path / "mine"


def test_default_cache_dir_is_used(serve, tmp_path):
    serve(_recorded("flat"))
    load_yahoo("MSFT")
    assert (tmp_path / "cache-root" / "yahoo" / "MSFT_1d_first_latest_adjusted.csv").is_file()


def test_stale_cache_and_refresh_download_again(serve, tmp_path):
    fake = serve(_recorded("multi"))
    load_yahoo("MSFT", cache_dir=tmp_path)
    path = cache_path("MSFT", cache_dir=tmp_path)
    load_yahoo("MSFT", cache_dir=tmp_path, refresh=True)
    assert len(fake.calls) == 2
    two_days_ago = time.time() - 2 * 86400
    os.utime(path, (two_days_ago, two_days_ago))
    load_yahoo("MSFT", cache_dir=tmp_path)  # older than the default max_age of a day
    assert len(fake.calls) == 3
    os.utime(path, (two_days_ago, two_days_ago))
    load_yahoo("MSFT", cache_dir=tmp_path, max_age=None)  # never expires
    load_yahoo("MSFT", cache_dir=tmp_path, max_age=pd.Timedelta(days=3).to_pytimedelta())
    assert len(fake.calls) == 3


def test_cache_round_trip_is_exact(serve, tmp_path):
    recorded = _recorded("flat")
    recorded["Close"] = recorded["Close"] + np.linspace(1e-9, 1e-7, len(recorded)) / 3
    recorded.index = recorded.index.as_unit("s")  # any resolution comes back as ns
    serve(recorded)
    downloaded = load_yahoo("MSFT", cache_dir=tmp_path)
    cached = load_yahoo("MSFT", cache_dir=tmp_path)
    assert downloaded.index.dtype == np.dtype("datetime64[ns]")
    pd.testing.assert_frame_equal(cached, downloaded, check_exact=True)


def test_corrupt_cache_file_is_reported_as_corrupt_and_replaced(serve, tmp_path, caplog):
    path = cache_path("MSFT", cache_dir=tmp_path)
    path.write_text("date,close\n2017-01-03,1.0\n2017-01-0")
    fake = serve(_recorded("multi"))
    with caplog.at_level(logging.WARNING, logger="forecast.data.yahoo"):
        frame = load_yahoo("MSFT", cache_dir=tmp_path)
    assert f"the cache file '{path}' is corrupt" in caplog.text
    assert "downloaded again and replaced it" in caplog.text
    assert len(fake.calls) == 1
    pd.testing.assert_frame_equal(frame, _expected(), check_exact=True)
    pd.testing.assert_frame_equal(load_yahoo("MSFT", cache_dir=tmp_path), frame, check_exact=True)


# --- atomic writes ------------------------------------------------------------------------


def _crash_half_way(frame, handle):
    handle.write(frame.to_csv()[:200])  # a partial file on disk ...
    raise RuntimeError("simulated crash while writing")  # ... then the process dies


def test_crash_mid_write_leaves_no_cache_file(serve, monkeypatch, tmp_path):
    serve(_recorded("multi"))
    monkeypatch.setattr(yahoo, "_write_frame", _crash_half_way)
    with pytest.raises(RuntimeError, match="simulated crash"):
        load_yahoo("MSFT", cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []  # neither the cache file nor a temporary file
    serve(ConnectionError("offline now"))
    with pytest.raises(YahooDownloadError, match="no cached copy"):
        load_yahoo("MSFT", cache_dir=tmp_path)


def test_crash_mid_rewrite_keeps_the_old_cache_intact(serve, monkeypatch, tmp_path):
    serve(_recorded("multi"))
    old = load_yahoo("MSFT", cache_dir=tmp_path)
    path = cache_path("MSFT", cache_dir=tmp_path)
    before = path.read_bytes()
    serve(_recorded("multi", rows=25))
    monkeypatch.setattr(yahoo, "_write_frame", _crash_half_way)
    with pytest.raises(RuntimeError, match="simulated crash"):
        load_yahoo("MSFT", cache_dir=tmp_path, refresh=True)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    pd.testing.assert_frame_equal(load_yahoo("MSFT", cache_dir=tmp_path), old, check_exact=True)


def test_unwritable_cache_still_returns_the_download(serve, monkeypatch, tmp_path, caplog):
    def disk_full(frame, handle):
        raise OSError(28, "No space left on device")

    serve(_recorded("multi"))
    monkeypatch.setattr(yahoo, "_write_frame", disk_full)
    with caplog.at_level(logging.WARNING, logger="forecast.data.yahoo"):
        frame = load_yahoo("MSFT", cache_dir=tmp_path)
    pd.testing.assert_frame_equal(frame, _expected(), check_exact=True)
    assert "No space left on device" in caplog.text
    assert list(tmp_path.iterdir()) == []


# --- offline ------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", ["exception", "empty frame"])
def test_offline_with_a_cache_serves_it_with_a_warning(serve, tmp_path, caplog, failure):
    serve(_recorded("multi"))
    cached = load_yahoo("MSFT", cache_dir=tmp_path)
    path = cache_path("MSFT", cache_dir=tmp_path)
    old = time.time() - 30 * 86400
    os.utime(path, (old, old))
    fake = serve(ConnectionError("no route to host") if failure == "exception" else pd.DataFrame())
    with caplog.at_level(logging.WARNING, logger="forecast.data.yahoo"):
        frame = load_yahoo("MSFT", cache_dir=tmp_path)
    assert len(fake.calls) == 1  # it tried the network first: the copy was stale
    pd.testing.assert_frame_equal(frame, cached, check_exact=True)
    assert "download failed" in caplog.text and str(path) in caplog.text


def test_offline_without_a_cache_names_the_path_and_the_bundled_data(tmp_path):
    with pytest.raises(YahooDownloadError) as info:
        load_yahoo("MSFT", cache_dir=tmp_path)
    assert isinstance(info.value, ConnectionError)
    message = str(info.value)
    assert str(cache_path("MSFT", cache_dir=tmp_path)) in message
    assert "network disabled in tests" in message
    assert "forecast.load_dataset" in message
    for name in forecast.list_datasets():
        assert repr(name) in message


@pytest.mark.parametrize("layout", ["multi", "flat"])
def test_empty_frame_is_an_error_naming_the_ticker(serve, tmp_path, layout):
    empty = _recorded(layout).iloc[:0]
    serve(empty)
    with pytest.raises(YahooDownloadError, match=r"no rows for ticker 'NOSUCH'"):
        load_yahoo("NOSUCH", cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ticker",
    ["../etc/passwd", "..", ".", "a/b", "a\\b", "", "X" * 21, "MSFT AAPL", "MSFT,AAPL", "~"],
)
def test_ticker_that_could_escape_the_cache_is_refused(offline, tmp_path, ticker):
    with pytest.raises(ValueError, match="invalid ticker"):
        load_yahoo(ticker, cache_dir=tmp_path)
    assert offline.calls == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ticker", ["^GSPC", "BRK-B", "EURUSD=X", "BTC-USD", "RDS.A", "msft"])
def test_real_ticker_shapes_are_accepted_and_stay_in_the_cache_dir(tmp_path, ticker):
    path = cache_path(ticker, cache_dir=tmp_path)
    assert path.parent == tmp_path
    assert path.name.startswith(ticker.upper() + "_")


def test_non_string_ticker_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match="ticker must be a string"):
        load_yahoo(["MSFT"], cache_dir=tmp_path)


def test_invalid_interval_names_it_and_the_choices(tmp_path):
    with pytest.raises(ValueError, match=r"interval='2d'.*'1m'.*'3mo'"):
        load_yahoo("MSFT", interval="2d", cache_dir=tmp_path)


def test_bad_dates_and_max_age(tmp_path):
    with pytest.raises(ValueError, match="start must be before end"):
        load_yahoo("MSFT", start="2020-01-02", end="2020-01-01", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="start must be a date.*'someday'"):
        load_yahoo("MSFT", start="someday", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="max_age must be >= 0"):
        load_yahoo("MSFT", max_age=-1, cache_dir=tmp_path)
    with pytest.raises(TypeError, match="auto_adjust must be True or False"):
        load_yahoo("MSFT", auto_adjust="yes", cache_dir=tmp_path)


def test_refresh_and_cache_dir_of_the_wrong_type_are_named(offline, tmp_path):
    with pytest.raises(TypeError, match="refresh must be True or False, got 'no'"):
        load_yahoo("MSFT", refresh="no", cache_dir=tmp_path)
    with pytest.raises(TypeError, match="cache_dir must be a folder path or None, got 3"):
        load_yahoo("MSFT", cache_dir=3)
    assert offline.calls == []


# --- issue 12: tickers, stale temporary files, corrupt cache, a quiet yfinance -------------


@pytest.mark.parametrize("ticker", ["MSFT\n", "MSFT\r\n", "\nMSFT", "MSFT\t", "MS\nFT"])
def test_ticker_with_a_newline_or_tab_is_refused_and_writes_nothing(offline, tmp_path, ticker):
    with pytest.raises(ValueError, match="invalid ticker"):
        yahoo.check_ticker(ticker)
    with pytest.raises(ValueError, match="invalid ticker"):
        load_yahoo(ticker, cache_dir=tmp_path)
    assert offline.calls == [] and list(tmp_path.iterdir()) == []


def _temp_file(folder, name, age_seconds, size=1000):
    path = folder / name
    path.write_bytes(b"x" * size)
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


def test_stale_temporary_files_are_removed_and_fresh_ones_kept(serve, tmp_path, caplog):
    stale = _temp_file(tmp_path, ".MSFT_1d_first_latest_adjusted.csv.k2j4h1.tmp", 2 * 3600)
    other = _temp_file(tmp_path, ".AAPL_1d_first_latest_adjusted.csv.abcd.tmp", 2 * 3600)
    fresh = _temp_file(tmp_path, ".MSFT_1d_first_latest_adjusted.csv.live01.tmp", 5)
    unrelated = _temp_file(tmp_path, "notes.tmp", 2 * 3600)
    serve(_recorded("multi"))
    with caplog.at_level(logging.INFO, logger="forecast.data.yahoo_cache"):
        load_yahoo("MSFT", cache_dir=tmp_path)
    assert not stale.exists() and not other.exists()
    assert fresh.exists() and unrelated.exists()
    assert str(stale) in caplog.text and "stale temporary cache file" in caplog.text
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([fresh.name, unrelated.name, "MSFT_1d_first_latest_adjusted.csv"])


def test_stale_temporary_files_are_removed_even_when_the_cache_is_fresh(serve, tmp_path):
    serve(_recorded("multi"))
    load_yahoo("MSFT", cache_dir=tmp_path)
    stale = _temp_file(tmp_path, ".MSFT_1d_first_latest_adjusted.csv.q.tmp", 3 * 3600)
    fake = serve(ConnectionError("must not be called"))
    load_yahoo("MSFT", cache_dir=tmp_path)
    assert fake.calls == [] and not stale.exists()
    assert yahoo.remove_stale_temp_files(tmp_path / "missing") == []


KILLED_WRITER = """
import os, signal, sys
import pandas as pd, yfinance
import forecast
from forecast.data import yahoo

msft = forecast.load_dataset("msft", calendar=None).iloc[-50:]
raw = msft[["open", "high", "low", "close", "volume"]].set_axis(
    ["Open", "High", "Low", "Close", "Volume"], axis=1)
yfinance.download = lambda *args, **kwargs: raw

def killed(frame, handle):
    handle.write(frame.to_csv()[:300])
    handle.flush()
    os.kill(os.getpid(), signal.SIGKILL)

yahoo._write_frame = killed
yahoo.load_yahoo("MSFT", cache_dir=sys.argv[1])
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_writer_killed_mid_write_leaves_a_temporary_file_that_a_later_call_removes(
    serve, tmp_path
):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr
    (orphan,) = tmp_path.iterdir()  # the killed writer's temporary file, nothing else
    assert orphan.name.startswith(".MSFT_1d_first_latest_adjusted.csv.")
    assert orphan.name.endswith(".tmp") and orphan.stat().st_size == 300
    serve(_recorded("multi"))
    load_yahoo("MSFT", cache_dir=tmp_path)
    assert orphan.exists()  # younger than STALE_TEMP_AGE: it could belong to a live writer
    old = time.time() - STALE_TEMP_AGE - 1
    os.utime(orphan, (old, old))
    load_yahoo("MSFT", cache_dir=tmp_path, refresh=True)
    assert [p.name for p in tmp_path.iterdir()] == ["MSFT_1d_first_latest_adjusted.csv"]


CORRUPT = {
    "truncated": b"date,close\n2017-01-03,1.0\n2017-01-0",
    "binary": bytes(range(256)) * 4,
    "empty": b"",
    "no date column": b"when,close\n2017-01-03,1.0\n",
    "text in prices": b"date,close\n2017-01-03,abc\n",
}


@pytest.mark.parametrize("content", CORRUPT.values(), ids=CORRUPT.keys())
def test_corrupt_cache_and_failed_download_name_the_file_as_corrupt(tmp_path, content):
    path = cache_path("MSFT", cache_dir=tmp_path)
    path.write_bytes(content)
    with pytest.raises(YahooDownloadError) as info:
        load_yahoo("MSFT", cache_dir=tmp_path)  # fresh but unreadable, then offline
    message = str(info.value)
    assert f"the cached copy '{path}' is corrupt" in message
    assert "no cached copy" not in message
    assert info.value.cache_file == path and info.value.cache_problem.startswith("corrupt: ")
    with pytest.raises(yahoo.CorruptCacheError, match="is corrupt"):
        yahoo.read_cache(path, "yahoo:MSFT")


# a failed download as yfinance 1.x reports it offline (recorded from a machine without DNS)
YF_DNS_LOG = [
    (logging.WARNING, "Cookie/crumb fetch failed (DNSError), continuing without crumb"),
    (logging.ERROR, "Failed to get ticker 'MSFT' reason: Failed to perform, curl: (6) Could not "
     "resolve host: query2.finance.yahoo.com (Domain name not found). See "
     "https://curl.se/libcurl/c/libcurl-errors.html first for more details."),
    (logging.WARNING, "Cookie/crumb fetch failed (DNSError), continuing without crumb"),
    (logging.ERROR, "\n1 Failed download:"),
    (logging.ERROR, "['MSFT']: DNSError('Failed to perform, curl: (6) Could not resolve host: "
     "query2.finance.yahoo.com. See https://curl.se/libcurl/c/libcurl-errors.html first for "
     "more details.')"),
]


class Pandas4Warning(DeprecationWarning):
    """Stands in for pandas' Pandas4Warning (pandas 3.1)."""


class NoisyDownload(FakeDownload):
    """``yfinance.download`` failing like yfinance: log lines, warnings, then ``answer``."""

    def __init__(self, answer, log=YF_DNS_LOG):
        super().__init__(answer)
        self.log = log

    def __call__(self, tickers, **kwargs):
        yf_logger = logging.getLogger("yfinance")
        for level, text in self.log:
            yf_logger.log(level, text)
        warnings.warn("The inplace keyword in DataFrame.rename is deprecated", Pandas4Warning,
                      stacklevel=1)
        warnings.warn("The inplace keyword in DataFrame.sort_index is deprecated",
                      Pandas4Warning, stacklevel=1)
        return super().__call__(tickers, **kwargs)


def _yf_logger_state():
    yf_logger = logging.getLogger("yfinance")
    return list(yf_logger.handlers), yf_logger.propagate, yf_logger.level


@pytest.mark.parametrize("answer", [pd.DataFrame(), ConnectionError("Could not resolve host: x")])
def test_offline_yfinance_is_silenced_and_the_network_named(
    monkeypatch, tmp_path, capsys, caplog, answer
):
    monkeypatch.setattr(yfinance, "download", NoisyDownload(answer))
    logger_before, filters_before = _yf_logger_state(), list(warnings.filters)
    with caplog.at_level(logging.DEBUG), pytest.raises(YahooDownloadError) as info:
        load_yahoo("MSFT", cache_dir=tmp_path)
    err = info.value
    assert err.network is True and err.ticker == "MSFT" and err.cache_problem == "missing"
    assert "name resolution of query2.finance.yahoo.com failed: no network" in str(err)
    assert capsys.readouterr() == ("", "")  # nothing printed
    assert not [r for r in caplog.records if r.name == "yfinance"]  # nothing propagated
    kept = [r.getMessage() for r in caplog.records if r.name == "forecast.data.yfinance_calls"]
    assert any("1 Failed download:" in m for m in kept)  # ... but kept at DEBUG level
    assert any("Pandas4Warning: The inplace keyword" in m for m in kept)
    assert _yf_logger_state() == logger_before and warnings.filters == filters_before


def test_unknown_ticker_is_not_called_a_network_failure(monkeypatch, tmp_path):
    log = [(logging.ERROR, "\n1 Failed download:"),
           (logging.ERROR, "['NOSUCH']: possibly delisted; no price data found  (period=max)")]
    monkeypatch.setattr(yfinance, "download", NoisyDownload(pd.DataFrame(), log=log))
    with pytest.raises(YahooDownloadError) as info:
        load_yahoo("NOSUCH", cache_dir=tmp_path)
    assert info.value.network is False
    assert "no rows for ticker 'NOSUCH': ['NOSUCH']: possibly delisted" in str(info.value)
    assert "name resolution" not in str(info.value)


def test_download_serves_a_good_answer_despite_yfinance_noise(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(yfinance, "download", NoisyDownload(_recorded("multi"), log=YF_DNS_LOG[:1]))
    frame = load_yahoo("MSFT", cache_dir=tmp_path)
    pd.testing.assert_frame_equal(frame, _expected(), check_exact=True)
    assert capsys.readouterr() == ("", "")
