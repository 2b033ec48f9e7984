"""Independent searches in several processes; the first violation found wins.

Each worker runs :func:`ackcheck.app._search.search_once` with its own seed (``seed * 1000 +
worker``), so the streams of examples are distinct and a run is still reproducible from
its seed and worker count. Workers are spawned (not forked) so that no lock or thread of
the parent is copied mid-state; the parent terminates the rest once one reports.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import attrs

from ackcheck.app._search import ExploreStats, Search, search_once
from ackcheck.errors import AckcheckError


def _worker(spec: Search, seed_value: int, results: Any) -> None:
    def report(stats: ExploreStats) -> None:
        results.put(("progress", seed_value, stats))

    try:
        stats, found = search_once(spec, seed_value, report)
        results.put(("done", seed_value, (stats, found)))
    except AckcheckError as exc:  # bad input: the parent reports it as its own
        results.put(("error", seed_value, exc))
    except BaseException as exc:  # report and let the parent decide
        results.put(("error", seed_value, repr(exc)))


def _merge(per_worker: dict[int, ExploreStats], seed: int) -> ExploreStats:
    faults: Counter[str] = Counter()
    cover: Counter[str] = Counter()
    best: dict[str, float] = {}
    digests = frozenset().union(*(s.state_digests for s in per_worker.values()))
    for s in per_worker.values():
        faults.update(s.faults_by_kind)
        cover.update(s.coverage)
        for k, v in s.best_targets.items():
            best[k] = max(best.get(k, v), v)
    # The first failure seen by any worker, with that worker's own example count.
    found = [s for s in per_worker.values() if s.found_after_seconds is not None]
    first = min(found, key=lambda s: s.found_after_seconds or 0.0, default=None)
    return ExploreStats(
        examples=sum(s.examples for s in per_worker.values()),
        seconds=max((s.seconds for s in per_worker.values()), default=0.0),
        faults_by_kind=dict(sorted(faults.items())),
        coverage=dict(sorted(cover.items())),
        best_targets=dict(sorted(best.items())),
        seed=seed,
        workers=len(per_worker),
        search=next(iter(per_worker.values())).search if per_worker else "timed",
        # the union once every worker sent its states; while they run, the largest count
        abstract_states=max(
            [len(digests), *(s.abstract_states for s in per_worker.values())]),
        found_after_examples=None if first is None else first.found_after_examples,
        found_after_seconds=None if first is None else first.found_after_seconds,
        novel_plans=sum(s.novel_plans for s in per_worker.values()),
        state_digests=digests,
    )


def search_parallel(
    spec: Search,
    seed: int,
    workers: int,
    progress: Callable[[ExploreStats], None] | None,
) -> tuple[ExploreStats, Any]:
    examples = spec.options.examples
    if examples is not None:  # an example budget is the search's, not each worker's
        spec = attrs.evolve(
            spec, options=spec.options.evolve(examples=max(1, -(-examples // workers)))
        )
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    seeds = [seed * 1000 + i for i in range(workers)]
    procs = [
        ctx.Process(target=_worker, args=(spec, s, results), daemon=True)
        for s in seeds
    ]
    for p in procs:
        p.start()
    latest: dict[int, ExploreStats] = {}
    found = None
    finished = 0
    try:
        while finished < workers:
            try:
                kind, who, payload = results.get(timeout=0.5)
            except queue.Empty:
                if not any(p.is_alive() for p in procs):
                    codes = [p.exitcode for p in procs]
                    raise RuntimeError(
                        f"explore workers exited without reporting (exit codes {codes})"
                    ) from None
                continue
            if kind == "progress":
                latest[who] = payload
                if progress is not None:
                    progress(_merge(latest, seed))
            elif kind == "done":
                finished += 1
                latest[who] = payload[0]
                if payload[1] is not None:
                    found = payload[1]
                    break
            elif isinstance(payload, AckcheckError):
                raise payload
            else:
                raise RuntimeError(f"worker {who} failed: {payload}")
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
        deadline = time.monotonic() + 5
        for p in procs:
            p.join(max(0.0, deadline - time.monotonic()))
    return _merge(latest, seed), found
