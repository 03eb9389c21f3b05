"""load_csv: users' price files, wide and long, and every way such a file goes wrong."""

from __future__ import annotations

import gzip
import logging

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast import load_csv
from forecast.data.bundled import dataset_path

WIDE = """Date,Open,High,Low,Close,Adj Close,Volume
2020-01-02,10.0,11.0,9.5,10.5,10.4,1000
2020-01-03,10.5,11.5,10.0,11.0,10.9,1200
2020-01-06,11.0,12.0,10.5,11.5,11.4,900
2020-01-07,11.5,12.5,11.0,12.0,11.9,1100
"""


def _write(tmp_path, text, name="prices.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _closes(dates, values):
    lines = ["date,close"] + [f"{d},{v}" for d, v in zip(dates, values, strict=True)]
    return "\n".join(lines) + "\n"


DAYS = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08"]


# --- the bundled files read as users' files give the same frames as load_dataset ----------


@pytest.mark.parametrize("name", ["sp500", "msft"])
def test_bundled_daily_files_read_like_load_dataset(name):
    frame = load_csv(dataset_path(name))  # gzip, detected from the extension
    expected = forecast.load_dataset(name, calendar=None)
    pd.testing.assert_frame_equal(frame[expected.columns], expected, check_exact=True)
    if name == "msft":
        assert list(frame.columns) == ["open", "high", "low", "close", "volume", "OpenInt"]


def test_bundled_long_file_per_symbol_matches_load_dataset():
    for symbol in ["AAPL", "GOOG", "IBM"]:
        frame = load_csv(dataset_path("stocks_monthly"), symbol=symbol)
        expected = forecast.load_dataset("stocks_monthly", symbol=symbol)
        pd.testing.assert_frame_equal(frame, expected, check_exact=True)


def test_bundled_long_file_without_symbol_reports_goog_before_listing():
    with pytest.raises(ValueError, match=r"55 missing value\(s\).*GOOG: 55.*2000-01-01") as info:
        load_csv(dataset_path("stocks_monthly"))
    assert "symbol=" in str(info.value)


def test_bundled_long_file_drop_keeps_the_common_range():
    frame = load_csv(dataset_path("stocks_monthly"), missing="drop")
    expected = forecast.load_dataset("stocks_monthly").dropna()
    expected.index = expected.index.as_unit("ns")  # the price-frame resolution
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    assert frame.shape == (68, 5)
    assert frame.index[0] == pd.Timestamp("2004-08-01")


def test_bundled_long_file_columns_select_symbols():
    frame = load_csv(dataset_path("stocks_monthly"), columns=["MSFT", "IBM"])
    assert list(frame.columns) == ["MSFT", "IBM"]
    assert frame.shape == (123, 2)
    assert frame.loc["2000-01-01", "IBM"] == 100.52


# --- wide files ---------------------------------------------------------------------------


def test_wide_file_gets_the_package_shape(tmp_path):
    frame = load_csv(_write(tmp_path, WIDE))
    assert list(frame.columns) == ["open", "high", "low", "close", "adj_close", "volume"]
    assert frame.index.name == "date"
    assert frame.index.equals(pd.DatetimeIndex(DAYS[:4], name="date"))
    assert (frame.dtypes == np.float64).all()
    np.testing.assert_array_equal(frame["close"], [10.5, 11.0, 11.5, 12.0])
    np.testing.assert_array_equal(frame["adj_close"], [10.4, 10.9, 11.4, 11.9])


def test_columns_selects_case_insensitively_and_names_unknown(tmp_path):
    path = _write(tmp_path, WIDE)
    frame = load_csv(path, columns=["Close", "volume"])
    assert list(frame.columns) == ["close", "volume"]
    with pytest.raises(ValueError, match=r"no column\(s\) \['bid'\].*'close'"):
        load_csv(path, columns=["bid"])


def test_wide_file_of_closes_per_symbol_keeps_symbol_names(tmp_path):
    path = _write(tmp_path, "date,AAPL,MSFT\n2020-01-02,300.35,160.62\n2020-01-03,297.43,158.62\n")
    frame = load_csv(path)
    assert list(frame.columns) == ["AAPL", "MSFT"]
    assert frame.loc["2020-01-03", "MSFT"] == 158.62


def test_gzip_file(tmp_path):
    path = tmp_path / "prices.csv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(WIDE)
    pd.testing.assert_frame_equal(load_csv(path), load_csv(_write(tmp_path, WIDE)))


def test_date_column_by_name_and_date_format(tmp_path):
    text = "Day,Close\n03/01/2020,1.5\n13/01/2020,2.5\n"
    path = _write(tmp_path, text)
    with pytest.raises(ValueError, match=r"no date column found.*\['Day', 'Close'\].*date_column="):
        load_csv(path)
    frame = load_csv(path, date_column="Day", date_format="%d/%m/%Y")
    assert frame.index.equals(pd.DatetimeIndex(["2020-01-03", "2020-01-13"], name="date"))
    with pytest.raises(ValueError, match=r"no date column 'When'"):
        load_csv(path, date_column="When")


def test_unsorted_file_is_sorted_keeping_each_value_with_its_date(tmp_path, caplog):
    path = _write(tmp_path, _closes(DAYS[::-1], [5.0, 4.0, 3.0, 2.0, 1.0]))
    with caplog.at_level(logging.INFO, logger="forecast.data.csv"):
        frame = load_csv(path)
    assert frame.index.equals(pd.DatetimeIndex(DAYS, name="date"))
    np.testing.assert_array_equal(frame["close"], [1.0, 2.0, 3.0, 4.0, 5.0])
    assert "sorting" in caplog.text


def test_tz_aware_dates_keep_wall_time_and_their_offset(tmp_path):
    text = "date,close\n2020-01-02T09:30:00-05:00,1\n2020-01-02T09:31:00-05:00,2\n"
    path = _write(tmp_path, text)
    frame = load_csv(path)
    assert str(frame.index.tz) == "UTC-05:00"  # the zone is kept (issue 12)
    assert frame.index[0] == pd.Timestamp("2020-01-02 09:30", tz="-05:00")


# --- long files ---------------------------------------------------------------------------


LONG = """symbol,date,price
AAA,2020-01-02,1.0
BBB,2020-01-02,10.0
AAA,2020-01-03,1.5
BBB,2020-01-03,10.5
AAA,2020-01-06,2.0
BBB,2020-01-06,11.0
"""


def test_long_file_gives_one_column_per_symbol(tmp_path):
    frame = load_csv(_write(tmp_path, LONG))
    assert list(frame.columns) == ["AAA", "BBB"]
    np.testing.assert_array_equal(frame["BBB"], [10.0, 10.5, 11.0])
    assert frame.index.equals(pd.DatetimeIndex(DAYS[:3], name="date"))


def test_long_file_with_symbol_gives_close(tmp_path):
    path = _write(tmp_path, LONG)
    frame = load_csv(path, symbol="AAA")
    assert list(frame.columns) == ["close"]
    np.testing.assert_array_equal(frame["close"], [1.0, 1.5, 2.0])
    with pytest.raises(ValueError, match=r"symbol='CCC'.*'AAA', 'BBB'"):
        load_csv(path, symbol="CCC")


def test_long_file_with_ohlc_needs_a_symbol(tmp_path):
    text = "ticker,date,open,close\nAAA,2020-01-02,1,2\nBBB,2020-01-02,3,4\n"
    path = _write(tmp_path, text)
    with pytest.raises(ValueError, match=r"several price columns.*symbol=.*'AAA', 'BBB'"):
        load_csv(path)
    frame = load_csv(path, symbol="BBB")
    assert list(frame.columns) == ["open", "close"]
    np.testing.assert_array_equal(frame.iloc[0], [3.0, 4.0])


def test_long_file_duplicated_symbol_date_names_it_and_its_lines(tmp_path):
    path = _write(tmp_path, LONG + "BBB,2020-01-03,99\n")
    expected = r"1 duplicated \(symbol, date\).*'BBB' on 2020-01-03, lines 5, 8"
    with pytest.raises(ValueError, match=expected):
        load_csv(path)
    with pytest.raises(ValueError, match=r"duplicated date.*2020-01-03 on lines 5, 8"):
        load_csv(path, symbol="BBB")


def test_symbol_on_a_wide_file_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"symbol='AAPL' needs a long file"):
        load_csv(_write(tmp_path, WIDE), symbol="AAPL")


# --- missing values ---------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["", ".", "null", "NA", "NaN", "-", "N/A", " . "])
def test_each_missing_marker_is_found_and_reported(tmp_path, marker):
    path = _write(tmp_path, _closes(DAYS, ["1.0", "2.0", marker, "4.0", "5.0"]))
    with pytest.raises(ValueError, match=r"1 missing value\(s\) in 1 row\(s\).*2020-01-06"):
        load_csv(path)


def test_missing_report_counts_and_names_the_first_dates(tmp_path):
    text = "date,open,close\n" + "\n".join(
        [
            "2020-01-02,1,1",
            "2020-01-03,.,null",
            "2020-01-06,3,3",
            "2020-01-07,4,",
            "2020-01-08,5,5",
        ]
    )
    with pytest.raises(ValueError) as info:
        load_csv(_write(tmp_path, text + "\n"))
    message = str(info.value)
    assert "3 missing value(s) in 2 row(s)" in message
    assert "open: 1, close: 2" in message
    assert "first dates affected: 2020-01-03, 2020-01-07" in message
    assert "missing='drop'" in message and "missing='ffill'" in message


def test_missing_drop_removes_only_those_rows(tmp_path):
    path = _write(tmp_path, _closes(DAYS, ["1.0", ".", "3.0", "", "5.0"]))
    frame = load_csv(path, missing="drop")
    assert frame.index.equals(pd.DatetimeIndex([DAYS[0], DAYS[2], DAYS[4]], name="date"))
    np.testing.assert_array_equal(frame["close"], [1.0, 3.0, 5.0])


def test_missing_ffill_carries_the_last_value(tmp_path):
    path = _write(tmp_path, _closes(DAYS, ["1.0", ".", "null", "4.0", "-"]))
    frame = load_csv(path, missing="ffill")
    np.testing.assert_array_equal(frame["close"], [1.0, 1.0, 1.0, 4.0, 4.0])
    assert len(frame) == 5


def test_missing_ffill_refuses_leading_gaps(tmp_path):
    path = _write(tmp_path, _closes(DAYS, [".", "", "3.0", "4.0", "5.0"]))
    expected = r"before a column's first observation.*2 missing.*2020-01-02, 2020-01-03"
    with pytest.raises(ValueError, match=expected):
        load_csv(path, missing="ffill")


def test_missing_only_in_unselected_columns_is_fine(tmp_path):
    text = "date,open,close\n2020-01-02,.,1\n2020-01-03,2,2\n"
    frame = load_csv(_write(tmp_path, text), columns=["close"])
    np.testing.assert_array_equal(frame["close"], [1.0, 2.0])


def test_unknown_missing_policy_names_the_choices(tmp_path):
    with pytest.raises(ValueError, match=r"missing='zero'.*'raise', 'drop', 'ffill'"):
        load_csv(_write(tmp_path, WIDE), missing="zero")


# --- malformed files ----------------------------------------------------------------------


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nope" / "prices.csv"
    with pytest.raises(FileNotFoundError, match="nope/prices.csv"):
        load_csv(path)


def test_empty_file(tmp_path):
    with pytest.raises(ValueError, match="prices.csv: the file is empty"):
        load_csv(_write(tmp_path, ""))


def test_header_without_rows(tmp_path):
    with pytest.raises(ValueError, match=r"header \['date', 'close'\] but no data rows"):
        load_csv(_write(tmp_path, "date,close\n"))


def test_no_price_columns(tmp_path):
    with pytest.raises(ValueError, match="no price columns"):
        load_csv(_write(tmp_path, "date\n2020-01-02\n"))


def test_unparseable_date_names_value_and_line(tmp_path):
    dates = ["2020-01-02", "2020-01-03", "2020-13-45", "yesterday"]
    path = _write(tmp_path, _closes(dates, [1, 2, 3, 4]))
    with pytest.raises(ValueError, match=r"2 date\(s\) could not be parsed.*2020-13-45. at line 4"):
        load_csv(path)


def test_date_against_explicit_format_names_it(tmp_path):
    path = _write(tmp_path, _closes(["02/01/2020", "2020-01-03"], [1, 2]))
    with pytest.raises(ValueError, match=r"format '%d/%m/%Y'.*'2020-01-03' at line 3"):
        load_csv(path, date_format="%d/%m/%Y")


def test_empty_date_cell_names_its_line(tmp_path):
    path = _write(tmp_path, "date,close\n2020-01-02,1\n,2\n")
    with pytest.raises(ValueError, match=r"1 row\(s\) without a date; the first is line 3"):
        load_csv(path)


def test_non_numeric_price_names_value_column_and_line(tmp_path):
    path = _write(tmp_path, _closes(DAYS, ["1.0", "2.0", "3.0", '"4,5"', "abc"]))
    expected = r"column 'close' holds 2 non-numeric value\(s\); the first is '4,5' at line 5"
    with pytest.raises(ValueError, match=expected):
        load_csv(path)


def test_line_numbers_count_blank_lines(tmp_path):
    path = _write(tmp_path, "date,close\n2020-01-02,1\n\n2020-01-03,x\n")
    with pytest.raises(ValueError, match="'x' at line 4"):
        load_csv(path)


def test_duplicated_date_names_it_and_its_lines(tmp_path):
    dates = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-03"]
    path = _write(tmp_path, _closes(dates, [1, 2, 3, 4]))
    expected = r"1 duplicated date\(s\); the first is 2020-01-03 on lines 3, 5"
    with pytest.raises(ValueError, match=expected):
        load_csv(path)


def test_ragged_rows_are_a_clear_error(tmp_path):
    path = _write(tmp_path, "date,close\n2020-01-02,1\n2020-01-03,2,3,4\n")
    with pytest.raises(ValueError, match="not a well-formed CSV file"):
        load_csv(path)


def test_infinite_price_is_refused(tmp_path):
    path = _write(tmp_path, _closes(DAYS[:3], ["1.0", "inf", "3.0"]))
    with pytest.raises(ValueError, match=r"1 infinite value\(s\).*2020-01-03"):
        load_csv(path)


# --- issue 12: raw errors from the reader become named ones; bounded reading --------------


@pytest.mark.parametrize(("cell", "line"), [("1200-01-01", 2), ("3000-01-02", 3)])
def test_date_outside_the_range_pandas_holds_names_value_and_line(tmp_path, cell, line):
    dates = ["2020-01-02", cell] if line == 3 else [cell, "2020-01-03"]
    path = _write(tmp_path, _closes(dates, [1.0, 2.0]))
    with pytest.raises(ValueError, match=rf"1 date\(s\) outside the range pandas can hold "
                       rf"\(1677-09-21 .. 2262-04-11\); the first is '{cell}' at line {line}"):
        load_csv(path)


def test_latin1_file_names_the_line_and_reads_with_encoding(tmp_path):
    path = tmp_path / "prices.csv"
    text = "symbol,date,price\nAB,2020-01-02,1.5\nSoci\xe9t\xe9,2020-01-02,2.5\n"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ValueError, match=r"prices.csv: line 3 is not valid UTF-8 text "
                       r"\(byte b'\\xe9'.*encoding='latin-1'"):
        load_csv(path)
    frame = load_csv(path, encoding="latin-1", symbol="Soci\xe9t\xe9")
    assert frame["close"].tolist() == [2.5]
    with pytest.raises(ValueError, match="unknown encoding='klingon'"):
        load_csv(path, encoding="klingon")


def _gz_closes(n=40):
    days = pd.bdate_range("2020-01-01", periods=n).strftime("%Y-%m-%d")
    return gzip.compress(_closes(days, np.arange(1.0, n + 1)).encode())


def _zip(members):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in members:
            archive.writestr(name, _closes(DAYS, [1, 2, 3, 4, 5]))
    return buffer.getvalue()


BROKEN_COMPRESSED = {
    "fake.csv.gz": (WIDE.encode(), "not a valid gz file .BadGzipFile"),
    "truncated.csv.gz": (_gz_closes()[:150], "not a valid gz file .EOFError"),
    "fake.csv.bz2": (WIDE.encode(), "not a valid bz2 file"),
    "fake.csv.xz": (WIDE.encode(), "not a valid xz file"),
    "fake.zip": (WIDE.encode(), "not a valid zip file .BadZipFile"),
    "two.zip": (_zip(["a.csv", "b.csv"]), r"a .zip file must hold exactly one CSV file; .* 2"),
}


@pytest.mark.parametrize("name", BROKEN_COMPRESSED)
def test_fake_or_truncated_compressed_file_is_a_value_error_naming_it(tmp_path, name):
    content, message = BROKEN_COMPRESSED[name]
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ValueError, match=f"{name}: {message}"):
        load_csv(tmp_path / name)


def test_one_file_zip_and_intact_gz_still_read(tmp_path):
    (tmp_path / "one.zip").write_bytes(_zip(["one.csv"]))
    assert load_csv(tmp_path / "one.zip")["close"].tolist() == [1, 2, 3, 4, 5]
    (tmp_path / "all.csv.gz").write_bytes(_gz_closes())
    assert load_csv(tmp_path / "all.csv.gz")["close"].tolist() == list(np.arange(1.0, 41))


@pytest.mark.parametrize("path", [None, 3, 2.5, b"prices.csv", ["prices.csv"]])
def test_path_that_is_not_a_path_is_a_type_error_naming_it(path):
    with pytest.raises(TypeError, match=rf"path must be a file path \(str or os.PathLike\), "
                       rf"got .* of type {type(path).__name__}"):
        load_csv(path)


def test_empty_path_string_is_refused_not_read_as_the_current_folder():
    with pytest.raises(ValueError, match="path must name a price file, got the empty string"):
        load_csv("")


def test_columns_given_as_one_string_is_one_column(tmp_path):
    path = _write(tmp_path, WIDE)
    one = load_csv(path, columns="Close")
    pd.testing.assert_frame_equal(one, load_csv(path, columns=["close"]))
    assert list(one.columns) == ["close"] and one["close"].tolist() == [10.5, 11.0, 11.5, 12.0]
    with pytest.raises(ValueError, match=r"no column\(s\) \['price'\]"):
        load_csv(path, columns="price")  # one missing column, not ['p', 'r', 'i', 'c', 'e']


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"columns": [1]}, TypeError, r"columns must be names \(strings\), got 1"),
        ({"columns": 5}, TypeError, "columns must be a column name or a list of them, got 5"),
        ({"columns": []}, ValueError, r"columns=\[\] selects nothing"),
        ({"columns": ["close", "Close"]}, ValueError, r"names \['close'\] more than once"),
        ({"date_column": 1.5}, TypeError, r"date_column must be a column name \(str\), a 0-based"),
        ({"symbol": 1}, TypeError, "symbol must be a string or None, got 1"),
        ({"date_format": 3}, TypeError, "date_format must be a string or None, got 3"),
        ({"encoding": None}, TypeError, "encoding must be a string"),
        ({"max_bytes": 0}, ValueError, "max_bytes must be >= 1"),
        ({"max_bytes": 1.5}, TypeError, "max_bytes must be an int or None"),
    ],
)
def test_arguments_of_the_wrong_type_or_value_are_named(tmp_path, kwargs, error, message):
    path = _write(tmp_path, WIDE)
    with pytest.raises(error, match=message):
        load_csv(path, **kwargs)


def test_text_beyond_max_bytes_is_refused_after_decompression(tmp_path):
    big = "date,close\n" + "".join(f"{d.date()},1.0\n" for d in pd.date_range("1900-01-01",
                                                                                periods=40_000))
    (tmp_path / "big.csv.gz").write_bytes(gzip.compress(big.encode()))
    assert (tmp_path / "big.csv.gz").stat().st_size < 100_000 < len(big)
    with pytest.raises(ValueError, match=r"big.csv.gz: more than max_bytes=100000 bytes of text "
                       "after decompression; pass a larger max_bytes="):
        load_csv(tmp_path / "big.csv.gz", max_bytes=100_000)
    assert len(load_csv(tmp_path / "big.csv.gz", max_bytes=None)) == 40_000
    plain = _write(tmp_path, big)
    with pytest.raises(ValueError, match=r"prices.csv: more than max_bytes=100000 bytes of text;"):
        load_csv(plain, max_bytes=100_000)
    assert len(load_csv(plain, max_bytes=len(big))) == 40_000
    assert forecast.data.csv.MAX_CSV_BYTES == 128 * 2**20


def test_header_naming_a_column_twice_is_refused(tmp_path):
    path = _write(tmp_path, "date,close,close\n2020-01-02,1,2\n2020-01-03,2,3\n")
    with pytest.raises(ValueError, match=r"the header names the column\(s\) \['close'\] more "
                       "than once"):
        load_csv(path)
