"""DirectionForecaster: a scikit-learn classifier on windows of past log returns forecasts P(up).

The reference is scikit-learn itself: the logistic AR(tau) must be a LogisticRegression fitted
on the windows built here by hand, and its P(up) that regression's predict_proba.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression

import forecast
from forecast import DirectionForecaster

TAU = 5


@pytest.fixture(scope="module")
def close():
    """The last 600 S&P 500 closes (2016-08 .. 2018-12)."""
    return forecast.load_dataset("sp500")["close"].iloc[-600:]


def windows_by_hand(prices: np.ndarray, tau: int, threshold: float = 0.0):
    """Row i: the tau log returns up to price i; label: the return after it is above threshold."""
    r = np.diff(np.log(prices))
    rows = [r[i - tau : i] for i in range(tau, len(prices) - 1)]
    labels = [int(r[i] > threshold) for i in range(tau, len(prices) - 1)]
    return np.array(rows), np.array(labels)


def test_logistic_ar_is_a_logistic_regression_on_the_windows_of_log_returns(close):
    model = DirectionForecaster(LogisticRegression(), window=TAU).fit(close)
    X, labels = windows_by_hand(close.to_numpy(), TAU)
    direct = LogisticRegression().fit(X, labels)
    np.testing.assert_allclose(model.classifier_.coef_, direct.coef_, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(model.classifier_.intercept_, direct.intercept_, rtol=1e-12)
    last = np.diff(np.log(close.to_numpy()))[-TAU:]
    expected = direct.predict_proba(last[None, :])[0, 1]
    assert model.predict_proba().iloc[0] == pytest.approx(expected, rel=1e-12)
    assert model.base_rate_ == pytest.approx(labels.mean())
    assert model.nobs_ == len(labels) == len(close) - TAU - 1


def test_threshold_moves_the_labels(close):
    threshold = 0.005
    model = DirectionForecaster(LogisticRegression(), window=TAU, threshold=threshold).fit(close)
    _, labels = windows_by_hand(close.to_numpy(), TAU, threshold)
    assert model.base_rate_ == pytest.approx(labels.mean())
    assert model.base_rate_ < 0.4  # fewer days rise by more than 0.5 %


def test_predict_proba_is_dated_like_the_other_forecasters_predict(close):
    model = DirectionForecaster(LogisticRegression(), window=TAU).fit(close)
    p = model.predict_proba(1)
    naive = forecast.NaiveForecaster().fit(close).predict(1)
    assert p.name == "prob_up" and p.index.equals(naive.index)
    call = model.predict(1)
    assert call.name == "forecast" and call.index.equals(naive.index)
    assert call.iloc[0] == float(p.iloc[0] > 0.5)


def test_a_horizon_beyond_one_is_refused_with_the_reason(close):
    model = DirectionForecaster(LogisticRegression(), window=TAU).fit(close)
    with pytest.raises(ValueError, match="horizon must be 1, got horizon=2"):
        model.predict_proba(2)
    with pytest.raises(ValueError, match="horizon must be 1"):
        model.predict(3)
    with pytest.raises(ValueError, match="horizon"):
        forecast.backtest(DirectionForecaster(LogisticRegression(), window=TAU), close,
                          start=-5, horizon=2)


def test_update_without_refit_keeps_the_classifier_and_reads_the_new_window(close):
    model = DirectionForecaster(LogisticRegression(), window=TAU).fit(close.iloc[:-10])
    coef = model.classifier_.coef_.copy()
    model.update(close.iloc[-10:])
    np.testing.assert_array_equal(model.classifier_.coef_, coef)
    last = np.diff(np.log(close.to_numpy()))[-TAU:]
    expected = model.classifier_.predict_proba(last[None, :])[0, 1]
    assert model.predict_proba().iloc[0] == expected
    assert model.predict_proba().index[0] > close.index[-1]


def test_update_with_refit_equals_a_fresh_fit_on_all_data_seen(close):
    model = DirectionForecaster(LogisticRegression(), window=TAU).fit(close.iloc[:-10])
    model.update(close.iloc[-10:-4]).update(close.iloc[-4:].to_numpy(), refit=True)
    fresh = DirectionForecaster(LogisticRegression(), window=TAU).fit(close)
    np.testing.assert_allclose(model.classifier_.coef_, fresh.classifier_.coef_, rtol=1e-12)
    assert model.predict_proba().iloc[0] == pytest.approx(fresh.predict_proba().iloc[0], 1e-12)


def test_exogenous_columns_join_the_row_of_their_origin(close):
    volume = forecast.load_dataset("sp500")["volume"].iloc[-600:]
    X = pd.DataFrame({"log_volume": np.log(volume)})
    model = DirectionForecaster(LogisticRegression(), window=TAU).fit(close.iloc[:-3],
                                                                      X=X.iloc[:-3])
    rows, labels = windows_by_hand(close.to_numpy()[:-3], TAU)
    exog = X.to_numpy()[TAU : len(close) - 4]
    direct = LogisticRegression().fit(np.hstack([rows, exog]), labels)
    np.testing.assert_allclose(model.classifier_.coef_, direct.coef_, rtol=1e-10)
    assert model.n_features_in_ == TAU + 1 and model.n_exog_ == 1
    model.update(close.iloc[-3:], X=X.iloc[-3:])
    last = np.concatenate([np.diff(np.log(close.to_numpy()))[-TAU:], X.to_numpy()[-1]])
    assert model.predict_proba().iloc[0] == pytest.approx(
        model.classifier_.predict_proba(last[None, :])[0, 1], rel=1e-12)
    with pytest.raises(ValueError, match="update needs X with 1 column"):
        model.update(close.iloc[-1:] * 0 + 1.0)
    bt = forecast.backtest(DirectionForecaster(LogisticRegression(), window=TAU), close, X=X,
                           start=-4, refit_every=2)
    at_last = DirectionForecaster(LogisticRegression(), window=TAU).fit(close.iloc[:-2],
                                                                        X=X.iloc[:-2])
    at_last.update(close.iloc[-2:-1], X=X.iloc[-2:-1])  # the last origin: refit at the 3rd
    assert bt["prob_up"].iloc[-1] == pytest.approx(at_last.predict_proba().iloc[0], rel=1e-12)


def test_backtest_records_prob_up_from_the_past_only(close):
    y = close.iloc[-200:]
    kwargs = dict(start=-30, refit_every=10)
    bt = forecast.backtest(DirectionForecaster(LogisticRegression(), window=TAU), y, **kwargs)
    assert list(bt.columns) == ["origin", "target", "step", "forecast", "actual", "model",
                                "prob_up"]
    assert ((bt["prob_up"] > 0) & (bt["prob_up"] < 1)).all()
    np.testing.assert_array_equal(bt["forecast"], (bt["prob_up"] > 0.5).astype(float))
    # origin 12 (a refit at 10, two updates since): a fresh fit on y[:q_10], then the window
    q = len(y) - 30 + 12
    refit_at = DirectionForecaster(LogisticRegression(), window=TAU).fit(y.iloc[: q - 2])
    last = np.diff(np.log(y.to_numpy()[:q]))[-TAU:]
    expected = refit_at.classifier_.predict_proba(last[None, :])[0, 1]
    assert bt["prob_up"].iloc[12] == pytest.approx(expected, rel=1e-12)
    # no look-ahead: prices after an origin change nothing forecast at it
    shaken = y.copy()
    shaken.iloc[q:] *= np.exp(np.random.default_rng(0).normal(0, 0.05, len(y) - q))
    again = forecast.backtest(DirectionForecaster(LogisticRegression(), window=TAU), shaken,
                              **kwargs)
    np.testing.assert_array_equal(again["prob_up"].iloc[:13], bt["prob_up"].iloc[:13])
    assert not np.array_equal(again["prob_up"].iloc[13:], bt["prob_up"].iloc[13:])


def test_a_rolling_backtest_refits_on_the_last_train_size_prices(close):
    y = close.iloc[-200:]
    bt = forecast.backtest(DirectionForecaster(LogisticRegression(), window=TAU), y, start=-10,
                           refit_every=5, window="rolling", train_size=100)
    q = len(y) - 10 + 5
    fresh = DirectionForecaster(LogisticRegression(), window=TAU).fit(y.iloc[q - 100 : q])
    assert bt["prob_up"].iloc[5] == pytest.approx(fresh.predict_proba().iloc[0], rel=1e-12)


def test_an_rnn_classifier_reads_the_window_as_a_sequence(close):
    net = forecast.RNNClassifier("gru", hidden_size=4, epochs=2, random_state=0)
    model = DirectionForecaster(net, window=TAU).fit(close)
    X, labels = windows_by_hand(close.to_numpy(), TAU)
    direct = forecast.RNNClassifier("gru", hidden_size=4, epochs=2, random_state=0).fit(
        X, labels)
    last = np.diff(np.log(close.to_numpy()))[-TAU:]
    expected = direct.predict_proba(last[None, :])[0, 1]
    assert model.predict_proba().iloc[0] == pytest.approx(expected, rel=1e-12)
    assert model.classifier_.n_features_in_ == TAU


def test_it_clones_with_its_classifier_and_settings():
    model = DirectionForecaster(LogisticRegression(C=2.0), window=3, threshold=0.001)
    copy = clone(model)
    assert copy.get_params()["classifier__C"] == 2.0
    assert (copy.window, copy.threshold) == (3, 0.001)
    assert copy.family == "direction"


@pytest.mark.parametrize("threshold", [np.nan, np.inf, -np.inf])
def test_a_threshold_that_is_not_finite_is_refused(close, threshold):
    with pytest.raises(ValueError, match="threshold must be finite"):
        DirectionForecaster(LogisticRegression(), threshold=threshold).fit(close)


def test_bad_settings_and_data_are_refused_naming_them(close):
    with pytest.raises(TypeError, match="threshold must be a real number"):
        DirectionForecaster(LogisticRegression(), threshold="0").fit(close)
    with pytest.raises(ValueError, match=r"window=20 needs at least 22 prices in y .* got 15"):
        DirectionForecaster(LogisticRegression(), window=20).fit(close.iloc[:15])
    with pytest.raises(ValueError, match="window must be >= 1"):
        DirectionForecaster(LogisticRegression(), window=0).fit(close)
    with pytest.raises(ValueError, match="strictly positive"):
        DirectionForecaster(LogisticRegression()).fit(close - close.iloc[0])
    rising = pd.Series(np.exp(np.linspace(0, 1, 50)))
    with pytest.raises(ValueError, match="all 44 labels of y are up .* both directions"):
        DirectionForecaster(LogisticRegression(), window=TAU).fit(rising)
    with pytest.raises(TypeError, match="fit and predict_proba.*LinearRegression"):
        DirectionForecaster(LinearRegression()).fit(close)
    with pytest.raises(TypeError, match="an instance, not the class"):
        DirectionForecaster(LogisticRegression).fit(close)
    with pytest.raises(ValueError, match="update needs X=None"):
        DirectionForecaster(DummyClassifier(), window=TAU).fit(close).update(
            close.iloc[-1:] * 0 + 1, X=np.ones((1, 1)))


def test_a_failed_fit_leaves_it_unfitted():
    from sklearn.exceptions import NotFittedError

    model = DirectionForecaster(LogisticRegression(), window=TAU)
    with pytest.raises(ValueError):
        model.fit(pd.Series(np.exp(np.linspace(0, 1, 50))))
    with pytest.raises(NotFittedError):
        model.predict_proba()


def test_the_docstring_example_gives_the_values_it_shows():
    import doctest

    import forecast.models.direction as module

    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
