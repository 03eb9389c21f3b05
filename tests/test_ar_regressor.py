"""ARRegressor: a scikit-learn regressor on windows that equals ARForecaster's AR(tau)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.utils.estimator_checks import parametrize_with_checks

import forecast
from forecast.models.ar import ARForecaster
from forecast.models.ar_regressor import ARRegressor
from forecast.windows import make_windows


@parametrize_with_checks(
    [ARRegressor(), ARRegressor(alpha=1.0), ARRegressor(alpha=0.5, fit_intercept=False)]
)
def test_sklearn_compatible(estimator, check, monkeypatch):
    # sklearn runs its array-API check (numpy namespace) only when this variable is set
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)


@pytest.fixture(scope="module")
def series():
    close = forecast.load_dataset("sp500")["close"]
    return {"returns": np.log(close).diff().dropna(), "prices": close}


@pytest.mark.parametrize("name", ["returns", "prices"])
@pytest.mark.parametrize("tau", [1, 5, 20])
def test_fit_on_windows_equals_arforecaster(series, name, tau):
    y = series[name]
    X, Y = make_windows(y, window=tau)
    reg = ARRegressor().fit(X, Y[:, 0])
    ar = ARForecaster(tau).fit(y)
    np.testing.assert_allclose(reg.coef_[::-1], ar.coef_, rtol=1e-8)  # oldest first here
    np.testing.assert_allclose(reg.intercept_, ar.intercept_, rtol=1e-8)
    np.testing.assert_allclose(
        reg.predict(X), ar.fittedvalues_.to_numpy(), rtol=0, atol=1e-8 * np.abs(Y).max()
    )
    next_window = y.to_numpy()[-tau:][None, :]
    np.testing.assert_allclose(reg.predict(next_window), ar.predict(1).to_numpy(), rtol=1e-8)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [0.1, 10.0])
def test_ridge_equals_sklearn_ridge(series, alpha, fit_intercept):
    X, Y = make_windows(series["returns"] * 100, window=10)
    reg = ARRegressor(alpha=alpha, fit_intercept=fit_intercept).fit(X, Y[:, 0])
    ref = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="svd").fit(X, Y[:, 0])
    np.testing.assert_allclose(reg.coef_, ref.coef_, rtol=1e-8)
    np.testing.assert_allclose(reg.intercept_, ref.intercept_, rtol=1e-8, atol=1e-14)


def test_ridge_shrinks_towards_zero(series):
    X, Y = make_windows(series["returns"], window=10)
    norms = [np.linalg.norm(ARRegressor(alpha=a).fit(X, Y[:, 0]).coef_) for a in (0, 0.01, 1)]
    assert norms[0] > norms[1] > norms[2]


def test_works_in_a_grid_search(series):
    X, Y = make_windows(series["returns"].iloc[-600:], window=5)
    search = GridSearchCV(ARRegressor(), {"alpha": [0.0, 1e-3]}, cv=TimeSeriesSplit(3))
    search.fit(X, Y[:, 0])
    assert search.best_params_["alpha"] in (0.0, 1e-3)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"alpha": -1.0}, ValueError, r"alpha must be >= 0.0, got alpha=-1.0"),
        ({"alpha": "big"}, TypeError, r"alpha must be a real number, got 'big'"),
        ({"fit_intercept": "yes"}, TypeError, r"fit_intercept must be a bool, got 'yes'"),
    ],
)
def test_bad_parameters_are_named(params, error, message):
    with pytest.raises(error, match=message):
        ARRegressor(**params).fit(np.ones((5, 2)), np.arange(5.0))


def test_x_none_is_refused_by_name_in_fit_and_predict():
    from forecast.models.ar_regressor import ARRegressor

    with pytest.raises(TypeError, match=r"X must be .*got X=None"):
        ARRegressor().fit(None, [1.0, 2.0])
    fitted = ARRegressor().fit([[1.0], [2.0], [3.0]], [2.0, 3.0, 4.0])
    with pytest.raises(TypeError, match=r"X must be .*got X=None"):
        fitted.predict(None)
