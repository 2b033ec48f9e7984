"""A small seeded generator of fault schedules (deliberately not Hypothesis): crashes,
restarts, power failures of every node at once, partitions and pauses."""

from __future__ import annotations

import random

from ackcheck.app._known import standard_example
from ackcheck.schedule import (
    Crash,
    Heal,
    Partition,
    Pause,
    PowerFailure,
    Restart,
    Resume,
    Schedule,
    TimedFault,
    Workload,
)


def random_schedule(seed: int, nodes: int = 3, duration: int = 1_000_000,
                    writes: int = 15, max_faults: int = 6) -> Schedule:
    rng = random.Random(seed)
    faults: list[TimedFault] = []
    for _ in range(rng.randint(1, max_faults)):
        at = rng.randrange(50_000, duration)
        kind = rng.randrange(7)
        node = rng.randrange(nodes)
        if kind == 0:
            faults.append(TimedFault(at, Crash(node)))
            faults.append(TimedFault(at + rng.randrange(10_000, 400_000), Restart(node)))
        elif kind == 1:
            everyone = tuple(range(nodes))
            faults.append(TimedFault(at, PowerFailure(everyone)))
            for n in everyone:
                faults.append(TimedFault(at + rng.randrange(10_000, 300_000), Restart(n)))
        elif kind == 2:
            faults.append(TimedFault(at, PowerFailure((node,))))
            faults.append(TimedFault(at + rng.randrange(10_000, 300_000), Restart(node)))
        elif kind == 3:
            side = tuple(rng.sample(range(nodes), rng.randint(1, nodes // 2)))
            faults.append(TimedFault(at, Partition("split", side)))
            faults.append(TimedFault(at + rng.randrange(50_000, 500_000), Heal()))
        elif kind == 4:
            shape = rng.choice(("bridge", "one-way"))
            faults.append(TimedFault(at, Partition(shape, (node,))))
            faults.append(TimedFault(at + rng.randrange(50_000, 500_000), Heal()))
        elif kind == 5:
            faults.append(TimedFault(at, Pause(node)))
            faults.append(TimedFault(at + rng.randrange(10_000, 500_000), Resume(node)))
        else:
            faults.append(TimedFault(at, Crash(node)))  # restarted by the final phase
    return Schedule(
        nodes=nodes,
        seed=seed,
        duration=duration,
        settle=1_500_000,
        workload=Workload(clients=2, writes=writes, interval=30_000, start=100_000),
        faults=tuple(faults),
    )


def standard_schedule(seed: int = 1) -> Schedule:
    """The bench's standard example (``ackcheck.app._known.standard_example``)."""
    return standard_example(seed)


def vote_churn_schedule(seed: int) -> Schedule:
    """Many short crash-restart cycles under slow links (5-80 ms): a node can vote, crash
    and be back before a second candidate's RequestVote of the same term arrives."""
    from ackcheck.schedule import NetworkSpec

    rng = random.Random(seed)
    faults: list[TimedFault] = []
    for _ in range(25):
        at = rng.randrange(0, 1_000_000)
        node = rng.randrange(3)
        faults.append(TimedFault(at, Crash(node)))
        faults.append(TimedFault(at + rng.randrange(500, 8_000), Restart(node)))
    return Schedule(
        nodes=3,
        seed=seed,
        duration=1_000_000,
        settle=1_500_000,
        network=NetworkSpec(min_delay=5_000, max_delay=80_000),
        workload=Workload(clients=2, writes=10, interval=50_000),
        faults=tuple(faults),
    )
