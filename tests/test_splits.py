"""WalkForwardSplit and temporal_train_test_split: indices, sklearn use as cv=, errors."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score

import forecast
from forecast.splits import WalkForwardSplit, temporal_train_test_split
from forecast.transforms import LogReturns
from forecast.windows import make_windows


@pytest.fixture(scope="module")
def close() -> pd.Series:
    return forecast.load_dataset("sp500")["close"]


@pytest.fixture(scope="module")
def return_windows(close):
    """10 past daily log returns of the S&P 500 -> the next one, as (X, y)."""
    returns = LogReturns().fit_transform(close).to_numpy() * 100  # percent
    X, Y = make_windows(returns, window=10, horizon=1)
    return X, Y[:, 0]


def as_lists(cv, n):
    return [(train.tolist(), test.tolist()) for train, test in cv.split(np.zeros(n))]


# ----------------------------------------------------------------------------- the indices


def test_rolling_example():
    cv = WalkForwardSplit(n_splits=3, test_size=2, window="rolling", train_size=4)
    assert as_lists(cv, 10) == [
        ([0, 1, 2, 3], [4, 5]),
        ([2, 3, 4, 5], [6, 7]),
        ([4, 5, 6, 7], [8, 9]),
    ]


def test_expanding_with_gap_and_overlapping_steps():
    cv = WalkForwardSplit(n_splits=3, test_size=3, step=2, gap=1)
    assert as_lists(cv, 11) == [
        ([0, 1, 2], [4, 5, 6]),
        ([0, 1, 2, 3, 4], [6, 7, 8]),
        ([0, 1, 2, 3, 4, 5, 6], [8, 9, 10]),
    ]


def test_step_larger_than_test_size_leaves_samples_untested():
    cv = WalkForwardSplit(n_splits=2, test_size=2, step=4)
    assert as_lists(cv, 10) == [([0, 1, 2, 3], [4, 5]), ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])]


@pytest.mark.parametrize(
    ("n", "n_splits", "test_size", "gap"),
    [(10, 3, None, 0), (23, 4, None, 2), (100, 5, 7, 3), (50, 2, 10, 0), (31, 6, None, 1)],
)
def test_defaults_equal_sklearn_time_series_split(n, n_splits, test_size, gap):
    ours = WalkForwardSplit(n_splits, test_size=test_size, gap=gap)
    theirs = TimeSeriesSplit(n_splits, test_size=test_size, gap=gap)
    assert as_lists(ours, n) == as_lists(theirs, n)
    assert ours.get_n_splits(np.zeros(n)) == theirs.get_n_splits() == n_splits


@pytest.mark.parametrize(("n", "n_splits", "train_size", "gap"), [(40, 3, 10, 0), (60, 5, 7, 2)])
def test_rolling_equals_sklearn_with_max_train_size(n, n_splits, train_size, gap):
    ours = WalkForwardSplit(n_splits, gap=gap, window="rolling", train_size=train_size)
    theirs = TimeSeriesSplit(n_splits, gap=gap, max_train_size=train_size)
    assert as_lists(ours, n) == as_lists(theirs, n)


def test_rolling_default_train_size_is_the_first_training_set():
    splits = list(WalkForwardSplit(4, test_size=5, window="rolling").split(np.zeros(30)))
    assert [len(train) for train, _ in splits] == [10, 10, 10, 10]
    assert [train[0] for train, _ in splits] == [0, 5, 10, 15]


def test_as_many_splits_as_fit():
    cv = WalkForwardSplit(None, test_size=3, min_train_size=5)
    splits = as_lists(cv, 14)
    # test blocks laid out backwards from the end every 3 samples: 11, 8, 5 (2 would leave 2 < 5)
    assert [test[0] for _, test in splits] == [5, 8, 11]
    assert splits[0][0] == [0, 1, 2, 3, 4]
    assert cv.get_n_splits(np.zeros(14)) == 3

    rolling = WalkForwardSplit(None, test_size=1, window="rolling", train_size=4, gap=1)
    splits = as_lists(rolling, 10)
    assert len(splits) == 10 - 1 - 1 - 4 + 1 == rolling.get_n_splits(np.zeros(10))
    assert splits[0] == ([0, 1, 2, 3], [5])
    assert splits[-1] == ([4, 5, 6, 7], [9])


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(2, 120),
    n_splits=st.one_of(st.none(), st.integers(1, 8)),
    test_size=st.integers(1, 15),
    gap=st.integers(0, 5),
    step=st.one_of(st.none(), st.integers(1, 10)),
    rolling=st.booleans(),
    size=st.integers(1, 30),
)
def test_split_properties(n, n_splits, test_size, gap, step, rolling, size):
    kwargs = {"train_size": size} if rolling else {"min_train_size": size}
    cv = WalkForwardSplit(
        n_splits, test_size=test_size, gap=gap, step=step,
        window="rolling" if rolling else "expanding", **kwargs,
    )
    step = test_size if step is None else step
    k = n_splits if n_splits is not None else (n - test_size - gap - size) // step + 1
    first_train = n - test_size - (k - 1) * step - gap
    if k < 1 or first_train < size:
        with pytest.raises(ValueError, match=f"number of samples={n}"):
            list(cv.split(np.zeros(n)))
        return
    splits = list(cv.split(np.zeros(n)))
    assert len(splits) == k == cv.get_n_splits(np.zeros(n))
    for i, (train, test) in enumerate(splits):
        assert train.dtype.kind == "i" and test.dtype.kind == "i"
        np.testing.assert_array_equal(test, np.arange(test[0], test[0] + test_size))
        np.testing.assert_array_equal(train, np.arange(train[0], train[-1] + 1))
        assert train[-1] + gap + 1 == test[0]  # exactly `gap` samples left out
        assert len(train) == size if rolling else train[0] == 0
        if i:
            assert test[0] - splits[i - 1][1][0] == step
    assert splits[-1][1][-1] == n - 1  # the last test block ends at the last sample
    assert len(splits[0][0]) >= size
    if n_splits is None:  # no room for one more split before the first
        assert len(splits[0][0]) - step < size


# ------------------------------------------------------------------- scikit-learn as cv=


def test_cross_val_score_matches_a_manual_walk_forward(return_windows):
    X, y = return_windows
    cv = WalkForwardSplit(n_splits=4, test_size=250, window="rolling", train_size=1000)
    scores = cross_val_score(Ridge(alpha=1.0), X, y, cv=cv, scoring="neg_mean_squared_error")
    manual = []
    for train, test in cv.split(X):
        pred = Ridge(alpha=1.0).fit(X[train], y[train]).predict(X[test])
        manual.append(-np.mean((y[test] - pred) ** 2))
    assert len(scores) == 4
    np.testing.assert_allclose(scores, manual, rtol=1e-12)
    # the folds are the last 4 * 250 windows, each trained on the 1000 windows before it
    assert [test[0] for _, test in cv.split(X)] == [len(X) - 1000 + 250 * i for i in range(4)]


def test_grid_search_uses_the_walk_forward_folds(return_windows):
    X, y = return_windows
    cv = WalkForwardSplit(n_splits=3, test_size=300)
    grid = GridSearchCV(Ridge(), {"alpha": [0.01, 1e5]}, cv=cv, scoring="neg_mean_squared_error")
    grid.fit(X, y)
    assert grid.n_splits_ == 3
    for i, alpha in enumerate(grid.cv_results_["param_alpha"]):
        for k, (train, test) in enumerate(cv.split(X)):
            pred = Ridge(alpha=alpha).fit(X[train], y[train]).predict(X[test])
            expected = -np.mean((y[test] - pred) ** 2)
            assert grid.cv_results_[f"split{k}_test_score"][i] == pytest.approx(expected, rel=1e-12)
    # and the folds really are time-ordered: the best model is refit on all windows
    assert grid.best_params_["alpha"] in (0.01, 1e5)
    np.testing.assert_allclose(
        grid.best_estimator_.coef_, Ridge(**grid.best_params_).fit(X, y).coef_, rtol=1e-10
    )


def test_as_many_splits_as_fit_works_in_cross_val_score(return_windows):
    X, y = return_windows
    X, y = X[-700:], y[-700:]
    cv = WalkForwardSplit(None, test_size=100, min_train_size=250)
    scores = cross_val_score(Ridge(), X, y, cv=cv)
    assert len(scores) == cv.get_n_splits(X) == (700 - 100 - 250) // 100 + 1 == 4


def test_repr_lists_the_parameters():
    text = repr(WalkForwardSplit(3, test_size=5, window="rolling", train_size=20))
    assert text.startswith("WalkForwardSplit(")
    assert "train_size=20" in text and "window='rolling'" in text and "n_splits=3" in text


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("kwargs", "n", "match"),
    [
        ({"n_splits": 4, "test_size": 5}, 20, r"Too many splits=4 for number of samples=20 "
         r"with test_size=5, step=5 and gap=0: the first training set would have 0"),
        ({"n_splits": 3, "test_size": 5, "gap": 6}, 20, r"Too many splits=3 .* gap=6"),
        ({"n_splits": 30}, 20,
         r"n_splits=30 is too many: .*number of folds=31 greater than the number of "
         r"samples=20; use n_splits <= 19"),
        ({"n_splits": 2, "window": "rolling", "train_size": 15}, 20,
         r"first training set would have 8 sample\(s\), fewer than the 15 required"),
        ({"n_splits": None}, 20, r"n_splits=None .* needs test_size"),
        ({"n_splits": None, "test_size": 2, "window": "rolling"}, 20, r"needs train_size"),
        ({"n_splits": None, "test_size": 15, "min_train_size": 6}, 20,
         r"No split fits in number of samples=20: test_size=15 \+ gap=0 \+ 6"),
        ({"train_size": 5}, 20, r"train_size=5 sets the length of a rolling window"),
        ({"window": "rolling", "train_size": 5, "min_train_size": 6}, 20,
         r"min_train_size=6 is larger than the rolling train_size=5"),
        ({"window": "sliding"}, 20, r"unknown window='sliding'; valid choices are"),
        ({"gap": -1}, 20, r"gap must be >= 0, got gap=-1"),
        ({"n_splits": 0}, 20, r"n_splits must be >= 1, got n_splits=0"),
        ({"test_size": 0}, 20, r"test_size must be >= 1, got test_size=0"),
        ({"step": 0}, 20, r"step must be >= 1, got step=0"),
    ],
)
def test_errors_carry_the_numbers(kwargs, n, match):
    cv = WalkForwardSplit(**kwargs)
    with pytest.raises(ValueError, match=match):
        list(cv.split(np.zeros(n)))


def test_get_n_splits_without_x_needs_n_splits():
    assert WalkForwardSplit(4).get_n_splits() == 4
    with pytest.raises(ValueError, match="needs X to count the splits"):
        WalkForwardSplit(None, test_size=3).get_n_splits()


def test_groups_are_ignored_with_a_warning():
    with pytest.warns(UserWarning, match="groups parameter is ignored"):
        list(WalkForwardSplit(2).split(np.zeros(9), groups=np.zeros(9)))


def test_unsorted_pandas_input_is_refused():
    X = pd.DataFrame({"a": np.arange(6.0)}, index=[0, 1, 3, 2, 4, 5])
    with pytest.raises(ValueError, match="X index is not sorted .* at position 3"):
        list(WalkForwardSplit(2).split(X))


# -------------------------------------------------------------- temporal_train_test_split


def test_holdout_keeps_order_and_returns_like_sklearn():
    X, y = np.arange(20).reshape(10, 2), np.arange(10)
    X_train, X_test, y_train, y_test = temporal_train_test_split(X, y, test_size=3)
    np.testing.assert_array_equal(y_train, np.arange(7))
    np.testing.assert_array_equal(y_test, [7, 8, 9])
    np.testing.assert_array_equal(X_test, X[7:])
    assert np.shares_memory(X_train, X)  # slices, not copies

    train, test = temporal_train_test_split(list(range(8)), test_size=0.25, gap=2)
    assert train == [0, 1, 2, 3] and test == [6, 7]


def test_holdout_on_real_prices(close):
    train, test = temporal_train_test_split(close, test_size=0.2)
    assert isinstance(train, pd.Series) and isinstance(test, pd.Series)
    assert len(test) == math.ceil(0.2 * len(close)) and len(train) + len(test) == len(close)
    assert train.index[-1] < test.index[0]
    pd.testing.assert_series_equal(pd.concat([train, test]), close)

    frame = forecast.load_dataset("sp500")
    f_train, f_test, c_train, c_test = temporal_train_test_split(frame, close, test_size=250, gap=4)
    assert isinstance(f_train, pd.DataFrame) and len(f_test) == 250
    assert len(f_train) == len(frame) - 254
    pd.testing.assert_index_equal(f_test.index, c_test.index)
    assert (f_test.index[0] - f_train.index[-1]).days >= 5  # 4 trading days left out


@pytest.mark.parametrize(
    ("test_size", "gap", "match"),
    [
        (1.0, 0, r"test_size must be < 1.0, got test_size=1.0"),
        (0.0, 0, r"test_size must be > 0.0, got test_size=0.0"),
        (0, 0, r"test_size must be >= 1, got test_size=0"),
        (10, 0, r"test_size=10 \(10 test sample\(s\)\) and gap=0 leave no training sample "
         r"out of number of samples=10"),
        (8, 2, r"test_size=8 .* gap=2 leave no training sample"),
        (2, -1, r"gap must be >= 0, got gap=-1"),
    ],
)
def test_holdout_errors(test_size, gap, match):
    with pytest.raises(ValueError, match=match):
        temporal_train_test_split(np.arange(10), test_size=test_size, gap=gap)


def test_holdout_refuses_mismatched_or_missing_arrays():
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[10, 9\]"):
        temporal_train_test_split(np.arange(10), np.arange(9))
    with pytest.raises(ValueError, match="At least one array"):
        temporal_train_test_split()
    with pytest.raises(TypeError, match="test_size must be a real number, got '3'"):
        temporal_train_test_split(np.arange(10), test_size="3")
    shuffled = pd.Series(np.arange(4.0), index=pd.to_datetime(["2020-01-02", "2020-01-01",
                                                               "2020-01-03", "2020-01-04"]))
    with pytest.raises(ValueError, match=r"arrays\[0\] index is not sorted"):
        temporal_train_test_split(shuffled)
