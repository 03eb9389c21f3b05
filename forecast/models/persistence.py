"""Save and load fitted forecasters and regressors without pickle.

A model file is one ``.npz`` archive (whatever its file name) holding

* ``__metadata__``: a JSON document with the format name, the format version, the class
  name and the estimator's state (every entry of its ``__dict__``: parameters, fitted
  ``name_`` attributes and private state), in which each array is a reference to
* ``a0``, ``a1``, ...: the arrays, stored as plain NumPy arrays.

:func:`load_model` reads the archive with ``numpy.load(..., allow_pickle=False)`` and parses
the JSON with :func:`json.loads`, so reading a file never runs code from it. Objects are
rebuilt only from classes on fixed whitelists (:data:`MODELS`, and the :data:`HELPERS`
they hold) by ``cls.__new__(cls)`` and filling in the decoded attributes; a
``RecurrentNetwork`` is rebuilt by its constructor from the saved sizes and then given the
saved weights (both check what they get). No ``__setstate__`` or any other method of the
file's choosing runs. A file that is not such an archive, was written by another format
version, names a class off the whitelists, holds an object (pickled) array, or lacks an
array the metadata refers to raises :class:`ModelFileError` (a ``ValueError``) that says
what is wrong.

The state is read generically, so a model needs no code of its own to be saved. The
values understood are ``None``, bool, int, float, str, lists, tuples, dicts (any such
keys), NumPy arrays and scalars of numeric, boolean or datetime dtype, pandas ``RangeIndex``,
``DatetimeIndex``, ``Index`` and ``Timestamp``, recurrent networks and whitelisted objects
(recursively); anything else is a ``TypeError`` at save time naming the attribute. Floats
go through JSON as their shortest round-tripping repr and arrays are stored bit for bit, so
a loaded model predicts exactly (bitwise) what the saved one did. Not saved
(:data:`TRANSIENT`): the optimiser state and random generator that
``RNNRegressor.partial_fit`` keeps between calls; after loading it continues with a fresh
optimiser.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import forecast
from forecast.models._training import network_from_state, network_state
from forecast.nn import RecurrentNetwork

__all__ = ["ModelFileError", "load_model", "save_model"]

#: the ``format`` field of the metadata
FORMAT = "forecast-model"
#: bumped whenever the layout of the state changes incompatibly
FORMAT_VERSION = 1
#: the classes a model file may hold, by name (the top-level model)
MODELS = {
    "ARForecaster": "forecast.models.ar",
    "ARRegressor": "forecast.models.ar_regressor",
    "NaiveForecaster": "forecast.models.naive",
    "RNNRegressor": "forecast.models.rnn_regressor",
    "RNNForecaster": "forecast.models.rnn_forecaster",
}
#: the helper objects a model may hold (rebuilt attribute by attribute)
HELPERS = {
    "SeriesHistory": "forecast.models._contract",
    "QRLeastSquares": "forecast.models._lstsq",
    "LogReturns": "forecast.transforms",
    "SimpleReturns": "forecast.transforms",
    "Differencer": "forecast.transforms",
    "Standardizer": "forecast.transforms",
    "TargetTransform": "forecast.models._rnn_series",
}
#: attributes never saved: optimiser state and random generators (recreated when needed)
TRANSIENT = ("_optimizer", "_rng")
_METADATA = "__metadata__"
_ARRAY_KINDS = "biufcmM"  # bool, int, uint, float, complex, timedelta, datetime


class ModelFileError(ValueError):
    """A file that is not a valid model file of this version (nothing in it was run)."""


def save_model(estimator: Any, path: str | os.PathLike) -> Path:
    """Write ``estimator`` (fitted or not) to ``path`` as an ``.npz`` model file.

    Parameters
    ----------
    estimator : ARForecaster, NaiveForecaster, RNNRegressor or RNNForecaster
    path : str or path-like
        Where to write; the name is used as given (no suffix is added). The file is
        written to a temporary name next to it and then renamed, so a crash never leaves
        a half-written model under ``path``.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    TypeError
        if the estimator's class is not one of the models listed above, or its state holds
        a value this format cannot store (the message names the attribute).

    Examples
    --------
    >>> import forecast, numpy as np, tempfile, os
    >>> close = forecast.load_dataset("sp500")["close"]
    >>> model = forecast.ARForecaster(3).fit(np.log(close).diff().dropna())
    >>> path = os.path.join(tempfile.mkdtemp(), "ar3.npz")
    >>> _ = save_model(model, path)
    >>> bool((forecast.load_model(path).predict(5) == model.predict(5)).all())
    True
    """
    name = type(estimator).__name__
    if MODELS.get(name) != type(estimator).__module__:
        raise TypeError(
            f"save_model saves {', '.join(MODELS)}; got an object of type "
            f"{type(estimator).__module__}.{name}"
        )
    arrays: dict[str, np.ndarray] = {}
    state = _encode_attributes(estimator, arrays, name)
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class": name,
        "forecast_version": forecast.__version__,
        "state": state,
    }
    arrays[_METADATA] = np.array(json.dumps(metadata, allow_nan=True))
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_model(path: str | os.PathLike) -> Any:
    """Read a model written by :func:`save_model` (or a model's ``save`` method).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    The model, of the class recorded in the file, in the state it was saved in: it
    predicts, updates and refits exactly as the saved one would have.

    Examples
    --------
    >>> import forecast, tempfile, os
    >>> close = forecast.load_dataset("sp500")["close"]
    >>> model = forecast.RNNForecaster("gru", hidden_size=4, epochs=2, random_state=0)
    >>> path = model.fit(close.iloc[-500:]).save(os.path.join(tempfile.mkdtemp(), "gru.npz"))
    >>> loaded = load_model(path)
    >>> bool((loaded.predict(3) == model.predict(3)).all())
    True

    Raises
    ------
    ModelFileError
        (a ValueError) if the file is not a model file, has another format version, names
        a class that is not a model of this package, holds a pickled object, or misses an
        array. Nothing in the file is executed in any case.
    FileNotFoundError
        if there is no file at ``path``.
    """
    path = Path(path)
    arrays = _read_arrays(path)
    metadata = _read_metadata(arrays.pop(_METADATA), path)
    used: set[str] = set()
    cls = _resolve(metadata["class"], MODELS, path, "model class")
    estimator = cls.__new__(cls)
    state = _decode(metadata["state"], arrays, used, path)
    if not isinstance(state, dict):
        raise ModelFileError(f"{path}: the model state must be a dict of attributes")
    estimator.__dict__.update(state)
    extra = sorted(set(arrays) - used)
    if extra:
        raise ModelFileError(
            f"{path} holds arrays that the metadata does not refer to: {extra[:10]}; "
            "the file was modified after it was saved"
        )
    return estimator


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every array of the archive at ``path``, read without unpickling anything."""
    raw = path.read_bytes()
    if raw[:6] == b"\x93NUMPY":
        raise ModelFileError(f"{path} holds a single .npy array, not a model file")
    if raw[:1] == b"\x80":  # the opcode that starts a pickle (protocol >= 2)
        raise ModelFileError(f"{path} is a pickle, not a model file; refusing to unpickle it")
    if raw[:4] != b"PK\x03\x04":
        raise ModelFileError(
            f"{path} is not a model file (an .npz archive): it starts with {raw[:8]!r}"
        )
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            names = set(archive.files)
            if _METADATA not in names:
                raise ModelFileError(
                    f"{path} is an .npz archive but not a model file: it has no {_METADATA!r} "
                    f"entry (entries: {sorted(names)[:10]})"
                )
            arrays = {key: archive[key] for key in sorted(names)}
    except ModelFileError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as err:
        if "allow_pickle" in str(err):
            raise ModelFileError(
                f"{path} contains a pickled object array; model files hold only plain "
                "arrays, so it was not written by save_model (or was tampered with) and "
                "was not loaded"
            ) from None
        raise ModelFileError(f"{path} is not a model file (.npz archive): {err}") from None
    broken = [key for key, value in arrays.items() if not isinstance(value, np.ndarray)]
    if broken:
        raise ModelFileError(f"{path} is not a model file: entries {broken} are not .npy arrays")
    return arrays


# ------------------------------------------------------------------------------ encoding


def _encode_attributes(obj: Any, arrays: dict[str, np.ndarray], where: str) -> dict:
    """The ``__dict__`` of ``obj`` as a tagged JSON value (see :func:`_encode`)."""
    return {
        "__dict__": [
            [key, _encode(value, arrays, f"{where}.{key}")]
            for key, value in vars(obj).items()
            if key not in TRANSIENT
        ]
    }


def _encode(value: Any, arrays: dict[str, np.ndarray], where: str) -> Any:
    """Turn ``value`` into JSON, putting arrays in ``arrays`` and referring to them by key.

    Plain JSON values stand for themselves (a list is a list); everything else is a dict
    with one tag key: ``__array__``, ``__tuple__``, ``__dict__``, ``__index__``,
    ``__timestamp__``, ``__network__`` (a RecurrentNetwork: its constructor arguments and
    weights), ``__object__``.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, np.generic):
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.kind not in _ARRAY_KINDS:
            raise TypeError(
                f"cannot save {where}: arrays of dtype {array.dtype} are not supported "
                "(only numeric, boolean and datetime arrays)"
            )
        key = f"a{len(arrays)}"
        arrays[key] = array
        return {"__array__": key, "scalar": isinstance(value, np.generic)}
    if isinstance(value, list):
        return [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, dict):
        return {
            "__dict__": [
                [_encode(k, arrays, f"{where} key"), _encode(v, arrays, f"{where}[{k!r}]")]
                for k, v in value.items()
            ]
        }
    if isinstance(value, pd.Timestamp):
        return {"__timestamp__": _encode(value.to_datetime64(), arrays, where)}
    if isinstance(value, pd.Index):
        return {"__index__": _encode_index(value, arrays, where)}
    if isinstance(value, RecurrentNetwork):
        return {"__network__": _encode(network_state(value), arrays, where)}
    name = type(value).__name__
    if HELPERS.get(name) == type(value).__module__:
        return {"__object__": name, "state": _encode_attributes(value, arrays, where)}
    raise TypeError(
        f"cannot save {where}: values of type {type(value).__module__}.{name} are not "
        "supported by the model file format"
    )


def _encode_index(index: pd.Index, arrays: dict[str, np.ndarray], where: str) -> dict:
    name = _encode(index.name, arrays, f"{where}.name")
    if isinstance(index, pd.RangeIndex):
        return {
            "kind": "range",
            "start": int(index.start),
            "stop": int(index.stop),
            "step": int(index.step),
            "name": name,
        }
    if isinstance(index, pd.DatetimeIndex):
        if index.tz is not None:
            raise TypeError(f"cannot save {where}: a tz-aware DatetimeIndex is not supported")
        freq = index.freqstr if index.freq is not None else None
        return {
            "kind": "datetime",
            "values": _encode(index.to_numpy(), arrays, where),
            "freq": freq,
            "name": name,
        }
    return {"kind": "index", "values": _encode(index.to_numpy(), arrays, where), "name": name}


# ------------------------------------------------------------------------------ decoding


def _read_metadata(entry: np.ndarray, path: Path) -> dict:
    """Parse and check the JSON header: format, version, class, state."""
    if entry.dtype.kind != "U" or entry.ndim != 0:
        raise ModelFileError(f"{path}: {_METADATA!r} must be a JSON string")
    try:
        metadata = json.loads(str(entry))
    except json.JSONDecodeError as err:
        raise ModelFileError(f"{path}: the metadata is not valid JSON ({err})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        found = metadata.get("format") if isinstance(metadata, dict) else type(metadata).__name__
        raise ModelFileError(f"{path} is not a model file: format {found!r}, expected {FORMAT!r}")
    version = metadata.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has model file format version {version!r}; this version of forecast "
            f"({forecast.__version__}) reads version {FORMAT_VERSION} only. Re-save the model "
            "with the version of forecast that wrote it, or refit it"
        )
    missing = [key for key in ("class", "state") if key not in metadata]
    if missing:
        raise ModelFileError(f"{path}: the metadata lacks {missing}")
    return metadata


def _resolve(name: Any, allowed: dict[str, str], path: Path, what: str) -> type:
    """The class called ``name`` if it is on the ``allowed`` whitelist, else raise."""
    if not isinstance(name, str) or name not in allowed:
        raise ModelFileError(
            f"{path} names the {what} {name!r}, which is not one this package loads "
            f"(allowed: {', '.join(allowed)}); refusing to load it"
        )
    return getattr(importlib.import_module(allowed[name]), name)


def _decode(node: Any, arrays: dict[str, np.ndarray], used: set[str], path: Path) -> Any:
    """Inverse of :func:`_encode`."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(v, arrays, used, path) for v in node]
    if not isinstance(node, dict) or len(node) == 0:
        raise ModelFileError(f"{path}: unexpected value in the model state: {node!r:.80}")
    if "__array__" in node:
        key = node["__array__"]
        if key not in arrays:
            raise ModelFileError(
                f"{path} lacks the array {key!r} that the metadata refers to; the file is "
                "incomplete or was modified after it was saved"
            )
        used.add(key)
        return arrays[key][()] if node.get("scalar") else arrays[key]
    if "__tuple__" in node:
        return tuple(_decode(v, arrays, used, path) for v in node["__tuple__"])
    if "__dict__" in node:
        return {
            _hashable(_decode(k, arrays, used, path)): _decode(v, arrays, used, path)
            for k, v in node["__dict__"]
        }
    if "__timestamp__" in node:
        return pd.Timestamp(_decode(node["__timestamp__"], arrays, used, path))
    if "__index__" in node:
        return _decode_index(node["__index__"], arrays, used, path)
    if "__network__" in node:
        config = _decode(node["__network__"], arrays, used, path)
        try:
            return network_from_state(config)
        except (TypeError, ValueError, KeyError, AttributeError) as err:
            raise ModelFileError(f"{path}: invalid network in the model state: {err}") from None
    if "__object__" in node:
        cls = _resolve(node["__object__"], HELPERS, path, "helper class")
        obj = cls.__new__(cls)
        state = _decode(node["state"], arrays, used, path)
        if not isinstance(state, dict):
            raise ModelFileError(f"{path}: the state of a {cls.__name__} must be a dict")
        obj.__dict__.update(state)
        return obj
    raise ModelFileError(f"{path}: unknown tag in the model state: {sorted(node)[:3]}")


def _hashable(key: Any) -> Any:
    return key.item() if isinstance(key, np.generic) else key


def _decode_index(node: dict, arrays: dict, used: set[str], path: Path) -> pd.Index:
    kind = node.get("kind")
    name = _decode(node.get("name"), arrays, used, path)
    if kind == "range":
        return pd.RangeIndex(node["start"], node["stop"], node["step"], name=name)
    values = _decode(node.get("values"), arrays, used, path)
    if kind == "datetime":
        return pd.DatetimeIndex(values, freq=node.get("freq"), name=name)
    if kind == "index":
        return pd.Index(values, name=name)
    raise ModelFileError(f"{path}: unknown index kind {kind!r} in the model state")
