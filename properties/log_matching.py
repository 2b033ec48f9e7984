"""log-matching: logs that agree on an (index, term) agree on everything before it.

Raft's Log Matching property, judged on the nodes' final logs
(``History.final_states``). Entries a node compacted into a snapshot are not in its
log, so only indexes both nodes still hold are compared. A real run has no final
states and passes vacuously.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ackcheck.history import History
from ackcheck.properties.violation import MAX_DETAILS, Violation, capped
from ackcheck.schedule import node_name

Entry = tuple[int, str]  # (term, value) at an index


class LogMatching:
    name = "log-matching"
    description = (
        "If two nodes' final logs hold an entry with the same index and term, they hold "
        "identical entries at every index up to it."
    )

    def check(self, history: History) -> Violation | None:
        logs = {
            node: _index_log(state.log)
            for node, state in enumerate(history.final_states)
            if state is not None
        }
        nodes = list(logs)
        found: list[dict[str, Any]] = []
        for i, a in enumerate(nodes):
            for b in nodes[i + 1 :]:
                mismatch = _mismatch(logs[a], logs[b])
                if mismatch is not None:
                    anchor, differ = mismatch
                    found.append({"nodes": [a, b], "anchor": anchor, "differ_at": differ})
        if not found:
            return None
        lines = [_describe(f, logs) for f in found]
        first = found[0]
        a, b = first["nodes"]
        summary = (
            "Expected logs that share an entry (same index and term) to be identical up to "
            f"it; {node_name(a)} and {node_name(b)} both hold index {first['anchor']} in "
            f"term {logs[a][first['anchor']][0]} but differ at index {first['differ_at'][0]}."
        )
        data = {"mismatches": found}
        return Violation(self.name, summary, tuple(capped(lines, MAX_DETAILS, "node pairs")), data)


def _index_log(log: Sequence[Sequence[Any]]) -> dict[int, Entry]:
    return {int(index): (int(term), str(value)) for index, term, value in log}


def _mismatch(a: dict[int, Entry], b: dict[int, Entry]) -> tuple[int, list[int]] | None:
    """The highest shared (index, term) and the indexes up to it where the logs differ."""
    common = sorted(i for i in a if i in b)
    anchors = [i for i in common if a[i][0] == b[i][0]]
    if not anchors:
        return None
    anchor = anchors[-1]
    differ = [i for i in common if i <= anchor and a[i] != b[i]]
    return (anchor, differ) if differ else None


def _describe(found: dict[str, Any], logs: dict[int, dict[int, Entry]]) -> str:
    a, b = found["nodes"]
    anchor = found["anchor"]
    at_index = found["differ_at"][0]
    (ta, va), (tb, vb) = logs[a][at_index], logs[b][at_index]
    more = len(found["differ_at"]) - 1
    return (
        f"{node_name(a)} and {node_name(b)} share index {anchor} term {logs[a][anchor][0]}; "
        f"at index {at_index} {node_name(a)} has term {ta} {va!r}, "
        f"{node_name(b)} has term {tb} {vb!r}" + (f" (+{more} more indexes differ)" if more else "")
    )
