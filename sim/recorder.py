"""The recorder: every simulator event, canonically encoded, hashed as it happens.

Each event is encoded as one compact JSON line (sorted keys) and streamed into a
sha256, so the digest is identical whether or not the events are kept
(``record_events=False`` only skips keeping them). Lamport clocks are kept per actor so
that sends and deliveries (paired by ``msg_id``) can be drawn as causal arrows.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import attrs

from ackcheck.history import Event

_ATOMS = (str, int, bool, type(None))
_ATTRS_FIELDS: dict[type, tuple[str, ...] | None] = {}  # per class: attrs field names


def _attrs_fields(cls: type) -> tuple[str, ...] | None:
    names = _ATTRS_FIELDS.get(cls, ())
    if names == ():
        names = tuple(f.name for f in attrs.fields(cls)) if attrs.has(cls) else None
        _ATTRS_FIELDS[cls] = names
    return names


def canonical(value: Any) -> Any:
    """A JSON-safe, deterministic rendering of ``value``: tuples become lists, dict keys
    strings, bytes their length (``"<12 bytes>"``), attrs/dataclass objects dicts of their
    fields, sets sorted lists. Anything else becomes its type name plus ``repr`` unless
    that repr holds a memory address (which would make the digest nondeterministic)."""
    if isinstance(value, _ATOMS):
        return value
    names = _attrs_fields(type(value))
    if names is not None:
        return {name: canonical(getattr(value, name)) for name in names}
    if isinstance(value, float):
        finite = value == value and value not in (float("inf"), float("-inf"))
        return value if finite else repr(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return value.name
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (set, frozenset)):
        items = [canonical(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    text = repr(value)
    if " at 0x" in text:
        return f"<{type(value).__name__}>"
    return text


def message_summary(msg: Any) -> dict[str, Any]:
    """``{"type": <class name>, "msg": <canonical fields>}`` for a send/deliver event."""
    return {"type": type(msg).__name__, "msg": canonical(msg)}


def encode_event(time: int, actor: str, kind: str, lamport: int, data: Any) -> str:
    """The canonical encoding of one event, as hashed into the digest (plus ``"\n"``):
    compact JSON of ``[time, actor, kind, lamport, data]`` with sorted keys. Anyone
    holding the events can recompute the digest with this."""
    return _ENCODE([time, actor, kind, lamport, data])


_ENCODE = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
).encode
_FLUSH_EVERY = 1024


def canonical_json(value: Any) -> str:
    """Compact, key-sorted JSON of an already canonical value."""
    return _ENCODE(value)


class Recorder:
    """Collects events, Lamport clocks and the running digest of one run.

    Actor and kind names are plain ``[a-z0-9-]`` strings, so the line is assembled with
    an f-string around the JSON of ``data`` (byte-identical to :func:`encode_event`, and
    a third of its cost); lines are hashed in chunks. Hot callers may pass ``data``
    already encoded (:meth:`record_json`).
    """

    active = True  # False on a NullRecorder: callers skip building event data

    def __init__(self, keep: bool = True) -> None:
        self.keep = keep
        self._rows: list[tuple[int, str, str, Any, int]] = []
        self._hash = hashlib.sha256()
        self._clocks: dict[str, int] = {}
        self._buf: list[str] = []
        self._next_msg_id = 0
        self.count = 0

    def new_msg_id(self) -> int:
        self._next_msg_id += 1
        return self._next_msg_id

    def clock(self, actor: str) -> int:
        return self._clocks.get(actor, 0)

    def record(
        self, time: int, actor: str, kind: str, data: dict[str, Any], seen: int = 0
    ) -> int:
        """Record one event; ``seen`` is the sender's Lamport time for a delivery.
        ``data`` must already be canonical (JSON-safe). Returns the actor's new clock."""
        return self.record_json(time, actor, kind, _ENCODE(data), data, seen)

    def record_json(
        self, time: int, actor: str, kind: str, data_json: str, data: Any, seen: int = 0
    ) -> int:
        """:meth:`record` with ``data`` already encoded as canonical JSON."""
        clocks = self._clocks
        lamport = clocks.get(actor, 0) + 1
        if seen >= lamport:
            lamport = seen + 1
        clocks[actor] = lamport
        buf = self._buf
        buf.append(f'[{time},"{actor}","{kind}",{lamport},{data_json}]\n')
        if len(buf) >= _FLUSH_EVERY:
            self._flush()
        if self.keep:
            self._rows.append((time, actor, kind, data, lamport))
        return lamport

    def _flush(self) -> None:
        self.count += len(self._buf)
        self._hash.update("".join(self._buf).encode())
        self._buf = []

    def digest(self) -> str:
        self._flush()
        return self._hash.hexdigest()

    def events(self) -> tuple[Event, ...]:
        return tuple(
            Event(time=t, actor=a, kind=k, data=d, lamport=lc) for t, a, k, d, lc in self._rows
        )


class NullRecorder(Recorder):
    """Records nothing and computes no digest: the explorer's inner loop runs thousands
    of schedules whose only product is a verdict, and re-runs the one counterexample
    with a real :class:`Recorder`. Message ids still count, so a run is the same run."""

    active = False

    def __init__(self) -> None:
        super().__init__(keep=False)

    def record(
        self, time: int, actor: str, kind: str, data: dict[str, Any], seen: int = 0
    ) -> int:
        return 0

    def record_json(
        self, time: int, actor: str, kind: str, data_json: str, data: Any, seen: int = 0
    ) -> int:
        return 0

    def digest(self) -> str:
        return ""
