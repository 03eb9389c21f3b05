"""Scores of up/down probabilities agree with scikit-learn; bad probabilities are refused.

References: sklearn.metrics.brier_score_loss and log_loss (to 1e-12), and
sklearn.calibration.calibration_curve for the reliability curve.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss
from sklearn.metrics import log_loss as sk_log_loss

from forecast import metrics, plots


def draws(seed: int, n: int = 300):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 1, n)
    return (rng.uniform(0, 1, n) < p).astype(int), p


@pytest.mark.parametrize("seed", range(5))
def test_brier_and_log_loss_equal_scikit_learn(seed):
    o, p = draws(seed)
    assert metrics.brier(o, p) == pytest.approx(brier_score_loss(o, p), abs=1e-12)
    assert metrics.log_loss(o, p) == pytest.approx(sk_log_loss(o, p, labels=[0, 1]), abs=1e-12)


def test_boolean_outcomes_and_series_are_accepted():
    o, p = draws(7, 50)
    index = pd.date_range("2020-01-01", periods=50)
    assert metrics.brier(pd.Series(o.astype(bool), index), pd.Series(p, index)) == pytest.approx(
        brier_score_loss(o, p), abs=1e-12)


def test_log_loss_clips_a_sure_probability_on_the_wrong_side_as_scikit_learn():
    o = np.array([1, 0, 1, 0])
    p = np.array([0.0, 1.0, 1.0, 0.0])  # two sure and wrong, two sure and right
    ours = metrics.log_loss(o, p)
    assert ours == pytest.approx(sk_log_loss(o, p, labels=[0, 1]), abs=1e-12)
    assert ours == pytest.approx(-np.log(np.finfo(float).eps) / 2, rel=1e-12)  # 36.04 / 2
    assert np.isfinite(ours)


def test_a_coin_flip_scores_a_quarter_and_log_two():
    o = np.array([0, 1, 1, 0, 1])
    assert metrics.brier(o, np.full(5, 0.5)) == 0.25
    assert metrics.log_loss(o, np.full(5, 0.5)) == pytest.approx(np.log(2), abs=1e-15)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_bins", [3, 10])
def test_reliability_curve_equals_scikit_learns_calibration_curve(strategy, n_bins):
    o, p = draws(11, 400)
    p = 0.45 + 0.1 * p  # clustered near 0.5, as daily P(up)
    table = metrics.reliability_curve(o, p, n_bins=n_bins, strategy=strategy)
    frequency, mean_prob = calibration_curve(o, p, n_bins=n_bins, strategy=strategy)
    np.testing.assert_allclose(table["frequency"], frequency, atol=1e-12)
    np.testing.assert_allclose(table["mean_prob"], mean_prob, atol=1e-12)
    assert table["count"].sum() == 400


@pytest.mark.parametrize("bad", [1.2, -0.1])
@pytest.mark.parametrize("score", [metrics.brier, metrics.log_loss, metrics.reliability_curve])
def test_probabilities_outside_zero_one_are_a_named_error(score, bad):
    p = np.array([0.2, 0.5, bad, 0.7])
    with pytest.raises(ValueError, match=rf"y_prob must be probabilities in \[0, 1\].*{bad!r} "
                                         "at position 2"):
        score([0, 1, 1, 0], p)


def test_outcomes_that_are_not_zero_or_one_are_a_named_error():
    with pytest.raises(ValueError, match="y_true must hold binary outcomes.*2.0 at position 1"):
        metrics.brier([0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="y_true must hold binary outcomes.*0.5"):
        metrics.log_loss([0.5, 1.0], [0.1, 0.2])


def test_nan_and_length_mismatch_are_refused():
    with pytest.raises(ValueError, match="y_prob contains 1 non-finite"):
        metrics.brier([0, 1], [0.1, np.nan])
    with pytest.raises(ValueError, match="same length"):
        metrics.log_loss([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="unknown strategy"):
        metrics.reliability_curve([0, 1], [0.1, 0.2], strategy="kmeans")


@pytest.mark.usefixtures("no_show_and_close")
def test_plot_reliability_draws_each_curve_with_title_labels_and_legend():
    o, p = draws(3, 200)
    q = np.clip(p + 0.1, 0, 1)
    ax = plots.plot_reliability(o, {"sharp": p, "shifted": q}, n_bins=5)
    assert isinstance(ax, Axes)
    assert ax.get_title() == "Reliability diagram"
    assert ax.get_xlabel() and ax.get_ylabel()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["perfectly calibrated", "sharp", "shifted"]
    table = metrics.reliability_curve(o, p, n_bins=5)
    np.testing.assert_allclose(ax.get_lines()[1].get_xdata(), table["mean_prob"])
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), table["frequency"])


def test_plot_reliability_checks_before_drawing(ax):
    with pytest.raises(ValueError, match="y_prob must be probabilities"):
        plots.plot_reliability([0, 1], {"good": [0.1, 0.9], "bad": [0.1, 1.5]}, ax=ax)
    assert not ax.get_lines()
    with pytest.raises(ValueError, match="empty mapping"):
        plots.plot_reliability([0, 1], {}, ax=ax)


def test_the_docstring_examples_give_the_values_they_show():
    import doctest

    import forecast.probability_scores as module

    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
