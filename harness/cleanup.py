"""The one cleanup path for real-cluster runs.

Everything a run starts (servers, FUSE mounts, proxies, temp dirs) registers an undo
callback here. Callbacks run last-in first-out from the owner's ``with`` block, from
``atexit``, and after SIGINT/SIGTERM (turned into exceptions so ``with`` blocks unwind,
see :func:`interrupts_unwind`), with those signals held while cleanup runs so a second
Ctrl-C can't cut it short.
"""

from __future__ import annotations

import atexit
import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

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
    """SIGINT/SIGTERM wait until the block is done (in the main thread: only it runs
    Python signal handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    _Interrupt.cleaning += 1
    try:
        yield
    finally:
        _Interrupt.cleaning -= 1
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


# Python may swallow an exception raised from a signal handler: one raised while a
# weakref callback or __del__ runs is only printed ("Exception ignored in ..."; seen when
# the garbage collector ran during a replay's publish load, and the replay then ran to
# its end). So an interrupt is raised again every _REDELIVER_S until its block is left.
_REDELIVER_S = 1.0


class _Interrupt:
    signum: int | None = None  # the interrupt being unwound
    raised_at = 0.0  # when it was last raised (time.monotonic)
    cleaning = 0  # depth of signals_blocked() in the main thread


def _raise(signum: int) -> NoReturn:
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


def _on_interrupt(signum: int, frame: Any) -> None:
    _Interrupt.signum = signum
    # A signal caught by another thread reaches here even while the main thread blocks
    # it: cleanup runs to its end, and the interrupt is raised again after it.
    if not _Interrupt.cleaning:
        _Interrupt.raised_at = time.monotonic()
        _raise(signum)


def _redeliver(stop: threading.Event, main_thread: int) -> None:
    while not stop.wait(_REDELIVER_S / 4):
        signum = _Interrupt.signum
        if signum is not None and time.monotonic() - _Interrupt.raised_at >= _REDELIVER_S:
            signal.pthread_kill(main_thread, signum)


@contextlib.contextmanager
def interrupts_unwind() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt and SIGTERM SystemExit, so that ``with`` blocks
    clean up, and again every second until this block is left (see ``_REDELIVER_S``);
    an interrupt swallowed all the way is raised when the block ends. Restores the
    previous handlers afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _on_interrupt) for sig in _SIGNALS}
    stop = threading.Event()
    watchdog = threading.Thread(
        target=_redeliver, args=(stop, threading.get_ident()), name="ackcheck-interrupts",
        daemon=True,
    )
    watchdog.start()
    try:
        yield
    finally:
        stop.set()
        watchdog.join()
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        signum, _Interrupt.signum = _Interrupt.signum, None
    if signum is not None:
        _raise(signum)


atexit.register(run_all)
