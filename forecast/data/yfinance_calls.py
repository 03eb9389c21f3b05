"""Call yfinance without its console noise, and tell a network failure from a bad ticker.

yfinance reports a failed download by logging to the ``yfinance`` logger (which, without a
handler, Python prints on stderr: "1 Failed download:", "Could not resolve host ...") and
by returning an empty frame; pandas adds deprecation warnings from inside yfinance. Offline
that is about a dozen lines before the package's own one-line error. :func:`quiet_yfinance`
collects those log records and warnings while yfinance runs (re-logging them at DEBUG level
on this module's logger), then restores the ``yfinance`` logger and the warning filters;
:func:`failure_reason` turns what was collected into one line.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import warnings
from collections.abc import Iterable, Iterator

logger = logging.getLogger(__name__)

#: texts that mean the host name of Yahoo's servers could not be resolved (no network/DNS)
NAME_RESOLUTION_MARKERS = (
    "could not resolve host",
    "name or service not known",
    "temporary failure in name resolution",
    "nodename nor servname",
    "getaddrinfo failed",
    "no address associated with hostname",
    "failed to resolve",
    "name resolution",
    "dnserror",
)

_HOST = re.compile(r"resolve host:?\s*'?([A-Za-z0-9.-]+[A-Za-z0-9])")
#: one yfinance call at a time touches the shared ``yfinance`` logger and warning filters
_LOCK = threading.RLock()


class _Collect(logging.Handler):
    """Keeps the records it is given, instead of printing them."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def quiet_yfinance() -> Iterator[list[str]]:
    """Silence yfinance's loggers and warnings for the duration of the block.

    Yields a list that, when the block ends, holds yfinance's log messages of level
    WARNING and above and the text of every warning raised in the block (also logged at
    DEBUG level on ``forecast.data.yfinance_calls``). The ``yfinance`` logger's handlers,
    level and propagation and the warning filters are restored afterwards, whatever
    happens. Calls from several threads are serialised (the logger and the warning filters
    are process-wide).
    """
    messages: list[str] = []
    yf_logger = logging.getLogger("yfinance")
    with _LOCK:
        collect = _Collect()
        saved = (list(yf_logger.handlers), yf_logger.propagate, yf_logger.level)
        yf_logger.handlers = [collect]
        yf_logger.propagate = False
        if yf_logger.level == logging.NOTSET or yf_logger.level > logging.WARNING:
            yf_logger.setLevel(logging.WARNING)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                yield messages
        finally:
            yf_logger.handlers, yf_logger.propagate = saved[0], saved[1]
            yf_logger.setLevel(saved[2])
            for record in collect.records:
                text = _one_line(record.getMessage())
                logger.debug("yfinance %s: %s", record.levelname, text)
                if record.levelno >= logging.WARNING and text:
                    messages.append(text)
            for warning in caught:
                text = f"{warning.category.__name__}: {_one_line(str(warning.message))}"
                logger.debug("warning inside yfinance: %s", text)
                messages.append(text)


def name_resolution_failed(texts: Iterable[str]) -> bool:
    """True if any of ``texts`` says that a host name could not be resolved."""
    return any(marker in text.lower() for text in texts for marker in NAME_RESOLUTION_MARKERS)


def failure_reason(texts: Iterable[str]) -> str:
    """One line saying why yfinance failed, from its messages ("" if they say nothing)."""
    texts = [t for t in texts if t]
    if name_resolution_failed(texts):
        hosts = [m.group(1) for t in texts for m in [_HOST.search(t)] if m]
        where = f" of {hosts[0]}" if hosts else " of Yahoo Finance's servers"
        return f"name resolution{where} failed: no network connection (or no DNS)"
    errors = [t for t in texts if not t.endswith("Warning") and "Warning:" not in t]
    if errors:
        return _shorten(errors[-1])
    return ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
