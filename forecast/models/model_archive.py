"""The container of a model file: a zip of ``.npy`` members, read within fixed bounds.

Everything here happens before a model is decoded. The zip directory is checked first
(member names, declared sizes against :data:`MAX_ARRAY_BYTES` and :data:`MAX_TOTAL_BYTES`,
compression method); then the JSON metadata is parsed (at most :data:`MAX_METADATA_BYTES`,
nested at most :data:`MAX_DEPTH` deep) and the arrays it refers to are listed; a member
it does not refer to is refused before any array is decompressed. Each array's ``.npy``
header is read from a bounded read and checked against the member's declared size before
its data is read, so a file can never make the loader allocate more than the caps.
"""

from __future__ import annotations

import importlib
import json
import math
import re
import zipfile
from collections import Counter
from pathlib import Path
from tokenize import TokenError
from typing import Any

import numpy as np
import pandas as pd

import forecast
from forecast._dates import business_days
from forecast.models.rnn.training import network_from_state
from forecast.nn.network import CELLS

__all__ = [
    "ARRAY_KINDS",
    "FORMAT",
    "FORMAT_VERSION",
    "METADATA",
    "MAX_ARRAY_BYTES",
    "MAX_DEPTH",
    "MAX_METADATA_BYTES",
    "MAX_TOTAL_BYTES",
    "ModelFileError",
    "HELPERS",
    "MODELS",
    "collect_refs",
    "decode_node",
    "node_tag",
    "read_array",
    "read_members",
    "read_metadata",
    "read_referenced",
    "resolve_class",
]

#: the ``format`` field of the metadata
FORMAT = "forecast-model"
#: bumped whenever the layout of the state changes incompatibly
FORMAT_VERSION = 1
#: the name of the member that holds the JSON metadata (``__metadata__.npy``)
METADATA = "__metadata__"
#: dtype kinds an array may have: bool, int, uint, float, complex, timedelta, datetime
ARRAY_KINDS = "biufcmM"
#: the largest array member (declared, decompressed size); an RNN of hidden size 512 with
#: 4 layers holds about 8 MB of float32 weights, a history of 10 million prices 80 MB
MAX_ARRAY_BYTES = 256 * 2**20
#: the most all members together may decompress to
MAX_TOTAL_BYTES = 256 * 2**20
#: the largest JSON metadata member (a fitted model's is a few kB)
MAX_METADATA_BYTES = 16 * 2**20
#: the deepest nesting of the JSON state (a saved model nests about 12 levels)
MAX_DEPTH = 40
#: the most members an archive may have
MAX_MEMBERS = 10_000
#: deflate expands at most about 1032 times; a member declaring more is not deflate data
MAX_DEFLATE_RATIO = 1100
_MEMBER = re.compile(r"(__metadata__|a(0|[1-9][0-9]{0,5}))\.npy")


#: the classes a model file may hold, by name (the top-level model)
MODELS = {
    "ARForecaster": "forecast.models.ar",
    "ARRegressor": "forecast.models.ar_regressor",
    "NaiveForecaster": "forecast.models.naive",
    "RNNRegressor": "forecast.models.rnn.regressor",
    "RNNForecaster": "forecast.models.rnn.forecaster",
}
#: the helper objects a model may hold (rebuilt attribute by attribute)
HELPERS = {
    "SeriesHistory": "forecast.models.history",
    "QRLeastSquares": "forecast.models._lstsq",
    "LogReturns": "forecast.transforms",
    "SimpleReturns": "forecast.transforms",
    "Differencer": "forecast.transforms",
    "Standardizer": "forecast.scaling",
    "TargetTransform": "forecast.models.rnn.target",
}


class ModelFileError(ValueError):
    """A file that is not a valid model file of this version (nothing in it was run)."""


def read_members(archive: zipfile.ZipFile, path: Path) -> dict[str, zipfile.ZipInfo]:
    """The members of a model archive by array key, checked before anything is decompressed.

    Names must be ``__metadata__.npy`` or ``a<number>.npy`` (each once); members must be
    stored or deflated, unencrypted, and declare sizes within :data:`MAX_ARRAY_BYTES`
    (:data:`MAX_METADATA_BYTES` for the metadata) and :data:`MAX_TOTAL_BYTES` in all; a
    deflated member may not claim more than :data:`MAX_DEFLATE_RATIO` times its compressed
    size (more than deflate can reach: the directory lies).
    """
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ModelFileError(f"{path}: {len(infos)} archive members, at most {MAX_MEMBERS}")
    keys = [info.filename.removesuffix(".npy") for info in infos]
    if METADATA not in keys:
        raise ModelFileError(
            f"{path} is an .npz archive but not a model file: it has no {METADATA!r} "
            f"entry (entries: {sorted(keys)[:10]})"
        )
    foreign = [
        info.filename.removesuffix(".npy") for info in infos if not _MEMBER.fullmatch(info.filename)
    ]
    doubled = sorted(key for key, count in Counter(keys).items() if count > 1)
    if foreign or doubled:
        what = f"does not refer to: {foreign[:10]}" if foreign else f"names twice: {doubled[:10]}"
        raise ModelFileError(
            f"{path} holds arrays that the metadata {what}; the file was modified after it "
            "was saved (nothing was decompressed)"
        )
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for key, info in zip(keys, infos, strict=True):
        cap = MAX_METADATA_BYTES if key == METADATA else MAX_ARRAY_BYTES
        ratio_ok = info.compress_type == zipfile.ZIP_STORED or (
            info.file_size <= MAX_DEFLATE_RATIO * max(info.compress_size, 1)
        )
        total += info.file_size
        if (
            info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
            or info.flag_bits & 1
        ):
            problem = "is encrypted or compressed with a method model files do not use"
        elif info.file_size > cap or total > MAX_TOTAL_BYTES or not ratio_ok:
            problem = (
                f"declares {info.file_size} bytes (compressed {info.compress_size}); model "
                f"files hold at most {cap} bytes per member and {MAX_TOTAL_BYTES} in all"
            )
        else:
            members[key] = info
            continue
        raise ModelFileError(f"{path}: field {key}: the member {problem}; not decompressed")
    return members


def read_array(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> np.ndarray:
    """One ``.npy`` member, its header checked against the declared size before the data.

    The header (at most 10,000 bytes) is read first: the dtype must be a plain numeric,
    boolean or datetime one, and ``prod(shape) * itemsize`` must equal the member's
    declared size less the header, so no array larger than its member is ever allocated.
    Reading to the end checks the member's CRC.
    """
    key = info.filename[:-4]
    with archive.open(info) as handle:
        try:
            version = np.lib.format.read_magic(handle)
            read_header = {
                (1, 0): np.lib.format.read_array_header_1_0,
                (2, 0): np.lib.format.read_array_header_2_0,
            }.get(version)
            if read_header is None:
                raise ValueError(f"unsupported .npy version {version}")
            shape, fortran, dtype = read_header(handle, max_header_size=10_000)
        except (ValueError, TypeError, SyntaxError, TokenError, RecursionError) as err:
            raise ModelFileError(
                f"{path} is not a model file: field {key}: not a .npy array ({err})"
            ) from None
        kind = "U" if key == METADATA else ARRAY_KINDS
        if dtype.kind not in kind or dtype.hasobject or dtype.names or dtype.subdtype:
            raise ModelFileError(
                f"{path}: field {key}: arrays of dtype {dtype} are not allowed in model "
                "files (pickled objects are never loaded)"
            )
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes != info.file_size - handle.tell():
            raise ModelFileError(
                f"{path}: field {key}: the header claims shape {shape} ({nbytes} bytes) but "
                f"the member holds {info.file_size - handle.tell()} bytes"
            )
        data = handle.read(nbytes)
        if len(data) != nbytes or handle.read(1):
            raise ModelFileError(f"{path}: field {key}: the member is truncated")
    order = "F" if fortran else "C"
    return np.frombuffer(data, dtype=dtype).reshape(shape, order=order).copy(order=order)


def read_metadata(entry: np.ndarray, path: Path) -> dict:
    """Parse and check the JSON header: format, version, class, state."""
    if entry.dtype.kind != "U" or entry.ndim != 0:
        raise ModelFileError(f"{path}: field {METADATA}: must be a JSON string")
    try:
        metadata = json.loads(str(entry))
    except RecursionError:
        raise ModelFileError(
            f"{path}: field {METADATA}: the JSON is nested too deeply to be a model file"
        ) from None
    except ValueError as err:  # JSONDecodeError, or an integer of more than 4300 digits
        raise ModelFileError(f"{path}: field {METADATA}: not valid JSON ({err})") from None
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
    if not isinstance(metadata.get("forecast_version"), str):
        raise ModelFileError(f"{path}: field forecast_version: must be a version string")
    keys = {"format", "format_version", "class", "forecast_version", "state"}
    if set(metadata) != keys:
        wrong = sorted(keys - set(metadata)) or sorted(set(metadata) - keys)
        raise ModelFileError(
            f"{path}: field {wrong[0]}: the metadata must hold exactly the fields {sorted(keys)}"
        )
    return metadata


#: the keys of each tagged JSON node (exactly these)
TAGS = {
    "__array__": {"__array__", "scalar"},
    "__tuple__": {"__tuple__"},
    "__dict__": {"__dict__"},
    "__timestamp__": {"__timestamp__"},
    "__index__": {"__index__"},
    "__network__": {"__network__"},
    "__object__": {"__object__", "state"},
}


def node_tag(node: Any, path: Path, where: str) -> str:
    """The tag of a JSON object node, which must have exactly the tag's keys."""
    tags = [key for key in TAGS if isinstance(node, dict) and key in node]
    if len(tags) != 1 or set(node) != TAGS[tags[0]]:
        raise ModelFileError(f"{path}: field {where}: unexpected value {node!r:.80}")
    return tags[0]


def collect_refs(node: Any, refs: list[str], path: Path, where: str, depth: int = 0) -> None:
    """Append the array keys the JSON ``node`` refers to, checking the nesting depth.

    ``where`` names the node in messages the way :func:`decode_node` does.
    """
    if depth > MAX_DEPTH:
        raise ModelFileError(f"{path}: field {where}: nested deeper than {MAX_DEPTH} levels")
    if isinstance(node, list):
        for i, item in enumerate(node):
            collect_refs(item, refs, path, f"{where}[{i}]", depth + 1)
        return
    if not isinstance(node, dict):
        return
    tag = node_tag(node, path, where)
    if tag == "__array__":
        if not isinstance(node["__array__"], str) or not isinstance(node["scalar"], bool):
            raise ModelFileError(f"{path}: field {where}: bad array reference {node!r:.80}")
        if len(refs) >= MAX_MEMBERS:
            raise ModelFileError(f"{path}: field {where}: more than {MAX_MEMBERS} arrays")
        refs.append(node["__array__"])
    elif tag == "__dict__" and isinstance(node[tag], list):  # name the attributes
        for i, pair in enumerate(node[tag]):
            named = isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)
            if named:
                collect_refs(pair[1], refs, path, f"{where}.{pair[0]}", depth + 2)
            else:
                collect_refs(pair, refs, path, f"{where}[{i}]", depth + 1)
    else:  # an __index__ holds a plain dict of fields
        values = node[tag].values() if isinstance(node[tag], dict) else node.values()
        for value in values:
            collect_refs(value, refs, path, where, depth + 1)


def read_referenced(
    archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], refs: list[str], path: Path
) -> dict[str, np.ndarray]:
    """The arrays ``refs`` names: every member referenced once, none left over."""
    doubled = sorted(key for key, count in Counter(refs).items() if count > 1)
    missing = sorted(set(refs) - set(members))
    extra = sorted(set(members) - set(refs) - {METADATA})
    if doubled or missing or extra:
        what = (
            f"refers twice to the array {doubled[0]!r}"
            if doubled
            else f"lacks the array {missing[0]!r} that the metadata refers to"
            if missing
            else f"holds arrays the metadata does not refer to: {extra[:10]}"
        )
        raise ModelFileError(
            f"{path} {what}; the file is incomplete or was modified after it was saved "
            "(nothing was decompressed)"
        )
    return {key: read_array(archive, members[key], path) for key in refs}


# ------------------------------------------------------------------------------ the state


def resolve_class(name: Any, allowed: dict[str, str], path: Path, what: str) -> type:
    """The class called ``name`` if it is on the ``allowed`` whitelist, else raise."""
    if not isinstance(name, str) or name not in allowed:
        raise ModelFileError(
            f"{path}: field class: names the {what} {name!r:.60}, which is not one this "
            f"package loads (allowed: {', '.join(allowed)}); refusing to load it"
        )
    return getattr(importlib.import_module(allowed[name]), name)


def decode_node(node: Any, arrays: dict[str, np.ndarray], path: Path, where: str) -> Any:
    """The value a JSON ``node`` of the state encodes (the inverse of ``save_model``'s
    encoding); its nesting depth was bounded by :func:`collect_refs`."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [decode_node(v, arrays, path, f"{where}[{i}]") for i, v in enumerate(node)]
    tag = node_tag(node, path, where)
    if tag == "__array__":
        array = arrays[node["__array__"]]
        if node["scalar"]:
            if array.ndim != 0:
                raise ModelFileError(f"{path}: field {where}: a scalar stored as {array.shape}")
            return array[()]
        return array
    if tag == "__tuple__":
        items = decode_node(node["__tuple__"], arrays, path, where)
        return tuple(_expect(items, list, path, where))
    if tag == "__dict__":
        out: dict = {}
        for pair in _expect(node["__dict__"], list, path, where):
            if not (isinstance(pair, list) and len(pair) == 2):
                raise ModelFileError(f"{path}: field {where}: a dict entry must be a pair")
            key = decode_node(pair[0], arrays, path, f"{where} key")
            key = key.item() if isinstance(key, np.generic) else key
            if not isinstance(key, (str, int, float, bool)) or key is None or key in out:
                raise ModelFileError(f"{path}: field {where}: bad or repeated key {key!r:.60}")
            field = f"{where}.{key}" if isinstance(key, str) else f"{where}[{key!r}]"
            out[key] = decode_node(pair[1], arrays, path, field)
        return out
    if tag == "__timestamp__":
        value = decode_node(node["__timestamp__"], arrays, path, where)
        if not isinstance(value, np.datetime64) or np.isnat(value):
            raise ModelFileError(f"{path}: field {where}: a timestamp must be a datetime64")
        return pd.Timestamp(value)
    if tag == "__index__":
        return _decode_index(node["__index__"], arrays, path, where)
    if tag == "__network__":
        config = _expect(decode_node(node["__network__"], arrays, path, where), dict, path, where)
        _check_network(config, path, where)
        try:
            return network_from_state(config)
        except (TypeError, ValueError, KeyError, AttributeError) as err:
            raise ModelFileError(f"{path}: field {where}: invalid network: {err}") from None
    cls = resolve_class(node["__object__"], HELPERS, path, "helper class")
    state = _expect(decode_node(node["state"], arrays, path, where), dict, path, where)
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    return obj


def _check_network(config: dict, path: Path, where: str) -> None:
    """The saved weights have the network's dtype and the shapes its sizes declare.

    Checked before the network is built (its constructor draws weights of the declared
    sizes, so sizes that no saved weight backs could allocate without bound).
    """
    weights = _expect(config.get("weights"), dict, path, f"{where}.weights")
    for key, value in weights.items():
        if not (isinstance(value, np.ndarray) and str(value.dtype) == config.get("dtype")):
            raise ModelFileError(
                f"{path}: field {where}.weights.{key}: must be an array of the network's "
                f"dtype {config.get('dtype')!r:.20}"
            )
    sizes = [config.get(k) for k in ("input_size", "hidden_size", "num_layers", "output_size")]
    cell = config.get("cell")
    if (
        not isinstance(cell, str)
        or cell not in CELLS
        or not all(type(v) is int and 1 <= v for v in sizes)
    ):
        raise ModelFileError(f"{path}: field {where}: bad cell or sizes {config!r:.100}")
    n_in, hidden, layers, n_out = sizes
    rows = CELLS[cell].N_GATES * hidden  # the gates stacked, as in RecurrentNetwork
    expected = {"head.weight": (n_out, hidden), "head.bias": (n_out,)}
    for k in range(min(layers, len(weights))):
        expected[f"weight_ih_l{k}"] = (rows, n_in if k == 0 else hidden)
        expected[f"weight_hh_l{k}"] = (rows, hidden)
        expected[f"bias_ih_l{k}"] = expected[f"bias_hh_l{k}"] = (rows,)
    got = {key: value.shape for key, value in weights.items()}
    if layers > len(weights) or got != expected:
        wrong = sorted(set(got.items()) ^ set(expected.items()))[:3]
        raise ModelFileError(
            f"{path}: field {where}.weights: shapes do not match the declared sizes "
            f"(cell={cell!r}, input_size={n_in}, hidden_size={hidden}, num_layers={layers}, "
            f"output_size={n_out}); differences: {wrong}"
        )


def _expect(value: Any, kind: type, path: Path, where: str) -> Any:
    if not isinstance(value, kind):
        raise ModelFileError(f"{path}: field {where}: expected a {kind.__name__}")
    return value


def _decode_index(node: Any, arrays: dict, path: Path, where: str) -> pd.Index:
    node = _expect(node, dict, path, where)
    kind = node.get("kind")
    fields = {
        "range": {"kind", "start", "stop", "step", "name"},
        "datetime": {"kind", "values", "freq", "name"} | {"tz", "weekmask", "holidays"} & set(node),
        "index": {"kind", "values", "name"},
    }
    if not isinstance(kind, str) or set(node) != fields.get(kind):
        raise ModelFileError(f"{path}: field {where}: unknown index {node!r:.80}")
    name = decode_node(node["name"], arrays, path, where)
    try:
        if kind == "range":
            if not all(type(node[k]) is int for k in ("start", "stop", "step")):
                raise TypeError("start, stop and step must be integers")
            return pd.RangeIndex(node["start"], node["stop"], node["step"], name=name)
        values = decode_node(node["values"], arrays, path, where)
        if not isinstance(values, np.ndarray) or values.ndim != 1:
            raise TypeError("the labels must be a 1-D array")
        if kind == "datetime":
            if values.dtype.kind != "M" or not (
                node["freq"] is None or isinstance(node["freq"], str)
            ):
                raise TypeError("a datetime index needs datetime64 labels and a str freq")
            freq = node["freq"] if "holidays" not in node else business_days(
                node["weekmask"], decode_node(node["holidays"], arrays, path, where), node["freq"])
            if "tz" not in node:
                return pd.DatetimeIndex(values, freq=freq, name=name)
            if not isinstance(node["tz"], str):
                raise TypeError("the time zone must be a name")
            index = pd.DatetimeIndex(values).tz_localize("UTC").tz_convert(node["tz"])
            return pd.DatetimeIndex(index, freq=freq, name=name)
        if values.dtype.kind not in "iu":
            raise TypeError(f"an integer index cannot hold {values.dtype} labels")
        return pd.Index(values, name=name)
    except (TypeError, ValueError, OverflowError, KeyError) as err:  # DateParseError, bad zone
        raise ModelFileError(f"{path}: field {where}: invalid index ({err})") from None
