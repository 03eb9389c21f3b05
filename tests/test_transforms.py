"""LogReturns, SimpleReturns, Differencer, Standardizer: values, exact inverses, errors."""

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import forecast
from forecast.splits import WalkForwardSplit
from forecast.transforms import Differencer, LogReturns, SimpleReturns, Standardizer
from forecast.windows import make_windows

ALL = [LogReturns, SimpleReturns, Differencer, Standardizer]


@pytest.fixture(scope="module")
def close() -> pd.Series:
    return forecast.load_dataset("sp500")["close"]


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return forecast.load_dataset("sp500")[["open", "close"]]


positive_series = st.lists(
    st.floats(min_value=1e-3, max_value=1e4, allow_nan=False, allow_infinity=False),
    min_size=2,
    max_size=80,
).map(np.array)


# --------------------------------------------------------------------------------- values


def test_log_returns_values_and_index(close):
    lr = LogReturns().fit(close)
    r = lr.transform(close)
    assert isinstance(r, pd.Series) and r.name == "close"
    pd.testing.assert_index_equal(r.index, close.index[1:])
    p = close.to_numpy()
    np.testing.assert_array_equal(r.to_numpy(), np.log(p[1:] / p[:-1]))
    assert lr.last_value_ == p[-1] and isinstance(lr.last_value_, float)
    # 1999-01-05: log(1244.780029 / 1228.099976)
    assert r.iloc[0] == pytest.approx(np.log(1244.780029 / 1228.099976), rel=1e-9)


def test_simple_returns_values():
    p = np.array([100.0, 110.0, 99.0, 99.0])
    sr = SimpleReturns().fit(p)
    np.testing.assert_allclose(sr.transform(p), [0.1, -0.1, 0.0], atol=1e-15)
    np.testing.assert_allclose(sr.inverse_transform(np.array([0.5, -0.5])), [148.5, 74.25])


def test_differencer_values():
    y = np.array([1.0, 4.0, 9.0, 16.0, 25.0])
    np.testing.assert_array_equal(Differencer(order=1).fit_transform(y), [3, 5, 7, 9])
    np.testing.assert_array_equal(Differencer(order=2).fit_transform(y), [2, 2, 2])
    np.testing.assert_array_equal(Differencer(order=3).fit_transform(y), [0, 0])
    d2 = Differencer(order=2).fit(y)
    np.testing.assert_array_equal(d2.last_values_, [16.0, 25.0])
    np.testing.assert_array_equal(d2.inverse_transform(np.array([2.0, 2.0])), [36.0, 49.0])


def test_standardizer_matches_sklearn_standard_scaler(prices):
    train, test = prices.iloc[:4000], prices.iloc[4000:]
    ours = Standardizer().fit(train)
    theirs = StandardScaler().fit(train.to_numpy())
    np.testing.assert_allclose(ours.mean_, theirs.mean_, rtol=1e-14)
    np.testing.assert_allclose(ours.scale_, theirs.scale_, rtol=1e-14)
    z = ours.transform(test)
    assert isinstance(z, pd.DataFrame) and list(z.columns) == ["open", "close"]
    pd.testing.assert_index_equal(z.index, test.index)
    np.testing.assert_allclose(z.to_numpy(), theirs.transform(test.to_numpy()), rtol=1e-13)


def test_standardizer_univariate_and_options(close):
    train = close.iloc[:1000]
    sc = Standardizer().fit(train)
    assert sc.mean_ == pytest.approx(train.mean(), rel=1e-14)
    assert sc.scale_ == pytest.approx(train.std(ddof=0), rel=1e-12)
    assert isinstance(sc.mean_, float) and sc.n_samples_seen_ == 1000
    no_mean = Standardizer(with_mean=False).fit(train)
    assert no_mean.mean_ == 0.0 and no_mean.scale_ == sc.scale_
    no_std = Standardizer(with_std=False).fit(train)
    assert no_std.scale_ == 1.0
    np.testing.assert_allclose(no_std.transform(train), train - train.mean(), atol=1e-9)


def test_constant_column_is_centred_not_scaled():
    X = np.column_stack([np.full(5, 0.1), np.arange(5.0)])
    sc = Standardizer().fit(X)
    assert sc.scale_[0] == 1.0 and sc.scale_[1] == pytest.approx(np.std(np.arange(5.0)))
    np.testing.assert_allclose(sc.transform(X)[:, 0], 0.0, atol=1e-15)
    assert np.isfinite(sc.transform(X)).all()
    # a spread whose square underflows is still a spread (issue 12, defect 7): it is scaled
    tiny = Standardizer().fit(np.array([0.0, 2.6e-229]))
    assert tiny.scale_ == 1.3e-229
    np.testing.assert_array_equal(tiny.transform([0.0, 2.6e-229]), [-1.0, 1.0])
    np.testing.assert_array_equal(tiny.inverse_transform(tiny.transform([0.0, 2.6e-229])),
                                  [0.0, 2.6e-229])


@pytest.mark.parametrize("cls", [LogReturns, SimpleReturns, Differencer])
def test_dataframe_is_transformed_column_by_column(cls, prices):
    both = cls().fit_transform(prices)
    assert isinstance(both, pd.DataFrame) and list(both.columns) == ["open", "close"]
    for column in prices:
        pd.testing.assert_series_equal(both[column], cls().fit_transform(prices[column]))
    two_d = cls().fit_transform(prices.to_numpy())
    assert isinstance(two_d, np.ndarray) and two_d.shape == (len(prices) - 1, 2)
    np.testing.assert_array_equal(two_d, both.to_numpy())
    column = cls().fit_transform(prices[["close"]].to_numpy())
    assert column.shape == (len(prices) - 1, 1)


# ----------------------------------------------------------------------- exact inverses


@settings(max_examples=100, deadline=None)
@given(p=positive_series)
def test_log_returns_round_trip(p):
    lr = LogReturns().fit(p)
    np.testing.assert_allclose(lr.inverse_transform(lr.transform(p), start=p[0]), p[1:], rtol=1e-12)


# prices moving by a factor in [1/5, 5] per step: 1 + r keeps full precision (a return of
# -0.99997 would keep only ~12 significant digits of the price ratio in 1 + r)
moderate_prices = st.lists(st.floats(min_value=0.2, max_value=5.0), min_size=1, max_size=80).map(
    lambda ratios: 50.0 * np.cumprod([1.0, *ratios])
)


@settings(max_examples=100, deadline=None)
@given(p=moderate_prices)
def test_simple_returns_round_trip(p):
    sr = SimpleReturns().fit(p)
    np.testing.assert_allclose(sr.inverse_transform(sr.transform(p), start=p[0]), p[1:], rtol=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    y=st.lists(st.integers(-(10**6), 10**6), min_size=4, max_size=80).map(
        lambda v: np.array(v, dtype=float)
    ),
    order=st.integers(1, 3),
)
def test_differencer_round_trip_is_exact_on_integers(y, order):
    # integer-valued floats: every difference and every partial sum is exact
    d = Differencer(order=order).fit(y)
    z = d.transform(y)
    assert len(z) == len(y) - order
    np.testing.assert_array_equal(d.inverse_transform(z, start=y[:order]), y[order:])


@settings(max_examples=100, deadline=None)
@given(
    y=st.lists(st.floats(-1e3, 1e3), min_size=4, max_size=80).map(np.array),
    order=st.integers(1, 3),
)
def test_differencer_round_trip_on_reals(y, order):
    d = Differencer(order=order).fit(y)
    back = d.inverse_transform(d.transform(y), start=y[:order])
    np.testing.assert_allclose(back, y[order:], rtol=0, atol=1e-12 * 1e3 * len(y) ** order)


@settings(max_examples=100, deadline=None)
@given(x=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=60).map(np.array))
def test_standardizer_round_trip(x):
    sc = Standardizer().fit(x)
    scale = max(1.0, np.max(np.abs(x)))
    np.testing.assert_allclose(sc.inverse_transform(sc.transform(x)), x, rtol=0, atol=1e-12 * scale)


@pytest.mark.parametrize("cls", [LogReturns, SimpleReturns])
def test_returns_round_trip_on_real_closes(cls, close):
    t = cls().fit(close)
    back = t.inverse_transform(t.transform(close), start=close.iloc[0])
    pd.testing.assert_index_equal(back.index, close.index[1:])
    np.testing.assert_allclose(back.to_numpy(), close.to_numpy()[1:], rtol=1e-12)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_differencer_round_trip_on_real_closes(order, close):
    d = Differencer(order=order).fit(close)
    back = d.inverse_transform(d.transform(close), start=close.iloc[:order])
    pd.testing.assert_index_equal(back.index, close.index[order:])
    np.testing.assert_allclose(back.to_numpy(), close.to_numpy()[order:], rtol=1e-12)


@pytest.mark.parametrize("cls", [LogReturns, SimpleReturns])
def test_forecast_of_returns_becomes_prices_from_the_last_training_price(cls, close):
    train, future = close.iloc[:-10], close.iloc[-10:]
    t = cls().fit(train)
    assert t.last_value_ == train.iloc[-1]
    # the "perfect forecast": the 10 returns that really followed the training data
    returns_ahead = t.transform(close.iloc[-11:])
    pd.testing.assert_index_equal(returns_ahead.index, future.index)
    prices_ahead = t.inverse_transform(returns_ahead)  # start defaults to last_value_
    pd.testing.assert_index_equal(prices_ahead.index, future.index)
    np.testing.assert_allclose(prices_ahead.to_numpy(), future.to_numpy(), rtol=1e-12)
    # a random-walk forecast (zero returns) stays at the last training price
    flat = t.inverse_transform(np.zeros(5))
    np.testing.assert_array_equal(flat, np.full(5, train.iloc[-1]))


def test_log_return_forecast_compounds():
    lr = LogReturns().fit(np.array([50.0, 100.0]))
    r = np.array([0.1, -0.05, 0.2])
    np.testing.assert_allclose(lr.inverse_transform(r), 100 * np.exp(np.cumsum(r)), rtol=1e-15)
    np.testing.assert_allclose(lr.inverse_transform(r, start=10.0), 10 * np.exp([0.1, 0.05, 0.25]))


@pytest.mark.parametrize("order", [1, 2])
def test_differenced_forecast_continues_the_training_levels(order, close):
    train = close.iloc[:-10]
    d = Differencer(order=order).fit(train)
    np.testing.assert_array_equal(d.last_values_, train.to_numpy()[-order:])
    ahead = d.transform(close.iloc[-10 - order :])
    np.testing.assert_allclose(d.inverse_transform(ahead).to_numpy(), close.to_numpy()[-10:])


def test_multivariate_inverse_uses_per_column_start(prices):
    train = prices.iloc[:-5]
    lr = LogReturns().fit(train)
    np.testing.assert_array_equal(lr.last_value_, train.iloc[-1].to_numpy())
    back = lr.inverse_transform(lr.transform(prices.iloc[-6:]))
    pd.testing.assert_frame_equal(back, prices.iloc[-5:], rtol=1e-12, check_freq=False)
    d2 = Differencer(order=2).fit(train)
    assert d2.last_values_.shape == (2, 2)
    back2 = d2.inverse_transform(d2.transform(prices.iloc[-7:]))
    np.testing.assert_allclose(back2.to_numpy(), prices.to_numpy()[-5:], rtol=1e-12)


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("cls", [LogReturns, SimpleReturns])
@pytest.mark.parametrize("bad", [0.0, -3.5])
def test_non_positive_prices_are_named(cls, bad):
    p = np.array([10.0, 11.0, 12.0, bad, 13.0])
    with pytest.raises(ValueError, match=rf"strictly positive .* first is .*{bad}.* at position 3"):
        cls().fit(p)
    t = cls().fit(p[:3])
    with pytest.raises(ValueError, match=r"at position 3"):
        t.transform(p)


def test_non_positive_price_names_date_and_column(prices):
    bad = prices.iloc[:20].copy()
    bad.iloc[7, 1] = -1.0
    date = bad.index[7].strftime("%Y-%m-%d")
    match = rf"X column 'close' must be strictly positive.*-1\.0.* at position 7 \({date}\)"
    with pytest.raises(ValueError, match=match):
        LogReturns().fit(bad)


@pytest.mark.parametrize("cls", ALL)
def test_nan_is_named_by_position(cls):
    y = np.array([1.0, 2.0, np.nan, 4.0, 5.0])
    with pytest.raises(ValueError, match="first is NaN at position 2"):
        cls().fit(y)
    fitted = cls().fit(np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="first is NaN at position 2"):
        fitted.transform(y)


@pytest.mark.parametrize("cls", ALL)
def test_unfitted_transform_raises_not_fitted(cls):
    with pytest.raises(NotFittedError):
        cls().transform(np.array([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("cls", ALL)
def test_feature_count_mismatch_is_named(cls):
    fitted = cls().fit(np.ones((5, 2)) + np.arange(5.0)[:, None])
    with pytest.raises(ValueError, match=f"X has 3 features, but {cls.__name__} is expecting 2"):
        fitted.transform(np.ones((5, 3)))


@pytest.mark.parametrize("cls", ALL)
def test_wrong_dimensions_are_refused(cls):
    with pytest.raises(ValueError, match=r"1-D or 2-D, got an array of shape \(3, 2, 2\)"):
        cls().fit(np.ones((3, 2, 2)))


def test_too_short_input_names_the_count():
    with pytest.raises(ValueError, match="needs at least 2 observations, got 1"):
        LogReturns().fit(np.array([5.0])).transform(np.array([5.0]))
    with pytest.raises(ValueError, match="needs at least 2 observations, got 1"):
        Differencer(order=2).fit(np.array([5.0]))
    with pytest.raises(ValueError, match="needs at least 3 observations, got 2"):
        Differencer(order=2).fit(np.array([5.0, 6.0])).transform(np.array([5.0, 6.0]))


def test_bad_start_is_named():
    lr = LogReturns().fit(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"start must be strictly positive.*-2\.0.* at position 0"):
        lr.inverse_transform(np.array([0.1]), start=-2.0)
    with pytest.raises(ValueError, match=r"start of shape \(3,\) does not match X with 1 feature"):
        lr.inverse_transform(np.array([0.1]), start=[1.0, 2.0, 3.0])
    d2 = Differencer(order=2).fit(np.arange(5.0))
    match = r"start must hold the last 2 level\(s\), shape \(2,\), got shape \(3,\)"
    with pytest.raises(ValueError, match=match):
        d2.inverse_transform(np.array([1.0]), start=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="start contains 1 non-finite value.* NaN at position 1"):
        d2.inverse_transform(np.array([1.0]), start=[1.0, np.nan])


def test_differencer_order_is_validated():
    with pytest.raises(ValueError, match="order must be >= 1, got order=0"):
        Differencer(order=0).fit(np.arange(5.0))
    with pytest.raises(TypeError, match="order must be an integer, got 1.5"):
        Differencer(order=1.5).fit(np.arange(5.0))


def test_unsorted_index_is_refused():
    y = pd.Series([1.0, 2.0, 3.0], index=pd.to_datetime(["2020-01-03", "2020-01-01", "2020-01-04"]))
    with pytest.raises(ValueError, match=r"not sorted .* at position 1 \(2020-01-01\)"):
        LogReturns().fit(y)


# ------------------------------------------------------------------------ scikit-learn use


@pytest.mark.parametrize("cls", ALL)
def test_clone_pickle_and_params(cls, close):
    t = cls().fit(close.iloc[:100])
    assert clone(t).get_params() == t.get_params()
    restored = pickle.loads(pickle.dumps(t))
    later = close.iloc[100:150]
    pd.testing.assert_series_equal(restored.transform(later), t.transform(later))


def test_standardizer_in_a_grid_searched_pipeline(close):
    returns = LogReturns().fit_transform(close).to_numpy()
    X, Y = make_windows(returns, window=5)
    pipe = make_pipeline(Standardizer(), Ridge())
    grid = GridSearchCV(
        pipe, {"ridge__alpha": [0.1, 10.0], "standardizer__with_mean": [True, False]},
        cv=WalkForwardSplit(n_splits=3, test_size=400),
    )
    grid.fit(X, Y[:, 0])
    assert len(grid.cv_results_["params"]) == 4
    # the refit scaler saw every window; a fold's scaler only its training windows
    train, _ = next(WalkForwardSplit(n_splits=3, test_size=400).split(X))
    fold = clone(pipe).set_params(**grid.best_params_).fit(X[train], Y[train, 0])
    np.testing.assert_allclose(fold[0].mean_, X[train].mean(axis=0) * fold[0].with_mean)


# ------------------------------------------------------ numeric edges (issue 12, defects 7, 8)


def test_standardizer_of_values_near_1e300_equals_that_of_1_2_3():
    big = Standardizer().fit_transform(np.array([1e300, 2e300, 3e300]))
    np.testing.assert_allclose(big, Standardizer().fit_transform(np.array([1.0, 2.0, 3.0])),
                               rtol=1e-15)
    assert np.abs(big).max() > 1.2


@pytest.mark.parametrize("name", ["with_mean", "with_std"])
@pytest.mark.parametrize("value", ["no", 1, None, "True"])
def test_standardizer_refuses_a_non_bool_setting_naming_it_in_fit(name, value):
    sc = Standardizer(**{name: value})
    with pytest.raises(TypeError, match=rf"{name} must be True or False, got {name}="
                                        rf"{value!r}.*pass a bool"):
        sc.fit(np.arange(5.0))


def test_simple_returns_below_minus_one_are_refused_naming_the_position():
    sr = SimpleReturns().fit(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"simple return of -2.0 at position 0, below -1"):
        sr.inverse_transform(np.array([-2.0, 0.5]))
    r = pd.Series([0.1, -1.5], index=pd.bdate_range("2024-01-01", periods=2))
    with pytest.raises(ValueError, match=r"-1.5 at position 1 \(2024-01-02"):
        sr.inverse_transform(r)
    frame = pd.DataFrame({"a": [0.1, 0.2], "b": [0.0, -3.0]})
    with pytest.raises(ValueError, match=r"position 1, column 'b', below -1"):
        SimpleReturns().fit(np.ones((2, 2))).inverse_transform(frame)


def test_a_simple_return_of_minus_one_is_a_total_loss_after_which_the_price_stays_zero():
    prices = SimpleReturns().fit([4.0]).inverse_transform(np.array([0.5, -1.0, 0.5]))
    np.testing.assert_array_equal(prices, [6.0, 0.0, 0.0])
