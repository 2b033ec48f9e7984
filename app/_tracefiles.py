"""Counterexample traces: how they are built, named and saved, one rule for every path.

A trace's file name is its preset, its property and a hash of its whole content (config,
overrides, properties, schedule, events), so two traces that differ in anything get
different names and an earlier trace is never replaced by a different one (a name is
claimed with ``O_EXCL``, so not even by a concurrent search); saving the same trace again
finds the identical file and leaves it be.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ackcheck.app._runner import RunOutcome
from ackcheck.errors import AckcheckError
from ackcheck.schedule import Schedule
from ackcheck.traces import Trace, make_trace
from ackcheck.traces.store import dumps, write_bytes


def trace_file_name(trace: Trace, data: bytes | None = None) -> str:
    """``<preset>-<property>-<12 hex of the content hash>.json``; ``data`` is the trace's
    canonical bytes when the caller already has them."""
    prop = trace.violation.property if trace.violation is not None else "holds"
    content = hashlib.sha256(dumps(trace) if data is None else data).hexdigest()[:12]
    return f"{trace.preset or 'custom'}-{prop}-{content}.json"


def save_counterexample(trace: Trace, directory: str | Path) -> Path:
    """Save ``trace`` in ``directory`` under :func:`trace_file_name` and return the path;
    never overwrites a different file (a numbered suffix is added instead)."""
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or exc
        raise AckcheckError(f"cannot create trace directory {folder}: {reason}") from None
    data = dumps(trace)
    name = trace_file_name(trace, data)
    stem = name.removesuffix(".json")
    for n in range(1000):
        path = folder / (name if n == 0 else f"{stem}.{n}.json")
        try:
            return write_bytes(data, path, exclusive=True)  # claims the name, or fails
        except FileExistsError:
            pass
        try:
            if path.read_bytes() == data:
                return path  # already saved, byte for byte
        except OSError:
            pass  # unreadable: not ours to replace, try the next name
    raise AckcheckError(f"no free trace file name for {name} in {folder}")


def counterexample_trace(
    preset: str | None,
    overrides: Sequence[str],
    config: Any,
    node: str,
    properties: Sequence[str] | None,
    schedule: Schedule,
    outcome: RunOutcome,
) -> Trace:
    """The trace of one recorded run whose first violation is the one to show."""
    return make_trace(
        preset=preset,
        overrides=list(overrides),
        config=config,
        node=node,
        schedule=schedule,
        properties=None if properties is None else list(properties),
        violation=outcome.violations[0],
        history=outcome.history,
        digest=outcome.digest,
    )
