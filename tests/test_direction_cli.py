"""``forecast compare --direction``: P(up) models against the base rate from the command line."""

from __future__ import annotations

import pandas as pd
import pytest

from forecast.cli import main
from forecast.cli.parser import build_parser


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_direction_defaults_to_logistic_ar_and_an_rnn_classifier():
    args = build_parser().parse_args(["compare", "--direction"])
    assert args.direction == ["ar", "rnn"]
    assert build_parser().parse_args(["compare", "--direction", "ar,gru"]).direction == [
        "ar", "gru"]
    assert build_parser().parse_args(["compare"]).direction is None


def test_direction_prints_the_table_and_writes_csv_report_and_reliability_figure(
        capsys, tmp_path):
    out_dir = tmp_path / "up"
    code, out, err = _run(capsys, "compare", "--direction", "ar", "--test-size", "30",
                          "--start", "2016-06-01", "--out", str(out_dir))
    assert code == 0, err
    assert "| Base rate |" in out and "| Logistic AR(20) |" in out
    assert "Brier skill vs base rate" in out
    assert "compared 2 up/down models on 30 origins" in out
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == ["direction_backtests.csv", "direction_metrics.csv", "reliability.png",
                     "report.md"]
    table = pd.read_csv(out_dir / "direction_metrics.csv", index_col="model")
    assert table.loc["Base rate", "brier_skill"] == 0
    assert (out_dir / "reliability.png").stat().st_size > 1000


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--direction", "naive"], "--direction has no 'naive' model"),
        (["--direction", "ar", "--horizon", "2"], "one series one day ahead"),
        (["--direction", "ar", "--dataset", "stocks_monthly"], "one series one day ahead"),
        (["--direction", "ar,xyz"], "unknown model 'xyz'"),
        (["--direction", "ar", "--test-size", "9999"], "--test-size 9999 is too large"),
    ],
)
def test_direction_errors_are_one_line_with_exit_2(capsys, argv, message):
    code, out, err = _run(capsys, "compare", *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_direction_wires_logistic_ar_and_rnn_classifiers_with_epochs_and_seed():
    from sklearn.pipeline import Pipeline

    from forecast import DirectionForecaster, RNNClassifier
    from forecast.cli.models import build_direction_models

    args = build_parser().parse_args(["compare", "--direction", "ar,lstm", "--epochs", "3",
                                      "--seed", "7"])
    models, refit = build_direction_models(args)
    assert list(models) == ["Logistic AR(20)", "LSTM classifier"]
    assert refit == {"Logistic AR(20)": 20, "LSTM classifier": 125}
    assert all(isinstance(m, DirectionForecaster) and m.window == 20 for m in models.values())
    assert isinstance(models["Logistic AR(20)"].classifier, Pipeline)
    net = models["LSTM classifier"].classifier
    assert isinstance(net, RNNClassifier)
    assert (net.cell, net.epochs, net.random_state) == ("lstm", 3, 7)


def test_direction_runs_an_rnn_classifier(capsys):
    code, out, err = _run(capsys, "compare", "--direction", "gru", "--epochs", "1",
                          "--test-size", "20", "--start", "2017-06-01")
    assert code == 0, err
    assert "| GRU classifier |" in out and "compared 2 up/down models on 20 origins" in out
