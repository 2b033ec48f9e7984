"""election-safety: at most one leader per term (Raft's Election Safety).

Judged from ``leader`` observations only; a real-run history has none, so it passes
vacuously (there is nothing to judge, not evidence of safety).
"""

from __future__ import annotations

from ackcheck.history import History, Observation
from ackcheck.properties.facts import int_field, observations
from ackcheck.properties.violation import MAX_DETAILS, Violation, at, capped, nodes_text
from ackcheck.schedule import node_name


class ElectionSafety:
    name = "election-safety"
    description = "At most one node becomes leader in any term (from leader observations)."

    def check(self, history: History) -> Violation | None:
        by_term: dict[int, list[Observation]] = {}
        for obs in observations(history, "leader"):
            term = int_field(obs.data, "term")
            if term is not None:
                by_term.setdefault(term, []).append(obs)
        split: dict[int, list[Observation]] = {
            term: elected
            for term, elected in sorted(by_term.items())
            if len({o.node for o in elected}) > 1
        }
        if not split:
            return None
        lines = []
        for term, elected in split.items():
            claims = "; ".join(f"{node_name(o.node)} {at(o.time)}" for o in elected)
            lines.append(f"term {term}: became leader {claims}")
        first_term, first = next(iter(split.items()))
        summary = (
            "Expected at most one leader per term; "
            f"{len(split)} term(s) had several, first term {first_term} with "
            f"{nodes_text(o.node for o in first)}."
        )
        data = {
            "terms": {
                str(term): sorted({o.node for o in elected}) for term, elected in split.items()
            }
        }
        return Violation(self.name, summary, tuple(capped(lines, MAX_DETAILS, "terms")), data)
