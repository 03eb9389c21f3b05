"""Numbers near the float64 limits: the right finite number, or a named error; never inf/NaN/0.

Issue 12, defect 7. Each stable computation is checked against an exact reference (Python's
``decimal`` at 60 digits, or the same data scaled by hand by a power of two).
"""

from __future__ import annotations

import decimal
import math

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast._numeric import FloatRangeError, rescale, scaled_difference
from forecast.metrics import diebold_mariano, mae, mape, mase, rmse, smape, theil_u2
from forecast.models.ar import ARForecaster
from forecast.models.naive import NaiveForecaster
from forecast.transforms import Differencer, LogReturns, SimpleReturns, Standardizer

D = decimal.Context(prec=60)


def exact_errors(a, f) -> list[decimal.Decimal]:
    """f - a in 60-digit decimal arithmetic (float -> Decimal is exact)."""
    return [D.subtract(decimal.Decimal(y), decimal.Decimal(x)) for x, y in zip(a, f, strict=True)]


def exact_rmse(a, f) -> float:
    sq = [D.power(e, 2) for e in exact_errors(a, f)]
    return float(D.sqrt(D.divide(sum(sq, decimal.Decimal(0)), len(sq))))


def exact_std(x) -> float:
    values = [decimal.Decimal(v) for v in x]
    mean = D.divide(sum(values, decimal.Decimal(0)), len(values))
    var = D.divide(sum((D.power(v - mean, 2) for v in values), decimal.Decimal(0)), len(values))
    return float(D.sqrt(var))


@pytest.fixture(scope="module")
def close() -> pd.Series:
    return forecast.load_dataset("sp500")["close"]


# ------------------------------------------------------------------------------ metrics


def test_rmse_of_errors_near_1e200_is_2e200_not_inf():
    assert rmse([1e200, -1e200], [-1e200, 1e200]) == 2e200


@pytest.mark.parametrize("scale", [1e-300, 1e-200, 1e150, 1e200, 1e300])
def test_rmse_and_mae_match_exact_decimal_arithmetic_at_any_scale(scale):
    rng = np.random.default_rng(7)
    a = scale * rng.normal(size=50)
    f = a + scale * rng.normal(size=50)
    assert rmse(a, f) == pytest.approx(exact_rmse(a, f), rel=1e-14, abs=0)
    expected_mae = float(D.divide(sum(map(abs, exact_errors(a, f)), decimal.Decimal(0)), 50))
    assert mae(a, f) == pytest.approx(expected_mae, rel=1e-14, abs=0)


def test_point_metrics_on_real_prices_are_bitwise_the_plain_formulas(close):
    a, f, last = close.to_numpy()[2:], close.to_numpy()[1:-1] * 1.001, close.to_numpy()[1:-1]
    e = f - a
    assert rmse(a, f) == float(np.sqrt(np.mean(e**2)))
    assert mae(a, f) == float(np.mean(np.abs(e)))
    assert theil_u2(a, f, last) == float(np.sqrt(np.sum(e**2) / np.sum((last - a) ** 2)))
    train = close.to_numpy()[:1000]
    assert mase(a, f, train) == float(np.mean(np.abs(e)) / np.mean(np.abs(np.diff(train))))
    assert smape(a, f) == float(100 * np.mean(2 * np.abs(e) / (np.abs(a) + np.abs(f))))
    assert mape(a, f) == float(100 * np.mean(np.abs(e / a)))


def test_theil_u2_and_mase_of_tiny_errors_do_not_underflow():
    a = np.array([1e-200, 2e-200])
    # (F - A)^2 and (L - A)^2 underflow to 0: U2 used to call the random walk perfect
    assert theil_u2(a, a + [1e-200, 0.0], [0.0, 0.0]) == pytest.approx(1 / math.sqrt(5), abs=0)
    assert mase(a, a + 1e-200, y_train=[0.0, 1e-200, 3e-200]) == pytest.approx(2 / 3, abs=0)


def test_theil_u2_of_huge_errors_is_their_ratio_not_inf():
    a = np.array([1e200, 1.0])
    assert theil_u2(a, [-1e200, 1.0], y_last=[0.0, 1.0]) == pytest.approx(2.0, rel=1e-15)


def test_smape_and_mase_of_values_near_the_float64_limit():
    top = np.finfo(np.float64).max
    assert smape([top], [-top]) == 200.0
    assert mase([top], [-top], y_train=[top, -top]) == 1.0


def test_a_metric_beyond_float64_raises_float_range_error_not_inf():
    top = np.finfo(np.float64).max
    with pytest.raises(FloatRangeError, match=r"the MAE is about 3.6e308, larger than .*rescale"):
        mae([top, -top], [-top, top])
    with pytest.raises(ValueError, match=r"MAPE overflows float64: at position 1.*use smape"):
        mape([1.0, 1e-320], [1.0, 1.0])
    assert issubclass(FloatRangeError, ValueError)


def test_mase_of_a_constant_training_series_and_u2_of_a_perfect_random_walk_refuse():
    with pytest.raises(ValueError, match=r"y_train is constant at lag sp=1.*use mae"):
        mase([1.0], [2.0], y_train=[5.0, 5.0, 5.0])
    with pytest.raises(ValueError, match=r"random walk has zero error; use rmse"):
        theil_u2([1.0, 2.0], [1.5, 2.5], y_last=[1.0, 2.0])


# ------------------------------------------------------------------------ significance


def test_diebold_mariano_of_errors_whose_squares_overflow_equals_the_scaled_test():
    rng = np.random.default_rng(3)
    e1, e2 = 1e153 * rng.normal(size=40), 1.3e153 * rng.normal(size=40)
    e1[0] = 1.5e154  # its square, 2.25e308, is beyond float64
    big = diebold_mariano(e1, e2, h=2)
    small = diebold_mariano(e1 * 2.0**-600, e2 * 2.0**-600, h=2)
    assert big.statistic == small.statistic and big.pvalue == small.pvalue
    assert big.mean_difference == math.ldexp(small.mean_difference, 1200)
    with pytest.raises(FloatRangeError, match=r"loss differential is about [0-9.]+e3\d\d, larger"):
        diebold_mariano(e1 * 1e10, e2, h=2)


def test_diebold_mariano_of_tiny_errors_is_not_a_tie():
    rng = np.random.default_rng(4)
    e1, e2 = 2.0 * rng.normal(size=30), rng.normal(size=30)
    ref = diebold_mariano(e1, e2)
    tiny = diebold_mariano(e1 * 2.0**-700, e2 * 2.0**-700)  # squares underflow to 0
    assert tiny.statistic == ref.statistic != 0.0
    assert tiny.pvalue == ref.pvalue


def test_diebold_mariano_custom_loss_that_overflows_is_named():
    with pytest.raises(ValueError, match=r"loss 'quartic' returned inf for the finite error "
                                         r"e1\[1\].*overflows float64"):
        def quartic(e):
            return e**4

        with np.errstate(over="ignore"):
            diebold_mariano([1.0, 1e100, 2.0], [0.5, 1.0, 1.0], loss=quartic)


def test_directional_accuracy_with_changes_beyond_float64_counts_the_direction():
    top = np.finfo(np.float64).max
    r = forecast.metrics.directional_accuracy([top, -top], [top, top], y_last=[-top, top])
    assert (r.hits, r.n) == (1, 2)


# -------------------------------------------------------------------------- transforms


def test_standardizer_keeps_the_spread_of_values_near_1e300():
    x = np.array([1e300, 2e300, 3e300])
    z = Standardizer().fit_transform(x)
    np.testing.assert_allclose(z, [-math.sqrt(1.5), 0.0, math.sqrt(1.5)], rtol=1e-15)
    sc = Standardizer().fit(x)
    assert sc.scale_ == pytest.approx(exact_std(x), rel=1e-15)
    assert sc.mean_ == 2e300


def test_standardizer_mean_of_values_whose_sum_overflows():
    top = np.finfo(np.float64).max
    sc = Standardizer().fit(np.array([top, top, top / 2]))
    assert sc.mean_ == pytest.approx(top / 6 * 5, rel=1e-15)
    assert np.isfinite(sc.scale_)


def test_standardizer_statistics_are_bitwise_the_plain_ones_on_real_prices(close):
    x = close.to_numpy()
    sc = Standardizer().fit(x)
    assert sc.mean_ == float(x.mean()) and sc.scale_ == float(x.std())


def test_standardizer_transform_beyond_float64_is_named():
    sc = Standardizer().fit(np.array([0.0, 1e-300]))
    with pytest.raises(FloatRangeError, match=r"standardised value overflows.*position 1"):
        sc.transform(np.array([0.0, 1e10]))


def test_log_returns_of_prices_whose_ratio_overflows_are_log_differences():
    p = np.array([1e-300, 1e300, 1e-300])
    r = LogReturns().fit(p).transform(p)
    ref = math.log(1e300) - math.log(1e-300)
    np.testing.assert_allclose(r, [ref, -ref], rtol=1e-15)


def test_compounded_prices_that_pass_through_overflow_are_computed_in_logs():
    prices = LogReturns().fit([1.0]).inverse_transform(np.array([710.0]), start=1e-300)
    assert prices[0] == pytest.approx(math.exp(710.0 - 300 * math.log(10)), rel=1e-12)
    prices = SimpleReturns().fit([1.0]).inverse_transform(np.array([1e200, 1e200]), start=1e-300)
    assert prices[1] == pytest.approx(1e100, rel=1e-12)


def test_compounded_prices_beyond_float64_are_named():
    with pytest.raises(FloatRangeError, match=r"compounded price overflows.*position 1"):
        LogReturns().fit([1.0]).inverse_transform(np.array([1.0, 800.0]))


def test_simple_return_of_prices_whose_ratio_overflows_is_named():
    with pytest.raises(FloatRangeError, match=r"the return overflows.*use LogReturns|LogReturns"):
        SimpleReturns().fit([1.0]).transform(np.array([1e-300, 1e300]))


def test_differences_and_levels_beyond_float64_are_named():
    top = np.finfo(np.float64).max
    y = pd.Series([1.0, top, -top], index=pd.bdate_range("2024-01-01", periods=3))
    with pytest.raises(FloatRangeError, match=r"difference overflows.*position 1 \(2024-01-03"):
        Differencer().fit(y).transform(y)
    with pytest.raises(FloatRangeError, match=r"integrated level overflows.*position 1"):
        Differencer().fit([0.0]).inverse_transform(np.array([top, top]))


# ------------------------------------------------------------------ forecasters, scaling


def test_ar_on_prices_near_1e20_is_fitted_not_called_collinear(close):
    """The rank test was absolute: a constant column next to 1e20 prices looked negligible."""
    y = close.iloc[-300:]
    base = ARForecaster(2).fit(y)
    big = ARForecaster(2).fit(y * 2.0**70)  # about 1e24
    np.testing.assert_allclose(big.coef_, base.coef_, rtol=1e-9)
    np.testing.assert_allclose(big.predict(3) / 2.0**70, base.predict(3), rtol=1e-12)


def test_ar_on_a_zero_or_constant_series_names_the_degenerate_column_and_the_fix(close):
    zeros = pd.Series(0.0, index=close.index[:50])
    with pytest.raises(ValueError, match=r"column 0 \(y.L1\) is all zeros over the 48 rows.*"
                                         r"the series is 0 throughout.*NaiveForecaster"):
        ARForecaster(2, trend="n").fit(zeros)
    with pytest.raises(ValueError, match=r"column 1 \(y.L1\) is a linear combination of the "
                                         r"columns before it \(const\).*A constant series.*"
                                         r"NaiveForecaster"):
        ARForecaster(2).fit(zeros + 2500.0)


def test_ar_on_a_series_beyond_least_squares_range_raises_float_range_error(close):
    with pytest.raises(FloatRangeError, match=r"y is too large for least squares.*rescale y"):
        ARForecaster(2).fit(close * 1e297)
    with pytest.raises(FloatRangeError, match=r"y is too small"):
        ARForecaster(2).fit(close * 1e-160)


def test_naive_variance_beyond_float64_raises_and_tiny_residuals_keep_their_variance(close):
    with pytest.raises(FloatRangeError, match=r"the variance sigma2_ is about 2.5e402"):
        NaiveForecaster().fit(close * 1e200)
    rw = NaiveForecaster().fit(close.iloc[:200])
    tiny = NaiveForecaster().fit(close.iloc[:200] * 2.0**-520)  # squares used to underflow
    assert tiny.sigma2_ == math.ldexp(rw.sigma2_, -1040) > 0


@pytest.mark.parametrize("strategy", ["last", "mean", "drift", "seasonal_last"])
def test_naive_on_values_near_the_float64_limit_refuses_instead_of_an_inf_variance(strategy):
    y = np.array([1.7e308, -1.6e308, 1.65e308])
    with pytest.raises(FloatRangeError, match=rf"residual of strategy='{strategy}' overflows"):
        NaiveForecaster(strategy=strategy).fit(y)


def test_naive_mean_of_values_whose_sum_overflows_is_finite():
    top = np.finfo(np.float64).max
    model = NaiveForecaster(strategy="mean").fit(np.array([top, top, top]))
    assert model.mean_ == top and model.drift_ == 0.0 and model.sigma2_ == 0.0
    assert model.predict(2).tolist() == [top, top]


# ----------------------------------------------------------------------------- helpers


def test_scaled_difference_and_rescale_are_exact():
    top = np.finfo(np.float64).max
    d, k = scaled_difference(np.array([top]), np.array([-top]))
    assert rescale(d[0], k - 1, "x") == top
    with pytest.raises(FloatRangeError, match=r"^x is about 3.6e308"):
        rescale(d[0], k, "x")


def test_ar_refit_on_new_values_beyond_3e150_is_a_named_error_not_an_overflow():
    close = forecast.load_dataset("sp500")["close"].iloc[-300:]
    model = forecast.ARForecaster(3).fit(close)
    coef = model.coef_.copy()
    new = pd.Series([1e300], index=[close.index[-1] + pd.offsets.BDay()])
    with pytest.raises(FloatRangeError, match=r"y_new is too large .*max \|y_new\| = 1e\+300"):
        model.update(new, refit=True)
    np.testing.assert_array_equal(model.coef_, coef)
