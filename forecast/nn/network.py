"""A stack of recurrent layers with a linear head, laid out exactly like PyTorch's modules.

Arrays are time-major: inputs ``(T, B, D)``, outputs ``(T, B, O)``, states ``(num_layers, B, H)``
(PyTorch's default ``batch_first=False``). Windows of shape ``(B, T, D)`` go in as
``x.transpose(1, 0, 2)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from forecast._validation import check_choice, check_float, check_int
from forecast.nn import _buffers, gru, lstm, rnn
from forecast.nn._checks import check_array, check_dtype, check_state, shape_mismatch
from forecast.nn._linalg import sum_outer
from forecast.nn.engine import cell_module, resolve_engine

logger = logging.getLogger(__name__)

CELLS: dict[str, ModuleType] = {"rnn": rnn, "lstm": lstm, "gru": gru}
LAYER_PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


@dataclass
class ForwardCache:
    """What ``RecurrentNetwork.backward`` needs from a forward pass.

    Attributes
    ----------
    layers : list of (states, cell cache), one per layer
        ``states`` holds the layer's state sequences, each of shape (T + 1, H, B) with the
        initial state at index 0 (see the cell modules).
    masks : list of ndarray of shape (T, H, B) or None
        The dropout mask applied to each layer's output (None: no dropout there).
    top : ndarray of shape (T, H, B)
        The last layer's output, as seen by the head.
    grad_norms : ndarray of shape (num_layers, T) or None
        Filled by ``backward``: ``||dL/dh_t||`` of every layer at every step, the Frobenius
        norm over hidden units and batch of the total gradient reaching ``h_t``.
    """

    layers: list[tuple[tuple[np.ndarray, ...], tuple]]
    masks: list[np.ndarray | None]
    top: np.ndarray
    grad_norms: np.ndarray | None = None


class RecurrentNetwork:
    """Stacked RNN, LSTM or GRU layers and a linear head, trained by (truncated) BPTT.

    ``y_t = W_head h_t^(L) + b_head``, where ``h_t^(L)`` is the last layer's state. Layer ``k``
    reads the output of layer ``k - 1`` (with dropout between layers in training) and the
    equations, initialisation and parameter layout are PyTorch's ``nn.RNN``/``nn.LSTM``/
    ``nn.GRU`` plus ``nn.Linear``: every recurrent weight and bias is drawn from
    U(-1/sqrt(H), 1/sqrt(H)), the head from U(-1/sqrt(H), 1/sqrt(H)) too (fan-in H).

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    input_size : int
        Features per step, D.
    hidden_size : int
        Units per layer, H.
    num_layers : int, default 1
    output_size : int, default 1
        Outputs per step, O.
    nonlinearity : {"tanh", "relu"}, default "tanh"
        Only for ``cell="rnn"``.
    dropout : float in [0, 1), default 0.0
        Dropout on the output of every layer but the last, in training only.
    forget_bias : float, default 0.0
        Added at initialisation to the input bias of the gate that keeps the old state: the
        LSTM's forget gate f (rows H:2H) and the GRU's update gate z (rows H:2H). 0.0 is
        PyTorch's initialisation; with 1 to 2 the gradient reaches much further back in
        time (Gers et al. 2000, Jozefowicz et al. 2015; see ``tests/test_nn_diagnostics.py``).
        Must be 0 for ``cell="rnn"``.
    dtype : float32 or float64, default float32
    rng : numpy.random.Generator, int or None
        Draws the initial weights and, unless ``forward`` gets its own, the dropout masks.
    engine : {"auto", "numpy", "numba"}, default "auto"
        What runs the recurrent layers: the NumPy reference or numba-compiled kernels
        (``pip install "forecast[fast]"``); "auto" is the ``FORECAST_ENGINE`` environment
        variable when set, else numba when installed, else NumPy (see
        ``forecast.nn.engine``). The engines agree to rounding; weights, dropout masks and
        everything outside the layers are the same.

    Attributes
    ----------
    engine : {"numpy", "numba"}
        The engine that runs (``engine`` resolved).
    params : dict of str to ndarray
        PyTorch's names: ``weight_ih_l{k}`` (G*H, D_k), ``weight_hh_l{k}`` (G*H, H),
        ``bias_ih_l{k}`` and ``bias_hh_l{k}`` (G*H,), ``head.weight`` (O, H), ``head.bias``
        (O,), where G = 1, 4, 3 gates for RNN, LSTM, GRU and D_0 = D, D_k = H above.
        Optimisers update these arrays in place.

    Examples
    --------
    >>> import numpy as np
    >>> net = RecurrentNetwork("lstm", input_size=1, hidden_size=8, rng=0)
    >>> x = np.zeros((30, 4, 1), dtype=np.float32)        # (T, B, D), time-major
    >>> y, state, cache = net.forward(x)
    >>> y.shape, state[0].shape, state[1].shape           # outputs, (h_T, c_T)
    ((30, 4, 1), (1, 4, 8), (1, 4, 8))
    >>> dy = np.zeros_like(y); dy[-1] = 1.0               # many-to-one: loss on the last step
    >>> grads, dstate0 = net.backward(dy, cache)
    >>> sorted(grads) == sorted(net.params)
    True
    """

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        output_size: int = 1,
        *,
        nonlinearity: str = "tanh",
        dropout: float = 0.0,
        forget_bias: float = 0.0,
        dtype: Any = np.float32,
        rng: np.random.Generator | int | None = None,
        engine: str = "auto",
    ) -> None:
        self.cell = check_choice(cell, "cell", tuple(CELLS))
        self.input_size = check_int(input_size, "input_size", min_value=1)
        self.hidden_size = check_int(hidden_size, "hidden_size", min_value=1)
        self.num_layers = check_int(num_layers, "num_layers", min_value=1)
        self.output_size = check_int(output_size, "output_size", min_value=1)
        self.nonlinearity = check_choice(nonlinearity, "nonlinearity", ("tanh", "relu"))
        if cell != "rnn" and nonlinearity != "tanh":
            raise ValueError(
                f"nonlinearity={nonlinearity!r} applies to cell='rnn' only, not {cell!r}"
            )
        self.dropout = check_float(dropout, "dropout", min_value=0.0, max_value=1.0)
        if self.dropout == 1.0:
            raise ValueError("dropout must be < 1, got dropout=1.0")
        self.forget_bias = check_float(forget_bias, "forget_bias")
        if cell == "rnn" and self.forget_bias != 0.0:
            raise ValueError(
                f"forget_bias applies to the gated cells 'lstm' and 'gru', not to 'rnn'; "
                f"got forget_bias={forget_bias}"
            )
        self.dtype = check_dtype(dtype)
        self.rng = np.random.default_rng(rng)
        self.engine = resolve_engine(engine)
        self._cell = cell_module(cell, self.engine)
        self.state_names: tuple[str, ...] = self._cell.STATE_NAMES
        self.shapes = self._parameter_shapes()
        self.params = self._init_params()

    def __repr__(self) -> str:
        return (
            f"RecurrentNetwork({self.cell!r}, input_size={self.input_size}, "
            f"hidden_size={self.hidden_size}, num_layers={self.num_layers}, "
            f"output_size={self.output_size}, dropout={self.dropout}, "
            f"forget_bias={self.forget_bias}, dtype={self.dtype.name}, engine={self.engine!r})"
        )

    def _parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        G, H = self._cell.N_GATES, self.hidden_size
        shapes: dict[str, tuple[int, ...]] = {}
        for k in range(self.num_layers):
            d_in = self.input_size if k == 0 else H
            shapes[f"weight_ih_l{k}"] = (G * H, d_in)
            shapes[f"weight_hh_l{k}"] = (G * H, H)
            shapes[f"bias_ih_l{k}"] = (G * H,)
            shapes[f"bias_hh_l{k}"] = (G * H,)
        shapes["head.weight"] = (self.output_size, H)
        shapes["head.bias"] = (self.output_size,)
        return shapes

    def _init_params(self) -> dict[str, np.ndarray]:
        H = self.hidden_size
        bound = 1.0 / np.sqrt(H)  # PyTorch: U(-1/sqrt(H), 1/sqrt(H))
        params = {
            name: self.rng.uniform(-bound, bound, size=shape).astype(self.dtype)
            for name, shape in self.shapes.items()
        }
        for k in range(self.num_layers):
            params[f"bias_ih_l{k}"][H : 2 * H] += self.forget_bias  # LSTM's f, GRU's z
        return params

    def _layer_params(self, k: int) -> list[np.ndarray]:
        return [self.params[f"{p}_l{k}"] for p in LAYER_PARAMS]

    def init_state(self, batch_size: int) -> tuple[np.ndarray, ...]:
        """Zero state: a tuple with one (num_layers, batch_size, H) array per state part."""
        shape = (self.num_layers, batch_size, self.hidden_size)
        return tuple(np.zeros(shape, dtype=self.dtype) for _ in self.state_names)

    def forward(
        self,
        x: Any,
        state: Any = None,
        *,
        train: bool = False,
        rng: np.random.Generator | None = None,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...], ForwardCache]:
        """Run the network over a batch of sequences.

        Parameters
        ----------
        x : array of shape (T, B, D)
            Time-major input. Floating arrays are cast to the network's dtype.
        state : tuple of arrays of shape (num_layers, B, H), optional
            Initial state: ``(h,)`` for RNN and GRU, ``(h, c)`` for LSTM. None means zeros.
        train : bool, default False
            Apply dropout between layers (when ``dropout > 0``).
        rng : numpy.random.Generator, optional
            Draws the dropout masks; defaults to the network's own generator.

        Returns
        -------
        y : ndarray of shape (T, B, O)
            The head's output at every step.
        state_T : tuple of ndarray of shape (num_layers, B, H)
            The state after the last step, to carry into the next call.
        cache : ForwardCache
            For ``backward``.
        """
        x = check_array(
            x, "x", (None, None, self.input_size), self.dtype, layout="(T, B, D) time-major"
        )
        T, B, _ = x.shape
        state = self._state_or_zeros(state, B, "state")
        inp = x.transpose(0, 2, 1)  # (T, D, B): one column per sequence
        layers, masks = [], []
        for k in range(self.num_layers):
            layer_state = tuple(s[k].T for s in state)
            kwargs = {"nonlinearity": self.nonlinearity} if self.cell == "rnn" else {}
            states, layer_cache = self._cell.forward(
                inp, layer_state, *self._layer_params(k), **kwargs
            )
            layers.append((states, layer_cache))
            out = states[0][1:]  # h_1 .. h_T of this layer, (T, H, B)
            mask = None
            if train and self.dropout > 0 and k < self.num_layers - 1:
                keep = (rng or self.rng).random(out.shape, dtype=self.dtype) >= self.dropout
                mask = keep.astype(self.dtype) / self.dtype.type(1.0 - self.dropout)
                out = out * mask
            masks.append(mask)
            inp = out
        W, b = self.params["head.weight"], self.params["head.bias"]
        y = np.matmul(W, inp)  # y_t = W_head h_t + b_head, (T, O, B)
        y += b[:, None]
        state_T = self._state_at(layers, T)
        cache = ForwardCache(layers=layers, masks=masks, top=inp)
        return np.ascontiguousarray(y.transpose(0, 2, 1)), state_T, cache

    def backward(
        self, dy: Any, cache: ForwardCache, dstate: Any = None
    ) -> tuple[dict[str, np.ndarray], tuple[np.ndarray, ...]]:
        """Backpropagate through time from the gradient of the loss with respect to ``y``.

        Parameters
        ----------
        dy : array of shape (T, B, O)
            ``dL/dy_t``. Steps where it is zero cost nothing in the head; many-to-one is
            ``dy`` zero everywhere but the last step.
        cache : ForwardCache
            From ``forward``. Its ``grad_norms`` is filled in.
        dstate : tuple of arrays of shape (num_layers, B, H), optional
            Gradient with respect to the returned ``state_T`` (from later computations).

        Returns
        -------
        grads : dict of str to ndarray
            Keyed like ``params``.
        dstate_0 : tuple of ndarray of shape (num_layers, B, H)
            Gradient with respect to the initial state.
        """
        top = cache.top
        T, H, B = top.shape
        dy = check_array(
            dy, "dy", (T, B, self.output_size), self.dtype, layout="(T, B, O) time-major"
        )
        if dstate is not None:
            dstate = check_state(
                dstate, "dstate", self.state_names, (self.num_layers, B, H), self.dtype
            )
        dy_cols = dy.transpose(0, 2, 1)  # (T, O, B)
        active = np.any(dy != 0, axis=(1, 2))  # steps that carry a loss
        steps = np.flatnonzero(active)
        W = self.params["head.weight"]
        grads: dict[str, np.ndarray] = {
            "head.weight": sum_outer(dy_cols[steps], top[steps]),  # sum_t dy_t h_t^T
            "head.bias": dy_cols[steps].sum(axis=(0, 2)),
        }
        dh = _buffers.empty(top.shape, top.dtype)  # read only at the active steps
        dh[steps] = np.matmul(W.T, dy_cols[steps])  # dh_t = W_head^T dy_t where there is loss
        dstate_0: list[tuple[np.ndarray, ...]] = []
        norms = []
        for k in reversed(range(self.num_layers)):
            _, layer_cache = cache.layers[k]
            layer_dstate = None if dstate is None else tuple(d[k].T.copy() for d in dstate)
            dx, d0, layer_grads, dh_norms = self._cell.backward(
                dh,
                layer_dstate,
                layer_cache,
                active=active if k == self.num_layers - 1 else None,
            )
            for p in LAYER_PARAMS:
                grads[f"{p}_l{k}"] = layer_grads[p]
            dstate_0.append(d0)
            norms.append(dh_norms)
            if k > 0:
                mask = cache.masks[k - 1]
                dh = dx if mask is None else dx * mask
        cache.grad_norms = np.stack(norms[::-1])
        dstate_0 = dstate_0[::-1]
        d0 = tuple(
            np.stack([layer[j].T for layer in dstate_0]) for j in range(len(self.state_names))
        )
        return {name: grads[name] for name in self.params}, d0

    def state_at(self, cache: ForwardCache, step: int) -> tuple[np.ndarray, ...]:
        """The state after ``step`` steps of the forward pass that made ``cache`` (0: initial).

        Truncated BPTT uses it to carry the state from inside a window to the next window.
        """
        T = len(cache.top)
        step = check_int(step, "step", min_value=0)
        if step > T:
            raise ValueError(f"step must be <= T={T}, got step={step}")
        return self._state_at(cache.layers, step)

    def _state_at(self, layers: list, step: int) -> tuple[np.ndarray, ...]:
        return tuple(
            np.stack([states[j][step].T for states, _ in layers])
            for j in range(len(self.state_names))
        )

    def _state_or_zeros(self, state: Any, B: int, name: str) -> tuple[np.ndarray, ...]:
        if state is None:
            return self.init_state(B)
        shape = (self.num_layers, B, self.hidden_size)
        return check_state(state, name, self.state_names, shape, self.dtype)

    def get_weights(self) -> dict[str, np.ndarray]:
        """Return a copy of the parameters under PyTorch's names.

        A PyTorch model with the same ``state_dict`` keys is a subclass of the matching
        ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (with ``batch_first=False``) that adds
        ``self.head = nn.Linear(H, O)``; then
        ``model.load_state_dict({k: torch.from_numpy(v) for k, v in net.get_weights().items()})``
        and back ``net.set_weights({k: v.numpy() for k, v in model.state_dict().items()})``.
        """
        return {name: value.copy() for name, value in self.params.items()}

    def set_weights(self, weights: Any) -> None:
        """Replace every parameter from a dict keyed like ``params`` (values are copied).

        Raises
        ------
        ValueError
            listing every missing, unexpected and mis-shaped array at once, or naming a
            non-finite value.
        TypeError
            when ``weights`` is not a mapping or an array is not numeric.
        """
        if not hasattr(weights, "keys"):
            raise TypeError(f"weights must be a dict of arrays, got {type(weights).__name__}")
        arrays = {name: np.asarray(weights[name]) for name in weights.keys()}
        problems = shape_mismatch(self.shapes, {name: a.shape for name, a in arrays.items()})
        if problems:
            raise ValueError(f"weights do not fit {self!r}: {problems}")
        for name, shape in self.shapes.items():
            value = arrays[name]
            if not (
                np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.integer)
            ):
                raise TypeError(f"weights[{name!r}] must be numeric, got dtype {value.dtype}")
            check_array(value.astype(np.float64), f"weights[{name!r}]", shape, np.dtype(np.float64))
        for name in self.shapes:
            np.copyto(self.params[name], arrays[name], casting="unsafe")
