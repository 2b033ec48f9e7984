"""The real cluster's warm-up: the durable prefix a warm schedule starts from.

A schedule with ``Workload.warm`` > 0 starts, in the model, from a fault-free warm-up
whose writes were all acknowledged, held by every node and written back to disk, after
which every node restarted (``ackcheck.sim.warmup``). The real cluster gets the same:

1. the warm values are published (each client pinned to its server, as in the run);
2. every running server's own ``/jsz`` must count them all;
3. they are made durable, either by an OS writeback of each store's FUSE mount
   (``warm_sync="os"``, the default: the mount's ``sync``, what earlier syncs of a
   long-running server did) or by waiting for the servers' own sync timers to leave no
   unsynced byte (``warm_sync="server"``, bounded by the sync interval plus a margin: up
   to two minutes with the default ``sync_interval``);
4. every server is killed and started again, and the driver waits for the stream.

None of it counts toward the replay's own time: the report gives it apart.
"""

from __future__ import annotations

import asyncio
import time

import attrs

from ackcheck.errors import HarnessError
from ackcheck.harness.cluster import NatsCluster
from ackcheck.harness.config import STREAM
from ackcheck.harness.waiting import wait_until
from ackcheck.harness.workload import OpLog, Publisher
from ackcheck.schedule import Workload

WARM_SYNCS = ("os", "server")
_ROUNDS = 5  # publishing rounds for warm writes that timed out
_SERVER_SYNC_MARGIN_S = 10.0


@attrs.frozen
class WarmUp:
    """What the warm-up did and how long it took (not part of the replay's time)."""

    values: int
    seconds: float
    sync: str
    notes: tuple[str, ...]

    def line(self) -> str:
        return (f"warm-up: {self.values} writes acked, on every server and synced "
                f"({self.sync}) in {self.seconds:.1f}s; " + "; ".join(self.notes))


async def warm_up(cluster: NatsCluster, workload: Workload, log: OpLog, *, sync: str,
                  sync_interval_s: float | None, wait_s: float) -> WarmUp:
    """Carry out steps 1-4 above; a step that fails is a one-line HarnessError."""
    if sync not in WARM_SYNCS:
        raise HarnessError(f"warm_sync must be one of {WARM_SYNCS}, got {sync!r}")
    started = time.monotonic()
    notes: list[str] = []
    values = workload.warm_values()
    total = sum(len(v) for v in values)
    deadline = time.monotonic() + wait_s
    for attempt in range(_ROUNDS):
        # What was not acknowledged is published again (Nats-Msg-Id de-duplicates), each
        # round through the next server: a warm-up needs the prefix, not the pinning.
        acked = {op.value for op in log.ops if op.f == "publish" and op.type == "ok"}
        publishers = [
            Publisher(c, (c + attempt) % cluster.size,
                      cluster.nodes[(c + attempt) % cluster.size].client_url,
                      [v for v in vs if v not in acked], log,
                      interval_s=0.0, timeout_s=2.0, pipeline=8)
            for c, vs in enumerate(values)
        ]
        if not any(p.values for p in publishers) or time.monotonic() > deadline:
            break
        await asyncio.wait_for(asyncio.gather(*(p.run() for p in publishers if p.values)),
                               max(1.0, deadline - time.monotonic()))
    acked = {op.value for op in log.ops if op.f == "publish" and op.type == "ok"}
    if len(acked) < total:
        raise HarnessError(f"warm-up: only {len(acked)} of {total} writes were acknowledged")
    if not await wait_until(lambda: _every_server_holds(cluster, total), wait_s):
        raise HarnessError(f"warm-up: not every server holds the {total} warm writes "
                           f"after {wait_s:.0f}s")
    if sync == "os":
        for node in cluster.nodes:
            if node.mount is not None:
                await asyncio.to_thread(node.mount.sync)
        notes.append("stores written back by the FUSE mounts")
    else:
        limit = (sync_interval_s or 120.0) * 1.2 + _SERVER_SYNC_MARGIN_S
        t0 = time.monotonic()
        if not await wait_until(lambda: _all_synced(cluster), limit):
            raise HarnessError(f"warm-up: the servers' sync timers left unsynced bytes "
                               f"after {limit:.0f}s")
        notes.append(f"the servers' own sync timers after {time.monotonic() - t0:.1f}s")
    for node in cluster.nodes:
        cluster.crash(node.index)
    for node in cluster.nodes:
        cluster.start_node(node.index)
    await asyncio.to_thread(cluster.wait_ready, wait_s)
    notes.append("every server killed and started again on its synced store")
    return WarmUp(total, time.monotonic() - started, sync, tuple(notes))


def _every_server_holds(cluster: NatsCluster, count: int) -> bool:
    for node in cluster.nodes:
        state = (cluster.stream_state(node.index, STREAM) or {}).get("state") or {}
        if int(state.get("messages") or 0) < count:
            return False
    return True


def _all_synced(cluster: NatsCluster) -> bool:
    return all(n.mount is None or n.mount.unsynced_bytes() == 0 for n in cluster.nodes)
