"""Warm starts (``Workload.warm``): a run that begins where a long-running cluster is.

A cluster that has run for minutes holds a durable prefix: what earlier syncs (and
compactions) put on disk. Simulating minutes of heartbeats to get there would cost more
than the run itself, so the first ``warm`` writes are published in a separate fault-free
*warm-up* of the same nodes and config instead; once every write is acknowledged and on
every node, each node's page cache is written back (the earlier sync) and the run proper
starts its processes on those files at time 0, as after a restart of every node. The
warm writes are in the run's history as acknowledged at time 0.

A warm-up depends on nothing but (nodes, network, workload, node factory and config):
it runs with seed 0 whatever the run's seed, and is computed once per process for each
hashable combination, so a search pays for it once.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import attrs

from ackcheck.errors import ConfigError
from ackcheck.history import Op
from ackcheck.node import NodeFactory
from ackcheck.schedule import US_PER_S, Schedule, Workload
from ackcheck.sim.disk import SimDisk, TagRange

if TYPE_CHECKING:
    from ackcheck.sim.simulator import Simulator

WARM_SEED = 0
# The longest warm-up, in simulated time, and how often it checks whether it is done.
WARM_LIMIT_US = 60 * US_PER_S
_CHECK_US = 10_000

# (name, bytes, tags) of every file of one node
DiskImage = tuple[tuple[str, bytes, tuple[TagRange, ...]], ...]


@attrs.frozen
class WarmState:
    """What a warm-up leaves: each node's files (to be restored as synced) and the
    acknowledged writes, ``(client, node, value, seq)`` in the order they were acked."""

    disks: tuple[DiskImage, ...]
    acks: tuple[tuple[int, int, str, int], ...]
    took_us: int  # simulated time the warm-up ran


_CACHE: dict[Hashable, WarmState] = {}
_CACHE_MAX = 64


def warm_state(schedule: Schedule, factory: NodeFactory, config: Any) -> WarmState:
    """The warm-up of ``schedule`` (computed once per process per key, when hashable)."""
    wl = schedule.workload
    key: Hashable | None = (schedule.nodes, schedule.network, wl, factory, config)
    try:
        hit = _CACHE.get(key)  # type: ignore[arg-type]
    except TypeError:  # a user's config dict: no caching
        key, hit = None, None
    if hit is not None:
        return hit
    state = _run_warm_up(schedule, factory, config)
    if key is not None:
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = state
    return state


def _run_warm_up(schedule: Schedule, factory: NodeFactory, config: Any) -> WarmState:
    from ackcheck.sim.simulator import Simulator

    wl = schedule.workload
    warm_wl = Workload(clients=wl.clients, writes=wl.warm, interval=wl.interval,
                       timeout=wl.timeout, start=wl.start)
    warm = Schedule(nodes=schedule.nodes, seed=WARM_SEED, duration=WARM_LIMIT_US, settle=0,
                    network=schedule.network, workload=warm_wl)
    sim = Simulator(warm, factory, config, record_events=False, digest=False)
    wanted = {v for values in warm_wl.values() for v in values}
    done: list[int] = []

    def check() -> None:
        acked = {op.value for op in sim.clients.ops if op.f == "publish" and op.type == "ok"}
        if acked >= wanted and all(_holds(slot.disk, wanted) for slot in sim.processes.slots):
            done.append(sim.loop.now)
            sim.loop.stop()
        else:
            sim.loop.after(_CHECK_US, check)

    sim.loop.at(warm_wl.start, check)
    sim.run()
    if not done:
        acked = sum(1 for op in sim.clients.ops if op.f == "publish" and op.type == "ok")
        raise ConfigError(
            f"warm-up: {acked} of {wl.warm} writes acknowledged and on every node after "
            f"{WARM_LIMIT_US // US_PER_S} simulated seconds without faults; this config "
            "cannot start warm (do acks wait for a sync that never comes?)"
        )
    acks = tuple(
        (op.process, op.node, str(op.value), int(op.seq or 0))
        for op in sim.clients.ops if op.f == "publish" and op.type == "ok"
    )
    disks = tuple(tuple(slot.disk.image()) for slot in sim.processes.slots)
    return WarmState(disks, acks, done[0])


def _holds(disk: SimDisk, values: set[str]) -> bool:
    durable, cached = disk.residency()
    return values <= set(durable) | set(cached)


def prime(sim: Simulator, factory: NodeFactory, config: Any) -> None:
    """Start ``sim`` warm: restore each node's warm-up files as synced, advance each
    publisher past its warm values and record them acknowledged at time 0."""
    schedule = sim.schedule
    state = warm_state(schedule, factory, config)
    for slot, image in zip(sim.processes.slots, state.disks, strict=True):
        for name, data, tags in image:
            slot.disk.restore(name, data, tags)
        sim.recorder.record(0, slot.actor, "warm-start", {
            "files": sorted(name for name, _, _ in image),
            # where each value lies, as a write's tags say (ackcheck.harness.faultmap)
            "tags": {name: [[r.start, r.end, r.tag] for r in tags]
                     for name, _, tags in image if tags},
            "sizes": {name: len(data) for name, data, _ in image},
        })
    clients = sim.clients
    for publisher, values in zip(clients.publishers, schedule.workload.warm_values(),
                                 strict=True):
        publisher.index = len(values)
    for client, node, value, seq in state.acks:
        for kind in ("invoke", "ok"):
            clients.ops.append(Op(index=len(clients.ops), time=0, process=client, type=kind,
                                  f="publish", value=value, node=node,
                                  seq=seq if kind == "ok" else None))
