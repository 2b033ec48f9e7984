"""Node processes: start, stop, pause and resume them, and step them.

A step feeds a node one input and carries out its outputs strictly in order, each
completely, so a fault can only fall between two steps. Who carries out an output is
looked up by its type in a table the simulator fills (:meth:`Processes.carry_out`): the
transport for sends and replies, the node timers, the disk, and :meth:`Processes.observe`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ackcheck.canonical import canonical
from ackcheck.history import Observation
from ackcheck.node import Boot, ClientRequest, NodeFactory, NodeState, Observe, ReadError
from ackcheck.sim.disk import SimDisk
from ackcheck.sim.loop import EventLoop
from ackcheck.sim.protocol import EVENT_OF
from ackcheck.sim.recorder import Recorder
from ackcheck.sim.seeds import RngStreams
from ackcheck.sim.slot import DOWN, PAUSED, UP, NodeContractError, NodeSlot
from ackcheck.sim.timers import NodeTimers
from ackcheck.sim.transport import record_drop

OutputHandler = Callable[[NodeSlot, Any], None]
#: Told, after a step, the protocol events its outputs showed (see :meth:`Processes.watch`).
EventListener = Callable[[NodeSlot, list[str]], None]


class Processes:
    """The node processes of one run, one :class:`NodeSlot` each."""

    def __init__(
        self, nodes: int, factory: NodeFactory, config: Any, loop: EventLoop,
        recorder: Recorder, streams: RngStreams,
    ) -> None:
        self._nodes = nodes
        self._factory = factory
        self._config = config
        self._loop = loop
        self._recorder = recorder
        self.slots = [NodeSlot(i, SimDisk(), streams.get(f"node/{i}")) for i in range(nodes)]
        self.timers = NodeTimers(loop, recorder, self.step)
        self.observations: list[Observation] = []
        self._outputs: dict[type, OutputHandler] = {}
        self._listener: EventListener | None = None

    def carry_out(self, outputs: Mapping[type, OutputHandler]) -> None:
        """Name the handler of each output type; an output of any other type is a
        :class:`NodeContractError`."""
        self._outputs = dict(outputs)

    def close(self) -> None:
        """Let go of the output handlers and the timers' step (``Simulator.close``)."""
        self._outputs = {}
        self._listener = None
        self.timers.close()

    def state(self, slot: NodeSlot) -> NodeState | None:
        """What the node reports of itself, or None while it is down."""
        if slot.node is None or slot.status == DOWN:
            return None
        return slot.node.state()

    # ------------------------------------------------------------------------ lifecycle

    def boot(self, slot: NodeSlot, why: str) -> None:
        """Start a new process on the node's disk; it recovers in its ``Boot`` step."""
        slot.life += 1
        slot.status = UP
        slot.halted = False
        slot.timers = {}
        slot.armed = {}
        slot.inbox = []
        slot.expired = []
        node = self._factory(slot.id, self._nodes, self._config, slot.rng)
        if not hasattr(node, "step") or not hasattr(node, "state"):
            raise NodeContractError(
                f"the node factory returned {type(node).__name__}, which has no step()/state()"
            )
        slot.node = node
        self._recorder.record(self._loop.now, slot.actor, "boot",
                              {"life": slot.life, "why": why, "files": slot.disk.names()})
        slot.disk.recovering = True
        try:
            self.step(slot, Boot(slot.disk.view()))
        except ReadError as exc:
            self._halt(slot, f"uncaught ReadError during recovery: {exc}")
        finally:
            slot.disk.recovering = False

    def stop(self, slot: NodeSlot, kind: str, data: dict[str, Any]) -> None:
        """The process is gone: its object, timers and parked inputs with it. Recorded as
        event ``kind`` (``crash``, ``stop``, ...) with ``data``."""
        slot.node = None
        slot.status = DOWN
        slot.downs += 1
        slot.timers = {}
        slot.armed = {}
        slot.expired = []
        now = self._loop.now
        for parked in slot.inbox:
            record_drop(self._recorder, now, parked.sender, slot.id, parked.msg_id,
                        f"{kind} while queued")
        slot.inbox = []
        self._recorder.record(now, slot.actor, kind, data)

    def _halt(self, slot: NodeSlot, reason: str) -> None:
        """The process died of its own accord (an uncaught ReadError while recovering)."""
        self.stop(slot, "halt", {"reason": reason})
        slot.halted = True

    def pause(self, slot: NodeSlot) -> None:
        """SIGSTOP: from now on inputs park in the inbox and due timers wait."""
        slot.status = PAUSED
        self._recorder.record(self._loop.now, slot.actor, "pause", {})

    def resume(self, slot: NodeSlot) -> None:
        """SIGCONT: hand over the parked inputs in arrival order, then the timers that
        came due meanwhile; whatever the process no longer lives for is dropped."""
        slot.status = UP
        self._recorder.record(self._loop.now, slot.actor, "resume", {"queued": len(slot.inbox)})
        life = slot.life
        inbox, slot.inbox = slot.inbox, []
        for i, parked in enumerate(inbox):
            if slot.life != life or slot.status != UP:
                now = self._loop.now
                for dropped in inbox[i:]:
                    record_drop(self._recorder, now, dropped.sender, slot.id, dropped.msg_id,
                                "node halted")
                return
            parked.hand_over(slot, parked.sender, parked.payload, parked.msg_id, parked.lam)
        self.timers.fire_expired(slot, life)

    # ------------------------------------------------------------------------- stepping

    def step(self, slot: NodeSlot, event: Any) -> None:
        """Feed one input and carry out the outputs in order, each completely."""
        if self._listener is not None:
            self._watched_step(slot, event)
            return
        node = slot.node
        assert node is not None
        outputs = self._outputs
        for out in node.step(event):
            handler = outputs.get(type(out))
            if handler is None:
                raise NodeContractError(
                    f"node n{slot.id} returned {type(out).__name__}, which is not an Output"
                )
            handler(slot, out)

    def watch(self, listener: EventListener) -> None:
        """From now on every step also reads the protocol events off the outputs it
        carries out (:mod:`ackcheck.sim.protocol`) and tells ``listener`` after the step.
        Call before anything takes :meth:`step`: a run without decisions or coverage
        keeps the plain step and pays one test per step for this. (Not by rebinding
        ``step``: a class compiled by mypyc has read-only methods.)"""
        self._listener = listener

    def _watched_step(self, slot: NodeSlot, event: Any) -> None:
        """:meth:`step`, noting each protocol event (once per kind per step)."""
        node = slot.node
        assert node is not None and self._listener is not None
        outputs = self._outputs
        client = type(event) is ClientRequest
        seen: list[str] = []
        for out in node.step(event):
            kind = type(out)
            handler = outputs.get(kind)
            if handler is None:
                raise NodeContractError(
                    f"node n{slot.id} returned {kind.__name__}, which is not an Output"
                )
            handler(slot, out)
            classify = EVENT_OF.get(kind)
            if classify is not None:
                name = classify(out, client)
                if name is not None and name not in seen:
                    seen.append(name)
        if seen:
            self._listener(slot, seen)

    def observe(self, slot: NodeSlot, out: Observe) -> None:
        """The ``Observe`` output: kept for the properties, and ``halt`` marks the node."""
        now = self._loop.now
        data = dict(out.data)
        self.observations.append(Observation(now, slot.id, out.kind, data))
        if self._recorder.active:
            self._recorder.record(now, slot.actor, "observe",
                                  {"kind": out.kind, "data": canonical(data)})
        if out.kind == "halt":
            # Fail-stop as NATS does it: the process stays up and refuses; the node
            # itself decides what it still answers. Recorded so the final phase restarts it.
            slot.halted = True
            self._recorder.record(now, slot.actor, "halt",
                                  {"reason": str(data.get("reason", ""))})
