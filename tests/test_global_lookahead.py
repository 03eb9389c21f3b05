"""Global models never look ahead: no forecast depends on any series' data after its origin.

The two series end on different dates (MSFT in 2017-11, the S&P 500 in 2018-12), so their
forecast origins differ. Perturbing the S&P 500 after an MSFT origin must leave MSFT's global
forecasts up to that origin bitwise unchanged (initial fit, refits and the updates between
them), while perturbing it before the origin must change them (the positive control).
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import forecast
from forecast.models.global_rnn import GlobalRNNForecaster, GlobalSeriesForecaster
from forecast.models.rnn.global_series import global_forecasters

# no validation tail: the newest observations of every series are training pairs
SMALL = dict(hidden_size=3, epochs=2, k1=5, batch_size=4, validation_fraction=0.0, random_state=0)
TEST_SIZE = 20


@pytest.fixture(scope="module")
def series() -> dict[str, pd.Series]:
    return {
        "sp500": forecast.load_dataset("sp500")["close"].iloc[-400:],  # ends 2018-12-31
        "msft": forecast.load_dataset("msft")["close"].iloc[-300:],  # ends 2017-11-10
    }


def _global(data, refit_every=None, **kwargs) -> pd.DataFrame:
    """The global model's backtest of every series, from compare, indexed by (series, origin)."""
    res = forecast.compare({}, data, test_size=TEST_SIZE, refit_every=refit_every,
                           global_models={"G": GlobalRNNForecaster(**SMALL)}, **kwargs)
    frames = {name: r.backtests[r.backtests["model"] == "G"].set_index("origin")["forecast"]
              for name, r in res.results.items()}
    return pd.concat(frames, names=["series"])


def _perturbed(data, after=None, upto=None):
    """``data`` with the S&P 500 closes dated after ``after`` (and up to ``upto``) moved.

    Each close is scaled by its own factor in [0.95, 1.05], so that the log returns (what
    the network sees) change too.
    """
    sp = data["sp500"].copy()
    mask = np.ones(len(sp), dtype=bool)
    if after is not None:
        mask &= sp.index > after
    if upto is not None:
        mask &= sp.index <= upto
    sp[mask] *= 1 + 0.05 * np.sin(np.arange(mask.sum()))
    return {**data, "sp500": sp}


@pytest.fixture(scope="module")
def baseline(series) -> pd.DataFrame:
    return _global(series)


@pytest.fixture(scope="module")
def baseline_refit(series) -> pd.DataFrame:
    return _global(series, refit_every={"G": 5})


def test_the_series_end_on_different_dates_so_their_origins_differ(baseline):
    msft, sp = baseline["msft"].index, baseline["sp500"].index
    assert msft[0] == pd.Timestamp("2017-10-13") and msft[-1] == pd.Timestamp("2017-11-09")
    assert sp[0] > msft[-1]  # every S&P 500 origin is after every MSFT origin


def test_initial_fit_ignores_other_series_after_the_first_origin(series, baseline):
    first = baseline["msft"].index[0]
    moved = _global(_perturbed(series, after=first))
    # no refit: every MSFT forecast uses the network fitted at its first origin
    pd.testing.assert_series_equal(moved["msft"], baseline["msft"], check_exact=True)
    assert not np.allclose(moved["sp500"], baseline["sp500"])  # the perturbation is real


def test_initial_fit_does_use_other_series_before_the_first_origin(series, baseline):
    first = baseline["msft"].index[0]
    moved = _global(_perturbed(series, upto=first))
    assert np.abs(moved["msft"] - baseline["msft"]).max() > 1e-6


def test_first_origin_network_is_fit_many_on_every_series_truncated_at_that_date(series, baseline):
    first = baseline["msft"].index[0]
    past = {k: y[y.index <= first] for k, y in series.items()}
    direct = GlobalRNNForecaster(**SMALL).fit_many(past).for_series("msft").predict(1)
    assert baseline["msft"].iloc[0] == pytest.approx(direct.iloc[0], rel=1e-12)


def test_refits_ignore_other_series_after_each_origin(series, baseline_refit):
    msft = baseline_refit["msft"]
    for k in (5, 10):  # refit origins (every 5th origin)
        origin = msft.index[k]
        moved = _global(_perturbed(series, after=origin), refit_every={"G": 5})["msft"]
        pd.testing.assert_series_equal(moved[: k + 1], msft[: k + 1], check_exact=True)
        # the next refit (5 origins later) sees the perturbed S&P 500: the test can fail
        assert np.abs(moved.iloc[k + 5] - msft.iloc[k + 5]) > 1e-6


def test_updates_between_refits_ignore_other_series_after_the_origin(series, baseline_refit):
    msft = baseline_refit["msft"]
    origin = msft.index[7]  # an update origin, between the refits at origins 5 and 10
    moved = _global(_perturbed(series, after=origin), refit_every={"G": 5})["msft"]
    pd.testing.assert_series_equal(moved[:8], msft[:8], check_exact=True)
    # the data between the refits at 5 and 10 reach the forecasts from the refit at 10 on
    moved = _global(_perturbed(series, after=msft.index[5], upto=origin),
                    refit_every={"G": 5})["msft"]
    pd.testing.assert_series_equal(moved[:10], msft[:10], check_exact=True)
    assert np.abs(moved.iloc[10:] - msft.iloc[10:]).max() > 1e-6


def test_refit_forecasts_differ_from_a_single_fit(baseline, baseline_refit):
    for name in ("msft", "sp500"):
        pd.testing.assert_series_equal(baseline_refit[name][:5], baseline[name][:5],
                                       check_exact=True)
        assert np.abs(baseline_refit[name][5:] - baseline[name][5:]).max() > 1e-6


def test_a_single_refit_every_value_still_leaves_global_models_unrefit(series, baseline):
    pd.testing.assert_series_equal(_global(series, refit_every=5), baseline, check_exact=True)


def test_refit_by_update_or_by_a_fresh_fit_gives_the_same_forecasts(series, baseline_refit):
    fresh = _global(series, refit_every={"G": 5}, warm_start=False)
    pd.testing.assert_series_equal(fresh, baseline_refit, check_exact=True)


def test_backtest_over_a_dict_trains_without_look_ahead(series, baseline_refit):
    g = GlobalRNNForecaster(**SMALL)
    bt = forecast.backtest(g, series, start=-TEST_SIZE, refit_every=5)
    assert not hasattr(g, "network_")  # the caller's model is not fitted
    assert set(bt["model"]) == {"GlobalRNNForecaster"}
    got = bt.set_index(["series", "origin"])["forecast"]
    pd.testing.assert_series_equal(got, baseline_refit, check_exact=True, check_names=False)
    first = got["msft"].index[0]
    moved = forecast.backtest(g, _perturbed(series, after=first), start=-TEST_SIZE)
    again = forecast.backtest(g, series, start=-TEST_SIZE)
    pd.testing.assert_frame_equal(moved[moved.series == "msft"], again[again.series == "msft"],
                                  check_exact=True)


def test_global_forecasters_refit_at_the_dates_of_each_series_origins(series):
    tasks = {k: (y, len(y) - TEST_SIZE) for k, y in series.items()}
    views = global_forecasters(GlobalRNNForecaster(**SMALL), tasks, refit_every=8)
    msft = series["msft"]
    origins = msft.index[len(msft) - TEST_SIZE - 1 :: 8][:3]
    assert [label for label, _, _ in views["msft"].refits] == list(origins[1:])
    # a view keeps its shared networks through clone and pickling
    view = clone(views["msft"]).fit(msft.iloc[: len(msft) - TEST_SIZE + 8])
    assert view._network is views["msft"].refits[0][1]
    back = pickle.loads(pickle.dumps(view))
    pd.testing.assert_series_equal(back.predict(3), view.predict(3), check_exact=True)


def test_series_on_different_kinds_of_calendar_are_refused(series):
    data = {"msft": series["msft"], "arr": series["sp500"].to_numpy()}
    with pytest.raises(TypeError, match="one calendar.*'arr': 'positions'"):
        forecast.compare({}, data, test_size=TEST_SIZE,
                         global_models={"G": GlobalRNNForecaster(**SMALL)})


def test_malformed_refits_are_refused(series):
    view = GlobalRNNForecaster(**SMALL).fit_many(series).for_series("msft")
    bad = GlobalSeriesForecaster(view.network, view.scaler, refits=[("2017-01-02", 1, 2)])
    with pytest.raises(TypeError, match=r"refits\[0\] must be a tuple"):
        bad.fit(series["msft"])
    late, early = pd.Timestamp("2017-06-01"), pd.Timestamp("2017-01-02")
    unordered = GlobalSeriesForecaster(view.network, view.scaler, refits=[
        (late, view.network, view.scaler), (early, view.network, view.scaler)])
    with pytest.raises(ValueError, match="increasing order"):
        unordered.fit(series["msft"])


def test_a_series_with_no_past_at_an_origin_sits_out_that_fit(series):
    late = series["sp500"][series["sp500"].index >= "2017-11-01"]  # after MSFT's first origin
    data = {"sp500": late, "msft": series["msft"]}
    got = _global(data)["msft"]
    first = got.index[0]
    alone = GlobalRNNForecaster(**SMALL).fit_many({"msft": series["msft"][:first]})
    assert got.iloc[0] == pytest.approx(alone.for_series("msft").predict(1).iloc[0], rel=1e-12)


def test_refit_schedule_survives_parallel_workers(series, baseline_refit):
    got = _global(series, refit_every={"G": 5}, n_jobs=2)
    pd.testing.assert_series_equal(got, baseline_refit, check_exact=True)


def test_a_global_model_given_for_one_series_says_how_to_use_it():
    y = forecast.load_dataset("sp500")["close"][-100:]
    model = forecast.GlobalRNNForecaster(hidden_size=3, epochs=1)
    with pytest.raises(TypeError, match=r"forecaster is the global model .*global_models="):
        forecast.backtest(model, y, start=-10)
    with pytest.raises(TypeError, match=r"models\['g'\] is the global model"):
        forecast.compare({"g": model}, y, test_size=10)
