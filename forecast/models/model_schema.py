"""What the state of each model in a model file may be: keys, types, shapes, values.

One table per class (:data:`SCHEMAS`) lists every attribute a saved model may have: its
parameters (always) and its fitted state (all of it, or none for an unfitted model);
:data:`HELPER_SCHEMAS` does the same for the helper objects a model holds. The entries are
specs of :mod:`forecast.models.schema_specs` (types, value ranges, finiteness, shapes
whose symbols must agree across fields, e.g. ``coef_`` of shape ``("p",)`` with ``order_``
binding ``"p"``). What a table cannot say is said by the ``checks`` of the class, plain
functions of the decoded state: ``len(params_) == trend terms + order_``, the fitted
attributes equal to what the model derives from its least-squares states, the network's
sizes and dtype equal to the estimator's parameters (the RNN ones in
:mod:`forecast.models.rnn.schema_checks`). The RNN parameters also go through the
estimators' own check (:func:`forecast.models.rnn.settings.check_settings`).

No key outside the table is accepted, and none may shadow a method or class attribute
(``predict``). :func:`check_state` raises :class:`SchemaError` naming the first field
that breaks the schema. ``save_model`` checks the same tables, so a model whose state
they do not describe is refused when saved, not when loaded: a new attribute of a model
class needs a line here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from forecast.models._lags import TRENDS, n_trend
from forecast.models.rnn.schema_checks import (
    forecaster_check,
    network_check,
    rnn_settings_check,
)
from forecast.models.rnn.settings import LIKELIHOOD_NAMES, OPTIMIZER_NAMES, TARGETS
from forecast.models.schema_specs import (
    Arr,
    Bool,
    Choice,
    Float,
    Idx,
    Int,
    ListOf,
    MapOf,
    Net,
    Obj,
    OneOf,
    Opt,
    Rec,
    SchemaError,
    Spec,
    Str,
    Tup,
    TupOf,
    short_repr,
)
from forecast.nn.losses import LOSSES
from forecast.nn.network import CELLS

__all__ = ["HELPER_SCHEMAS", "SCHEMAS", "SchemaError", "check_state"]


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
    optional=("_range_ahead", "_tail", "_unit", "_dtype", "_name", "_n_weekend", "_n_daily",
              "_block", "_block_days"),  # label bookkeeping in files saved before issue 13
)
_SCALER_PARAMS = {"with_mean": Bool(), "with_std": Bool()}
_SCALER = OneOf(  # unfitted, or fitted with every fitted attribute
    Rec(_SCALER_PARAMS),
    Rec(
        {
            **_SCALER_PARAMS,
            "n_features_in_": Int(1),
            "n_samples_seen_": Int(1),
            "mean_": OneOf(_F, Arr("f", (None,))),
            "scale_": OneOf(Float(0.0, open_lo=True), Arr("f", (None,))),
        }
    ),
)
_RETURNS = Rec({"n_features_in_": Int(1), "last_value_": Float(0.0, open_lo=True)})
_DIFFERENCER = Rec(
    {"order": Int(1, bind="d"), "n_features_in_": Int(1), "last_values_": Arr("f", ("d",))}
)
_LSTSQ = Rec(
    {
        "z": Arr("f", ("k",)),
        "S": Arr("f", ("k", "k")),
        "coef": Arr("f", ("k",)),
        "nobs": Int(1),
        "ssr": Float(0.0),
    }
)
_FEATURES = Rec(
    {
        "target": Choice(*TARGETS),
        "offset": Int(0, 1),
        "increments": Opt(Obj(LogReturns=_RETURNS, Differencer=_DIFFERENCER)),
        "target_scaler": Obj(Standardizer=_SCALER),
        "exog_scaler": Opt(Obj(Standardizer=_SCALER)),
        "known_scaler": Opt(Obj(Standardizer=_SCALER)),
        "n_known": Int(0),
        "n_inputs": Int(1, bind="I"),
    },
    optional=("known_scaler", "n_known"),  # files written before X_known (issue 16)
)
#: the specs of the helper objects, by class name
HELPER_SCHEMAS: dict[str, Spec] = {
    "SeriesHistory": _HISTORY,
    "QRLeastSquares": _LSTSQ,
    "Standardizer": _SCALER,
    "LogReturns": _RETURNS,
    "Differencer": _DIFFERENCER,
    "TargetTransform": _FEATURES,
}

_RNN_SETTINGS = {
    "cell": Choice(*CELLS),
    "hidden_size": Int(1, bind="H"),
    "num_layers": Int(1, bind="L"),
    "epochs": Int(1),
    "batch_size": Int(1),
    "lr": Float(0.0, open_lo=True, ints=True),
    "lr_schedule": Opt(Str()),  # its parameters are checked by rnn_settings_check
    "lr_schedule_params": Opt(MapOf(Str(), OneOf(Float(ints=True), Str()))),
    "optimizer": Choice(*OPTIMIZER_NAMES),
    "clip_norm": Opt(Float(0.0, open_lo=True, ints=True)),
    "loss": Choice(*LOSSES),
    "dtype": Choice("float32", "float64"),
    "engine": Choice("auto", "numpy", "numba"),
    "validation_fraction": Float(0.0, 1.0, ints=True),
    "patience": Opt(Int(1)),
    "warm_start": Bool(),
    "random_state": Opt(Int(0)),
    "verbose": Bool(),
}
#: files written before issue 16 trained at a constant learning rate
_SCHEDULE_ADDED = {"lr_schedule": None, "lr_schedule_params": None}
_TRAIN_HISTORY = Rec(
    {
        key: ListOf(Float(finite=False, nan=True), "E")
        for key in ("train_loss", "grad_norm", "val_loss")
    },
    optional=("val_loss",),
)


class ModelSchema:
    """Parameters, fitted state (all present or all absent) and cross-field checks.

    ``added`` maps the parameters added after files of the class were written to the
    default they take when a file lacks them (``added_fitted``: fitted attributes).
    """

    def __init__(
        self,
        params: dict[str, Spec],
        fitted: dict[str, Spec],
        checks: tuple[Callable[[dict[str, Any], type], str | None], ...] = (),
        param_checks: tuple[Callable[[dict[str, Any], type], str | None], ...] = (),
        added: dict[str, Any] | None = None,
        added_fitted: dict[str, Any] | None = None,
    ) -> None:
        self.params, self.fitted, self.checks = params, fitted, checks
        self.param_checks = param_checks
        self.added = added or {}
        self.added_fitted = added_fitted or {}


def _ar_checks(s: dict[str, Any], cls: type) -> str | None:
    p, n_cov = s["order_"], s["n_exog_"] + s["n_known_"]
    k = n_trend(s["_trend"]) + p + n_cov
    if s["_trend"] != s["trend"] or s["_direct"] != (s["strategy"] == "direct"):
        return "_trend/_direct: do not match the parameters trend and strategy"
    if not isinstance(s["order"], str) and s["order_"] != s["order"]:
        return f"order_: {s['order_']} differs from the parameter order={s['order']}"
    hold_back = max(p, 1 if s["n_exog_"] else 0) if s["hold_back"] is None else s["hold_back"]
    if s["hold_back_"] != hold_back:
        return f"hold_back_: {s['hold_back_']} differs from the {hold_back} fit would use"
    ics = s["ics_"]
    if (ics is None) != (not isinstance(s["order"], str)):
        return "ics_: must be set exactly when the order was selected ('aic' or 'bic')"
    if ics is not None and (
        list(ics) != list(range(s["max_order"] + 1)) or min(ics, key=ics.get) != p
    ):
        return f"ics_: must map 0..max_order to criteria whose minimum is at order_={p}"
    if s["coef_"].shape != (p,) or s["params_"].shape != (k,) or k == 0:
        return f"coef_: needs order_={p} and params_ {k} values (order_ + trend + covariates)"
    cov = s["_cov"]
    shape = (0, True) if cov is None else (cov.shape[1], len(cov) >= len(s["_history"]))
    if shape != (n_cov, True):
        return f"_cov: must hold n_exog_ + n_known_ = {n_cov} columns, a row per observation"
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


def _ar_derived(s: dict[str, Any], cls: type) -> str | None:
    """The fitted attributes equal what the model derives from its least-squares states."""
    twin = cls.__new__(cls)  # the class the file names, resolved by the caller
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
            return f"{key}: {short_repr(saved)} is not what the model derives from its state"
    return None


def _naive_checks(s: dict[str, Any], cls: type) -> str | None:
    sp = s["sp"] if s["strategy"] == "seasonal_last" else 1
    if s["_strategy"] != s["strategy"] or s["_sp"] != sp:
        return "_strategy/_sp: do not match the parameters strategy and sp"
    if s["nobs_"] > s["_history"].values.size:
        return f"nobs_: {s['nobs_']} is more than the {len(s['_history'].values)} observations"
    return None


_AR = ModelSchema(
    params={
        "order": OneOf(Int(0), Choice("aic", "bic")),
        "trend": Choice(*TRENDS),
        "max_order": Int(0),
        "hold_back": Opt(Int(0)),
        "strategy": Choice("recursive", "direct"),
        "max_horizon": Int(1),
        "window": Opt(Int(2)),
    },
    fitted={
        "order_": Int(0, bind="p"),
        "n_exog_": Int(0),
        "n_known_": Int(0),
        "_cov": Opt(Arr("f", (None, None))),
        "_lo": Int(0),
        "_loss": Float(0.0),
        "n_refactorizations_": Int(0),
        "hold_back_": Int(0),
        "ics_": Opt(MapOf(Int(0), Float(finite=False))),
        "_trend": Choice(*TRENDS),
        "_direct": Bool(),
        "_lags": Arr("i", ("p",)),
        "_history": Obj(SeriesHistory=_HISTORY),
        "_models": ListOf(Tup(Arr("i", ("p",)), Obj(QRLeastSquares=_LSTSQ)), "h"),
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
    added={"window": None},  # files written before issue 16
    added_fitted=dict(n_exog_=0, n_known_=0, _cov=None, _lo=0, _loss=0.0, n_refactorizations_=0),
)
_NAIVE = ModelSchema(
    params={"strategy": Choice("last", "mean", "drift", "seasonal_last"), "sp": Int(1)},
    fitted={
        "_strategy": Choice("last", "mean", "drift", "seasonal_last"),
        "_sp": Int(1),
        "_history": Obj(SeriesHistory=_HISTORY),
        "nobs_": Int(1),
        "mean_": _F,
        "drift_": _F,
        "sigma2_": Float(0.0),
        "_moments": Opt(Arr("f", (8,))),
    },
    checks=(_naive_checks,), added_fitted={"_moments": None},  # None: recomputed at refits
)
_RNN_FORECASTER = ModelSchema(
    params={
        **_RNN_SETTINGS,
        "training": Choice("tbptt", "window"),
        "window": Int(1, bind="W"),
        "k1": Int(1),
        "k2": Opt(Int(1)),
        "target": Choice(*TARGETS),
        "likelihood": Opt(Choice(*LIKELIHOOD_NAMES)),
        "strategy": Choice("recursive", "direct"),
        "max_horizon": Int(1),
    },
    fitted={
        "_history": Obj(SeriesHistory=_HISTORY),
        "_exog": Opt(ListOf(Arr("f", (None, "X")))),
        "_known": Opt(ListOf(Arr("f", (None, "Q")))),
        "n_known_": Int(0),
        "_features": Obj(TargetTransform=_FEATURES),
        "network_": Net(),
        "n_streams_": Int(0),
        "n_exog_": Int(0),
        "history_": _TRAIN_HISTORY,
        "best_epoch_": Int(0),
        "state_": Opt(TupOf(Arr("f", ("L", 1, "H")))),
        "window_": Opt(Arr("f", ("W", "I"))),
        "_last_output": Arr("f", (None,)),  # empty while the last input is pending
        "_val": Rec(
            {
                "first": Int(0),
                "outputs": Opt(OneOf(Arr("f", ("V",)), Arr("f", ("V", None)))),
                "states": Opt(TupOf(Arr("f", ("L", "V", "H")))),
                "count": Int(0, bind="V"),
                "start": Int(0),
                "u": Arr("f", (None, "I")),
            }
        ),
        "_last_row": Arr("f", (1, "I")),
        "_errors": Arr("f", ("V", None), finite=False),  # NaN: a step not validated
    },
    checks=(network_check, forecaster_check),
    param_checks=(rnn_settings_check,),
    # files written before issue 14: point forecasters; before 16: no schedule, recursive,
    # no X_known; before 18: engine auto
    added={"likelihood": None, "strategy": "recursive", "max_horizon": 20, **_SCHEDULE_ADDED,
           "engine": "auto"},
    added_fitted={"_known": None, "n_known_": 0},
)
_RNN_REGRESSOR = ModelSchema(
    params={**_RNN_SETTINGS, "scale": Bool()},
    fitted={
        "n_features_in_": Int(1),
        "_y_1d": Bool(),
        "n_inputs_": Int(1, bind="I"),
        "n_outputs_": Int(1, bind="O"),
        "x_scaler_": Opt(Obj(Standardizer=_SCALER)),
        "y_scaler_": Opt(Obj(Standardizer=_SCALER)),
        "network_": Net(),
        "history_": _TRAIN_HISTORY,
        "best_epoch_": Int(0),
    },
    checks=(network_check,),
    param_checks=(rnn_settings_check,),
    added={**_SCHEDULE_ADDED, "engine": "auto"},  # files written before issues 16 and 18
)
_AR_REGRESSOR = ModelSchema(
    params={"alpha": Float(0.0, ints=True), "fit_intercept": Bool()},
    fitted={"n_features_in_": Int(1, bind="F"), "coef_": Arr("f", ("F",)), "intercept_": _F},
    checks=(
        lambda s, cls: (
            None
            if s["fit_intercept"] or s["intercept_"] == 0.0
            else "intercept_: must be 0.0 when fit_intercept=False"
        ),
    ),
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

    A parameter of the schema's ``added`` that ``state`` lacks (a file written before it
    existed) is set to its default in ``state``.

    Raises
    ------
    SchemaError
        naming the first field that is missing, not in the schema, shadows a method or
        attribute of the class, or has a wrong type, shape, value or relation to others.
    """
    name = cls.__name__
    schema = SCHEMAS[name]
    for key, default in schema.added.items():
        state.setdefault(key, default)
    for key in state:
        if not isinstance(key, str) or hasattr(cls, key):
            raise SchemaError(f"{name}.{key}", "would replace a method or class attribute")
    fitted = [key for key in schema.fitted if key in state]
    for key, default in schema.added_fitted.items() if fitted else ():
        state.setdefault(key, default)
    fields = {**schema.params, **(schema.fitted if fitted else {})}
    Rec(fields).check(state, name, {})
    for check in schema.param_checks + (schema.checks if fitted else ()):
        problem = check(state, cls)
        if problem:
            field, message = problem.split(": ", 1)
            raise SchemaError(f"{name}.{field}", message)
