"""forecast.models.rnn.settings: every shared RNN parameter documented, defaulted and checked once.

The three RNN estimators repeat only the names of their parameters (scikit-learn reads them
from ``__init__``): their docstrings, defaults and checks come from the settings module, and
the old module paths still give the same classes.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

import forecast
from forecast.models.rnn import settings
from forecast.models.rnn.classifier import RNNClassifier
from forecast.models.rnn.forecaster import RNNForecaster
from forecast.models.rnn.global_model import GlobalRNNForecaster
from forecast.models.rnn.regressor import RNNRegressor
from forecast.models.rnn.settings import (
    FORECASTER_DEFAULTS,
    GLOBAL_DEFAULTS,
    PARAMETERS,
    REGRESSOR_DEFAULTS,
    check_settings,
)
from forecast.models.rnn.streams import cut_streams, single_layout

ESTIMATORS = {
    RNNForecaster: FORECASTER_DEFAULTS,
    GlobalRNNForecaster: GLOBAL_DEFAULTS,
    RNNRegressor: REGRESSOR_DEFAULTS,
    RNNClassifier: REGRESSOR_DEFAULTS,
}
SHARED = (
    "cell hidden_size num_layers epochs batch_size lr optimizer clip_norm loss dtype "
    "validation_fraction patience"
).split()


@pytest.mark.parametrize("cls", list(ESTIMATORS), ids=lambda c: c.__name__)
def test_every_parameter_defaults_to_the_settings_table(cls):
    table = asdict(ESTIMATORS[cls])
    params = cls().get_params()
    no_loss = cls is RNNClassifier  # its loss follows from its classes: BCE or cross-entropy
    assert set(SHARED) - ({"loss"} if no_loss else set()) <= set(params)
    assert params == {name: table[name] for name in params}


@pytest.mark.parametrize("cls", list(ESTIMATORS), ids=lambda c: c.__name__)
def test_every_parameter_is_documented_once_with_its_default_and_the_shared_text(cls):
    doc = inspect.getdoc(cls)
    assert "{parameters}" not in doc
    for name, value in cls().get_params().items():
        kind, _ = PARAMETERS[name]
        shown = f'"{value}"' if isinstance(value, str) else repr(value)
        assert doc.count(f"\n{name} : {kind}, default={shown}\n") == 1, name
    assert "Units per layer." in doc


def test_the_regressor_trains_longer_on_larger_batches_with_a_smaller_step_by_default():
    assert (REGRESSOR_DEFAULTS.epochs, REGRESSOR_DEFAULTS.batch_size) == (50, 64)
    assert (REGRESSOR_DEFAULTS.lr, REGRESSOR_DEFAULTS.patience) == (1e-3, 10)
    assert (FORECASTER_DEFAULTS.epochs, FORECASTER_DEFAULTS.batch_size) == (30, 32)
    assert (FORECASTER_DEFAULTS.lr, FORECASTER_DEFAULTS.patience) == (5e-3, 5)
    assert REGRESSOR_DEFAULTS.warm_start is False and FORECASTER_DEFAULTS.warm_start is True


@pytest.mark.parametrize(
    ("cls", "param", "value", "error", "words"),
    [
        (RNNRegressor, "warm_start", "no", TypeError, "warm_start must be True or False"),
        (RNNForecaster, "warm_start", "no", TypeError, "warm_start must be True or False"),
        (GlobalRNNForecaster, "k2", 3, ValueError, r"k2 >= k1 .*got k1=20, k2=3"),
        (RNNForecaster, "training", "full", ValueError, "training"),
        (RNNRegressor, "optimizer", "rmsprop", ValueError, "optimizer"),
        (GlobalRNNForecaster, "validation_fraction", 1.0, ValueError, "must be < 1"),
    ],
)
def test_one_check_names_a_bad_setting_of_any_rnn_estimator(cls, param, value, error, words):
    with pytest.raises(error, match=words):
        check_settings(cls(**{param: value}))


def test_the_momentum_optimizers_are_sgd_with_momentum_09():
    s = check_settings(RNNRegressor(optimizer="nesterov", lr=0.5))
    optimizer = s.build_optimizer()
    assert (optimizer.lr, optimizer.momentum, optimizer.nesterov) == (0.5, 0.9, True)


def test_the_settings_keep_a_network_of_their_shape_and_draw_a_new_one_otherwise():
    s = check_settings(RNNRegressor("gru", hidden_size=4, dtype="float64"))
    net = s.build_network(3, 2, np.random.default_rng(0))
    assert (net.cell, net.input_size, net.hidden_size, net.output_size) == ("gru", 3, 4, 2)
    assert net.dtype == np.float64
    assert s.build_network(3, 2, np.random.default_rng(1), old=net) is net  # a warm start
    for n_inputs, n_outputs in [(2, 2), (3, 1)]:
        assert s.build_network(n_inputs, n_outputs, np.random.default_rng(0), old=net) is not net
    wider = check_settings(RNNRegressor("gru", hidden_size=5, dtype="float64"))
    assert wider.build_network(3, 2, np.random.default_rng(0), old=net) is not net
    again = s.build_network(3, 2, np.random.default_rng(0))  # the same seed, the same weights
    for name, value in net.get_weights().items():
        np.testing.assert_array_equal(again.get_weights()[name], value)


@pytest.mark.parametrize(
    ("n", "batch_size", "k2"),
    [(100, 32, 20), (1000, 32, 20), (10, 32, 20), (99, 50, 1), (59, 8, 20)],
)
def test_one_series_is_cut_into_min_batch_size_and_n_over_k2_streams_that_end_at_the_tail(
    n, batch_size, k2
):
    length, (streams,) = single_layout(n, batch_size, k2)
    assert streams == max(1, min(batch_size, n // k2))
    assert length == n // streams
    u = np.arange(n + 1.0)[:, None]
    x, t, owner = cut_streams([u], [n], length, [streams])
    assert x.shape == (length, streams, 1) and owner.tolist() == [0] * streams
    assert x[-1, -1, 0] == n - 1 and t[-1, -1, 0] == n  # the last pair before the tail
    np.testing.assert_array_equal(t[:, :, 0], x[:, :, 0] + 1)


@pytest.mark.parametrize(
    ("old", "new", "name"),
    [
        ("forecast.models.rnn_forecaster", "forecast.models.rnn.forecaster", "RNNForecaster"),
        ("forecast.models.rnn_regressor", "forecast.models.rnn.regressor", "RNNRegressor"),
        ("forecast.models.global_rnn", "forecast.models.rnn.global_model", "GlobalRNNForecaster"),
        ("forecast.models.global_rnn", "forecast.models.rnn.streams", "pooled_streams"),
    ],
)
def test_the_old_module_paths_give_the_same_objects_for_one_release(old, new, name):
    value = getattr(importlib.import_module(new), name)
    assert getattr(importlib.import_module(old), name) is value
    if hasattr(forecast, name):
        assert getattr(forecast, name) is value


def test_the_rnn_package_imports_no_private_name_and_keeps_every_module_under_450_lines():
    folder = Path(settings.__file__).parent
    for path in folder.glob("*.py"):
        source = path.read_text()
        assert len(source.splitlines()) <= 450, path.name
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.module.startswith("forecast"):
                private = [alias.name for alias in node.names if alias.name.startswith("_")]
                assert not private, f"{path.name} imports {private} from {node.module}"
