"""Node timers: the ``SetTimer`` and ``CancelTimer`` outputs, and the ``Timeout`` inputs.

A follower re-arms its election timer on every append; pushing a loop entry each time
left hundreds of stale entries per run. Instead a timer keeps the place in line it was
set in (its seq, reserved from the loop), and one loop entry stands for it: when that
entry comes up early, it moves itself to the deadline under the same (time, seq) key, so
every event still runs in exactly the order one entry per set would give.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from ackcheck.canonical import canonical_json
from ackcheck.node import CancelTimer, SetTimer, Timeout
from ackcheck.sim.loop import EventLoop, closed
from ackcheck.sim.recorder import Recorder
from ackcheck.sim.slot import DOWN, PAUSED, UP, NodeContractError, NodeSlot


class NodeTimers:
    """Sets, cancels and fires the timers of every node; a fired timer steps its node."""

    def __init__(
        self, loop: EventLoop, recorder: Recorder, step: Callable[[NodeSlot, Any], None]
    ) -> None:
        self._loop = loop
        self._recorder = recorder
        self._step = step
        # name -> (the Timeout input, its event data encoded, and as a dict): immutable,
        # so built once per name rather than once per firing
        self._timeouts: dict[str, tuple[Timeout, str, dict[str, str]]] = {}

    def close(self) -> None:
        """Let go of the step function (``Simulator.close``)."""
        self._step = closed

    def set(self, slot: NodeSlot, out: SetTimer) -> None:
        delay = cast(Any, out).delay  # through Any: see DiskIO.write
        if not isinstance(delay, int) or delay < 0:
            raise NodeContractError(
                f"node n{slot.id} set timer {out.name!r} with delay {delay!r}; "
                "need an int >= 0 (microseconds)"
            )
        loop = self._loop
        name = out.name
        deadline = loop.now + delay
        seq = loop.reserve()
        key = (deadline, seq)
        slot.timers[name] = key
        armed = slot.armed.get(name)
        if armed is None or armed > key:
            slot.armed[name] = key
            loop.push(deadline, seq, self._fire, slot, slot.life, name, seq)

    def cancel(self, slot: NodeSlot, out: CancelTimer) -> None:
        slot.timers.pop(out.name, None)

    def _fire(self, slot: NodeSlot, life: int, name: str, seq: int) -> None:
        """The loop entry that stands for timer ``name`` (armed as ``seq``) is due."""
        if slot.life != life or slot.status == DOWN:
            return
        if slot.armed.get(name) != (self._loop.now, seq):
            return  # superseded by an entry for an earlier deadline
        del slot.armed[name]
        key = slot.timers.get(name)
        if key is None:
            return  # cancelled
        deadline, set_seq = key
        if set_seq != seq:  # re-armed since: stand in for it at its own (time, seq)
            slot.armed[name] = key
            self._loop.push(deadline, set_seq, self._fire, slot, life, name, set_seq)
            return
        if slot.status == PAUSED:
            slot.expired.append((name, seq))
            return
        del slot.timers[name]
        self._timeout(slot, name)

    def fire_expired(self, slot: NodeSlot, life: int) -> None:
        """After a resume: the timers that came due while paused, unless re-set or
        cancelled since, or the process of ``life`` is gone."""
        expired, slot.expired = slot.expired, []
        for name, seq in expired:
            if slot.life != life or slot.status != UP:
                return
            key = slot.timers.get(name)
            if key is not None and key[1] == seq:
                del slot.timers[name]
                self._timeout(slot, name)

    def _timeout(self, slot: NodeSlot, name: str) -> None:
        cached = self._timeouts.get(name)
        if cached is None:
            data = {"name": name}
            cached = (Timeout(name), canonical_json(data), data)
            self._timeouts[name] = cached
        timeout, data_json, data = cached
        self._recorder.record_json(self._loop.now, slot.actor, "timer", data_json, data)
        self._step(slot, timeout)
