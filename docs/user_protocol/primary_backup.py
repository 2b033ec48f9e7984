"""A deliberately flawed primary/backup log, written the way a user would write one.

Node 0 is the primary. It appends a publish to its own file, fsyncs, acks the client,
and sends the entry to every backup once. Each backup appends what it receives in order.

The flaw: replication is fire-and-forget. A message lost to a partition or a crashed
backup is never resent, so that backup serves a stream with a hole forever, even though
every acked write is durable on the primary. ``docs/user-protocol.md`` shows the
counterexample ackcheck finds.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import attrs

from ackcheck.node import (
    Boot,
    ClientReply,
    ClientRequest,
    Fsync,
    Input,
    NodeState,
    Output,
    Publish,
    PublishOk,
    Read,
    ReadError,
    ReadOk,
    Receive,
    Refused,
    Send,
    Write,
)

LOG = "log/stream"


@attrs.frozen
class Replicate:
    seq: int
    value: str


class PrimaryBackup:
    """Implements :class:`ackcheck.node.Node`; build it with ``--node`` pointing here."""

    def __init__(self, node_id: int, nodes: int, config: Any, rng: random.Random) -> None:
        self.id = node_id
        self.nodes = nodes
        self.entries: list[str] = []

    def step(self, event: Input) -> Sequence[Output]:
        if isinstance(event, Boot):
            try:
                data = event.disk.read(LOG) if LOG in event.disk.list() else b""
            except ReadError:
                data = b""
            self.entries = [line for line in data.decode(errors="replace").split("\n") if line]
            return []
        if isinstance(event, Receive) and isinstance(event.msg, Replicate):
            if event.msg.seq != len(self.entries) + 1:
                return []  # out of order or a duplicate: ignore (no retransmission either)
            return self._append(event.msg.value)
        if isinstance(event, ClientRequest):
            return self._client(event)
        return []

    def _append(self, value: str) -> list[Output]:
        self.entries.append(value)
        return [Write(LOG, f"{value}\n".encode(), tags=(value,)), Fsync(LOG)]

    def _client(self, req: ClientRequest) -> list[Output]:
        op = req.op
        if isinstance(op, Read):
            start = max(op.from_seq, 1)
            chunk = self.entries[start - 1 : start - 1 + op.limit]
            result = ReadOk(
                tuple((start + i, v) for i, v in enumerate(chunk)), len(self.entries)
            )
            return [ClientReply(req.client, req.req_id, result)]
        assert isinstance(op, Publish)
        if self.id != 0:
            return [ClientReply(req.client, req.req_id, Refused("not primary", 0))]
        out = self._append(op.value)
        seq = len(self.entries)
        out.append(ClientReply(req.client, req.req_id, PublishOk(seq)))
        out += [Send(b, Replicate(seq, op.value)) for b in range(1, self.nodes)]
        return out

    def state(self) -> NodeState:
        log = tuple((i + 1, 1, v) for i, v in enumerate(self.entries))
        role = "leader" if self.id == 0 else "follower"
        return NodeState(term=1, role=role, commit_index=len(log), log=log)
