"""Shrinking a plan of decisions after Hypothesis has.

Hypothesis shrinks a plan it drew from scratch as it shrinks any list. A plan grown from
a parent (see :mod:`ackcheck.app._search`) it can only shrink as far as its parent
allows, so every counterexample with decisions also goes through :func:`shrink_plan`:
delete decisions one at a time while the property still fails (or fold one into the next
as a later count of the same event), then drop the immediate restarts that are not
needed.
"""

from __future__ import annotations

import time
from typing import Any

import attrs

from ackcheck.app._minimize import _violates
from ackcheck.app._runner import BUILTIN_NODE
from ackcheck.schedule import Decision, Schedule


def shrink_plan(
    config: Any,
    schedule: Schedule,
    prop: str,
    *,
    node: Any = BUILTIN_NODE,
    properties: Any = None,
    max_runs: int = 200,
    max_seconds: float = 20.0,
) -> Schedule:
    """The smallest plan reached by deleting decisions (latest first, repeatedly) and
    clearing ``recover`` while ``prop`` still fails; bounded by ``max_runs`` runs and
    ``max_seconds``."""
    checked = list(properties) if properties is not None else [prop]
    deadline = time.monotonic() + max_seconds
    runs = 0

    def fails(plan: tuple[Decision, ...]) -> bool:
        nonlocal runs
        runs += 1
        return _violates(config, attrs.evolve(schedule, decisions=plan), prop, node, checked)

    def spent() -> bool:
        return runs >= max_runs or time.monotonic() > deadline

    plan = schedule.decisions
    smaller = True
    while smaller and not spent():
        smaller = False
        for candidate in _smaller(plan):
            if fails(candidate):
                plan, smaller = candidate, True
                break
            if spent():
                break
    for i, decision in enumerate(plan):
        if spent():
            break
        if decision.recover is not None:
            candidate = (*plan[:i], attrs.evolve(decision, recover=None), *plan[i + 1:])
            if fails(candidate):
                plan = candidate
    return attrs.evolve(schedule, decisions=plan)


def _smaller(plan: tuple[Decision, ...]) -> list[tuple[Decision, ...]]:
    """Plans one decision shorter: each decision deleted (the latest first), and each
    decision folded into the next one waiting for the same event (a fault that only
    made the next decision wait one event longer becomes that decision's count)."""
    out = [plan[:i] + plan[i + 1:] for i in reversed(range(len(plan)))]
    for i in range(len(plan) - 1):
        here, after = plan[i], plan[i + 1]
        if here.event == after.event and after.count > 0:
            merged = attrs.evolve(after, count=here.count + after.count)
            out.append((*plan[:i], merged, *plan[i + 2:]))
    return out
