"""Shrinking a plan of decisions after Hypothesis has.

Hypothesis shrinks a plan it drew from scratch as it shrinks any list. A plan grown from
a parent (see :mod:`ackcheck.app._search`) it can only shrink as far as its parent
allows, so every counterexample with decisions also goes through :func:`shrink_plan`:
delete decisions one at a time while the property still fails, then drop the immediate
restarts that are not needed.
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
        for i in reversed(range(len(plan))):
            candidate = plan[:i] + plan[i + 1:]
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
