"""Deleting the faults Hypothesis' shrinker leaves in a counterexample.

Hypothesis shrinks a schedule towards its minimal choice sequence, which keeps fault
times at the earliest moment that still fails: a fragile edge where deleting any other
fault re-times the run and the failure slips away. :func:`prune` deletes faults one at a
time, moving later faults a little when a deletion alone loses the failure;
:func:`reseed` also tries other simulator seeds, since a fault that only re-rolled the
timing the old seed gave cannot be deleted under it.
"""

from __future__ import annotations

import time
from typing import Any

import attrs

from ackcheck.app._runner import BUILTIN_NODE, run_once
from ackcheck.schedule import Schedule, TimedFault


def _violates(config: Any, schedule: Schedule, prop: str, node: Any, checked: list[str]) -> bool:
    """Does ``schedule`` still violate ``prop``? (The explorer's fast path: no events.)"""
    outcome = run_once(config, schedule, node, checked, record_events=False, digest=False)
    return prop in {v.property for v in outcome.violations}


#: How far later faults are moved when a deletion alone loses the failure: Hypothesis
#: drives fault times down to the earliest moment that still fails, an edge where
#: deleting any other fault re-times the run and the failure slips away.
RETIME_STEPS: tuple[int, ...] = (0, 50_000, 200_000, 500_000)


def prune(
    config: Any,
    schedule: Schedule,
    prop: str,
    *,
    node: Any = BUILTIN_NODE,
    properties: Any = None,
    max_runs: int = 300,
) -> Schedule:
    """Delete faults one at a time while ``prop`` still fails, moving the faults after a
    deleted one a little later when the deletion alone loses the failure. Runs after
    Hypothesis' shrinker, which keeps fault times at that fragile edge."""
    checked = list(properties) if properties is not None else [prop]

    def fails(faults: list[TimedFault]) -> bool:
        candidate = attrs.evolve(schedule, faults=tuple(faults))
        return _violates(config, candidate, prop, node, checked)

    faults = list(schedule.sorted_faults())
    runs = 0
    progress = True
    while progress and runs < max_runs:
        progress = False
        for i, gone in enumerate(faults):
            for shift in RETIME_STEPS:
                candidate = [
                    TimedFault(tf.at + shift, tf.fault) if j > i else tf
                    for j, tf in enumerate(faults)
                    if j != i
                ]
                runs += 1
                if fails(candidate):
                    faults, progress = candidate, True
                    break
                if runs >= max_runs or gone.at + shift > schedule.duration:
                    break
            if progress or runs >= max_runs:
                break
    return attrs.evolve(schedule, faults=tuple(faults))


#: Simulator seeds :func:`reseed` tries for each smaller fault set.
RESEED_SEEDS = 200


def reseed(
    config: Any,
    schedule: Schedule,
    prop: str,
    *,
    node: Any = BUILTIN_NODE,
    properties: Any = None,
    seeds: int = RESEED_SEEDS,
    max_runs: int = 1_500,
    max_seconds: float = 20.0,
) -> Schedule:
    """Delete one fault (else two) at a time while ``prop`` still fails under *some*
    simulator seed in ``0..seeds-1``, then :func:`prune` again.

    The seed is part of a counterexample, and Hypothesis shrinks it towards 0 like any
    other number; that re-times every timer and message, and a fault that only re-rolled
    timing (a crash and restart at t=0) then cannot be deleted under the new seed. Another
    seed often shows the same bug with that fault gone; a crash and its restart go
    together, hence pairs. Never deletes the last fault: Hypothesis has already tried
    schedules without faults. Bounded by ``max_runs`` and ``max_seconds``, whichever
    comes first (a run is ~10 ms: the default caps add at most ~20 s to a search)."""
    checked = list(properties) if properties is not None else [prop]
    runs = 0
    reseeded = False
    deadline = time.monotonic() + max_seconds
    while runs < max_runs and time.monotonic() < deadline:
        faults = schedule.sorted_faults()
        n = len(faults)
        drops = [(i,) for i in range(n)] + [(i, j) for i in range(n) for j in range(i + 1, n)]
        smaller = None
        for drop in drops:
            if n - len(drop) < 1:
                continue
            rest = tuple(tf for k, tf in enumerate(faults) if k not in drop)
            for s in range(seeds):
                candidate = attrs.evolve(schedule, seed=s, faults=rest)
                runs += 1
                if _violates(config, candidate, prop, node, checked):
                    smaller = candidate
                    break
                if runs >= max_runs or time.monotonic() > deadline:
                    runs = max_runs
                    break
            if smaller is not None or runs >= max_runs:
                break
        if smaller is None:
            break
        schedule, reseeded = smaller, True
    if not reseeded:
        return schedule
    return prune(config, schedule, prop, node=node, properties=properties)
