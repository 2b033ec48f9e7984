"""What the parts of the simulator share about a node: its :class:`NodeSlot`.

A slot outlives the node's processes. The disk, the random stream and the counters that
tell a stale input from a live one (a timer of an earlier life, a message sent to an
earlier process) stay; the process object, its timers and its parked inputs go with it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, NamedTuple

from ackcheck.errors import ConfigError
from ackcheck.node import Node
from ackcheck.sim.disk import SimDisk

# A slot's status; the strings are recorded (a power failure's ``was``) and quoted in notes.
DOWN, UP, PAUSED = "down", "up", "paused"

# When a timer fires and its place in line among the events of that microsecond: the
# (time, seq) of its event-loop entry.
TimerKey = tuple[int, int]


class NodeContractError(ConfigError):
    """A node broke the interface (unknown output, send to a node that does not exist)."""


class Parked(NamedTuple):
    """An input that arrived while its node was paused; handed over when it resumes."""

    sender: int | str  # a node id, or a client's actor name (``"c2"``)
    payload: Any  # the message, or the ClientRequest
    msg_id: int
    lam: int  # the sender's Lamport time, for the delivery's clock
    # how it reaches the node: the same call that would have handed it over at arrival
    hand_over: Callable[[NodeSlot, Any, Any, int, int], None]


class NodeSlot:
    """The simulator's view of one node: its process (if up), timers, inbox and disk."""

    __slots__ = (
        "actor", "armed", "disk", "downs", "expired", "halted", "id", "inbox", "life", "node",
        "rng", "status", "timers",
    )

    def __init__(self, node_id: int, disk: SimDisk, rng: random.Random) -> None:
        self.id = node_id
        self.actor = f"n{node_id}"
        self.disk = disk
        self.rng = rng
        self.node: Node | None = None
        self.status = DOWN
        self.halted = False
        self.life = 0  # incremented by every start: stale timers are ignored
        self.downs = 0  # incremented by every stop: messages sent before it are dropped
        # name -> key of each set timer (its seq is the place in line it was set in)
        self.timers: dict[str, TimerKey] = {}
        # name -> key of the one loop entry that stands for it (see ackcheck.sim.timers)
        self.armed: dict[str, TimerKey] = {}
        self.inbox: list[Parked] = []  # inputs that arrived while paused, in order
        self.expired: list[tuple[str, int]] = []  # (name, seq) of timers due while paused
