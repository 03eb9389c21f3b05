"""The batch split into column blocks that run on threads without the GIL.

The compiled kernels of the numba engine (``forecast.nn.kernels.rnn``, ``lstm``, ``gru``)
work on one block of sequences at a time: columns ``b0:b1`` of the batch, with their own
contiguous work arrays. ``run_blocks`` hands one block to each available core (the calling
thread runs the first one, a small thread pool the others; the kernels release the GIL), and
returns the blocks' results in block order, so that sums over blocks (the weight gradients)
are taken in a fixed order: a run is bitwise reproducible on a given machine.

The number of blocks is ``min(cores, B // MIN_BLOCK)`` (at least 1): a block narrower than
``MIN_BLOCK`` columns makes the products too small to be worth a thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

MIN_BLOCK = 16
#: how every kernel is compiled: without the GIL, cached on disk, and with NumPy's error
#: model (a division by zero gives inf, as in NumPy; Python's model would check each
#: division and so keep the element-wise loops from being vectorised)
KERNEL_OPTIONS = {"nogil": True, "cache": True, "error_model": "numpy"}

_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover


def block_bounds(B: int) -> list[tuple[int, int]]:
    """The column ranges ``(b0, b1)`` of the blocks of a batch of ``B`` sequences."""
    n = max(1, min(cores(), B // MIN_BLOCK))
    return [(k * B // n, (k + 1) * B // n) for k in range(n)]


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=max(1, cores() - 1), thread_name_prefix="forecast-kernel"
            )
        return _pool


def run_blocks(
    kernel: Callable[..., Any], bounds: Sequence[tuple[int, int]], args: Callable[..., tuple]
) -> list[Any]:
    """``[kernel(*args(k, b0, b1)) for k, (b0, b1) in enumerate(bounds)]``, in parallel."""
    if len(bounds) == 1:
        return [kernel(*args(0, *bounds[0]))]
    futures = [
        _executor().submit(kernel, *args(k, b0, b1)) for k, (b0, b1) in enumerate(bounds) if k
    ]
    first = kernel(*args(0, *bounds[0]))
    return [first] + [future.result() for future in futures]
