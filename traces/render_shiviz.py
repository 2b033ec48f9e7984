"""The recorded events as a ShiViz log, with vector clocks.

ShiViz's file format: the parsing regex on the first line, the multiple-executions
delimiter on the second (empty: one execution), then for every event a description line
and a ``host {json vector clock}`` line. Clocks are derived here: each actor ticks its
own entry per event, and a delivery also merges the clock its send carried (sends and
deliveries are paired by ``msg_id``).
"""

from __future__ import annotations

import json
from typing import Any

from ackcheck.schedule import fmt_time
from ackcheck.traces.story import DELIVER_KINDS, SEND_KINDS
from ackcheck.traces.trace import Trace

REGEX = r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})"


def _describe(kind: str, data: Any) -> str:
    if not data:
        return kind
    fields = " ".join(f"{k}={json.dumps(v, sort_keys=True)}" for k, v in sorted(data.items()))
    text = f"{kind} {fields}".replace("\n", " ")
    return text if len(text) <= 300 else text[:297] + "..."


def vector_clocks(trace: Trace) -> list[tuple[str, str, dict[str, int]]]:
    """(host, description, clock) per event, clocks as ShiViz wants them."""
    clocks: dict[str, dict[str, int]] = {}
    at_send: dict[Any, dict[str, int]] = {}
    out = []
    for e in trace.history.events:
        host = e.actor or "sim"
        vc = dict(clocks.get(host, {}))
        msg_id = e.data.get("msg_id")
        hashable = msg_id is not None and not isinstance(msg_id, list | tuple | dict)
        if e.kind in DELIVER_KINDS and hashable and msg_id in at_send:
            for h, c in at_send[msg_id].items():
                if c > vc.get(h, 0):
                    vc[h] = c
        vc[host] = vc.get(host, 0) + 1
        clocks[host] = vc
        if e.kind in SEND_KINDS and hashable:
            at_send.setdefault(msg_id, vc)
        out.append((host, f"{fmt_time(e.time)} {_describe(e.kind, e.data)}", vc))
    return out


def render_shiviz(trace: Trace) -> str:
    lines = [REGEX, ""]
    for host, desc, vc in vector_clocks(trace):
        lines.append(desc)
        lines.append(f"{host} {json.dumps(vc, sort_keys=True, separators=(',', ':'))}")
    return "\n".join(lines) + "\n"
