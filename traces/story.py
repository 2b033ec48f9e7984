"""What every renderer needs to tell a run's story, derived once from a trace.

Renderers differ in drawing, not in reading: which writes were lost, which sends pair
with which deliveries (by ``msg_id``), when nodes were down, paused or cut off, and
where disks synced. Event vocabularies are read tolerantly (``to``/``dst``,
``from``/``src``) so that a trace written by a driver with slightly different names
still draws.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ackcheck.history import Event, History, Op
from ackcheck.schedule import Partition, Schedule, fmt_time
from ackcheck.traces.trace import Trace

SEND_KINDS = ("send",)
DELIVER_KINDS = ("deliver", "receive", "recv")
DROP_KINDS = ("drop", "lost", "dropped")
SYNC_KINDS = ("fsync", "sync")


@attrs.frozen
class Message:
    msg_id: Any
    src: int
    dst: int
    sent: int
    label: str
    delivered: int | None = None  # None: dropped, or still in flight at the end
    send_index: int = 0  # position of the send in the event list
    deliver_index: int | None = None


@attrs.frozen
class Span:
    """A stretch of time on one node's lane (down, paused) or across lanes (partition)."""

    kind: str  # "down" | "paused" | "partition"
    start: int
    end: int
    nodes: tuple[int, ...]
    label: str


def node_of(actor: str) -> int | None:
    """``"n3"`` -> 3; clients and the simulator -> None."""
    if len(actor) > 1 and actor[0] == "n" and actor[1:].isdigit():
        return int(actor[1:])
    return None


def _first(data: Mapping[str, Any], *keys: str) -> Any:
    for k in keys:
        if k in data:
            return data[k]
    return None


def _as_node(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return node_of(value)
    return None


def message_label(data: Mapping[str, Any]) -> str:
    label = _first(data, "type", "msg_type", "label")
    return str(label) if label is not None else "msg"


def messages(events: Iterable[Event]) -> list[Message]:
    """Sends paired with their deliveries by ``msg_id``, in send order."""
    sends: dict[Any, Message] = {}
    order: list[Any] = []
    for i, e in enumerate(events):
        msg_id = e.data.get("msg_id") if isinstance(e.data, Mapping) else None
        if msg_id is None or isinstance(msg_id, list | tuple | dict):
            continue
        if e.kind in SEND_KINDS:
            src = node_of(e.actor)
            dst = _as_node(_first(e.data, "to", "dst", "dest"))
            if src is None or dst is None or msg_id in sends:
                continue
            sends[msg_id] = Message(msg_id, src, dst, e.time, message_label(e.data), send_index=i)
            order.append(msg_id)
        elif e.kind in DELIVER_KINDS and msg_id in sends:
            m = sends[msg_id]
            if m.delivered is None:
                sends[msg_id] = attrs.evolve(m, delivered=e.time, deliver_index=i)
    return [sends[k] for k in order]


def syncs(events: Iterable[Event]) -> list[tuple[int, int, str]]:
    """(time, node, file) of every disk sync."""
    out = []
    for e in events:
        n = node_of(e.actor)
        if e.kind in SYNC_KINDS and n is not None:
            out.append((e.time, n, str(_first(e.data, "file", "name") or "")))
    return out


def spans(history: History) -> list[Span]:
    """Down (crash..restart), paused (pause..resume) and partition (..heal) stretches."""
    end = max(history.end_time, history.heal_time)
    down: dict[int, tuple[int, str]] = {}
    paused: dict[int, int] = {}
    cut: tuple[int, Partition] | None = None
    out: list[Span] = []

    def close_cut(t: int) -> None:
        nonlocal cut
        if cut is not None:
            start, p = cut
            out.append(Span("partition", start, t, p.nodes, p.describe()))
            cut = None

    for fe in sorted(history.faults, key=lambda f: f.time):
        f, t = fe.fault, fe.time
        if not fe.applied:
            continue
        effect = f.effect
        if effect == "down":
            for n in f.nodes_named():
                down.setdefault(n, (t, f.kind))
        elif effect == "up":
            for n in f.nodes_named():
                if n in down:
                    start, why = down.pop(n)
                    out.append(Span("down", start, t, (n,), why))
        elif effect == "pause":
            for n in f.nodes_named():
                paused.setdefault(n, t)
        elif effect == "resume":
            for n in f.nodes_named():
                if n in paused:
                    out.append(Span("paused", paused.pop(n), t, (n,), "paused"))
        elif effect == "cut" and isinstance(f, Partition):
            close_cut(t)
            cut = (t, f)
        elif effect == "heal":
            close_cut(t)
    heal = history.heal_time or end
    close_cut(heal)
    for n, t in sorted(paused.items()):
        out.append(Span("paused", t, heal, (n,), "paused"))
    for n, (t, why) in sorted(down.items()):
        out.append(Span("down", t, heal, (n,), why))
    return sorted(out, key=lambda s: (s.start, s.kind, s.nodes))


def final_values(history: History) -> set[str]:
    return {v for r in history.final_reads for _, v in r.entries}


def lost_values(trace: Trace) -> tuple[str, ...]:
    """Acked writes the final read did not return, plus any the violation names (also
    those missing on one node only, as in a split brain)."""
    h = trace.history
    lost: set[str] = set()
    if h.final_reads:
        seen = final_values(h)
        lost = {v for v in h.acked() if v not in seen}
    if trace.violation is not None:
        data = trace.violation.data
        for key in ("value", "lost", "values", "lost_values", "lost_on_node"):
            got = data.get(key) if isinstance(data, Mapping) else None
            if isinstance(got, Mapping):  # per node: {"n1": ["0-0", ...]}
                got = [v for vs in got.values() if isinstance(vs, list | tuple) for v in vs]
            if isinstance(got, str):
                lost.add(got)
            elif isinstance(got, list | tuple):
                lost.update(v for v in got if isinstance(v, str))
    return tuple(sorted(lost, key=natural_key))


def natural_key(value: str) -> tuple[tuple[int, int, str], ...]:
    """``"0-2"`` before ``"0-10"``: values are ``<client>-<counter>``."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in value.split("-"))


def some(values: Iterable[str], limit: int = 12) -> str:
    """``"a, b, c (+9 more)"``: a list a reader can take in."""
    items = list(values)
    head = ", ".join(items[:limit])
    return head + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def acked_invoke_indexes(ops: Iterable[Op]) -> set[int]:
    """Indexes of the invokes completed by an ok (not the retries that failed)."""
    pending: dict[tuple[int, str | None], int] = {}
    out: set[int] = set()
    for op in ops:
        key = (op.process, op.value)
        if op.type == "invoke":
            pending[key] = op.index
        elif key in pending:
            start = pending.pop(key)
            if op.type == "ok":
                out.add(start)
    return out


def ack_ops(history: History, values: Iterable[str]) -> dict[str, Op]:
    """The first ok of each value in ``values``."""
    acked = history.acked()
    return {v: acked[v] for v in values if v in acked}


def node_count(trace: Trace) -> int:
    return max(trace.schedule.nodes, trace.history.nodes)


def schedule_lines(schedule: Schedule) -> list[str]:
    """The schedule as a short list a person reads in one glance."""
    lines = [
        f"{schedule.nodes} nodes, seed {schedule.seed}, {schedule.workload.writes} writes "
        f"by {schedule.workload.clients} clients over {fmt_time(schedule.duration)}"
    ]
    for tf in schedule.sorted_faults():
        lines.append(f"  t={fmt_time(tf.at):>8}  {tf.fault.describe()}")
    for i, d in enumerate(schedule.decisions):
        lines.append(f"  decision {i + 1}: {d.describe()}")
    if schedule.decisions:
        lines.append("  (@ is the node that had the event)")
    if not schedule.faults and not schedule.decisions:
        lines.append("  (no faults)")
    return lines
