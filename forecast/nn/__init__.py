"""The recurrent engine: RNN, LSTM and GRU with exact BPTT and truncated BPTT(k1, k2).

Every array is time-major, ``(T, B, D)``: steps, batch, features (PyTorch's default
``batch_first=False``); windows of shape ``(B, T, D)`` go in as ``x.transpose(1, 0, 2)``.
Equations, initialisation and parameter names are PyTorch's, so weights move both ways through
``get_weights``/``set_weights`` and a torch ``state_dict``. float32 by default, float64 on
request; all randomness comes from the Generator (or seed) passed in.

The API::

    RecurrentNetwork(cell, input_size, hidden_size, num_layers=1, output_size=1, *,
                     nonlinearity="tanh", dropout=0.0, forget_bias=0.0, dtype=np.float32,
                     rng=None, engine="auto")
        .params                                   dict: weight_ih_l0, ..., head.weight, head.bias
        .forward(x, state=None, *, train=False, rng=None) -> (y, state_T, cache)
        .backward(dy, cache, dstate=None)         -> (grads, dstate_0); fills cache.grad_norms
        .state_at(cache, step)                    -> state after `step` steps of that forward
        .init_state(batch_size), .get_weights(), .set_weights(weights)

    bptt(net, x, y, loss="mse", *, state=None, train=True, rng=None)
        -> BPTTResult(loss, grads, state, cache)       full BPTT; y covers the last k steps
    bptt_step(net, x, y, *, optimizer, loss="mse", clip_norm=None, state=None, ...)
        -> StepResult(loss, grad_norm, state)          bptt + clipping + optimiser update
    train_tbptt(net, x, y, *, k1, k2, optimizer, loss="mse", clip_norm=None, state=None, ...)
        -> TBPTTResult(losses, grad_norms, state)      truncated BPTT(k1, k2) over streams
    tbptt_windows(n_steps, k1, k2)                     the (start, loss_start, stop, carry) plan

    SGD(lr, *, momentum, nesterov, weight_decay), Adam(lr, *, betas, eps, weight_decay,
        decoupled_weight_decay), AdamW(...), make_optimizer(name, **kwargs)
        .step(params, grads)                      in place
    clip_grad_norm(grads, max_norm) -> norm before clipping;  global_norm(grads)
    StepLR(opt, step_size, gamma), CosineAnnealingLR(opt, T_max, eta_min),
        ReduceLROnPlateau(opt, mode, factor, patience, ...), make_schedule(name, opt, **kw)
        .step(metric=None)                        after each epoch: sets opt.lr (torch's rules)
    mse, mae, huber (pred, target) -> (value, dpred);  get_loss(name_or_callable)
    binary_cross_entropy ("bce"), cross_entropy (logits, labels) -> (value, dlogits);
        softmax(logits, temperature), sample_softmax(logits, temperature, rng)
    NormalNLL(scale_floor), StudentTNLL(scale_floor, df_floor), PinballLoss(quantiles)
        (raw (..., P), target (..., 1)) -> (value, draw); .n_outputs = P;  .parameters(raw)
    get_likelihood("normal" | "student_t", **floors);  head_size(loss, target_size=1),
        target_size(loss, output_size)           the head width a loss needs, and back
    NonFiniteError                            a NaN or inf in an input, state, weight or
                                              gradient (a ValueError)

Engines (``engine``): the layers run on NumPy (``rnn``, ``lstm``, ``gru``, the readable
reference) or as numba-compiled kernels (``kernels``, with ``pip install "forecast[fast]"``);
"auto" picks numba when it is installed unless ``FORECAST_ENGINE`` says otherwise
(``forecast.nn.engine``). The engines agree to rounding.

Modules: ``rnn``, ``lstm``, ``gru`` (one layer's forward and backward over a sequence, side by
side, equations in comments; inside a layer each step works on column vectors ``(D, B)``),
``network`` (stacking, dropout, head, weights), ``bptt``, ``optim``, ``schedules``, ``losses``,
``likelihood`` (Normal and Student-t NLL heads, pinball loss), ``classification`` (sigmoid and
softmax heads: cross-entropy of logits, softmax sampling); private helpers ``_linalg``
(the layout inside a layer, the step as one product ``W z_t`` and its backward over time,
BLAS threading), ``_buffers`` (work arrays reused between calls) and ``_checks`` (input
validation).

Speed (``benchmarks/bench_rnn.py``): one product ``W [h_{t-1}; x_t; 1]`` per step with the
gates stacked (input projection, recurrence and biases together), activations in place,
sigmoid and tanh through one ``exp``, the weight gradient ``sum_t da_t z_t^T`` accumulated
while ``da_t`` is in cache, small per-step work arrays reused, BLAS on one thread inside the
time loops, and the per-sequence storage reused between calls.

Gradient-flow diagnostics: after ``backward``, ``cache.grad_norms[k, t]`` is ||dL/dh_t|| for
layer k, the norm over batch and units of the total gradient reaching the state at step t.
Plotted against t it shows gradients vanishing (or exploding) as they flow back in time.
"""

from forecast.nn._checks import NonFiniteError
from forecast.nn.bptt import (
    BPTTResult,
    StepResult,
    TBPTTResult,
    bptt,
    bptt_step,
    tbptt_windows,
    train_tbptt,
)
from forecast.nn.classification import (
    CLASSIFICATION_LOSSES,
    binary_cross_entropy,
    cross_entropy,
    log_softmax,
    sample_softmax,
    softmax,
)
from forecast.nn.likelihood import (
    LIKELIHOODS,
    NormalNLL,
    PinballLoss,
    StudentTNLL,
    check_quantiles,
    get_likelihood,
    head_size,
    target_size,
)
from forecast.nn.losses import LOSSES, get_loss, huber, mae, mse
from forecast.nn.network import CELLS, ForwardCache, RecurrentNetwork
from forecast.nn.optim import (
    OPTIMIZERS,
    SGD,
    Adam,
    AdamW,
    clip_grad_norm,
    global_norm,
    make_optimizer,
)
from forecast.nn.schedules import (
    SCHEDULES,
    CosineAnnealingLR,
    ReduceLROnPlateau,
    StepLR,
    make_schedule,
)

__all__ = [
    "CELLS",
    "LOSSES",
    "NonFiniteError",
    "OPTIMIZERS",
    "SGD",
    "Adam",
    "AdamW",
    "BPTTResult",
    "ForwardCache",
    "RecurrentNetwork",
    "StepResult",
    "TBPTTResult",
    "bptt",
    "bptt_step",
    "clip_grad_norm",
    "get_loss",
    "global_norm",
    "huber",
    "mae",
    "make_optimizer",
    "mse",
    "tbptt_windows",
    "train_tbptt",
    "LIKELIHOODS",
    "NormalNLL",
    "PinballLoss",
    "StudentTNLL",
    "check_quantiles",
    "get_likelihood",
    "head_size",
    "target_size",
    "CLASSIFICATION_LOSSES",
    "binary_cross_entropy",
    "cross_entropy",
    "log_softmax",
    "sample_softmax",
    "softmax",
    "SCHEDULES",
    "CosineAnnealingLR",
    "ReduceLROnPlateau",
    "StepLR",
    "make_schedule",
]
