"""Four kinds of real price files, as a new user brings them, through ``load_csv`` and
``forecast compare --csv FILE`` with at most ``--date-column``, ``--missing``, ``--column``.

The files are written to ``tmp_path`` from the bundled data (never the network), in the
layouts the issue met: a daily index with M/D/YYYY dates; a daily stock and an hourly FX
rate saved by pandas with an unnamed date column (header ``""``); a daily oil price with
'.' as missing markers (FRED's layout).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast import load_csv, load_dataset
from forecast.cli import main

RUN = ["--models", "naive", "--test-size", "30", "--coverage", "none"]


def _index_mdy(tmp_path):
    """A daily index with M/D/YYYY dates (1/2/2018, no zero padding)."""
    sp = load_dataset("sp500").iloc[-300:]
    dates = [f"{d.month}/{d.day}/{d.year}" for d in sp.index]
    frame = pd.DataFrame({"Date": dates, "Open": sp["open"].to_numpy(),
                          "Close": sp["close"].to_numpy(), "Volume": sp["volume"].to_numpy()})
    path = tmp_path / "gspc.csv"
    frame.to_csv(path, index=False)
    return path


def _stock_unnamed(tmp_path):
    """A daily stock saved by ``DataFrame.to_csv`` with an unnamed index: header ``""``."""
    msft = load_dataset("msft").iloc[-300:]
    frame = msft.rename(columns=str.title).rename_axis(None)
    path = tmp_path / "goog.csv"
    frame.to_csv(path)
    return path


def _fx_hourly_unnamed(tmp_path):
    """An hourly FX rate (Sunday 22:00 to Friday 21:00 UTC), saved by pandas, unnamed index."""
    hours = pd.date_range("2018-01-07 22:00", "2018-02-02 21:00", freq="h", tz="UTC")
    week_hour = hours.day_of_week * 24 + hours.hour
    hours = hours[(week_hour < 4 * 24 + 22) | (week_hour >= 6 * 24 + 22)]  # Fri 22h-Sun 22h
    returns = np.log(load_dataset("sp500")["close"]).diff().dropna().to_numpy()[: len(hours)]
    rate = 1.2 * np.exp(np.cumsum(returns / 10))
    frame = pd.DataFrame({"Open": rate, "High": rate * 1.0005, "Low": rate * 0.9995,
                          "Close": rate}, index=hours)
    path = tmp_path / "eurusd_1h.csv"
    frame.to_csv(path)
    return path


def _oil_dots(tmp_path):
    """A daily oil price in FRED's layout: ``DATE,DCOILWTICO`` with '.' on holidays."""
    y = load_dataset("msft")["close"].iloc[-300:] / 2
    cells = [f"{v:.2f}" for v in y.to_numpy()]
    for i in (17, 80, 151, 222):
        cells[i] = "."
    text = "DATE,DCOILWTICO\n" + "".join(
        f"{d:%Y-%m-%d},{c}\n" for d, c in zip(y.index, cells, strict=True))
    path = tmp_path / "dcoilwtico.csv"
    path.write_text(text)
    return path


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_an_mdy_index_file_reads_without_any_argument(tmp_path):
    frame = load_csv(_index_mdy(tmp_path))
    sp = load_dataset("sp500").iloc[-300:]
    assert frame.index.equals(sp.index)
    np.testing.assert_array_equal(frame["close"], sp["close"])


def test_an_unnamed_first_column_is_the_date_column_by_default_or_named_by_empty_string(
        tmp_path):
    path = _stock_unnamed(tmp_path)
    assert path.read_text().startswith(",Open,High,Low,Close,Volume\n")
    msft = load_dataset("msft").iloc[-300:]
    for kwargs in ({}, {"date_column": ""}, {"date_column": 0}, {"date_column": -6}):
        frame = load_csv(path, **kwargs)
        pd.testing.assert_frame_equal(frame, msft, check_freq=False)


def test_pandas_unnamed_label_also_names_the_date_column(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("Unnamed: 0,close\n2020-01-02,1\n2020-01-03,2\n")
    assert load_csv(path).index[1] == pd.Timestamp("2020-01-03")


def test_a_date_column_by_position_that_is_no_position_names_the_columns(tmp_path):
    with pytest.raises(ValueError, match=r"date_column=7 \(--date-column 7\) is not a position "
                       r"of the 6 column\(s\) \['', 'Open'"):
        load_csv(_stock_unnamed(tmp_path), date_column=7)


def test_a_file_without_a_date_column_names_the_argument_and_the_flag(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("Day,Close\n2020-01-02,1\n")
    with pytest.raises(ValueError, match=r"and an unnamed first column.*\['Day', 'Close'\].*"
                       r"date_column= \(command line: --date-column\)"):
        load_csv(path)


def test_a_date_that_does_not_parse_names_the_column_the_value_and_its_line(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("when,close\n2020-01-02,1\n2020-01-03,2\n2020-01-0x,3\n")
    with pytest.raises(ValueError, match=r"could not be parsed in column 'when'.*the first is "
                       r"'2020-01-0x' at line 4.*--date-format"):
        load_csv(path, date_column="when")


def test_missing_markers_are_named_with_the_argument_and_the_flag(tmp_path):
    with pytest.raises(ValueError, match=r"4 missing value\(s\).*missing='drop' \(command line: "
                       r"--missing drop\).*missing='ffill' \(--missing ffill\)"):
        load_csv(_oil_dots(tmp_path))
    assert len(load_csv(_oil_dots(tmp_path), missing="drop")) == 296


def test_hourly_fx_saved_by_pandas_keeps_its_hours_and_zone(tmp_path):
    frame = load_csv(_fx_hourly_unnamed(tmp_path))
    assert str(frame.index.tz) == "UTC" and frame.index[0] == pd.Timestamp(
        "2018-01-07 22:00", tz="UTC")
    assert (frame.index.day_of_week != 5).all()  # no Saturday


@pytest.mark.parametrize(("make", "flags", "heading"), [
    (_index_mdy, [], "# gspc.csv close, 2017-10-20 .. 2018-12-31"),
    (_stock_unnamed, [], "# goog.csv close, 2016-09-06 .. 2017-11-10"),
    (_fx_hourly_unnamed, ["--column", "close"],
     "# eurusd_1h.csv close, 2018-01-07 22:00 .. 2018-02-02 21:00"),
    (_oil_dots, ["--missing", "drop"], "# dcoilwtico.csv DCOILWTICO, 2016-09-06 .. 2017-11-10"),
    (_oil_dots, ["--missing", "ffill", "--column", "DCOILWTICO", "--date-column", "DATE"],
     "# dcoilwtico.csv DCOILWTICO, 2016-09-06 .. 2017-11-10"),
])
def test_each_real_file_runs_through_compare_csv_with_the_flags_of_help(
        capsys, tmp_path, make, flags, heading):
    out_dir = tmp_path / "out"
    code, out, err = _run(capsys, "compare", "--csv", str(make(tmp_path)), *flags, *RUN,
                          "--out", str(out_dir))
    assert code == 0, err
    assert out.startswith(heading)
    assert "| Random walk |" in out and "compared 2 models on 30 origins" in out
    assert {"forecast.png", "errors.png", "cumulative_loss.png", "report.md"} <= {
        p.name for p in out_dir.iterdir()}


def test_without_the_missing_flag_the_error_is_one_line_naming_the_flag(capsys, tmp_path):
    code, out, err = _run(capsys, "compare", "--csv", str(_oil_dots(tmp_path)), *RUN)
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert line.startswith("forecast: error: dcoilwtico.csv: 4 missing value(s)")
    assert "--missing drop" in line and "--missing ffill" in line


def test_csv_flags_without_a_csv_source_are_refused(capsys):
    code, _, err = _run(capsys, "compare", "--missing", "drop", "--date-format", "%Y", *RUN)
    assert code == 2
    assert err == ("forecast: error: --date-format, --missing only apply to --csv and "
                   "--csv-dir files\n")


def test_csv_dir_skips_each_unreadable_file_in_one_line_and_compares_the_rest(
        capsys, tmp_path):
    folder = tmp_path / "prices"
    folder.mkdir()
    _stock_unnamed(folder)
    _index_mdy(folder)
    (folder / "broken.csv").write_text("when,close\n2020-01-02,1\nsoon,2\n")
    (folder / "short.csv").write_text("date,close\n2020-01-02,1\n2020-01-03,2\n")
    out_dir = tmp_path / "out"
    code, out, err = _run(capsys, "compare", "--csv-dir", str(folder), *RUN,
                          "--out", str(out_dir))
    assert code == 0, err
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("forecast: WARNING: --csv-dir: skipped broken.csv: no date "
                               "column found")
    assert lines[1] == ("forecast: WARNING: --csv-dir: skipped short: 2 observation(s) between "
                        "--start and --end; --test-size 30 needs at least 32")
    assert "goog" in out and "gspc" in out and "broken" not in out


def test_csv_dir_where_no_file_can_be_read_is_one_error_line(capsys, tmp_path):
    (tmp_path / "broken.csv").write_text("when,close\n2020-01-02,1\n")
    code, out, err = _run(capsys, "compare", "--csv-dir", str(tmp_path), *RUN)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("forecast: WARNING: --csv-dir: skipped broken.csv:")
    assert lines[1].startswith("forecast: error: --csv-dir") and "none of its 1 files" in lines[1]


def test_csv_dir_without_csv_files_is_one_error_line(capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    code, _, err = _run(capsys, "compare", "--csv-dir", str(tmp_path), *RUN)
    assert code == 2
    assert err == f"forecast: error: --csv-dir '{tmp_path}' holds no .csv or .csv.gz files\n"


def test_a_latin1_file_names_the_encoding_flag_and_reads_with_it(capsys, tmp_path):
    y = load_dataset("msft")["close"].iloc[-60:]
    text = "date,cl\xf4ture\n" + "".join(f"{d:%Y-%m-%d},{v}\n" for d, v in y.items())
    path = tmp_path / "bourse.csv"
    path.write_bytes(text.encode("latin-1"))
    code, _, err = _run(capsys, "compare", "--csv", str(path), *RUN)
    assert code == 2 and "encoding='latin-1'" in err and "--encoding latin-1" in err
    code, out, err = _run(capsys, "compare", "--csv", str(path), "--encoding", "latin-1", *RUN)
    assert code == 0, err
    assert out.startswith("# bourse.csv cl\xf4ture, ")
