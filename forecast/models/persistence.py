"""Save and load fitted forecasters and regressors without pickle, and check what is loaded.

The file format (version :data:`~forecast.models.model_archive.FORMAT_VERSION`)
------------------------------------------------------------------------------
A model file is a zip archive as written by ``numpy.savez`` (members stored, not
compressed), whatever its file name, holding

* ``__metadata__.npy``: a 0-d unicode array, the JSON document
  ``{"format": "forecast-model", "format_version": 1, "class": <class name>,
  "forecast_version": <version that wrote it>, "state": <the state>}``;
* ``a0.npy``, ``a1.npy``, ...: plain ``.npy`` arrays of numeric, boolean or datetime dtype,
  each referred to exactly once by the state.

The state is the estimator's ``__dict__`` (parameters, fitted ``name_`` attributes and
private state, less the :data:`TRANSIENT` optimiser state) encoded as JSON: ``None``,
bools, ints, floats (their shortest round-tripping repr; ``NaN``/``Infinity`` literals),
strings and lists stand for themselves; anything else is an object with one tag:
``{"__array__": "a3", "scalar": false}`` (an array, or a NumPy scalar if ``scalar``),
``{"__tuple__": [...]}``, ``{"__dict__": [[key, value], ...]}`` (also an object's
attributes), ``{"__timestamp__": <datetime64 array>}``, ``{"__index__": {"kind": "range",
"start", "stop", "step", "name"}}`` or ``{"kind": "datetime", "values", "freq", "name"}``
or ``{"kind": "index", "values", "name"}``, ``{"__network__": {cell, input_size, ...,
"weights": {...}}}`` (a RecurrentNetwork's constructor arguments and weights) and
``{"__object__": <helper class>, "state": {"__dict__": ...}}``. Arrays are stored bit for
bit, so a loaded model predicts exactly (bitwise) what the saved one did.

Loading: nothing in a file is trusted
-------------------------------------
:func:`load_model` never unpickles and never calls a method the file chooses. Before
anything is decompressed it checks the zip directory: member names, compression method,
declared sizes against :data:`~forecast.models.model_archive.MAX_ARRAY_BYTES` per member
and :data:`~forecast.models.model_archive.MAX_TOTAL_BYTES` in all (256 MiB each; a
deflated member may not claim more than deflate can expand to). The JSON (at most
:data:`~forecast.models.model_archive.MAX_METADATA_BYTES`) is parsed and its nesting
bounded by :data:`~forecast.models.model_archive.MAX_DEPTH`; a member it does not refer to
is refused before any array is read, and each array's ``.npy`` header is checked (plain
dtype, ``shape x itemsize`` equal to the member's declared size) before its data. Classes
come only from fixed whitelists (:data:`~forecast.models.model_archive.MODELS` and
``HELPERS``), rebuilt by ``cls.__new__`` and filled with the decoded attributes, which must
fit the schema of the class (:mod:`forecast.models.model_schema`: allowed keys, types,
shapes, finiteness, value ranges, consistency between fields, the estimators' own
parameter checks, no key shadowing a method). The observations are checked like ``fit``
checks them and their bookkeeping rebuilt from values and labels, and a fitted model must
forecast one step with finite values. Any failure raises one :class:`ModelFileError` (a
``ValueError``) naming the file and the field.

:func:`save_model` checks the same schema, so it never writes a file that cannot be loaded.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

import forecast
from forecast._validation import check_series
from forecast.models.history import SeriesHistory
from forecast.models.model_archive import (
    ARRAY_KINDS,
    FORMAT,
    FORMAT_VERSION,
    HELPERS,
    METADATA,
    MODELS,
    ModelFileError,
    collect_refs,
    decode_node,
    read_array,
    read_members,
    read_metadata,
    read_referenced,
    resolve_class,
)
from forecast.models.model_schema import SchemaError, check_state
from forecast.models.rnn.training import network_state
from forecast.nn import RecurrentNetwork

__all__ = ["ModelFileError", "load_model", "save_model"]

#: attributes never saved: optimiser state and random generators (recreated when needed)
TRANSIENT = ("_optimizer", "_rng")


def save_model(estimator: Any, path: str | os.PathLike) -> Path:
    """Write ``estimator`` (fitted or not) to ``path`` as an ``.npz`` model file.

    Parameters
    ----------
    estimator : ARForecaster, ARRegressor, NaiveForecaster, RNNRegressor or RNNForecaster
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
    ValueError
        if its state breaks the model file schema (so the file could not be loaded), or
        the folder of ``path`` does not exist.

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
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise ValueError(
            f"cannot save the model to path={str(path)!r}: the folder {str(folder)!r} does "
            "not exist; create it first (e.g. os.makedirs(folder)) or choose another path"
        )
    try:
        check_state(
            type(estimator), {k: v for k, v in vars(estimator).items() if k not in TRANSIENT}
        )
    except SchemaError as err:
        raise ValueError(
            f"cannot save this {name}: {err}; a file of it could not be loaded (see "
            "forecast.models.model_schema)"
        ) from None
    arrays: dict[str, np.ndarray] = {}
    state = _encode_attributes(estimator, arrays, name)
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class": name,
        "forecast_version": forecast.__version__,
        "state": state,
    }
    arrays[METADATA] = np.array(json.dumps(metadata, allow_nan=True))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
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
        (a ValueError) naming the file and the field, for any file that is not a valid
        model file (see the module docstring for what is checked). Nothing in the file is
        executed in any case.
    FileNotFoundError
        if there is no file at ``path``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    _check_magic(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = read_members(archive, path)
            metadata = read_metadata(read_array(archive, members[METADATA], path), path)
            cls = resolve_class(metadata["class"], MODELS, path, "model class")
            refs: list[str] = []
            collect_refs(metadata["state"], refs, path, cls.__name__)
            arrays = read_referenced(archive, members, refs, path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, zlib.error) as err:
        raise ModelFileError(f"{path} is not a valid model file (.npz archive): {err}") from None
    except (NotImplementedError, RuntimeError) as err:  # unsupported compression, encryption
        raise ModelFileError(f"{path} is not a model file this package reads: {err}") from None
    state = decode_node(metadata["state"], arrays, path, cls.__name__)
    if not isinstance(state, dict):
        raise ModelFileError(f"{path}: field {cls.__name__}: the state must be a dict")
    try:
        check_state(cls, state)
    except SchemaError as err:
        raise ModelFileError(f"{path}: {err}") from None
    if "_history" in state:
        state["_history"] = _rebuilt_history(state["_history"], path, cls.__name__)
    estimator = cls.__new__(cls)
    estimator.__dict__.update(state)
    _probe(estimator, path)
    return estimator


def _check_magic(path: Path) -> None:
    """Refuse a single .npy array, a pickle or any non-zip file by its first bytes."""
    with path.open("rb") as handle:
        start = handle.read(8)
    if start[:6] == b"\x93NUMPY":
        raise ModelFileError(f"{path} holds a single .npy array, not a model file")
    if start[:1] == b"\x80":  # the opcode that starts a pickle (protocol >= 2)
        raise ModelFileError(f"{path} is a pickle, not a model file; refusing to unpickle it")
    if start[:4] != b"PK\x03\x04":
        raise ModelFileError(
            f"{path} is not a model file (an .npz archive): it starts with {start!r}"
        )


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
        if array.dtype.kind not in ARRAY_KINDS:
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
        freq = index.freqstr if index.freq is not None else None
        node = {"kind": "datetime", "freq": freq, "name": name}
        if freq is not None and to_offset(freq) != index.freq:  # an exchange's sessions
            holidays = np.asarray(index.freq.holidays, dtype="datetime64[D]")
            node["weekmask"] = str(index.freq.weekmask)
            node["holidays"] = _encode(holidays, arrays, f"{where}.holidays")
        if index.tz is not None:  # UTC instants and the zone's name
            node["tz"] = str(index.tz)
            index = index.tz_convert("UTC").tz_localize(None)
        node["values"] = _encode(index.to_numpy(), arrays, where)
        return node
    return {"kind": "index", "values": _encode(index.to_numpy(), arrays, where), "name": name}


# ------------------------------------------------------------------------------ decoding


def _rebuilt_history(history: Any, path: Path, where: str) -> SeriesHistory:
    """A fresh SeriesHistory of the saved values and labels, both checked like ``fit`` does.

    The saved bookkeeping (pending label parts, the tail that is followed) is only used to
    join the labels; the model goes on from the values and labels alone.
    """
    where = f"{where}._history"
    try:
        index, values = history.index, history.values  # the index joins the pending parts
        if not len(index) == len(values) == len(history):
            raise ValueError(
                f"{len(history)} observations, {len(values)} values and {len(index)} labels"
            )
        values, index = check_series(pd.Series(values, index=index))
    except (TypeError, ValueError, IndexError, OverflowError) as err:
        raise ModelFileError(f"{path}: field {where}: invalid observations ({err})") from None
    return SeriesHistory(values.copy(), index)


def _probe(estimator: Any, path: Path) -> None:
    """Forecast one step with a copy of ``estimator``: a file that makes it fail is refused."""
    if not any(key.endswith("_") and not key.startswith("_") for key in vars(estimator)):
        return  # not fitted (scikit-learn's rule: no fitted ``name_`` attribute)
    twin = copy.deepcopy(estimator)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if hasattr(twin, "n_features_in_"):
                out = np.asarray(twin.predict(np.zeros((1, twin.n_features_in_))))
            elif getattr(twin, "n_known_", 0):  # covariates known in advance: zeros
                out = np.asarray(twin.predict(1, X_known=np.zeros((1, twin.n_known_))))
            else:
                out = np.asarray(twin.predict(1))
    except Exception as err:  # noqa: BLE001 - any failure of the model means a bad file
        raise ModelFileError(
            f"{path}: the model it holds fails on a one-step forecast "
            f"({type(err).__name__}: {err}); the file is inconsistent"
        ) from None
    if not np.isfinite(out).all():
        raise ModelFileError(f"{path}: the model it holds forecasts {out!r:.60} (not finite)")
