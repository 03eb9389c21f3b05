"""Reading untrusted price files safely: argument checks, bounded decompression, decoding.

Used by :func:`forecast.data.csv.load_csv`. At most :data:`MAX_CSV_BYTES` of text are read
(after decompression, so a small "zip bomb" cannot fill the memory); a fake or damaged
``.gz``/``.bz2``/``.xz``/``.zip`` file, text that is not in the given encoding, a header
naming a column twice and a date outside pandas' range are ``ValueError`` s naming the
file, the line and the fix.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import lzma
import os
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from forecast.data.frame import canonical_field

#: the most text :func:`load_csv` reads by default (bytes, after decompression): 128 MiB,
#: about 5.9 million rows of ``date,close`` minute bars. Parsing takes about 12 bytes of
#: memory per byte of text (measured: a 45 MB file, 2 million rows, peaked at 0.53 GB RSS)
MAX_CSV_BYTES = 128 * 2**20

_CHUNK = 2**20
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
#: what a damaged or fake compressed file raises while it is read
_DECOMPRESSION_ERRORS = (
    EOFError, OSError, zlib.error, lzma.LZMAError, zipfile.BadZipFile, NotImplementedError,
    RuntimeError,
)


def check_path(path: object) -> Path:
    """``path`` as a Path; a TypeError for anything that is not a file path."""
    if isinstance(path, bool) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"path must be a file path (str or os.PathLike), got {path!r} of type "
            f"{type(path).__name__}"
        )
    if isinstance(path, str) and not path.strip():
        raise ValueError(f"path must name a price file, got the empty string {path!r}")
    return Path(path)


def check_columns(columns: object) -> list[str] | None:
    """``columns`` as a list of canonical names (a single string is one column)."""
    if columns is None:
        return None
    if isinstance(columns, str):
        columns = [columns]
    if not isinstance(columns, Sequence):
        raise TypeError(
            f"columns must be a column name or a list of them, got {columns!r} of type "
            f"{type(columns).__name__}"
        )
    bad = [c for c in columns if not isinstance(c, str)]
    if bad:
        raise TypeError(f"columns must be names (strings), got {bad[0]!r} in columns={columns!r}")
    if not columns:
        raise ValueError("columns=[] selects nothing: name at least one column, or pass None")
    wanted = [canonical_field(c) for c in columns]
    twice = sorted({c for c in wanted if wanted.count(c) > 1})
    if twice:
        raise ValueError(f"columns={list(columns)!r} names {twice} more than once")
    return wanted


def check_encoding(encoding: object) -> str:
    """``encoding`` if Python knows it; a TypeError or ValueError naming it otherwise."""
    if not isinstance(encoding, str):
        raise TypeError(f"encoding must be a string such as 'utf-8', got {encoding!r}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(
            f"unknown encoding={encoding!r}; use e.g. 'utf-8', 'latin-1' or 'cp1252'"
        ) from None
    return encoding


def check_date_range(
    dates: pd.DatetimeIndex, cells: pd.Series, lines: np.ndarray, source: str
) -> None:
    """Refuse dates a nanosecond timestamp cannot hold (before 1677-09-21, after 2262-04-11).

    pandas parses such dates (e.g. ``1200-01-01``, a typo for 2001?) at a coarser
    resolution, and the price frame's nanosecond index would then fail with
    ``OutOfBoundsDatetime``; this names the first such cell and its line instead.
    """
    naive = dates.tz_convert(None) if dates.tz is not None else dates
    micros = naive.to_numpy().astype("datetime64[us]")
    lo = np.datetime64(pd.Timestamp.min.value // 1000 + 1, "us")
    hi = np.datetime64(pd.Timestamp.max.value // 1000, "us")
    bad = np.flatnonzero((micros < lo) | (micros > hi))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"{source}: {bad.size} date(s) outside the range pandas can hold "
            f"({pd.Timestamp.min.date()} .. {pd.Timestamp.max.date()}); the first is "
            f"{str(cells.iloc[i]).strip()!r} at line {lines[i]}. Correct or remove those rows"
        )


def _read_at_most(handle: BinaryIO, max_bytes: int | None) -> bytes | None:
    """Read ``handle`` to its end in chunks; None as soon as it holds over ``max_bytes``."""
    chunks: list[bytes] = []
    total = 0
    while chunk := handle.read(_CHUNK):
        total += len(chunk)
        if max_bytes is not None and total > max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def read_text(path: Path, source: str, encoding: str, max_bytes: int | None) -> str:
    """The file's text, decompressed by extension, at most ``max_bytes`` bytes of it."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.infolist() if not m.is_dir()]
                if len(members) != 1:
                    names = [m.filename for m in members][:5]
                    raise ValueError(
                        f"{source}: a .zip file must hold exactly one CSV file; this one holds "
                        f"{len(members)} {names}. Extract the one you want"
                    )
                with archive.open(members[0]) as handle:
                    data = _read_at_most(handle, max_bytes)
        else:
            with _OPENERS.get(suffix, open)(path, "rb") as handle:
                data = _read_at_most(handle, max_bytes)
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except _DECOMPRESSION_ERRORS as err:
        if suffix not in _OPENERS and suffix != ".zip":
            raise
        kind = suffix.lstrip(".")
        raise ValueError(
            f"{source}: not a valid {kind} file ({type(err).__name__}: {err}): it is truncated "
            f"or not {kind}-compressed. Download it again, or if it is plain text rename it "
            f"without the {suffix!r} extension"
        ) from None
    if data is None:
        raise ValueError(
            f"{source}: more than max_bytes={max_bytes} bytes of text"
            + (" after decompression" if suffix in _OPENERS or suffix == ".zip" else "")
            + "; pass a larger max_bytes= (or None) to read it (the command line reads at "
            "most the default: split the file)"
        )
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        utf8 = encoding.lower().replace("_", "-") in ("utf-8-sig", "utf-8", "utf8")
        shown = "UTF-8" if utf8 else encoding
        line = data[: err.start].count(b"\n") + 1
        raise ValueError(
            f"{source}: line {line} is not valid {shown} text (byte "
            f"{data[err.start:err.start + 1]!r} at offset {err.start}). Pass the file's "
            "encoding, e.g. encoding='latin-1' or 'cp1252' (command line: --encoding latin-1), "
            "or save it as UTF-8; a compressed file needs a .gz, .bz2, .xz or .zip extension"
        ) from None


def check_header(text: str, source: str) -> list[str]:
    """The column names of the header, stripped; refuse one named twice (the reader would
    rename one ``x.1``)."""
    header = next(csv.reader(io.StringIO(text[: text.find("\n") + 1 or len(text)])), [])
    names = [name.strip() for name in header]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(
            f"{source}: the header names the column(s) {twice} more than once: {names}. "
            "Rename or remove the duplicates"
        )
    return names
