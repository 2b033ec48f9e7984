"""state-machine-safety: no two nodes apply different values at one index.

Judged from ``apply`` observations (every node life counts: a node that re-applies an
index after a restart must apply the same value again). The wording names each value's
term and every node that applied it: in the classic failure (Raft Fig. 8) an entry of an
*older* term was applied first and replaced by one of a newer term, and that is what a
reader needs to see. ``unapply`` observations (a node rolling back applied entries whose
log was overwritten) are listed too, since they show where the first value went.
"""

from __future__ import annotations

from typing import Any

from ackcheck.history import History, Observation
from ackcheck.properties.facts import int_field, observations
from ackcheck.properties.violation import MAX_DETAILS, Violation, at, capped
from ackcheck.schedule import node_name


def _term_text(obs: Observation) -> str:
    term = int_field(obs.data, "term")
    return "" if term is None else f" (term {term})"


class StateMachineSafety:
    name = "state-machine-safety"
    description = "No two nodes apply different values at the same index (apply observations)."

    def check(self, history: History) -> Violation | None:
        # index -> value -> node -> the first observation of that node applying it there
        applied: dict[int, dict[str, dict[int, Observation]]] = {}
        for obs in observations(history, "apply"):
            index = int_field(obs.data, "index")
            value = obs.data.get("value")
            if index is None or value is None:
                continue
            applied.setdefault(index, {}).setdefault(str(value), {}).setdefault(obs.node, obs)
        conflicts = {i: vs for i, vs in sorted(applied.items()) if len(vs) > 1}
        if not conflicts:
            return None
        lines = [
            f"index {index}: "
            + "; ".join(
                f"{v}{_term_text(next(iter(by_node.values())))} applied by "
                + ", ".join(f"{node_name(n)} {at(o.time)}" for n, o in by_node.items())
                for v, by_node in vs.items()
            )
            for index, vs in conflicts.items()
        ]
        last = max(conflicts)
        for obs in observations(history, "unapply"):
            start = int_field(obs.data, "from_index")
            if start is not None and start <= last:
                gone = obs.data.get("values") or ()
                lines.append(
                    f"{node_name(obs.node)} {at(obs.time)} rolled back what it had applied "
                    f"from index {start} on ({', '.join(map(str, gone)) or 'no value'}): a leader "
                    "overwrote those entries"
                )
        first, values = next(iter(conflicts.items()))
        where = f"index {first} was applied as " + ", later as ".join(
            f"{v}{_term_text(next(iter(by_node.values())))}" for v, by_node in values.items()
        )
        if len(conflicts) > 1:
            more = len(conflicts) - 1
            where += f"; {more} more {'index differs' if more == 1 else 'indexes differ'}"
        summary = f"Expected every node to apply the same value at each index; {where}."
        data: dict[str, Any] = {
            "conflicts": {str(i): list(vs) for i, vs in conflicts.items()},
            "applied": {
                str(i): {
                    v: {
                        "term": int_field(next(iter(by_node.values())).data, "term"),
                        "nodes": {node_name(n): o.time for n, o in by_node.items()},
                    }
                    for v, by_node in vs.items()
                }
                for i, vs in conflicts.items()
            },
        }
        return Violation(self.name, summary, tuple(capped(lines, MAX_DETAILS, "lines")), data)
