"""WalkForward: the origins it gives, its checks, and that it is what backtest's keywords make."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast.evaluation.backtest import run_backtest
from forecast.evaluation.schedule import WalkForward, first_target


@pytest.fixture(scope="module")
def sp500():
    return forecast.load_dataset("sp500")["close"]


def test_origins_step_from_the_first_target_while_a_full_horizon_is_left():
    plan = WalkForward(start=-5, horizon=2, step=2).plan(pd.RangeIndex(20))
    assert plan.targets.tolist() == [15, 17]  # 19 would need position 20
    assert plan.train_size == 15


@pytest.mark.parametrize(("start", "first"), [(7, 7), (-3, 17), (0.5, 10), (0.99, 19)])
def test_start_is_a_position_from_either_end_or_a_fraction(start, first):
    assert first_target(start, pd.RangeIndex(20), 20) == first


def test_a_date_start_is_the_first_observation_on_or_after_it(sp500):
    # 2018-12-22 is a Saturday: the first target is Monday the 24th
    first = first_target("2018-12-22", sp500.index, len(sp500))
    assert sp500.index[first] == pd.Timestamp("2018-12-24")


def test_a_rolling_window_keeps_its_train_size():
    plan = WalkForward(start=30, window="rolling", train_size=12).plan(pd.RangeIndex(40))
    assert plan.train_size == 12


@pytest.mark.parametrize(
    ("settings", "error", "words"),
    [
        (dict(horizon=0), ValueError, "horizon"),
        (dict(step=-1), ValueError, "step"),
        (dict(refit_every=0), ValueError, "refit_every"),
        (dict(window="sliding"), ValueError, "window"),
        (dict(warm_start="yes"), TypeError, "warm_start must be a bool, got 'yes'"),
        (dict(train_size=0), ValueError, "train_size"),
    ],
)
def test_each_setting_is_checked_when_the_schedule_is_made(settings, error, words):
    with pytest.raises(error, match=words):
        WalkForward(**settings)


def test_a_changed_copy_is_checked_again_and_the_original_is_frozen():
    wf = WalkForward(horizon=3)
    assert wf.replace(step=2) == WalkForward(horizon=3, step=2)
    with pytest.raises(ValueError, match="step"):
        wf.replace(step=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        wf.horizon = 1


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        (dict(start=18, horizon=3), r"no origin has a full horizon: start is position 18 of "
                                    r"n=20 .* start at position 17 or earlier"),
        (dict(start=10, train_size=5), r"train_size=5 is only for window='rolling'"),
        (dict(start=10, window="rolling", train_size=11), r"train_size=11 is longer than the "
                                                          r"10 observations"),
    ],
)
def test_the_plan_refuses_settings_that_do_not_fit_the_series(settings, words):
    with pytest.raises(ValueError, match=words):
        WalkForward(**settings).plan(pd.RangeIndex(20))


@pytest.mark.parametrize(
    "settings",
    [
        dict(start=-30, refit_every=4),
        dict(start=0.9, horizon=3, step=2, refit_every=1, warm_start=False),
        dict(start=-25, refit_every=2, window="rolling", train_size=60),
    ],
)
def test_a_schedule_gives_the_backtest_of_the_same_keywords(sp500, settings):
    y = np.log(sp500.iloc[-300:])
    model = forecast.ARForecaster(order=3)
    frame, _ = run_backtest(model, y, WalkForward(**settings))
    pd.testing.assert_frame_equal(frame, forecast.backtest(model, y, **settings),
                                  check_exact=True)
