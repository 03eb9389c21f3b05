"""The disk cache of :mod:`forecast.data.yahoo`: where it lives, reading it back, cleaning it.

Writing is in :func:`forecast.data.yahoo.load_yahoo` (atomic: a temporary file in the same
folder, renamed over the old one). A file that cannot be read back is a
:class:`CorruptCacheError`; temporary files left by killed writers are removed by
:func:`remove_stale_temp_files` once older than :data:`STALE_TEMP_AGE`.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
import time
from pathlib import Path

import pandas as pd

from forecast.data.frame import normalize_price_frame, zone_from_name

logger = logging.getLogger(__name__)

#: a temporary cache file untouched for this long (seconds) belongs to a dead writer
STALE_TEMP_AGE = 3600.0
TEMP_SUFFIX = ".tmp"

#: pandas 3 reads floats back exactly by default (and deprecates the option); pandas 2 must ask
_EXACT_FLOATS = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


class CorruptCacheError(ValueError):
    """A cache file exists but cannot be read back as prices (``path``, ``reason``)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"the cache file '{path}' is corrupt ({reason})")
        self.path = path
        self.reason = reason


def default_cache_dir() -> Path:
    """The package's per-user cache folder (``$FORECAST_CACHE_DIR`` or the platform's)."""
    if os.environ.get("FORECAST_CACHE_DIR"):
        return Path(os.environ["FORECAST_CACHE_DIR"]).expanduser()
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "forecast" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "forecast"
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "forecast"
    return Path.home() / ".cache" / "forecast"


def read_cache(path: Path, source: str) -> pd.DataFrame | None:
    """Read a cache file; None if it does not exist, CorruptCacheError if it is unreadable."""
    try:
        frame = pd.read_csv(
            path,
            index_col=0,  # "date", or "date@<zone>" (see zone_to_name)
            parse_dates=True,
            date_format="ISO8601",
            **_EXACT_FLOATS,
        )
        if frame.index.name != "date" and not str(frame.index.name).startswith("date@"):
            raise ValueError(f"its first column is {frame.index.name!r}, not 'date'")
        return normalize_price_frame(zone_from_name(frame), source)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError, IndexError, pd.errors.ParserError) as err:
        reason = " ".join(str(err).split()).removeprefix(f"{source}: ")
        raise CorruptCacheError(path, reason or type(err).__name__) from err


def remove_stale_temp_files(
    folder: str | os.PathLike, max_age: float = STALE_TEMP_AGE
) -> list[Path]:
    """Remove the temporary cache files that killed writers left in ``folder``.

    Only files named like the cache's temporary files (``.<name>.csv.<random>.tmp``) and
    not modified for ``max_age`` seconds are removed; a live writer keeps its file for
    seconds. Failures to remove (another process got there first, permissions) are
    ignored.

    Parameters
    ----------
    folder : str or path-like
        A cache folder (a missing folder has nothing to remove).
    max_age : float, default STALE_TEMP_AGE
        Seconds since the last modification after which a temporary file is stale.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    removed = []
    now = time.time()
    try:
        candidates = list(Path(folder).glob(f".*.csv.*{TEMP_SUFFIX}"))
    except OSError:
        return removed
    for tmp in candidates:
        try:
            info = tmp.lstat()
            if not stat.S_ISREG(info.st_mode) or now - info.st_mtime < max_age:
                continue
            tmp.unlink()
        except OSError:
            continue
        logger.info(
            "removed the stale temporary cache file %s (%d bytes), left by an interrupted "
            "download", tmp, info.st_size,
        )
        removed.append(tmp)
    return removed


def is_fresh(path: Path, max_age: float | None) -> bool:
    """True if ``path`` exists and is at most ``max_age`` seconds old (None: any age)."""
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return False
    return max_age is None or age <= max_age
