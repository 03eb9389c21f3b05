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

import json
import math
import re
import zipfile
from tokenize import TokenError
from pathlib import Path
from typing import Any

import numpy as np

import forecast

__all__ = [
    "MAX_ARRAY_BYTES",
    "MAX_DEPTH",
    "MAX_METADATA_BYTES",
    "MAX_TOTAL_BYTES",
    "ModelFileError",
    "collect_refs",
    "node_tag",
    "read_array",
    "read_members",
    "read_metadata",
    "read_referenced",
]

#: the ``format`` field of the metadata
FORMAT = "forecast-model"
#: bumped whenever the layout of the state changes incompatibly
FORMAT_VERSION = 1
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
    foreign = [info.filename.removesuffix(".npy") for info in infos if not _MEMBER.fullmatch(info.filename)]
    doubled = sorted({key for key in keys if keys.count(key) > 1})
    if foreign or doubled:
        what = f"does not refer to: {foreign[:10]}" if foreign else f"names twice: {doubled[:10]}"
        raise ModelFileError(
            f"{path} holds arrays that the metadata {what}; the file was modified after it "
            "was saved (nothing was decompressed)"
        )
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for key, info in zip(keys, infos):
        cap = MAX_METADATA_BYTES if key == METADATA else MAX_ARRAY_BYTES
        ratio_ok = info.compress_type == zipfile.ZIP_STORED or (
            info.file_size <= MAX_DEFLATE_RATIO * max(info.compress_size, 1)
        )
        total += info.file_size
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 1:
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
            raise ModelFileError(f"{path} is not a model file: field {key}: not a .npy array ({err})") from None
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


def collect_refs(node: Any, refs: list[str], path: Path, where: str, depth: int) -> None:
    """Append the array keys the JSON ``node`` refers to, checking the nesting depth."""
    if depth > MAX_DEPTH:
        raise ModelFileError(f"{path}: field {where}: nested deeper than {MAX_DEPTH} levels")
    if isinstance(node, list):
        for i, item in enumerate(node):
            collect_refs(item, refs, path, f"{where}[{i}]", depth + 1)
    elif isinstance(node, dict):
        tag = node_tag(node, path, where)
        if tag == "__array__":
            if not isinstance(node["__array__"], str) or not isinstance(node["scalar"], bool):
                raise ModelFileError(f"{path}: field {where}: bad array reference {node!r:.80}")
            refs.append(node["__array__"])
        elif tag == "__index__" and isinstance(node[tag], dict):  # a plain dict of fields
            for value in node[tag].values():
                collect_refs(value, refs, path, where, depth + 1)
        else:
            for value in node.values():
                collect_refs(value, refs, path, where, depth + 1)


def read_referenced(
    archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], refs: list[str], path: Path
) -> dict[str, np.ndarray]:
    """The arrays ``refs`` names: every member referenced once, none left over."""
    doubled = sorted({key for key in refs if refs.count(key) > 1})
    missing = sorted(set(refs) - set(members))
    extra = sorted(set(members) - set(refs) - {METADATA})
    if doubled or missing or extra:
        what = (
            f"refers twice to the array {doubled[0]!r}" if doubled
            else f"lacks the array {missing[0]!r} that the metadata refers to" if missing
            else f"holds arrays the metadata does not refer to: {extra[:10]}"
        )
        raise ModelFileError(
            f"{path} {what}; the file is incomplete or was modified after it was saved "
            "(nothing was decompressed)"
        )
    return {key: read_array(archive, members[key], path) for key in refs}


