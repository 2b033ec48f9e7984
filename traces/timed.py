"""A decision schedule as the timed faults it caused: what the real-cluster harness runs.

Decisions fire on protocol events the simulator reads off the model's outputs; a real
nats-server shows no such outputs. The history of a simulated run records every fault
it applied with its time, decided or timed, so the run can be restated as a plain timed
schedule: the same faults at the same simulated times, the decisions dropped. The
harness replays that (:func:`timed_schedule`), scaled to real time as any timed
schedule.
"""

from __future__ import annotations

import attrs

from ackcheck.history import History
from ackcheck.schedule import Schedule, TimedFault
from ackcheck.sim.decisions import DECIDED

#: A decided fault fires right after the step that triggered it, while a timed fault at
#: the same microsecond runs before every other event of that microsecond: one
#: microsecond later keeps it after the step (the next message or timer is further off).
AFTER_STEP = 1


def timed_schedule(schedule: Schedule, history: History) -> Schedule:
    """``schedule`` with its faults replaced by those ``history`` shows applied (decided
    faults and their recoveries one microsecond after the step that fired them; timed
    ones at their own time) and no decisions. A schedule without decisions is returned
    as it is."""
    if not schedule.decisions:
        return schedule
    faults = []
    for event in history.faults:
        if not event.applied:
            continue
        decided = event.note.startswith(DECIDED)
        faults.append(TimedFault(event.time + (AFTER_STEP if decided else 0), event.fault))
    return attrs.evolve(schedule, faults=tuple(faults), decisions=())
