"""Learning-rate schedules with PyTorch's rules, acting on an optimiser's ``lr`` once per epoch.

A schedule is made on an optimiser of :mod:`forecast.nn.optim` (it reads the optimiser's
``lr`` as the base rate) and ``step(metric)`` is called after every epoch; the next epoch runs
at the new ``optimizer.lr``. With ``e`` the number of steps so far and ``lr_0`` the base rate:

    StepLR             lr_e = lr_{e-1} * gamma  when e is a multiple of step_size
                       (= lr_0 gamma^floor(e / step_size))
    CosineAnnealingLR  lr_e = eta_min + (lr_0 - eta_min) (1 + cos(pi e / T_max)) / 2,
                       computed recursively as torch does:
                       lr_e = (1 + cos(pi e / T)) / (1 + cos(pi (e-1) / T)) (lr_{e-1} - eta_min)
                              + eta_min
    ReduceLROnPlateau  after more than ``patience`` epochs in a row without a metric better
                       than the best by ``threshold``: lr <- max(lr * factor, min_lr)
                       (skipped if that changes lr by eps or less), then ``cooldown`` epochs
                       in which bad epochs are not counted

They equal ``torch.optim.lr_scheduler.StepLR``, ``CosineAnnealingLR`` and
``ReduceLROnPlateau`` step for step (the same float operations in the same order).
"""

from __future__ import annotations

import inspect
import math
from typing import Any

from forecast._validation import check_choice, check_float, check_int

__all__ = ["SCHEDULES", "CosineAnnealingLR", "ReduceLROnPlateau", "StepLR", "make_schedule"]


class StepLR:
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    Parameters
    ----------
    optimizer : SGD or Adam
        Its ``lr`` is the base rate, and is set by :meth:`step`.
    step_size : int >= 1
    gamma : float > 0, default 0.1

    Examples
    --------
    >>> from forecast.nn.optim import SGD
    >>> opt = SGD(lr=1.0)
    >>> schedule = StepLR(opt, step_size=2, gamma=0.5)
    >>> rates = []
    >>> for epoch in range(5):
    ...     schedule.step()
    ...     rates.append(opt.lr)
    >>> rates
    [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1) -> None:
        self.optimizer = optimizer
        self.step_size = check_int(step_size, "step_size", min_value=1)
        self.gamma = check_float(gamma, "gamma", min_value=0.0, inclusive=False)
        self.base_lr = float(optimizer.lr)
        self.last_epoch = 0

    def step(self, metric: float | None = None) -> None:
        """End an epoch: set ``optimizer.lr`` for the next one (``metric`` is not used)."""
        self.last_epoch += 1
        if self.last_epoch % self.step_size == 0:
            self.optimizer.lr = self.optimizer.lr * self.gamma


class CosineAnnealingLR:
    """Anneal the learning rate from its base to ``eta_min`` along a half cosine of T_max epochs.

    Parameters
    ----------
    optimizer : SGD or Adam
    T_max : int >= 1
        Epochs of the half period (after it the rate rises again, as in torch).
    eta_min : float >= 0, default 0.0

    Examples
    --------
    >>> from forecast.nn.optim import SGD
    >>> opt = SGD(lr=1.0)
    >>> schedule = CosineAnnealingLR(opt, T_max=4)
    >>> rates = []
    >>> for epoch in range(4):
    ...     schedule.step()
    ...     rates.append(round(opt.lr, 6))
    >>> rates
    [0.853553, 0.5, 0.146447, 0.0]
    """

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        self.optimizer = optimizer
        self.T_max = check_int(T_max, "T_max", min_value=1)
        self.eta_min = check_float(eta_min, "eta_min", min_value=0.0)
        self.base_lr = float(optimizer.lr)
        self.last_epoch = 0

    def step(self, metric: float | None = None) -> None:
        """End an epoch: set ``optimizer.lr`` for the next one (``metric`` is not used)."""
        self.last_epoch += 1
        e, T, lr, eta = self.last_epoch, self.T_max, self.optimizer.lr, self.eta_min
        if (e - 1 - T) % (2 * T) == 0:  # the bottom of a period: torch's special case
            self.optimizer.lr = lr + (self.base_lr - eta) * (1 - math.cos(math.pi / T)) / 2
        else:
            self.optimizer.lr = (
                (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
                * (lr - eta) + eta
            )  # fmt: skip


class ReduceLROnPlateau:
    """Multiply the learning rate by ``factor`` when a metric stops improving.

    Parameters
    ----------
    optimizer : SGD or Adam
    mode : {"min", "max"}, default "min"
        Whether the metric (a loss: "min") should go down or up.
    factor : float in (0, 1), default 0.1
    patience : int >= 0, default 10
        Epochs without improvement tolerated; the rate drops at the next one.
    threshold : float >= 0, default 1e-4
    threshold_mode : {"rel", "abs"}, default "rel"
        "rel": better means ``metric < best (1 - threshold)`` ("max": ``> best (1 +
        threshold)``); "abs": ``metric < best - threshold`` (``> best + threshold``).
    cooldown : int >= 0, default 0
        Epochs after a drop in which bad epochs are not counted.
    min_lr : float >= 0, default 0.0
    eps : float >= 0, default 1e-8
        A drop smaller than this is not made.

    Examples
    --------
    >>> from forecast.nn.optim import SGD
    >>> opt = SGD(lr=1.0)
    >>> schedule = ReduceLROnPlateau(opt, patience=1, factor=0.5)
    >>> for loss in [3.0, 2.0, 2.0, 2.0, 1.0]:
    ...     schedule.step(loss)
    >>> opt.lr
    0.5
    """

    def __init__(
        self,
        optimizer: Any,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ) -> None:
        self.optimizer = optimizer
        self.mode = check_choice(mode, "mode", ("min", "max"))
        self.factor = check_float(factor, "factor", min_value=0.0, max_value=1.0,
                                  inclusive=False)  # fmt: skip
        self.patience = check_int(patience, "patience", min_value=0)
        self.threshold = check_float(threshold, "threshold", min_value=0.0)
        self.threshold_mode = check_choice(threshold_mode, "threshold_mode", ("rel", "abs"))
        self.cooldown = check_int(cooldown, "cooldown", min_value=0)
        self.min_lr = check_float(min_lr, "min_lr", min_value=0.0)
        self.eps = check_float(eps, "eps", min_value=0.0)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0

    def step(self, metric: float | None = None) -> None:
        """End an epoch whose monitored value (e.g. the validation loss) is ``metric``."""
        if metric is None:
            raise TypeError("ReduceLROnPlateau.step needs the epoch's metric, got None")
        current = float(metric)
        self.last_epoch += 1
        if self._is_better(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            old = float(self.optimizer.lr)
            new = max(old * self.factor, self.min_lr)
            if old - new > self.eps:
                self.optimizer.lr = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0

    def _is_better(self, a: float) -> bool:
        if self.mode == "min":
            return a < (self.best * (1.0 - self.threshold) if self.threshold_mode == "rel"
                        else self.best - self.threshold)  # fmt: skip
        return a > (self.best * (self.threshold + 1.0) if self.threshold_mode == "rel"
                    else self.best + self.threshold)  # fmt: skip


#: the schedules by the names the RNN models accept as ``lr_schedule``
SCHEDULES: dict[str, type] = {
    "step": StepLR,
    "cosine": CosineAnnealingLR,
    "plateau": ReduceLROnPlateau,
}


def make_schedule(name: Any, optimizer: Any, **kwargs: Any) -> Any:
    """The schedule ``name`` ("step", "cosine" or "plateau") on ``optimizer``.

    ``kwargs`` are the schedule's parameters; an unknown one is a TypeError naming those
    it takes.

    Examples
    --------
    >>> from forecast.nn.optim import Adam
    >>> make_schedule("cosine", Adam(lr=0.01), T_max=50).T_max
    50
    """
    cls = SCHEDULES[check_choice(name, "lr_schedule", tuple(SCHEDULES))]
    accepted = list(inspect.signature(cls.__init__).parameters)[2:]
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise TypeError(
            f"lr_schedule={name!r} takes the parameters {accepted}, got unknown {unknown} "
            "in lr_schedule_params"
        )
    return cls(optimizer, **kwargs)
