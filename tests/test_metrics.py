"""Metrics against hand-computed values; DM and directional tests against explicit arithmetic."""

from __future__ import annotations

import dataclasses
import logging
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecast.metrics import (
    DirectionalResult,
    DMResult,
    diebold_mariano,
    directional_accuracy,
    mae,
    mape,
    mase,
    rmse,
    smape,
    theil_u2,
)

ACTUAL = np.array([2.0, 4.0, 5.0, 10.0])
FORECAST = np.array([1.0, 5.0, 5.0, 6.0])  # errors F - A: -1, 1, 0, -4


# --------------------------------------------------------------------------- point metrics


def test_mae_rmse_by_hand():
    assert mae(ACTUAL, FORECAST) == pytest.approx((1 + 1 + 0 + 4) / 4)
    assert rmse(ACTUAL, FORECAST) == pytest.approx(math.sqrt((1 + 1 + 0 + 16) / 4))


def test_mape_by_hand_in_percent():
    expected = 100 / 4 * (1 / 2 + 1 / 4 + 0 / 5 + 4 / 10)
    assert mape(ACTUAL, FORECAST) == pytest.approx(expected)


def test_smape_by_hand_and_its_bounds():
    expected = 100 / 4 * (2 * 1 / 3 + 2 * 1 / 9 + 0 + 2 * 4 / 16)
    assert smape(ACTUAL, FORECAST) == pytest.approx(expected)
    assert smape([1.0, -1.0], [-1.0, 0.0]) == pytest.approx(200.0)  # worst case
    assert smape(ACTUAL, ACTUAL) == 0.0


def test_smape_zero_over_zero_counts_as_no_error():
    # terms: 0/0 := 0 and 2*|3-1|/(1+3) = 1 -> 100/2 * (0 + 1)
    assert smape([0.0, 1.0], [0.0, 3.0]) == pytest.approx(50.0)


def test_mape_zero_actual_names_the_position():
    y = pd.Series([1.0, 0.0, 2.0], index=pd.bdate_range("2024-01-01", periods=3))
    with pytest.raises(ValueError, match=r"position 1 \(2024-01-02\)"):
        mape(y, y + 1)
    with pytest.raises(ValueError, match="position 2"):
        mape([1.0, 2.0, 0.0], [1.0, 2.0, 3.0])


def test_mase_by_hand():
    y_train = [3.0, 5.0, 4.0, 8.0, 6.0]
    y_true, y_pred = [7.0, 9.0], [6.0, 9.5]  # MAE = (1 + 0.5) / 2 = 0.75
    # lag-1 naive in-sample MAE: |5-3|, |4-5|, |8-4|, |6-8| -> (2 + 1 + 4 + 2) / 4 = 2.25
    assert mase(y_true, y_pred, y_train) == pytest.approx(0.75 / 2.25)
    # lag-2: |4-3|, |8-5|, |6-4| -> (1 + 3 + 2) / 3 = 2
    assert mase(y_true, y_pred, y_train, sp=2) == pytest.approx(0.75 / 2.0)


def test_mase_rejects_constant_training_series_and_bad_sp():
    with pytest.raises(ValueError, match="constant at lag sp=1"):
        mase([1.0], [2.0], [5.0, 5.0, 5.0])
    with pytest.raises(ValueError, match="at least 3 observations, got 2"):
        mase([1.0], [2.0], [1.0, 2.0], sp=2)
    with pytest.raises(TypeError, match="sp must be an integer"):
        mase([1.0], [2.0], [1.0, 2.0, 3.0], sp=1.0)


def test_theil_u2_is_exactly_one_for_the_random_walk():
    rng = np.random.default_rng(0)
    y = 100 + np.cumsum(rng.normal(size=50))
    actual, last = y[1:], y[:-1]
    assert theil_u2(actual, last, last) == 1.0


def test_theil_u2_by_hand():
    actual, last = [11.0, 12.0, 10.0], [10.0, 11.0, 12.0]
    forecast = [10.5, 12.0, 11.0]
    # model SSE: 0.25 + 0 + 1 ; random-walk SSE: 1 + 1 + 4
    assert theil_u2(actual, forecast, last) == pytest.approx(math.sqrt(1.25 / 6.0))


def test_theil_u2_undefined_when_random_walk_is_perfect():
    with pytest.raises(ValueError, match="random walk has zero error"):
        theil_u2([1.0, 1.0], [1.0, 2.0], [1.0, 1.0])


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("metric", [mae, rmse, mape, smape])
def test_length_mismatch_names_both_lengths(metric):
    with pytest.raises(ValueError, match=r"len\(y_true\)=3 and len\(y_pred\)=2"):
        metric([1.0, 2.0, 3.0], [1.0, 2.0])


def test_nan_names_its_position():
    y = pd.Series([1.0, 2.0, np.nan], index=pd.bdate_range("2024-03-01", periods=3))
    message = r"y_pred contains 1 non-finite .* position 2 \(2024-03-05\)"
    with pytest.raises(ValueError, match=message):
        mae(y.fillna(0.0), y)
    with pytest.raises(ValueError, match="y_last .* inf at position 1"):
        theil_u2([1.0, 2.0], [1.0, 2.0], [1.0, np.inf])


def test_misaligned_series_are_refused_but_arrays_pair_by_position():
    a = pd.Series([1.0, 2.0, 3.0], index=[10, 11, 12])
    b = pd.Series([1.0, 2.0, 4.0], index=[10, 11, 13])
    with pytest.raises(ValueError, match="different indexes.*position 2"):
        mae(a, b)
    assert mae(a, b.to_numpy()) == pytest.approx(1 / 3)


def test_bad_shapes_and_types():
    with pytest.raises(ValueError, match=r"must be 1-D, got an array of shape \(2, 2\)"):
        mae(np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="y_true is empty"):
        rmse([], [])
    with pytest.raises(TypeError, match="y_pred must be numeric"):
        mae([1.0], ["a"])


# --------------------------------------------------------------------------- direction


def test_directional_accuracy_by_hand_with_zero_changes_as_misses():
    last = [10.0] * 5
    actual = [11.0, 9.0, 10.0, 12.0, 8.0]  # changes +1 -1  0 +2 -2
    forecast = [10.5, 9.5, 10.5, 10.0, 9.0]  # changes +  -  +  0  -
    r = directional_accuracy(actual, forecast, last)
    assert isinstance(r, DirectionalResult)
    assert (r.hits, r.n, r.n_excluded) == (3, 5, 0)
    assert r.hit_rate == pytest.approx(0.6)
    # Binomial(5, 1/2): P(X >= 3) = (10 + 5 + 1) / 32; two-sided is symmetric -> 1
    assert r.pvalue_greater == pytest.approx(16 / 32)
    assert r.pvalue == pytest.approx(1.0)

    r = directional_accuracy(actual, forecast, last, zero="exclude")
    assert (r.hits, r.n, r.n_excluded) == (3, 3, 2)
    assert r.pvalue_greater == pytest.approx(1 / 8)
    assert r.pvalue == pytest.approx(2 / 8)


def test_directional_pvalues_match_scipy_binomtest():
    rng = np.random.default_rng(1)
    last = rng.normal(size=40)
    actual = last + rng.normal(size=40)
    forecast = last + np.where(rng.random(40) < 0.75, actual - last, last - actual)
    r = directional_accuracy(actual, forecast, last)
    hits = int(np.sum(np.sign(forecast - last) == np.sign(actual - last)))
    assert r.hits == hits and r.n == 40
    assert r.pvalue == pytest.approx(stats.binomtest(hits, 40, 0.5).pvalue)
    assert r.pvalue_greater == pytest.approx(
        stats.binomtest(hits, 40, 0.5, alternative="greater").pvalue
    )


def test_random_walk_makes_no_directional_call():
    y = 100 + np.cumsum(np.random.default_rng(2).normal(size=30))
    r = directional_accuracy(y[1:], y[:-1], y[:-1])
    assert (r.hits, r.n) == (0, 29)
    with pytest.raises(ValueError, match="all 29 positions have a zero change"):
        directional_accuracy(y[1:], y[:-1], y[:-1], zero="exclude")


def test_directional_rejects_unknown_zero_rule():
    with pytest.raises(ValueError, match="unknown zero='ignore'"):
        directional_accuracy([1.0], [1.0], [0.0], zero="ignore")


# --------------------------------------------------------------------------- Diebold-Mariano

# e1 = [0..5], e2 = [0, 2, 3, 3, 5, 6]; squared loss: d = e1^2 - e2^2 = [0, -3, -5, 0, -9, -11]
E1 = np.array([0.0, 1, 2, 3, 4, 5])
E2 = np.array([0.0, 2, 3, 3, 5, 6])


def test_dm_h1_by_hand():
    n = 6
    d_bar = -28 / 6
    # d - d_bar = [14, 5, -1, 14, -13, -19] / 3 ; gamma_0 = sum of squares / n
    gamma0 = (14**2 + 5**2 + 1 + 14**2 + 13**2 + 19**2) / 9 / n  # = 158 / 9
    dm = d_bar / math.sqrt(gamma0 / n)
    dm_hln = dm * math.sqrt((n + 1 - 2 + 0) / n)
    r = diebold_mariano(E1, E2)
    assert isinstance(r, DMResult)
    assert r.mean_difference == pytest.approx(d_bar)
    assert r.statistic == pytest.approx(dm_hln, rel=1e-12)
    assert r.pvalue == pytest.approx(2 * stats.t.cdf(-abs(dm_hln), df=n - 1), rel=1e-12)
    assert (r.h, r.n, r.variance, r.harvey_correction) == (1, 6, "rectangular", True)
    # the same example's published values (the `dieboldmariano` package's test suite,
    # edoannunziata/dieboldmariano tests/dieboldmarianotest.py): DM = -2.4905, p = 0.05513
    assert r.statistic == pytest.approx(-2.4905, abs=5e-5)
    assert r.pvalue == pytest.approx(0.05513, abs=5e-5)

    raw = diebold_mariano(E1, E2, harvey_correction=False)
    assert raw.statistic == pytest.approx(dm)
    assert raw.pvalue == pytest.approx(2 * stats.norm.cdf(-abs(dm)))


def test_dm_h2_rectangular_and_bartlett_by_hand():
    # absolute loss and e2 = 0: d = |e1| = [1, 3, 2, 6, 4, 2], d_bar = 3
    e1, e2 = np.array([1.0, -3, 2, -6, 4, 2]), np.zeros(6)
    # d - d_bar = [-2, 0, -1, 3, 1, -1]
    gamma0 = (4 + 0 + 1 + 9 + 1 + 1) / 6
    gamma1 = (0 * -2 + -1 * 0 + 3 * -1 + 1 * 3 + -1 * 1) / 6  # = -1/6
    hln = math.sqrt((6 + 1 - 4 + 2 * 1 / 6) / 6)

    r = diebold_mariano(e1, e2, h=2, loss="absolute")
    v = (gamma0 + 2 * gamma1) / 6  # = 7/18
    assert r.statistic == pytest.approx(3 / math.sqrt(v) * hln, rel=1e-12)
    assert r.statistic == pytest.approx(3 * math.sqrt(10 / 7))
    assert r.pvalue == pytest.approx(2 * stats.t.sf(3 * math.sqrt(10 / 7), df=5))

    r = diebold_mariano(e1, e2, h=2, loss="absolute", variance="bartlett")
    v = (gamma0 + 2 * (1 - 1 / 2) * gamma1) / 6  # = 5/12
    assert r.statistic == pytest.approx(3 / math.sqrt(v) * hln, rel=1e-12)
    assert r.variance == "bartlett"


def test_dm_falls_back_to_bartlett_when_rectangular_variance_is_negative(caplog):
    # d = [2, 0, 2, 0, 2, 0]: d_bar = 1, d - d_bar = +-1 alternating
    # gamma0 = 1, gamma1 = -5/6 -> rectangular gamma0 + 2 gamma1 = -2/3 < 0
    # bartlett: gamma0 + 2 * 1/2 * gamma1 = 1/6 -> V = 1/36 -> DM = 1 / (1/6) = 6
    e1 = np.array([2.0, 0, 2, 0, 2, 0])
    with caplog.at_level(logging.WARNING, logger="forecast.metrics"):
        r = diebold_mariano(e1, np.zeros(6), h=2, loss="absolute")
    assert r.variance == "bartlett"
    assert "Bartlett" in caplog.text
    assert r.statistic == pytest.approx(6 * math.sqrt((6 + 1 - 4 + 2 / 6) / 6))
    assert r.statistic == pytest.approx(2 * math.sqrt(5))


def test_dm_h3_absolute_loss_matches_published_value():
    # example and values from the `dieboldmariano` package's test suite (h=3, absolute loss,
    # one-sided): DM = 1.2109, p = 0.877 for the alternative "method 1 more accurate"
    p1 = [0.3675225224615024, 0.5450608127223211, 0.22044990720021074, 0.8688743471040006,
          0.6072512228948467, 0.8582283746501538, 0.41662295816718187, 0.3812100211114714,
          0.7185133356116706, 0.30827323290318875, 0.4297093624074402, 0.8615974488577858,
          0.7240514514808826, 0.3450839595261038, 0.19675301374013598]  # fmt: skip
    p2 = [0.12794132529988733, 0.3679643204341153, 0.768715420996091, 0.09972248964114683,
          0.27197653636654284, 0.28797629010039505, 0.9160213458582482, 0.6112628048698798,
          0.5452873235576241, 0.06785907231746158, 0.6072666485541124, 0.6241575753989782,
          0.39998026828867217, 0.19895665605941748, 0.8094941215215619]  # fmt: skip
    r = diebold_mariano(p1, p2, h=3, loss="absolute", alternative="less")
    assert r.variance == "rectangular"
    assert r.statistic == pytest.approx(1.2109, abs=5e-5)
    assert r.pvalue == pytest.approx(0.877, abs=5e-4)


def test_dm_alternatives_and_symmetry():
    two = diebold_mariano(E1, E2)
    less = diebold_mariano(E1, E2, alternative="less")
    greater = diebold_mariano(E1, E2, alternative="greater")
    assert less.pvalue + greater.pvalue == pytest.approx(1.0)
    assert two.pvalue == pytest.approx(2 * min(less.pvalue, greater.pvalue))
    assert less.pvalue < 0.05  # method 1 has the smaller squared errors
    swapped = diebold_mariano(E2, E1)
    assert swapped.statistic == pytest.approx(-two.statistic)
    assert swapped.pvalue == pytest.approx(two.pvalue)


def test_dm_custom_loss_equals_builtin():
    def quartic(e):
        return e**4

    r = diebold_mariano(E1, E2, loss=lambda e: e**2)
    assert r.statistic == pytest.approx(diebold_mariano(E1, E2).statistic)
    d = E1**4 - E2**4
    dm = d.mean() / math.sqrt(np.mean((d - d.mean()) ** 2) / 6) * math.sqrt(5 / 6)
    assert diebold_mariano(E1, E2, loss=quartic).statistic == pytest.approx(dm)
    with pytest.raises(ValueError, match="one loss per error"):
        diebold_mariano(E1, E2, loss=np.sum)


def test_dm_identical_losses_mean_no_evidence():
    r = diebold_mariano(E1, -E1)
    assert (r.statistic, r.pvalue, r.mean_difference) == (0.0, 1.0, 0.0)
    assert diebold_mariano(E1, E1, alternative="greater").pvalue == pytest.approx(0.5)
    with pytest.raises(ValueError, match="constant"):
        diebold_mariano(np.ones(5), np.zeros(5))  # d_t = 1 everywhere


def test_dm_keeps_its_size_under_the_null():
    # MA(1) errors of equally good 2-step forecasts: reject at 5 % about 5 % of the time
    rng = np.random.default_rng(3)
    rejections = 0
    reps = 400
    for _ in range(reps):
        z = rng.normal(size=(2, 121))
        e = z[:, 1:] + 0.6 * z[:, :-1]
        rejections += diebold_mariano(e[0], e[1], h=2).pvalue < 0.05
    assert 0.02 <= rejections / reps <= 0.09


def test_dm_detects_a_better_forecast():
    rng = np.random.default_rng(4)
    e_good, e_bad = rng.normal(size=200), 1.5 * rng.normal(size=200)
    r = diebold_mariano(e_good, e_bad, alternative="less")
    assert r.statistic < -3 and r.pvalue < 1e-3


def test_dm_validation():
    with pytest.raises(ValueError, match=r"h must be smaller than the number of errors, got h=6"):
        diebold_mariano(E1, E2, h=6)
    with pytest.raises(ValueError, match="h must be >= 1, got h=0"):
        diebold_mariano(E1, E2, h=0)
    with pytest.raises(ValueError, match=r"len\(e1\)=6 and len\(e2\)=5"):
        diebold_mariano(E1, E2[:5])
    with pytest.raises(ValueError, match="e2 contains 1 non-finite .* position 3"):
        diebold_mariano(E1, np.where(np.arange(6) == 3, np.nan, E2))
    with pytest.raises(ValueError, match="unknown loss='cubic'"):
        diebold_mariano(E1, E2, loss="cubic")
    with pytest.raises(ValueError, match="unknown alternative='two.sided'"):
        diebold_mariano(E1, E2, alternative="two.sided")


def test_results_are_frozen():
    r = diebold_mariano(E1, E2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.pvalue = 0.0


# ------------------------------------------------- near the float64 limits (issue 12, defect 7)


def test_rmse_of_errors_of_2e200_is_2e200_not_inf():
    assert rmse([1e200, -1e200], [-1e200, 1e200]) == 2e200
    assert mae([1e200, -1e200], [-1e200, 1e200]) == 2e200


def test_rmse_of_errors_of_2e_minus_200_does_not_underflow_to_zero():
    assert rmse([1e-200, -1e-200], [-1e-200, 1e-200]) == 2e-200


def test_a_point_metric_beyond_float64_raises_a_named_value_error():
    top = np.finfo(np.float64).max
    with pytest.raises(ValueError, match=r"the RMSE is about 3.6e308, larger than the largest"):
        rmse([top, -top], [-top, top])


def test_dm_on_a_constant_nonzero_differential_names_the_cause_and_the_reason():
    with pytest.raises(ValueError, match=r"constant \(d_t = -1.0 at all 3 positions\).*infinite"):
        diebold_mariano([0.0, 0.0, 0.0], [1.0, -1.0, 1.0])


def test_directional_accuracy_counts_directions_of_changes_beyond_float64():
    top = np.finfo(np.float64).max
    r = directional_accuracy([top, -top, top], [top, -top, -top], y_last=[-top, top, -top])
    assert (r.hits, r.n) == (2, 3)
