"""The space-time diagram (SVG): one lane per node, time left to right.

Messages are arrows from send to delivery (paired by ``msg_id``); crashes, pauses and
partitions are shaded stretches; disk syncs are ticks; the lost write is a red path
from its ack to every place it vanished. Every drawn step carries ``data-step``,
``data-t`` and ``data-desc`` so the html view can walk through them.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

import attrs

from ackcheck.schedule import fmt_time, node_name
from ackcheck.traces.story import (
    Message,
    ack_ops,
    lost_values,
    messages,
    node_count,
    spans,
    syncs,
)
from ackcheck.traces.trace import Trace

LEFT, RIGHT, TOP, LANE = 70, 40, 70, 64
WIDTH = 1280
MAX_ARROWS = 4000  # beyond this, only the messages around the lost writes' acks are drawn

FAULT_COLOURS = {
    "crash": "#b00020",
    "power-failure": "#b00020",
    "torn-write": "#b00020",
    "restart": "#1b7f3b",
    "pause": "#b8860b",
    "resume": "#b8860b",
    "partition": "#6a3d9a",
    "heal": "#6a3d9a",
}


@attrs.frozen
class Step:
    """One thing the html view can step to."""

    t: int
    order: int
    svg: str  # markup of the element(s), without the step attributes
    desc: str
    cls: str


class _Scale:
    def __init__(self, t0: int, t1: int, nodes: int) -> None:
        self.t0, self.t1 = t0, max(t1, t0 + 1)
        self.nodes = nodes
        self.height = TOP + LANE * nodes + 60

    def x(self, t: int) -> float:
        return round(LEFT + (t - self.t0) * (WIDTH - LEFT - RIGHT) / (self.t1 - self.t0), 1)

    def y(self, node: int) -> float:
        return TOP + LANE * node + LANE / 2


def _end_time(trace: Trace) -> int:
    """Where the time axis stops: the last thing drawn, plus a little room."""
    h = trace.history
    last = max(
        [
            h.heal_time,
            *(e.time for e in h.events[-1:]),
            *(op.time for op in h.ops),
            *(f.time for f in h.faults),
            *(loss.time for loss in h.losses),
        ]
    )
    if last <= 0:
        last = max(h.end_time, trace.schedule.duration, 1)
    return last + max(last // 40, 1)


def _arrow(m: Message, sc: _Scale, lost_related: bool) -> Step:
    x1, y1 = sc.x(m.sent), sc.y(m.src)
    if m.delivered is None:
        x2 = x1 + 14
        y2 = y1 + (sc.y(m.dst) - y1) * 0.25
        svg = (f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2:.1f}" class="msg dropped"/>'
               f'<circle cx="{x2}" cy="{y2:.1f}" r="2.5" class="dropped-end"/>')
        desc = f"{node_name(m.src)} sends {m.label} to {node_name(m.dst)}: never delivered"
        return Step(m.sent, m.send_index, svg, desc, "msg")
    x2, y2 = sc.x(m.delivered), sc.y(m.dst)
    cls = "msg lostmsg" if lost_related else "msg"
    svg = f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" class="{cls}" marker-end="url(#arrow)"/>'
    desc = (f"{node_name(m.src)} -> {node_name(m.dst)} {m.label}, sent {fmt_time(m.sent)}, "
            f"delivered {fmt_time(m.delivered)}")
    return Step(m.sent, m.send_index, svg, desc, "msg")


def steps(trace: Trace, sc: _Scale) -> list[Step]:
    h = trace.history
    out: list[Step] = []
    order = 10**9  # after events at the same time

    for s in spans(h):
        x1, x2 = sc.x(s.start), sc.x(s.end)
        if s.kind == "partition":
            cut = ",".join(node_name(n) for n in s.nodes)
            rows = "".join(
                f'<rect x="{x1}" y="{sc.y(n) - LANE / 2 + 3}" width="{max(x2 - x1, 1)}" '
                f'height="{LANE - 6}" class="cut"/>'
                for n in s.nodes
            )
            band = (f'<rect x="{x1}" y="{TOP}" width="{max(x2 - x1, 1)}" '
                    f'height="{LANE * sc.nodes}" class="partition"/>')
            label = f'<text x="{x1 + 3}" y="{TOP - 6}" class="spanlabel">{escape(s.label)}</text>'
            out.append(Step(s.start, order, band + rows + label,
                            f"{s.label} until {fmt_time(s.end)} (cut off: {cut})", "partition"))
        else:
            n = s.nodes[0]
            cls = "down" if s.kind == "down" else "paused"
            desc = (f"{node_name(n)} {'down after ' + s.label if s.kind == 'down' else 'paused'} "
                    f"from {fmt_time(s.start)} to {fmt_time(s.end)}")
            svg = (f'<rect x="{x1}" y="{sc.y(n) - 12}" width="{max(x2 - x1, 1)}" height="24" '
                   f'class="{cls}"/>')
            out.append(Step(s.start, order, svg, desc, cls))
        order += 1

    for fe in h.faults:
        kind = fe.fault.kind
        colour = FAULT_COLOURS.get(kind, "#b00020")
        x = sc.x(fe.time)
        nodes = fe.fault.nodes_named() or tuple(range(sc.nodes))
        marks = "".join(
            f'<path d="M{x - 6},{sc.y(n) - 6} l12,12 m0,-12 l-12,12" stroke="{colour}" '
            f'stroke-width="3" fill="none"/>'
            if kind in ("crash", "power-failure", "torn-write")
            else f'<rect x="{x - 5}" y="{sc.y(n) - 5}" width="10" height="10" fill="{colour}"/>'
            for n in nodes
        )
        label = (f'<text x="{x + 4}" y="{sc.y(nodes[0]) - 14}" class="faultlabel" '
                 f'fill="{colour}">{escape(kind)}</text>')
        note = "" if fe.applied else " (no-op)"
        out.append(Step(fe.time, order, marks + label,
                        f"{fmt_time(fe.time)} FAULT {fe.fault.describe()}{note}", "fault"))
        order += 1

    lost = lost_values(trace)
    lost_nodes = {loss.node for loss in h.losses if set(loss.values) & set(lost)}
    acks = ack_ops(h, lost)
    for t, n, file in syncs(h.events):
        if n < sc.nodes:
            x = sc.x(t)
            out.append(Step(t, order, f'<line x1="{x}" y1="{sc.y(n) + 6}" x2="{x}" '
                                      f'y2="{sc.y(n) + 16}" class="sync"/>',
                            f"{node_name(n)} fsync {file}", "sync"))
            order += 1

    msgs = messages(h.events)
    ack_window = [op.time for op in acks.values()]
    lo = min(ack_window, default=0) - 50_000
    hi = max(ack_window, default=0) + 5_000
    if len(msgs) > MAX_ARROWS:
        total = len(msgs)
        near = [m for m in msgs if lo <= m.sent <= hi] if acks else msgs
        msgs = near[:MAX_ARROWS]
        first = msgs[0].sent if msgs else 0
        note = (f'<text x="{sc.x(first)}" y="{sc.height - 8}" class="legend">only {len(msgs)} '
                f"of {total} messages drawn</text>")
        out.append(Step(first, -1, note, f"only {len(msgs)} of {total} messages are drawn "
                                         "(those around the lost writes' acks)", "note"))
    for m in msgs:
        if m.src < sc.nodes and m.dst < sc.nodes:
            related = m.src in lost_nodes and lo <= m.sent <= hi and bool(acks)
            out.append(_arrow(m, sc, related))

    labelled: dict[int, float] = {}  # lane -> x of its last ack label, to avoid overprinting
    for op in h.ops:
        if op.type != "ok" or op.node >= sc.nodes:
            continue
        x, y = sc.x(op.time), sc.y(op.node)
        is_lost = op.value in acks and acks[op.value] is op
        cls = "ack lostack" if is_lost else "ack"
        svg = f'<path d="M{x},{y - 7} l7,7 l-7,7 l-7,-7 z" class="{cls}"/>'
        if is_lost and x - labelled.get(op.node, -1e9) > 90:
            labelled[op.node] = x
            svg += (f'<text x="{x + 8}" y="{y + 22}" class="lostlabel">'
                    f"ack {escape(str(op.value))}</text>")
        desc = f"c{op.process} got ok for {op.value} (seq {op.seq}) from {node_name(op.node)}"
        desc += " - this write is later LOST" if is_lost else ""
        out.append(Step(op.time, op.index, svg, desc, "lostack" if is_lost else "ack"))

    for loss in h.losses:
        if loss.node >= sc.nodes:
            continue
        x, y = sc.x(loss.time), sc.y(loss.node)
        path = ""
        for v in loss.values:
            if v in acks:
                op = acks[v]
                path += (f'<path d="M{sc.x(op.time)},{sc.y(op.node)} C{sc.x(op.time) + 30},'
                         f'{sc.y(op.node)} {x - 30},{y} {x},{y}" class="lostpath"/>')
        svg = (path + f'<circle cx="{x}" cy="{y}" r="8" class="loss"/>'
               f'<text x="{x + 10}" y="{y + 24}" class="lostlabel">lost '
               f'{escape(" ".join(loss.values))}</text>')
        out.append(Step(loss.time, order, svg,
                        f"{node_name(loss.node)} lost {', '.join(loss.values)} from {loss.file} "
                        f"({loss.cause})", "loss"))
        order += 1
    return sorted(out, key=lambda s: (s.t, s.order))


STYLE = """
.lane{stroke:#888;stroke-width:1}
.lanelabel{font:bold 14px sans-serif;fill:#222}
.axis{font:11px sans-serif;fill:#555}
.tick{stroke:#ddd;stroke-width:1}
.msg{stroke:#4a6fa5;stroke-width:0.8;opacity:0.55}
.msg.dropped{stroke-dasharray:2,2}
.dropped-end{fill:#4a6fa5;opacity:0.6}
.lostmsg{stroke:#d04040;opacity:0.8}
.partition{fill:#6a3d9a;opacity:0.06}
.cut{fill:#6a3d9a;opacity:0.18}
.down{fill:#999;opacity:0.35}
.paused{fill:#e8c547;opacity:0.45}
.spanlabel{font:11px sans-serif;fill:#6a3d9a}
.faultlabel{font:bold 11px sans-serif}
.sync{stroke:#1b7f3b;stroke-width:2}
.ack{fill:#4a6fa5}
.lostack{fill:#d00000}
.lostpath{stroke:#d00000;stroke-width:2.5;fill:none;stroke-dasharray:6,3}
.loss{fill:none;stroke:#d00000;stroke-width:3}
.lostlabel{font:bold 12px sans-serif;fill:#d00000}
.title{font:bold 15px sans-serif}
.legend{font:11px sans-serif;fill:#333}
"""


def svg_document(trace: Trace) -> tuple[str, list[Step]]:
    """The SVG markup and the steps it contains, in time order (ids ``s0``, ``s1``, ...)."""
    n = node_count(trace)
    sc = _Scale(0, _end_time(trace), n)
    all_steps = steps(trace, sc)
    v = trace.violation
    title = f"{v.property}: {v.summary}" if v else "no property violated"
    title = title if len(title) <= 150 else title[:147] + "..."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{sc.height}" '
        f'viewBox="0 0 {WIDTH} {sc.height}" font-family="sans-serif">',
        f"<style>{STYLE}</style>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#4a6fa5"/></marker></defs>',
        f'<rect width="{WIDTH}" height="{sc.height}" fill="white"/>',
        f'<text x="{LEFT}" y="24" class="title">{escape(title)}</text>',
    ]
    ticks = 10
    for i in range(ticks + 1):
        t = sc.t0 + (sc.t1 - sc.t0) * i // ticks
        x = sc.x(t)
        parts.append(f'<line x1="{x}" y1="{TOP}" x2="{x}" y2="{TOP + LANE * n}" class="tick"/>')
        parts.append(f'<text x="{x}" y="{TOP + LANE * n + 16}" class="axis" '
                     f'text-anchor="middle">{fmt_time(t)}</text>')
    for i in range(n):
        y = sc.y(i)
        parts.append(f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" class="lane" '
                     f'data-lane="{node_name(i)}"/>')
        parts.append(f'<text x="12" y="{y + 5}" class="lanelabel">{node_name(i)}</text>')
    for i, s in enumerate(all_steps):
        parts.append(f'<g id="s{i}" class="step step-{s.cls}" data-step="{i}" data-t="{s.t}" '
                     f'data-desc={quoteattr(s.desc)}>{s.svg}</g>')
    legend = ("legend: arrow = message, grey = down, yellow = paused, purple = partition, "
              "green tick = fsync, diamond = ack, red = the lost write")
    parts.append(f'<text x="{LEFT}" y="{TOP + LANE * n + 40}" class="legend">{legend}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n", all_steps


def render_svg(trace: Trace) -> str:
    return svg_document(trace)[0]
