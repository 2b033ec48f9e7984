"""The discrete-event kernel: integer virtual time and a heap of pending callbacks.

Entries are ``(time, seq, callback, args)``; the insertion ``seq`` breaks ties, so events
at the same microsecond run in the order they were scheduled and a run is a pure function
of its inputs. Cancellation is lazy: owners keep tokens and ignore stale callbacks, which
keeps the hot loop to one ``heappop`` and one call.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

from ackcheck.errors import ConfigError


def closed(*args: Any) -> None:
    """Stands in for a function that a closed run's part let go of (``Simulator.close``)."""
    raise RuntimeError("this simulation is closed: build a new Simulator")


class EventLoopLimitError(ConfigError):
    """The run exceeded its event budget (a node busy-looping on zero-delay timers)."""


class EventLoop:
    """Runs callbacks in (time, insertion) order up to a time horizon."""

    def __init__(self, max_events: int = 20_000_000) -> None:
        self.now = 0
        self.max_events = max_events
        self.processed = 0
        self._heap: list[tuple[int, int, Callable[..., Any], tuple[Any, ...]]] = []
        self._seq = 0
        self._urgent = -(1 << 62)  # at_once keys: below every seq, still in call order
        self._stopped = False

    def at(self, time: int, callback: Callable[..., Any], *args: Any) -> None:
        """Schedule ``callback(*args)`` at absolute virtual ``time`` (never in the past)."""
        if time < self.now:
            time = self.now
        self._seq += 1
        heapq.heappush(self._heap, (time, self._seq, callback, args))

    def reserve(self) -> int:
        """Take the next insertion number without scheduling anything yet: an owner that
        may schedule later (a timer, see :mod:`ackcheck.sim.timers`) keeps its place in
        line."""
        self._seq += 1
        return self._seq

    def push(self, time: int, seq: int, callback: Callable[..., Any], *args: Any) -> None:
        """Schedule under a number from :meth:`reserve` (``time`` never in the past)."""
        if time < self.now:
            time = self.now
        heapq.heappush(self._heap, (time, seq, callback, args))

    def at_once(self, callback: Callable[..., Any], *args: Any) -> None:
        """Schedule ``callback(*args)`` now, before anything else already due now: right
        after the callback that is running (a decision's fault follows the step that
        triggered it). Its key sorts before every ordinary one of the same time."""
        self._urgent += 1
        heapq.heappush(self._heap, (self.now, self._urgent, callback, args))

    def after(self, delay: int, callback: Callable[..., Any], *args: Any) -> None:
        self.at(self.now + delay, callback, *args)

    def pending(self) -> list[tuple[Callable[..., Any], tuple[Any, ...]]]:
        """Every scheduled call not yet run, as (callback, args), in no particular order:
        for reading the state of a run (messages in flight), never for running them."""
        return [(callback, args) for _t, _s, callback, args in self._heap]

    def close(self) -> None:
        """Drop every pending call: the run is over. (They hold bound methods of the
        run's parts, which hold this loop: reference cycles, see ``Simulator.close``.)"""
        self._heap.clear()

    def stop(self) -> None:
        """End :meth:`run` after the current callback."""
        self._stopped = True

    def run(self, until: int) -> int:
        """Process events with time <= ``until``; returns how many ran. Afterwards ``now``
        is ``until``, or the time of the event that called :meth:`stop`."""
        heap = self._heap
        pop = heapq.heappop
        budget = self.max_events - self.processed
        count = 0
        self._stopped = False
        while heap and not self._stopped:
            if heap[0][0] > until:
                break
            time, _seq, callback, args = pop(heap)
            self.now = time
            callback(*args)
            count += 1
            if count > budget:
                raise EventLoopLimitError(
                    f"simulation exceeded {self.max_events} events at t={time}us "
                    "(a node setting zero-delay timers in a loop?)"
                )
        if not self._stopped and self.now < until:
            self.now = until
        self.processed += count
        return count
