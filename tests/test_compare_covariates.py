"""forecast.compare passes covariates to each model's backtest, without look-ahead.

``X`` (observed, entering lagged) and ``X_known`` (known in advance) follow
:mod:`forecast.models.covariates`. The references: the single-model backtest with the same
covariates, statsmodels' ``AutoReg(y, exog=[X.shift(1), X_known])`` at the first origin,
and perturbations of the covariates after an origin, which must change no forecast made at
or before it (the positive controls perturb the rows a forecast may use, and change it).
The data are the last 160 closes of the bundled S&P 500.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from statsmodels.tsa.ar_model import AutoReg

import forecast

TEST_SIZE = 30


@pytest.fixture(scope="module")
def data() -> tuple[pd.Series, pd.DataFrame, pd.DataFrame]:
    """Closes, two observed covariates (volume in billions, log return) and one known one."""
    frame = forecast.load_dataset("sp500").iloc[-160:]
    y = frame["close"]
    X = pd.DataFrame(
        {"volume": frame["volume"] / 1e9, "ret": np.log(y).diff().fillna(0.0)}, index=y.index
    )
    known = pd.DataFrame({"monday": (y.index.day_of_week == 0).astype(float)}, index=y.index)
    return y, X, known


def arx(**params) -> forecast.ARForecaster:
    return forecast.ARForecaster(order=2, **params)


def forecasts(result, model: str) -> pd.DataFrame:
    bt = result.backtests
    return bt[bt["model"] == model].reset_index(drop=True)


def run(y, X, known, horizon=1, **kwargs):
    params = {"strategy": "direct", "max_horizon": horizon} if horizon > 1 else {}
    models = {"AR(2)": arx(), "ARX(2)": arx(**params)}
    return forecast.compare(models, y, test_size=TEST_SIZE, horizon=horizon, X=X,
                            X_known=known, covariates_for=["ARX(2)"], **kwargs)


@pytest.mark.parametrize("refit_every", [None, 7])
def test_compare_with_an_arx_equals_its_backtest_with_the_same_covariates(data, refit_every):
    y, X, known = data
    res = run(y, X, known, horizon=2, refit_every=refit_every)
    alone = forecast.backtest(arx(strategy="direct", max_horizon=2), y,
                              start=len(y) - TEST_SIZE, horizon=2, refit_every=refit_every,
                              X=X, X_known=known)
    got = forecasts(res, "ARX(2)")
    np.testing.assert_array_equal(got["forecast"], alone["forecast"])
    assert got["origin"].tolist() == alone["origin"].tolist()


def test_models_left_out_of_covariates_for_are_compared_as_without_covariates(data):
    y, X, known = data
    models = {"AR(2)": arx(), "Drift": forecast.NaiveForecaster(strategy="drift")}
    plain = forecast.compare(models, y, test_size=TEST_SIZE)
    res = forecast.compare({**models, "ARX(2)": arx()}, y, test_size=TEST_SIZE, X=X,
                           X_known=known, covariates_for=["ARX(2)"])
    for name in ("Random walk", "AR(2)", "Drift"):
        np.testing.assert_array_equal(forecasts(res, name)["forecast"],
                                      forecasts(plain, name)["forecast"])
    assert not np.allclose(forecasts(res, "ARX(2)")["forecast"],
                           forecasts(res, "AR(2)")["forecast"])


def test_first_arx_forecast_equals_statsmodels_autoreg_with_lagged_x_and_known_x(data):
    y, X, known = data
    res = run(y, X, known)
    q = len(y) - TEST_SIZE
    exog = np.column_stack([X.shift(1).fillna(0.0).to_numpy(), known.to_numpy()])
    fit = AutoReg(y.to_numpy()[:q], lags=2, trend="c", exog=exog[:q]).fit()
    expected = fit.predict(start=q, end=q, exog_oos=exog[q : q + 1])
    np.testing.assert_allclose(forecasts(res, "ARX(2)")["forecast"].iloc[0], expected[0],
                               rtol=1e-10)


def test_settings_record_the_covariates_and_the_models_that_got_them(data):
    y, X, known = data
    assert run(y, X, known).settings["covariates"] == {"X": 2, "X_known": 1,
                                                        "models": ["ARX(2)"]}
    res = forecast.compare({"AR(2)": arx()}, y, test_size=TEST_SIZE, X=X.to_numpy())
    assert res.settings["covariates"] == {"X": 2, "X_known": 0, "models": ["AR(2)"]}
    assert "covariates" not in forecast.compare({"AR(2)": arx()}, y,
                                                test_size=TEST_SIZE).settings


@pytest.mark.parametrize("horizon", [1, 2])
def test_perturbing_covariates_after_an_origin_changes_no_forecast_made_up_to_it(data, horizon):
    y, X, known = data
    res = run(y, X, known, horizon=horizon, refit_every=5)
    c = len(y) - TEST_SIZE + 12  # the origin is y[c - 1]; X_known of its targets c .. c+h-1
    origin = y.index[c - 1]
    X2, known2 = X.copy(), known.copy()
    X2.iloc[c:] *= -3.0
    known2.iloc[c + horizon :] = 5.0
    moved = run(y, X2, known2, horizon=horizon, refit_every=5)
    before = forecasts(res, "ARX(2)")["origin"] <= origin
    a, b = forecasts(res, "ARX(2)"), forecasts(moved, "ARX(2)")
    np.testing.assert_array_equal(a["forecast"][before], b["forecast"][before])
    assert not np.allclose(a["forecast"][~before], b["forecast"][~before])


@pytest.mark.parametrize("kind", ["X", "X_known"])
def test_perturbing_the_rows_a_forecast_may_use_changes_it(data, kind):
    """Positive control: X at the origin and X_known of the target enter the forecast."""
    y, X, known = data
    res = run(y, X, known)
    c = len(y) - TEST_SIZE + 12
    X2, known2 = X.copy(), known.copy()
    if kind == "X":
        X2.iloc[c - 1] *= -3.0
    else:
        known2.iloc[c] = 5.0
    moved = run(y, X2, known2)
    a, b = forecasts(res, "ARX(2)"), forecasts(moved, "ARX(2)")
    at = a["origin"] == y.index[c - 1]
    assert at.sum() == 1
    assert a["forecast"][at].item() != pytest.approx(b["forecast"][at].item(), rel=1e-9)
    np.testing.assert_array_equal(a["forecast"][a["origin"] < y.index[c - 1]],
                                  b["forecast"][b["origin"] < y.index[c - 1]])


class LastRows(BaseEstimator):
    """Any forecaster taking covariates: forecasts the last row of ``X`` it was given plus
    the row of ``X_known`` passed for each step, so its forecasts show which rows it got."""

    def fit(self, y, X=None, X_known=None):
        assert len(X) == len(y) == len(X_known)
        self.last_ = np.asarray(X).reshape(len(X), -1)[-1, 0]
        return self

    def update(self, y_new, refit=False, X=None, X_known=None):
        assert len(X) == len(y_new) == len(X_known)
        self.last_ = np.asarray(X).reshape(len(X), -1)[-1, 0]
        return self

    def predict(self, horizon, X_known=None):
        return pd.Series(self.last_ + np.asarray(X_known).reshape(horizon, -1)[:, 0])


def test_any_forecaster_gets_x_up_to_the_origin_and_x_known_of_the_targets(data):
    """X holds each row's position: a forecast at origin position p is p + X_known[p + s]."""
    y = data[0]
    n = len(y)
    X = np.arange(n, dtype=float)
    known = np.linspace(0.0, 1.0, n)
    res = forecast.compare({"rows": LastRows()}, y, test_size=TEST_SIZE, horizon=3,
                           refit_every=4, X=X, X_known=known)
    got = forecasts(res, "rows")
    origin = y.index.get_indexer(got["origin"])
    np.testing.assert_array_equal(got["forecast"], origin + known[origin + got["step"]])
    assert len(got) == 3 * (TEST_SIZE - 2)


def bad(data, **kwargs):
    y = data[0]
    return forecast.compare({"ARX(2)": arx()}, y, test_size=TEST_SIZE, **kwargs)


def test_short_x_is_a_named_error(data):
    with pytest.raises(ValueError, match=r"X must have one row per observation of y: "
                                         r"len\(X\)=159, len\(y\)=160"):
        bad(data, X=data[1].iloc[1:].to_numpy())


def test_misaligned_x_is_a_named_error(data):
    X = data[1].copy()
    X.index = X.index.shift(1, freq="D")
    with pytest.raises(ValueError, match="X and y have different indexes.*align them"):
        bad(data, X=X)


def test_known_covariates_with_nan_are_a_named_error(data):
    known = data[2].copy()
    known.iloc[-3, 0] = np.nan
    with pytest.raises(ValueError, match="X_known"):
        bad(data, X_known=known)


def test_non_numeric_x_is_a_type_error(data):
    X = data[1].assign(sector="tech")
    with pytest.raises(TypeError, match="X"):
        bad(data, X=X)


def test_covariates_with_many_series_are_refused(data):
    y = data[0]
    with pytest.raises(ValueError, match="X is not supported with many series; compare each"):
        forecast.compare({"AR(2)": arx()}, {"a": y, "b": y}, test_size=TEST_SIZE, X=data[1])


@pytest.mark.parametrize(
    ("covariates_for", "given", "error", "match"),
    [
        (["ARX"], True, ValueError, r"covariates_for names unknown model\(s\) \['ARX'\]"),
        (["Random walk"], True, ValueError, "the reference, which forecasts from y alone"),
        (["ARX(2)"], False, ValueError, "X and X_known are None; pass X or X_known"),
        ("ARX(2)", True, TypeError, "covariates_for must be a list of model names"),
    ],
)
def test_bad_covariates_for_is_a_named_error(data, covariates_for, given, error, match):
    with pytest.raises(error, match=match):
        bad(data, X=data[1] if given else None, covariates_for=covariates_for)


def test_a_model_that_cannot_take_the_covariates_is_a_named_error(data):
    y, X, known = data
    drift = {"Drift": forecast.NaiveForecaster(strategy="drift")}
    with pytest.raises(TypeError, match=r"models\['Drift'\] \(NaiveForecaster\) takes no "
                                        "X_known in fit; leave it out of covariates_for"):
        forecast.compare(drift, y, test_size=TEST_SIZE, X_known=known)
    with pytest.raises(ValueError, match="NaiveForecaster uses no exogenous regressors") as info:
        forecast.compare(drift, y, test_size=TEST_SIZE, X=X)
    assert "leave it out of covariates_for" in info.value.__notes__[0]
