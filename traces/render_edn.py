"""The client history as EDN, in the shape Jepsen's set-full checker reads.

Publishes become ``:add`` operations (invoke, then ok/fail/info); the final read of each
node becomes a ``:read`` invoke/ok pair whose value is the set of values it returned, on
a process of its own (``clients + node``). One operation map per line, as Jepsen's
``history.edn``. Times are nanoseconds. Mid-run reads are left out: set-full judges adds
against final reads only.
"""

from __future__ import annotations

import json

from ackcheck.traces.trace import Trace

NS_PER_US = 1_000


def edn_string(s: str) -> str:
    """EDN strings share JSON's escapes for everything we emit."""
    return json.dumps(s, ensure_ascii=True)


def _value(v: str | None) -> str:
    return "nil" if v is None else edn_string(v)


def _op(index: int, typ: str, f: str, process: int, time_us: int, value: str, node: int) -> str:
    return (
        f"{{:index {index}, :type :{typ}, :f :{f}, :process {process}, "
        f":time {time_us * NS_PER_US}, :value {value}, :node {edn_string(f'n{node}')}}}"
    )


def render_edn(trace: Trace) -> str:
    h = trace.history
    lines: list[str] = []
    ops = sorted((op for op in h.ops if op.f == "publish"), key=lambda op: (op.time, op.index))
    for op in ops:
        value = _value(op.value)
        lines.append(_op(len(lines), op.type, "add", op.process, op.time, value, op.node))
    clients = max([trace.schedule.workload.clients, *(op.process + 1 for op in h.ops)])
    t_read = max([h.heal_time, *(op.time for op in h.ops)])
    t_done = max(h.end_time, t_read)
    for r in sorted(h.final_reads, key=lambda r: r.node):
        p = clients + r.node
        lines.append(_op(len(lines), "invoke", "read", p, t_read, "nil", r.node))
        values = sorted({v for _, v in r.entries})
        body = "#{" + " ".join(edn_string(v) for v in values) + "}"
        typ = "ok" if r.complete else "info"
        lines.append(_op(len(lines), typ, "read", p, t_done, body if r.complete else "nil", r.node))
    return "\n".join(lines) + ("\n" if lines else "")
