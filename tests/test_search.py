"""ForecastSearchCV: the walk-forward search equals the backtests it runs, and selects honestly."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.stats
from sklearn.metrics import mean_absolute_error, mean_squared_error
from sklearn.model_selection import GridSearchCV, ParameterGrid, TimeSeriesSplit

import forecast
from forecast.significance import diebold_mariano

TEST = 60


@pytest.fixture(scope="module")
def y():
    return forecast.load_dataset("sp500")["close"].iloc[-400:]


@pytest.fixture(scope="module")
def returns():
    close = forecast.load_dataset("sp500")["close"].iloc[-500:]
    return np.log(close).diff().dropna() * 100


def search(grid=None, **kwargs):
    kwargs.setdefault("test_size", TEST)
    grid = {"order": [1, 2, 5]} if grid is None else grid
    return forecast.ForecastSearchCV(forecast.ARForecaster(), grid, **kwargs)


@pytest.mark.parametrize(
    ("scoring", "metric"),
    [
        ("mse", mean_squared_error),
        ("rmse", lambda a, f: np.sqrt(mean_squared_error(a, f))),
        ("mae", mean_absolute_error),
    ],
)
def test_each_score_is_the_metric_of_that_candidates_backtest(y, scoring, metric):
    s = search(scoring=scoring, refit_every=5, horizon=2).fit(y)
    for row in s.cv_results_.itertuples():
        bt = forecast.backtest(forecast.ARForecaster(order=row.param_order), y,
                               start=len(y) - TEST, horizon=2, refit_every=5)
        assert row.mean_test_score == pytest.approx(metric(bt["actual"], bt["forecast"]),
                                                    rel=1e-12)
    best = s.cv_results_["mean_test_score"].idxmin()
    assert s.best_index_ == best and s.best_score_ == s.cv_results_["mean_test_score"].min()
    assert s.cv_results_["rank_test_score"].iloc[best] == 1


def test_the_dm_p_value_of_each_candidate_is_the_test_against_the_best(y):
    s = search(refit_every=1).fit(y)
    start = len(y) - TEST
    errors = {
        k: (bt["actual"] - bt["forecast"]).to_numpy()
        for k in (1, 2, 5)
        for bt in [forecast.backtest(forecast.ARForecaster(order=k), y, start=start,
                                     refit_every=1)]
    }
    best = s.best_params_["order"]
    for row in s.cv_results_.itertuples():
        expected = diebold_mariano(errors[row.param_order], errors[best], h=1, loss="squared")
        assert row.dm_pvalue == pytest.approx(expected.pvalue, rel=1e-9)
        assert row.dm_statistic == pytest.approx(expected.statistic, rel=1e-9, abs=1e-12)
    assert s.cv_results_["dm_pvalue"].iloc[s.best_index_] == 1.0


def test_candidates_are_sklearns_parameter_grid_in_its_order(y):
    grid = [{"order": [1, 3]}, {"order": [2], "trend": ["n", "c"]}]
    s = search(grid).fit(y)
    assert s.cv_results_["params"].tolist() == list(ParameterGrid(grid))
    assert s.cv_results_.columns.tolist() == [
        "params", "param_order", "param_trend", "mean_test_score", "rank_test_score",
        "dm_statistic", "dm_pvalue", "mean_fit_time",
    ]


def test_best_forecaster_is_the_best_candidate_refitted_on_all_data(y):
    s = search().fit(y)
    direct = forecast.ARForecaster(**s.best_params_).fit(y)
    np.testing.assert_array_equal(s.predict(5).to_numpy(), direct.predict(5).to_numpy())
    pd.testing.assert_index_equal(s.predict(5).index, direct.predict(5).index)


def test_lag_order_of_an_ar_is_chosen_by_one_walk_forward_grid():
    rng = np.random.default_rng(0)
    e = rng.standard_normal(1200)
    x = np.zeros(1200)
    for t in range(3, 1200):  # an AR(3) whose third lag matters
        x[t] = 0.3 * x[t - 1] - 0.2 * x[t - 2] + 0.5 * x[t - 3] + e[t]
    s = forecast.ForecastSearchCV(forecast.ARForecaster(trend="n"), {"order": [1, 2, 3]},
                                  test_size=400).fit(x)
    assert s.best_params_ == {"order": 3}
    assert (s.cv_results_["dm_pvalue"].iloc[:2] < 0.01).all()


def test_random_search_draws_n_iter_reproducible_candidates(y):
    dist = {"order": scipy.stats.randint(1, 12), "trend": ["n", "c"]}
    a = forecast.ForecastSearchCV(forecast.ARForecaster(), param_distributions=dist, n_iter=4,
                                  test_size=TEST, random_state=3).fit(y)
    b = forecast.ForecastSearchCV(forecast.ARForecaster(), param_distributions=dist, n_iter=4,
                                  test_size=TEST, random_state=3).fit(y)
    assert len(a.cv_results_) == 4
    assert a.cv_results_["params"].tolist() == b.cv_results_["params"].tolist()
    sub = search({"order": [1, 2, 3, 4, 5]}, n_iter=3, random_state=0).fit(y)
    assert len(set(sub.cv_results_["param_order"])) == 3  # drawn without replacement


def test_parallel_candidates_give_the_serial_results(y):
    serial = search(refit_every=10).fit(y).cv_results_
    with joblib.parallel_config(backend="threading"):  # no worker processes to start in a test
        parallel = search(refit_every=10, n_jobs=2).fit(y).cv_results_
    pd.testing.assert_frame_equal(serial.drop(columns="mean_fit_time"),
                                  parallel.drop(columns="mean_fit_time"))


def test_update_without_refit_moves_the_best_forecaster_on(y):
    s = search().fit(y.iloc[:-5])
    s.update(y.iloc[-5:])
    direct = forecast.ARForecaster(**s.best_params_).fit(y.iloc[:-5]).update(y.iloc[-5:])
    np.testing.assert_array_equal(s.predict(3).to_numpy(), direct.predict(3).to_numpy())
    pd.testing.assert_index_equal(s.index_, y.index)


def test_update_with_refit_searches_again_on_everything_seen(y):
    s = search().fit(y.iloc[:-5]).update(y.iloc[-5:], refit=True)
    fresh = search().fit(y)
    pd.testing.assert_frame_equal(s.cv_results_.drop(columns="mean_fit_time"),
                                  fresh.cv_results_.drop(columns="mean_fit_time"))
    np.testing.assert_allclose(s.predict(2).to_numpy(), fresh.predict(2).to_numpy(), rtol=1e-12)


def test_in_a_backtest_changing_one_value_changes_no_forecast_made_before_it(returns):
    """The nested selection is honest: each refit searches on the past only."""
    model = forecast.ForecastSearchCV(forecast.ARForecaster(), {"order": [1, 2, 4, 8]},
                                      test_size=50)
    start, k = len(returns) - 60, len(returns) - 30
    perturbed = returns.copy()
    perturbed.iloc[k:] = perturbed.iloc[k:] * 5.0 + 3.0  # the search would pick otherwise
    a = forecast.backtest(model, returns, start=start, refit_every=10)
    b = forecast.backtest(model, perturbed, start=start, refit_every=10)
    seen_before = a["target"] < returns.index[k]  # forecasts made at origins before k
    pd.testing.assert_frame_equal(a[seen_before], b[seen_before])
    assert not np.allclose(a.loc[~seen_before, "forecast"], b.loc[~seen_before, "forecast"])


def test_in_compare_the_first_forecast_is_the_search_on_the_training_part(returns):
    model = forecast.ForecastSearchCV(forecast.ARForecaster(), {"order": [1, 2, 4]},
                                      test_size=50)
    result = forecast.compare({"AR search": model}, returns, test_size=20, refit_every=10)
    bt = result.backtests
    first = bt[bt["model"] == "AR search"]["forecast"].iloc[0]
    manual = forecast.ForecastSearchCV(forecast.ARForecaster(), {"order": [1, 2, 4]},
                                       test_size=50).fit(returns.iloc[:-20])
    assert first == pytest.approx(manual.predict(1).iloc[0], rel=1e-12)
    assert "AR search" in result.metrics.index.get_level_values(0)


def test_grid_search_cv_works_for_the_regressors():
    close = forecast.load_dataset("sp500")["close"].iloc[-300:]
    X, Y = forecast.make_windows(np.log(close).diff().dropna().to_numpy() * 100, window=5)
    ar = GridSearchCV(forecast.ARRegressor(), {"alpha": [0.0, 10.0]}, cv=TimeSeriesSplit(3),
                      scoring="neg_mean_squared_error").fit(X, Y[:, 0])
    for j, alpha in enumerate([0.0, 10.0]):
        losses = [
            mean_squared_error(Y[te, 0], forecast.ARRegressor(alpha=alpha).fit(
                X[tr], Y[tr, 0]).predict(X[te]))
            for tr, te in TimeSeriesSplit(3).split(X)
        ]
        assert -ar.cv_results_["mean_test_score"][j] == pytest.approx(np.mean(losses), rel=1e-10)
    rnn = GridSearchCV(forecast.RNNRegressor(hidden_size=4, epochs=2, random_state=0),
                       {"cell": ["rnn", "gru"]}, cv=TimeSeriesSplit(2)).fit(X, Y[:, 0])
    assert rnn.best_params_["cell"] in ("rnn", "gru")


def test_grid_search_cv_does_not_take_a_forecaster_use_forecast_search_cv():
    X, Y = forecast.make_windows(np.arange(50.0), window=3)
    with pytest.raises(TypeError, match="score"):
        GridSearchCV(forecast.ARForecaster(), {"order": [1, 2]}).fit(X, Y[:, 0])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"grid": {}}, ValueError, r"param_grid is empty"),
        ({"grid": []}, ValueError, r"param_grid is empty"),
        ({"grid": {"order": []}}, ValueError, r"param_grid\['order'\] is an empty list"),
        ({"grid": {"order": 3}}, TypeError, r"param_grid\['order'\] must be a list .* got 3"),
        ({"grid": "order"}, TypeError, r"param_grid must be a dict"),
        ({"grid": {"lags": [1, 2]}}, ValueError, r"names \['lags'\].*parameters are"),
        ({"scoring": "r2"}, ValueError, r"scoring"),
        ({"n_iter": 4}, ValueError, r"n_iter=4 is larger than the 3 combinations"),
        ({"test_size": 399}, ValueError, r"test_size=399 leaves 1 observation"),
        ({"test_size": 0}, ValueError, r"test_size"),
    ],
)
def test_bad_input_is_named(y, kwargs, error, message):
    grid = kwargs.pop("grid", None)
    with pytest.raises(error, match=message):
        search(grid, **kwargs).fit(y)


def test_one_of_param_grid_and_param_distributions_is_needed(y):
    with pytest.raises(ValueError, match="exactly one of param_grid"):
        forecast.ForecastSearchCV(forecast.ARForecaster(), test_size=TEST).fit(y)
    with pytest.raises(ValueError, match="exactly one of param_grid"):
        forecast.ForecastSearchCV(forecast.ARForecaster(), {"order": [1]}, {"order": [2]},
                                  test_size=TEST).fit(y)
    with pytest.raises(ValueError, match="param_distributions needs n_iter"):
        forecast.ForecastSearchCV(forecast.ARForecaster(), param_distributions={"order": [1]},
                                  test_size=TEST).fit(y)
    with pytest.raises(TypeError, match="forecaster must be a forecaster instance"):
        forecast.ForecastSearchCV(forecast.ARForecaster, {"order": [1]}, test_size=TEST).fit(y)
