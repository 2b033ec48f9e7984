"""Time to bug: how fast ``explore`` finds and shrinks each preset's known violation,
and how many examples per second it runs on the standard example.

    python bench/time_to_bug.py                 # every known bug, 5 seeds each
    python bench/time_to_bug.py --only nats-2.12.1-lazy-fsync --seeds 3

Prints one row per known bug: found (of seeds), median wall seconds to find and shrink,
median examples needed, median shrunk schedule length (faults) against the shortest
schedule written by hand. Then the exploration speed of the safe ``raft`` preset on the
standard example (5 nodes, 2 simulated seconds, 50 writes, up to 8 faults).
Targets (issue 4): lazy-fsync loss <= 5 s median, every other <= 60 s; shrunk length
<= by-hand + 1; >= 100 examples/s.
"""

from __future__ import annotations

import argparse
import statistics
import time

from ackcheck.explore import explore
from ackcheck.known import KNOWN_BUGS


def time_to_bug(seeds: int, budget: float, only: str | None, workers: int) -> None:
    print(f"{'known bug':46} {'found':>5} {'median s':>9} {'to find':>8} {'examples':>9} "
          f"{'faults':>6} {'by hand':>7}")
    for bug in KNOWN_BUGS:
        if only and bug.name != only:
            continue
        secs, find_secs, examples, lengths, found = [], [], [], [], 0
        for seed in range(seeds):
            start = time.perf_counter()
            result = explore(
                bug.preset, budget=budget, seed=seed, workers=workers, **bug.explore_kwargs()
            )
            secs.append(time.perf_counter() - start)
            examples.append(result.stats.examples)
            ce = result.counterexample
            if ce is not None and ce.violation.property == bug.property:
                found += 1
                lengths.append(len(ce.schedule.faults))
                find_secs.append(result.stats.found_after_seconds or 0.0)
        med_len = f"{statistics.median(lengths):g}" if lengths else "-"
        med_find = f"{statistics.median(find_secs):.2f}" if find_secs else "-"
        print(f"{bug.name:46} {found:>3}/{seeds} {statistics.median(secs):>9.2f} {med_find:>8} "
              f"{statistics.median(examples):>9g} {med_len:>6} {bug.by_hand:>7}",
              flush=True)


def speed(examples: int) -> None:
    result = explore("raft", examples=examples, seed=0, shrink_budget=0.0)
    s = result.stats
    print(f"\nexploration speed, preset raft, standard example: {s.examples} examples in "
          f"{s.seconds:.2f}s = {s.examples_per_second:.0f} examples/s "
          f"(violation found: {not result.ok})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds per search")
    parser.add_argument("--only", default=None, help="one known bug by name")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--speed-examples", type=int, default=300)
    args = parser.parse_args()
    time_to_bug(args.seeds, args.budget, args.only, args.workers)
    if not args.only:
        speed(args.speed_examples)


if __name__ == "__main__":
    main()
