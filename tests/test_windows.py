"""make_windows: shapes, contents, zero-copy views and the errors on bad input."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast
from forecast.windows import make_windows


@pytest.fixture(scope="module")
def close() -> pd.Series:
    return forecast.load_dataset("sp500")["close"]


def test_small_example_values():
    X, Y = make_windows(np.arange(7.0), window=3, horizon=2, step=2)
    np.testing.assert_array_equal(X, [[0, 1, 2], [2, 3, 4]])
    np.testing.assert_array_equal(Y, [[3, 4], [5, 6]])


def test_exact_fit_gives_one_window():
    X, Y = make_windows(np.arange(5.0), window=3, horizon=2)
    np.testing.assert_array_equal(X, [[0, 1, 2]])
    np.testing.assert_array_equal(Y, [[3, 4]])


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(2, 60),
    window=st.integers(1, 20),
    horizon=st.integers(1, 10),
    step=st.integers(1, 7),
)
def test_univariate_shapes_and_contents(n, window, horizon, step):
    if n < window + horizon:
        with pytest.raises(ValueError, match=f"y has {n} observations"):
            make_windows(np.arange(float(n)), window, horizon, step)
        return
    y = np.random.default_rng(n).normal(size=n)
    X, Y = make_windows(y, window, horizon, step)
    n_windows = (n - window - horizon) // step + 1
    assert X.shape == (n_windows, window)
    assert Y.shape == (n_windows, horizon)
    for i in range(n_windows):
        s = i * step
        np.testing.assert_array_equal(X[i], y[s : s + window])
        np.testing.assert_array_equal(Y[i], y[s + window : s + window + horizon])
    # one more window would run past the end of the series
    assert n_windows * step + window + horizon > n
    assert np.shares_memory(X, y) and np.shares_memory(Y, y)


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(3, 40),
    k=st.integers(1, 4),
    window=st.integers(1, 10),
    horizon=st.integers(1, 5),
    step=st.integers(1, 4),
    data=st.data(),
)
def test_multivariate_shapes_and_contents(n, k, window, horizon, step, data):
    if n < window + horizon:
        return
    target = data.draw(st.integers(-k, k - 1), label="target")
    y = np.random.default_rng(n * 10 + k).normal(size=(n, k))
    X, Y = make_windows(y, window, horizon, step, target=target)
    _, Y_all = make_windows(y, window, horizon, step, target=None)
    n_windows = (n - window - horizon) // step + 1
    assert X.shape == (n_windows, window, k)
    assert Y.shape == (n_windows, horizon)
    assert Y_all.shape == (n_windows, horizon, k)
    for i in range(n_windows):
        s = i * step
        np.testing.assert_array_equal(X[i], y[s : s + window])
        np.testing.assert_array_equal(Y[i], y[s + window : s + window + horizon, target])
        np.testing.assert_array_equal(Y_all[i], y[s + window : s + window + horizon])
    assert np.shares_memory(X, y)


def test_zero_copy_read_only_view_on_a_long_series():
    y = np.random.default_rng(0).normal(size=2_000_000)
    X, Y = make_windows(y, window=50, horizon=5, step=1)
    assert np.shares_memory(X, y) and np.shares_memory(Y, y)
    assert X.base is not None and X.nbytes > 10 * y.nbytes  # a view, not 800 MB of copies
    assert not X.flags.writeable and not Y.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        X[0, 0] = 1.0
    # strided (non-contiguous) input stays a view as well
    X2, _ = make_windows(y[::3], window=4)
    assert np.shares_memory(X2, y)
    np.testing.assert_array_equal(X2[1], y[3:15:3])


def test_integer_input_is_converted_to_float64():
    X, Y = make_windows(np.arange(6), window=2)
    assert X.dtype == np.float64 and Y.dtype == np.float64
    np.testing.assert_array_equal(Y[:, 0], [2, 3, 4, 5])


def test_series_and_dataframe_use_their_values(close):
    X, Y = make_windows(close, window=20, horizon=5, step=3)
    values = close.to_numpy()
    n_windows = (len(close) - 25) // 3 + 1
    assert X.shape == (n_windows, 20) and Y.shape == (n_windows, 5)
    np.testing.assert_array_equal(X[0], values[:20])
    np.testing.assert_array_equal(Y[0], values[20:25])
    last = (n_windows - 1) * 3
    np.testing.assert_array_equal(Y[-1], values[last + 20 : last + 25])
    np.testing.assert_array_equal(X[-1], values[last : last + 20])

    frame = forecast.load_dataset("sp500")[["open", "close"]]
    X2, Y2 = make_windows(frame, window=20, horizon=5, step=3, target=1)
    np.testing.assert_array_equal(X2[..., 1], X)
    np.testing.assert_array_equal(Y2, Y)
    np.testing.assert_array_equal(X2[0, :, 0], frame["open"].to_numpy()[:20])


def test_consecutive_windows_overlap_on_real_prices(close):
    X, Y = make_windows(close, window=10, horizon=1)
    np.testing.assert_array_equal(X[1:, :-1], X[:-1, 1:])  # each row shifts by one day
    np.testing.assert_array_equal(X[1:, -1], Y[:-1, 0])  # today's target is tomorrow's input
    assert len(X) == len(close) - 10


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"window": 0}, "window must be >= 1, got window=0"),
        ({"window": -3}, "window must be >= 1, got window=-3"),
        ({"window": 3, "horizon": 0}, "horizon must be >= 1, got horizon=0"),
        ({"window": 3, "step": 0}, "step must be >= 1, got step=0"),
    ],
)
def test_parameters_below_one_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_windows(np.arange(10.0), **kwargs)


def test_non_integer_window_is_a_type_error():
    with pytest.raises(TypeError, match=r"window must be an integer, got 2.5"):
        make_windows(np.arange(10.0), window=2.5)


def test_too_short_series_names_both_numbers():
    match = r"5 observations, fewer than window \+ horizon = 4 \+ 2 = 6"
    with pytest.raises(ValueError, match=match):
        make_windows(np.arange(5.0), window=4, horizon=2)


@pytest.mark.parametrize(("bad", "kind"), [(np.nan, "NaN"), (np.inf, "inf"), (-np.inf, "inf")])
def test_non_finite_values_are_named_by_position(bad, kind):
    y = np.arange(10.0)
    y[6] = bad
    with pytest.raises(ValueError, match=f"first is {kind} at position 6"):
        make_windows(y, window=3)


def test_nan_in_a_dated_series_names_the_date(close):
    y = close.iloc[:30].copy()
    y.iloc[12] = np.nan
    date = y.index[12].strftime("%Y-%m-%d")
    with pytest.raises(ValueError, match=f"NaN at position 12 \\({date}\\)"):
        make_windows(y, window=5)


def test_wrong_dimensions_are_refused():
    with pytest.raises(ValueError, match=r"1-D or 2-D, got an array of shape \(4, 3, 2\)"):
        make_windows(np.zeros((4, 3, 2)), window=1)
    with pytest.raises(ValueError, match=r"shape \(\)"):
        make_windows(np.float64(3.0), window=1)


def test_unsorted_or_duplicated_index_is_refused():
    unsorted = pd.Series(np.arange(6.0), index=[0, 1, 2, 5, 4, 6])
    with pytest.raises(ValueError, match="not sorted .* at position 4"):
        make_windows(unsorted, window=2)
    dates = pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-02", "2020-01-03"])
    with pytest.raises(ValueError, match=r"duplicated at position 2 \(2020-01-02\)"):
        make_windows(pd.Series(np.arange(4.0), index=dates), window=2)


def test_target_out_of_range_is_refused():
    with pytest.raises(ValueError, match="target=2 is out of range for y with 2 feature"):
        make_windows(np.zeros((10, 2)), window=3, target=2)
    with pytest.raises(ValueError, match="target=1 is out of range for y with 1 feature"):
        make_windows(np.zeros(10), window=3, target=1)


def test_non_numeric_input_is_a_type_error():
    with pytest.raises(TypeError, match="must be numeric, got dtype"):
        make_windows(np.array(["a", "b", "c"]), window=1)
