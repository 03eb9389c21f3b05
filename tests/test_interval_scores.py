"""Interval, quantile and CRPS scores against scoringrules, the papers' formulas and numerical
integration; the Kupiec and Christoffersen tests against the counts, scipy's G-tests and the
textbook non-rejection regions."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import scoringrules as sr
from scipy import integrate, stats
from sklearn.metrics import mean_pinball_loss

import forecast
from forecast import metrics, significance
from forecast.metrics import (
    ChristoffersenResult,
    FloatRangeError,
    KupiecResult,
    christoffersen,
    coverage,
    crps_normal,
    crps_sample,
    crps_student_t,
    interval_score,
    kupiec,
    pinball,
)

RNG_SEED = 20260


@pytest.fixture(scope="module")
def sp500_returns() -> np.ndarray:
    close = forecast.load_dataset("sp500")["close"]
    return np.diff(np.log(close.to_numpy()))


def _crps_by_integration(cdf, y: float, lo: float, hi: float) -> float:
    """CRPS(F, y) = int (F(x) - 1{x >= y})^2 dx, by quadrature (the definition)."""
    below, _ = integrate.quad(lambda x: cdf(x) ** 2, lo, y, limit=200)
    above, _ = integrate.quad(lambda x: (1.0 - cdf(x)) ** 2, y, hi, limit=200)
    return below + above


# --------------------------------------------------------------------------- exports


def test_the_new_scores_and_tests_are_exported_from_metrics_and_significance():
    for name in ("coverage", "interval_score", "pinball", "crps_normal", "crps_student_t",
                 "crps_sample", "kupiec", "christoffersen"):
        assert name in metrics.__all__
    for name in ("kupiec", "christoffersen", "KupiecResult", "ChristoffersenResult"):
        assert name in significance.__all__
    assert significance.kupiec is metrics.kupiec


# --------------------------------------------------------------------------- coverage


def test_coverage_counts_a_value_on_a_bound_as_covered():
    y = [1.0, 2.0, 5.0, 3.0, 4.0]
    lower = [0.0, 2.0, 3.0, 3.5, 1.0]
    upper = [2.0, 4.0, 4.0, 4.0, 4.0]  # inside, on lower, above, below, on upper
    assert coverage(y, lower, upper) == 3 / 5


def test_coverage_of_the_true_normal_interval_is_near_nominal():
    y = np.random.default_rng(RNG_SEED).standard_normal(20_000)
    z = stats.norm.ppf(0.95)
    assert coverage(y, np.full_like(y, -z), np.full_like(y, z)) == pytest.approx(0.9, abs=0.006)


# --------------------------------------------------------------------------- interval score


def test_interval_score_by_hand_from_the_winkler_formula():
    # alpha = 0.5, 2/alpha = 4: inside -> width; above -> width + 4 (y - u); below -> + 4 (l - y)
    y, lower, upper = [1.0, 6.0, -1.0], [0.0, 0.0, 0.0], [2.0, 4.0, 3.0]
    expected = (2.0 + (4.0 + 4 * 2.0) + (3.0 + 4 * 1.0)) / 3
    assert interval_score(y, lower, upper, coverage=0.5) == pytest.approx(expected, rel=1e-15)


def test_interval_score_matches_scoringrules():
    rng = np.random.default_rng(RNG_SEED)
    y = rng.normal(size=500)
    centre, half = rng.normal(scale=0.3, size=500), rng.uniform(0.2, 2.5, size=500)
    lower, upper = centre - half, centre + half
    for cov in (0.5, 0.8, 0.9, 0.99):
        expected = np.mean(sr.interval_score(y, lower, upper, 1.0 - cov))
        assert interval_score(y, lower, upper, cov) == pytest.approx(expected, rel=1e-12)


def test_interval_score_of_a_degenerate_interval_is_the_scaled_absolute_error():
    y = np.array([1.0, -2.0, 0.5])
    point = np.array([0.0, 0.0, 0.5])
    # l = u = F: S = (2/alpha) |y - F|
    assert interval_score(y, point, point, coverage=0.9) == pytest.approx(
        2 / 0.1 * np.mean(np.abs(y - point)), rel=1e-12
    )


# --------------------------------------------------------------------------- pinball


def test_pinball_by_hand_for_one_level():
    # tau = 0.9: y above q costs 0.9 (y - q), below costs 0.1 (q - y)
    assert pinball([1.0, 3.0, 2.0], [2.0, 2.0, 2.0], level=0.9) == pytest.approx(
        (0.1 * 1 + 0.9 * 1 + 0.0) / 3
    )


def test_pinball_matches_scoringrules_and_sklearn_at_several_levels():
    rng = np.random.default_rng(RNG_SEED)
    y = rng.normal(size=300)
    levels = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
    q = stats.norm.ppf(levels)[None, :] + rng.normal(scale=0.2, size=(300, 5))
    per_level = [pinball(y, q[:, j], tau) for j, tau in enumerate(levels)]
    for j, tau in enumerate(levels):
        assert per_level[j] == pytest.approx(np.mean(sr.quantile_score(y, q[:, j], tau)), rel=1e-12)
        assert per_level[j] == pytest.approx(mean_pinball_loss(y, q[:, j], alpha=tau), rel=1e-12)
    assert pinball(y, q, levels) == pytest.approx(np.mean(per_level), rel=1e-14)


def test_pinball_takes_a_dataframe_of_quantiles_with_the_index_of_y():
    idx = pd.date_range("2024-01-01", periods=3)
    y = pd.Series([1.0, 2.0, 3.0], index=idx)
    q = pd.DataFrame({0.1: [0.0, 1.0, 2.0], 0.9: [2.0, 3.0, 4.0]}, index=idx)
    assert pinball(y, q, [0.1, 0.9]) == pytest.approx((0.1 + 0.1) / 2)
    with pytest.raises(ValueError, match="different indexes"):
        pinball(y, q.set_axis(pd.date_range("2025-01-01", periods=3)), [0.1, 0.9])


def test_twice_the_average_pinball_over_many_levels_approximates_the_crps():
    y = np.array([0.3, -1.2, 2.0])
    levels = (np.arange(1, 1000) - 0.5) / 999
    q = np.tile(stats.norm.ppf(levels), (3, 1))
    assert 2 * pinball(y, q, levels) == pytest.approx(crps_normal(y, 0.0, 1.0), rel=2e-3)


# --------------------------------------------------------------------------- CRPS normal


def test_crps_normal_at_the_mean_is_sigma_times_sqrt2_minus_1_over_sqrtpi():
    assert crps_normal([3.0], 3.0, 2.0) == pytest.approx(
        2.0 * (math.sqrt(2) - 1) / math.sqrt(math.pi), rel=1e-15
    )


def test_crps_normal_matches_scoringrules_and_the_integral_definition():
    rng = np.random.default_rng(RNG_SEED)
    y, mu, sigma = rng.normal(size=200), rng.normal(size=200), rng.uniform(0.1, 3, size=200)
    expected = np.mean(sr.crps_normal(y, mu, sigma))
    assert crps_normal(y, mu, sigma) == pytest.approx(expected, rel=1e-12)
    for yi, mi, si in zip(y[:5], mu[:5], sigma[:5], strict=True):
        by_quad = _crps_by_integration(
            stats.norm(mi, si).cdf, yi, mi - 40 * si, mi + 40 * si
        )
        assert crps_normal([yi], mi, si) == pytest.approx(by_quad, rel=1e-8)


def test_crps_normal_far_in_the_tail_is_the_distance_minus_sigma_over_sqrtpi():
    # |z| = 1e6: CRPS = |y - mu| - sigma / sqrt(pi) to all digits
    assert crps_normal([1e6], 0.0, 1.0) == pytest.approx(1e6 - 1 / math.sqrt(math.pi), rel=1e-15)
    # z = 1e600 (sigma underflows after scaling): the CRPS is |y - mu|
    assert crps_normal([1e300], -1e300, 1e-300) == pytest.approx(2e300, rel=1e-15)


def test_crps_normal_scores_returns_of_the_sp500_better_with_the_right_scale(sp500_returns):
    r = sp500_returns[-500:]
    right = r.std()
    scores = [crps_normal(r, 0.0, s) for s in (right / 4, right, right * 4)]
    assert scores[1] < scores[0] and scores[1] < scores[2]
    assert scores[1] == pytest.approx(np.mean(sr.crps_normal(r, 0.0, right)), rel=1e-12)


# --------------------------------------------------------------------------- CRPS Student-t


def test_crps_student_t_matches_scoringrules_and_the_integral_definition():
    rng = np.random.default_rng(RNG_SEED)
    y, mu = rng.standard_t(4, size=200), rng.normal(scale=0.5, size=200)
    sigma, df = rng.uniform(0.2, 2, size=200), rng.uniform(1.5, 30, size=200)
    expected = np.mean(sr.crps_t(y, df, mu, sigma))
    assert crps_student_t(y, mu, sigma, df) == pytest.approx(expected, rel=1e-10)
    for yi, mi, si, nu in [(0.3, 0.0, 1.0, 3.0), (-2.5, 0.5, 0.7, 2.5), (4.0, 0.0, 2.0, 10.0)]:
        by_quad = _crps_by_integration(stats.t(nu, mi, si).cdf, yi, -np.inf, np.inf)
        assert crps_student_t([yi], mi, si, nu) == pytest.approx(by_quad, rel=1e-7)


def test_crps_student_t_tends_to_crps_normal_as_df_grows():
    y = np.array([-2.0, 0.0, 0.5, 3.0])
    assert crps_student_t(y, 0.0, 1.5, df=1e7) == pytest.approx(crps_normal(y, 0.0, 1.5), rel=1e-6)


def test_crps_student_t_at_the_location_by_hand_for_df_3():
    # z = 0, nu = 3: 2 f(0) (3/2) - 2 sqrt(3) B(1/2, 5/2) / (2 B(1/2, 3/2)^2)
    beta = math.gamma(0.5) * math.gamma(2.5) / math.gamma(3.0)
    beta2 = math.gamma(0.5) * math.gamma(1.5) / math.gamma(2.0)
    expected = 2 * stats.t.pdf(0, 3) * 1.5 - 2 * math.sqrt(3) * beta / (2 * beta2**2)
    assert crps_student_t([0.0], 0.0, 1.0, 3.0) == pytest.approx(expected, rel=1e-14)


def test_crps_student_t_far_in_the_tail_stays_finite_and_near_the_distance():
    value = crps_student_t([1e200], 0.0, 1.0, df=3.0)
    assert value == pytest.approx(1e200, rel=1e-12)


# --------------------------------------------------------------------------- CRPS sample


def test_crps_sample_matches_scoringrules_nrg_and_fair_estimators():
    rng = np.random.default_rng(RNG_SEED)
    y, x = rng.normal(size=50), rng.normal(size=(50, 101))
    assert crps_sample(y, x) == pytest.approx(
        np.mean(sr.crps_ensemble(y, x, estimator="nrg")), rel=1e-12
    )
    assert crps_sample(y, x, fair=True) == pytest.approx(
        np.mean(sr.crps_ensemble(y, x, estimator="fair")), rel=1e-12
    )


def test_crps_sample_equals_the_double_sum_over_pairs_with_ties():
    y = np.array([0.5, 2.0])
    x = np.array([[0.0, 1.0, 1.0, 3.0], [2.0, 2.0, 2.0, 2.0]])
    m = x.shape[1]
    first = np.abs(x - y[:, None]).mean(axis=1)
    pairs = np.abs(x[:, :, None] - x[:, None, :]).sum(axis=(1, 2))
    assert crps_sample(y, x) == pytest.approx(np.mean(first - pairs / (2 * m * m)), rel=1e-15)
    assert crps_sample(y, x, fair=True) == pytest.approx(
        np.mean(first - pairs / (2 * m * (m - 1))), rel=1e-15
    )


def test_crps_sample_with_one_draw_is_the_absolute_error():
    assert crps_sample([1.0, -2.0], [[0.0], [1.0]]) == pytest.approx(2.0)


def test_fair_crps_of_many_normal_draws_approaches_crps_normal_on_sp500_returns(sp500_returns):
    r = sp500_returns[-200:]
    sigma = sp500_returns[-700:-200].std()
    draws = np.random.default_rng(RNG_SEED).normal(0.0, sigma, size=(200, 4000))
    exact = crps_normal(r, 0.0, sigma)
    assert crps_sample(r, draws, fair=True) == pytest.approx(exact, rel=5e-3)
    # the empirical-distribution (default) form is larger by about E|X - X'| / (2m)
    bias = 2 * sigma / math.sqrt(math.pi) / (2 * 4000)
    assert crps_sample(r, draws) - crps_sample(r, draws, fair=True) == pytest.approx(
        bias, rel=2e-2
    )


# --------------------------------------------------------------------------- extreme values


@pytest.mark.parametrize("k", [-900, 900])
def test_scores_scale_exactly_with_the_data_near_the_float64_limits(k):
    y = np.array([0.3, -1.2, 2.0])
    lo, hi = np.array([-1.0, -1.0, 0.0]), np.array([1.0, 0.5, 1.5])
    x = np.array([[0.0, 1.0, -1.0], [0.5, 0.5, 2.0], [3.0, 1.0, 2.0]])
    s = 2.0**k
    assert interval_score(y * s, lo * s, hi * s, 0.9) == pytest.approx(
        s * interval_score(y, lo, hi, 0.9), rel=1e-14
    )
    assert pinball(y * s, hi * s, 0.8) == pytest.approx(s * pinball(y, hi, 0.8), rel=1e-14)
    assert crps_normal(y * s, lo * s, 2 * s) == pytest.approx(
        s * crps_normal(y, lo, 2.0), rel=1e-14
    )
    assert crps_student_t(y * s, lo * s, 2 * s, 4.0) == pytest.approx(
        s * crps_student_t(y, lo, 2.0, 4.0), rel=1e-14
    )
    assert crps_sample(y * s, x * s) == pytest.approx(s * crps_sample(y, x), rel=1e-14)


def test_a_score_beyond_float64_raises_float_range_error():
    with pytest.raises(FloatRangeError, match="interval score"):
        interval_score([1.7e308], [-1.7e308], [-1.0e308], coverage=0.9)
    with pytest.raises(FloatRangeError, match="CRPS"):
        crps_sample([1.7e308], [[-1.7e308, -1.6e308]])


# --------------------------------------------------------------------------- bad input


def test_lower_above_upper_is_refused_naming_the_position():
    with pytest.raises(ValueError, match=r"lower must not exceed upper.*position 1.*swapped"):
        interval_score([1.0, 2.0], [0.0, 3.0], [2.0, 2.5], coverage=0.9)
    with pytest.raises(ValueError, match="lower must not exceed upper"):
        coverage([1.0], [2.0], [1.0])


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_coverage_and_levels_outside_zero_one_are_refused(bad):
    with pytest.raises(ValueError, match="coverage"):
        interval_score([1.0], [0.0], [2.0], coverage=bad)
    with pytest.raises(ValueError, match="level"):
        pinball([1.0], [1.0], level=bad)
    with pytest.raises(ValueError, match="coverage"):
        kupiec([1, 0], coverage=bad)
    with pytest.raises(ValueError, match="coverage"):
        christoffersen([1, 0], coverage=bad)


def test_lengths_and_nan_are_refused_with_named_errors():
    with pytest.raises(ValueError, match=r"len\(y\)=2 and len\(lower\)=1"):
        coverage([1.0, 2.0], [0.0], [3.0, 3.0])
    with pytest.raises(ValueError, match="mu contains 1 non-finite"):
        crps_normal([1.0, 2.0], [0.0, np.nan], 1.0)
    with pytest.raises(ValueError, match="samples contains 1 non-finite"):
        crps_sample([1.0], [[0.0, np.inf]])
    with pytest.raises(ValueError, match=r"y and q must have the same length"):
        pinball([1.0, 2.0], [[0.0, 1.0]], [0.1, 0.9])


def test_non_positive_sigma_and_df_at_most_one_are_refused():
    with pytest.raises(ValueError, match=r"sigma must be > 0.0, got sigma=0.0 at position 1"):
        crps_normal([1.0, 2.0], 0.0, [1.0, 0.0])
    with pytest.raises(ValueError, match=r"sigma must be > 0.0, got sigma=-1.0; a forecast"):
        crps_student_t([1.0], 0.0, -1.0, 3.0)
    with pytest.raises(ValueError, match=r"df must be > 1.0, got df=1.0.*finite mean"):
        crps_student_t([1.0], 0.0, 1.0, 1.0)


def test_samples_of_the_wrong_shape_are_refused_and_a_transpose_is_suggested():
    with pytest.raises(ValueError, match=r"shape \(n, m\).*got shape \(5, 3\).*samples.T"):
        crps_sample(np.zeros(3), np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"got shape \(3,\)"):
        crps_sample(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="fair CRPS needs at least 2"):
        crps_sample([0.0], [[1.0]], fair=True)


def test_quantiles_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match=r"q must have shape \(n, 2\)"):
        pinball([1.0], [[0.0, 1.0, 2.0]], [0.1, 0.9])
    with pytest.raises(ValueError, match="with one level, q must be 1-D"):
        pinball([1.0], [[0.0, 1.0]], 0.5)


def test_hits_other_than_zero_or_one_are_refused():
    with pytest.raises(ValueError, match=r"hits must be 1 .* got 0.5 at position 2"):
        kupiec([1, 1, 0.5], coverage=0.9)
    with pytest.raises(ValueError, match="hits contains 1 non-finite"):
        christoffersen([1.0, np.nan, 0.0], coverage=0.9)


# --------------------------------------------------------------------------- Kupiec


def _lr_pof_by_hand(n1: int, n: int, p: float) -> float:
    n0, pi = n - n1, n1 / n
    log_l0 = n1 * math.log(p) + n0 * math.log(1 - p)
    log_l1 = (n1 * math.log(pi) if n1 else 0.0) + (n0 * math.log(1 - pi) if n0 else 0.0)
    return -2 * (log_l0 - log_l1)


@pytest.mark.parametrize("n1, n, p", [(230, 250, 0.9), (240, 250, 0.9), (180, 250, 0.9),
                                      (95, 100, 0.99), (9, 10, 0.5)])
def test_kupiec_statistic_from_the_counts_and_as_a_g_test(n1, n, p):
    hits = np.r_[np.ones(n1), np.zeros(n - n1)]
    result = kupiec(np.random.default_rng(n1).permutation(hits), coverage=p)
    assert isinstance(result, KupiecResult)
    assert result.statistic == pytest.approx(_lr_pof_by_hand(n1, n, p), rel=1e-12)
    g = stats.power_divergence([n1, n - n1], [n * p, n * (1 - p)], lambda_="log-likelihood")
    assert result.statistic == pytest.approx(g.statistic, rel=1e-10)
    assert result.pvalue == pytest.approx(stats.chi2.sf(result.statistic, 1), rel=1e-12)
    assert (result.n, result.n_violations, result.empirical_coverage) == (n, n - n1, n1 / n)


def test_kupiec_reproduces_the_textbook_non_rejection_regions():
    # Kupiec (1995) 95% non-rejection regions for the number of violations N, as tabulated
    # in Jorion's "Value at Risk": T=510 and T=1000 at violation rates 1 %, 2.5 %, 5 %, 10 %
    table = {(0.01, 510): (1, 11), (0.01, 1000): (4, 17), (0.025, 510): (6, 21),
             (0.025, 1000): (15, 36), (0.05, 510): (16, 36), (0.05, 1000): (37, 65),
             (0.10, 510): (38, 65), (0.10, 1000): (81, 120)}
    for (rate, t), (low, high) in table.items():
        accepted = [n_viol for n_viol in range(t // 4)
                    if kupiec(np.r_[np.zeros(n_viol), np.ones(t - n_viol)], 1 - rate).pvalue > 0.05]
        assert (min(accepted), max(accepted)) == (low + 1, high - 1), (rate, t)


def test_kupiec_with_no_violations_or_only_violations_is_finite():
    none = kupiec(np.ones(100, dtype=bool), coverage=0.9)
    assert none.statistic == pytest.approx(-2 * 100 * math.log(0.9), rel=1e-14)
    only = kupiec(np.zeros(100, dtype=bool), coverage=0.9)
    assert only.statistic == pytest.approx(-2 * 100 * math.log(0.1), rel=1e-14)
    assert only.pvalue < 1e-100 and math.isfinite(none.pvalue)


def test_calibrated_normal_interval_passes_kupiec_and_a_too_narrow_one_fails():
    y = np.random.default_rng(RNG_SEED).standard_normal(1000)
    z90 = stats.norm.ppf(0.95)
    hits = (-z90 <= y) & (y <= z90)
    assert coverage(y, np.full(1000, -z90), np.full(1000, z90)) == pytest.approx(0.9, abs=0.02)
    assert kupiec(hits, coverage=0.9).pvalue > 0.05
    narrow = (-1.0 <= y) & (y <= 1.0)  # a 68 % interval claimed as 90 %
    assert kupiec(narrow, coverage=0.9).pvalue < 1e-30
    assert christoffersen(hits, coverage=0.9).pvalue > 0.05


# --------------------------------------------------------------------------- Christoffersen


def test_christoffersen_by_hand_on_a_short_sequence():
    hits = [1, 1, 0, 0, 1, 1, 1, 1, 0, 0]
    r = christoffersen(hits, coverage=0.8)
    assert isinstance(r, ChristoffersenResult)
    assert r.transitions == (2, 1, 2, 4)  # n00, n01, n10, n11
    # pi = 5/9, pi01 = 1/3, pi11 = 4/6
    log_indep = 5 * math.log(5 / 9) + 4 * math.log(4 / 9)
    log_markov = math.log(1 / 3) + 2 * math.log(2 / 3) + 4 * math.log(4 / 6) + 2 * math.log(2 / 6)
    assert r.statistic_ind == pytest.approx(-2 * (log_indep - log_markov), rel=1e-12)
    assert r.statistic_pof == pytest.approx(_lr_pof_by_hand(6, 10, 0.8), rel=1e-12)


def test_christoffersen_parts_match_the_g_test_of_the_transition_table_and_kupiec():
    rng = np.random.default_rng(RNG_SEED)
    # clustered violations: a two-state Markov chain that stays in violation with prob 0.5
    state, hits = True, []
    for _ in range(2000):
        state = rng.random() < (0.95 if state else 0.5)
        hits.append(state)
    hits = np.array(hits)
    r = christoffersen(hits, coverage=0.9)
    n00, n01, n10, n11 = r.transitions
    g, *_ = stats.chi2_contingency([[n00, n01], [n10, n11]], correction=False,
                                   lambda_="log-likelihood")
    assert r.statistic_ind == pytest.approx(g, rel=1e-10)
    assert r.statistic_pof == pytest.approx(kupiec(hits, 0.9).statistic, rel=1e-15)
    assert r.statistic == pytest.approx(r.statistic_pof + r.statistic_ind, rel=1e-15)
    assert r.pvalue == pytest.approx(stats.chi2.sf(r.statistic, 2), rel=1e-12)
    assert r.pvalue_ind == pytest.approx(stats.chi2.sf(r.statistic_ind, 1), rel=1e-12)
    assert r.pvalue_pof == pytest.approx(stats.chi2.sf(r.statistic_pof, 1), rel=1e-12)
    assert r.pvalue_ind < 1e-10  # the clustering is found
    assert sum(r.transitions) == len(hits) - 1


@pytest.mark.parametrize("hits", [np.ones(50), np.zeros(50), np.r_[np.ones(49), 0]])
def test_christoffersen_without_evidence_of_dependence_gives_zero_and_pvalue_one(hits):
    # no violations, only violations, or one violation at the end: 0 log 0 = 0
    r = christoffersen(hits, coverage=0.9)
    assert (r.statistic_ind, r.pvalue_ind) == (0.0, 1.0)
    assert r.statistic == pytest.approx(r.statistic_pof, rel=1e-15)
    assert all(math.isfinite(v) for v in dataclasses.astuple(r)[:6])


def test_christoffersen_needs_at_least_two_hits():
    with pytest.raises(ValueError, match=r"at least 2 hits.*got n=1.*kupiec"):
        christoffersen([1], coverage=0.9)


# --------------------------------------------------------------------------- docstrings


@pytest.mark.parametrize("module", ["forecast.interval_scores", "forecast.coverage_tests"])
def test_the_docstring_examples_give_the_values_they_show(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def test_series_inputs_pair_by_index_and_a_misaligned_one_is_refused():
    idx = pd.date_range("2024-01-01", periods=3)
    y = pd.Series([1.0, 2.0, 3.0], index=idx)
    lower, upper = y - 0.5, y + 0.5
    assert coverage(y, lower, upper) == 1.0
    with pytest.raises(ValueError, match="different indexes"):
        coverage(y, lower.set_axis(idx + pd.Timedelta(days=1)), upper)
    hits = pd.Series([True, False, True], index=idx)
    assert kupiec(hits, 0.9).n_violations == 1
