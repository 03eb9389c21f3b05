"""What a usable fit of an RNN model is, and what a user gets when training does not reach one.

A fit of :class:`~forecast.models.rnn.forecaster.RNNForecaster`,
:class:`~forecast.models.rnn.global_model.GlobalRNNForecaster` or
:class:`~forecast.models.rnn.regressor.RNNRegressor` is **usable** when

1. its training loss is finite and below the *usable limit*, :data:`USABLE_FACTOR` = 2
   times the larger of

   * the loss of predicting zero for every training target in the model's scaled target
     space (the *zero baseline*): for the forecasters a scaled increment of 0, i.e. the
     mean increment of the training part (a random walk with drift); for RNNRegressor a
     (scaled) target of 0, and
   * the training loss of the network's initial weights.

   A diverged network is far above it (an LSTM at ``lr=1e3`` on 1500 S&P 500 closes:
   a loss of 9.4e6 against a zero baseline of 0.985). The tolerance is there because a network
   that is merely undertrained starts, and may stay for a few epochs, slightly *above*
   the zero baseline: its random initial outputs add their own variance. On the S&P 500
   and MSFT closes, fits with 2 to 30 epochs measured 1.00 to 1.21 times the zero
   baseline, which is a weak model, not a diverged one;
   The loss an epoch reports is the mean over its updates, each measured before its
   update, so the weights finally kept are measured again themselves;
2. its validation loss, when there is a validation tail, is finite;
3. its weights are finite;
4. what its forecasts are made of (the state and output at the origin, the residuals of the
   intervals) is finite.

Training keeps the weights of the best usable epoch (by validation loss; the last usable
one without validation). When training diverges on the way (a NaN or inf loss, or a last
epoch above the usable limit) but an earlier epoch was usable, those weights are kept and
a :class:`DivergenceWarning` names the numbers. When no epoch is usable, ``fit`` raises
:class:`DivergenceError` and the estimator is left **unfitted**, also when it had been
fitted before (its previous model is removed, not kept for data it was not fitted on).

After a usable fit, ``predict``, ``predict_interval`` and ``update`` still check what they
return: a recursive forecast can overflow over a long horizon (``exp`` of a huge log
return). Such a value is never returned: :class:`DivergenceError` names the step.

``RNNRegressor.partial_fit`` runs one epoch: its new weights must be usable on the batch
it trained on (below twice the larger of the zero baseline and the loss before the call),
or it raises, restoring the weights from before the call (a first call: unfitted).

A series whose training targets are all equal (a constant price, or a constant growth
rate) has nothing to learn and a zero baseline that no fit can beat: the network is not
trained, its output head is set to zero, so the forecast continues the constant increment
exactly (a constant series is forecast constant, inside an interval of zero width) and a
warning is logged. The global model refuses such a series by name instead (the shared
network would add its drift to it). Intervals always contain their point forecast.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from forecast.nn import RecurrentNetwork, get_loss, head_size

__all__ = ["USABLE_FACTOR", "DivergenceError", "DivergenceWarning", "check_finite_values"]

#: a usable training loss is below this many times max(zero baseline, initial loss)
USABLE_FACTOR = 2.0


class DivergenceError(FloatingPointError, ValueError):
    """Training reached no usable fit, or a forecast is not a finite number.

    A ``ValueError`` (the settings, typically ``lr``, do not suit the data) and, as
    before, a ``FloatingPointError``. After a failed ``fit`` the estimator is unfitted;
    ``error.result`` holds the :class:`~forecast.models.rnn.training.TrainingResult` of the
    attempt (the per-epoch history) when it comes from training.
    """


class DivergenceWarning(ConvergenceWarning):
    """Training diverged after a usable epoch; the weights of the best usable epoch are kept."""


def check_finite_values(values: np.ndarray, what: str, hint: str = "") -> np.ndarray:
    """Return ``values`` if every one is finite; otherwise raise :class:`DivergenceError`.

    ``what`` says what the values are (e.g. ``"RNNForecaster.update: the network output"``);
    the message counts the non-finite values and gives the first, then ``hint``.
    """
    finite = np.isfinite(values)
    if not finite.all():
        first = np.asarray(values)[~finite].reshape(-1)[0]
        raise DivergenceError(
            f"{what} is not finite: {np.count_nonzero(~finite)} of {finite.size} value(s) "
            f"are NaN or inf, the first is {first}{hint}"
        )
    return values


def usable_limit(baseline: float, initial: float) -> float:
    """The training loss a usable fit stays below: ``USABLE_FACTOR * max(baseline, initial)``.

    ``baseline`` is the loss of predicting zero, ``initial`` the loss of the initial weights.
    """
    return USABLE_FACTOR * max(baseline, initial)


def zero_baseline(loss: Any, targets: np.ndarray, width: int | None = None) -> float:
    """The loss of predicting 0 for every one of ``targets``: a usable fit is below it.

    For a distributional loss (a likelihood head of ``head_size(loss)`` raw outputs) the
    prediction is a raw output of 0 for every parameter. ``width`` is the head's number of
    outputs when the loss cannot tell it (a softmax head of K classes under
    ``"cross_entropy"``: zero logits, the log loss ``log K`` of uniform probabilities).
    """
    loss_fn = get_loss(loss)
    width = head_size(loss_fn, targets.shape[-1]) if width is None else width
    return float(loss_fn(np.zeros(targets.shape[:-1] + (width,), targets.dtype), targets)[0])


def zero_output(net: RecurrentNetwork) -> None:
    """Set the output head of ``net`` to zero, so that it predicts 0 whatever its input.

    The fit of a model whose training targets are all 0 (a constant series): nothing can
    beat the zero baseline, and nothing is trained.
    """
    for name, value in net.params.items():
        if name.startswith("head."):
            value[...] = 0.0


def forget_fit(est: Any) -> None:
    """Make ``est`` unfitted: remove every attribute but its constructor parameters.

    What a failed ``fit`` leaves, also on an estimator fitted before: nothing that
    ``predict`` could use for data it was not fitted on.
    """
    params = est.get_params(deep=False)
    for key in list(vars(est)):
        if key not in params:
            delattr(est, key)


@contextmanager
def unfitted_on_error(est: Any) -> Iterator[None]:
    """Run a fit of ``est``; on a ValueError (a :class:`DivergenceError` included, or scaled
    data that overflow) :func:`forget_fit` it and raise the error again."""
    try:
        yield
    except ValueError:
        forget_fit(est)  # unfitted, also if fitted before: no model for data it was not fitted on
        raise
