"""Carry out a ``Schedule`` on a running :class:`NatsCluster` and record a ``History``.

The order of faults and writes is the schedule's; each fault is carried out by its entry
in :data:`FAULT_HANDLERS`. Times are the model's, scaled by ``time_scale``; where the
model's timing rests on its own timeouts, the driver waits for the same *observable*
state on the real cluster instead (see ``docs/real-cluster.md``):

* a fault may carry an *ack mark* (acks the model had seen before it): the fault then
  also waits, bounded, until the real clients have that many acks;
* a fault that starts a server (a ``Restart``, or damage done to a running one, which is
  killed, damaged and started again) is followed by waiting until it is healthy again;
* the final phase heals, resumes and starts every server, waits until all routes are up,
  the stream has a leader and every replica is current, then reads every server's copy.

Faults the model had within ``batch_us`` of each other (and no committed write between
them) are carried out together, as the model had them concurrent, and the nodes they
start are then waited for together. With ``leader_targets`` (``harness.steering``) the
model's leader after each group of faults, and in the final phase, is enforced before
the run goes on; with ``Workload.warm`` the cluster first gets the warm-up's durable
prefix (``harness.warmup``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from ackcheck.errors import ConfigError, HarnessError
from ackcheck.harness.cluster import LOG_PARTS, NatsCluster
from ackcheck.harness.config import STREAM
from ackcheck.harness.steering import (
    STREAM_GONE_S,
    LeaderTarget,
    Steerer,
    SteerStep,
    stream_exists_anywhere,
)
from ackcheck.harness.waiting import wait_until
from ackcheck.harness.warmup import WARM_SYNCS, WarmUp, warm_up
from ackcheck.harness.workload import OpLog, Publisher, create_stream, read_node
from ackcheck.history import FaultEvent, FinalRead, History
from ackcheck.schedule import (
    US_PER_S,
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
    TimedFault,
    TornWrite,
)
from ackcheck.sim import partition_graph

_POLL_S = 0.05
# An unsettled stream whose every server's view stays the same this long will not settle.
STABLE_S = 8.0


def _positive(_inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or not value > 0:
        raise ConfigError(f"{attribute.name} must be > 0, got {value!r}")


def _log_parts(_inst: object, _attribute: object, value: tuple[str, ...]) -> None:
    if not isinstance(value, tuple) or not value or any(p not in LOG_PARTS for p in value):
        raise ConfigError(f"log_parts must name some of {LOG_PARTS}, got {value!r}")


def _warm_sync(_inst: object, _attribute: object, value: str) -> None:
    if value not in WARM_SYNCS:
        raise ConfigError(f"warm_sync must be one of {', '.join(WARM_SYNCS)}, got {value!r}")


@attrs.frozen
class RunOptions:
    """How a schedule is stretched onto real time and real load: the harness's own
    settings, beside the node config (which only sets ``sync_interval``)."""

    time_scale: float = attrs.field(default=1.0, validator=_positive)  # real s per model s
    pipeline: int = attrs.field(default=1, validator=_positive)  # publishes in flight/client
    # which files a `log` corruption damages: the stream's blocks, its Raft WAL, or both
    log_parts: tuple[str, ...] = attrs.field(default=LOG_PARTS, validator=_log_parts)
    mark_wait_s: float = 5.0  # longest extra wait for an ack mark
    restart_wait_s: float = 15.0  # longest wait for a restarted server to be healthy
    settle_s: float = 30.0  # longest final phase (heal .. reads done), steering apart
    interval_s: float | None = None  # overrides the workload's publish interval
    timeout_s: float | None = None  # overrides the workload's publish timeout
    steer: bool = True  # enforce ``leader_targets`` (see harness.steering)
    steer_wait_s: float = attrs.field(default=25.0, validator=_positive)  # per target
    # model µs within which faults (with no committed write between) are one group
    batch_us: int = 20_000
    # how a warm schedule's prefix becomes durable: the mounts' writeback, or the
    # servers' own sync timers (see harness.warmup)
    warm_sync: str = attrs.field(default="os", validator=_warm_sync)
    warm_wait_s: float = 60.0  # longest wait for each warm-up step
    # Derived from the model's history by ``replay_on_nats`` (left empty: none):
    # fault position -> acks the real clients must get after the previous fault (or the
    # start) before it: the client writes the model committed in that window
    ack_marks: Mapping[int, int] = attrs.field(factory=dict)
    # fault position -> the value the model's damaged log record held (faultmap)
    fault_values: Mapping[int, str] = attrs.field(factory=dict)
    leader_targets: tuple[LeaderTarget, ...] = ()  # the model's elections (steering)
    # value -> model time: the value is published only once every fault and election
    # the model had up to then is done, so each window between them gets the writes the
    # model committed in it (the model's commit time; its first publish if never)
    gates: Mapping[str, int] = attrs.field(factory=dict)


def blocked_pairs(nodes: int, fault: Partition) -> set[tuple[int, int]]:
    """Directed pairs that must not deliver under ``fault`` (the simulator's shapes)."""
    graph = partition_graph(nodes, fault.shape, fault.nodes)
    everyone = {(a, b) for a in range(nodes) for b in range(nodes) if a != b}
    return everyone - set(graph.edges)


@attrs.frozen
class Outcome:
    """What carrying out one fault did. ``applied=False`` is a recorded no-op, as in the
    simulator; ``started`` names the nodes it started, which the driver then waits for."""

    applied: bool
    note: str = ""
    started: tuple[int, ...] = ()


@attrs.frozen
class FaultContext:
    """What a handler may need besides the fault: for a ``log`` corruption, the value
    the model's damaged record held (``faultmap``) and which log files to damage."""

    value: str | None = None
    log_parts: tuple[str, ...] = LOG_PARTS


FaultHandler = Callable[[NatsCluster, Any, FaultContext], Outcome]


def _pause(cluster: NatsCluster, fault: Pause, _: FaultContext) -> Outcome:
    return Outcome(cluster.pause(fault.node))


def _resume(cluster: NatsCluster, fault: Resume, _: FaultContext) -> Outcome:
    return Outcome(cluster.resume(fault.node))


def _heal(cluster: NatsCluster, fault: Heal, _: FaultContext) -> Outcome:
    cluster.heal()
    return Outcome(True)


def _partition(cluster: NatsCluster, fault: Partition, _: FaultContext) -> Outcome:
    pairs = blocked_pairs(cluster.size, fault)
    cluster.set_blocked(pairs)
    return Outcome(True, f"{len(pairs)} directed links cut")


def _restart(cluster: NatsCluster, fault: Restart, _: FaultContext) -> Outcome:
    started = cluster.start_node(fault.node)
    return Outcome(started, started=(fault.node,) if started else ())


def _crash(cluster: NatsCluster, fault: Crash, _: FaultContext) -> Outcome:
    return Outcome(cluster.crash(fault.node), "SIGKILL")


def _power_failure(cluster: NatsCluster, fault: PowerFailure, _: FaultContext) -> Outcome:
    for node in fault.nodes:  # kill them all first: a coordinated failure stops all at once
        cluster.crash(node)
    notes = [f"n{node}: {cluster.power_fail(node)}" for node in fault.nodes]
    return Outcome(bool(fault.nodes), "; ".join(notes))


def _torn_write(cluster: NatsCluster, fault: TornWrite, _: FaultContext) -> Outcome:
    note = cluster.power_fail(fault.node)
    return Outcome(True, f"approximated by a power failure of n{fault.node} ({note})")


@attrs.frozen
class _Damage:
    """XOR ``mask(fault)`` into a stored file of a stopped node. A running node is killed
    first and started again on the damage, as in the simulator (a running process would
    never read it). A ``log`` target damages a record, not a byte: the one holding the
    value the model's damaged record held, in each of the context's ``log_parts``."""

    mask: Callable[[Any], bytes]
    approximation: str = ""

    def __call__(self, cluster: NatsCluster, fault: Any, context: FaultContext) -> Outcome:
        node = fault.node
        killed = cluster.crash(node)
        mask = self.mask(fault)
        if fault.target == "log":
            note = cluster.corrupt_record(
                node, fault.file_index, fault.offset, mask, context.value, context.log_parts
            )
        else:
            note = cluster.corrupt(node, fault.target, fault.file_index, fault.offset, mask)
        applied = not note.startswith("no ")
        prefix = (f"n{node} was up: killed first; " if killed else "") + self.approximation
        if not killed:
            return Outcome(applied, prefix + note)
        cluster.start_node(node)
        return Outcome(applied, f"{prefix}{note}; n{node} restarted on it", started=(node,))


def _unsupported(reason: str) -> FaultHandler:
    def handler(cluster: NatsCluster, fault: Fault, _: FaultContext) -> Outcome:
        return Outcome(False, reason)

    return handler


# The one place a fault kind meets the real cluster: a new kind is one entry here.
FAULT_HANDLERS: Mapping[type[Fault], FaultHandler] = {
    Pause: _pause,
    Resume: _resume,
    Heal: _heal,
    Partition: _partition,
    Restart: _restart,
    Crash: _crash,
    PowerFailure: _power_failure,
    TornWrite: _torn_write,  # the surviving prefix of the last write is not modelled
    BitFlip: _Damage(lambda f: bytes([1 << (f.bit % 8)])),
    # an unreadable range ~ a range whose checksum no longer matches
    LatentSectorError: _Damage(
        lambda f: b"\xff" * max(1, f.length), "approximated by inverting the range; "
    ),
    MisdirectedWrite: _unsupported("misdirected writes cannot be injected into a real server"),
}


def apply_fault(
    cluster: NatsCluster, fault: Fault, context: FaultContext | None = None
) -> Outcome:
    """Carry out one fault now through :data:`FAULT_HANDLERS`. Total, like the
    simulator: a kind with no entry is a recorded no-op that says so."""
    handler = FAULT_HANDLERS.get(type(fault))
    if handler is None:
        return Outcome(False, f"fault kind {fault.kind!r} has no real-cluster handler")
    return handler(cluster, fault, context or FaultContext())


class _Clock:
    """Real time since the run began; faults are due at their model time (scaled) plus
    the time spent steering, so the gaps between faults survive a steering wait."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.held_s = 0.0

    def now_us(self) -> int:
        return int((time.monotonic() - self.t0) * US_PER_S)

    async def until(self, at_us: int, scale: float) -> None:
        delay = self.t0 + self.held_s + at_us / US_PER_S * scale - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


@attrs.frozen
class DriveResult:
    """A real run: its history, and what the harness did besides the schedule."""

    history: History
    steering: tuple[SteerStep, ...] = ()
    warm: WarmUp | None = None
    notes: tuple[str, ...] = ()


def _healthy(cluster: NatsCluster, index: int) -> bool:
    health = cluster.nodes[index].try_http("/healthz?js-enabled-only=true")
    return bool(health) and health.get("status") == "ok"


def stream_settled(cluster: NatsCluster) -> str:
    """'' when every server sees the same stream leader and all replicas current."""
    leaders = set()
    for node in cluster.nodes:
        detail = cluster.stream_state(node.index, STREAM)
        if detail is None:
            return f"{node.name} has no stream yet"
        info = detail.get("cluster") or {}
        if not info.get("leader"):
            return f"{node.name} sees no stream leader"
        leaders.add(info["leader"])
        if node.name == info["leader"]:
            lagging = [r.get("name") for r in info.get("replicas") or [] if not r.get("current")]
            if lagging:
                return f"replicas {','.join(map(str, lagging))} not current"
    if len(leaders) != 1:
        return f"servers disagree on the stream leader: {sorted(leaders)}"
    return ""


def fault_groups(faults: Sequence[TimedFault], options: RunOptions) -> list[list[int]]:
    """Positions of faults carried out together: each within ``batch_us`` of its group's
    first, with no ack mark (no write the model committed) in between."""
    groups: list[list[int]] = []
    for position, tf in enumerate(faults):
        if (groups and tf.at - faults[groups[-1][0]].at <= options.batch_us
                and not options.ack_marks.get(position)):
            groups[-1].append(position)
        else:
            groups.append([position])
    return groups


class _FaultPhase:
    """Carries out the schedule's faults group by group and enforces the model's
    elections at their model times in between (``steerer``)."""

    def __init__(self, cluster: NatsCluster, faults: Sequence[TimedFault], clock: _Clock,
                 log: OpLog, options: RunOptions, steerer: Steerer | None) -> None:
        self.cluster = cluster
        self.faults = faults
        self.clock = clock
        self.log = log
        self.options = options
        self.steerer = steerer
        self.events: list[FaultEvent] = []
        self.next_at: float = -1.0  # model time of the next item not done (inf: all)
        self._moved = asyncio.Event()

    async def reached(self, at: int) -> None:
        """Return once every item of the timeline at or before model time ``at`` is
        done (or the phase ended)."""
        while self.next_at <= at:
            self._moved.clear()
            await self._moved.wait()

    def _advance(self, next_at: float) -> None:
        self.next_at = next_at
        self._moved.set()

    def _timeline(self) -> list[tuple[int, int, Any]]:
        """(model time, 0 for faults / 1 for an election, the group or target), in order:
        at one microsecond the faults come first, as in the simulator."""
        items: list[tuple[int, int, Any]] = [
            (self.faults[g[0]].at, 0, g) for g in fault_groups(self.faults, self.options)
        ]
        if self.steerer is not None:
            items += [(t.at, 1, t) for t in self.options.leader_targets if not t.final]
        return sorted(items, key=lambda item: (item[0], item[1]))

    async def run(self) -> None:
        try:
            await self._run()
        finally:
            self._advance(float("inf"))

    async def _run(self) -> None:
        window_acks = self.log.acks()
        for at, kind, item in self._timeline():
            self._advance(at)  # every item before this one is done
            await self.clock.until(at, self.options.time_scale)
            if kind == 1:
                assert self.steerer is not None
                step = await self.steerer.enforce(item, self.cluster.blocked)
                self.clock.held_s += step.waited_s
                continue
            first = item[0]
            short = await self._await_mark(first, window_acks)
            window_acks = self.log.acks()
            started: list[tuple[int, int]] = []  # (event index, node)
            for position in item:
                outcome = self._apply(position, short if position == first else "")
                started += [(len(self.events) - 1, n) for n in outcome.started]
            await self._await_started(started)

    async def _await_mark(self, position: int, window_acks: int) -> str:
        mark = self.options.ack_marks.get(position)
        if not mark:
            return ""
        log = self.log
        ok = await wait_until(lambda: log.acks() - window_acks >= mark,
                              self.options.mark_wait_s, poll_s=0.01)
        if ok:
            return ""
        return (f"; only {log.acks() - window_acks} of the model's {mark} committed writes "
                "acked since the previous fault")

    def _apply(self, position: int, extra: str) -> Outcome:
        tf = self.faults[position]
        at = self.clock.now_us()
        context = FaultContext(self.options.fault_values.get(position), self.options.log_parts)
        try:
            outcome = apply_fault(self.cluster, tf.fault, context)
        except HarnessError as exc:
            outcome = Outcome(False, f"not carried out: {exc}")
        self.events.append(
            FaultEvent(at, tf.fault, outcome.applied, (outcome.note + extra).strip("; "))
        )
        return outcome

    async def _await_started(self, started: Sequence[tuple[int, int]]) -> None:
        """Wait, together, for the servers one group of faults started."""
        cluster, limit = self.cluster, self.options.restart_wait_s
        waits = [wait_until(functools.partial(_healthy, cluster, node), limit)
                 for _, node in started]
        for (index, node), ok in zip(started, await asyncio.gather(*waits), strict=True):
            if not ok:
                event = self.events[index]
                self.events[index] = attrs.evolve(
                    event, note=f"{event.note} (n{node} not healthy within {limit:.0f}s)".strip()
                )


async def drive(cluster: NatsCluster, schedule: Schedule, options: RunOptions) -> History:
    """Run ``schedule`` on ``cluster`` (already started) and return the real history."""
    return (await drive_recorded(cluster, schedule, options)).history


async def drive_recorded(cluster: NatsCluster, schedule: Schedule, options: RunOptions
                         ) -> DriveResult:
    """Run ``schedule`` on ``cluster`` (already started): warm-up (if the workload is
    warm), faults with steering, final phase; the history and what was done besides."""
    if schedule.nodes != cluster.size:
        raise HarnessError(
            f"the schedule has {schedule.nodes} nodes, the cluster {cluster.size}"
        )
    await create_stream(cluster.nodes[0].client_url, cluster.size)
    if not await wait_until(lambda: not stream_settled(cluster), 20):
        raise HarnessError(f"stream not ready: {stream_settled(cluster)}")
    wl = schedule.workload
    log = OpLog(lambda: 0)  # the warm-up's writes were acknowledged "before time 0"
    warm = None
    if wl.warm:
        warm = await warm_up(cluster, wl, log, sync=options.warm_sync,
                             sync_interval_s=_interval_s(cluster.sync_interval),
                             wait_s=options.warm_wait_s)
        if not await wait_until(lambda: not stream_settled(cluster), options.warm_wait_s):
            raise HarnessError(f"stream not ready after the warm-up: {stream_settled(cluster)}")
    clock = _Clock()
    log.now_us = clock.now_us
    interval_s = options.interval_s
    if interval_s is None:
        interval_s = wl.interval / US_PER_S * options.time_scale
    timeout_s = options.timeout_s
    if timeout_s is None:
        timeout_s = max(wl.timeout / US_PER_S * options.time_scale, 0.5)
    warm_counts = [len(v) for v in wl.warm_values()]
    publishers = [
        Publisher(
            c, c % cluster.size, cluster.nodes[c % cluster.size].client_url,
            values[warm_counts[c]:], log,
            interval_s=interval_s, timeout_s=timeout_s, pipeline=options.pipeline,
        )
        for c, values in enumerate(wl.values())
    ]
    steerer = Steerer(cluster, options.steer_wait_s) if options.steer else None
    phase = _FaultPhase(cluster, schedule.sorted_faults(), clock, log, options, steerer)

    async def gate(value: str) -> None:
        at = options.gates.get(value)
        if at is not None:
            await phase.reached(at)

    for p in publishers:
        p.gate = gate if options.gates else None
    fault_task = asyncio.ensure_future(phase.run())
    await clock.until(wl.start, options.time_scale)
    pub_tasks = [asyncio.ensure_future(p.run()) for p in publishers]
    try:
        await clock.until(schedule.duration, options.time_scale)
        await fault_task  # faults scheduled late still happen, in order
        for p in publishers:
            p.stopped.set()
        await asyncio.wait(pub_tasks, timeout=timeout_s + 5)
    finally:
        for task in [*pub_tasks, fault_task]:
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
    for p in publishers:
        await p.close()
    _close_dangling(log)
    heal_time = clock.now_us()
    final_targets = [t for t in options.leader_targets if t.final]
    final_reads, notes = await final_phase(cluster, options, steerer, final_targets)
    history = History(
        nodes=cluster.size,
        ops=tuple(log.ops),
        faults=tuple(phase.events),
        final_reads=tuple(final_reads),
        heal_time=heal_time,
        end_time=clock.now_us(),
        source=f"nats-server {cluster.version}",
    )
    steps = tuple(steerer.steps) if steerer is not None else ()
    return DriveResult(history, steps, warm, tuple(notes))


def _interval_s(sync_interval: str | None) -> float | None:
    """Seconds of a nats ``sync_interval`` (None for ``always`` or the default)."""
    if not sync_interval or sync_interval == "always":
        return None
    from ackcheck.model import RaftConfig

    us = RaftConfig(fsync=sync_interval).fsync_interval
    return None if us is None else us / US_PER_S


def _close_dangling(log: OpLog) -> None:
    """Invokes with no completion (cancelled at the end) complete as ``info``."""
    open_ops: dict[tuple[int, str | None], int] = {}
    for op in log.ops:
        if op.f != "publish":
            continue
        key = (op.process, op.value)
        open_ops[key] = open_ops.get(key, 0) + (1 if op.type == "invoke" else -1)
    for (process, value), count in sorted(open_ops.items(), key=lambda kv: kv[0][0]):
        for _ in range(max(0, count)):
            node = next(o.node for o in log.ops if o.process == process)
            log.add(process, "info", "publish", value, node)


async def final_phase(
    cluster: NatsCluster, options: RunOptions, steerer: Steerer | None = None,
    targets: Sequence[LeaderTarget] = (),
) -> tuple[list[FinalRead], list[str]]:
    """Heal, resume, start every server; steer to the model's final leader; wait for a
    settled stream; read each server's own copy. Returns the reads and notes.

    A read is complete when the server served as many entries as its own ``/jsz``
    counts, settled cluster or not: servers that serve different acknowledged prefixes
    are how split brain shows (per-node loss), and must not be hidden as incomplete."""
    started = time.monotonic()
    steering = list(targets) if steerer is not None else []
    # The model heals into its first final election: so the links of that election are
    # cut from the heal on, before any route comes back and lets the others catch up.
    cluster.set_blocked(steering[0].cut(cluster.size) if steering else ())
    for node in cluster.nodes:
        cluster.resume(node.index)
        cluster.start_node(node.index)
    notes: list[str] = []
    steered = 0.0
    for target in steering:
        assert steerer is not None
        steered += (await steerer.enforce(target, frozenset())).waited_s
    cluster.heal()
    try:
        await asyncio.to_thread(cluster.wait_ready, options.settle_s)
    except HarnessError as exc:
        return [FinalRead(n.index, (), complete=False, error=str(exc)) for n in cluster.nodes], [
            f"final phase: {exc}"]
    deadline = started + options.settle_s + steered
    gone = await _wait_settled_or_gone(cluster, deadline)
    unsettled = "" if gone else await asyncio.to_thread(stream_settled, cluster)
    if gone or (unsettled and not await asyncio.to_thread(stream_exists_anywhere, cluster)):
        # Every server forgot the stream: a complete answer, and it holds nothing.
        return [FinalRead(n.index, (), complete=True) for n in cluster.nodes], [
            "no server has the stream any more"]
    if unsettled:
        notes.append(f"stream never settled ({unsettled}); each server read as it is")
    budget = max(2.0, deadline - time.monotonic())

    def state_of(i: int) -> Callable[[], Any]:
        return lambda: cluster.stream_state(i, STREAM)

    reads = await asyncio.gather(
        *[read_node(n.index, n.client_url, state_of(n.index), budget) for n in cluster.nodes]
    )
    return [await _from_store(cluster, r, notes) for r in reads], notes


async def _from_store(cluster: NatsCluster, read: FinalRead, notes: list[str]) -> FinalRead:
    """A read whose count disagrees with the server's own ``/jsz`` was served by other
    servers: a replica that is not current (split brain, or never caught up) leaves
    direct gets to the others. What that server holds is then read from its store files
    (``NatsCluster.stored_stream``), and it counts as its read if the count agrees."""
    if read.complete and not read.error:
        return read
    node = cluster.nodes[read.node]
    entries = await asyncio.to_thread(cluster.stored_stream, read.node)
    state = ((await asyncio.to_thread(cluster.stream_state, read.node, STREAM)) or {}).get(
        "state") or {}
    if not node.up or state.get("messages") != len(entries):
        return read
    notes.append(f"{node.name} read from its store files ({len(entries)} entries; its "
                 f"direct gets: {read.error or 'incomplete'})")
    return FinalRead(read.node, tuple(entries), complete=True)


def _views(cluster: NatsCluster) -> tuple[Any, ...]:
    """Each server's own (message count, last sequence, leader) of the stream."""
    out = []
    for node in cluster.nodes:
        detail = cluster.stream_state(node.index, STREAM) or {}
        state = detail.get("state") or {}
        leader = (detail.get("cluster") or {}).get("leader")
        out.append((state.get("messages"), state.get("last_seq"), leader))
    return tuple(out)


async def _wait_settled_or_gone(cluster: NatsCluster, deadline: float) -> bool:
    """Wait until the stream settles (False), or no server has had it for
    ``STREAM_GONE_S`` seconds with a meta leader elected (True: it is gone), or every
    server's view of it has not changed for ``STABLE_S`` (False: split brain, a lagging
    replica that never catches up; reading now reads what it will hold)."""
    missing_since: float | None = None
    last_views: tuple[Any, ...] = ()
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        if not await asyncio.to_thread(stream_settled, cluster):
            return False
        if await asyncio.to_thread(stream_exists_anywhere, cluster):
            missing_since = None
        elif missing_since is None:
            missing_since = time.monotonic()
        elif time.monotonic() - missing_since >= STREAM_GONE_S:
            return True
        views = await asyncio.to_thread(_views, cluster)
        if views != last_views:
            last_views, stable_since = views, time.monotonic()
        elif missing_since is None and time.monotonic() - stable_since >= STABLE_S:
            return False
        await asyncio.sleep(_POLL_S * 2)
    return False


def run_on_cluster(
    cluster: NatsCluster, schedule: Schedule, options: RunOptions | None = None
) -> History:
    """Synchronous wrapper: one event loop per run, in the calling (main) thread."""
    return asyncio.run(drive(cluster, schedule, options or RunOptions()))


def run_recorded(
    cluster: NatsCluster, schedule: Schedule, options: RunOptions | None = None
) -> DriveResult:
    """Like :func:`run_on_cluster`, with what the harness did besides (steering, warm-up,
    notes)."""
    return asyncio.run(drive_recorded(cluster, schedule, options or RunOptions()))
