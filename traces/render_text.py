"""The text view: a timeline a person reads top to bottom.

Client operations, faults, leadership, losses and the lost write's own disk events are
shown one per line; the flood in between (heartbeats, deliveries, timers) is summarised
as counts per gap so the story stays readable at thousands of events.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from ackcheck.history import Event
from ackcheck.schedule import fmt_time, node_name
from ackcheck.traces.story import (
    acked_invoke_indexes,
    lost_values,
    natural_key,
    node_of,
    some,
)
from ackcheck.traces.trace import Trace

# styles (rich markup names); plain output ignores them
FAULT = "bold yellow"
LOST = "bold red"
DIM = "dim"
HEAD = "bold"
PLAIN = ""

Line = tuple[str, str]  # (style, text)

CHATTER = "chatter"  # a row that joins a run of failed attempts (drawn dim)
MIN_CHATTER = 4  # failed attempts in a row before they become one line
MIN_SUMMARY = 20  # background events gathered before a summary line of their own
SHOWN_OBSERVATIONS = ("leader", "recover", "halt")
LOST_OBSERVATIONS = ("commit", "recover", "halt")  # shown when they name a lost value
DISK_KINDS = ("write", "truncate", "delete", "rename", "torn-write", "bit-flip")


def _mentions(data: object, values: frozenset[str]) -> bool:
    if isinstance(data, str):
        return data in values
    if isinstance(data, Mapping):
        return any(_mentions(v, values) for v in data.values())
    if isinstance(data, list | tuple):
        return any(_mentions(v, values) for v in data)
    return False


def _value(v: object) -> str:
    if isinstance(v, list | tuple):
        return "[" + ",".join(_value(x) for x in v) + "]"
    return str(v)


def _shown_event(e: Event, lost: frozenset[str]) -> bool:
    """A node's own event touching a lost value (its disk writes, syncs, truncations);
    client and fault events are already shown from the history."""
    return (
        e.kind in DISK_KINDS
        and node_of(e.actor) is not None
        and bool(lost)
        and _mentions(e.data, lost)
    )


def _summary(events: list[Event]) -> str:
    kinds = Counter(e.kind for e in events)
    top = sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
    parts = [f"{n} {k}" for k, n in top[:4]]
    if len(top) > 4:
        parts.append(f"{sum(n for _, n in top[4:])} other")
    span = f"{fmt_time(events[0].time)}..{fmt_time(events[-1].time)}"
    return f"           ... {len(events)} events {span}: " + ", ".join(parts)


def header(trace: Trace) -> list[Line]:
    s = trace.schedule
    lines: list[Line] = [
        (HEAD, f"ackcheck trace (format {trace.version}, written by ackcheck "
               f"{trace.ackcheck_version})"),
        (PLAIN, f"node {trace.node}, preset {trace.preset or '-'}, overrides "
                f"{' '.join(trace.overrides) or '-'}"),
        (PLAIN, f"schedule: {s.nodes} nodes, seed {s.seed}, duration {fmt_time(s.duration)}, "
                f"settle {fmt_time(s.settle)}, {len(s.faults)} faults, "
                + (f"{len(s.decisions)} decisions, " if s.decisions else "")
                + f"{s.workload.clients} clients x {s.workload.writes} writes"),
    ]
    lines.extend((PLAIN, f"  decision {i + 1}: {d.describe()}")
                 for i, d in enumerate(s.decisions))
    v = trace.violation
    if v is None:
        lines.append((HEAD, "verdict: every checked property held"))
    else:
        lines.append((LOST, f"VIOLATION {v.property}: {v.summary}"))
        lines.extend((PLAIN, f"  {d}") for d in v.details)
    lost = lost_values(trace)
    if lost:
        lines.append((LOST, f"lost writes ({len(lost)}): {some(lost, 20)}"))
    lines.append((DIM, f"digest {trace.digest}"))
    return lines


def _notable(trace: Trace, lost: frozenset[str]) -> list[tuple[int, int, str, str]]:
    """(time, order, style, text) of every line shown on its own."""
    h = trace.history
    rows: list[tuple[int, int, str, str]] = []
    for fe in h.faults:
        note = "" if fe.applied else " (no-op)"
        note += f" - {fe.note}" if fe.note else ""
        rows.append((fe.time, 0, FAULT, f"FAULT {fe.fault.describe()}{note}"))
    acked_invokes = acked_invoke_indexes(h.ops)
    for op in h.ops:
        if op.f == "publish":
            what = f"publish {op.value}"
            if op.seq is not None:
                what += f" -> seq {op.seq}"
        else:
            what = op.f + (f" {op.value}" if op.value is not None else "")
        style = LOST if op.value in lost else PLAIN
        if op.type == "fail" or (op.type == "invoke" and op.index not in acked_invokes):
            style = CHATTER  # attempts that came to nothing: summarised when they pile up
        tag = "  <- LOST WRITE ACKED" if op.type == "ok" and op.value in lost else ""
        rows.append((op.time, 1, style, f"c{op.process} {op.type:<6} {what} via "
                                        f"{node_name(op.node)}{tag}"))
    for o in h.observations:
        named = o.kind in LOST_OBSERVATIONS and _mentions(o.data, lost)
        if o.kind in SHOWN_OBSERVATIONS or named:
            detail = ", ".join(f"{k}={_value(v)}" for k, v in sorted(o.data.items()) if k != "log")
            style = LOST if named else PLAIN
            rows.append((o.time, 2, style, f"{node_name(o.node)} {o.kind} {detail}".rstrip()))
    for loss in h.losses:
        rows.append((loss.time, 3, LOST, f"LOSS on {node_name(loss.node)}: {loss.file} lost "
                                         f"{', '.join(loss.values)} ({loss.cause})"))
    for r in h.residency:
        if lost & set(r.cached) or lost & set(r.durable):
            cached = sorted(lost & set(r.cached))
            durable = sorted(lost & set(r.durable))
            where = f"durable {','.join(durable) or '-'}, cached only {','.join(cached) or '-'}"
            rows.append((r.time, 0, LOST, f"{node_name(r.node)} before {r.cause}: {where}"))
    if h.heal_time:
        rows.append((h.heal_time, 4, HEAD, "-- heal everything, restart every node, final read"))
    return rows


def lines(trace: Trace) -> list[Line]:
    lost = frozenset(lost_values(trace))
    rows = _notable(trace, lost)
    for i, e in enumerate(trace.history.events):
        if _shown_event(e, lost):
            data = ", ".join(f"{k}={_value(v)}" for k, v in sorted(e.data.items()))
            rows.append((e.time, 5 + i, LOST, f"{e.actor} {e.kind} {data}"))
    rows.sort(key=lambda r: (r[0], r[1]))
    out = [*header(trace), (PLAIN, ""), (HEAD, "timeline")]
    background = [e for e in trace.history.events if not _shown_event(e, lost)]
    bi = 0
    gap: list[Event] = []
    chatter: list[tuple[int, str]] = []

    def flush_chatter() -> None:
        if len(chatter) < MIN_CHATTER:
            out.extend((PLAIN, f"{fmt_time(t):>10} {text}") for t, text in chatter)
        else:
            clients = sorted({text.split(" ", 1)[0] for _, text in chatter})
            out.append((DIM, f"{fmt_time(chatter[0][0]):>10} {len(chatter)} publish attempts "
                             f"that failed or got no ok (by {','.join(clients)}) until "
                             f"{fmt_time(chatter[-1][0])}"))
        chatter.clear()

    for t, _, style, text in rows:
        if style == CHATTER:
            chatter.append((t, text))
            continue
        flush_chatter()
        while bi < len(background) and background[bi].time < t:
            gap.append(background[bi])
            bi += 1
        # small gaps carry over, so a burst of activity does not get a summary line each
        if gap and (len(gap) >= MIN_SUMMARY or style in (FAULT, HEAD)):
            out.append((DIM, _summary(gap)))
            gap = []
        out.append((style, f"{fmt_time(t):>10} {text}"))
    flush_chatter()
    gap += background[bi:]
    if gap:
        out.append((DIM, _summary(gap)))
    out.extend(_final_reads(trace, lost))
    return out


def _final_reads(trace: Trace, lost: frozenset[str]) -> Iterable[Line]:
    h = trace.history
    if not h.final_reads:
        return
    yield (PLAIN, "")
    yield (HEAD, "final read")
    for r in h.final_reads:
        values = {v for _, v in r.entries}
        missing = sorted(lost - values, key=natural_key)
        state = "" if r.complete else f" (incomplete: {r.error or 'no full answer'})"
        yield (
            LOST if missing else PLAIN,
            f"  {node_name(r.node)}: {len(r.entries)} entries{state}"
            + (f", missing {some(missing)}" if missing else ""),
        )


def render_text(trace: Trace) -> str:
    return "\n".join(text for _, text in lines(trace)) + "\n"


def render_rich(trace: Trace) -> object:
    """The same lines as a rich ``Text`` with styles, for a terminal."""
    from rich.text import Text

    out = Text()
    for style, text in lines(trace):
        out.append(text + "\n", style=style or None)
    return out
