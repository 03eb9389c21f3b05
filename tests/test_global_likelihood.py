"""GlobalRNNForecaster(likelihood=...): DeepAR, one network across series, a likelihood head.

References: the step-1 distribution against a forward pass of the shared network over the
series scaled by its own scaler, mapped by the head's NormalNLL/StudentTNLL parameters and
scipy.stats quantiles; the paths against those (Monte Carlo); the CRPS a backtest records
against ``scoringrules``; the backtest's networks against fits on every series cut at the
origin's date (the look-ahead rule of forecast.models.rnn.global_series).
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import scoringrules
from scipy import stats

import forecast
from forecast.models.rnn.divergence import DivergenceError
from forecast.models.rnn.global_model import GlobalRNNForecaster, GlobalSeriesForecaster
from forecast.nn import NormalNLL, StudentTNLL

SMALL = dict(hidden_size=6, epochs=4, k1=5, batch_size=8, random_state=0)


@pytest.fixture(scope="module")
def stocks() -> dict[str, pd.Series]:
    wide = forecast.load_dataset("stocks_monthly")
    return {c: wide[c].dropna() for c in ("AAPL", "IBM", "MSFT")}


@pytest.fixture(scope="module", params=["normal", "student_t"])
def fitted(request, stocks) -> GlobalRNNForecaster:
    return GlobalRNNForecaster(likelihood=request.param, **SMALL).fit_many(stocks)


def _head_parameters(g: GlobalRNNForecaster, name: str, y: pd.Series) -> tuple[float, ...]:
    """(loc, scale[, df]) of the next log return of ``y``, from a forward pass of the shared
    network over ``y``'s log returns standardised by the series' own scaler."""
    scaler = g.scalers_[name].target_scaler
    m, s = float(np.squeeze(scaler.mean_)), float(np.squeeze(scaler.scale_))
    r = np.diff(np.log(y.to_numpy()))
    net = g.network_
    raw = net.forward(((r - m) / s).astype(net.dtype)[:, None, None])[0][-1, 0]
    loss = NormalNLL() if g.likelihood == "normal" else StudentTNLL()
    params = [float(p) for p in loss.parameters(raw)]
    return (m + s * params[0], s * params[1], *params[2:])


def test_the_head_has_one_output_per_distribution_parameter(fitted):
    assert fitted.network_.output_size == (2 if fitted.likelihood == "normal" else 3)
    assert fitted.for_series("IBM").likelihood == fitted.likelihood


def test_step_one_parameters_are_the_shared_networks_head_over_the_series(fitted, stocks):
    for name in ("AAPL", "MSFT"):
        got = fitted.for_series(name).predictive_parameters()
        want = _head_parameters(fitted, name, stocks[name])
        np.testing.assert_allclose(list(got.values()), want, rtol=1e-5)
    # one network, each series its own scale: the two series get different distributions
    assert (fitted.for_series("AAPL").predictive_parameters()
            != fitted.for_series("IBM").predictive_parameters())


def test_step_one_interval_is_the_quantiles_of_the_predictive_distribution(fitted, stocks):
    view = fitted.for_series("IBM")
    p = view.predictive_parameters()
    last = stocks["IBM"].iloc[-1]
    dist = (stats.t(p["df"], p["loc"], p["scale"]) if "df" in p
            else stats.norm(p["loc"], p["scale"]))
    band = view.predict_interval(1, coverage=0.9).iloc[0]
    np.testing.assert_allclose([band["lower"], band["upper"]],
                               last * np.exp(dist.ppf([0.05, 0.95])), rtol=1e-12)
    q = view.predict_quantiles(1, (0.1, 0.5, 0.9)).iloc[0]
    np.testing.assert_allclose(q.to_numpy(), last * np.exp(dist.ppf([0.1, 0.5, 0.9])),
                               rtol=1e-12)


def test_with_diff_target_the_normal_interval_is_the_mean_plus_minus_z_sigma(stocks):
    g = GlobalRNNForecaster(likelihood="normal", target="diff", **SMALL).fit_many(stocks)
    view = g.for_series("MSFT")
    p = view.predictive_parameters()
    mean = stocks["MSFT"].iloc[-1] + p["loc"]
    assert view.predict(1).iloc[0] == pytest.approx(mean, rel=1e-12)
    z = stats.norm.ppf(0.95)
    band = view.predict_interval(1, coverage=0.9).iloc[0]
    np.testing.assert_allclose([band["lower"], band["upper"]],
                               [mean - z * p["scale"], mean + z * p["scale"]], rtol=1e-12)


def test_paths_have_shape_n_samples_by_horizon_and_a_seed_repeats_them(fitted):
    view = fitted.for_series("AAPL")
    paths = view.sample_paths(6, n_samples=40, random_state=7)
    assert paths.shape == (40, 6) and (paths > 0).all()
    np.testing.assert_array_equal(paths, view.sample_paths(6, n_samples=40, random_state=7))
    assert not np.array_equal(paths, view.sample_paths(6, n_samples=40, random_state=8))
    # the forecast beyond step 1 comes from paths with a fixed seed: the same at every call
    np.testing.assert_array_equal(view.predict(4), view.predict(4))
    assert view.predict(4).index.equals(view.predict_interval(4, 0.8).index)


def test_sampled_step_one_converges_to_the_analytic_distribution(fitted):
    view = fitted.for_series("IBM")
    draws = view.sample_paths(1, n_samples=40_000, random_state=0)[:, 0]
    levels = (0.05, 0.25, 0.5, 0.75, 0.95)
    analytic = view.predict_quantiles(1, levels).iloc[0].to_numpy()
    # Monte Carlo error of a quantile: sqrt(q (1 - q) / n) / density, far below 1 % here
    np.testing.assert_allclose(np.quantile(draws, levels), analytic, rtol=0.01)
    if fitted.likelihood == "normal":  # predict is the mean of the log-normal price
        assert draws.mean() == pytest.approx(view.predict(1).iloc[0], rel=2e-3)
    else:  # the median for a Student-t (exp(t) has no mean)
        assert np.median(draws) == pytest.approx(view.predict(1).iloc[0], rel=2e-3)


def test_a_pickle_round_trip_gives_the_same_distribution(fitted):
    loaded = pickle.loads(pickle.dumps(fitted))
    a, b = fitted.for_series("MSFT"), loaded.for_series("MSFT")
    assert a.predictive_parameters() == b.predictive_parameters()
    np.testing.assert_array_equal(a.sample_paths(3, 50, 1), b.sample_paths(3, 50, 1))
    pd.testing.assert_frame_equal(a.predict_quantiles(3), b.predict_quantiles(3))
    view = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(view.predict_interval(2, 0.9), a.predict_interval(2, 0.9))


def test_same_random_state_gives_bitwise_identical_fits_and_paths(stocks):
    a = GlobalRNNForecaster(likelihood="student_t", **SMALL).fit_many(stocks)
    b = GlobalRNNForecaster(likelihood="student_t", **SMALL).fit_many(stocks)
    for k, w in a.network_.get_weights().items():
        np.testing.assert_array_equal(w, b.network_.get_weights()[k])
    assert a.history_ == b.history_
    np.testing.assert_array_equal(a.for_series("IBM").sample_paths(5, 20, 3),
                                  b.for_series("IBM").sample_paths(5, 20, 3))


def test_update_moves_the_state_as_a_forward_pass_over_the_longer_series(stocks):
    cut = {name: y.iloc[:-3] for name, y in stocks.items()}
    g = GlobalRNNForecaster(likelihood="normal", **SMALL).fit_many(cut)
    view = g.for_series("AAPL").update(stocks["AAPL"].iloc[-3:])
    np.testing.assert_allclose(list(view.predictive_parameters().values()),
                               _head_parameters(g, "AAPL", stocks["AAPL"]), rtol=1e-5)
    assert view.predict(1).index[0] > stocks["AAPL"].index[-1]


def test_early_stopping_keeps_the_epoch_of_the_lowest_validation_nll(stocks):
    g = GlobalRNNForecaster(likelihood="normal", **{**SMALL, "epochs": 8, "patience": 2})
    g.fit_many(stocks)
    val = g.history_["val_loss"]
    assert g.best_epoch_ == int(np.argmin(val)) + 1
    assert len(val) <= g.best_epoch_ + 2  # stopped after `patience` epochs without a gain


def test_warm_start_continues_from_the_current_weights(stocks):
    cold = GlobalRNNForecaster(likelihood="normal", **SMALL).fit_many(stocks)
    warm = GlobalRNNForecaster(likelihood="normal", warm_start=True, **SMALL).fit_many(stocks)
    net = warm.network_
    first = {k: w.copy() for k, w in net.get_weights().items()}
    warm.fit_many(stocks)
    assert warm.network_ is net  # trained on, not redrawn
    assert not np.array_equal(first["head.weight"], net.get_weights()["head.weight"])
    cold.fit_many(stocks)  # warm_start=False: a refit draws the same weights again
    np.testing.assert_array_equal(cold.network_.get_weights()["head.weight"],
                                  first["head.weight"])


def test_compare_fits_each_origin_on_all_series_cut_there_and_scores_crps(stocks):
    """The global look-ahead rule holds with a likelihood, and the CRPS the backtest records
    at step 1 is the Student-t CRPS (scoringrules) of the log return, times the last price."""
    model = GlobalRNNForecaster(likelihood="student_t", **SMALL)
    res = forecast.compare({"AR": forecast.ARForecaster(order=1)}, stocks, test_size=12,
                           coverage=0.9, global_models={"DeepAR": model})
    for name in ("IBM", "MSFT"):
        bt = res[name].backtests
        rows = bt[bt["model"] == "DeepAR"]
        origin = rows["origin"].iloc[0]
        cut = {k: y.loc[:origin] for k, y in stocks.items()}
        p = GlobalRNNForecaster(likelihood="student_t", **SMALL).fit_many(cut).for_series(
            name).predictive_parameters()
        last, actual = rows["last"].iloc[0], rows["actual"].iloc[0]
        want = last * scoringrules.crps_t(np.log(actual / last), p["df"], p["loc"], p["scale"])
        assert rows["crps"].iloc[0] == pytest.approx(want, rel=1e-9)
        table = res[name].intervals
        assert table.loc[("DeepAR", 1), "crps"] == pytest.approx(rows["crps"].mean(), rel=1e-12)
        assert np.isnan(bt.loc[bt["model"] == "AR", "crps"]).all()


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda s: GlobalRNNForecaster(likelihood="gauss", **SMALL).fit_many(s), "likelihood"),
        (lambda s: GlobalSeriesForecaster(
            GlobalRNNForecaster(**SMALL).fit_many(s).network_,
            GlobalRNNForecaster(**SMALL).fit_many(s).scalers_["IBM"],
            likelihood="normal").fit(s["IBM"]), "needs a network whose head gives 2"),
        (lambda s: GlobalRNNForecaster(likelihood="normal", **SMALL).fit_many(s).for_series(
            "IBM").sample_paths(3, n_samples=0), "n_samples"),
        (lambda s: GlobalRNNForecaster(likelihood="normal", **SMALL).fit_many(s).for_series(
            "IBM").predict_quantiles(2, (0.5, 0.1)), "increasing"),
        (lambda s: GlobalRNNForecaster(likelihood="normal", **SMALL).fit_many(s).for_series(
            "IBM").predict_interval(2, coverage=0.0), "coverage"),
        (lambda s: GlobalRNNForecaster(**SMALL).fit_many(s).for_series("IBM").sample_paths(2),
         "likelihood=None"),
    ],
)
def test_bad_input_raises_a_named_value_error(stocks, make, match):
    with pytest.raises(ValueError, match=match):
        make(stocks)


def test_a_collapsed_scale_stops_with_divergence_error_and_keeps_no_weights(stocks):
    """A head whose scale sits on the floor (bias -50: sigma about 1e-6 sd): the warm refit
    that cannot move the weights (lr 1e-12) raises and leaves the model unfitted."""
    g = GlobalRNNForecaster(likelihood="normal", warm_start=True, **SMALL).fit_many(stocks)
    g.network_.params["head.weight"][1] = 0.0
    g.network_.params["head.bias"][1] = -50.0
    g.set_params(lr=1e-12)
    with pytest.raises(DivergenceError, match="collapsed"):
        g.fit_many(stocks)
    assert not hasattr(g, "network_")
