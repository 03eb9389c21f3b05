"""GlobalRNNForecaster: one network across many series, per-series scaling, in compare."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import forecast
from forecast.models.ar import ARForecaster
from forecast.models.rnn.forecaster import RNNForecaster
from forecast.models.rnn.global_model import GlobalRNNForecaster, GlobalSeriesForecaster
from forecast.models.rnn.streams import pooled_streams

SMALL = dict(hidden_size=4, epochs=3, k1=5, batch_size=8, random_state=0)


@pytest.fixture(scope="module")
def stocks() -> dict[str, pd.Series]:
    wide = forecast.load_dataset("stocks_monthly")
    return {c: wide[c].dropna() for c in wide}


@pytest.fixture(scope="module")
def fitted(stocks) -> GlobalRNNForecaster:
    return GlobalRNNForecaster(**SMALL).fit_many(stocks)


def test_per_series_scaling_removes_the_price_scale(stocks):
    y = stocks["IBM"]
    g = GlobalRNNForecaster(**SMALL, target="diff").fit_many({"a": y, "b": 1000 * y})
    a, b = g.scalers_["a"], g.scalers_["b"]
    assert b.target_scaler.scale_ == pytest.approx(1000 * a.target_scaler.scale_)
    np.testing.assert_allclose(b.inputs(1000 * y.to_numpy(), None),
                               a.inputs(y.to_numpy(), None), rtol=1e-9, atol=1e-12)
    # each series standardised on its own training part: mean 0, sd 1 there
    u = g.scalers_["a"].inputs(y.to_numpy(), None)[:, 0]
    n_train = int(np.floor(0.9 * (len(y) - 2)))  # pairs before the validation tail
    assert abs(u[: n_train + 1].mean()) < 1e-9
    assert u[: n_train + 1].std() == pytest.approx(1.0, rel=1e-9)


def test_streams_do_not_cross_series():
    u = [np.arange(11.0)[:, None], 100 + np.arange(7.0)[:, None], 1000 + np.arange(30.0)[:, None]]
    x, t, owner = pooled_streams(u, [10, 6, 29], batch_size=6, k2=2)
    assert x.shape[0] == 3 and owner.tolist() == [0] * 3 + [1] * 2 + [2] * 9
    for b, s in enumerate(owner):
        stream, target = x[:, b, 0], t[:, b, 0]
        np.testing.assert_array_equal(np.diff(stream), 1.0)  # contiguous in one series
        np.testing.assert_array_equal(target, stream + 1)  # the next input of the same series
        assert stream[0] >= [0, 100, 1000][s] and target[-1] <= [10, 106, 1029][s]  # no tail
    # the last stream of each series ends right before its validation tail
    assert [t[-1, owner == s, 0].max() for s in range(3)] == [10.0, 106.0, 1029.0]


def test_one_network_shared_by_all_series(fitted, stocks):
    views = [fitted.for_series(name) for name in stocks]
    assert all(v.network is fitted.network_ for v in views)
    assert set(fitted.stream_owner_) == set(stocks)
    assert fitted.n_streams_ == len(fitted.stream_owner_)
    # a clone (what the backtest does) still uses the same weights
    assert clone(views[0]).network is fitted.network_
    # same weights, different scalers: GOOG and IBM forecasts differ
    assert views[2].predict(1).iloc[0] != views[3].predict(1).iloc[0]


def test_forecasts_follow_the_contract(fitted, stocks):
    y = stocks["MSFT"]
    view = clone(fitted.for_series("MSFT")).fit(y.iloc[:-3])
    fc = view.predict(3)
    assert fc.name == "forecast" and fc.index.equals(y.index[-3:])
    band = view.predict_interval(3, coverage=0.9)
    assert list(band.columns) == ["lower", "upper"] and band.index.equals(fc.index)
    assert (band["lower"] < band["upper"]).all()
    view.update(y.iloc[-3:])
    assert view.index_.equals(y.index)
    # update carries the state: same as fitting on the whole series
    np.testing.assert_allclose(view.predict(2), fitted.for_series("MSFT").predict(2), rtol=1e-5)
    with pytest.raises(ValueError, match="refit=True"):
        view.update(y.iloc[-1:] * 0 + 1, refit=True)
    with pytest.raises(ValueError, match="horizon"):
        view.predict(0)
    with pytest.raises(NotFittedError):
        GlobalRNNForecaster().for_series("MSFT")
    with pytest.raises(NotFittedError):
        GlobalSeriesForecaster(network=fitted.network_, scaler=None).predict(1)


def test_reproducible_with_random_state(fitted, stocks):
    again = GlobalRNNForecaster(**SMALL).fit_many(stocks)
    for name in stocks:
        pd.testing.assert_series_equal(again.for_series(name).predict(3),
                                       fitted.for_series(name).predict(3))
    other = GlobalRNNForecaster(**{**SMALL, "random_state": 1}).fit_many(stocks)
    assert not np.allclose(other.for_series("IBM").predict(3), fitted.for_series("IBM").predict(3))


def test_compare_lists_the_global_model_beside_per_series_models():
    wide = forecast.load_dataset("stocks_monthly")
    models = {"AR(1)": ARForecaster(order=1), "LSTM": RNNForecaster(**SMALL)}
    glob = {"Global LSTM": GlobalRNNForecaster(**SMALL)}
    res = forecast.compare(models, wide, test_size=12, global_models=glob)
    summary = res.summary
    assert summary.index.get_level_values("model").tolist() == ["AR(1)", "LSTM", "Global LSTM"]
    assert (summary["n_series"] == 5).all()
    goog = res["GOOG"].backtests
    assert len(goog[goog["model"] == "Global LSTM"]) == 12
    assert not hasattr(glob["Global LSTM"], "network_")  # the caller's model is not fitted
    # the global model saw only data before each series' first origin: same as fitting there
    tasks = {k: v.iloc[:-12] for k, v in ((c, wide[c].dropna()) for c in wide)}
    g = GlobalRNNForecaster(**SMALL).fit_many(tasks)
    first = goog[goog["model"] == "Global LSTM"]["forecast"].iloc[0]
    assert first == pytest.approx(g.for_series("GOOG").predict(1).iloc[0], rel=1e-9)
    again = forecast.compare(models, wide, test_size=12, global_models=glob)
    pd.testing.assert_frame_equal(again.summary, summary)
    with pytest.raises(ValueError, match="many series"):
        forecast.compare(models, wide["IBM"], test_size=12, global_models=glob)
    with pytest.raises(ValueError, match="AR\\(1\\)"):
        forecast.compare(models, wide, test_size=12,
                         global_models={"AR(1)": GlobalRNNForecaster(**SMALL)})
