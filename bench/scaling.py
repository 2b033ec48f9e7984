"""Scaling with cores: exploration speed with 1..N worker processes, and a campaign's.

    python bench/scaling.py                      # explore, 1 and 2 workers (this machine)
    python bench/scaling.py --workers 1 2 4      # other worker counts
    python bench/scaling.py --part campaign      # a fixed campaign on 1 and N Dask workers
    python bench/scaling.py --part soak          # 20,000 examples of one preset and group

``explore`` part: the safe ``raft`` preset on the standard example (5 nodes, 2 simulated
seconds, 50 writes, up to 8 faults), ``--repeat`` searches of ``--seconds`` each per
worker count. Two rates per search: *steady* (examples / the search budget, what the
workers sustain once running) and *wall* (examples / wall time of the whole call,
spawning the workers included). Then the speed-up over one worker and the efficiency
(speed-up / workers), and examples per CPU second (all processes): equal for 1 and N
workers means the workers cost nothing extra, so only busy cores keep them from N
times one worker. ``campaign`` and ``soak`` parts: ``ackcheck campaign`` on a
LocalCluster, examples / wall seconds (cluster start included).

Scaling can only be read off an idle machine: the load average is printed before and
after each part, and a warning when it says other processes were competing for cores.
Targets (issue 15): 2 workers >= 1.8x one worker on an idle 2-core machine; a
20,000-example soak of one (preset, fault group) pair in <= 150 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from ackcheck.app._build import build_description
from ackcheck.app._campaign import run_campaign
from ackcheck.app._campaign_spec import parse_spec
from ackcheck.app._explore import explore


def _load(when: str) -> float:
    one, five, _ = os.getloadavg()
    cores = os.cpu_count() or 1
    note = "" if one < 0.5 else f"  (WARNING: not idle, {one:.1f} runnable on {cores} cores)"
    print(f"  load average {when}: {one:.2f} (1 min), {five:.2f} (5 min){note}", flush=True)
    return one


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the spawned workers)."""
    me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                 resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def explore_part(workers: list[int], seconds: float, repeat: int) -> None:
    print(f"explore, preset raft, standard example, {repeat} searches of {seconds:g}s per "
          f"worker count ({build_description()}):")
    _load("before")
    base: float | None = None
    for n in workers:
        steady, wall, per_cpu = [], [], []
        for i in range(repeat):
            start, cpu = time.perf_counter(), _cpu_seconds()
            result = explore("raft", budget=seconds, seed=i, workers=n, shrink_budget=0.0,
                             out=tempfile.gettempdir())
            elapsed, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
            if not result.ok:  # the search stopped there: rate over the time it ran
                ce = result.counterexample
                assert ce is not None
                print(f"  (seed {i}, {n} worker(s): raft broke {ce.violation.property} after "
                      f"{result.stats.examples} examples; trace {ce.trace_path})", flush=True)
            steady.append(result.stats.examples / min(seconds, result.stats.seconds))
            wall.append(result.stats.examples / elapsed)
            per_cpu.append(result.stats.examples / cpu)
        med = statistics.median(steady)
        base = med if base is None else base
        print(f"  {n} worker(s): steady median {med:.0f} examples/s (range "
              f"{min(steady):.0f}-{max(steady):.0f}), wall {statistics.median(wall):.0f}/s, "
              f"{statistics.median(per_cpu):.0f} per CPU second; speed-up {med / base:.2f}x, "
              f"efficiency {med / base / n:.0%}", flush=True)
    _load("after")


def _campaign(examples: int, seeds: int, workers: int, faults: str = "power") -> tuple[int, float]:
    spec = parse_spec({
        "name": "scaling",
        "matrix": {"presets": ["nats-2.12.1"], "faults": [faults], "seeds": seeds,
                   "knobs": {"fsync": ["always"]}},
        "budget": {"examples": examples, "shrink_seconds": 0},
        "search": {"properties": ["ack-implies-durable"]},
    })
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = run_campaign(spec, Path(out), workers=workers)
        elapsed = time.perf_counter() - start
    return sum(int(r["examples"]) for r in result.rows), elapsed


def campaign_part(workers: list[int], examples: int, seeds: int) -> None:
    print(f"campaign, nats-2.12.1 fsync=always, power faults, {seeds} cells of {examples} "
          f"examples, LocalCluster ({build_description()}):")
    _load("before")
    base: float | None = None
    for n in workers:
        total, elapsed = _campaign(examples, seeds, n)
        rate = total / elapsed
        base = rate if base is None else base
        print(f"  {n} Dask worker(s): {total} examples in {elapsed:.1f}s = {rate:.0f}/s; "
              f"speed-up {rate / base:.2f}x", flush=True)
    _load("after")


def soak_part(workers: int, total: int) -> None:
    seeds = max(workers * 4, 1)
    per = -(-total // seeds)
    print(f"soak: {per * seeds} examples of nats-2.12.1 fsync=always under power faults, "
          f"{seeds} cells on {workers} Dask workers ({build_description()}):")
    _load("before")
    done, elapsed = _campaign(per, seeds, workers)
    print(f"  {done} examples in {elapsed:.1f}s ({done / elapsed:.0f}/s; target <= 150 s)",
          flush=True)
    _load("after")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["explore", "campaign", "soak", "all"], default="explore")
    cores = os.cpu_count() or 1
    ap.add_argument("--workers", type=int, nargs="+", default=sorted({1, cores}))
    ap.add_argument("--seconds", type=float, default=15.0, help="per explore search")
    ap.add_argument("--repeat", type=int, default=3, help="explore searches per worker count")
    ap.add_argument("--examples", type=int, default=400, help="per campaign cell")
    ap.add_argument("--cells", type=int, default=8, help="campaign cells")
    ap.add_argument("--soak", type=int, default=20_000, help="soak examples")
    args = ap.parse_args()
    if args.part in ("explore", "all"):
        explore_part(args.workers, args.seconds, args.repeat)
    if args.part in ("campaign", "all"):
        campaign_part(args.workers, args.examples, args.cells)
    if args.part in ("soak", "all"):
        soak_part(max(args.workers), args.soak)


if __name__ == "__main__":
    main()
