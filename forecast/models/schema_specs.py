"""The small language in which :mod:`forecast.models.model_schema` states model files.

A spec checks one decoded value and raises :class:`SchemaError` naming the field:
``Int(lo, hi, bind)``, ``Float(lo, hi, finite, nan, ints)``, ``Bool()``, ``Choice(*values)``,
``Str()``, ``Arr(kinds, shape, finite)``, ``Opt(spec)`` (also ``None``), ``OneOf(*specs)``,
``Tup(*specs)``, ``ListOf(spec, n)``, ``TupOf(spec, n)``, ``Rec({key: spec}, optional)`` (a
dict or ``__dict__`` with exactly these str keys), ``MapOf(key, value)``,
``Obj(Name=spec, ...)`` (a helper object of one of these classes), ``Idx(n)`` (a pandas
Index of integers or tz-naive datetimes) and ``Net()`` (a recurrent network).

A shape is a tuple of ints, symbols (str) and ``None`` (any length). A symbol is bound the
first time it is met (by a shape, a list length, or ``Int(bind=...)``) and must agree
everywhere after: ``coef_`` of shape ``("p",)`` has ``order_`` elements when ``order_`` binds
``"p"``. Fitted floats must be floats (``1`` is not a valid ``sigma2_``); ``ints=True`` lets
an int through where a parameter may be one.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd

from forecast.nn import RecurrentNetwork

__all__ = [
    "Arr",
    "Bool",
    "Choice",
    "Float",
    "Idx",
    "Int",
    "ListOf",
    "MapOf",
    "Net",
    "Obj",
    "OneOf",
    "Opt",
    "Rec",
    "SchemaError",
    "Spec",
    "Str",
    "Tup",
    "TupOf",
    "short_repr",
]


class SchemaError(ValueError):
    """A decoded model state that breaks its schema; ``field`` says where."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"field {field}: {message}")
        self.field = field


def short_repr(value: Any) -> str:
    """``repr(value)`` cut to 60 characters, for messages."""
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
            raise SchemaError(field, f"must be an integer, got {short_repr(value)}")
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
            raise SchemaError(field, f"must be a float, got {short_repr(value)}")
        if (self.finite and not np.isfinite(value)) or (np.isnan(value) and not self.nan):
            raise SchemaError(
                field, f"must be {'finite' if self.finite else 'a number'}, got {value}"
            )
        low = self.lo is not None and (value <= self.lo if self.open_lo else value < self.lo)
        if low or (self.hi is not None and value > self.hi):
            bracket = "(" if self.open_lo else "["
            raise SchemaError(field, f"must lie in {bracket}{self.lo}, {self.hi}], got {value}")


class Bool(Spec):
    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise SchemaError(field, f"must be True or False, got {short_repr(value)}")


class Choice(Spec):
    def __init__(self, *choices: Any) -> None:
        self.choices = choices

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        if not isinstance(value, str) or value not in self.choices:
            raise SchemaError(field, f"must be one of {self.choices}, got {short_repr(value)}")


class Str(Spec):
    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        if not isinstance(value, str):
            raise SchemaError(field, f"must be a string, got {short_repr(value)}")


class Arr(Spec):
    """An ndarray of a dtype kind in ``kinds`` ("f" float, "i" int, "M" datetime, ...)."""

    def __init__(self, kinds: str, shape: tuple, *, finite: bool = True) -> None:
        self.kinds, self.shape, self.finite = kinds, shape, finite

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        if not isinstance(value, np.ndarray) or value.dtype.kind not in self.kinds:
            got = f"dtype {value.dtype}" if isinstance(value, np.ndarray) else short_repr(value)
            raise SchemaError(field, f"must be an array of kind {self.kinds!r}, got {got}")
        if value.ndim != len(self.shape):
            raise SchemaError(field, f"must have {len(self.shape)} dimensions, got {value.shape}")
        for size, want in zip(value.shape, self.shape, strict=True):
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
            raise SchemaError(
                field, f"must be a tuple of {len(self.specs)}, got {short_repr(value)}"
            )
        for i, (item, spec) in enumerate(zip(value, self.specs, strict=True)):
            spec.check(item, f"{field}[{i}]", dims)


class ListOf(Spec):
    def __init__(self, spec: Spec, n: str = "", kind: type = list) -> None:
        self.spec, self.n, self.kind = spec, n, kind

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        if not isinstance(value, self.kind):
            raise SchemaError(field, f"must be a {self.kind.__name__}, got {short_repr(value)}")
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
            raise SchemaError(field, f"must be a dict, got {short_repr(value)}")
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
            raise SchemaError(field, f"must be a dict, got {short_repr(value)}")
        for k, v in value.items():
            self.key.check(k, f"{field} key", dims)
            self.value.check(v, f"{field}[{k!r}]", dims)


class Obj(Spec):
    """A helper object of one of the classes named, its ``__dict__`` checked by their spec."""

    def __init__(self, **schemas: Spec) -> None:
        self.schemas = schemas

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        schema = self.schemas.get(type(value).__name__)
        if schema is None:
            raise SchemaError(
                field, f"must be a {' or '.join(self.schemas)}, got {short_repr(value)}"
            )
        schema.check(vars(value), field, dims)


class Idx(Spec):
    """A pandas Index of datetimes (tz-naive) or integers, named by a scalar or nothing."""

    def __init__(self, n: str = "") -> None:
        self.n = n

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        if not isinstance(value, pd.Index) or value.dtype.kind not in "iuM":
            raise SchemaError(
                field, f"must be an integer or datetime index, got {short_repr(value)}"
            )
        name = value.name
        if not (name is None or isinstance(name, (str, numbers.Number, np.generic, pd.Timestamp))):
            raise SchemaError(
                f"{field}.name", f"must be a str, a number or None, got {short_repr(name)}"
            )
        if isinstance(value, pd.DatetimeIndex) and value.hasnans:
            raise SchemaError(field, "holds NaT")
        if self.n:
            _bind(dims, self.n, len(value), field)


class Net(Spec):
    """A RecurrentNetwork (its constructor and ``set_weights`` checked sizes and weights)."""

    def check(self, value: Any, field: str, dims: dict[str, int]) -> None:
        if not isinstance(value, RecurrentNetwork):
            raise SchemaError(field, f"must be a recurrent network, got {short_repr(value)}")
        _bind(dims, "L", value.num_layers, f"{field}.num_layers")
        _bind(dims, "H", value.hidden_size, f"{field}.hidden_size")
        _bind(dims, "I", value.input_size, f"{field}.input_size")
        _bind(dims, "O", value.output_size, f"{field}.output_size")
