"""The checks of the RNN models' files that their schema table cannot state.

Plain functions of a decoded state ``s`` (and the class), as
:mod:`forecast.models.model_schema` runs them: each returns None, or ``"field: message"``
for the first relation that does not hold.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from forecast.models.rnn.settings import check_settings
from forecast.nn.likelihood import get_likelihood, head_size

__all__ = ["forecaster_check", "network_check", "rnn_settings_check"]


def rnn_settings_check(s: dict[str, Any], cls: type) -> str | None:
    """The estimators' own check of their shared parameters."""
    try:
        check_settings(SimpleNamespace(**s))
    except (TypeError, ValueError) as err:
        return f"parameters: {err}"
    return None


def network_check(s: dict[str, Any], cls: type) -> str | None:
    net = s["network_"]
    if not 0 <= s["best_epoch_"] <= len(s["history_"]["train_loss"]):
        return f"best_epoch_: {s['best_epoch_']} is not one of the epochs in history_"
    if (net.cell, net.hidden_size, net.num_layers) != (
        s["cell"],
        s["hidden_size"],
        s["num_layers"],
    ):
        return "network_: its cell and sizes differ from the parameters cell/hidden_size/num_layers"
    if str(np.dtype(net.dtype)) != s["dtype"]:
        return f"network_: dtype {net.dtype} differs from the parameter dtype={s['dtype']!r}"
    return None


def forecaster_check(s: dict[str, Any], cls: type) -> str | None:
    net, features = s["network_"], s["_features"]
    likelihood, n_inputs = s.get("likelihood"), 1 + s["n_exog_"] + s["n_known_"]
    width = s["max_horizon"] if s["strategy"] == "direct" else 1
    width = width if likelihood is None else head_size(get_likelihood(likelihood))
    if net.output_size != width or net.input_size != n_inputs:
        return (
            f"network_: input_size must be 1 + n_exog_ + n_known_ = {n_inputs}, output_size "
            f"{width} (likelihood={likelihood!r}, strategy={s['strategy']!r})"
        )
    if features.target != s["target"] or (s["_exog"] is None) != (s["n_exog_"] == 0):
        return "_features/_exog: do not match the parameter target and n_exog_"
    if (s["_known"] is None) != (s["n_known_"] == 0) or features.n_known != s["n_known_"]:
        return "_features/_known: do not match n_known_"
    if ("val_loss" in s["history_"]) != (s["_val"]["count"] > 0):
        return "history_: has validation losses exactly when a validation tail was held out"
    if (s["state_"] is None) != (s["training"] == "window"):
        return "state_: must be set exactly for training='tbptt'"
    if s["state_"] is not None and len(s["state_"]) != (2 if s["cell"] == "lstm" else 1):
        return f"state_: a {s['cell']} network has {2 if s['cell'] == 'lstm' else 1} states"
    return None
