"""The history of one run: what both drivers record and what properties judge.

The simulator and the real-cluster harness both produce a :class:`History`, so one
property code judges a simulated run and a real one and their verdicts can be compared.
Fields only the simulator can know (node states, page-cache residency, the disk events
that removed a value) are empty when the real harness writes the history.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ackcheck.node import NodeState
from ackcheck.schedule import Fault

__all__ = [
    "Event",
    "FaultEvent",
    "FinalRead",
    "History",
    "Loss",
    "Observation",
    "Op",
    "OpType",
    "Residency",
]

OpType = str  # "invoke" | "ok" | "fail" | "info" (Jepsen's: info = outcome unknown)


@attrs.frozen
class Op:
    """One client operation event, Jepsen style: an ``invoke`` and then its completion."""

    index: int
    time: int
    process: int  # client id
    type: OpType
    f: str  # "publish" | "read"
    value: str | None
    node: int  # the node the client sent it to
    seq: int | None = None  # the stream sequence of an ok publish


@attrs.frozen
class FaultEvent:
    """A fault as the driver carried it out; ``applied`` is False for a no-op."""

    time: int
    fault: Fault
    applied: bool = True
    note: str = ""


@attrs.frozen
class Observation:
    """A fact a node reported (see :class:`ackcheck.node.Observe` for the kinds)."""

    time: int
    node: int
    kind: str
    data: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def applies(self) -> bool:
        """Does it report an entry applied to the stream: an ``apply``, or a ``commit``
        that carries the entry's ``seq`` (a node that applies as it commits reports both
        in one observation)?"""
        return self.kind == "apply" or (self.kind == "commit" and "seq" in self.data)


@attrs.frozen
class FinalRead:
    """Everything read from one node's copy of the stream after healing."""

    node: int
    entries: tuple[tuple[int, str], ...]  # (sequence, value)
    complete: bool = True  # False when the node never answered in full
    error: str = ""


@attrs.frozen
class Residency:
    """Where tagged values were at a fault: fsynced on disk, or only in the page cache.

    Taken by the simulator just before each fault, for every node."""

    time: int
    cause: str  # the fault, as described
    node: int
    durable: tuple[str, ...]
    cached: tuple[str, ...]


@attrs.frozen
class Loss:
    """A disk event that removed the last stored copy of values on one node."""

    time: int
    node: int
    file: str
    values: tuple[str, ...]
    cause: str  # e.g. "power-failure", "torn-write", "truncate by recovery", "delete"


@attrs.frozen
class Event:
    """One recorded simulator event (sends, deliveries, timers, disk, faults, clients).

    ``actor`` is ``"n3"``, ``"c1"`` or ``"sim"``; ``lamport`` is the actor's Lamport
    clock after the event, so that causality can be drawn."""

    time: int
    actor: str
    kind: str
    data: Mapping[str, Any] = attrs.field(factory=dict)
    lamport: int = 0


@attrs.frozen
class History:
    nodes: int
    ops: tuple[Op, ...] = ()
    faults: tuple[FaultEvent, ...] = ()
    observations: tuple[Observation, ...] = ()
    final_reads: tuple[FinalRead, ...] = ()
    final_states: tuple[NodeState | None, ...] = ()
    residency: tuple[Residency, ...] = ()
    losses: tuple[Loss, ...] = ()
    events: tuple[Event, ...] = ()
    heal_time: int = 0  # when the final phase began: every fault healed
    end_time: int = 0
    source: str = "sim"  # "sim", or "nats-server <version>" for a real run

    def acked(self) -> dict[str, Op]:
        """Every publish that got an ok, by value (the first ok if several)."""
        out: dict[str, Op] = {}
        for op in self.ops:
            if op.f == "publish" and op.type == "ok" and op.value is not None:
                out.setdefault(op.value, op)
        return out

    def attempted(self) -> set[str]:
        return {
            op.value
            for op in self.ops
            if op.f == "publish" and op.type == "invoke" and op.value is not None
        }
