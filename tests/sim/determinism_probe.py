"""Prints one digest per seed for a fault-heavy schedule; run by test_determinism.py in
separate processes with different PYTHONHASHSEED values. Usage: probe.py COUNT"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nodes import HeartbeatConfig, LogConfig, heartbeat_factory, log_factory

from ackcheck.schedule import (
    BitFlip,
    Crash,
    Fault,
    Heal,
    LatentSectorError,
    MisdirectedWrite,
    NetworkSpec,
    Partition,
    Pause,
    PowerFailure,
    Restart,
    Resume,
    Schedule,
    TimedFault,
    TornWrite,
    Workload,
)
from ackcheck.sim import simulate

NODES = 3


def faults_for(seed: int) -> tuple[TimedFault, ...]:
    rng = random.Random(seed)  # a seeded local stream, not the global one
    pool: list[Fault] = [
        Pause(1), Resume(1), Crash(0), Restart(0), PowerFailure((2,)), Restart(2),
        TornWrite(1, keep=3), Restart(1), Partition("split", (0,)), Partition("bridge", (1,)),
        Partition("one-way", (2,)), Heal(), BitFlip(0, "log", 0, 5, 3),
        LatentSectorError(1, "log", 0, 2, 8), MisdirectedWrite(2, "log", 0, 7),
    ]
    return tuple(
        TimedFault(rng.randrange(0, 150_000), rng.choice(pool)) for _ in range(rng.randint(0, 8))
    )


def digest(seed: int) -> str:
    sched = Schedule(
        nodes=NODES, seed=seed, duration=150_000, settle=200_000,
        network=NetworkSpec(min_delay=200, max_delay=3_000, loss=0.05, duplicate=0.05,
                            reorder=0.1),
        workload=Workload(clients=3, writes=30, interval=2_000, timeout=10_000, start=5_000),
        faults=faults_for(seed),
    )
    if seed % 2:
        return simulate(sched, heartbeat_factory, HeartbeatConfig(period=5_000),
                        record_events=False).digest
    return simulate(sched, log_factory, LogConfig(fsync=seed % 4 == 0)).digest


def raft_digest(seed: int) -> str:
    """The same fault-heavy schedules on the built-in Raft model (5 nodes)."""
    from ackcheck.model import PRESETS, make_node

    sched = Schedule(
        nodes=5, seed=seed, duration=600_000, settle=1_000_000,
        network=NetworkSpec(loss=0.02, duplicate=0.02, reorder=0.05),
        workload=Workload(clients=3, writes=20, interval=10_000, start=100_000),
        faults=faults_for(seed),
    )
    return simulate(sched, make_node, PRESETS["raft"].config, record_events=False).digest


if __name__ == "__main__":
    fn = raft_digest if sys.argv[2:] == ["raft"] else digest
    for s in range(int(sys.argv[1])):
        print(s, fn(s))
