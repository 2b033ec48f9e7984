"""Delta debugging for schedules that fail for reasons Hypothesis did not generate.

A failing schedule can come from anywhere: a seeded generator, a hand-written scenario, a
real incident's timeline. :func:`minimize` removes faults (ddmin: halves, then quarters,
down to single faults) while the same property still fails, so the result is 1-minimal:
removing any one remaining fault makes the violation go away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from ackcheck.runner import BUILTIN_NODE, run_once
from ackcheck.schedule import Schedule, TimedFault


def minimize(
    config: Any,
    schedule: Schedule,
    prop: str,
    *,
    node: Any = BUILTIN_NODE,
    max_runs: int = 2_000,
) -> Schedule:
    """The smallest sub-schedule (by faults) of ``schedule`` that still violates
    ``prop``; ``schedule`` itself must violate it."""

    def fails(faults: tuple[TimedFault, ...]) -> bool:
        candidate = attrs.evolve(schedule, faults=faults)
        outcome = run_once(config, candidate, node, [prop], record_events=False, digest=False)
        return bool(outcome.violations)

    if not fails(schedule.faults):
        raise ValueError(f"the schedule does not violate {prop}")
    return attrs.evolve(schedule, faults=ddmin(schedule.sorted_faults(), fails, max_runs))


def ddmin(
    items: tuple[Any, ...], fails: Callable[[tuple[Any, ...]], bool], max_runs: int
) -> tuple[Any, ...]:
    """Zeller's ddmin over ``items`` (order kept); ``fails(items)`` must be True."""
    runs = 0
    chunks = 2
    while len(items) >= 2 and runs < max_runs:
        size = max(1, len(items) // chunks)
        reduced = False
        for start in range(0, len(items), size):
            complement = items[:start] + items[start + size :]
            runs += 1
            if complement and fails(complement):
                items, chunks, reduced = complement, max(chunks - 1, 2), True
                break
            if runs >= max_runs:
                break
        if not reduced:
            if size == 1:
                break
            chunks = min(len(items), chunks * 2)
    if len(items) == 1 or runs >= max_runs:
        return items
    return items
