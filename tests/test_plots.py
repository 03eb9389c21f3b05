"""Plot functions draw the right data on the Axes they are given and never show anything."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes

from forecast.plots import (
    plot_cumulative_loss_difference,
    plot_error_distribution,
    plot_forecast,
    plot_gradient_norms,
    plot_training_curves,
)

pytestmark = pytest.mark.usefixtures("no_show_and_close")


@pytest.fixture
def actual():
    return pd.Series([10.0, 11.0, 10.5, 12.0, 13.0], index=pd.bdate_range("2024-01-01", periods=5))


def test_plot_forecast_lines_and_band(ax, actual):
    history = pd.Series([9.0, 9.5], index=pd.bdate_range("2023-12-28", periods=2))
    ar, rnn = actual + 0.5, actual - 1.0
    band = pd.DataFrame({"lower": ar - 1.0, "upper": ar + 1.0})
    out = plot_forecast(actual, {"AR": ar, "RNN": rnn}, band, ax=ax, history=history)
    assert out is ax
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["history", "actual", "AR", "RNN"]
    np.testing.assert_array_equal(lines[0].get_ydata(), [9.0, 9.5])
    np.testing.assert_array_equal(lines[1].get_ydata(), actual.to_numpy())
    np.testing.assert_array_equal(lines[2].get_ydata(), ar.to_numpy())
    np.testing.assert_array_equal(lines[3].get_ydata(), rnn.to_numpy())
    assert lines[2].get_xdata()[0] == np.datetime64("2024-01-01")
    assert len(ax.collections) == 1  # the interval band
    ys = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(9.5) and ys.max() == pytest.approx(14.5)


def test_plot_forecast_single_series_and_new_figure(actual):
    forecast = (actual * 0 + 11.0).rename("forecast")
    out = plot_forecast(actual, forecast)
    assert isinstance(out, Axes)
    assert [line.get_label() for line in out.get_lines()] == ["actual", "forecast"]
    assert len(out.collections) == 0


def test_plot_forecast_validation(ax, actual):
    with pytest.raises(TypeError, match="actual must be a pandas Series"):
        plot_forecast(actual.to_numpy(), actual, ax=ax)
    bad = pd.DataFrame({"lo": actual, "upper": actual})
    with pytest.raises(ValueError, match=r"missing \['lower'\]"):
        plot_forecast(actual, actual, bad, ax=ax)
    crossed = pd.DataFrame({"lower": actual + 1, "upper": actual})
    with pytest.raises(ValueError, match="lower > upper at position 0"):
        plot_forecast(actual, actual, crossed, ax=ax)


def test_cumulative_loss_difference_values(ax, actual):
    benchmark = actual.shift(1).fillna(9.0)  # the random walk: 9, 10, 11, 10.5, 12
    model = pd.Series([9.5, 11.0, 11.0, 11.0, 13.5], index=actual.index)
    out = plot_cumulative_loss_difference(actual, {"AR": model, "RW": benchmark}, benchmark, ax=ax)
    assert out is ax
    lines = ax.get_lines()
    assert len(lines) == 3  # two models and the zero line
    # e_bench^2: 1, 1, 0.25, 2.25, 1 ; e_model^2: 0.25, 0, 0.25, 1, 0.25
    np.testing.assert_allclose(lines[0].get_ydata(), np.cumsum([0.75, 1.0, 0.0, 1.25, 0.75]))
    np.testing.assert_array_equal(lines[1].get_ydata(), np.zeros(5))  # benchmark vs itself
    assert list(lines[2].get_ydata()) == [0.0, 0.0]
    assert lines[0].get_label() == "AR"


def test_cumulative_loss_difference_validation(ax):
    with pytest.raises(ValueError, match=r"len\(actual\)=3 and len\(forecasts\['AR'\]\)=2"):
        plot_cumulative_loss_difference([1.0, 2.0, 3.0], {"AR": [1.0, 2.0]}, [1.0] * 3, ax=ax)
    with pytest.raises(ValueError, match="benchmark contains 1 non-finite"):
        plot_cumulative_loss_difference([1.0, 2.0], {"AR": [1.0, 2.0]}, [1.0, np.nan], ax=ax)


def test_error_distribution_histograms_share_bins(ax):
    errors = {"AR": np.array([-1.0, 0.0, 0.2, 1.0]), "LSTM": np.array([-0.5, 0.5, 3.0])}
    out = plot_error_distribution(errors, ax=ax, bins=5)
    assert out is ax
    assert len(ax.patches) == 10  # 5 bars per model
    heights = np.array([p.get_height() for p in ax.patches])
    assert heights[:5].sum() == 4 and heights[5:].sum() == 3
    lefts = [p.get_x() for p in ax.patches]
    assert lefts[:5] == lefts[5:]  # common edges
    assert lefts[0] == pytest.approx(-1.0)


def test_error_distribution_box(ax):
    out = plot_error_distribution({"a": [1.0, 2.0, 3.0], "b": [0.0, 1.0]}, ax=ax, kind="box")
    assert out is ax
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    flat = {float(line.get_ydata()[0]) for line in ax.get_lines()
            if len(set(line.get_ydata())) == 1}  # fmt: skip
    assert {2.0, 0.5} <= flat  # the medians
    with pytest.raises(ValueError, match="unknown kind='violin'"):
        plot_error_distribution({"a": [1.0]}, ax=ax, kind="violin")


def test_training_curves(ax):
    history = {"train_loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, np.nan]}
    out = plot_training_curves(history, ax=ax, log=True)
    assert out is ax
    train, val = ax.get_lines()
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(train.get_ydata(), [1.0, 0.6, 0.4])
    np.testing.assert_array_equal(val.get_ydata(), [1.1, 0.8, np.nan])  # gap kept
    assert ax.get_yscale() == "log"


def test_training_curves_selected_keys_and_errors(ax):
    plot_training_curves({"train_loss": [1.0], "lr": [0.1]}, ax=ax, keys=["lr"])
    assert [line.get_label() for line in ax.get_lines()] == ["lr"]
    with pytest.raises(ValueError, match=r"keys \['val_loss'\] are not in history"):
        plot_training_curves({"train_loss": [1.0]}, ax=ax, keys=["val_loss"])
    with pytest.raises(ValueError, match="history\\['best_epoch'\\] must be a non-empty 1-D"):
        plot_training_curves({"best_epoch": 3}, ax=ax)
    with pytest.raises(TypeError, match="history must be a mapping"):
        plot_training_curves([1.0, 2.0], ax=ax)


def test_gradient_norms(ax):
    vanishing = 0.5 ** np.arange(20)[::-1]  # small far from the loss
    out = plot_gradient_norms({"rnn": vanishing, "lstm": np.ones(20)}, ax=ax)
    assert out is ax
    rnn, lstm = ax.get_lines()
    np.testing.assert_array_equal(rnn.get_xdata(), np.arange(20))
    np.testing.assert_array_equal(rnn.get_ydata(), vanishing)
    np.testing.assert_array_equal(lstm.get_ydata(), np.ones(20))
    assert ax.get_yscale() == "log"


def test_gradient_norms_array_linear_and_validation():
    out = plot_gradient_norms(np.array([3.0, 2.0, 1.0]), log=False)
    assert isinstance(out, Axes) and out.get_yscale() == "linear"
    np.testing.assert_array_equal(out.get_lines()[0].get_ydata(), [3.0, 2.0, 1.0])
    with pytest.raises(ValueError, match=r"must be >= 0, got -1.0 at position 1"):
        plot_gradient_norms([1.0, -1.0])


def test_every_plot_saves_without_warnings(tmp_path, actual):
    # a full render catches problems (e.g. log axes with zeros) that only appear on draw
    fig, axes = plt.subplots(1, 3)
    plot_forecast(actual, actual + 1, ax=axes[0])
    plot_gradient_norms([0.0, 1e-3, 1.0], ax=axes[1])
    plot_training_curves({"train_loss": [1.0, np.nan, 0.5]}, ax=axes[2], log=True)
    fig.savefig(tmp_path / "all.png")
    assert (tmp_path / "all.png").stat().st_size > 0
