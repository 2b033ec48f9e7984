"""Carrying out a schedule's decisions: faults anchored to protocol events.

Decisions are taken one after another (see :class:`ackcheck.schedule.Decision`): the
next one counts the protocol events (:mod:`ackcheck.sim.protocol`) that steps show, and
when its count is reached it fires right after that step, before anything else happens
(:meth:`~ackcheck.sim.loop.EventLoop.at_once`), with its node ids counted from the
node whose step it was. Each firing goes through the fault injector like a timed fault,
so the history records it with its time: :func:`ackcheck.traces.timed_schedule` turns
a decision run back into the timed faults it caused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from ackcheck.schedule import Decision, Fault
from ackcheck.sim.faults import FaultInjector
from ackcheck.sim.loop import EventLoop
from ackcheck.sim.slot import NodeSlot

#: How the note of every fault a decision fired begins (``decision 2: after the 1st
#: leader, on n1``): what tells a decided fault from a timed one in a history.
DECIDED = "decision "

#: Called after decision ``index`` fired (its fault and any immediate recovery applied).
OnFire = Callable[[int], None]


@attrs.frozen
class Fired:
    """Decision ``index`` fired at ``time`` on the event of node ``subject``."""

    index: int
    time: int
    subject: int


class DecisionDriver:
    """Counts protocol events for the next decision and fires it; stops at the end of
    the fault phase (``duration``), as timed faults do."""

    def __init__(
        self, decisions: Sequence[Decision], nodes: int, duration: int, loop: EventLoop,
        injector: FaultInjector, on_fire: OnFire | None = None,
    ) -> None:
        self._plan = tuple(decisions)
        self._nodes = nodes
        self._duration = duration
        self._loop = loop
        self._injector = injector
        self._on_fire = on_fire
        self._next = 0  # the decision waiting for its event
        self._seen = 0  # its events so far
        self._armed = False  # its event came; it fires once the step is over
        self.fired: list[Fired] = []

    def close(self) -> None:
        """Let go of the listener (the simulator's: ``Simulator.close``)."""
        self._on_fire = None

    def start(self) -> None:
        """A first decision with count 0 fires at time 0, from node 0."""
        if self._plan and self._plan[0].count == 0:
            self._armed = True
            self._loop.at(0, self._fire, 0)

    def on_events(self, slot: NodeSlot, kinds: list[str]) -> None:
        """A step of ``slot``'s node showed protocol events ``kinds``."""
        if self._armed or self._next >= len(self._plan):
            return
        if self._plan[self._next].event not in kinds or self._loop.now > self._duration:
            return
        self._seen += 1
        if self._seen >= self._plan[self._next].count:
            self._armed = True
            self._loop.at_once(self._fire, slot.id)

    def _fire(self, subject: int) -> None:
        """Fire the armed decision and every count-0 decision after it, on ``subject``."""
        plan, nodes, now = self._plan, self._nodes, self._loop.now
        while True:
            index = self._next
            decision = plan[index]
            cause = f"{DECIDED}{index + 1}: {decision.anchor()}, on n{subject}"
            self._injector.apply(decision.resolve(subject, nodes), cause)
            for fault in decision.recoveries(subject, nodes):
                self._recover(fault, decision.recover or 0, cause)
            self.fired.append(Fired(index, now, subject))
            if self._on_fire is not None:
                self._on_fire(index)
            self._next += 1
            self._seen = 0
            if self._next >= len(plan) or plan[self._next].count != 0:
                break
        self._armed = False

    def _recover(self, fault: Fault, delay: int, cause: str) -> None:
        why = f"{cause} (recovery)"
        if delay == 0:
            self._injector.apply(fault, why)
        else:
            self._loop.after(delay, self._injector.apply, fault, why)

