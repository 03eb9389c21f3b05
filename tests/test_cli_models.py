"""``forecast.cli.parser`` and ``forecast.cli.models``: what ``--models`` builds, and how."""

from __future__ import annotations

import argparse

import pytest

from forecast import ARForecaster, NaiveForecaster, RNNForecaster, load_dataset
from forecast.cli.models import build_models
from forecast.cli.parser import (
    AR_MAX_ORDER,
    DEFAULT_EPOCHS,
    DEFAULT_HIDDEN,
    DEFAULT_TEST_SIZE,
    CommandError,
    build_parser,
    model_list,
    n_jobs,
    refit_every,
)


def _args(*argv):
    return build_parser().parse_args(["compare", *argv])


def test_compare_defaults_are_the_documented_ones():
    args = _args()
    assert args.models == ["naive", "ar", "rnn", "lstm", "gru"]
    assert (args.test_size, args.epochs, args.seed, args.horizon) == (DEFAULT_TEST_SIZE,
                                                                      DEFAULT_EPOCHS, 0, 1)
    assert (args.window, args.refit_every, args.n_jobs, args.scheduler) == ("expanding", None,
                                                                            1, None)


def test_argument_types_read_never_all_cores_and_drop_repeated_models():
    assert refit_every("never") is None and refit_every("5") == 5
    assert n_jobs("-1") == -1 and n_jobs("3") == 3
    assert model_list(" AR, naive,ar ") == ["ar", "naive"]
    for parse, text in [(refit_every, "0"), (n_jobs, "-2"), (model_list, ",")]:
        with pytest.raises(argparse.ArgumentTypeError):
            parse(text)


def test_two_sources_at_once_are_refused_in_one_error():
    with pytest.raises(CommandError, match="not allowed with argument"):
        _args("--csv-dir", "x", "--tickers", "MSFT")


def test_one_series_gets_ar_with_tau_chosen_on_its_training_part():
    y_train = load_dataset("sp500")["close"].iloc[:-500]
    models, refit = build_models(_args("--models", "ar,naive"), y_train)
    tau = ARForecaster(order="aic", max_order=AR_MAX_ORDER).fit(y_train).order_
    assert list(models) == [f"AR({tau})", "Drift"]
    assert models[f"AR({tau})"].get_params()["order"] == tau
    assert isinstance(models["Drift"], NaiveForecaster) and models["Drift"].strategy == "drift"
    assert refit == {f"AR({tau})": 1, "Drift": 1}


def test_many_series_get_ar_choosing_tau_per_series_and_rnns_refit_every_125():
    models, refit = build_models(_args("--models", "ar,gru,lstm", "--epochs", "2", "--seed",
                                       "7"), None)
    assert list(models) == ["AR(AIC)", "GRU", "LSTM"]
    assert models["AR(AIC)"].get_params()["order"] == "aic"
    gru = models["GRU"]
    assert isinstance(gru, RNNForecaster)
    assert (gru.cell, gru.hidden_size, gru.epochs, gru.random_state) == ("gru", DEFAULT_HIDDEN,
                                                                         2, 7)
    assert refit == {"AR(AIC)": 1, "GRU": 125, "LSTM": 125}
