"""Mutation check of the checker: does explore find each seeded bug, and with what?

    python bench/mutants.py                     # every mutant, 60 s each
    python bench/mutants.py --only stale-reads --budget 30 --seed 1

Each mutant of ``ackcheck.model.mutants.MUTANTS`` (one bug seeded into the model) is
searched like its base preset, inside that preset's fault model (with the mutant's own
``search`` settings where it has them, printed in the table), for up to ``--budget``
seconds with as many worker processes as ``explore`` uses (one per core; the examples to
find are those the worker that found it had run).
Prints one markdown row per mutant: killed or survived, the property that caught it (and
the others its shrunk counterexample violates too: a search shrinks towards the first
one), seconds and examples to the first failure, and the shrunk schedule's faults
(``--schedules`` prints each shrunk schedule too). Exits 1 if any mutant survived.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from ackcheck.app._explore import explore
from ackcheck.app._fault_model import within_fault_model
from ackcheck.app._options import SearchOptions
from ackcheck.model import PRESETS
from ackcheck.model.mutants import MUTANTS
from ackcheck.traces import schedule_lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per mutant")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", action="append", default=[], help="only these mutants")
    parser.add_argument("--schedules", action="store_true",
                        help="print each shrunk schedule after the table")
    args = parser.parse_args()
    unknown = [m for m in args.only if m not in MUTANTS]
    if unknown:
        print(f"mutants: unknown mutant {unknown[0]!r}; known: {', '.join(MUTANTS)}",
              file=sys.stderr)
        sys.exit(2)
    print("| mutant | searched as | verdict | property | also violated | seconds to find "
          "| examples to find | shrunk faults + decisions |")
    print("|---|---|---|---|---|---:|---:|---:|")
    survivors, shrunk = [], []
    started = time.perf_counter()
    for mutant in MUTANTS.values():
        if args.only and mutant.name not in args.only:
            continue
        options = within_fault_model(mutant.preset, SearchOptions(
            budget=args.budget, seed=args.seed, workers=args.workers, shrink_budget=30.0,
            **mutant.search))
        net = options.network
        where = mutant.preset if not mutant.search else (
            f"{mutant.preset}, {options.nodes} nodes, {options.faults}"
            + ("" if net is None else f", links {net.min_delay / 1e3:g}-{net.max_delay / 1e3:g} ms")
            + f", first {options.horizon / 1e6:g} s"
            + (f", {options.search} search" if "search" in mutant.search else ""))
        result = explore(PRESETS[mutant.preset].config, node=mutant.ref, options=options)
        ce = result.counterexample
        if ce is None:
            survivors.append(mutant.name)
            print(f"| {mutant.name} | {where} | **survived** | - | - | "
                  f"> {args.budget:g} | > {result.stats.examples:,} | - |", flush=True)
            continue
        secs, examples = result.stats.found_after_seconds, result.stats.found_after_examples
        also = ", ".join(v.property for v in ce.outcome.violations[1:]) or "-"
        print(f"| {mutant.name} | {where} | killed | {ce.violation.property} | {also} | "
              f"{'-' if secs is None else f'{secs:.1f}'} | "
              f"{'-' if examples is None else f'{examples:,}'} | "
              f"{len(ce.schedule.faults) + len(ce.schedule.decisions)} |",
              flush=True)
        shrunk.append((mutant.name, ce.violation.property, schedule_lines(ce.schedule)))
    load = os.getloadavg()
    print(f"\n`python bench/mutants.py {' '.join(sys.argv[1:])}`: seed {args.seed}, "
          f"{args.workers} workers, {time.perf_counter() - started:,.0f} s in all, load "
          f"average at the end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}; "
          f"survivors: {', '.join(survivors) or 'none'}")
    if args.schedules:
        for name, prop, lines in shrunk:
            print(f"\n{name} ({prop}):")
            print("\n".join(f"    {line}" for line in lines))
    sys.exit(1 if survivors else 0)


if __name__ == "__main__":
    main()
