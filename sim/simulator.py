"""The simulator: drives sans-I/O nodes through a schedule in virtual time.

One :class:`Simulator` owns the event loop, the random streams, the network, one
:class:`SimDisk` per node, the clients and the recorder. A node's outputs are carried
out strictly in order and each completely (disk operations are instantaneous), so a
fault can only fall between two steps. Faults at the same microsecond as other events
run first (they are scheduled before anything else), in schedule order.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable
from typing import Any

import attrs

from ackcheck.canonical import canonical, canonical_json
from ackcheck.errors import ConfigError
from ackcheck.history import FaultEvent, History, Loss, Observation, Op, Residency
from ackcheck.node import (
    Boot,
    CancelTimer,
    ClientReply,
    ClientRequest,
    Delete,
    Fsync,
    Node,
    NodeFactory,
    NodeState,
    Observe,
    ReadError,
    Receive,
    Rename,
    Send,
    SetTimer,
    Timeout,
    Truncate,
    Write,
)
from ackcheck.schedule import (
    BitFlip,
    Crash,
    Fault,
    Heal,
    LatentSectorError,
    MisdirectedWrite,
    Partition,
    Pause,
    PowerFailure,
    Restart,
    Resume,
    Schedule,
    TornWrite,
)
from ackcheck.sim.disk import SimDisk
from ackcheck.sim.loop import EventLoop
from ackcheck.sim.network import SimNetwork
from ackcheck.sim.recorder import NullRecorder, Recorder
from ackcheck.sim.seeds import RngStreams
from ackcheck.sim.workload import ClientDriver

DOWN, UP, PAUSED = "down", "up", "paused"


class NodeContractError(ConfigError):
    """A node broke the interface (unknown output, send to a node that does not exist)."""


@attrs.frozen
class SimResult:
    history: History
    digest: str  # hex sha256 over the canonical encoding of the recorded events


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
        # name -> (deadline, seq) of each set timer; seq is the loop order it was set in
        self.timers: dict[str, tuple[int, int]] = {}
        # name -> (time, seq) of the one heap entry that stands for it (see _out_set_timer)
        self.armed: dict[str, tuple[int, int]] = {}
        self.inbox: list[tuple[Any, ...]] = []  # inputs that arrived while paused
        self.expired: list[tuple[str, int]] = []  # timers that fired while paused


def _gone(slot: NodeSlot, downs: int) -> str:
    """Why an input sent while the receiver had stopped ``downs`` times cannot be
    delivered now ("" if it can): the process is down, or is a later one."""
    if slot.status == DOWN:
        return "node down"
    if slot.downs != downs:
        return "receiver restarted"
    return ""


def _check_schedule(schedule: Any, factory: Any) -> Schedule:
    if not isinstance(schedule, Schedule):
        raise ConfigError(f"simulate() needs an ackcheck Schedule, got {type(schedule).__name__}")
    if not callable(factory):
        raise ConfigError(f"the node factory must be callable, got {type(factory).__name__}")
    return schedule


class Simulator:
    """One run. Build it, call :meth:`run` once, read the :class:`SimResult`."""

    def __init__(
        self, schedule: Schedule, factory: NodeFactory, config: Any, *,
        record_events: bool = True, max_events: int = 20_000_000, digest: bool = True,
    ) -> None:
        self.schedule = _check_schedule(schedule, factory)
        self.factory = factory
        self.config = config
        self.loop = EventLoop(max_events=max_events)
        self.streams = RngStreams(schedule.seed)
        if not digest and record_events:
            raise ConfigError("record_events=True needs the digest (digest=True)")
        self.recorder = Recorder(keep=record_events) if digest else NullRecorder()
        self.network = SimNetwork(schedule.nodes, schedule.network, self.streams)
        self.slots = [
            NodeSlot(i, SimDisk(), self.streams.get(f"node/{i}")) for i in range(schedule.nodes)
        ]
        self.clients = ClientDriver(self)
        self.ops: list[Op] = []
        self.faults: list[FaultEvent] = []
        self.observations: list[Observation] = []
        self.residency: list[Residency] = []
        self.losses: list[Loss] = []
        self.heal_time = 0
        self._ran = False
        # hot-path caches: immutable inputs and pre-encoded event data, by name
        self._timeouts: dict[str, tuple[Timeout, str, dict[str, str]]] = {}
        self._type_json: dict[type, str] = {}
        self._dispatch: dict[type, Callable[[NodeSlot, Any], None]] = {
            Send: self._out_send,
            SetTimer: self._out_set_timer,
            CancelTimer: self._out_cancel_timer,
            Write: self._out_write,
            Truncate: self._out_truncate,
            Fsync: self._out_fsync,
            Delete: self._out_delete,
            Rename: self._out_rename,
            ClientReply: self._out_reply,
            Observe: self._out_observe,
        }

    # ------------------------------------------------------------------------- running

    def run(self) -> SimResult:
        if self._ran:
            raise ConfigError("a Simulator runs once; build a new one")
        self._ran = True
        sched = self.schedule
        loop = self.loop
        for slot in self.slots:
            loop.at(0, self._boot, slot, "start")
        for tf in sched.sorted_faults():
            loop.at(tf.at, self._apply_fault, tf.fault)
        self.clients.start()
        loop.at(sched.duration, self._final_phase)
        # A run allocates far more than the collector's thresholds but makes almost no
        # cyclic garbage (refcounting frees the nodes' messages), so the cyclic GC only
        # rescans live objects: half the run time when recording keeps ~10^5 small dicts,
        # a tenth without. It runs again as soon as the run is over.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            loop.run(until=sched.duration + sched.settle)
        finally:
            if gc_was_enabled:
                gc.enable()
        self.clients.finish_unsettled()
        end = loop.now
        reads = self.clients.final_reads
        self.recorder.record(end, "sim", "end", {"events": loop.processed})
        history = History(
            nodes=sched.nodes,
            ops=tuple(self.ops),
            faults=tuple(self.faults),
            observations=tuple(self.observations),
            final_reads=tuple(reads[n] for n in sorted(reads)),
            final_states=tuple(self._state(s) for s in self.slots),
            residency=tuple(self.residency),
            losses=tuple(self.losses),
            events=self.recorder.events(),
            heal_time=self.heal_time,
            end_time=end,
            source="sim",
        )
        return SimResult(history=history, digest=self.recorder.digest())

    def _state(self, slot: NodeSlot) -> NodeState | None:
        if slot.node is None or slot.status == DOWN:
            return None
        return slot.node.state()

    # ------------------------------------------------------------------ node processes

    def _boot(self, slot: NodeSlot, why: str) -> None:
        slot.life += 1
        slot.status = UP
        slot.halted = False
        slot.timers = {}
        slot.armed = {}
        slot.inbox = []
        slot.expired = []
        cfg = self.schedule
        node = self.factory(slot.id, cfg.nodes, self.config, slot.rng)
        if not hasattr(node, "step") or not hasattr(node, "state"):
            raise NodeContractError(
                f"the node factory returned {type(node).__name__}, which has no step()/state()"
            )
        slot.node = node
        self.recorder.record(self.loop.now, slot.actor, "boot",
                             {"life": slot.life, "why": why, "files": slot.disk.names()})
        slot.disk.recovering = True
        try:
            self._step(slot, Boot(slot.disk.view()))
        except ReadError as exc:
            self._halt(slot, f"uncaught ReadError during recovery: {exc}")
        finally:
            slot.disk.recovering = False

    def _stop(self, slot: NodeSlot, kind: str, data: dict[str, Any]) -> None:
        """The process is gone: its object, timers and queued inputs with it."""
        slot.node = None
        slot.status = DOWN
        slot.downs += 1
        slot.timers = {}
        slot.armed = {}
        slot.expired = []
        for item in slot.inbox:
            self._record_drop(item[1], slot.id, item[3], f"{kind} while queued")
        slot.inbox = []
        self.recorder.record(self.loop.now, slot.actor, kind, data)

    def _halt(self, slot: NodeSlot, reason: str) -> None:
        """The process died of its own accord (an uncaught ReadError while recovering)."""
        self._stop(slot, "halt", {"reason": reason})
        slot.halted = True

    def _step(self, slot: NodeSlot, event: Any) -> None:
        """Feed one input and carry out the outputs in order, each completely."""
        node = slot.node
        assert node is not None
        dispatch = self._dispatch
        for out in node.step(event):
            handler = dispatch.get(type(out))
            if handler is None:
                raise NodeContractError(
                    f"node n{slot.id} returned {type(out).__name__}, which is not an Output"
                )
            handler(slot, out)

    # --------------------------------------------------------------------- node outputs

    def _out_send(self, slot: NodeSlot, out: Send) -> None:
        dst = out.to
        if not isinstance(dst, int) or not 0 <= dst < self.schedule.nodes:
            raise NodeContractError(
                f"node n{slot.id} sent to {dst!r}, but the cluster has nodes "
                f"0..{self.schedule.nodes - 1}"
            )
        rec = self.recorder
        now = self.loop.now
        msg = out.msg
        target = self.slots[dst]
        msg_id = rec.new_msg_id()
        lam = rec.record(now, slot.actor, "send",
                         {"to": target.actor, "msg_id": msg_id, "type": type(msg).__name__,
                          "msg": canonical(msg)}) if rec.active else 0
        times = self.network.arrivals(now, slot.actor, target.actor)
        if not times:
            self._record_drop(slot.id, dst, msg_id, "loss")
            return
        at = self.loop.at
        for t in times:
            at(t, self._deliver, slot.id, dst, msg, msg_id, lam, target.downs)

    def _out_set_timer(self, slot: NodeSlot, out: SetTimer) -> None:
        delay = out.delay
        if not isinstance(delay, int) or delay < 0:
            raise NodeContractError(
                f"node n{slot.id} set timer {out.name!r} with delay {delay!r}; "
                "need an int >= 0 (microseconds)"
            )
        # A follower re-arms its election timer on every append; pushing a heap entry each
        # time left hundreds of stale entries per run. Instead the timer keeps the order
        # slot it would have had (its seq), and one heap entry stands for it: when that
        # entry comes up early, it moves itself to the deadline under the same (time, seq)
        # key, so every event still runs in exactly the order it did.
        loop = self.loop
        name = out.name
        key = (loop.now + delay, loop.reserve())
        slot.timers[name] = key
        armed = slot.armed.get(name)
        if armed is None or armed > key:
            slot.armed[name] = key
            loop.push(key[0], key[1], self._fire, slot, slot.life, name, key[1])

    def _out_cancel_timer(self, slot: NodeSlot, out: CancelTimer) -> None:
        slot.timers.pop(out.name, None)

    def _disk_event(self, slot: NodeSlot, kind: str, data: dict[str, Any] | None) -> None:
        """Record a disk event (``data`` None: nothing records, so none was built: Write
        and Fsync are a third of all outputs) and report what it removed from the disk."""
        if data is not None:
            self.recorder.record(self.loop.now, slot.actor, kind, data)
        if slot.disk.lost:
            self._drain_losses(slot)

    def _drain_losses(self, slot: NodeSlot) -> None:
        now = self.loop.now
        for file, values, cause in slot.disk.lost:
            self.losses.append(Loss(time=now, node=slot.id, file=file, values=values, cause=cause))
            self.recorder.record(now, slot.actor, "loss",
                                 {"file": file, "values": list(values), "cause": cause})
        slot.disk.lost = []

    def _out_write(self, slot: NodeSlot, out: Write) -> None:
        data = out.data
        if not isinstance(data, (bytes, bytearray)):
            raise NodeContractError(f"node n{slot.id} wrote {type(data).__name__}, not bytes")
        disk = slot.disk
        landed = disk.write(out.file, data, out.offset, out.tags)
        info: dict[str, Any] | None = None
        if self.recorder.active:
            info = {"file": out.file, "offset": landed, "len": len(data)}
            if out.tags:
                info["tags"] = list(out.tags)
            if landed != disk.last_aimed:
                info["aimed"] = disk.last_aimed
        self._disk_event(slot, "write", info)

    def _out_truncate(self, slot: NodeSlot, out: Truncate) -> None:
        if not isinstance(out.size, int) or out.size < 0:
            raise NodeContractError(f"node n{slot.id} truncated {out.file} to {out.size!r}")
        slot.disk.truncate(out.file, out.size)
        self._disk_event(slot, "truncate", {"file": out.file, "size": out.size})

    def _out_fsync(self, slot: NodeSlot, out: Fsync) -> None:
        slot.disk.fsync(out.file)
        self._disk_event(slot, "fsync", {"file": out.file} if self.recorder.active else None)

    def _out_delete(self, slot: NodeSlot, out: Delete) -> None:
        existed = slot.disk.delete(out.file)
        self._disk_event(slot, "delete", {"file": out.file, "existed": existed})

    def _out_rename(self, slot: NodeSlot, out: Rename) -> None:
        existed = slot.disk.rename(out.src, out.dst)
        self._disk_event(slot, "rename", {"src": out.src, "dst": out.dst, "existed": existed})

    def _out_reply(self, slot: NodeSlot, out: ClientReply) -> None:
        client = out.client
        if not isinstance(client, int) or not self.clients.is_client(client):
            raise NodeContractError(f"node n{slot.id} replied to unknown client {client!r}")
        rec = self.recorder
        now = self.loop.now
        msg_id = rec.new_msg_id()
        dst = f"c{client}"
        lam = rec.record(now, slot.actor, "send",
                         {"to": dst, "msg_id": msg_id, "type": type(out.result).__name__,
                          "msg": canonical(out)}) if rec.active else 0
        for t in self.network.arrivals(now, slot.actor, dst, lossy=False):
            self.loop.at(t, self._client_receive, slot.id, out, msg_id, lam)

    def _out_observe(self, slot: NodeSlot, out: Observe) -> None:
        now = self.loop.now
        data = dict(out.data)
        self.observations.append(Observation(now, slot.id, out.kind, data))
        if self.recorder.active:
            self.recorder.record(now, slot.actor, "observe",
                                 {"kind": out.kind, "data": canonical(data)})
        if out.kind == "halt":
            # Fail-stop as NATS does it: the process stays up and refuses; the node
            # itself decides what it still answers. Recorded so the final phase restarts it.
            slot.halted = True
            self.recorder.record(now, slot.actor, "halt", {"reason": str(data.get("reason", ""))})

    # --------------------------------------------------------------- inputs to nodes

    def _record_drop(self, src: int | str, dst: int, msg_id: int, reason: str) -> None:
        src_name = src if isinstance(src, str) else f"n{src}"
        self.recorder.record(self.loop.now, "sim", "drop",
                             {"from": src_name, "to": f"n{dst}", "msg_id": msg_id,
                              "reason": reason})

    def _deliver(self, src: int, dst: int, msg: Any, msg_id: int, lam: int, downs: int) -> None:
        slot = self.slots[dst]
        gone = "partition" if not self.network.connected(src, dst) else _gone(slot, downs)
        if gone:
            self._record_drop(src, dst, msg_id, gone)
        elif slot.status == PAUSED:
            slot.inbox.append(("msg", src, msg, msg_id, lam))
        else:
            self._receive(slot, src, msg, msg_id, lam)

    def _receive(self, slot: NodeSlot, src: int, msg: Any, msg_id: int, lam: int) -> None:
        rec = self.recorder
        if rec.active:
            kind = type(msg)
            type_json = self._type_json.get(kind)
            if type_json is None:
                type_json = self._type_json[kind] = canonical_json(kind.__name__)
            data_json = f'{{"from":"n{src}","msg_id":{msg_id},"type":{type_json}}}'
            data = (
                {"from": f"n{src}", "msg_id": msg_id, "type": kind.__name__} if rec.keep else None
            )
            rec.record_json(self.loop.now, slot.actor, "deliver", data_json, data, seen=lam)
        self._step(slot, Receive(src, msg))

    def client_send(self, client: int, node: int, request: ClientRequest) -> None:
        """A client sends ``request`` to ``node`` over its own (never cut) link."""
        rec = self.recorder
        now = self.loop.now
        actor = f"c{client}"
        msg_id = rec.new_msg_id()
        lam = rec.record(now, actor, "send",
                         {"to": f"n{node}", "msg_id": msg_id, "type": type(request.op).__name__,
                          "msg": canonical(request)}) if rec.active else 0
        downs = self.slots[node].downs
        for t in self.network.arrivals(now, actor, f"n{node}", lossy=False):
            self.loop.at(t, self._deliver_request, actor, node, request, msg_id, lam, downs)

    def _deliver_request(self, actor: str, dst: int, request: ClientRequest, msg_id: int,
                         lam: int, downs: int) -> None:
        slot = self.slots[dst]
        gone = _gone(slot, downs)
        if gone:
            self._record_drop(actor, dst, msg_id, gone)
        elif slot.status == PAUSED:
            slot.inbox.append(("req", actor, request, msg_id, lam))
        else:
            self._handle_request(slot, actor, request, msg_id, lam)

    def _handle_request(self, slot: NodeSlot, actor: str, request: ClientRequest, msg_id: int,
                        lam: int) -> None:
        self.recorder.record(self.loop.now, slot.actor, "deliver",
                             {"from": actor, "msg_id": msg_id, "type": type(request.op).__name__},
                             seen=lam)
        self._step(slot, request)

    def _client_receive(self, node: int, reply: ClientReply, msg_id: int, lam: int) -> None:
        self.recorder.record(self.loop.now, f"c{reply.client}", "deliver",
                             {"from": f"n{node}", "msg_id": msg_id,
                              "type": type(reply.result).__name__}, seen=lam)
        self.clients.on_reply(reply.client, reply.req_id, reply.result, node)

    def _fire(self, slot: NodeSlot, life: int, name: str, seq: int) -> None:
        if slot.life != life or slot.status == DOWN:
            return
        if slot.armed.get(name) != (self.loop.now, seq):
            return  # superseded by an entry for an earlier deadline
        del slot.armed[name]
        key = slot.timers.get(name)
        if key is None:
            return  # cancelled
        if key[1] != seq:  # re-armed since: stand in for it at its own (time, seq)
            slot.armed[name] = key
            self.loop.push(key[0], key[1], self._fire, slot, life, name, key[1])
            return
        if slot.status == PAUSED:
            slot.expired.append((name, seq))
            return
        del slot.timers[name]
        self._timer_step(slot, name)

    def _timer_step(self, slot: NodeSlot, name: str) -> None:
        cached = self._timeouts.get(name)
        if cached is None:
            data = {"name": name}
            cached = (Timeout(name), canonical_json(data), data)
            self._timeouts[name] = cached
        self.recorder.record_json(self.loop.now, slot.actor, "timer", cached[1], cached[2])
        self._step(slot, cached[0])

    # -------------------------------------------------------------------------- faults

    def _apply_fault(self, fault: Fault) -> None:
        now = self.loop.now
        cause = fault.describe()
        for slot in self.slots:
            durable, cached = slot.disk.residency()
            self.residency.append(Residency(time=now, cause=cause, node=slot.id,
                                            durable=durable, cached=cached))
        if now > self.schedule.duration:
            applied, note = False, "after the fault phase"
        else:
            applied, note = self._carry_out(fault)
        self.faults.append(FaultEvent(time=now, fault=fault, applied=applied, note=note))
        self.recorder.record(now, "sim", "fault",
                             {"fault": cause, "kind": fault.kind, "applied": applied,
                              "note": note})
        for slot in self.slots:
            if slot.disk.lost:
                self._drain_losses(slot)

    def _carry_out(self, fault: Fault) -> tuple[bool, str]:
        """Apply one fault; ``(applied, note)``. Never raises on a fault that makes no
        sense now: that is a recorded no-op (schedules must shrink freely)."""
        if isinstance(fault, Pause):
            slot = self.slots[fault.node]
            if slot.status != UP:
                return False, f"n{fault.node} is {slot.status}"
            slot.status = PAUSED
            self.recorder.record(self.loop.now, slot.actor, "pause", {})
            return True, ""
        if isinstance(fault, Resume):
            slot = self.slots[fault.node]
            if slot.status != PAUSED:
                return False, f"n{fault.node} is {slot.status}"
            self._resume(slot)
            return True, ""
        if isinstance(fault, Heal):
            self.network.heal()
            return True, ""
        if isinstance(fault, Partition):
            self.network.partition(fault.shape, fault.nodes)
            return True, ""
        if isinstance(fault, Restart):
            slot = self.slots[fault.node]
            if slot.status != DOWN:
                halted = " (halted)" if slot.halted else ""
                return False, f"n{fault.node} is {slot.status}{halted}"
            self._boot(slot, "restart")
            return True, ""
        if isinstance(fault, Crash):
            slot = self.slots[fault.node]
            if slot.status == DOWN:
                return False, f"n{fault.node} is down"
            self._stop(slot, "crash", {})
            return True, ""
        if isinstance(fault, PowerFailure):
            for n in fault.nodes:
                self._power_fail(self.slots[n], None)
            return True, ""
        if isinstance(fault, TornWrite):
            note = self._power_fail(self.slots[fault.node], fault.keep)
            return True, note
        if isinstance(fault, BitFlip):
            slot = self.slots[fault.node]
            where = slot.disk.bit_flip(fault.target, fault.file_index, fault.offset, fault.bit)
            if not where:
                return False, f"no {fault.target} bytes to flip"
            return True, self._restart_to_read(slot, where)
        if isinstance(fault, LatentSectorError):
            slot = self.slots[fault.node]
            where = slot.disk.latent_error(
                fault.target, fault.file_index, fault.offset, fault.length)
            if not where:
                return False, f"no {fault.target} bytes to spoil"
            return True, self._restart_to_read(slot, where)
        if isinstance(fault, MisdirectedWrite):
            where = self.slots[fault.node].disk.arm_misdirect(
                fault.target, fault.file_index, fault.offset)
            return (True, where) if where else (False, f"no {fault.target} file")
        return False, f"fault kind {fault.kind!r} is not simulated"

    def _restart_to_read(self, slot: NodeSlot, where: str) -> str:
        """Damage is applied to a killed node, which then starts and recovers from it, as
        Jepsen's file-corruption nemeses do (and the real-cluster harness does): a
        running process holds its data in memory and would never read the damage. A node
        that is down just keeps the damage until it restarts."""
        if slot.status == DOWN:
            return where
        self._stop(slot, "crash", {"why": "damaged while stopped"})
        self._boot(slot, "restart")
        return f"{where}; n{slot.id} killed and restarted on it"

    def _power_fail(self, slot: NodeSlot, keep: int | None) -> str:
        """Crash (if running) and drop the page cache; the OS went down too."""
        was = slot.status
        note = slot.disk.power_fail(keep)
        kind = "power-failure" if keep is None else "torn-write"
        data: dict[str, Any] = {"was": was}
        if note:
            data["note"] = note
        if was != DOWN:
            self._stop(slot, kind, data)
        else:
            self.recorder.record(self.loop.now, slot.actor, kind, data)
        return note

    def _resume(self, slot: NodeSlot) -> None:
        """Handle the queued inputs in arrival order, then the timers that expired."""
        slot.status = UP
        self.recorder.record(self.loop.now, slot.actor, "resume", {"queued": len(slot.inbox)})
        life = slot.life
        inbox, slot.inbox = slot.inbox, []
        for i, (kind, src, payload, msg_id, lam) in enumerate(inbox):
            if slot.life != life or slot.status != UP:
                for item in inbox[i:]:
                    self._record_drop(item[1], slot.id, item[3], "node halted")
                return
            if kind == "msg":
                self._receive(slot, src, payload, msg_id, lam)
            else:
                self._handle_request(slot, src, payload, msg_id, lam)
        expired, slot.expired = slot.expired, []
        for name, token in expired:
            if slot.life != life or slot.status != UP:
                return
            key = slot.timers.get(name)
            if key is not None and key[1] == token:
                del slot.timers[name]
                self._timer_step(slot, name)

    # --------------------------------------------------------------------- final phase

    def _final_phase(self) -> None:
        """End of the fault phase: heal, resume, restart everything, then read."""
        now = self.loop.now
        self.heal_time = now
        self.clients.close_publishing()
        self.network.heal()
        self.recorder.record(now, "sim", "final-phase", {})
        for slot in self.slots:
            if slot.status == PAUSED:
                self._resume(slot)
        for slot in self.slots:
            if slot.status == UP and slot.halted:
                self._stop(slot, "stop", {"reason": "final restart of a halted node"})
            if slot.status == DOWN:
                self._boot(slot, "final restart after halt" if slot.halted else "final restart")
        self.clients.start_readers()


def simulate(
    schedule: Schedule, factory: NodeFactory, config: Any, *, record_events: bool = True,
    digest: bool = True,
) -> SimResult:
    """Run ``schedule`` on nodes built by ``factory(node_id, nodes, config, rng)``.

    A pure function of (schedule, factory, config): the same inputs give the same
    history and digest in any process. ``record_events=False`` skips keeping the event
    list (faster) but computes the same digest; ``digest=False`` (only without events)
    skips the digest too (``SimResult.digest`` is then ``""``): the explorer's fast path.
    """
    return Simulator(
        schedule, factory, config, record_events=record_events, digest=digest
    ).run()
