"""The forecasters of ``forecast compare --models`` (and of ``--direction``), and their default
refit schedule."""

from __future__ import annotations

import argparse
import logging
from typing import Any

import pandas as pd

from forecast.cli.parser import (
    AR_MAX_ORDER,
    AR_REFIT_EVERY,
    DEFAULT_HIDDEN,
    DIRECTION_WINDOW,
    LOGISTIC_REFIT_EVERY,
    RNN_REFIT_EVERY,
    CommandError,
)

logger = logging.getLogger(__name__)

#: display names of the recurrent ``--models`` entries
RNN_NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def build_models(
    args: argparse.Namespace, y_train: pd.Series | None
) -> tuple[dict[str, Any], dict[str, int | None]]:
    """The forecasters named by ``--models`` and their default refit schedule.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed ``compare`` arguments (``--models``, ``--epochs``, ``--seed``).
    y_train : pandas.Series or None
        One series: its training part, on which ``ar`` selects tau by AIC (up to
        ``AR_MAX_ORDER``) once, giving ``AR(tau)``. None (many series): ``ar`` is
        ``AR(AIC)``, selecting tau when it is first fitted on each series' training part.

    Returns
    -------
    models : dict of str to forecaster
        Display name -> unfitted forecaster, in ``--models`` order.
    refit : dict of str to int or None
        Display name -> refit every N origins: AR and drift 1, the RNNs 125.
    """
    models: dict[str, Any] = {}
    refit: dict[str, int | None] = {}
    for key in args.models:
        if key == "naive":
            from forecast import NaiveForecaster

            models["Drift"], refit["Drift"] = NaiveForecaster(strategy="drift"), AR_REFIT_EVERY
        elif key == "ar":
            name, ar = _ar(y_train)
            models[name], refit[name] = ar, AR_REFIT_EVERY
        else:
            name = RNN_NAMES[key]
            models[name], refit[name] = rnn_forecaster(key, args), RNN_REFIT_EVERY
    return models, refit


def _ar(y_train: pd.Series | None) -> tuple[str, Any]:
    """``ar``: AR(tau) with tau chosen by AIC on ``y_train``, or per series when None."""
    from forecast import ARForecaster

    if y_train is None:
        return "AR(AIC)", ARForecaster(order="aic", max_order=AR_MAX_ORDER)
    selector = ARForecaster(order="aic", max_order=AR_MAX_ORDER).fit(y_train)
    logger.info("AIC selected tau=%d on the training part", selector.order_)
    return f"AR({selector.order_})", ARForecaster(order=selector.order_)


def rnn_forecaster(cell: str, args: argparse.Namespace) -> Any:
    """The RNNForecaster of ``--models`` entry ``cell`` with ``--epochs`` and ``--seed``."""
    try:
        from forecast import RNNForecaster
    except ImportError as err:
        raise CommandError(
            f"model {cell!r} needs RNNForecaster, which is not available "
            f"({err}); use --models naive,ar"
        ) from None
    return RNNForecaster(
        cell=cell, hidden_size=DEFAULT_HIDDEN, epochs=args.epochs, random_state=args.seed
    )


def build_direction_models(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, int]]:
    """The forecasters of P(up) named by ``--direction`` and their refit schedule.

    ``ar`` is the logistic AR(DIRECTION_WINDOW) (standardised returns, refit every
    LOGISTIC_REFIT_EVERY origins); ``rnn``, ``lstm``, ``gru`` are RNNClassifiers on the same
    windows with ``--epochs`` and ``--seed`` (refit every RNN_REFIT_EVERY origins).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from forecast import DirectionForecaster

    models: dict[str, Any] = {}
    refit: dict[str, int] = {}
    for key in args.direction:
        if key == "naive":
            raise CommandError("forecast compare: --direction has no 'naive' model: the base "
                               "rate, its naive forecast, is always included; use ar, rnn, "
                               "lstm or gru")
        if key == "ar":
            name = f"Logistic AR({DIRECTION_WINDOW})"
            classifier: Any = make_pipeline(StandardScaler(), LogisticRegression())
            refit[name] = LOGISTIC_REFIT_EVERY
        else:
            name = f"{RNN_NAMES[key]} classifier"
            classifier, refit[name] = rnn_classifier(key, args), RNN_REFIT_EVERY
        models[name] = DirectionForecaster(classifier, window=DIRECTION_WINDOW)
    return models, refit


def rnn_classifier(cell: str, args: argparse.Namespace) -> Any:
    """The RNNClassifier of ``--direction`` entry ``cell`` with ``--epochs`` and ``--seed``."""
    try:
        from forecast import RNNClassifier
    except ImportError as err:
        raise CommandError(
            f"forecast compare: --direction model {cell!r} needs RNNClassifier, which is not "
            f"available ({err}); use --direction ar"
        ) from None
    return RNNClassifier(
        cell=cell, hidden_size=DEFAULT_HIDDEN, epochs=args.epochs, random_state=args.seed
    )
