"""Time to bug: how fast ``explore`` finds and shrinks each preset's known violation,
and how many examples per second it runs on the standard example.

    python bench/time_to_bug.py                 # everything below, 5 seeds each
    python bench/time_to_bug.py --part bugs --only nats-2.12.1--ack-implies-durable
    python bench/time_to_bug.py --part speed    # examples/s with 1 and 2 workers
    python bench/time_to_bug.py --part target   # the same searches with target() off

Prints one row per known bug: found (of seeds), median wall seconds to find and shrink,
median examples needed, median shrunk schedule length (faults) against the shortest
schedule written by hand (bugs that search does not reach are listed, not searched).
Then the exploration speed of the safe ``raft`` preset on the standard example (5 nodes,
2 simulated seconds, 50 writes, up to 8 faults) with 1 and 2 worker processes, and
whether ``hypothesis.target()`` shortens the time to the first failure.
Targets (issue 4): lazy-fsync loss <= 5 s median, every other <= 60 s; shrunk length
<= by-hand + 1; >= 100 examples/s.
"""

from __future__ import annotations

import argparse
import statistics
import time

from ackcheck.app._explore import explore
from ackcheck.app._known import KNOWN_BUGS


def time_to_bug(seeds: int, budget: float, only: str | None, workers: int) -> None:
    print(f"{'known bug':46} {'found':>5} {'median s':>9} {'to find':>8} {'examples':>9} "
          f"{'faults':>6} {'by hand':>7}")
    for bug in KNOWN_BUGS:
        if only and only not in (bug.name, bug.preset):
            continue
        if not bug.searchable:
            witness = f"witness {len(bug.witness.faults)} faults" if bug.witness else "none"
            print(f"{bug.name:46} not searched (window too narrow for search; {witness})")
            continue
        secs, find_secs, examples, lengths, found = [], [], [], [], 0
        for seed in range(seeds):
            start = time.perf_counter()
            result = explore(
                bug.preset, budget=budget, seed=seed, workers=workers, options=bug.options
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


def speed(seconds: float, repeat: int) -> None:
    """Examples/s of ``repeat`` searches per worker count (their median and range: one
    search's figure moves by +-10% with what the machine is doing)."""
    for workers in (1, 2):
        rates = []
        for i in range(repeat):
            result = explore("raft", budget=seconds, seed=i, workers=workers, shrink_budget=0.0)
            rates.append(result.stats.examples / seconds)
            assert result.ok, "the raft preset broke a property: see its counterexample"
        rates.sort()
        print(f"exploration speed, preset raft, standard example, {workers} worker(s): "
              f"median {statistics.median(rates):.0f} examples/s over {repeat} searches of "
              f"{seconds:g}s (range {rates[0]:.0f}-{rates[-1]:.0f})")


def targeting(seeds: int, budget: float) -> None:
    """Does hypothesis.target() help? The same searches with and without it."""
    for bug in KNOWN_BUGS:
        if not bug.searchable or bug.preset == "nats-2.14":
            continue
        for on in (True, False):
            secs, found = [], 0
            for seed in range(seeds):
                start = time.perf_counter()
                result = explore(bug.preset, budget=budget, seed=seed, targeting=on,
                                 shrink_budget=0.0, options=bug.options)
                if result.counterexample is not None:
                    found += 1
                    secs.append(result.stats.found_after_seconds or 0.0)
                else:
                    secs.append(time.perf_counter() - start)
            print(f"target() {'on ' if on else 'off'} {bug.name:46} found {found}/{seeds}, "
                  f"median seconds to first failure {statistics.median(secs):.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds per search")
    parser.add_argument("--only", default=None, help="one known bug by name or preset")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--speed-seconds", type=float, default=15.0)
    parser.add_argument("--speed-repeat", type=int, default=3)
    parser.add_argument("--part", choices=["all", "bugs", "speed", "target"], default="all")
    args = parser.parse_args()
    if args.part in ("all", "bugs"):
        time_to_bug(args.seeds, args.budget, args.only, args.workers)
    if args.part in ("all", "speed") and not args.only:
        speed(args.speed_seconds, args.speed_repeat)
    if args.part in ("all", "target") and not args.only:
        targeting(args.seeds, args.budget)


if __name__ == "__main__":
    main()
