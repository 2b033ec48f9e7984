"""Acked publishes/s on a real 3-node nats-server cluster whose stores sit on the
lose-unsynced-writes FUSE fs, and the wall time of a 5-node replay, start to verdict.

    python bench/real_throughput.py                      # 2.12.1, default + always
    python bench/real_throughput.py --version latest --seconds 5
    python bench/real_throughput.py --replay-5           # also time a 5-node replay

Targets: >= 3,000 acked/s at the default sync interval, >= 1,500 with
``sync_interval: always``; a 5-node replay in <= 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from ackcheck.harness.cluster import NatsCluster
from ackcheck.harness.driver import stream_settled
from ackcheck.harness.workload import OpLog, Publisher, create_stream


async def _load(
    cluster: NatsCluster, seconds: float, clients: int, pipeline: int
) -> tuple[int, float]:
    await create_stream(cluster.nodes[0].client_url, cluster.size)
    deadline = time.monotonic() + 20
    while stream_settled(cluster) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    start = time.monotonic()
    log = OpLog(lambda: int((time.monotonic() - start) * 1e6))
    per_client = int(seconds * 20_000)  # more than any client can publish in time
    values = [[f"{c}-{k}" for k in range(per_client)] for c in range(clients)]
    pubs = [
        Publisher(c, c % cluster.size, cluster.nodes[c % cluster.size].client_url,
                  values[c], log, interval_s=0, timeout_s=5, pipeline=pipeline)
        for c in range(clients)
    ]
    start = time.monotonic()
    tasks = [asyncio.ensure_future(p.run()) for p in pubs]
    await asyncio.sleep(seconds)
    acked_in_window = log.acks()
    elapsed = time.monotonic() - start
    for p in pubs:
        p.stopped.set()
    await asyncio.wait(tasks, timeout=10)
    return acked_in_window, elapsed


def throughput(
    version: str, sync: str | None, seconds: float, clients: int, pipeline: int
) -> float:
    with NatsCluster(3, version, sync) as cluster:
        acked, elapsed = asyncio.run(_load(cluster, seconds, clients, pipeline))
        label = sync or "default (2m)"
        rate = acked / elapsed
        print(f"nats-server {cluster.version} 3 nodes on FUSE, sync_interval={label}: "
              f"{acked} acked in {elapsed:.2f}s = {rate:,.0f} acked publishes/s "
              f"({clients} clients x {pipeline} in flight)")
        return rate


def replay_5(version: str) -> float:
    from ackcheck.app._runner import run_once
    from ackcheck.harness.replay import replay_on_nats
    from ackcheck.model import resolve_config
    from ackcheck.schedule import US_PER_S, PowerFailure, Schedule, TimedFault
    from ackcheck.traces import make_trace

    schedule = Schedule(nodes=5, duration=2 * US_PER_S, settle=3 * US_PER_S,
                        faults=(TimedFault(800_000, PowerFailure(nodes=(0, 1, 2, 3, 4))),))
    config = resolve_config("nats-2.12.1", [])
    outcome = run_once(config, schedule, properties=["ack-implies-durable"])
    trace = make_trace(preset="nats-2.12.1", overrides=(), config=config, node="raft",
                       schedule=schedule, properties=["ack-implies-durable"],
                       violation=outcome.violations[0] if outcome.violations else None,
                       history=outcome.history, digest=outcome.digest)
    started = time.monotonic()
    report = replay_on_nats(trace, version)
    wall = time.monotonic() - started
    print(report.render())
    print(f"5-node replay (power failure of all nodes) start to verdict: {wall:.1f}s")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="2.12.1")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--pipeline", type=int, default=64)
    parser.add_argument("--replay-5", action="store_true")
    args = parser.parse_args()
    for sync in (None, "always"):
        throughput(args.version, sync, args.seconds, args.clients, args.pipeline)
    if args.replay_5:
        replay_5(args.version)


if __name__ == "__main__":
    main()
