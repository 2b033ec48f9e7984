"""Simulator throughput: events per second of wall time, and simulated/wall time ratio.

Three figures, each the best of ``--repeat`` runs on one core:
1. the bare event loop (callbacks that reschedule themselves: the heap's cost);
2. the full simulator with trivial nodes (each only re-arms a timer), recording off;
3. a 5-node heartbeat cluster (every node pings every other node every 10 ms, with
   clients publishing and being refused), recording off and on.

"events" are event-loop callbacks (a delivery, a timer, a client step, a fault); each
may record several history events (a timer that sends four pings records five).
"recording" includes building the History's Event tuple at the end.

Usage: python bench/sim_throughput.py [--repeat 3] [--seconds 20]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "sim"))

from nodes import HeartbeatConfig, heartbeat_factory

from ackcheck.node import NodeState, Output, SetTimer
from ackcheck.schedule import US_PER_S, Schedule, Workload
from ackcheck.sim import Simulator
from ackcheck.sim.loop import EventLoop
from ackcheck.sim.simulator import SIMULATED_WRITES


def best_of(repeat: int, fn: Callable[[], tuple[int, float, int]]) -> tuple[int, float, int]:
    """(events, wall seconds, simulated microseconds) of the fastest run."""
    return min((fn() for _ in range(repeat)), key=lambda r: r[1] / max(r[0], 1))


def bare_loop(events: int = 1_000_000) -> tuple[int, float, int]:
    loop = EventLoop()
    remaining = [events]

    def tick(step: int) -> None:
        remaining[0] -= 1
        if remaining[0] > 0:
            loop.after(step, tick, step)

    for i in range(100):
        loop.at(i, tick, 97 + i)
    start = time.perf_counter()
    n = loop.run(until=10**15)
    return n, time.perf_counter() - start, loop.now


class TimerNode:
    """Does nothing but re-arm one timer: measures the simulator's per-step overhead."""

    def __init__(self, node_id: int, nodes: int, config: Any, rng: random.Random) -> None:
        self.period = 100 + node_id

    def step(self, event: Any) -> Sequence[Output]:
        return [SetTimer("t", self.period)]

    def state(self) -> NodeState:
        return NodeState(term=0, role="idle", commit_index=0, log=())


def run_sim(factory: Any, config: Any, seconds: int, record: bool,
            workload: Workload) -> tuple[int, float, int]:
    sched = Schedule(nodes=5, seed=1, duration=seconds * US_PER_S, settle=0, workload=workload)
    sim = Simulator(sched, factory, config, record_events=record)
    start = time.perf_counter()
    sim.run()
    return sim.loop.processed, time.perf_counter() - start, sim.loop.now


def report(name: str, result: tuple[int, float, int], ratio: bool = True) -> None:
    events, wall, simulated = result
    shown = f"{simulated / 1e6 / wall:8.1f}x" if ratio else "     n/a"
    print(f"{name:<44} {events:>10,d} events {wall:7.2f}s wall "
          f"{events / wall:>10,.0f} events/s  sim/wall {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=20, help="simulated seconds per run")
    args = parser.parse_args()
    quiet = Workload(clients=1, writes=0)
    # 5 clients writing over the whole run, within the simulator's bound on writes
    writes = min(args.seconds * 1_000, SIMULATED_WRITES)
    busy = Workload(clients=5, writes=writes, interval=args.seconds * US_PER_S * 5 // writes,
                    timeout=50_000, start=0)
    report("bare event loop", best_of(args.repeat, bare_loop), ratio=False)
    report("simulator, 5 timer-only nodes, no recording",
           best_of(args.repeat, lambda: run_sim(lambda *a: TimerNode(*a), None,
                                                args.seconds // 4 or 1, False, quiet)))
    cfg = HeartbeatConfig(period=10_000)
    report("5-node heartbeat + clients, no recording",
           best_of(args.repeat, lambda: run_sim(heartbeat_factory, cfg, args.seconds, False,
                                                busy)))
    report("5-node heartbeat + clients, recording",
           best_of(args.repeat, lambda: run_sim(heartbeat_factory, cfg, args.seconds, True,
                                                busy)))


if __name__ == "__main__":
    main()
