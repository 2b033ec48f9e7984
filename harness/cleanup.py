"""The one cleanup path for real-cluster runs.

Everything a run starts (servers, FUSE mounts, proxies, temp dirs) registers an undo
callback here. Callbacks run last-in first-out from the owner's ``with`` block, from
``atexit``, and after SIGINT/SIGTERM (turned into exceptions so ``with`` blocks unwind),
with those signals blocked while cleanup runs so a second Ctrl-C can't cut it short.
"""

from __future__ import annotations

import atexit
import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

_lock = threading.RLock()
_stack: list[tuple[int, Callable[[], None]]] = []
_next_id = 0
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def register(undo: Callable[[], None]) -> int:
    """Register an undo callback; returns the handle :func:`run` takes."""
    global _next_id
    with _lock:
        _next_id += 1
        _stack.append((_next_id, undo))
        return _next_id


def run(handle: int) -> None:
    """Run and forget one registered callback (no-op if it already ran)."""
    with _lock:
        found = [item for item in _stack if item[0] == handle]
        if not found:
            return
        _stack.remove(found[0])
    with signals_blocked():
        _call(found[0][1])


def run_all() -> None:
    """Undo everything still registered, newest first."""
    while True:
        with _lock:
            if not _stack:
                return
            _, undo = _stack.pop()
        with signals_blocked():
            _call(undo)


def _call(undo: Callable[[], None]) -> None:
    with contextlib.suppress(Exception):  # cleanup must go on with the rest
        undo()


@contextlib.contextmanager
def signals_blocked() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _raise_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def interrupts_unwind() -> Iterator[None]:
    """SIGTERM raises SystemExit (SIGINT already raises KeyboardInterrupt) so that
    ``with`` blocks clean up; restores the previous handler afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_on_sigterm)
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int in (signal.SIG_IGN, signal.SIG_DFL, None):
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if previous_int is not None:
            signal.signal(signal.SIGINT, previous_int)


atexit.register(run_all)
