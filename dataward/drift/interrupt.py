"""SIGTERM and Ctrl-C as exceptions in a long scan, held back while the hash state is being
written: a batch job's time limit then ends the scan with what it hashed saved whole, never
with a transaction cut in half and its rows dropped."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any


class Stopped(BaseException):
    """SIGTERM arrived: a job's time limit (Slurm, Kubernetes and OpenPAI send it first).
    A BaseException, as KeyboardInterrupt is: no `except Exception` may swallow it."""


_held = 0  # how deep the main thread is in `held()` blocks
_due: list[BaseException] = []  # a signal that arrived while held


def _raise(exc: Callable[[], BaseException]) -> Callable[[int, Any], None]:
    def handler(signum: int, frame: Any) -> None:
        if _held:
            _due.append(exc())  # raised when the block ends
            return
        raise exc()
    return handler


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """SIGTERM raises Stopped and SIGINT KeyboardInterrupt (both held by `held`) in the
    block; the previous handlers are back after it."""
    before = (signal.signal(signal.SIGTERM, _raise(Stopped)),
              signal.signal(signal.SIGINT, _raise(KeyboardInterrupt)))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before[0])
        signal.signal(signal.SIGINT, before[1])
        _due.clear()


@contextlib.contextmanager
def held() -> Iterator[None]:
    """No signal exception inside the block (signals reach the main thread only; elsewhere
    this does nothing); one that arrived meanwhile is raised when it ends."""
    global _held
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _held += 1
    try:
        yield
    finally:
        _held -= 1
        if not _held and _due:
            exc = _due.pop()
            _due.clear()
            raise exc
