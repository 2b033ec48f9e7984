"""Prints how long saving, loading (with schema validation) and rendering take for a trace
of ~10k events. A figure to read, not a test: ``python tests/traces/bench_trace_io.py``."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from trace_samples import sample_trace

from ackcheck.traces import FORMATS, load_trace, render, save_trace
from ackcheck.traces.store import _check_events, _validator, dumps


def main() -> None:
    trace = sample_trace(heartbeats=2_500)  # 4 events per heartbeat
    events = len(trace.history.events)
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("t.json", "t.json.gz"):
            t0 = time.perf_counter()
            path = save_trace(trace, Path(tmp) / name)
            t1 = time.perf_counter()
            load_trace(path)
            t2 = time.perf_counter()
            print(f"{name:10} {events} events, {path.stat().st_size} bytes: "
                  f"save {1000 * (t1 - t0):.0f} ms, load+validate {1000 * (t2 - t1):.0f} ms")
    import json

    doc = json.loads(dumps(trace))
    for events in (True, False):
        t0 = time.perf_counter()
        for _ in _validator(True, events=events).iter_errors(doc):
            pass
        if not events:
            _check_events(doc["events"])
        how = "jsonschema on every event" if events else "events checked by hand (as load does)"
        print(f"validation, {how}: {1000 * (time.perf_counter() - t0):.0f} ms")
    for fmt in FORMATS:
        t0 = time.perf_counter()
        out = render(trace, fmt)
        print(f"render {fmt:8} {1000 * (time.perf_counter() - t0):6.0f} ms, {len(out)} chars")


if __name__ == "__main__":
    main()
