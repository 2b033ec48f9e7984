"""no-duplicates: no value is read at two different sequences.

Checked over the union of every node's final read: a value at two sequences on one node
is a duplicated append (a retry the server did not deduplicate); at different sequences
on different nodes, the nodes' streams disagree about where it is.
"""

from __future__ import annotations

from ackcheck.history import History
from ackcheck.properties.facts import reads_by_node, sequences_of
from ackcheck.properties.violation import MAX_DETAILS, Violation, capped, values_text
from ackcheck.schedule import node_name


class NoDuplicates:
    name = "no-duplicates"
    description = "No value is read at two different sequences, on one node or across nodes."

    def check(self, history: History) -> Violation | None:
        # value -> seq -> nodes that serve it there
        where: dict[str, dict[int, list[int]]] = {}
        for node, read in reads_by_node(history).items():
            for value, seqs in sequences_of(read).items():
                for seq in seqs:
                    where.setdefault(value, {}).setdefault(seq, []).append(node)
        duplicated = {v: dict(sorted(s.items())) for v, s in where.items() if len(s) > 1}
        if not duplicated:
            return None
        lines = [
            f"{value} read at "
            + "; ".join(
                f"seq {seq} on {','.join(node_name(n) for n in nodes)}"
                for seq, nodes in seqs.items()
            )
            for value, seqs in duplicated.items()
        ]
        values = list(duplicated)
        summary = (
            "Expected each value at exactly one sequence; "
            f"{len(values)} value(s) were read at several ({values_text(values, 5)})."
        )
        data = {"duplicated": {v: sorted(s) for v, s in duplicated.items()}}
        return Violation(self.name, summary, tuple(capped(lines, MAX_DETAILS, "values")), data)
