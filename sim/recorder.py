"""The recorder: every simulator event, canonically encoded, hashed as it happens.

Each event is encoded as one compact JSON line (sorted keys) and streamed into a
sha256, so the digest is identical whether or not the events are kept
(``record_events=False`` only skips keeping them). Lamport clocks are kept per actor so
that sends and deliveries (paired by ``msg_id``) can be drawn as causal arrows.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ackcheck.canonical import canonical_json
from ackcheck.history import Event

_FLUSH_EVERY = 1024


class Recorder:
    """Collects events, Lamport clocks and the running digest of one run.

    Actor and kind names are plain ``[a-z0-9-]`` strings, so the line is assembled with
    an f-string around the JSON of ``data`` (byte-identical to
    :func:`ackcheck.canonical.encode_event`, and a third of its cost); lines are hashed
    in chunks. Hot callers may pass ``data`` already encoded (:meth:`record_json`).
    """

    active = True  # False on a NullRecorder: callers skip building event data

    def __init__(self, keep: bool = True) -> None:
        self.keep = keep
        self._rows: list[tuple[int, str, str, Any, int]] = []
        self._hash = hashlib.sha256()
        self._clocks: dict[str, int] = {}
        self._buf: list[str] = []
        self._next_msg_id = 0

    def new_msg_id(self) -> int:
        self._next_msg_id += 1
        return self._next_msg_id

    def record(
        self, time: int, actor: str, kind: str, data: dict[str, Any], seen: int = 0
    ) -> int:
        """Record one event; ``seen`` is the sender's Lamport time for a delivery.
        ``data`` must already be canonical (JSON-safe). Returns the actor's new clock."""
        return self.record_json(time, actor, kind, canonical_json(data), data, seen)

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
