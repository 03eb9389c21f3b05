"""EnsembleForecaster: the weighted mean of its members, its weights from past errors only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import forecast
from forecast.models.ensemble import inverse_mse_weights

TEST, WINDOW = 40, 30


@pytest.fixture(scope="module")
def y():
    return forecast.load_dataset("sp500")["close"].iloc[-300:]


def members():
    return [("AR(1)", forecast.ARForecaster(order=1)),
            ("AR(3)", forecast.ARForecaster(order=3, trend="n")),
            ("Drift", forecast.NaiveForecaster(strategy="drift"))]


def one_step_errors(model, y, start):
    bt = forecast.backtest(model, y, start=start)  # fitted once, then moved on by update
    return (bt["actual"] - bt["forecast"]).to_numpy()


def test_equal_weights_forecast_the_mean_of_the_members_backtests(y):
    start = len(y) - TEST
    ens = forecast.backtest(forecast.EnsembleForecaster(members()), y, start=start,
                            horizon=3, refit_every=7)
    each = [forecast.backtest(m, y, start=start, horizon=3, refit_every=7)["forecast"]
            for _, m in members()]
    np.testing.assert_allclose(ens["forecast"], np.mean(each, axis=0), rtol=1e-13)


def test_inverse_mse_weights_use_the_errors_of_targets_up_to_the_origin_only(y):
    n0 = len(y) - TEST  # the first origin; the errors of the window before it seed the weights
    ens = forecast.EnsembleForecaster(members(), weights="inverse_mse", window=WINDOW)
    bt = forecast.backtest(ens, y, start=n0)
    # the reference: each member's one-step errors, from the seeding walk over y[n0-W:n0]
    # (fitted on y[:n0-W]) and then from the walk of the members fitted on y[:n0]
    errors = np.column_stack([
        np.concatenate([one_step_errors(m, y.iloc[:n0], n0 - WINDOW),
                        one_step_errors(m, y, n0)])
        for _, m in members()
    ])
    forecasts = np.column_stack([
        forecast.backtest(m, y, start=n0)["forecast"] for _, m in members()
    ])
    for i in range(TEST):  # the forecast of y[n0 + i]: errors of targets n0-W+i .. n0+i-1
        past = errors[i : WINDOW + i]
        mse = np.mean(past**2, axis=0)
        w = (1 / mse) / np.sum(1 / mse)
        assert bt["forecast"].iloc[i] == pytest.approx(forecasts[i] @ w, rel=1e-12)


def test_changing_one_value_changes_no_forecast_made_before_it(y):
    ens = forecast.EnsembleForecaster(members(), weights="inverse_mse", window=WINDOW)
    start, k = len(y) - TEST, len(y) - 15
    perturbed = y.copy()
    perturbed.iloc[k:] *= 1.3
    a = forecast.backtest(ens, y, start=start, refit_every=5)
    b = forecast.backtest(ens, perturbed, start=start, refit_every=5)
    before = a["target"] < y.index[k]
    pd.testing.assert_frame_equal(a[before], b[before])
    assert not np.allclose(a.loc[~before, "forecast"], b.loc[~before, "forecast"])


def test_updating_together_or_one_by_one_gives_the_same_weights(y):
    ens = forecast.EnsembleForecaster(members(), weights="inverse_mse", window=WINDOW)
    together = clone(ens).fit(y.iloc[:-10]).update(y.iloc[-10:])
    one_by_one = clone(ens).fit(y.iloc[:-10])
    for i in range(10):
        one_by_one.update(y.iloc[-10 + i : len(y) - 9 + i])
    np.testing.assert_array_equal(together.weights_, one_by_one.weights_)
    assert together.errors_.shape == (WINDOW, 3)
    assert list(together.errors_.columns) == ["AR(1)", "AR(3)", "Drift"]
    pd.testing.assert_index_equal(together.index_, y.index)


def test_it_runs_in_compare_against_the_random_walk(y):
    ens = forecast.EnsembleForecaster({"AR": forecast.ARForecaster(order=1),
                                       "Drift": forecast.NaiveForecaster(strategy="drift")})
    result = forecast.compare({"Ensemble": ens, "AR": forecast.ARForecaster(order=1)}, y,
                              test_size=20, refit_every=5)
    assert set(result.metrics.index.get_level_values(0)) == {"Random walk", "Ensemble", "AR"}


def test_inverse_mse_weights_formula():
    e = np.array([[1.0, 2.0, 0.5], [-1.0, 2.0, -0.5]])  # MSE 1, 4, 0.25
    np.testing.assert_allclose(inverse_mse_weights(e), np.array([1, 0.25, 4]) / 5.25)
    np.testing.assert_array_equal(inverse_mse_weights(np.array([[0.0, 1.0], [0.0, 2.0]])),
                                  [1.0, 0.0])
    np.testing.assert_array_equal(inverse_mse_weights(np.empty((0, 4))), [0.25] * 4)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"forecasters": []}, ValueError, r"forecasters is empty"),
        ({"forecasters": [forecast.ARForecaster()]}, TypeError, r"list of \(name, forecaster\)"),
        ({"forecasters": [("a", forecast.ARForecaster()), ("a", forecast.ARForecaster())]},
         ValueError, r"distinct str names"),
        ({"forecasters": [("a", forecast.ARForecaster)]}, TypeError,
         r"forecasters\['a'\] must be a forecaster instance"),
        ({"weights": "median"}, ValueError, r"weights"),
        ({"weights": "inverse_mse", "window": 0}, ValueError, r"window"),
        ({"weights": "inverse_mse", "window": 299}, ValueError,
         r"y has n=300 .* at least window \+ 2 = 301"),
    ],
)
def test_bad_input_is_named(y, kwargs, error, message):
    kwargs.setdefault("forecasters", members())
    with pytest.raises(error, match=message):
        forecast.EnsembleForecaster(**kwargs).fit(y)


def test_members_that_write_their_own_update_and_predict_combine_too(y):
    """RNNForecaster overrides update and predict: the ensemble drives it through them."""
    rnn = forecast.RNNForecaster("gru", hidden_size=4, epochs=2, random_state=0)
    pair = [("AR(1)", forecast.ARForecaster(order=1)), ("GRU", rnn)]
    start = len(y) - 10
    ens = forecast.backtest(forecast.EnsembleForecaster(pair), y, start=start, horizon=2)
    each = [forecast.backtest(m, y, start=start, horizon=2)["forecast"] for _, m in pair]
    np.testing.assert_allclose(ens["forecast"], np.mean(each, axis=0), rtol=1e-12)
