"""Time to bug: how fast search finds and shrinks every known violation, how the search
modes and their guidance compare, how many examples per second ``explore`` runs, and
what the bounded checker (``ackcheck check``) does within its default bound.

    python bench/time_to_bug.py                     # bugs, speed, check (the README rows)
    python bench/time_to_bug.py --part bugs [--search decisions] [--only raft-unsafe-commit]
    python bench/time_to_bug.py --part modes        # every bug in each --search mode
    python bench/time_to_bug.py --part guidance     # novelty off, target() on, default
    python bench/time_to_bug.py --part speed        # examples/s, 1 and 2 workers
    python bench/time_to_bug.py --part check        # ackcheck check, default bound
    python bench/time_to_bug.py --part issue        # the issue's own explore command

Every known bug (``ackcheck.app._known.KNOWN_BUGS``, at its own cluster size and at its
``sizes``) is searched for, none is taken from a witness: seeds 101.. (no test uses them),
``--seeds`` of them. A row: found (of seeds); found-and-shrunk wall seconds, median and
range (the whole ``explore`` call: search, shrinking, re-run with recording); seconds
and examples to the first failure (median); CPU seconds of the whole call (median: what
the search cost, whatever else the machine was doing); the shrunk schedule's size
(timed faults + decisions, median) against the shortest written by hand. The machine's
load (``os.getloadavg``) is printed with every part: figures move with it.

Targets (issue 11, 2 cores): Figure 8 at 3 and 5 nodes median <= 30 s, every seed <=
120 s, shrunk to <= the witness's 7 faults + 1; unpersisted vote <= 10 s; bit flip +
truncate <= 15 s; lazy fsync <= 2 s; ``check`` finds Figure 8 at 3 nodes in <= 60 s and
``raft`` exits 0 within the same bound.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Iterator
from typing import Any

from ackcheck.app._check import CheckOptions, check_bounded
from ackcheck.app._explore import explore
from ackcheck.app._known import KNOWN_BUGS, KnownBug
from ackcheck.app._options import DEFAULT_SEARCH, SEARCH_MODES, SearchOptions

FIRST_SEED = 101  # tests use seeds below 10


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min), {os.cpu_count()} cores"


def searches(only: str | None) -> Iterator[tuple[str, KnownBug, SearchOptions]]:
    """(row label, bug, options) for every known bug at each of its sizes."""
    for bug in KNOWN_BUGS:
        if only and only not in (bug.name, bug.preset):
            continue
        for options in bug.at_sizes():
            yield f"{bug.name} ({options.nodes}n)", bug, options


def med(values: list[float], fmt: str = ".2f") -> str:
    return format(statistics.median(values), fmt) if values else "-"


def search_rows(only: str | None, seeds: int, budget: float, workers: int,
                changes: dict[str, Any], tag: str = "") -> None:
    print(f"{'known bug':50} {'found':>5} {'median s':>9} {'range s':>13} {'to find':>8} "
          f"{'examples':>8} {'cpu s':>6} {'size':>4} {'by hand':>7}  {tag}")
    for label, bug, options in searches(only):
        walls, finds, examples, cpus, sizes, found = [], [], [], [], [], 0
        for seed in range(FIRST_SEED, FIRST_SEED + seeds):
            start, cpu = time.perf_counter(), time.process_time()
            result = explore(bug.preset, budget=budget, seed=seed, workers=workers,
                             options=options.evolve(**changes))
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
            ce = result.counterexample
            if ce is not None and ce.violation.property == bug.property:
                found += 1
                sizes.append(len(ce.schedule.faults) + len(ce.schedule.decisions))
                finds.append(result.stats.found_after_seconds or 0.0)
                examples.append(result.stats.found_after_examples or 0)
        span = f"{min(walls):.1f}-{max(walls):.1f}"
        print(f"{label:50} {found:>3}/{seeds} {med(walls):>9} {span:>13} {med(finds):>8} "
              f"{med(examples, 'g'):>8} {med(cpus, '.1f'):>6} {med(sizes, 'g'):>4} "
              f"{bug.by_hand:>7}", flush=True)


def speed(seconds: float, repeat: int) -> None:
    """Examples/s of ``repeat`` searches per worker count and mode on the standard
    example (their median and range: one search's figure moves with the machine)."""
    for search in ("timed", DEFAULT_SEARCH):
        for workers in (1, 2):
            rates = []
            for i in range(repeat):
                result = explore("raft", budget=seconds, seed=FIRST_SEED + i, workers=workers,
                                 shrink_budget=0.0, search=search)
                rates.append(result.stats.examples / seconds)
                assert result.ok, "the raft preset broke a property: see its counterexample"
            rates.sort()
            print(f"exploration speed, preset raft, standard example, --search {search}, "
                  f"{workers} worker(s): median {statistics.median(rates):.0f} examples/s over "
                  f"{repeat} searches of {seconds:g}s (range {rates[0]:.0f}-{rates[-1]:.0f})",
                  flush=True)


def check_rows(workers: tuple[int, ...]) -> None:
    """``ackcheck check`` at its default bound: Figure 8 found, textbook Raft holds."""
    bound = CheckOptions(nodes=3)
    print(f"check bound: {bound.nodes} nodes, up to {bound.max_faults} decisions, terms <= "
          f"{bound.max_terms}, faults {bound.faults}, events all, seed {bound.seed}")
    for preset in ("raft-unsafe-commit", "raft"):
        for n in workers:
            start = time.perf_counter()
            result = check_bounded(preset, CheckOptions(nodes=3, workers=n))
            wall = time.perf_counter() - start
            s = result.stats
            verdict = ("no violation within the bound" if result.ok else
                       f"violation ({result.counterexample[1].violations[0].property}, "
                       f"{len(result.counterexample[0].decisions)} decisions)"
                       if result.counterexample else "")
            print(f"check {preset:20} workers {n}: {verdict}; {s.explored} states explored, "
                  f"{s.distinct} distinct, depth {s.depth}, {wall:.1f}s wall "
                  f"({s.explored / wall:.0f} states/s)", flush=True)


def issue_command(budget: float) -> None:
    """The command issue 11 opens with, as a new user would type it (5 nodes, process and
    network faults, 2 workers, seed 777), in each search mode; and at 3 nodes."""
    for nodes in (5, 3):
        for search in SEARCH_MODES:
            start = time.perf_counter()
            result = explore("raft-unsafe-commit", faults="process,network", budget=budget,
                             seed=777, workers=os.cpu_count() or 1, nodes=nodes,
                             search=search)
            wall = time.perf_counter() - start
            ce = result.counterexample
            what = (f"found {ce.violation.property} after "
                    f"{result.stats.found_after_seconds or 0:.1f}s" if ce else "not found")
            print(f"explore --preset raft-unsafe-commit --faults process,network --nodes "
                  f"{nodes} --budget {budget:g} --seed 777 --search {search}: {what}, "
                  f"{result.stats.examples} examples, {wall:.1f}s wall", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds per search")
    parser.add_argument("--only", default=None, help="one known bug by name or preset")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--search", choices=SEARCH_MODES, default=None,
                        help="the mode for --part bugs [default: each bug's own]")
    parser.add_argument("--speed-seconds", type=float, default=15.0)
    parser.add_argument("--speed-repeat", type=int, default=3)
    parser.add_argument("--part", default="all",
                        choices=["all", "bugs", "modes", "guidance", "speed", "check",
                                 "issue"])
    args = parser.parse_args()
    print(f"# {load()}", flush=True)
    if args.part in ("all", "bugs"):
        changes = {} if args.search is None else {"search": args.search}
        search_rows(args.only, args.seeds, args.budget, args.workers, changes,
                    f"--search {args.search or DEFAULT_SEARCH}")
    if args.part == "modes":
        for mode in SEARCH_MODES:
            search_rows(args.only, args.seeds, args.budget, args.workers, {"search": mode},
                        f"--search {mode}")
            print(f"# {load()}", flush=True)
    if args.part == "guidance":
        for tag, changes in (("novelty off", {"novelty": False}),
                             ("target() on", {"targeting": True}),
                             ("novelty on, target() off (default)", {})):
            search_rows(args.only, args.seeds, args.budget, args.workers,
                        {"search": "decisions", **changes}, tag)
            print(f"# {load()}", flush=True)
    if args.part in ("all", "speed") and not args.only:
        speed(args.speed_seconds, args.speed_repeat)
    if args.part in ("all", "check") and not args.only:
        check_rows((1, 2))
    if args.part == "issue":
        issue_command(args.budget)
    print(f"# {load()}", flush=True)


if __name__ == "__main__":
    main()
