"""A Mermaid sequence diagram of a run, small enough to paste into an issue.

Faults, the lost write's ack and its losses are always drawn; other client operations
and node-to-node traffic (summarised per gap as one arrow per link with a count) fill
a line budget, and whatever does not fit is counted in a closing note. Labels are
reduced to a safe character set and never contain the word ``end``, which Mermaid
would read as a block terminator.
"""

from __future__ import annotations

import re
from collections import Counter

from ackcheck.history import Event
from ackcheck.schedule import fmt_time, node_name
from ackcheck.traces.story import (
    acked_invoke_indexes,
    lost_values,
    messages,
    natural_key,
    node_count,
)
from ackcheck.traces.trace import Trace

DEFAULT_BUDGET = 300  # diagram lines; ~60 chars each keeps a report far below 64 KiB
_UNSAFE = re.compile(r"[^A-Za-z0-9 .,_=+()\[\]/*'-]")
_END = re.compile(r"\bend\b", re.IGNORECASE)
MUST, LOST_MORE, SHOULD, MAY = 0, 1, 2, 3  # priorities: lower is kept first
LOST_SHOWN = 5  # lost writes whose publish and ack are always drawn


def label(text: str, limit: int = 90) -> str:
    """Text safe inside a Mermaid message or note."""
    text = _END.sub("finish", _UNSAFE.sub(" ", text))
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _over(nodes: tuple[int, ...] | range) -> str:
    names = [node_name(n) for n in nodes]
    return names[0] if len(names) == 1 else f"{names[0]},{names[-1]}"


def _items(trace: Trace) -> list[tuple[int, int, int, list[str]]]:
    """(time, priority, order, lines) for everything the diagram could show."""
    h = trace.history
    n = node_count(trace)
    everyone = range(n)
    lost = set(lost_values(trace))
    acked = h.acked()
    # earliest acks first; ties by value, never by set order (the output must be stable)
    by_ack = sorted(lost, key=lambda v: (acked[v].time if v in acked else 0, natural_key(v)))
    first_lost = set(by_ack[:LOST_SHOWN])

    def lost_prio(value: str | None) -> int:
        return MUST if value in first_lost else LOST_MORE
    items: list[tuple[int, int, int, list[str]]] = []
    order = 0

    def add(t: int, prio: int, *rows: str) -> None:
        nonlocal order
        items.append((t, prio, order, list(rows)))
        order += 1

    for fe in h.faults:
        where = _over(fe.fault.nodes_named() or everyone)
        note = "" if fe.applied else " (no-op)"
        text = label(f"{fmt_time(fe.time)} {fe.fault.describe()}{note}")
        add(fe.time, MUST, f"Note over {where}: {text}")
    acked_invokes = acked_invoke_indexes(h.ops)
    for op in h.ops:
        c, nd = f"c{op.process}", node_name(op.node)
        text = label(f"{op.f} {op.value or ''} {fmt_time(op.time)}")
        if op.type == "invoke":
            lost_ack = op.value in lost and op.index in acked_invokes
            prio = lost_prio(op.value) if lost_ack else SHOULD
            add(op.time, prio, f"{c}->>{nd}: {text}")
        elif op.type == "ok" and op.value in lost:
            add(
                op.time,
                lost_prio(op.value),
                "rect rgb(255, 210, 210)",
                f"{nd}-->>{c}: {label(f'ok {op.value} seq {op.seq} {fmt_time(op.time)}')}",
                f"Note over {c},{nd}: {label(f'acked {op.value}, later LOST')}",
                "end",
            )
        else:
            extra = f" seq {op.seq}" if op.seq is not None else ""
            text = label(f"{op.type} {op.value or op.f}{extra} {fmt_time(op.time)}")
            add(op.time, SHOULD, f"{nd}-->>{c}: {text}")
    for o in h.observations:
        if o.kind == "leader":
            term = o.data.get("term", "?")
            add(o.time, SHOULD, f"Note over {node_name(o.node)}: {label(f'leader term {term}')}")
    for i, loss in enumerate(h.losses):
        add(
            loss.time,
            MUST if i < 2 * LOST_SHOWN else LOST_MORE,
            "rect rgb(255, 210, 210)",
            f"Note over {node_name(loss.node)}: "
            + label(f"LOST {' '.join(loss.values)} from {loss.file} by {loss.cause}"),
            "end",
        )
    if h.heal_time:
        text = label(f"{fmt_time(h.heal_time)} heal all, restart all, final read")
        add(h.heal_time, MUST, f"Note over {_over(everyone)}: {text}")
    for r in h.final_reads:
        missing = sorted(lost - {v for _, v in r.entries})
        text = f"final read {len(r.entries)} entries"
        text += f", missing {' '.join(missing)}" if missing else ""
        prio = MUST if missing else MAY
        add(h.end_time or h.heal_time, prio, f"Note over {node_name(r.node)}: {label(text)}")
    _traffic(trace.history.events, [i[0] for i in items], add)
    return items


def _traffic(events: tuple[Event, ...], marks: list[int], add) -> None:  # type: ignore[no-untyped-def]
    """Node-to-node messages summarised per gap between shown items: one arrow per link."""
    msgs = messages(events)
    if not msgs:
        return
    bounds = sorted(set(marks))
    gi = 0
    bucket: Counter[tuple[int, int, str]] = Counter()
    start = msgs[0].sent

    def flush(t: int) -> None:
        for (src, dst, kind), count in sorted(bucket.items()):
            times = f"x{count}" if count > 1 else ""
            add(start, MAY, f"{node_name(src)}->>{node_name(dst)}: {label(f'{kind} {times}')}")
        bucket.clear()

    for m in msgs:
        while gi < len(bounds) and bounds[gi] <= m.sent:
            if bucket:
                flush(bounds[gi])
            gi += 1
            start = m.sent
        if not bucket:
            start = m.sent
        bucket[(m.src, m.dst, m.label)] += 1
    if bucket:
        flush(start)


def render_mermaid(trace: Trace, budget: int = DEFAULT_BUDGET) -> str:
    n = node_count(trace)
    clients = sorted({op.process for op in trace.history.ops})
    head = ["sequenceDiagram"]
    head += [f"    participant c{c}" for c in clients]
    head += [f"    participant {node_name(i)}" for i in range(n)]
    items = _items(trace)
    chosen: list[tuple[int, int, int, list[str]]] = []
    used = 0
    omitted = 0
    for item in sorted(items, key=lambda i: (i[1], i[0], i[2])):
        if used + len(item[3]) <= budget:
            chosen.append(item)
            used += len(item[3])
        else:
            omitted += 1
    body: list[str] = []
    for _, _, _, rows in sorted(chosen, key=lambda i: (i[0], i[2])):
        body += [f"    {r}" for r in rows]
    if omitted:
        body.append(
            f"    Note over {_over(range(n))}: "
            + label(f"{omitted} more steps not drawn, see ackcheck show")
        )
    return "\n".join(head + body) + "\n"
