"""The predictive distribution of a likelihood RNN forecaster: parameters, paths, quantiles.

Shared by :class:`~forecast.models.rnn.forecaster.RNNForecaster` and the series forecasters
of a :class:`~forecast.models.rnn.global_model.GlobalRNNForecaster` (DeepAR: one network
across series, each series with its own scaler).

With ``likelihood="normal"`` or ``"student_t"`` the network's head gives, at every step, the
raw parameters of the distribution of the next *scaled* increment ``s(r_{t+1})``
(:class:`forecast.nn.NormalNLL`, :class:`forecast.nn.StudentTNLL`: ``mu``, ``sigma`` and, for
the Student-t, ``nu > 2``). Unscaled, the next increment ``r = m + s x`` (``m``, ``s`` the mean
and standard deviation of the training increments) has location ``m + s mu`` and scale
``s sigma`` (:meth:`ProbabilisticForecaster.predictive_parameters`).

*Paths* (:meth:`~ProbabilisticForecaster.sample_paths`) are drawn by ancestral sampling: from
the state at the origin, step 1 is drawn from the head's distribution, fed back as the next
input (a model with covariates ``X`` draws one step: they are not known after the origin),
the network advances
one step and step 2 is drawn from its new head, and so on; the ``n_samples`` paths run as one
batch through the network. The scaled increments are unscaled and integrated to prices as the
point forecast is (``p_{n+h} = p_n exp(r_{n+1} + ... + r_{n+h})`` for log returns).

*Forecasts.* Step 1 is analytic; steps beyond are taken from :data:`PREDICT_SAMPLES` paths
drawn with the fixed seed :data:`PREDICT_SEED` (so ``predict`` and ``predict_interval`` are
deterministic for a fitted model):

* ``predict``: for a **Normal** head the mean of the predictive distribution of the price:
  ``p_n exp(loc + scale^2 / 2)`` for log returns (the mean of a log-normal),
  ``p_n + loc`` for differences, ``loc`` for levels; the mean of the paths beyond step 1.
  For a **Student-t** head the mean of ``exp(r)`` does not exist (the t has no moment
  generating function), so ``predict`` is the **median**: ``p_n exp(loc)`` (``p_n + loc``,
  ``loc``) at step 1, the median of the paths beyond (the same choice for every target);
* ``predict_interval`` and ``predict_quantiles``: the quantiles of the Normal or Student-t
  mapped to prices at step 1 (the maps are increasing), the quantiles of the paths beyond.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.utils.validation import check_is_fitted

from forecast._validation import check_choice, check_float, check_int, check_random_state
from forecast.models.base import check_horizon
from forecast.models.rnn.divergence import DivergenceError
from forecast.nn import (
    LIKELIHOODS,
    NormalNLL,
    RecurrentNetwork,
    StudentTNLL,
    check_quantiles,
    get_likelihood,
    head_size,
)

#: paths drawn for ``predict`` and the intervals beyond step 1
PREDICT_SAMPLES = 1000
#: their seed: a fitted model forecasts the same numbers at every call
PREDICT_SEED = 0
#: a predicted scale below this many ``scale_floor`` s (in standardised units) has collapsed
COLLAPSE_FACTOR = 1e3


def check_scale(
    net: RecurrentNetwork, loss: NormalNLL | StudentTNLL, u: np.ndarray, desc: str
) -> None:
    """Raise DivergenceError if the head's scale over the inputs ``u`` (m, D) has collapsed.

    The scale floor keeps the NLL finite, but a fit whose predicted ``sigma`` (of the
    standardised increments) falls below ``COLLAPSE_FACTOR * scale_floor`` (1e-3: a
    thousandth of the standard deviation of the increments) somewhere over the data claims
    a certainty no price series supports: its intervals would be empty and its NLL runs
    toward the floor's bound. Such weights are not kept.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        sigma = loss.parameters(net.forward(u[:, None])[0][:, 0])[1]
    low = float(np.min(sigma))
    limit = COLLAPSE_FACTOR * loss.scale_floor
    if not low >= limit:
        step = int(np.argmin(np.where(np.isnan(sigma), -np.inf, sigma)))
        raise DivergenceError(
            f"{desc}: the predicted scale of the likelihood collapsed to {low:.3g} (below "
            f"{limit:g} standard deviations of the increments) at input {step}; the model is "
            "left unfitted. Lower the learning rate lr, train fewer epochs or set "
            "likelihood=None"
        )


def check_head(
    net: RecurrentNetwork, likelihood: Any, steps: int = 1
) -> NormalNLL | StudentTNLL | None:
    """The likelihood named ``likelihood`` (None for a point forecaster), checked against the
    width of the head of ``net`` (``steps`` outputs for a direct point head): a ValueError
    names both when they do not fit."""
    loss = None
    if likelihood is not None:
        loss = get_likelihood(check_choice(likelihood, "likelihood", tuple(LIKELIHOODS)))
    width = steps if loss is None else head_size(loss)
    if net.output_size != width:
        raise ValueError(
            f"likelihood={likelihood!r} needs a network whose head gives {width} output(s), "
            f"but the network has {net.output_size}; pass the likelihood the network was "
            "trained with (GlobalRNNForecaster.for_series does)"
        )
    return loss


def head_output(net: RecurrentNetwork, state: tuple[np.ndarray, ...]) -> np.ndarray:
    """The head's raw output ``W h + b`` at the top-layer state ``state[0][-1]``: (B, P)."""
    W, b = net.params["head.weight"], net.params["head.bias"]
    return (state[0][-1] @ W.T + b).astype(np.float64)


def draw(loss: NormalNLL | StudentTNLL, raw: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row of the raw outputs ``raw`` (B, P) from the head's distribution: (B,)."""
    params = loss.parameters(raw)
    if isinstance(loss, StudentTNLL):
        return params[0] + params[1] * rng.standard_t(params[2])
    return params[0] + params[1] * rng.standard_normal(len(raw))


def sample_increments(
    net: RecurrentNetwork,
    loss: NormalNLL | StudentTNLL,
    state: tuple[np.ndarray, ...],
    horizon: int,
    n_samples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Scaled increments of ``n_samples`` ancestral paths from ``state``: (horizon, n_samples).

    ``state`` is the recurrent state at the origin (batch 1); each draw is the next input
    (a model with covariates observed up to the origin draws one step only: they are not
    known after it).
    """
    state = tuple(np.repeat(p, n_samples, axis=1) for p in state)
    raw = head_output(net, state)
    out = np.empty((horizon, n_samples), dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # checked on the prices
        for h in range(horizon):
            out[h] = draw(loss, raw, rng)
            if h + 1 < horizon:
                x = out[h][:, None]
                y_hat, state, _ = net.forward(x.astype(net.dtype)[None], state)
                raw = y_hat[0].astype(np.float64)
    return out


class ProbabilisticForecaster:
    """``sample_paths``, ``predict_quantiles`` and the likelihood forecasts of RNNForecaster.

    With ``likelihood=None`` ``forecast_values`` and ``predict_interval`` are those of the
    next class in the MRO (the point forecaster with conformal intervals).
    """

    def _likelihood_loss(self) -> NormalNLL | StudentTNLL | None:
        name = getattr(self, "likelihood", None)
        return None if name is None else get_likelihood(name)

    def _require_likelihood(self, what: str) -> NormalNLL | StudentTNLL:
        check_is_fitted(self)
        loss = self._likelihood_loss()
        if loss is None:
            raise ValueError(
                f"{what} needs a predictive distribution, but the model has likelihood=None; "
                "refit with likelihood='normal' or likelihood='student_t'"
            )
        return loss

    @property
    def predictive_target(self) -> str:
        """What :meth:`predictive_parameters` gives the distribution of: ``"log_return"``
        (``log(p_{n+1} / p_n)``), ``"diff"`` (``p_{n+1} - p_n``) or ``"level"``
        (``p_{n+1}``)."""
        check_is_fitted(self)
        return self._transform.target

    def predictive_parameters(self) -> dict[str, float]:
        """The distribution of the next increment ``r_{n+1}``, unscaled.

        Returns
        -------
        dict
            ``loc`` and ``scale`` (and ``df`` for a Student-t) of ``log(p_{n+1} / p_n)``
            (``target="log_return"``), ``p_{n+1} - p_n`` (``"diff"``) or ``p_{n+1}``
            (``"level"``): the head's ``mu`` and ``sigma`` times the standard deviation of
            the training increments, plus their mean for ``loc``.
        """
        loss = self._require_likelihood("predictive_parameters")
        params = [float(p[0]) for p in loss.parameters(head_output(self._network, self.state_))]
        scaler = self._transform.target_scaler
        m, s = float(np.squeeze(scaler.mean_)), float(np.squeeze(scaler.scale_))
        out = {"loc": m + s * params[0], "scale": s * params[1]}
        if len(params) == 3:
            out["df"] = params[2]
        return out

    def sample_paths(
        self, horizon: int, n_samples: int = 1000, random_state: Any = None
    ) -> np.ndarray:
        """Price paths drawn from the predictive distribution by ancestral sampling.

        Parameters
        ----------
        horizon : int
        n_samples : int >= 1, default=1000
        random_state : int >= 0, numpy Generator or None
            An int gives the same paths at every call.

        Returns
        -------
        ndarray of shape (n_samples, horizon)
            Prices, path by path (see the module docstring).
        """
        loss = self._require_likelihood("sample_paths")
        horizon = check_horizon(horizon)
        n_samples = check_int(n_samples, "n_samples", min_value=1)
        rng = check_random_state(random_state)
        self._check_steps(horizon)
        r = sample_increments(self._network, loss, self.state_, horizon, n_samples, rng)
        return self._prices(r).T

    def _prices(self, r_scaled: np.ndarray) -> np.ndarray:
        """Prices (h, N) of scaled increments (h, N) from the last price; DivergenceError
        when a price is not finite (or not positive for log returns)."""
        transform = self._transform
        z0 = transform.cumulative(np.array([self._history.values[-1]]))
        with np.errstate(over="ignore", invalid="ignore"):
            z = transform.cumulative_paths(r_scaled, z0)
            prices = np.exp(z) if transform.target == "log_return" else z
        bad = ~np.isfinite(prices) | ((prices <= 0) if transform.target == "log_return" else False)
        if bad.any():
            h = int(np.flatnonzero(bad.any(axis=1))[0])
            raise DivergenceError(
                f"a sampled path at step {h + 1} is {prices[h][bad[h]][0]}: the sampled "
                "increments overflow. Use a shorter horizon, or refit with a lower learning "
                "rate lr"
            )
        return prices

    def _step_one(self, x: np.ndarray) -> np.ndarray:
        """Increments ``x`` of step 1 (unscaled) mapped to prices."""
        last = float(self._history.values[-1])
        target = self._transform.target
        if target == "log_return":
            return last * np.exp(x)
        return last + x if target == "diff" else x

    def _analytic_quantiles(self, levels: tuple[float, ...]) -> np.ndarray:
        p = self.predictive_parameters()
        if "df" in p:
            x = stats.t.ppf(levels, p["df"], loc=p["loc"], scale=p["scale"])
        else:
            x = stats.norm.ppf(levels, loc=p["loc"], scale=p["scale"])
        return self._step_one(np.asarray(x, dtype=np.float64))

    def _forecast_paths(self, horizon: int) -> np.ndarray:
        return self.sample_paths(horizon, PREDICT_SAMPLES, PREDICT_SEED)

    def forecast_values(self, horizon: int, X_known: Any = None) -> np.ndarray:
        """The next ``horizon`` prices (see the module docstring for a likelihood)."""
        loss = self._likelihood_loss()
        if loss is None:
            return super().forecast_values(horizon, X_known)
        check_is_fitted(self)
        horizon = check_horizon(horizon)
        self._known_future(horizon, X_known)  # a likelihood model has none: refuses any
        p = self.predictive_parameters()
        x = p["loc"]
        if isinstance(loss, NormalNLL) and self._transform.target == "log_return":
            x = p["loc"] + 0.5 * p["scale"] ** 2  # the mean of the log-normal
        first = float(self._step_one(np.array([x]))[0])
        if horizon == 1:
            return np.array([first])
        paths = self._forecast_paths(horizon)[:, 1:]
        rest = paths.mean(axis=0) if isinstance(loss, NormalNLL) else np.median(paths, axis=0)
        return np.concatenate([[first], rest])

    def _quantile_values(self, horizon: int, levels: tuple[float, ...]) -> np.ndarray:
        """Quantiles (horizon, Q) at ``levels``: analytic at step 1, of the paths beyond."""
        out = np.empty((horizon, len(levels)), dtype=np.float64)
        out[0] = self._analytic_quantiles(levels)
        if horizon > 1:
            out[1:] = np.quantile(self._forecast_paths(horizon)[:, 1:], levels, axis=0).T
        return out

    def predict_quantiles(
        self, horizon: int, quantiles: Any = (0.05, 0.5, 0.95)
    ) -> pd.DataFrame:
        """Quantiles of the predictive distribution of the next ``horizon`` prices.

        Parameters
        ----------
        horizon : int
        quantiles : sequence of float, default=(0.05, 0.5, 0.95)
            Levels strictly increasing inside (0, 1).

        Returns
        -------
        pandas.DataFrame
            One column per level (float column names, the levels), indexed like
            :meth:`predict`: analytic at step 1, quantiles of :data:`PREDICT_SAMPLES` paths
            beyond.
        """
        self._require_likelihood("predict_quantiles")
        horizon = check_horizon(horizon)
        levels = check_quantiles(quantiles)
        values = self._quantile_values(horizon, levels)
        return pd.DataFrame(
            values, index=self._history.future_index(horizon), columns=list(levels)
        )

    def predict_interval(
        self, horizon: int, coverage: float = 0.95, X_known: Any = None
    ) -> pd.DataFrame:
        """Prediction intervals: with a likelihood, equal-tailed quantiles of the predictive
        distribution (analytic at step 1, of the paths beyond); without, conformal (see
        :meth:`RecurrentForecaster.predict_interval
        <forecast.models.rnn.rollout.RecurrentForecaster.predict_interval>`).

        Returns
        -------
        pandas.DataFrame with columns ["lower", "upper"], indexed like :meth:`predict`.
        """
        if self._likelihood_loss() is None:
            return super().predict_interval(horizon, coverage, X_known)
        check_is_fitted(self)
        horizon = check_horizon(horizon)
        self._known_future(horizon, X_known)
        coverage = check_float(coverage, "coverage", min_value=0.0, max_value=1.0, inclusive=False)
        alpha = 1.0 - coverage
        values = self._quantile_values(horizon, (alpha / 2, 1.0 - alpha / 2))
        index = self._history.future_index(horizon)
        return pd.DataFrame({"lower": values[:, 0], "upper": values[:, 1]}, index=index)
