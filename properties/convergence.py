"""converges-after-heal (liveness): once every fault is healed, the cluster recovers.

Within the time the history allowed after ``heal_time`` (until ``end_time``), a leader
must exist and every node's final read must be complete and contain every acked value.
When it does not, the violation names what blocked it: nodes never read, reads that were
incomplete or failed, acked values missing per node, nodes that halted (fail-stop).
"""

from __future__ import annotations

from ackcheck.history import FinalRead, History, Observation
from ackcheck.properties.facts import observations, publish_acks, reads_by_node
from ackcheck.properties.violation import (
    MAX_DETAILS,
    Violation,
    at,
    capped,
    plural,
    values_text,
)
from ackcheck.schedule import fmt_time, node_name


class ConvergesAfterHeal:
    name = "converges-after-heal"
    description = (
        "After every fault heals, within the run's remaining time, a leader exists and "
        "every acked value is readable from every node (liveness; opt-in)."
    )

    def check(self, history: History) -> Violation | None:
        reads = reads_by_node(history)
        if not reads:
            return None  # no final read was attempted: nothing to judge
        acked = list(publish_acks(history))
        leader = _leader_after_heal(history)
        unread = [n for n in range(history.nodes) if n not in reads]
        broken = {n: r for n, r in reads.items() if not r.complete or r.error}
        missing: dict[int, list[str]] = {}
        for n, r in reads.items():
            held = {value for _, value in r.entries}
            if lacks := [v for v in acked if v not in held]:
                missing[n] = lacks
        if leader is not False and not unread and not broken and not missing:
            return None

        halts = _halts(history)
        blocked = sorted({*unread, *broken, *missing})
        budget = max(history.end_time - history.heal_time, 0)
        reasons = []
        if leader is False:
            reasons.append("no leader was elected after the heal")
        if unread:
            reasons.append(f"{plural(len(unread), 'node')} never answered the final read")
        if broken:
            reasons.append(f"the reads of {plural(len(broken), 'node')} were incomplete or failed")
        if missing:
            reasons.append(
                f"{plural(len(missing), 'node')} {'lacks' if len(missing) == 1 else 'lack'} "
                "acked values"
            )
        summary = (
            f"Expected, within the {fmt_time(budget)} after every fault healed "
            f"({at(history.heal_time)}), a leader and every acked value readable from every "
            f"node; instead {', '.join(reasons)}."
        )
        lines: list[str] = []
        if leader is False:
            lines.append(f"no leader observation from {fmt_time(history.heal_time)} on")
        elif leader is None:
            lines.append("leader not judged: the history has no node observations (real run?)")
        lines.extend(f"{node_name(n)}: no final read recorded" for n in unread)
        lines.extend(_read_line(r, len(acked)) for r in broken.values())
        node_lines = [
            f"{node_name(n)} lacks {plural(len(vs), 'acked value')}: {values_text(vs)}"
            + ("" if reads[n].complete and not reads[n].error else " (its read was incomplete)")
            for n, vs in missing.items()
        ]
        lines.extend(capped(node_lines, MAX_DETAILS, "nodes"))
        for n in blocked:
            if n in halts:
                reason = halts[n].data.get("reason", "")
                lines.append(f"{node_name(n)} halted (fail-stop) {at(halts[n].time)}: {reason}")
        data = {
            "heal_time": history.heal_time,
            "end_time": history.end_time,
            "leader": leader,
            "unread": [node_name(n) for n in unread],
            "incomplete": {node_name(n): r.error for n, r in broken.items()},
            "missing": {node_name(n): vs for n, vs in missing.items()},
            "halted": {
                node_name(n): str(halts[n].data.get("reason", "")) for n in blocked if n in halts
            },
        }
        return Violation(self.name, summary, tuple(lines), data)


def _leader_after_heal(history: History) -> bool | None:
    """True/False when it can be judged; None for a history without node facts."""
    if any(o.time >= history.heal_time for o in observations(history, "leader")):
        return True
    if any(s is not None and s.role == "leader" and not s.halted for s in history.final_states):
        return True
    if not history.observations and not any(s is not None for s in history.final_states):
        return None
    return False


def _halts(history: History) -> dict[int, Observation]:
    """The last ``halt`` observation of each node, plus halted final states."""
    out: dict[int, Observation] = {}
    for obs in observations(history, "halt"):
        out[obs.node] = obs
    for node, state in enumerate(history.final_states):
        if state is not None and state.halted and node not in out:
            out[node] = Observation(history.end_time, node, "halt", {"reason": "halted at end"})
    return out


def _read_line(read: FinalRead, acked: int) -> str:
    state = f"failed: {read.error}" if read.error else "incomplete"
    return (
        f"{node_name(read.node)}: final read {state} after "
        f"{len(read.entries)} entries ({acked} values were acked)"
    )
