"""RNNForecaster(likelihood="normal" | "student_t"): a DeepAR-style predictive distribution.

References: the step-1 forecasts against scipy.stats' Normal and Student-t quantiles of the
head's parameters, recomputed here from a forward pass of the network over the whole series;
the paths against those quantiles (Monte Carlo); likelihood=None against the numbers of the
code before the likelihood heads (the same fit, bit for bit).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import forecast
from forecast.models.rnn.divergence import DivergenceError
from forecast.models.rnn.forecaster import RNNForecaster
from forecast.nn import NormalNLL, StudentTNLL

LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)


@pytest.fixture(scope="module")
def close() -> pd.Series:
    return forecast.load_dataset("sp500")["close"].iloc[-600:]


def _fit(close: pd.Series, likelihood: str | None, **kwargs) -> RNNForecaster:
    params = {"hidden_size": 8, "epochs": 3, "random_state": 0, **kwargs}
    return RNNForecaster("lstm", likelihood=likelihood, **params).fit(close)


@pytest.fixture(scope="module", params=["normal", "student_t"])
def model(request, close) -> RNNForecaster:
    return _fit(close, request.param)


def _head_parameters(model: RNNForecaster, close: pd.Series) -> tuple[float, ...]:
    """The head's (mu, sigma[, nu]) at the last step of a forward pass over all of ``close``,
    unscaled to the increment's (loc, scale[, df])."""
    net = model.network_
    u = np.log(close.to_numpy()[1:] / close.to_numpy()[:-1])
    scaler = model._features.target_scaler
    m, s = float(np.squeeze(scaler.mean_)), float(np.squeeze(scaler.scale_))
    raw = net.forward(((u - m) / s).astype(net.dtype)[:, None, None])[0][-1, 0]
    loss = NormalNLL() if model.likelihood == "normal" else StudentTNLL()
    params = [float(p) for p in loss.parameters(raw)]
    return (m + s * params[0], s * params[1], *params[2:])


def test_sample_paths_have_shape_n_samples_by_horizon_and_a_seed_repeats_them(model):
    paths = model.sample_paths(7, n_samples=50, random_state=3)
    assert paths.shape == (50, 7)
    assert np.isfinite(paths).all() and (paths > 0).all()
    np.testing.assert_array_equal(paths, model.sample_paths(7, n_samples=50, random_state=3))
    assert not np.array_equal(paths, model.sample_paths(7, n_samples=50, random_state=4))


def test_step_one_quantiles_equal_scipys_quantiles_of_the_head_parameters(model, close):
    params = _head_parameters(model, close)
    got = model.predictive_parameters()
    np.testing.assert_allclose([got["loc"], got["scale"]], params[:2], rtol=1e-5, atol=1e-9)
    if model.likelihood == "normal":
        x = stats.norm.ppf(LEVELS, loc=params[0], scale=params[1])
    else:
        np.testing.assert_allclose(got["df"], params[2], rtol=1e-5)
        x = stats.t.ppf(LEVELS, params[2], loc=params[0], scale=params[1])
    expected = close.iloc[-1] * np.exp(x)
    q = model.predict_quantiles(1, LEVELS)
    np.testing.assert_allclose(q.to_numpy()[0], expected, rtol=1e-6)
    interval = model.predict_interval(1, coverage=0.9)
    np.testing.assert_allclose(interval.to_numpy()[0], expected[[0, -1]], rtol=1e-6)


def test_step_one_forecast_is_the_lognormal_mean_or_the_student_t_median(model, close):
    loc, scale = _head_parameters(model, close)[:2]
    if model.likelihood == "normal":
        expected = close.iloc[-1] * np.exp(loc + scale**2 / 2)
    else:  # E[exp(r)] does not exist for a Student-t: the median
        expected = close.iloc[-1] * np.exp(loc)
    np.testing.assert_allclose(model.predict(1).iloc[0], expected, rtol=1e-6)


def test_path_quantiles_converge_to_the_analytic_quantiles_at_step_one(model):
    paths = model.sample_paths(1, n_samples=200_000, random_state=0)[:, 0]
    analytic = model.predict_quantiles(1, LEVELS).to_numpy()[0]
    empirical = np.quantile(paths, LEVELS)
    scale = model.predictive_parameters()["scale"]
    # log-price quantiles agree to a few hundredths of the increment's scale
    np.testing.assert_allclose(np.log(empirical), np.log(analytic), atol=0.03 * scale)
    if model.likelihood == "normal":  # and the mean: the log-normal's
        np.testing.assert_allclose(paths.mean(), model.predict(1).iloc[0], rtol=5e-5)


def test_intervals_contain_the_forecast_and_widen_with_the_horizon(model):
    point = model.predict(10)
    interval = model.predict_interval(10, coverage=0.9)
    assert interval.index.equals(point.index)
    assert ((interval["lower"] <= point) & (point <= interval["upper"])).all()
    width = (interval["upper"] - interval["lower"]).to_numpy()
    assert width[-1] > 2 * width[0]
    np.testing.assert_array_equal(point, model.predict(10))  # fixed seed: deterministic


def test_predict_quantiles_are_monotone_in_the_level_with_float_level_columns(model):
    q = model.predict_quantiles(5, LEVELS)
    assert list(q.columns) == list(LEVELS) and all(type(c) is float for c in q.columns)
    assert q.index.equals(model.predict(5).index)
    assert (np.diff(q.to_numpy(), axis=1) > 0).all()
    inner = model.predict_interval(5, coverage=0.5)
    np.testing.assert_allclose(inner.to_numpy(), q[[0.25, 0.75]].to_numpy())


def test_save_and_load_give_the_same_distribution(model, tmp_path):
    path = forecast.save_model(model, tmp_path / "model.npz")
    loaded = forecast.load_model(path)
    assert loaded.likelihood == model.likelihood
    np.testing.assert_array_equal(loaded.predict(5), model.predict(5))
    np.testing.assert_array_equal(
        loaded.sample_paths(5, 100, random_state=1), model.sample_paths(5, 100, random_state=1)
    )
    pd.testing.assert_frame_equal(loaded.predict_quantiles(3), model.predict_quantiles(3))


def test_a_likelihood_model_is_bitwise_reproducible_and_updates(close):
    a = _fit(close.iloc[:-5], "student_t")
    b = _fit(close.iloc[:-5], "student_t")
    np.testing.assert_array_equal(a.network_.get_weights()["head.weight"],
                                  b.network_.get_weights()["head.weight"])
    a.update(close.iloc[-5:])
    full = _fit(close.iloc[:-5], "student_t")
    assert a.predict(1).index[0] > close.index[-1]
    # the state moved over the new days: the step-1 parameters are those of a forward pass
    np.testing.assert_allclose(a.predictive_parameters()["loc"],
                               _head_parameters(a, close)[0], rtol=1e-5)
    assert a.predictive_parameters() != full.predictive_parameters()
    a.update(close.iloc[-5:-4].set_axis([close.index[-1] + pd.offsets.BDay()]), refit=True)
    assert np.isfinite(a.sample_paths(3, 10, random_state=0)).all()


def test_likelihood_none_gives_the_numbers_of_the_point_forecaster_before_the_heads(
    close, monkeypatch
):
    monkeypatch.setenv("FORECAST_ENGINE", "numpy")  # the numbers are the NumPy engine's
    model = _fit(close, None)
    assert model.network_.output_size == 1
    # RNNForecaster(hidden_size=8, epochs=3, random_state=0) on these closes before issue 14
    np.testing.assert_array_equal(
        model.predict(3), [2509.7547985151186, 2513.453368034786, 2517.4553684735865]
    )
    np.testing.assert_array_equal(
        model.predict_interval(3, 0.9).to_numpy(),
        [[2427.519977838788, 2559.3800032674653], [2385.365305337746, 2572.8792942693963],
         [2364.929814366578, 2609.701848139089]],
    )
    assert model.history_["val_loss"] == [5.936993981861677, 5.915795096825321,
                                          5.89454650506523]


@pytest.mark.parametrize("likelihood", ["normal", "student_t"])
def test_step_one_intervals_cover_held_out_days_near_the_nominal_level(close, likelihood):
    """Fit on 500 days, then walk the 100 held-out days of late 2018 (update without refit,
    the volatility doubled there): the 90% intervals of tomorrow's close cover 79% (Normal)
    and 82% (Student-t) of them, the predicted scale following the volatility up from 0.4%
    to 1.3% a day. (4 streams: the 450 training days give 6 updates an epoch, not 1.)"""
    model = _fit(close.iloc[:-100], likelihood, epochs=30, batch_size=4, lr=2e-2)
    hits = []
    for date, price in close.iloc[-100:].items():
        interval = model.predict_interval(1, coverage=0.9).iloc[0]
        hits.append(interval["lower"] <= price <= interval["upper"])
        model.update(pd.Series([price], index=[date]))
    assert 0.70 <= np.mean(hits) <= 0.95


@pytest.mark.parametrize(
    ("kwargs", "call", "match"),
    [
        ({"likelihood": "laplace"}, None, "likelihood"),
        ({"likelihood": "normal", "training": "window"}, None, "training='window'"),
        ({}, lambda m: m.predict_quantiles(2, (0.9, 0.1)), "increasing"),
        ({}, lambda m: m.predict_quantiles(2, (0.0, 0.5)), "inside"),
        ({}, lambda m: m.sample_paths(2, n_samples=0), "n_samples"),
        ({}, lambda m: m.predict_interval(2, coverage=1.5), "coverage"),
    ],
)
def test_bad_likelihood_input_raises_a_named_value_error(close, kwargs, call, match):
    if call is None:
        with pytest.raises(ValueError, match=match):
            RNNForecaster(hidden_size=4, epochs=1, **kwargs).fit(close)
        return
    model = _fit(close.iloc[-200:], "normal", epochs=1)
    with pytest.raises(ValueError, match=match):
        call(model)


def test_a_point_forecaster_has_no_paths_or_quantiles(close):
    model = _fit(close.iloc[-200:], None, epochs=1)
    with pytest.raises(ValueError, match="likelihood=None"):
        model.sample_paths(3)
    with pytest.raises(ValueError, match="likelihood=None"):
        model.predict_quantiles(3)


def test_a_collapsed_scale_stops_with_divergence_error_and_keeps_no_weights(close):
    """A head whose scale sits on the floor (bias -50: softplus = 2e-22, sigma = 1e-6): the
    floor keeps its NLL finite (about 1e12, not inf), and a fit that keeps it raises."""
    model = _fit(close.iloc[-200:], "normal", epochs=1)
    head = model.network_.params
    head["head.weight"][1] = 0.0
    head["head.bias"][1] = -50.0
    assert model.predictive_parameters()["scale"] < 1e-7
    value = NormalNLL()(np.array([[0.0, -50.0]]), np.array([[1.0]]))[0]
    assert np.isfinite(value) and value > 1e11
    model.set_params(lr=1e-12)  # a warm start that cannot move the weights out
    with pytest.raises(DivergenceError, match="collapsed"):
        model.fit(close.iloc[-200:])
    assert not hasattr(model, "network_")


def test_a_model_file_written_before_the_likelihood_heads_loads_as_a_point_forecaster():
    from pathlib import Path

    model = forecast.load_model(Path(__file__).parent / "data" / "rnn_forecaster_v0.npz")
    assert model.likelihood is None and model.get_params()["likelihood"] is None
    np.testing.assert_array_equal(  # the numbers tests/test_model_files.py pins
        model.predict(3).to_numpy(), [2510.107481473069, 2513.551349191171, 2517.1173645419794]
    )
