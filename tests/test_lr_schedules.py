"""Learning-rate schedules: the engine's equal torch.optim.lr_scheduler over 50 epochs."""

from __future__ import annotations

import numpy as np
import pytest

import forecast
from forecast import nn
from forecast.models.rnn.regressor import RNNRegressor

EPOCHS = 50

#: (our schedule, torch's, its parameters)
CASES = [
    ("step", "StepLR", {"step_size": 7, "gamma": 0.5}),
    ("step", "StepLR", {"step_size": 1, "gamma": 0.9}),
    ("cosine", "CosineAnnealingLR", {"T_max": EPOCHS, "eta_min": 1e-4}),
    ("cosine", "CosineAnnealingLR", {"T_max": 12}),  # past T_max the rate rises again
    ("plateau", "ReduceLROnPlateau", {"patience": 3, "factor": 0.5, "cooldown": 2}),
    ("plateau", "ReduceLROnPlateau", {"patience": 0, "threshold": 0.05, "threshold_mode": "abs",
                                      "min_lr": 0.005}),
    ("plateau", "ReduceLROnPlateau", {"mode": "max", "patience": 2, "threshold": 0.01}),
]
IDS = ["step7", "step1", "cosine50", "cosine12", "plateau-rel", "plateau-abs", "plateau-max"]


def metrics():
    """A loss that falls in steps, with plateaus and noise: every plateau rule acts on it."""
    rng = np.random.default_rng(0)
    return 1.0 / (1 + np.arange(EPOCHS) // 8) + 0.01 * rng.standard_normal(EPOCHS)


@pytest.mark.parametrize(("name", "torch_name", "params"), CASES, ids=IDS)
def test_learning_rates_over_50_epochs_equal_torch(name, torch_name, params):
    torch = pytest.importorskip("torch")
    ours = nn.SGD(lr=0.1)
    schedule = nn.make_schedule(name, ours, **params)
    w = torch.zeros(1, requires_grad=True)
    theirs = torch.optim.SGD([w], lr=0.1)
    their_schedule = getattr(torch.optim.lr_scheduler, torch_name)(theirs, **params)
    ours_lr, theirs_lr = [], []
    for metric in metrics():
        w.grad = torch.zeros(1)
        theirs.step()  # torch wants an optimiser step before each schedule step
        if name == "plateau":
            their_schedule.step(metric)
        else:
            their_schedule.step()
        schedule.step(metric)
        ours_lr.append(ours.lr)
        theirs_lr.append(theirs.param_groups[0]["lr"])
    assert ours_lr == theirs_lr  # the same float operations: equal to the last bit
    assert len(set(ours_lr)) > 2  # the schedule did act


@pytest.mark.parametrize(("name", "torch_name", "params"), [CASES[2], CASES[4]],
                         ids=[IDS[2], IDS[4]])
def test_a_model_trained_with_a_schedule_has_torchs_weights(name, torch_name, params):
    """RNNRegressor (SGD with momentum, one full batch per epoch) against a torch loop."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    X = rng.standard_normal((64, 6))
    y = 0.5 * X[:, -1] - 0.3 * X[:, -2] + 0.1 * rng.standard_normal(64)
    model = RNNRegressor("rnn", hidden_size=4, epochs=1, batch_size=64, lr=0.05,
                         optimizer="momentum", clip_norm=None, scale=False, dtype="float64",
                         validation_fraction=0.0, patience=None, warm_start=True,
                         random_state=0).fit(X, y)
    start = model.get_weights()  # the next fit warm-starts from these weights
    model.set_params(epochs=EPOCHS, lr_schedule=name, lr_schedule_params=params).fit(X, y)

    class RNNHead(torch.nn.RNN):
        def __init__(self):
            super().__init__(1, 4)
            self.head = torch.nn.Linear(4, 1)

    net = RNNHead().double()
    net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in start.items()})
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    schedule = getattr(torch.optim.lr_scheduler, torch_name)(opt, **params)
    x, t = torch.from_numpy(X.T[:, :, None].copy()), torch.from_numpy(y[:, None].copy())
    for _ in range(EPOCHS):
        opt.zero_grad()
        out, _ = net(x)
        loss = torch.nn.functional.mse_loss(net.head(out[-1]), t)
        loss.backward()
        opt.step()
        schedule.step(loss.item()) if name == "plateau" else schedule.step()
    for key, value in net.state_dict().items():
        np.testing.assert_allclose(model.get_weights()[key], value.numpy(), rtol=1e-8,
                                   atol=1e-12, err_msg=key)
    assert opt.param_groups[0]["lr"] < 0.05  # the schedule lowered it


def test_a_forecaster_with_a_schedule_saves_and_loads(tmp_path):
    y = forecast.load_dataset("sp500")["close"].iloc[-300:]
    model = forecast.RNNForecaster("gru", hidden_size=4, epochs=4, random_state=0,
                                   lr_schedule="step",
                                   lr_schedule_params={"step_size": 1, "gamma": 0.5}).fit(y)
    constant = forecast.RNNForecaster("gru", hidden_size=4, epochs=4, random_state=0).fit(y)
    assert model.history_["train_loss"][:2] == constant.history_["train_loss"][:2]
    assert model.history_["train_loss"][2] != constant.history_["train_loss"][2]
    loaded = forecast.load_model(model.save(tmp_path / "gru.npz"))
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.predict(3), model.predict(3))


def test_the_classifier_steps_its_schedule_after_each_epoch():
    close = forecast.load_dataset("sp500")["close"].iloc[-300:]
    X, _ = forecast.make_windows(np.log(close).diff().dropna().to_numpy(), window=5)
    up = (X[:, -1] > 0).astype(int)
    small = dict(hidden_size=4, epochs=3, random_state=0, patience=None)
    halved = forecast.RNNClassifier(**small, lr_schedule="step",
                                    lr_schedule_params={"step_size": 1, "gamma": 0.5}).fit(X, up)
    constant = forecast.RNNClassifier(**small).fit(X, up)
    assert halved.history_["train_loss"][0] == constant.history_["train_loss"][0]
    assert halved.history_["train_loss"][1] != constant.history_["train_loss"][1]


def test_the_schedules_default_parameters_are_documented_and_applied():
    s = forecast.RNNForecaster(epochs=7, lr_schedule="cosine")
    from forecast.models.rnn.settings import check_settings

    schedule = check_settings(s).build_schedule(nn.Adam(lr=0.01))
    assert (schedule.T_max, schedule.eta_min) == (7, 0.0)
    plateau = check_settings(s.set_params(lr_schedule="plateau")).build_schedule(nn.SGD())
    assert (plateau.patience, plateau.factor) == (2, 0.1)
    assert "lr_schedule : {None, \"step\", \"cosine\", \"plateau\"}, default=None" in (
        forecast.RNNForecaster.__doc__)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"lr_schedule": "linear"}, ValueError, r"unknown lr_schedule='linear'; valid"),
        ({"lr_schedule": "step", "lr_schedule_params": {"step_size": 0}}, ValueError,
         r"step_size must be >= 1, got step_size=0"),
        ({"lr_schedule": "step", "lr_schedule_params": {"size": 3}}, TypeError,
         r"lr_schedule='step' takes the parameters \['step_size', 'gamma'\], got unknown "
         r"\['size'\]"),
        ({"lr_schedule": "cosine", "lr_schedule_params": [("T_max", 3)]}, TypeError,
         r"lr_schedule_params must be a dict"),
        ({"lr_schedule_params": {"gamma": 0.5}}, ValueError, r"needs an lr_schedule"),
        ({"lr_schedule": "plateau", "lr_schedule_params": {"factor": 1.5}}, ValueError,
         r"factor must be < 1.0"),
    ],
)
def test_bad_schedules_are_named(params, error, message):
    y = np.cumsum(np.ones(50))
    with pytest.raises(error, match=message):
        forecast.RNNForecaster(epochs=1, **params).fit(y)


def test_partial_fit_refuses_a_schedule():
    with pytest.raises(ValueError, match="partial_fit runs one epoch per call"):
        RNNRegressor(lr_schedule="step").partial_fit(np.ones((4, 3)), np.ones(4))
