"""Uncertainty figures draw the right data: fan-chart bands, PIT bars, rolling coverage."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from scipy import stats

import forecast
from forecast import plots
from forecast.plots import binomial_band, plot_coverage, plot_forecast, plot_pit

LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)
Z90 = stats.norm.ppf(0.95)


pytestmark = pytest.mark.usefixtures("no_show_and_close")


@pytest.fixture(scope="module")
def naive_bt():
    """A random walk's 90% Gaussian intervals over the last 250 S&P 500 days (2018)."""
    close = forecast.load_dataset("sp500")["close"]
    bt = forecast.backtest(forecast.NaiveForecaster(), close, start=len(close) - 250, coverage=0.9)
    return bt.set_index("target")


@pytest.fixture(scope="module")
def sigma(naive_bt):
    """The predictive standard deviation implied by each 90% Gaussian interval."""
    return (naive_bt["upper"] - naive_bt["lower"]) / (2 * Z90)


@pytest.fixture(scope="module")
def fan(naive_bt, sigma):
    """Gaussian predictive quantiles, one column per level, as predict_quantiles returns."""
    return pd.DataFrame({q: naive_bt["forecast"] + stats.norm.ppf(q) * sigma for q in LEVELS})


@pytest.fixture(scope="module")
def pit(naive_bt, sigma):
    """PIT values Phi((y - mu) / sigma) of the Gaussian random-walk forecasts."""
    return stats.norm.cdf((naive_bt["actual"] - naive_bt["forecast"]) / sigma)


@pytest.fixture(scope="module")
def hits(naive_bt):
    inside = (naive_bt["actual"] >= naive_bt["lower"]) & (naive_bt["actual"] <= naive_bt["upper"])
    return inside.rename("hit")


def _band_ys(collection):
    return collection.get_paths()[0].vertices[:, 1]


def _legend_labels(ax):
    """The legend's entries, sorted (matplotlib orders them by artist type, not by call)."""
    return sorted(t.get_text() for t in ax.get_legend().get_texts())


def _brute_force_binomial_band(n, p, level):
    """Smallest k with P(K <= k) >= q, from the pmf summed in exact rational arithmetic."""
    p, level = Fraction(str(p)), Fraction(str(level))
    cdf, bounds = Fraction(0), []
    for k in range(n + 1):
        cdf += math.comb(n, k) * p**k * (1 - p) ** (n - k)
        for q in ((1 - level) / 2, (1 + level) / 2)[len(bounds) :]:
            if cdf >= q:
                bounds.append(k)
        if len(bounds) == 2:
            return tuple(bounds)
    raise AssertionError("unreachable: the cdf reaches 1")


# ----------------------------------------------------------------------------- fan chart


def test_fan_chart_draws_one_band_per_pair_of_levels_darker_inside(ax, naive_bt, fan, sigma):
    actual, mean = naive_bt["actual"], naive_bt["forecast"].rename("RW")
    out = plot_forecast(actual, {"RW": mean}, ax=ax, quantiles={"RW": fan})
    assert out is ax
    assert [c.get_label() for c in ax.collections] == ["RW 5%-95%", "RW 25%-75%"]
    outer, inner = ax.collections
    assert outer.get_alpha() < inner.get_alpha()  # darker towards the centre
    # the outer band spans the 90% Gaussian interval the backtest reported
    ys = _band_ys(outer)
    assert np.isin(naive_bt["lower"].to_numpy(), ys).all()
    assert np.isin(naive_bt["upper"].to_numpy(), ys).all()
    assert ys.min() == pytest.approx(naive_bt["lower"].min())
    assert ys.max() == pytest.approx(naive_bt["upper"].max())
    q25, q75 = mean - stats.norm.ppf(0.75) * sigma, mean + stats.norm.ppf(0.75) * sigma
    inner_ys = _band_ys(inner)
    assert inner_ys.min() == pytest.approx(q25.min()) and inner_ys.max() == pytest.approx(q75.max())
    # lines: actual, the forecast, then the dashed median (= the Gaussian mean)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["actual", "RW", "RW 50% quantile"]
    assert lines[2].get_linestyle() == "--"
    np.testing.assert_allclose(lines[2].get_ydata(), mean.to_numpy())
    assert lines[2].get_xdata()[0] == np.datetime64(naive_bt.index[0])
    # the bands take the color of the forecast they belong to
    line_rgb = to_rgba(lines[1].get_color())[:3]
    assert tuple(outer.get_facecolor()[0][:3]) == pytest.approx(line_rgb)
    assert _legend_labels(ax) == sorted(
        ["actual", "RW", "RW 50% quantile", "RW 5%-95%", "RW 25%-75%"]
    )
    assert ax.get_title() == "forecasts with predictive quantile bands (darker: more central)"
    assert ax.get_xlabel() == "date" and ax.get_ylabel() == "value"


def test_fan_chart_with_even_levels_has_no_median_line_and_keeps_intervals(ax, naive_bt, fan):
    actual, mean = naive_bt["actual"], naive_bt["forecast"]
    even = fan[[0.05, 0.25, 0.75, 0.95]]
    interval = naive_bt[["lower", "upper"]]
    plot_forecast(actual, {"RW": mean}, {"RW": interval}, ax=ax, quantiles={"RW": even})
    assert [c.get_label() for c in ax.collections] == [
        "RW interval",
        "RW 5%-95%",
        "RW 25%-75%",
    ]
    assert [line.get_label() for line in ax.get_lines()] == ["actual", "RW"]


def test_single_quantile_frame_is_labelled_like_the_single_forecast(naive_bt, fan):
    out = plot_forecast(naive_bt["actual"], naive_bt["forecast"].rename("naive"), quantiles=fan)
    assert isinstance(out, Axes)
    assert [c.get_label() for c in out.collections] == ["naive 5%-95%", "naive 25%-75%"]


def test_fan_chart_with_three_pairs_has_strictly_darker_inner_bands(ax):
    x = pd.bdate_range("2024-01-01", periods=4)
    levels = (0.025, 0.1, 0.25, 0.75, 0.9, 0.975)
    frame = pd.DataFrame({q: np.full(4, stats.norm.ppf(q)) for q in levels}, index=x)
    plot_forecast(pd.Series(0.0, index=x), pd.Series(0.0, index=x), ax=ax, quantiles=frame)
    alphas = [c.get_alpha() for c in ax.collections]
    assert len(alphas) == 3 and alphas[0] < alphas[1] < alphas[2]
    assert [c.get_label() for c in ax.collections] == [
        "forecast 2.5%-97.5%",
        "forecast 10%-90%",
        "forecast 25%-75%",
    ]


@pytest.mark.parametrize(
    ("make_bad", "error", "match"),
    [
        (lambda f: f.to_numpy(), TypeError, r"quantiles\['RW'\] must be a DataFrame"),
        (lambda f: f[[0.5]], ValueError, "at least 2 quantile columns"),
        (lambda f: f[[0.95, 0.05]], ValueError, r"increasing quantile levels .* sort the columns"),
        (lambda f: f.rename(columns={0.95: 1.0}), ValueError, "strictly between 0 and 1"),
        (lambda f: f.rename(columns={0.05: "low"}), TypeError, "columns must be quantile levels"),
        (
            lambda f: _nan_in_row_2(f),
            ValueError,
            r"contains 1 non-finite value",
        ),
        (
            lambda f: f.rename(columns={0.25: 0.3}).pipe(_cross_first_row),
            ValueError,
            r"crosses at position 0 \(2018-01-03 00:00:00\): the 0.3 quantile",
        ),
    ],
    ids=["not-frame", "one-column", "unsorted", "level-1", "label", "nan", "crossing"],
)
def test_bad_quantiles_raise_named_errors(ax, naive_bt, fan, make_bad, error, match):
    with pytest.raises(error, match=match):
        plot_forecast(
            naive_bt["actual"], {"RW": naive_bt["forecast"]}, ax=ax, quantiles={"RW": make_bad(fan)}
        )


def _nan_in_row_2(frame):
    frame = frame.copy()
    frame.iloc[2, :] = np.nan
    return frame


def _cross_first_row(frame):
    frame = frame.copy()
    frame.iloc[0, 1] = frame.iloc[0, 2] + 1.0  # the 0.3 quantile above the median
    return frame


# ----------------------------------------------------------------------------- PIT


def test_pit_bars_are_the_histogram_of_the_input_with_uniform_reference(ax, pit):
    out = plot_pit(pit, bins=10, ax=ax)
    assert out is ax
    counts, edges = np.histogram(pit, bins=10, range=(0.0, 1.0))
    bars = ax.patches[:10]
    np.testing.assert_array_equal([b.get_height() for b in bars], counts)
    np.testing.assert_allclose([b.get_x() for b in bars], edges[:-1], atol=1e-12)
    np.testing.assert_allclose([b.get_width() for b in bars], np.diff(edges))
    reference = ax.get_lines()[0]
    np.testing.assert_allclose(reference.get_ydata(), [25.0, 25.0])  # 250 values / 10 bins
    lo, hi = _brute_force_binomial_band(250, 0.1, 0.95)
    corners = ax.patches[10].get_patch_transform().transform(ax.patches[10].get_path().vertices)
    assert (corners[:, 1].min(), corners[:, 1].max()) == (lo, hi)
    assert ax.get_title() == "PIT histogram (n = 250): flat when calibrated"
    assert ax.get_xlabel() == "PIT value F(y)" and ax.get_ylabel() == "count"
    assert _legend_labels(ax) == sorted(["uniform (calibrated)", "PIT", "95% range if calibrated"])


def test_pit_of_the_overconfident_2018_random_walk_is_u_shaped(ax, pit, hits):
    # the 90% Gaussian intervals covered 72.4% of 2018's days: too many PITs in the tails
    assert hits.mean() == pytest.approx(0.724)
    plot_pit(pit, bins=10, ax=ax)
    heights = np.array([b.get_height() for b in ax.patches[:10]])
    _, hi = binomial_band(250, 0.1)
    assert heights[0] > hi and heights[-1] > hi
    assert heights[0] + heights[-1] == np.sum((pit < 0.1) | (pit >= 0.9))


def test_pit_of_calibrated_forecasts_stays_inside_the_band():
    rng = np.random.default_rng(0)
    y = rng.standard_normal(2000)
    ax = plot_pit(stats.norm.cdf(y), bins=5)  # exact N(0, 1) forecasts of N(0, 1) data
    lo, hi = binomial_band(2000, 0.2)
    heights = np.array([b.get_height() for b in ax.patches[:5]])
    assert ((heights >= lo) & (heights <= hi)).all()
    assert heights.sum() == 2000


@pytest.mark.parametrize(
    ("pit", "bins", "match"),
    [
        ([0.2, 1.5, 0.3], 10, r"pit values must lie in \[0, 1\]; 1 do not, the first is 1.5"),
        ([0.2, -0.1], 10, r"the first is -0.1 at position 1"),
        ([0.2, np.nan], 10, r"pit contains 1 non-finite value"),
        ([], 10, "pit is empty"),
        ([[0.1, 0.2]], 10, "pit must be 1-D"),
        ([0.1, 0.2], 0, "bins must be an integer >= 1, got 0"),
        ([0.1, 0.2], 2.5, "bins must be an integer >= 1, got 2.5"),
    ],
)
def test_bad_pit_input_raises_named_value_errors(ax, pit, bins, match):
    with pytest.raises(ValueError, match=match):
        plot_pit(pit, bins=bins, ax=ax)


def test_pit_names_the_date_of_an_out_of_range_series_value(ax, pit, naive_bt):
    bad = pd.Series(pit, index=naive_bt.index)
    bad.iloc[3] = 1.2
    with pytest.raises(ValueError, match=r"position 3 \(2018-01-08 00:00:00\)"):
        plot_pit(bad, ax=ax)


# ----------------------------------------------------------------------------- coverage


def test_rolling_coverage_line_is_the_rolling_share_of_hits_on_dates(ax, hits):
    out = plot_coverage(hits, coverage=0.9, window=50, ax=ax)
    assert out is ax
    h = hits.to_numpy(dtype=float)
    expected = np.full(h.size, np.nan)
    for t in range(49, h.size):
        expected[t] = sum(h[t - 49 : t + 1]) / 50  # the last 50 days, by hand
    rolling, nominal, overall = ax.get_lines()
    np.testing.assert_allclose(rolling.get_ydata(), expected, rtol=0, atol=1e-12)
    assert rolling.get_xdata()[0] == np.datetime64("2018-01-03")
    assert rolling.get_xdata()[-1] == np.datetime64("2018-12-31")
    np.testing.assert_allclose(nominal.get_ydata(), [0.9, 0.9])
    np.testing.assert_allclose(overall.get_ydata(), [0.724, 0.724])
    lo, hi = _brute_force_binomial_band(50, 0.9, 0.95)
    corners = ax.patches[0].get_patch_transform().transform(ax.patches[0].get_path().vertices)
    assert corners[:, 1].min() == pytest.approx(lo / 50)
    assert corners[:, 1].max() == pytest.approx(hi / 50)
    assert ax.get_xlabel() == "date"
    assert ax.get_ylabel() == "share of observations inside the interval"
    assert ax.get_title() == "rolling coverage against nominal 90%"
    assert _legend_labels(ax) == sorted(
        ["rolling coverage (50 obs)", "nominal 90%", "overall 72.4%", "95% range if exact"]
    )
    # the 2018 random walk's worst 50-day window covered well under the binomial range
    assert np.nanmin(expected) < lo / 50


def test_rolling_coverage_of_an_array_is_drawn_against_positions():
    ax = plot_coverage(np.array([True, True, False, True, True]), coverage=0.8, window=3)
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), np.arange(5))
    np.testing.assert_allclose(line.get_ydata(), [np.nan, np.nan, 2 / 3, 2 / 3, 2 / 3])
    assert ax.get_xlabel() == "observation"


@pytest.mark.parametrize(
    ("hits", "coverage", "window", "match"),
    [
        ([1, 2, 0], 0.9, 2, r"hits must be 1 .* got 2.0 at position 1"),
        ([1.0, np.nan, 0.0], 0.9, 2, "hits contains 1 non-finite value"),
        ([], 0.9, 1, "hits is empty"),
        ([1, 0, 1], 1.0, 2, r"coverage must lie strictly between 0 and 1 .* got 1.0"),
        ([1, 0, 1], 0.0, 2, "coverage must lie strictly between 0 and 1"),
        ([1, 0, 1], 90, 2, "coverage must lie strictly between 0 and 1 .* got 90"),
        ([1, 0, 1], 0.9, 0, r"window must be an integer between 1 and len\(hits\)=3, got 0"),
        ([1, 0, 1], 0.9, 4, r"window must be an integer between 1 and len\(hits\)=3, got 4"),
        ([1, 0, 1], 0.9, 2.0, "window must be an integer"),
    ],
)
def test_bad_coverage_input_raises_named_value_errors(ax, hits, coverage, window, match):
    with pytest.raises(ValueError, match=match):
        plot_coverage(hits, coverage, window=window, ax=ax)


# ----------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("n", "p", "level"), [(250, 0.1, 0.95), (50, 0.9, 0.95), (2000, 0.2, 0.95), (30, 0.5, 0.8)]
)
def test_binomial_band_equals_the_quantiles_of_the_exact_pmf(n, p, level):
    assert binomial_band(n, p, level) == _brute_force_binomial_band(n, p, level)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 0, "p": 0.5}, "n must be an integer >= 1, got 0"),
        ({"n": 10, "p": 1.0}, "p must lie strictly between 0 and 1, got 1.0"),
        ({"n": 10, "p": 0.5, "level": 0.0}, "level must lie strictly between 0 and 1"),
    ],
)
def test_binomial_band_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        binomial_band(**kwargs)


def test_uncertainty_figures_are_exported_from_forecast_plots():
    for name in ("plot_pit", "plot_coverage", "binomial_band"):
        assert name in plots.__all__ and callable(getattr(plots, name))
