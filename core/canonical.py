"""One canonical JSON for the whole project: what the digest hashes and traces hold.

:func:`canonical` turns any value a node, a fault or a property may produce into
JSON-safe data by one set of rules, and :func:`canonical_json` encodes it compactly with
sorted keys. The simulator's recorder hashes events in this encoding (so anyone holding
the events can recompute a run's digest) and ``ackcheck.traces`` writes configs,
observations and verdicts with the same rules, so a value looks the same wherever it is
shown.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = [
    "canonical",
    "canonical_json",
    "encode_event",
]

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


#: Compact, key-sorted, ASCII JSON of an already canonical value (the bound method
#: itself, not a wrapper: the recorder calls it for every event).
canonical_json = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
).encode


def encode_event(time: int, actor: str, kind: str, lamport: int, data: Any) -> str:
    """The canonical encoding of one event, as hashed into the digest (plus ``"\n"``):
    compact JSON of ``[time, actor, kind, lamport, data]`` with sorted keys. Anyone
    holding the events can recompute the digest with this."""
    return canonical_json([time, actor, kind, lamport, data])
