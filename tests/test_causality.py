"""Nothing computed from data before a split point may change when data after it changes.

``computed_before(y, t0)`` gathers everything the package computes that should depend only
on ``y[:t0]``: windows that end before ``t0``, scaler and transform parameters fit on the
training part, transformed values up to ``t0``, walk-forward folds and the models fit on
them. The tests perturb the real S&P 500 closes at or after ``t0`` and require every one of
those results to stay bit-for-bit identical.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import Ridge

import forecast
from forecast.splits import WalkForwardSplit, temporal_train_test_split
from forecast.transforms import Differencer, LogReturns, SimpleReturns, Standardizer
from forecast.windows import make_windows

WINDOW, HORIZON, STEP = 10, 3, 2


@pytest.fixture(scope="module")
def close() -> pd.Series:
    return forecast.load_dataset("sp500")["close"].iloc[-1500:]


def computed_before(y: pd.Series, t0: int) -> dict:
    """Everything that may depend on ``y[:t0]`` only, keyed by what it is."""
    out = {}
    train, _ = temporal_train_test_split(y, test_size=len(y) - t0)
    assert len(train) == t0

    # windows whose inputs and targets all lie before t0: rows i with i*STEP + W + H <= t0
    X, Y = make_windows(y, WINDOW, HORIZON, STEP)
    m = max(0, (t0 - WINDOW - HORIZON) // STEP + 1)
    out["windows X"], out["windows Y"] = X[:m].copy(), Y[:m].copy()

    # transforms fit on the training part; their outputs for times before t0
    scaler = Standardizer().fit(train)
    out["scaler params"] = np.array([scaler.mean_, scaler.scale_])
    out["scaled up to t0"] = scaler.transform(y).iloc[:t0].to_numpy()
    for cls in (LogReturns, SimpleReturns):
        t = cls().fit(train)
        out[f"{cls.__name__} last_value_"] = np.array(t.last_value_)
        out[f"{cls.__name__} up to t0"] = t.transform(y).iloc[: t0 - 1].to_numpy()  # r_1..r_{t0-1}
    diff = Differencer(order=2).fit(train)
    out["Differencer last_values_"] = diff.last_values_.copy()
    out["Differencer up to t0"] = diff.transform(y).iloc[: t0 - 2].to_numpy()

    # walk-forward folds on windows (gap = horizon - 1), and the models fit on them
    cv = WalkForwardSplit(n_splits=4, test_size=100, gap=HORIZON - 1)
    for k, (train_rows, test_rows) in enumerate(cv.split(X)):
        out[f"fold {k} indices"] = np.concatenate([train_rows, [-1], test_rows])
        last_time_read = train_rows[-1] * STEP + WINDOW + HORIZON - 1  # last target of training
        if last_time_read < t0:
            model = Ridge(alpha=1.0).fit(X[train_rows], Y[train_rows])
            out[f"fold {k} coefficients"] = model.coef_.copy()
            # forecasts whose inputs end before t0
            seen = test_rows[test_rows * STEP + WINDOW <= t0]
            if seen.size:
                out[f"fold {k} forecasts"] = model.predict(X[seen])
    return out


def assert_same(before: dict, after: dict) -> None:
    assert before.keys() == after.keys()
    for key in before:
        np.testing.assert_array_equal(before[key], after[key], err_msg=key)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_changing_one_future_value_changes_nothing_before_it(close, data):
    n = len(close)
    t0 = data.draw(st.integers(30, n - 1), label="t0")
    where = data.draw(st.integers(t0, n - 1), label="position changed")
    factor = data.draw(st.floats(0.5, 2.0).filter(lambda f: f != 1.0), label="factor")
    changed = close.copy()
    changed.iloc[where] *= factor
    assert_same(computed_before(close, t0), computed_before(changed, t0))
    # ... while the changed value is visible to what comes at or after it
    after = LogReturns().fit(changed).transform(changed)
    assert after.iloc[where - 1] != LogReturns().fit(close).transform(close).iloc[where - 1]


@pytest.mark.parametrize("t0", [30, 500, 1100, 1499])
def test_replacing_the_whole_future_changes_nothing_before_it(close, t0):
    rng = np.random.default_rng(t0)
    other_future = close.iloc[t0 - 1] * np.exp(np.cumsum(rng.normal(0, 0.05, len(close) - t0)))
    changed = close.copy()
    changed.iloc[t0:] = other_future
    assert_same(computed_before(close, t0), computed_before(changed, t0))


def test_the_check_catches_a_leak(close):
    """A scaler fit on the whole series is a leak, and the harness sees it."""
    changed = close.copy()
    changed.iloc[1000:] *= 1.5
    leaky_before = Standardizer().fit(close).mean_
    leaky_after = Standardizer().fit(changed).mean_
    assert leaky_before != leaky_after
    # without gap = horizon - 1 the last training target would overlap the first test target
    X, _ = make_windows(close, WINDOW, HORIZON, STEP)
    for train_rows, test_rows in WalkForwardSplit(n_splits=4, test_size=100, gap=0).split(X):
        assert train_rows[-1] * STEP + WINDOW + HORIZON - 1 >= test_rows[0] * STEP + WINDOW


def test_folds_never_train_on_the_test_period(close):
    X, _ = make_windows(close, WINDOW, HORIZON, STEP)
    for window in ("expanding", "rolling"):
        cv = WalkForwardSplit(n_splits=6, test_size=80, gap=HORIZON - 1, window=window)
        for train_rows, test_rows in cv.split(X):
            last_target_time = train_rows[-1] * STEP + WINDOW + HORIZON - 1
            first_test_target_time = test_rows[0] * STEP + WINDOW
            assert last_target_time < first_test_target_time
            assert train_rows.max() < test_rows.min()


@settings(max_examples=60, deadline=None)
@given(
    returns=st.lists(st.floats(-0.1, 0.1), min_size=2, max_size=40).map(np.array),
    data=st.data(),
)
def test_inverse_transforms_are_causal(returns, data):
    """The price at step k is built from the forecasts up to k only."""
    where = data.draw(st.integers(0, len(returns) - 1), label="position changed")
    changed = returns.copy()
    changed[where] += 0.05
    for t in (LogReturns().fit(np.array([100.0])), SimpleReturns().fit(np.array([100.0])),
              Differencer(order=2).fit(np.array([99.0, 100.0]))):
        before, after = t.inverse_transform(returns), t.inverse_transform(changed)
        np.testing.assert_array_equal(before[:where], after[:where])
        assert before[where] != after[where]
