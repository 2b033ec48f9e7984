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


def canonical(value: Any) -> Any:
    """A JSON-safe, deterministic rendering of ``value``: tuples become lists, dict keys
    strings, bytes their length (``"<12 bytes>"``), attrs/dataclass objects dicts of their
    fields, sets sorted lists. Anything else becomes its type name plus ``repr`` unless
    that repr holds a memory address (which would make the digest nondeterministic)."""
    if isinstance(value, _ATOMS):
        return value
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
    if attrs.has(type(value)):
        return {f.name: canonical(getattr(value, f.name)) for f in attrs.fields(type(value))}
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


class Recorder:
    """Collects events, Lamport clocks and the running digest of one run."""

    def __init__(self, keep: bool = True) -> None:
        self.keep = keep
        self._rows: list[tuple[int, str, str, dict[str, Any], int]] = []
        self._hash = hashlib.sha256()
        self._clocks: dict[str, int] = {}
        self._encode = json.JSONEncoder(
            sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
        ).encode
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
        lamport = max(self._clocks.get(actor, 0), seen) + 1
        self._clocks[actor] = lamport
        self._hash.update(self._encode([time, actor, kind, lamport, data]).encode())
        self._hash.update(b"\n")
        self.count += 1
        if self.keep:
            self._rows.append((time, actor, kind, data, lamport))
        return lamport

    def digest(self) -> str:
        return self._hash.hexdigest()

    def events(self) -> tuple[Event, ...]:
        return tuple(
            Event(time=t, actor=a, kind=k, data=d, lamport=lc) for t, a, k, d, lc in self._rows
        )
