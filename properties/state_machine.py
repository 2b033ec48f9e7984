"""state-machine-safety: no two nodes apply different values at one index.

Judged from ``apply`` observations (every node life counts: a node that re-applies an
index after a restart must apply the same value again).
"""

from __future__ import annotations

from ackcheck.history import History, Observation
from ackcheck.properties.facts import int_field, observations
from ackcheck.properties.violation import MAX_DETAILS, Violation, at, capped
from ackcheck.schedule import node_name


class StateMachineSafety:
    name = "state-machine-safety"
    description = "No two nodes apply different values at the same index (apply observations)."

    def check(self, history: History) -> Violation | None:
        # index -> value -> the first observation applying that value there
        applied: dict[int, dict[str, Observation]] = {}
        for obs in observations(history, "apply"):
            index = int_field(obs.data, "index")
            value = obs.data.get("value")
            if index is None or value is None:
                continue
            applied.setdefault(index, {}).setdefault(str(value), obs)
        conflicts = {i: vs for i, vs in sorted(applied.items()) if len(vs) > 1}
        if not conflicts:
            return None
        lines = [
            f"index {index}: "
            + "; ".join(f"{node_name(o.node)} applied {v} {at(o.time)}" for v, o in vs.items())
            for index, vs in conflicts.items()
        ]
        first, values = next(iter(conflicts.items()))
        summary = (
            "Expected every node to apply the same value at each index; "
            f"{len(conflicts)} index(es) got different values, first index {first} "
            f"({' vs '.join(values)})."
        )
        data = {"conflicts": {str(i): list(vs) for i, vs in conflicts.items()}}
        return Violation(self.name, summary, tuple(capped(lines, MAX_DETAILS, "indexes")), data)
