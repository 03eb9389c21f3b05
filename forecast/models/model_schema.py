"""What the state of each model in a model file may be: keys, types, shapes, values.

One table per class (:data:`SCHEMAS`) lists every attribute a saved model may have, and
:data:`HELPER_SCHEMAS` those of the helper objects it holds. An entry is a spec:

``Int(lo, hi, bind)``, ``Float(lo, hi, finite)``, ``Bool()``, ``Choice(*values)``,
``Arr(kinds, shape, finite)``, ``Opt(spec)`` (also ``None``), ``Tup(*specs)``,
``TupOf(spec, n)``, ``ListOf(spec)``, ``Rec({key: spec})`` (a dict with exactly these str
keys), ``MapOf(key, value)``, ``Obj(name)`` (a helper object of that class), ``Idx()`` (a
pandas Index), ``Net()`` (a recurrent network), ``OneOf(*specs)``.

A shape is a tuple of ints, symbols (str) and ``None`` (any length). A symbol is bound the
first time it is met (by a shape, or by ``Int(bind=...)``) and must agree everywhere after,
so ``coef_`` of shape ``("p",)`` has ``order_`` elements when ``order_`` binds ``"p"``.
Fitted values must be of the exact type (a float stays a float: ``sigma2_`` of ``1`` is
refused); parameters are checked like the estimators check them. Whatever the tables
cannot say (``len(coef_) == order_`` with ``k = trend terms + order_``, the network's
sizes equal to the estimator's) is said by the ``checks`` of the class, plain functions
of the decoded state. Each failure raises :class:`SchemaError` naming the field.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from forecast.models._lags import TRENDS, n_trend
from forecast.models._rnn_series import TARGETS
from forecast.models._training import OPTIMIZER_NAMES, check_settings
from forecast.nn import RecurrentNetwork
from forecast.nn.losses import LOSSES
from forecast.nn.network import CELLS

__all__ = ["SCHEMAS", "HELPER_SCHEMAS", "SchemaError", "check_state"]


class SchemaError(ValueError):
    """A decoded model state that breaks its schema; ``field`` says where."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"field {field}: {message}")
        self.field = field


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Spec:
    """A check of one value; ``dims`` holds the shape symbols bound so far."""

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        raise NotImplementedError


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _bind(dims: dict[str, int], symbol: str, size: int, field: str) -> None:
    if dims.setdefault(symbol, size) != size:
        raise SchemaError(field, f"has size {size} where {dims[symbol]} ({symbol}) is required")


class Int(Spec):
    def __init__(self, lo: int | None = None, hi: int | None = None, bind: str = "") -> None:
        self.lo, self.hi, self.bind = lo, hi, bind

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        if not _is_int(value):
            raise SchemaError(field, f"must be an integer, got {_short(value)}")
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            raise SchemaError(field, f"must lie in [{self.lo}, {self.hi}], got {value}")
        if self.bind:
            _bind(dims, self.bind, int(value), field)


class Float(Spec):
    """A Python or NumPy float (``ints=True``: an int too, as parameters may be).

    ``finite=False`` admits inf, ``nan=True`` NaN (a diverged epoch's loss).
    """

    def __init__(
        self,
        lo: float | None = None,
        hi: float | None = None,
        *,
        open_lo: bool = False,
        finite: bool = True,
        nan: bool = False,
        ints: bool = False,
    ) -> None:
        self.lo, self.hi, self.open_lo, self.finite, self.ints = lo, hi, open_lo, finite, ints
        self.nan = nan

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        ok = isinstance(value, (float, np.floating)) or (self.ints and _is_int(value))
        if not ok:
            raise SchemaError(field, f"must be a float, got {_short(value)}")
        if (self.finite and not np.isfinite(value)) or (np.isnan(value) and not self.nan):
            raise SchemaError(field, f"must be {'finite' if self.finite else 'a number'}, got {value}")
        low = self.lo is not None and (value <= self.lo if self.open_lo else value < self.lo)
        if low or (self.hi is not None and value > self.hi):
            bracket = "(" if self.open_lo else "["
            raise SchemaError(field, f"must lie in {bracket}{self.lo}, {self.hi}], got {value}")


class Bool(Spec):
    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise SchemaError(field, f"must be True or False, got {_short(value)}")


class Choice(Spec):
    def __init__(self, *choices: Any) -> None:
        self.choices = choices

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        if not isinstance(value, str) or value not in self.choices:
            raise SchemaError(field, f"must be one of {self.choices}, got {_short(value)}")


class Str(Spec):
    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        if not isinstance(value, str):
            raise SchemaError(field, f"must be a string, got {_short(value)}")


class Arr(Spec):
    """An ndarray of a dtype kind in ``kinds`` ("f" float, "i" int, "M" datetime, ...)."""

    def __init__(self, kinds: str, shape: tuple, *, finite: bool = True) -> None:
        self.kinds, self.shape, self.finite = kinds, shape, finite

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        if not isinstance(value, np.ndarray) or value.dtype.kind not in self.kinds:
            got = f"dtype {value.dtype}" if isinstance(value, np.ndarray) else _short(value)
            raise SchemaError(field, f"must be an array of kind {self.kinds!r}, got {got}")
        if value.ndim != len(self.shape):
            raise SchemaError(field, f"must have {len(self.shape)} dimensions, got {value.shape}")
        for size, want in zip(value.shape, self.shape):
            if isinstance(want, int) and size != want:
                raise SchemaError(field, f"must have shape {self.shape}, got {value.shape}")
            if isinstance(want, str):
                _bind(dims, want, size, field)
        if self.finite and value.dtype.kind in "fc" and not np.isfinite(value).all():
            raise SchemaError(field, "holds NaN or inf")


class Opt(Spec):
    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        if value is not None:
            self.spec.check(value, field, dims)


class OneOf(Spec):
    def __init__(self, *specs: Spec) -> None:
        self.specs = specs

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        errors = []
        for spec in self.specs:
            try:
                trial = dict(dims)
                spec.check(value, field, trial)
            except SchemaError as err:
                errors.append(str(err).split(": ", 1)[1])
            else:
                dims.update(trial)
                return
        raise SchemaError(field, " or ".join(errors))


class Tup(Spec):
    def __init__(self, *specs: Spec) -> None:
        self.specs = specs

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        if not isinstance(value, tuple) or len(value) != len(self.specs):
            raise SchemaError(field, f"must be a tuple of {len(self.specs)}, got {_short(value)}")
        for i, (item, spec) in enumerate(zip(value, self.specs)):
            spec.check(item, f"{field}[{i}]", dims)


class ListOf(Spec):
    def __init__(self, spec: Spec, n: str = "", kind: type = list) -> None:
        self.spec, self.n, self.kind = spec, n, kind

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        if not isinstance(value, self.kind):
            raise SchemaError(field, f"must be a {self.kind.__name__}, got {_short(value)}")
        if self.n:
            _bind(dims, self.n, len(value), field)
        for i, item in enumerate(value):
            self.spec.check(item, f"{field}[{i}]", dims)


def TupOf(spec: Spec, n: str = "") -> ListOf:  # noqa: N802 (reads like the other specs)
    """A tuple of any (or ``n``) values of one spec."""
    return ListOf(spec, n, tuple)


class Rec(Spec):
    """A dict (or an object's ``__dict__``) with exactly the keys of ``fields``."""

    def __init__(self, fields: dict[str, Spec], optional: tuple[str, ...] = ()) -> None:
        self.fields, self.optional = fields, optional

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        if not isinstance(value, dict):
            raise SchemaError(field, f"must be a dict, got {_short(value)}")
        extra = [key for key in value if key not in self.fields]
        if extra:
            raise SchemaError(f"{field}.{extra[0]}", "is not an attribute of this model")
        missing = [key for key in self.fields if key not in value and key not in self.optional]
        if missing:
            raise SchemaError(f"{field}.{missing[0]}", "is missing")
        for key, spec in self.fields.items():
            if key in value:
                spec.check(value[key], f"{field}.{key}", dims)


class MapOf(Spec):
    def __init__(self, key: Spec, value: Spec) -> None:
        self.key, self.value = key, value

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        if not isinstance(value, dict):
            raise SchemaError(field, f"must be a dict, got {_short(value)}")
        for k, v in value.items():
            self.key.check(k, f"{field} key", dims)
            self.value.check(v, f"{field}[{k!r}]", dims)


class Obj(Spec):
    """A whitelisted helper object, its ``__dict__`` checked by :data:`HELPER_SCHEMAS`."""

    def __init__(self, *names: str) -> None:
        self.names = names

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        name = type(value).__name__
        if name not in self.names:
            raise SchemaError(field, f"must be a {' or '.join(self.names)}, got {_short(value)}")
        HELPER_SCHEMAS[name].check(vars(value), field, dims)


class Idx(Spec):
    """A pandas Index of datetimes (tz-naive) or integers, named by a str or nothing."""

    def __init__(self, n: str = "") -> None:
        self.n = n

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        if not isinstance(value, pd.Index) or value.dtype.kind not in "iuM":
            raise SchemaError(field, f"must be an integer or datetime index, got {_short(value)}")
        if value.name is not None and not isinstance(value.name, str):
            raise SchemaError(f"{field}.name", f"must be a str or None, got {_short(value.name)}")
        if isinstance(value, pd.DatetimeIndex) and value.hasnans:
            raise SchemaError(field, "holds NaT")
        if self.n:
            _bind(dims, self.n, len(value), field)


class Net(Spec):
    """A RecurrentNetwork (its constructor and ``set_weights`` checked sizes and weights)."""

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        if not isinstance(value, RecurrentNetwork):
            raise SchemaError(field, f"must be a recurrent network, got {_short(value)}")
        _bind(dims, "L", value.num_layers, f"{field}.num_layers")
        _bind(dims, "H", value.hidden_size, f"{field}.hidden_size")
        _bind(dims, "I", value.input_size, f"{field}.input_size")
        _bind(dims, "O", value.output_size, f"{field}.output_size")


# ------------------------------------------------------------------------------ the tables

_F = Float()  # a fitted float: finite, of float type
_PENDING = OneOf(Idx(), Int(1), Tup(Idx(), Int(0), Int(0)))
_HISTORY = Rec(
    {
        "_buffer": Arr("f", (None,)),
        "_n": Int(1, bind="n"),
        "_index": Idx(),
        "_range_ahead": Opt(Idx()),
        "_pending": ListOf(_PENDING),
        "_tail": Opt(ListOf(Int())),
        "_unit": Opt(Str()),
        "_dtype": Opt(Str()),
        "_name": Opt(Str()),
        "_n_weekend": Int(0),
        "_n_daily": Int(0),
        "_block": Opt(Int()),
        "_block_days": ListOf(Int()),
    },
    optional=("_unit", "_dtype", "_name", "_n_weekend", "_n_daily", "_block", "_block_days"),
)
_SCALER = Rec(
    {
        "with_mean": Bool(),
        "with_std": Bool(),
        "n_features_in_": Int(1),
        "n_samples_seen_": Int(1),
        "mean_": OneOf(_F, Arr("f", (None,))),
        "scale_": OneOf(Float(0.0, open_lo=True), Arr("f", (None,))),
    },
    optional=("n_features_in_", "n_samples_seen_", "mean_", "scale_"),
)
_INCREMENTS = {
    "LogReturns": Rec({"n_features_in_": Int(1), "last_value_": Float(0.0, open_lo=True)}),
    "SimpleReturns": Rec({"n_features_in_": Int(1), "last_value_": Float(0.0, open_lo=True)}),
    "Differencer": Rec({"order": Int(1), "n_features_in_": Int(1), "last_values_": Arr("f", (None,))}),
}
HELPER_SCHEMAS: dict[str, Spec] = {
    "SeriesHistory": _HISTORY,
    "QRLeastSquares": Rec(
        {"z": Arr("f", ("k",)), "S": Arr("f", ("k", "k")), "coef": Arr("f", ("k",)),
         "nobs": Int(1), "ssr": Float(0.0)}
    ),
    "Standardizer": _SCALER,
    **_INCREMENTS,
    "TargetTransform": Rec(
        {
            "target": Choice(*TARGETS),
            "offset": Int(0, 1),
            "increments": Opt(Obj("LogReturns", "Differencer")),
            "target_scaler": Obj("Standardizer"),
            "exog_scaler": Opt(Obj("Standardizer")),
            "n_inputs": Int(1, bind="I"),
        }
    ),
}

_RNN_SETTINGS = {
    "cell": Choice(*CELLS),
    "hidden_size": Int(1, bind="H"),
    "num_layers": Int(1, bind="L"),
    "epochs": Int(1),
    "batch_size": Int(1),
    "lr": Float(0.0, open_lo=True, ints=True),
    "optimizer": Choice(*OPTIMIZER_NAMES),
    "clip_norm": Opt(Float(0.0, open_lo=True, ints=True)),
    "loss": Choice(*LOSSES),
    "dtype": Choice("float32", "float64"),
    "validation_fraction": Float(0.0, 1.0, ints=True),
    "patience": Opt(Int(1)),
    "warm_start": Bool(),
    "random_state": Opt(Int(0)),
    "verbose": Bool(),
}
_TRAIN_HISTORY = Rec(
    {key: ListOf(Float(finite=False, nan=True), "E") for key in ("train_loss", "grad_norm", "val_loss")},
    optional=("val_loss",),
)


class ModelSchema:
    """Parameters, fitted state (all present or all absent) and cross-field checks."""

    def __init__(
        self,
        params: dict[str, Spec],
        fitted: dict[str, Spec],
        checks: tuple[Callable[[dict[str, Any]], str | None], ...] = (),
        param_checks: tuple[Callable[[dict[str, Any]], str | None], ...] = (),
    ) -> None:
        self.params, self.fitted, self.checks = params, fitted, checks
        self.param_checks = param_checks


def _ar_checks(s: dict[str, Any]) -> str | None:
    k, p = n_trend(s["_trend"]) + s["order_"], s["order_"]
    if s["_trend"] != s["trend"] or s["_direct"] != (s["strategy"] == "direct"):
        return "_trend/_direct: do not match the parameters trend and strategy"
    if not isinstance(s["order"], str) and s["order_"] != s["order"]:
        return f"order_: {s['order_']} differs from the parameter order={s['order']}"
    ics = s["ics_"]
    if (ics is None) != (not isinstance(s["order"], str)):
        return "ics_: must be set exactly when the order was selected ('aic' or 'bic')"
    if ics is not None and (
        list(ics) != list(range(s["max_order"] + 1)) or min(ics, key=ics.get) != p
    ):
        return f"ics_: must map 0..max_order to criteria whose minimum is at order_={p}"
    if s["coef_"].shape != (p,) or s["params_"].shape != (k,) or k == 0:
        return f"coef_: needs order_={p} and params_ {k} values (order_ + trend terms)"
    if not np.array_equal(s["_lags"], np.arange(1, p + 1)):
        return f"_lags: must be 1..{p}"
    steps = s["max_horizon"] if s["_direct"] else 1
    if len(s["_models"]) != steps:
        return f"_models: {len(s['_models'])} models for {steps} forecast steps"
    for h, (lags, _) in enumerate(s["_models"]):
        if not np.array_equal(lags, s["_lags"] + h):
            return f"_models[{h}]: lags must be {s['_lags'] + h}"
    if (s["direct_params_"] is None) == s["_direct"]:
        return "direct_params_: must be set exactly for strategy='direct'"
    return None


def _ar_derived(s: dict[str, Any]) -> str | None:
    """The fitted attributes equal what the model derives from its least-squares states."""
    from forecast.models.ar import ARForecaster

    twin = ARForecaster.__new__(ARForecaster)
    twin.__dict__.update(s)
    try:
        with np.errstate(all="ignore"):
            twin._set_fitted()  # the model's own derivation, on a copy of the state
    except (ArithmeticError, ValueError, TypeError, IndexError) as err:
        return f"_models: the least-squares states are inconsistent ({err})"
    derived = ("params_", "intercept_", "trend_coef_", "coef_", "nobs_", "sigma2_", "llf_")
    for key in (*derived, "aic_", "bic_", "direct_params_", "direct_sigma2_"):
        saved, value = s[key], getattr(twin, key)
        same = saved is value is None or (
            type(saved) is type(value) and np.array_equal(saved, value, equal_nan=True)
        )
        if not same:
            return f"{key}: {_short(saved)} is not what the model derives from its state"
    return None


def _naive_checks(s: dict[str, Any]) -> str | None:
    sp = s["sp"] if s["strategy"] == "seasonal_last" else 1
    if s["_strategy"] != s["strategy"] or s["_sp"] != sp:
        return "_strategy/_sp: do not match the parameters strategy and sp"
    if s["nobs_"] > s["_history"].values.size:
        return f"nobs_: {s['nobs_']} is more than the {len(s['_history'].values)} observations"
    return None


def _rnn_settings(s: dict[str, Any]) -> str | None:
    """The estimators' own check of their shared parameters."""
    try:
        check_settings(SimpleNamespace(**s))
    except (TypeError, ValueError) as err:
        return f"parameters: {err}"
    return None


def _network_checks(s: dict[str, Any]) -> str | None:
    net = s["network_"]
    if not 0 <= s["best_epoch_"] <= len(s["history_"]["train_loss"]):
        return f"best_epoch_: {s['best_epoch_']} is not one of the epochs in history_"
    if (net.cell, net.hidden_size, net.num_layers) != (s["cell"], s["hidden_size"], s["num_layers"]):
        return "network_: its cell and sizes differ from the parameters cell/hidden_size/num_layers"
    if str(np.dtype(net.dtype)) != s["dtype"]:
        return f"network_: dtype {net.dtype} differs from the parameter dtype={s['dtype']!r}"
    return None


def _forecaster_checks(s: dict[str, Any]) -> str | None:
    net, features = s["network_"], s["_features"]
    if net.output_size != 1 or net.input_size != 1 + s["n_exog_"]:
        return f"network_: input_size must be 1 + n_exog_ = {1 + s['n_exog_']}, output_size 1"
    if features.target != s["target"] or (s["_exog"] is None) != (s["n_exog_"] == 0):
        return "_features/_exog: do not match the parameter target and n_exog_"
    if (s["state_"] is None) != (s["training"] == "window"):
        return "state_: must be set exactly for training='tbptt'"
    if s["state_"] is not None and len(s["state_"]) != (2 if s["cell"] == "lstm" else 1):
        return f"state_: a {s['cell']} network has {2 if s['cell'] == 'lstm' else 1} states"
    return None


_AR = ModelSchema(
    params={
        "order": OneOf(Int(0), Choice("aic", "bic")),
        "trend": Choice(*TRENDS),
        "max_order": Int(0),
        "hold_back": Opt(Int(0)),
        "strategy": Choice("recursive", "direct"),
        "max_horizon": Int(1),
    },
    fitted={
        "order_": Int(0, bind="p"),
        "hold_back_": Int(0),
        "ics_": Opt(MapOf(Int(0), Float(finite=False))),
        "_trend": Choice(*TRENDS),
        "_direct": Bool(),
        "_lags": Arr("i", ("p",)),
        "_history": Obj("SeriesHistory"),
        "_models": ListOf(Tup(Arr("i", ("p",)), Obj("QRLeastSquares")), "h"),
        "_n_fit": Int(2),
        "params_": Arr("f", ("k",)),
        "intercept_": _F,
        "trend_coef_": _F,
        "coef_": Arr("f", ("p",)),
        "nobs_": Int(1),
        "sigma2_": Float(0.0),
        "llf_": Float(finite=False),
        "aic_": Float(finite=False),
        "bic_": Float(finite=False),
        "direct_params_": Opt(Arr("f", ("h", "k"))),
        "direct_sigma2_": Opt(Arr("f", ("h",))),
    },
    checks=(_ar_checks, _ar_derived),
)
_NAIVE = ModelSchema(
    params={"strategy": Choice("last", "mean", "drift", "seasonal_last"), "sp": Int(1)},
    fitted={
        "_strategy": Choice("last", "mean", "drift", "seasonal_last"),
        "_sp": Int(1),
        "_history": Obj("SeriesHistory"),
        "nobs_": Int(1),
        "mean_": _F,
        "drift_": _F,
        "sigma2_": Float(0.0),
    },
    checks=(_naive_checks,),
)
_RNN_FORECASTER = ModelSchema(
    params={
        **_RNN_SETTINGS,
        "training": Choice("tbptt", "window"),
        "window": Int(1, bind="W"),
        "k1": Int(1),
        "k2": Opt(Int(1)),
        "target": Choice(*TARGETS),
    },
    fitted={
        "_history": Obj("SeriesHistory"),
        "_exog": Opt(ListOf(Arr("f", (None, "X")))),
        "_features": Obj("TargetTransform"),
        "network_": Net(),
        "n_streams_": Int(0),
        "n_exog_": Int(0),
        "history_": _TRAIN_HISTORY,
        "best_epoch_": Int(0),
        "state_": Opt(TupOf(Arr("f", ("L", 1, "H")))),
        "window_": Opt(Arr("f", ("W", "I"))),
        "_last_output": Arr("f", (1,)),
        "_val": Rec(
            {
                "first": Int(0),
                "outputs": Opt(Arr("f", ("V",))),
                "states": Opt(TupOf(Arr("f", ("L", "V", "H")))),
                "count": Int(0, bind="V"),
                "start": Int(0),
                "u": Arr("f", (None, "I")),
            }
        ),
        "_last_row": Arr("f", (1, "I")),
        "_errors": Arr("f", ("V", None), finite=False),  # NaN: a step not validated
    },
    checks=(_network_checks, _forecaster_checks),
    param_checks=(_rnn_settings,),
)
_RNN_REGRESSOR = ModelSchema(
    params={**_RNN_SETTINGS, "scale": Bool()},
    fitted={
        "n_features_in_": Int(1),
        "_y_1d": Bool(),
        "n_inputs_": Int(1, bind="I"),
        "n_outputs_": Int(1, bind="O"),
        "x_scaler_": Opt(Obj("Standardizer")),
        "y_scaler_": Opt(Obj("Standardizer")),
        "network_": Net(),
        "history_": _TRAIN_HISTORY,
        "best_epoch_": Int(0),
    },
    checks=(_network_checks,),
    param_checks=(_rnn_settings,),
)
_AR_REGRESSOR = ModelSchema(
    params={"alpha": Float(0.0, ints=True), "fit_intercept": Bool()},
    fitted={"n_features_in_": Int(1, bind="F"), "coef_": Arr("f", ("F",)), "intercept_": _F},
    checks=(lambda s: None if s["fit_intercept"] or s["intercept_"] == 0.0 else
            "intercept_: must be 0.0 when fit_intercept=False",),
)
#: the schema of each class that :func:`forecast.save_model` writes
SCHEMAS: dict[str, ModelSchema] = {
    "ARForecaster": _AR,
    "ARRegressor": _AR_REGRESSOR,
    "NaiveForecaster": _NAIVE,
    "RNNForecaster": _RNN_FORECASTER,
    "RNNRegressor": _RNN_REGRESSOR,
}


def check_state(cls: type, state: dict[str, Any]) -> None:
    """Check the decoded ``__dict__`` of a ``cls`` model against its schema.

    Raises
    ------
    SchemaError
        naming the first field that is missing, not in the schema, shadows a method or
        attribute of the class, or has a wrong type, shape, value or relation to others.
    """
    name = cls.__name__
    schema = SCHEMAS[name]
    for key in state:
        if not isinstance(key, str) or hasattr(cls, key):
            raise SchemaError(f"{name}.{key}", "would replace a method or class attribute")
    fitted = [key for key in schema.fitted if key in state]
    fields = {**schema.params, **(schema.fitted if fitted else {})}
    Rec(fields).check(state, name, {})
    for check in schema.param_checks + (schema.checks if fitted else ()):
        problem = check(state)
        if problem:
            field, message = problem.split(": ", 1)
            raise SchemaError(f"{name}.{field}", message)
