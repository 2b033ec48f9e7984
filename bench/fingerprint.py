"""A behaviour fingerprint: digests and verdicts of a fixed set of simulated runs.

A refactor that claims "behaviour does not change" runs this before and after and
compares the two outputs line by line (``diff``). The schedules do not come from
Hypothesis (whose draws depend on more than the seed); they are built from a seeded
``random.Random`` over the whole fault vocabulary, so the set is the same on every
install and after every edit. Each line: a label, the run's digest, the violated
properties, the number of final reads and the number of recorded losses.

Usage::

    python bench/fingerprint.py [--random 120] > before.txt
    ... change the code ...
    python bench/fingerprint.py [--random 120] > after.txt && diff before.txt after.txt
"""

from __future__ import annotations

import argparse
import random

from ackcheck.schedule import (
    FAULT_TYPES,
    PARTITION_SHAPES,
    BitFlip,
    Crash,
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

PRESETS = ("raft", "nats-2.12.1", "nats-2.12.1-sync-always", "par", "raft-unpersisted-vote",
           "raft-unsafe-commit", "nats-2.14")


def _fault(rng: random.Random, kind: type, nodes: int) -> object:
    node = rng.randrange(nodes)
    target = rng.choice(("log", "log", "snapshot", "vote"))
    if kind in (Pause, Resume, Restart, Crash):
        return kind(node)
    if kind is Heal:
        return Heal()
    if kind is Partition:
        members = rng.sample(range(nodes), rng.randint(1, nodes - 1))
        return Partition(rng.choice(PARTITION_SHAPES), tuple(members))
    if kind is PowerFailure:
        return PowerFailure(tuple(rng.sample(range(nodes), rng.randint(1, nodes))))
    if kind is TornWrite:
        return TornWrite(node, keep=rng.randrange(1 << 12))
    if kind is BitFlip:
        return BitFlip(node, target, rng.randrange(4), rng.randrange(1 << 12), rng.randrange(8))
    if kind is LatentSectorError:
        return LatentSectorError(node, target, rng.randrange(4), rng.randrange(1 << 12),
                                 rng.randint(1, 600))
    if kind is MisdirectedWrite:
        return MisdirectedWrite(node, target, rng.randrange(4), rng.randrange(1 << 10))
    raise AssertionError(kind)


def random_schedule(seed: int) -> Schedule:
    rng = random.Random(f"fingerprint/{seed}")
    nodes = rng.choice((3, 5))
    faults = []
    for _ in range(rng.randint(0, 8)):
        kind = rng.choice(FAULT_TYPES)
        faults.append(TimedFault(rng.randrange(2_000_000), _fault(rng, kind, nodes)))  # type: ignore[arg-type]
    return Schedule(nodes=nodes, seed=rng.randrange(1 << 16), faults=tuple(faults))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--random", type=int, default=120, help="random schedules per preset")
    ap.add_argument("--seeds", type=int, default=8, help="standard-example seeds per preset")
    args = ap.parse_args()

    from ackcheck.app._known import standard_example
    from ackcheck.app._runner import run_once
    from ackcheck.model import resolve_config

    def line(label: str, preset: str, schedule: Schedule) -> None:
        outcome = run_once(resolve_config(preset), schedule, record_events=False)
        h = outcome.history
        props = ",".join(sorted({v.property for v in outcome.violations})) or "-"
        print(f"{label} {preset} {outcome.digest} {props} reads={len(h.final_reads)} "
              f"losses={len(h.losses)}")

    for preset in PRESETS:
        for seed in range(args.seeds):
            line(f"standard/{seed}", preset, standard_example(seed))
    for preset in PRESETS[:3]:
        for seed in range(args.random):
            line(f"random/{seed}", preset, random_schedule(seed))


if __name__ == "__main__":
    main()
