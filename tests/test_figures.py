"""Every figure of a comparison, for one series and for many: titles, axis labels with
units, legend entries and the order of the models, read back from the matplotlib Axes;
the command line's PNG files at 150 dpi, embedded in report.md with a caption each."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

import forecast  # noqa: E402
from forecast.cli import main  # noqa: E402
from forecast.evaluation.report import FIGURE_CAPTIONS  # noqa: E402

MODELS = ["Random walk", "AR(1)", "Drift", "GRU"]


@pytest.fixture(scope="module")
def one():
    close = forecast.load_dataset("sp500", calendar=None)["close"].iloc[-160:]
    models = {"AR(1)": forecast.ARForecaster(order=1),
              "Drift": forecast.NaiveForecaster(strategy="drift"),
              "GRU": forecast.RNNForecaster("gru", hidden_size=2, epochs=2, window=10,
                                            random_state=0)}
    return forecast.compare(models, close, test_size=25, refit_every={"GRU": None},
                            coverage=0.9)


@pytest.fixture(scope="module")
def many():
    wide = forecast.load_dataset("stocks_monthly").dropna()
    return forecast.compare({"AR(1)": forecast.ARForecaster(order=1)}, wide, test_size=12)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _legend(ax):
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def test_forecast_figure_is_one_panel_per_model_random_walk_first(one):
    ax = one.plot("forecast")
    panels = ax.figure.axes
    assert [p.get_title(loc="left") for p in panels] == MODELS
    assert ax.figure.get_suptitle() == (
        "One-step-ahead forecasts against the actual price, one panel per model")
    for panel, name in zip(panels, MODELS, strict=True):
        assert _legend(panel) == ["actual", name, f"{name} interval"]
        assert panel.get_ylabel() == "price (price units)"
        assert len(panel.get_lines()) == 2  # never more than actual and one forecast
    assert panels[-1].get_xlabel() == "target date"


def test_forecast_figure_on_a_given_axes_draws_every_model_there(one):
    fig, ax = plt.subplots()
    assert one.plot("forecast", ax=ax, last=10) is ax and fig.axes == [ax]
    assert [line.get_label() for line in ax.get_lines()] == ["actual", *MODELS]
    assert ax.get_title() == "One-step-ahead forecasts against the actual price"


def test_errors_figure_is_one_row_per_model_random_walk_on_top(one):
    ax = one.plot("errors")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    ticks = ax.get_yticks()
    assert [labels[i] for i in np.argsort(-ticks)] == MODELS  # top to bottom
    assert ax.get_xlabel() == "one-step-ahead forecast error, actual - forecast (price units)"
    assert ax.get_ylabel() == "model"
    assert ax.get_title().startswith("One-step-ahead forecast errors by model")
    medians = [line.get_xdata()[0] for line in ax.get_lines()[5::7]]  # 7 lines per box
    bt = one.backtests
    expected = [np.median(g["actual"] - g["forecast"])
                for _, g in bt.groupby("model", sort=False)]
    order = list(dict.fromkeys(bt["model"]))
    assert order[0] == "Random walk"
    np.testing.assert_allclose(medians, [expected[order.index(m)] for m in MODELS])


def test_cumulative_loss_names_the_random_walk_by_origin_date(one):
    ax = one.plot("loss")
    assert "random walk" in ax.get_title()
    assert ax.get_xlabel() == "origin date"
    assert ax.get_ylabel() == ("cumulative SE(random walk) - SE(model)\n"
                               "(squared price units)")
    assert _legend(ax) == ["AR(1)", "Drift", "GRU", "as good as the random walk"]
    zero = ax.get_lines()[-1]
    assert list(zero.get_ydata()) == [0.0, 0.0]
    bt = one.backtests
    first = bt[bt["model"] == "AR(1)"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), first["origin"].to_numpy())
    rw = bt[bt["model"] == "Random walk"]
    expected = np.cumsum((rw["actual"].to_numpy() - rw["forecast"].to_numpy()) ** 2
                         - (first["actual"].to_numpy() - first["forecast"].to_numpy()) ** 2)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), expected)


def test_training_figure_is_one_panel_per_rnn_on_one_scale(one):
    ax = one.plot("training")
    panels = ax.figure.axes
    assert [p.get_title(loc="left") for p in panels] == ["GRU"]
    assert _legend(ax) == ["training loss", "validation loss"]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch"
    assert ax.get_ylabel() == "loss (scaled MSE, log)"
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(),
                               one.models["GRU"].history_["train_loss"])


def test_summary_figure_of_many_series_is_a_row_per_series(many):
    ax = many.plot("summary")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(labels) == ["AAPL", "AMZN", "GOOG", "IBM", "MSFT"]
    assert _legend(ax) == ["AR(1)", "as good as the random walk"]
    assert "random walk" in ax.get_title() and ax.get_ylabel() == "series"
    assert ax.get_xlabel().startswith("skill against the random walk (%)")
    points = dict(zip(labels[::-1], ax.get_lines()[0].get_xdata()[::-1], strict=True))
    skill = many["IBM"].metrics.loc[("AR(1)", 1), "skill"]
    assert points["IBM"] == pytest.approx(100 * skill)
    with pytest.raises(ValueError, match="kind='summary' is for a comparison of many"):
        forecast.compare({"AR(1)": forecast.ARForecaster(order=1)},
                         forecast.load_dataset("msft")["close"].iloc[-60:],
                         test_size=10).plot("summary")


def test_each_series_of_many_draws_its_own_figures(many):
    for kind in ("forecast", "errors", "loss"):
        ax = many["AAPL"].plot(kind)
        assert ax.get_title() or ax.figure.get_suptitle()
        assert ax.get_ylabel() and ax.figure.axes[-1].get_xlabel()


def _dpi(path):
    with Image.open(path) as image:
        return round(image.info["dpi"][0])


def test_cli_writes_every_figure_at_150_dpi_with_a_caption_each(capsys, tmp_path):
    out = tmp_path / "out"
    code = main(["compare", "--models", "naive,ar,gru", "--epochs", "1", "--test-size", "15",
                 "--start", "2018-06-01", "--coverage", "none", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    report = (out / "report.md").read_text()
    for name in ("forecast.png", "errors.png", "cumulative_loss.png", "training.png"):
        assert _dpi(out / name) == 150
        assert f"]({name})" in report and FIGURE_CAPTIONS[name] in report
    assert "calmer period" in report  # why validation loss can sit below training loss


def test_cli_csv_dir_writes_the_figures_of_each_series_and_the_summary(capsys, tmp_path):
    folder = tmp_path / "prices"
    folder.mkdir()
    for name in ("sp500", "msft"):
        forecast.load_dataset(name, calendar=None).iloc[-60:].to_csv(folder / f"{name}.csv")
    (folder / "broken.csv").write_text("when,close\n2020-01-02,1\n")
    out = tmp_path / "out"
    code = main(["compare", "--csv-dir", str(folder), "--models", "naive", "--test-size", "10",
                 "--coverage", "none", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "skipped broken.csv" in err
    written = {p.relative_to(out).as_posix() for p in out.rglob("*.png")}
    assert written == {"summary.png", "msft/forecast.png", "msft/errors.png",
                       "msft/cumulative_loss.png", "sp500/forecast.png", "sp500/errors.png",
                       "sp500/cumulative_loss.png"}
    report = (out / "report.md").read_text()
    assert "](summary.png)" in report and "](sp500/errors.png)" in report
    assert f"*sp500: {FIGURE_CAPTIONS['errors.png']}*" in report
    assert _dpi(out / "summary.png") == 150
