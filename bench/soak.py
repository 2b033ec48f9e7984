"""Soak: measure every preset's claim.

    python bench/soak.py                          # 20,000 examples per safe (preset, group)
    python bench/soak.py --examples 2000 --preset par
    python bench/soak.py --unsafe-budget 120      # seconds each unsafe preset may search

Every safe preset (``known_violation`` None) is searched against each fault group it
claims (``process``, ``network``, ``power``, ``disk``: the group's kinds within the
preset's fault model) and against all its claimed kinds together, inside its fault
model (damage bound included), for ``--examples`` examples each. Every unsafe preset is
searched with its known bug's settings (``ackcheck.app._known``) until that violation is
found or ``--unsafe-budget`` runs out. Prints one markdown table: preset, fault group,
examples, seconds, verdict; then the command line, the seed and the machine load.
A safe row that finds a violation saves its trace under ``--out`` and exits 1 at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from ackcheck.app._explore import explore
from ackcheck.app._known import KNOWN_BUGS
from ackcheck.model import PRESETS
from ackcheck.schedule import FAULT_GROUPS

GROUPS = ("process", "network", "power", "disk")


def claimed_groups(preset: str) -> list[tuple[str, str]]:
    """(group label, kinds) for each group the preset claims, then all its kinds."""
    kinds = PRESETS[preset].fault_model.kinds
    rows = []
    for group in GROUPS:
        chosen = [k for k in FAULT_GROUPS[group] if k in kinds]
        if chosen:
            rows.append((group, ",".join(chosen)))
    rows.append(("all claimed", ",".join(kinds)))
    return rows


def row(preset: str, group: str, examples: int, seconds: float, verdict: str) -> None:
    print(f"| {preset} | {group} | {examples:,} | {seconds:,.0f} | {verdict} |", flush=True)


def soak_safe(preset: str, examples: int, seed: int, workers: int, out: str) -> bool:
    ok = True
    for group, kinds in claimed_groups(preset):
        start = time.perf_counter()
        result = explore(preset, faults=kinds, examples=examples, seed=seed,
                         workers=workers, out=out)
        seconds = time.perf_counter() - start
        ce = result.counterexample
        if ce is None:
            verdict = "holds"
        else:
            ok = False
            verdict = f"**VIOLATION** {ce.violation.property} ({ce.trace_path})"
        row(preset, group, result.stats.examples, seconds, verdict)
    return ok


def soak_unsafe(preset: str, budget: float, seed: int, workers: int) -> None:
    bugs = [b for b in KNOWN_BUGS if b.preset == preset]
    if not bugs:
        row(preset, "-", 0, 0, f"no known-bug search for {PRESETS[preset].known_violation}")
        return
    for bug in bugs:
        label = f"known bug: {bug.options.faults}, {bug.options.nodes} nodes"
        if not bug.searchable:
            row(preset, label, 0, 0, "not searched: out of reach of random search; shown by "
                "its witness schedule (corpus trace)")
            continue
        start = time.perf_counter()
        result = explore(preset, options=bug.options, budget=budget, seed=seed,
                         workers=workers, shrink_budget=0.0)
        seconds = time.perf_counter() - start
        found = result.stats.found_after_examples
        ce = result.counterexample
        if ce is not None and ce.violation.property == bug.property:
            when = "" if found is None else (
                f" after {found:,} examples, {result.stats.found_after_seconds:.1f}s")
            verdict = f"found {bug.property}{when}"
        else:
            verdict = f"**not found** in {budget:g}s"
        row(preset, label, result.stats.examples, seconds, verdict)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20_000,
                        help="examples per safe (preset, group) pair")
    parser.add_argument("--unsafe-budget", type=float, default=300.0,
                        help="seconds each unsafe preset may search for its known bug")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--preset", action="append", default=[],
                        help="only these presets (repeatable)")
    parser.add_argument("--out", default="ackcheck-traces",
                        help="where a violation's trace is saved")
    args = parser.parse_args()
    unknown = [p for p in args.preset if p not in PRESETS]
    if unknown:
        print(f"soak: unknown preset {unknown[0]!r}; known: {', '.join(PRESETS)}",
              file=sys.stderr)
        sys.exit(2)
    chosen = args.preset or list(PRESETS)
    print("| preset | fault group | examples | seconds | verdict |")
    print("|---|---|---:|---:|---|")
    ok = True
    started = time.perf_counter()
    for name in chosen:
        if PRESETS[name].known_violation is None:
            ok = soak_safe(name, args.examples, args.seed, args.workers, args.out) and ok
    for name in chosen:
        if PRESETS[name].known_violation is not None:
            soak_unsafe(name, args.unsafe_budget, args.seed, args.workers)
    load = os.getloadavg()
    print(f"\n`python bench/soak.py {' '.join(sys.argv[1:])}`: seed {args.seed}, "
          f"{args.workers} workers, {time.perf_counter() - started:,.0f} s in all, "
          f"load average at the end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
