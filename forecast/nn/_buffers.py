"""Work arrays reused between calls, so that the time loops do not pay for fresh memory.

A training step allocates about 10 MB of per-step storage (gates, states, their gradients)
and frees it at the end. glibc hands memory that large back to the operating system, so the
next step touches brand-new pages and every first write to a 4 KiB page is a page fault: an
LSTM epoch of the benchmark took 1.4-1.7 s that way and 0.93 s with the memory kept.

``empty(shape, dtype)`` returns an uninitialised array like ``np.empty``, taken from a pool
when the pool holds one of that shape and dtype that nothing else references any more (no
cache, view or result still points to it), and otherwise a new one, which the pool keeps if
it has room. Reuse is therefore invisible to callers: an array that is still in use is never
handed out twice. The pool keeps at most ``MAX_PER_SHAPE`` arrays per shape and ``MAX_BYTES``
in all; arrays under ``MIN_BYTES`` are not pooled (malloc recycles small blocks itself).
"""

from __future__ import annotations

import math
import sys
import threading

import numpy as np

MIN_BYTES = 1 << 17
MAX_PER_SHAPE = 4
MAX_BYTES = 256 << 20

_pool: dict[tuple[tuple[int, ...], np.dtype], list[np.ndarray]] = {}
_pooled_bytes = 0
_lock = threading.Lock()


def _references(arrays: list[np.ndarray], i: int) -> int:
    return sys.getrefcount(arrays[i])


# the count seen for an array held by the pool's list only, measured the way it is checked
_UNUSED = _references([np.empty(1)], 0)


def empty(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An uninitialised array of ``shape`` and ``dtype``, reused from the pool when free."""
    global _pooled_bytes
    dtype = np.dtype(dtype)
    shape = tuple(int(n) for n in shape)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < MIN_BYTES:
        return np.empty(shape, dtype)
    with _lock:
        arrays = _pool.setdefault((shape, dtype), [])
        for i in range(len(arrays)):
            if _references(arrays, i) <= _UNUSED:
                return arrays[i]
        out = np.empty(shape, dtype)
        if len(arrays) < MAX_PER_SHAPE and _pooled_bytes + nbytes <= MAX_BYTES:
            arrays.append(out)
            _pooled_bytes += nbytes
        return out
