"""ack-implies-durable: every acknowledged publish survives, on every node that serves.

Reported as Jepsen's queue checker does (lost / unexpected, lost split per publisher
into prefix, middle and postfix), plus a per-node check that catches split brain: an
acked value one node serves and another node's *complete* read lacks. For each lost
value the explanation follows it through the simulator's disk records: where it was
acked, where it was fsynced or only cached at each fault, and which event removed it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ackcheck.history import FinalRead, History, Op
from ackcheck.properties.facts import publish_acks, publish_invokes, reads_by_node
from ackcheck.properties.violation import (
    MAX_DETAILS,
    Violation,
    at,
    capped,
    nodes_text,
    plural,
    values_text,
)
from ackcheck.schedule import node_name

# Each lost value gets several lines (ack, residency, removal): explain this many fully.
MAX_LOST_EXPLAINED = 5
# Residency lines per lost value; identical consecutive lines are already folded.
MAX_RESIDENCY_LINES = 6


def process_name(process: int) -> str:
    return f"c{process}"


class AckImpliesDurable:
    name = "ack-implies-durable"
    description = (
        "Every acknowledged publish is read back after healing: none lost, none "
        "unexpected, and no node's complete read lacks an acked value another node serves."
    )

    def check(self, history: History) -> Violation | None:
        reads = reads_by_node(history)
        if not reads:
            return None  # no final read: nothing to judge against
        acks = publish_acks(history)
        invokes = publish_invokes(history)
        served = _served_by(reads)
        order = _publish_order(invokes, acks)
        acked = sorted(acks, key=order.__getitem__)

        unread = [v for v in acked if v not in served]
        judged = any(r.complete and not r.error for r in reads.values())
        lost, unconfirmed = (unread, []) if judged else ([], unread)
        unexpected = [v for v in served if v not in invokes and v not in acks]
        on_node = _lost_on_node(reads, acked, served)
        if not lost and not unexpected and not on_node:
            return None

        split = _split_by_process(lost, served, order, invokes, acks)
        summary = _summary(len(acked), lost, unexpected, on_node)
        details = _details(history, lost, acks, split, unexpected, served, on_node, unconfirmed)
        details += _node_prefix_lines(reads, on_node, order, invokes, acks)
        data = {
            "acked": len(acked),
            "read": len(served),
            "lost": lost,
            "lost_prefix": {p: s["prefix"] for p, s in split.items() if s["prefix"]},
            "lost_middle": {p: s["middle"] for p, s in split.items() if s["middle"]},
            "lost_postfix": {p: s["postfix"] for p, s in split.items() if s["postfix"]},
            "unexpected": unexpected,
            "lost_on_node": {node_name(n): vs for n, vs in on_node.items()},
            "lost_on_node_split": {
                node_name(n): _split_by_process(vs, _served_on(reads[n]), order, invokes, acks)
                for n, vs in on_node.items()
            },
            "unconfirmed": unconfirmed,
        }
        return Violation(self.name, summary, tuple(details), data)


def _served_by(reads: dict[int, FinalRead]) -> dict[str, list[int]]:
    """Value -> nodes whose final read returned it, in order of first appearance."""
    out: dict[str, list[int]] = {}
    for node, read in reads.items():
        for _, value in sorted(read.entries):
            nodes = out.setdefault(value, [])
            if node not in nodes:
                nodes.append(node)
    return out


def _publish_order(invokes: dict[str, Op], acks: dict[str, list[Op]]) -> dict[str, int]:
    """A position for every published value: invocation order, then ok-only values."""
    order = {v: i for i, v in enumerate(invokes)}
    for value in acks:
        order.setdefault(value, len(order))
    return order


def _process_of(value: str, invokes: dict[str, Op], acks: dict[str, list[Op]]) -> int:
    op = invokes.get(value) or acks[value][0]
    return op.process


def _split_by_process(
    lost: Sequence[str],
    served: dict[str, list[int]],
    order: dict[str, int],
    invokes: dict[str, Op],
    acks: dict[str, list[Op]],
) -> dict[str, dict[str, list[str]]]:
    """Lost values per publisher: before its first read value (prefix), after its last
    (postfix), or between (middle). A publisher with nothing read lost a whole tail:
    everything counts as postfix."""
    read_span: dict[int, tuple[int, int]] = {}  # process -> first, last read position
    for value, pos in order.items():
        if value in served:
            process = _process_of(value, invokes, acks)
            first, last = read_span.get(process, (pos, pos))
            read_span[process] = (min(first, pos), max(last, pos))
    split: dict[str, dict[str, list[str]]] = {}
    for value in lost:
        process = _process_of(value, invokes, acks)
        span = read_span.get(process)
        pos = order[value]
        if span is None or pos > span[1]:
            where = "postfix"
        elif pos < span[0]:
            where = "prefix"
        else:
            where = "middle"
        groups = split.setdefault(
            process_name(process), {"prefix": [], "middle": [], "postfix": []}
        )
        groups[where].append(value)
    return dict(sorted(split.items(), key=lambda kv: int(kv[0][1:])))


def _served_on(read: FinalRead) -> dict[str, list[int]]:
    """``_served_by`` of one node's read alone."""
    return {value: [read.node] for _, value in read.entries}


def _node_prefix_lines(
    reads: dict[int, FinalRead],
    on_node: dict[int, list[str]],
    order: dict[str, int],
    invokes: dict[str, Op],
    acks: dict[str, list[Op]],
) -> list[str]:
    """Per node that lacks acked values others serve, where in each publisher's order
    they fall, as Jepsen's per-node check splits them: a middle gap means that node
    serves a different acknowledged prefix, not merely a shorter one."""
    lines = []
    for node, values in on_node.items():
        split = _split_by_process(values, _served_on(reads[node]), order, invokes, acks)
        counts = {k: sum(len(g[k]) for g in split.values()) for k in ("prefix", "middle",
                                                                      "postfix")}
        lines.append(
            f"{node_name(node)} serves a different acked prefix: it lacks "
            f"{counts['prefix']} at the start, {counts['middle']} in the middle and "
            f"{counts['postfix']} at the end of its publishers' writes"
        )
    return capped(lines, MAX_DETAILS, "nodes")


def _lost_on_node(
    reads: dict[int, FinalRead], acked: Sequence[str], served: dict[str, list[int]]
) -> dict[int, list[str]]:
    """Per node with a complete read: acked values other nodes serve and it lacks."""
    out: dict[int, list[str]] = {}
    for node, read in reads.items():
        if not read.complete or read.error:
            continue
        missing = [v for v in acked if v in served and node not in served[v]]
        if missing:
            out[node] = missing
    return out


def _summary(
    acked: int, lost: list[str], unexpected: list[str], on_node: dict[int, list[str]]
) -> str:
    found = []
    if lost:
        found.append(
            f"{len(lost)} of {acked} acked values {_were(len(lost))} never read from any node "
            f"({values_text(lost, 5)})"
        )
    if on_node:
        parts = [
            f"{node_name(n)} lacks {plural(len(vs), 'acked value')}" for n, vs in on_node.items()
        ]
        found.append(
            "some nodes' complete reads lack acked values other nodes serve, "
            f"the mark of split brain ({'; '.join(parts)})"
        )
    if unexpected:
        found.append(
            f"{plural(len(unexpected), 'value')} no client published {_were(len(unexpected))} read "
            f"({values_text(unexpected, 5)})"
        )
    return (
        "Expected every acknowledged publish to be read back from every node after "
        "healing, and nothing else; instead " + "; ".join(found) + "."
    )


def _were(count: int) -> str:
    return "was" if count == 1 else "were"


def _details(
    history: History,
    lost: list[str],
    acks: dict[str, list[Op]],
    split: dict[str, dict[str, list[str]]],
    unexpected: list[str],
    served: dict[str, list[int]],
    on_node: dict[int, list[str]],
    unconfirmed: list[str],
) -> list[str]:
    lines: list[str] = []
    for process, groups in split.items():
        every = groups["prefix"] + groups["middle"] + groups["postfix"]
        lines.append(
            f"{process}: lost {values_text(every)}"
            f" (prefix {len(groups['prefix'])}, middle {len(groups['middle'])},"
            f" postfix {len(groups['postfix'])})"
        )
    for value in lost[:MAX_LOST_EXPLAINED]:
        lines.extend(_explain_lost(history, value, acks[value]))
    if len(lost) > MAX_LOST_EXPLAINED:
        lines.append(f"... and {len(lost) - MAX_LOST_EXPLAINED} more lost values (data['lost'])")
    if lost and not history.residency and not history.losses:
        lines.append(
            "no residency or loss records in this history (a real run?): "
            "where the lost values were stored cannot be said"
        )
    node_lines = [
        f"{node_name(n)}'s complete read lacks {values_text(vs)}, served by "
        f"{nodes_text(m for v in vs for m in served[v])}"
        for n, vs in on_node.items()
    ]
    lines.extend(capped(node_lines, MAX_DETAILS, "nodes"))
    unexpected_lines = [
        f"read but never published: {v} (served by {nodes_text(served[v])})" for v in unexpected
    ]
    lines.extend(capped(unexpected_lines, MAX_DETAILS, "unexpected values"))
    if unconfirmed:
        lines.append(
            f"not judged: {plural(len(unconfirmed), 'acked value')} unread but no node's "
            f"read was complete ({values_text(unconfirmed)})"
        )
    return lines


def _explain_lost(history: History, value: str, oks: list[Op]) -> list[str]:
    """Where one lost value was acked, where it lived at each fault, what removed it."""
    acked = "; again ".join(
        f"{at(op.time)} by {node_name(op.node)}" + (f" seq {op.seq}" if op.seq is not None else "")
        for op in oks
    )
    lines = [f"lost {value}: acked {acked}"]
    # Facts from the publish on: the node may send the ack before a fault that the
    # client only hears about afterwards (the reply was in flight).
    sent = max(
        (op.time for op in history.ops
         if op.f == "publish" and op.type == "invoke" and op.value == value
         and op.process == oks[0].process and op.time <= oks[0].time),
        default=oks[0].time,
    )
    lines.extend(f"  {line}" for line in _residency_lines(history, value, sent))
    # One line per removing event: a power failure of three nodes reads as one cause.
    removals: dict[tuple[int, str, str], list[int]] = {}
    for loss in sorted(history.losses, key=lambda x: (x.time, x.node)):
        if value in loss.values:
            removals.setdefault((loss.time, loss.cause, loss.file), []).append(loss.node)
    for (time, cause, file), nodes in removals.items():
        in_flight = " (the ack was still in flight to the client)" if time < oks[0].time else ""
        lines.append(
            f"  removed {at(time)} by {cause} on {nodes_text(nodes)} ({file}){in_flight}"
        )
    return lines


def _residency_lines(history: History, value: str, acked_at: int) -> list[str]:
    """One line per fault (from the ack on) saying where ``value`` was; repeats folded."""
    groups: dict[tuple[int, str], tuple[list[int], list[int]]] = {}
    for r in sorted(history.residency, key=lambda x: (x.time, x.node)):
        if r.time < acked_at:
            continue
        durable, cached = groups.setdefault((r.time, r.cause), ([], []))
        if value in r.durable:
            durable.append(r.node)
        elif value in r.cached:
            cached.append(r.node)
    lines: list[str] = []
    previous = ""
    for (time, cause), (durable, cached) in groups.items():
        if durable or cached:
            where = f"fsynced on {nodes_text(durable)}, page cache only on {nodes_text(cached)}"
        else:
            where = "held by no node"
        if where != previous:
            lines.append(f"{at(time)} before {cause}: {where}")
            previous = where
    return capped(lines, MAX_RESIDENCY_LINES, "faults")
