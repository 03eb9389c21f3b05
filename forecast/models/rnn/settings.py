"""Every parameter the RNN models share, documented, defaulted and validated once.

:class:`~forecast.models.rnn.forecaster.RNNForecaster`,
:class:`~forecast.models.rnn.global_model.GlobalRNNForecaster`,
:class:`~forecast.models.rnn.regressor.RNNRegressor` and
:class:`~forecast.models.rnn.classifier.RNNClassifier` take the same training parameters.
scikit-learn wants each one named in ``__init__``; everything else about them is here, once:

* :data:`PARAMETERS` documents them; :func:`document_parameters` writes the section into
  each class docstring (the parameters of its ``__init__``, in order, with its defaults);
* :class:`Defaults` defaults them: :data:`FORECASTER_DEFAULTS` and :data:`GLOBAL_DEFAULTS`
  for the forecasters, :data:`REGRESSOR_DEFAULTS` for the regressor;
* :func:`check_settings` validates them and returns a :class:`Settings`, which builds the
  optimiser and the network they ask for (:meth:`Settings.build_optimizer`,
  :meth:`Settings.build_network`).
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np

from forecast import nn
from forecast._validation import check_choice, check_float, check_int
from forecast.nn import CELLS, LIKELIHOODS, LOSSES
from forecast.nn.engine import resolve_engine

logger = logging.getLogger(__name__)

#: the ``optimizer`` names the RNN models accept
OPTIMIZER_NAMES = ("adam", "adamw", "sgd", "momentum", "nesterov")
#: what a forecaster's network models (see :mod:`forecast.models.rnn.target`)
TARGETS = ("log_return", "diff", "level")
#: how RNNForecaster trains (see :mod:`forecast.models.rnn.forecaster`)
TRAINING = ("tbptt", "window")
#: how RNNForecaster forecasts beyond one step (see :mod:`forecast.models.rnn.rollout`)
STRATEGIES = ("recursive", "direct")
#: the parameters of each ``lr_schedule`` that differ from the schedule's own defaults
#: ("cosine" also takes ``T_max = epochs``): "step" needs a period, and "plateau" must act
#: before early stopping (``patience`` 5 by default) ends training
SCHEDULE_DEFAULTS: dict[str, dict[str, Any]] = {
    "step": {"step_size": 10}, "cosine": {}, "plateau": {"patience": 2},
}
#: the ``likelihood`` names RNNForecaster accepts (besides None)
LIKELIHOOD_NAMES = tuple(LIKELIHOODS)


@dataclass(frozen=True)
class Defaults:
    """The default of every RNN parameter (each class takes those of its ``__init__``)."""

    cell: str = "lstm"
    hidden_size: int = 32
    num_layers: int = 1
    strategy: str = "recursive"
    max_horizon: int = 20
    training: str = "tbptt"
    window: int = 20
    k1: int = 20
    k2: int | None = None
    target: str = "log_return"
    epochs: int = 30
    batch_size: int = 32
    lr: float = 5e-3
    lr_schedule: str | None = None
    lr_schedule_params: dict | None = None
    optimizer: str = "adam"
    clip_norm: float | None = 1.0
    loss: str = "mse"
    likelihood: str | None = None
    dtype: str = "float32"
    engine: str = "auto"
    scale: bool = True
    validation_fraction: float = 0.1
    patience: int | None = 5
    warm_start: bool = True
    random_state: Any = None
    verbose: bool = False


#: the defaults of RNNForecaster
FORECASTER_DEFAULTS = Defaults()
#: the defaults of GlobalRNNForecaster: a new fit_many draws new weights (warm_start=True asks
#: for the weights of the last fit)
GLOBAL_DEFAULTS = replace(FORECASTER_DEFAULTS, warm_start=False)
#: the defaults of RNNRegressor and RNNClassifier: more, smaller steps on larger batches of
#: windows
REGRESSOR_DEFAULTS = replace(
    FORECASTER_DEFAULTS, epochs=50, batch_size=64, lr=1e-3, patience=10, warm_start=False
)

#: the docstring entry of every parameter: (type, description)
PARAMETERS: dict[str, tuple[str, str]] = {
    "cell": (
        '{"lstm", "gru", "rnn"}',
        'The recurrent cell, with PyTorch\'s equations and initialisation ("rnn" is the '
        "tanh Elman cell).",
    ),
    "hidden_size": ("int", "Units per layer."),
    "num_layers": ("int", "Stacked recurrent layers."),
    "strategy": (
        '{"recursive", "direct"}',
        '"recursive": the head predicts the next increment, fed back as the next input for '
        'longer horizons. "direct": a head of ``max_horizon`` outputs on the state at the '
        "origin predicts the increments of steps 1..max_horizon at once (one state, many "
        "outputs), trained on every origin of the training part whose steps it covers.",
    ),
    "max_horizon": (
        "int",
        'Steps of the direct head, the longest horizon of ``predict`` (``strategy="direct"`` '
        "only).",
    ),
    "training": ('{"tbptt", "window"}', "How the network is trained; see the module docstring."),
    "window": ("int", 'Inputs per window (``training="window"`` only).'),
    "k1": ("int", 'Truncated BPTT: steps between updates (``training="tbptt"``).'),
    "k2": ("int or None", "Truncated BPTT: steps backpropagated, ``>= k1``; None means ``k1``."),
    "target": (
        '{"log_return", "diff", "level"}',
        "What the network models: ``log(p_t / p_{t-1})``, ``p_t - p_{t-1}`` or ``p_t``, "
        "standardised with the mean and standard deviation of the training part (the data "
        "before the validation tail; each series its own in a global model).",
    ),
    "epochs": ("int", "Passes over the training data (fewer if early stopping ends training)."),
    "batch_size": (
        "int",
        "Parallel TBPTT streams (the total over all series of a global model), or windows "
        "per update (shuffled at every epoch).",
    ),
    "lr": ("float", "Learning rate (of the first epoch, with ``lr_schedule``)."),
    "lr_schedule": (
        '{None, "step", "cosine", "plateau"}',
        "How the learning rate changes after each epoch, with PyTorch's rules (see "
        ":mod:`forecast.nn.schedules`): None keeps ``lr``; \"step\" multiplies it by "
        "``gamma`` (0.1) every ``step_size`` (10) epochs; \"cosine\" anneals it to "
        "``eta_min`` (0) over ``T_max`` (``epochs``) epochs; \"plateau\" multiplies it by "
        "``factor`` (0.1) after more than ``patience`` (2) epochs without a better "
        "validation loss (training loss without a validation tail).",
    ),
    "lr_schedule_params": (
        "dict or None",
        "The schedule's parameters (defaults in parentheses above), e.g. "
        "``{\"step_size\": 5, \"gamma\": 0.5}``; ``forecast.nn.StepLR``, "
        "``CosineAnnealingLR`` and ``ReduceLROnPlateau`` list them all.",
    ),
    "optimizer": (
        '{"adam", "adamw", "sgd", "momentum", "nesterov"}',
        '"momentum" and "nesterov" are SGD with momentum 0.9.',
    ),
    "clip_norm": (
        "float or None",
        "Rescale the gradients whose global norm exceeds it; None does not clip.",
    ),
    "loss": ('{"mse", "mae", "huber"}', "The training loss."),
    "likelihood": (
        '{None, "normal", "student_t"}',
        "None trains a point forecaster with ``loss``. A name trains a distributional head "
        "(DeepAR-style) with the negative log-likelihood of a Normal or Student-t for the "
        "next scaled increment instead of ``loss`` (early stopping on the validation NLL; "
        '``training="tbptt"`` only); see :mod:`forecast.models.rnn.likelihood_paths`.',
    ),
    "dtype": ('{"float32", "float64"}', "Precision of the network."),
    "engine": (
        '{"auto", "numpy", "numba"}',
        "What runs the recurrent layers: the NumPy reference or numba-compiled kernels "
        '(``pip install "forecast[fast]"``, faster; "numba" without numba raises an '
        'ImportError). "auto" is the ``FORECAST_ENGINE`` environment variable when set, '
        "else numba when installed, else NumPy. The engines agree to rounding; see "
        ":mod:`forecast.nn.engine`.",
    ),
    "scale": (
        "bool",
        "Standardise every input feature (pooled over time steps) and every target column "
        "with the mean and standard deviation of the training windows; predictions are "
        "scaled back. With False the data goes to the network as it is, so the weights are "
        "the ones a PyTorch model trained on the same data would have.",
    ),
    "validation_fraction": (
        "float in [0, 1)",
        "Trailing fraction of the training samples (of each series' pairs in a global "
        "model) held out to monitor the loss for early stopping; a forecaster's "
        "``predict_interval`` takes its residuals from them. 0 trains on all samples, "
        "without early stopping (and without intervals).",
    ),
    "patience": (
        "int or None",
        "Stop after this many epochs without improvement of the validation loss; the "
        "weights of the best epoch are restored. None trains all epochs (still restoring "
        "the best ones).",
    ),
    "warm_start": (
        "bool",
        "Fitting again starts from the current weights (when the network shape still "
        "fits), as a forecaster's ``update(y_new, refit=True)`` always does; False draws new "
        "weights from ``random_state`` at every fit.",
    ),
    "random_state": (
        "int >= 0, numpy Generator or None",
        "Seeds the weights and the shuffling: an int gives bitwise-identical results, also "
        "in another process (see :func:`forecast._validation.check_random_state`; a legacy "
        "RandomState seeds a Generator with one draw).",
    ),
    "verbose": ("bool", "Show a progress bar over epochs (on a terminal only)."),
}

#: where :func:`document_parameters` writes the section in a class docstring
PARAMETERS_MARKER = "    {parameters}\n"

T = TypeVar("T", bound=type)


def document_parameters(cls: T) -> T:
    """Write the Parameters entries of ``cls.__init__`` at :data:`PARAMETERS_MARKER`.

    Each entry reads ``name : type, default=value`` and its description from
    :data:`PARAMETERS`, the default from the signature (itself from a :class:`Defaults`).
    """
    lines = []
    for name, param in list(inspect.signature(cls.__init__).parameters.items())[1:]:
        kind, text = PARAMETERS[name]
        default = param.default
        shown = f'"{default}"' if isinstance(default, str) else repr(default)
        lines.append(f"    {name} : {kind}, default={shown}\n")
        words, line = text.split(), "       "
        for word in words:
            if len(line) + 1 + len(word) > 92:
                lines.append(line + "\n")
                line = "       "
            line += " " + word
        lines.append(line + "\n")
    cls.__doc__ = cls.__doc__.replace(PARAMETERS_MARKER, "".join(lines))
    return cls


@dataclass
class Settings:
    """The validated parameters of an RNN model (see :func:`check_settings`).

    ``k2`` is resolved (``k1`` when None), ``engine`` too ("numpy" or "numba"); the
    parameters a model does not have are None (a global model trains by TBPTT: no
    ``training``, no ``window``; a classifier has no ``loss`` parameter: its loss follows
    from its classes, set with ``dataclasses.replace``).
    """

    cell: str
    hidden_size: int
    num_layers: int
    epochs: int
    batch_size: int
    lr: float
    optimizer: str
    clip_norm: float | None
    loss: str | None
    validation_fraction: float
    patience: int | None
    dtype: np.dtype
    engine: str = "numpy"
    training: str | None = None
    strategy: str | None = None
    max_horizon: int | None = None
    window: int | None = None
    k1: int | None = None
    k2: int | None = None
    target: str | None = None
    likelihood: str | None = None
    lr_schedule: str | None = None
    lr_schedule_params: dict | None = None

    @property
    def training_loss(self) -> Any:
        """What the network is trained with: the likelihood's NLL, or the ``loss`` name."""
        if self.likelihood is None:
            return self.loss
        return nn.get_likelihood(self.likelihood)

    @property
    def n_steps(self) -> int:
        """The steps the head predicts at once: ``max_horizon`` for a direct head, else 1."""
        return self.max_horizon if self.strategy == "direct" else 1

    @property
    def hint(self) -> str:
        """What to change after a divergence, with the current values."""
        return f" (now lr={self.lr}, clip_norm={self.clip_norm})"

    def build_optimizer(self) -> Any:
        """The optimiser of ``optimizer`` and ``lr`` ("momentum", "nesterov": SGD, 0.9)."""
        if self.optimizer == "momentum":
            return nn.make_optimizer("sgd", lr=self.lr, momentum=0.9)
        if self.optimizer == "nesterov":
            return nn.make_optimizer("sgd", lr=self.lr, momentum=0.9, nesterov=True)
        return nn.make_optimizer(self.optimizer, lr=self.lr)

    def build_schedule(self, optimizer: Any) -> Any:
        """The ``lr_schedule`` on ``optimizer``, None without one (see :func:`schedule_params`)."""
        if self.lr_schedule is None:
            return None
        params = schedule_params(self.lr_schedule, self.epochs, self.lr_schedule_params)
        return nn.make_schedule(self.lr_schedule, optimizer, **params)

    def build_network(
        self, n_inputs: int, n_outputs: int, rng: np.random.Generator, old: Any = None
    ) -> nn.RecurrentNetwork:
        """The network these settings ask for: ``old`` if it has their shape (a warm start;
        on another engine, a new network with ``old``'s weights), otherwise a new one drawn
        from ``rng``. Its head gives ``n_outputs`` per forecast step for each of the
        :attr:`n_steps` steps (a direct head: ``max_horizon`` steps)."""
        n_outputs = n_outputs * self.n_steps
        shape = (self.cell, n_inputs, self.hidden_size, self.num_layers, n_outputs, self.dtype)
        warm = old is not None and shape == (
            old.cell, old.input_size, old.hidden_size, old.num_layers, old.output_size, old.dtype
        )
        if warm and old.engine == self.engine:
            logger.debug("warm start from the current weights")
            return old
        net = nn.RecurrentNetwork(
            self.cell, n_inputs, self.hidden_size, self.num_layers, n_outputs, dtype=self.dtype,
            rng=rng, engine=self.engine,
        )
        if warm:  # the same weights on the other engine
            net.set_weights(old.get_weights())
        return net


def check_settings(est: Any) -> Settings:
    """Validate the RNN parameters ``est`` has (any of :data:`PARAMETERS`); name bad values."""
    optional = {}
    if hasattr(est, "training"):
        optional["training"] = check_choice(est.training, "training", TRAINING)
    if hasattr(est, "target"):
        optional["target"] = check_choice(est.target, "target", TARGETS)
    if hasattr(est, "strategy"):
        optional["strategy"] = check_choice(est.strategy, "strategy", STRATEGIES)
        optional["max_horizon"] = check_int(est.max_horizon, "max_horizon", min_value=1)
    likelihood = getattr(est, "likelihood", None)
    if likelihood is not None:
        optional["likelihood"] = check_choice(likelihood, "likelihood", LIKELIHOOD_NAMES)
        if optional.get("training") == "window":
            raise ValueError(
                f"likelihood={likelihood!r} is trained by truncated BPTT only, got "
                "training='window'; use training='tbptt' (or likelihood=None)"
            )
        if optional.get("strategy") == "direct":
            raise ValueError(
                f"likelihood={likelihood!r} has a recursive head only (paths are sampled step "
                "by step), got strategy='direct'; use strategy='recursive' with the "
                "likelihood, or likelihood=None for a direct head with conformal intervals"
            )
    for name in ("warm_start", "scale", "verbose"):
        value = getattr(est, name, False)
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {name}={value!r}")
    if hasattr(est, "window"):
        optional["window"] = check_int(est.window, "window", min_value=1)
    if hasattr(est, "k1"):
        k1 = optional["k1"] = check_int(est.k1, "k1", min_value=1)
        k2 = optional["k2"] = k1 if est.k2 is None else check_int(est.k2, "k2", min_value=1)
        if k2 < k1:
            raise ValueError(
                f"truncated BPTT needs k2 >= k1 (backpropagate at least the k1 new steps), "
                f"got k1={k1}, k2={k2}"
            )
    for key, value in check_schedule(est).items():
        optional[key] = value
    clip_norm = est.clip_norm
    if clip_norm is not None:
        clip_norm = check_float(clip_norm, "clip_norm", min_value=0.0, inclusive=False)
    patience = est.patience
    if patience is not None:
        patience = check_int(patience, "patience", min_value=1)
    fraction = check_float(
        est.validation_fraction, "validation_fraction", min_value=0.0, max_value=1.0
    )
    if fraction == 1.0:
        raise ValueError("validation_fraction must be < 1, got validation_fraction=1.0")
    return Settings(
        cell=check_choice(est.cell, "cell", tuple(CELLS)),
        hidden_size=check_int(est.hidden_size, "hidden_size", min_value=1),
        num_layers=check_int(est.num_layers, "num_layers", min_value=1),
        epochs=check_int(est.epochs, "epochs", min_value=1),
        batch_size=check_int(est.batch_size, "batch_size", min_value=1),
        lr=check_float(est.lr, "lr", min_value=0.0, inclusive=False),
        optimizer=check_choice(est.optimizer, "optimizer", OPTIMIZER_NAMES),
        clip_norm=clip_norm,
        loss=check_choice(est.loss, "loss", tuple(LOSSES)) if hasattr(est, "loss") else None,
        validation_fraction=fraction,
        patience=patience,
        dtype=check_dtype(est.dtype),
        engine=resolve_engine(getattr(est, "engine", "auto")),
        **optional,
    )


def check_schedule(est: Any) -> dict[str, Any]:
    """``lr_schedule`` and ``lr_schedule_params`` of ``est`` (if it has them), validated."""
    name = getattr(est, "lr_schedule", None)
    params = getattr(est, "lr_schedule_params", None)
    if params is not None and not isinstance(params, dict):
        raise TypeError(
            f"lr_schedule_params must be a dict of the schedule's parameters or None, got "
            f"{params!r}; e.g. lr_schedule_params={{'step_size': 5}}"
        )
    if name is None:
        if params:
            raise ValueError(
                f"lr_schedule_params={params!r} needs an lr_schedule; pass lr_schedule="
                f"{tuple(nn.SCHEDULES)} or lr_schedule_params=None"
            )
        return {}
    check_choice(name, "lr_schedule", tuple(nn.SCHEDULES))
    probe = nn.make_optimizer("sgd", lr=1.0)  # validates the parameters by building one
    nn.make_schedule(name, probe, **schedule_params(name, 1, params))
    return {"lr_schedule": name, "lr_schedule_params": params}


def schedule_params(name: str, epochs: int, params: dict | None) -> dict[str, Any]:
    """The parameters of schedule ``name``: :data:`SCHEDULE_DEFAULTS`, then ``params``."""
    defaults = SCHEDULE_DEFAULTS[name] | ({"T_max": epochs} if name == "cosine" else {})
    return defaults | (params or {})


def check_dtype(dtype: Any) -> np.dtype:
    """``dtype`` as a NumPy float32 or float64 dtype, or raise naming it."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype must be 'float32' or 'float64', got dtype={dtype!r}")
    return resolved
