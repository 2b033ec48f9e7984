"""A minimal node for ackcheck's simulator: a single-copy log that fsyncs before it acks.

Not replication: every node keeps its own stream of the publishes it receives. It shows
the whole interface in one page: recovery from ``Boot``, persist-before-ack as output
order, tags on writes, answering reads, observations, and failing stop on an unreadable
disk. Run it::

    from ackcheck.schedule import PowerFailure, Schedule, TimedFault
    from ackcheck.sim import simulate
    from docs.examples.fsync_log import make_node   # or load it by path

    result = simulate(Schedule(nodes=1, faults=(TimedFault(500_000, PowerFailure((0,))),)),
                      make_node, None)
    assert set(result.history.acked()) <= {v for _, v in result.history.final_reads[0].entries}
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from ackcheck.node import (
    Boot,
    ClientReply,
    ClientRequest,
    Fsync,
    NodeState,
    Observe,
    Output,
    Publish,
    PublishOk,
    Read,
    ReadError,
    ReadOk,
    Refused,
    Truncate,
    Write,
)

LOG = "log/0001"  # the "log/" prefix lets log-targeted disk faults find this file


class FsyncLog:
    """Entries are lines ``value\\n``; a publish is acked only after its fsync."""

    def __init__(self, node_id: int, nodes: int, config: Any, rng: random.Random) -> None:
        self.node_id = node_id
        self.entries: list[str] = []
        self.halted = False

    def step(self, event: Any) -> Sequence[Output]:
        if isinstance(event, Boot):
            return self._recover(event)
        if isinstance(event, ClientRequest):
            if self.halted:  # fail-stop: stay up, refuse everything
                return [ClientReply(event.client, event.req_id, Refused("halted"))]
            if isinstance(event.op, Publish):
                value = event.op.value
                self.entries.append(value)
                return [
                    Write(LOG, value.encode() + b"\n", tags=(value,)),  # page cache only
                    Fsync(LOG),  # durable from here on
                    ClientReply(event.client, event.req_id, PublishOk(len(self.entries))),
                ]
            if isinstance(event.op, Read):
                first = max(1, event.op.from_seq)
                last = min(len(self.entries), first + event.op.limit - 1)
                chunk = tuple((s, self.entries[s - 1]) for s in range(first, last + 1))
                return [ClientReply(event.client, event.req_id, ReadOk(chunk, len(self.entries)))]
        return []

    def _recover(self, boot: Boot) -> list[Output]:
        if LOG not in boot.disk.list():
            return []
        try:
            raw = boot.disk.read(LOG)
        except ReadError as exc:
            self.halted = True
            return [Observe("halt", {"reason": f"log unreadable: {exc}"})]
        whole = raw[: raw.rfind(b"\n") + 1]  # a torn tail has no newline yet
        self.entries = [line.decode("utf-8", "replace") for line in whole.splitlines()]
        if len(whole) == len(raw):
            return []
        return [
            Truncate(LOG, len(whole)),
            Fsync(LOG),
            Observe("recover", {"action": "truncate", "detail": f"{len(raw) - len(whole)} bytes"}),
        ]

    def state(self) -> NodeState:
        log = tuple((i + 1, 0, v) for i, v in enumerate(self.entries))
        return NodeState(term=0, role="single", commit_index=len(log), log=log,
                         halted=self.halted)


def make_node(node_id: int, nodes: int, config: Any, rng: random.Random) -> FsyncLog:
    """The :class:`ackcheck.node.NodeFactory` for this example."""
    return FsyncLog(node_id, nodes, config, rng)
