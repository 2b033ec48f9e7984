"""Which write a file fault of the model damaged, so the real replay damages the same one.

A file fault (``BitFlip``, ``LatentSectorError``, ...) on ``log[i]@off`` names a byte
of the *model's* log format; NATS lays its blocks out differently, so that byte means
nothing on a real server. What it does mean is a record: the one the model had at that
offset when the fault struck. This module reads the model history's disk events
(``write`` with the values it carried as ``tags``, ``truncate``, ``delete``) to find
that record's value; the driver then finds the record holding the same value in the
real ``.blk`` files (``harness.blk``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ackcheck.history import History
from ackcheck.model.storage import LOG_DIR, RECORD_OVERHEAD
from ackcheck.schedule import Schedule

# (offset, length, values) of one write into a model file
_Write = tuple[int, int, tuple[str, ...]]


def _log_files_at(model: History, actor: str, until: int) -> dict[str, list[_Write]]:
    """The model node's log files just before ``until``: the writes still inside each."""
    files: dict[str, list[_Write]] = {}
    for ev in model.events:
        if ev.time >= until:  # the fault itself (and recovery from it) happen at `until`
            break
        if ev.actor != actor:
            continue
        if ev.kind == "warm-start":  # files a warm start began with (ackcheck.sim.warmup)
            for warm_name, ranges in (ev.data.get("tags") or {}).items():
                if str(warm_name).startswith(LOG_DIR):
                    files[str(warm_name)] = [
                        (int(a), int(b) - int(a), (str(tag),)) for a, b, tag in ranges
                    ]
            continue
        name = str(ev.data.get("file", ""))
        if not name.startswith(LOG_DIR):
            continue
        if ev.kind == "write":
            tags = tuple(str(t) for t in ev.data.get("tags") or ())
            files.setdefault(name, []).append(
                (int(ev.data.get("offset", 0)), int(ev.data.get("len", 0)), tags)
            )
        elif ev.kind == "truncate":
            size = int(ev.data.get("size", 0))
            files[name] = [w for w in files.get(name, []) if w[0] < size]
        elif ev.kind == "delete":
            files.pop(name, None)
    return files


def _value_in_write(write: _Write, pos: int) -> str | None:
    """The value of the record at ``pos`` inside one write (several records per write
    are laid out back to back, each ``RECORD_OVERHEAD + len(value)`` bytes)."""
    offset, length, tags = write
    if not tags:
        return None  # a leader no-op: no client write to follow to the real store
    if sum(RECORD_OVERHEAD + len(t.encode()) for t in tags) != length:
        return tags[0]  # not only value records: the write's first value is our best guess
    at = offset
    for tag in tags:
        at += RECORD_OVERHEAD + len(tag.encode())
        if pos < at:
            return tag
    return tags[-1]


def model_record_value(
    model: History, node: int, at: int, file_index: int, offset: int
) -> str | None:
    """The value held by the record the model damaged with ``log[file_index]@offset``
    on ``node`` at time ``at`` (the same file choice and ``offset % size`` as the
    simulator); None when that record held no client value or nothing was written."""
    files = _log_files_at(model, f"n{node}", at)
    names = sorted(n for n, ws in files.items() if ws)
    if not names:
        return None
    writes = files[names[file_index % len(names)]]
    size = max(off + length for off, length, _ in writes)
    if size <= 0:
        return None
    pos = offset % size
    for write in reversed(writes):  # the latest write covering the byte holds it now
        if write[0] <= pos < write[0] + write[1]:
            return _value_in_write(write, pos)
    return None


def fault_values(schedule: Schedule, model: History | None) -> Mapping[int, str]:
    """For each fault on a ``log`` file (by position in time order) the value the
    model's damaged record held; faults without one are left out. Any fault that names
    a file does so by ``target``, ``file_index`` and ``offset`` (``ackcheck.schedule``),
    so no fault kind is named here: the driver's handler decides what to do with it."""
    if model is None or not model.events:
        return {}
    out: dict[int, str] = {}
    for position, tf in enumerate(schedule.sorted_faults()):
        fault: Any = tf.fault
        if getattr(fault, "target", None) == "log":
            value = model_record_value(model, fault.node, tf.at, fault.file_index, fault.offset)
            if value is not None:
                out[position] = value
    return out
