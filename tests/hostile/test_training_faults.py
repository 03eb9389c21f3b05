"""Training that goes wrong never hands a non-finite or absurd number to the user.

Divergence (a huge learning rate), NaN in the middle of the training data, a constant
series: each fit ends in a named error (``DivergenceError`` or a ``ValueError``), and then
the estimator stays unfitted, or in forecasts and intervals that are finite, of the price's
order of magnitude and contain each other. A fit that recovers may warn (a warning of the
package itself); NumPy's overflow warnings must not reach the user.
"""

from __future__ import annotations

import numpy as np
import pytest
from hostile_cases import BASE, PACKAGE_DIR, DivergenceError, call_cell, check_forecasts
from sklearn.exceptions import NotFittedError

from forecast import GlobalRNNForecaster, RNNForecaster, RNNRegressor, make_windows

SERIES = BASE  # the last 300 S&P 500 closes, last close 2506.85
LAST = float(SERIES.iloc[-1])


def _fit_outcome(fit):
    """Run ``fit`` and return (model or None, the named error or None)."""
    with _no_foreign_warnings():
        try:
            return fit(), None
        except (DivergenceError, ValueError) as err:
            return None, err


class _no_foreign_warnings:
    """Context: warnings may come from the package, never from NumPy or pandas."""

    def __enter__(self):
        import warnings

        self._cm = warnings.catch_warnings(record=True)
        self._caught = self._cm.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self._cm.__exit__(*exc)
        foreign = [w for w in self._caught if not str(w.filename).startswith(PACKAGE_DIR)
                   or issubclass(w.category, RuntimeWarning)]
        assert not foreign, (f"{foreign[0].category.__name__} from {foreign[0].filename}: "
                             f"{foreign[0].message}")
        return False


def _assert_sane_forecasts(model, seen) -> None:
    out = call_cell(lambda: (model.predict(3), model.predict_interval(3, coverage=0.9)))
    assert out.error is None, f"a fitted model refused to predict: {out.error!r}"
    check_forecasts(out.result, seen)
    point = out.result[0].to_numpy()
    assert (np.abs(point / LAST - 1) < 0.5).all(), (
        f"forecasts {point} after a last price of {LAST}: the fit is garbage")


def _assert_unfitted(model) -> None:
    with pytest.raises(NotFittedError):
        model.predict(3)


@pytest.mark.parametrize("lr", [1e3, 1e6], ids=["lr1e3", "lr1e6"])
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_divergent_forecaster_raises_or_stays_sane(cell, lr):
    model = RNNForecaster(cell, hidden_size=8, epochs=10, lr=lr, random_state=0)
    fitted, err = _fit_outcome(lambda: model.fit(SERIES))
    if err is not None:
        assert "lr" in str(err) or "diverg" in str(err).lower(), str(err)
        _assert_unfitted(model)
    else:
        _assert_sane_forecasts(model, SERIES.index)


@pytest.mark.parametrize("lr", [1e3, 1e6], ids=["lr1e3", "lr1e6"])
def test_divergent_global_model_raises_or_stays_sane(lr):
    def fit():
        g = GlobalRNNForecaster(hidden_size=8, epochs=5, lr=lr, random_state=0)
        return g.fit_many({"a": SERIES, "b": 1.1 * SERIES}).for_series("a")

    model, err = _fit_outcome(fit)
    if err is None:
        _assert_sane_forecasts(model, SERIES.index)


@pytest.mark.parametrize("lr", [1e3, 1e6], ids=["lr1e3", "lr1e6"])
def test_divergent_regressor_raises_or_predicts_finite(lr):
    X, Y = make_windows(SERIES.to_numpy(), window=5)
    model, err = _fit_outcome(
        lambda: RNNRegressor("lstm", hidden_size=8, epochs=10, lr=lr, random_state=0).fit(X, Y))
    if err is None:
        pred = model.predict(X[-3:])
        assert np.isfinite(pred).all() and (np.abs(pred / LAST - 1) < 0.5).all(), pred


def test_nan_in_the_middle_of_training_data_is_refused_before_training():
    y = SERIES.copy()
    y.iloc[150] = np.nan
    for make in (lambda: RNNForecaster("lstm", hidden_size=4, epochs=2, random_state=0),
                 lambda: RNNForecaster("gru", training="window", window=5, hidden_size=4,
                                       epochs=2, random_state=0)):
        model = make()
        with pytest.raises(ValueError, match="NaN"):
            model.fit(y)
        _assert_unfitted(model)


def test_nan_in_the_middle_of_regressor_batches_is_refused():
    X, Y = (np.array(a) for a in make_windows(SERIES.to_numpy(), window=5))
    X[len(X) // 2, 2] = np.nan
    with pytest.raises(ValueError, match="NaN|finite"):
        RNNRegressor(hidden_size=4, epochs=2, random_state=0).fit(X, Y)


def test_nan_in_the_update_of_a_fitted_rnn_is_refused_and_changes_nothing():
    model = RNNForecaster("lstm", hidden_size=4, epochs=2, random_state=0).fit(SERIES.iloc[:250])
    before = model.predict(3)
    y_new = SERIES.iloc[250:].copy()
    y_new.iloc[10] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.update(y_new, refit=True)
    assert model.predict(3).equals(before)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("target", ["log_return", "diff", "level"])
def test_constant_series_gives_a_flat_forecast_inside_its_interval_or_a_named_error(
    cell, target
):
    y = SERIES * 0 + 5.0
    model, err = _fit_outcome(lambda: RNNForecaster(
        cell, target=target, hidden_size=4, epochs=2, random_state=0).fit(y))
    if err is not None:
        assert "constant" in str(err) or "variance" in str(err), str(err)
        return
    out = call_cell(lambda: (model.predict(3), model.predict_interval(3, coverage=0.9)))
    assert out.error is None, repr(out.error)
    check_forecasts(out.result, y.index)


def test_divergence_without_gradient_clipping_raises_or_stays_sane():
    model = RNNForecaster("lstm", hidden_size=8, epochs=10, lr=1e3, optimizer="sgd",
                          clip_norm=None, random_state=0)
    fitted, err = _fit_outcome(lambda: model.fit(SERIES))
    if err is not None:
        _assert_unfitted(model)
    else:
        _assert_sane_forecasts(fitted, SERIES.index)


def test_divergent_refit_keeps_a_usable_model_or_raises():
    model = RNNForecaster("lstm", hidden_size=8, epochs=3, random_state=0).fit(SERIES.iloc[:250])
    model.set_params(lr=1e3, epochs=10)
    fitted, err = _fit_outcome(lambda: model.update(SERIES.iloc[250:], refit=True))
    if err is None:
        _assert_sane_forecasts(fitted, SERIES.index)
        return
    # after the named error: unfitted, or still the usable model it was
    try:
        model.predict(3)
    except NotFittedError:
        return
    _assert_sane_forecasts(model, model.index_)


def test_nan_in_one_series_of_a_global_model_is_refused():
    bad = SERIES.copy()
    bad.iloc[150] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        GlobalRNNForecaster(hidden_size=4, epochs=2, random_state=0).fit_many(
            {"a": SERIES, "bad": bad})


def test_nan_batch_in_partial_fit_is_refused_and_leaves_the_weights():
    X, Y = (np.array(a) for a in make_windows(SERIES.to_numpy(), window=5))
    model = RNNRegressor(hidden_size=4, epochs=2, random_state=0).fit(X, Y)
    before = {k: v.copy() for k, v in model.get_weights().items()}
    X_bad = X[:32].copy()
    X_bad[16, 2] = np.nan
    with pytest.raises(ValueError, match="NaN|finite"):
        model.partial_fit(X_bad, Y[:32])
    after = model.get_weights()
    assert all(np.array_equal(before[k], after[k]) for k in before)
