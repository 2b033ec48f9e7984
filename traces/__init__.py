"""Counterexample traces: the file people attach to bug reports, rerun and learn from.

The only place in ackcheck that serialises. A :class:`Trace` holds a run's config,
schedule, history, recorded events, verdict and digest; :func:`save_trace` writes it
byte-stably, :func:`load_trace` reads and validates it against ``trace.schema.json``,
:func:`render` turns it into text, markdown, mermaid, svg, html, edn or shiviz;
:func:`timed_schedule` restates a run of a decision schedule as the timed faults it
caused (what the real-cluster harness replays).
"""

from __future__ import annotations

from ackcheck.traces.codec import schedule_from_dict, schedule_to_dict
from ackcheck.traces.render import FORMATS, render
from ackcheck.traces.store import load_trace, save_trace
from ackcheck.traces.story import schedule_lines
from ackcheck.traces.timed import timed_schedule
from ackcheck.traces.trace import (
    FORMAT_VERSION,
    Trace,
    TraceViolation,
    make_trace,
)

__all__ = [
    "FORMATS",
    "FORMAT_VERSION",
    "Trace",
    "TraceViolation",
    "load_trace",
    "make_trace",
    "render",
    "save_trace",
    "schedule_from_dict",
    "schedule_lines",
    "schedule_to_dict",
    "timed_schedule",
]
