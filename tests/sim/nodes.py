"""Small nodes for testing the simulator (not replication logic: each is independent).

* :class:`HeartbeatNode` pings every other node on a timer and keeps what it received.
* :class:`LogNode` appends each client publish to ``log/data`` (one line per value), with
  or without an fsync before the ack, and after a restart answers reads from its disk.
* :class:`ScriptNode` returns whatever outputs a test scripted for each input.

Every built node is kept in a :class:`Registry` so that tests can look inside.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from ackcheck.node import (
    Boot,
    ClientReply,
    ClientRequest,
    DiskView,
    Fsync,
    NodeState,
    Observe,
    Output,
    Publish,
    PublishOk,
    Read,
    ReadError,
    ReadOk,
    Receive,
    Refused,
    Send,
    SetTimer,
    Timeout,
    Truncate,
    Write,
)


@attrs.frozen
class Ping:
    beat: int
    payload: bytes = b""


class Registry:
    """Keeps every node a factory built, per node id, in build order."""

    def __init__(self) -> None:
        self.built: dict[int, list[Any]] = {}

    def add(self, node_id: int, node: Any) -> Any:
        self.built.setdefault(node_id, []).append(node)
        return node

    def last(self, node_id: int) -> Any:
        return self.built[node_id][-1]


@attrs.frozen
class HeartbeatConfig:
    period: int = 10_000
    registry: Registry | None = None


class HeartbeatNode:
    def __init__(self, node_id: int, nodes: int, config: HeartbeatConfig,
                 rng: random.Random) -> None:
        self.id = node_id
        self.nodes = nodes
        self.config = config
        self.rng = rng
        self.beat = 0
        self.received: list[tuple[int, int]] = []  # (src, beat)
        self.timeouts: list[str] = []
        self.booted_with: list[str] = []

    def step(self, event: Any) -> Sequence[Output]:
        if isinstance(event, Boot):
            self.booted_with = event.disk.list()
            return [SetTimer("beat", self.config.period + self.rng.randint(0, 100))]
        if isinstance(event, Timeout):
            self.timeouts.append(event.name)
            self.beat += 1
            outs: list[Output] = [
                Send(peer, Ping(self.beat)) for peer in range(self.nodes) if peer != self.id
            ]
            outs.append(SetTimer("beat", self.config.period))
            return outs
        if isinstance(event, Receive):
            self.received.append((event.src, event.msg.beat))
            return []
        if isinstance(event, ClientRequest):
            return [ClientReply(event.client, event.req_id, Refused("heartbeat only"))]
        return []

    def state(self) -> NodeState:
        return NodeState(term=0, role="beat", commit_index=self.beat, log=())


def heartbeat_factory(node_id: int, nodes: int, config: HeartbeatConfig,
                      rng: random.Random) -> HeartbeatNode:
    node = HeartbeatNode(node_id, nodes, config, rng)
    if config.registry is not None:
        config.registry.add(node_id, node)
    return node


@attrs.frozen
class LogConfig:
    fsync: bool = True  # fsync before acking
    file: str = "log/data"
    registry: Registry | None = None


class LogNode:
    """A one-node "stream": entries are lines ``value\\n`` of one file."""

    def __init__(self, node_id: int, nodes: int, config: LogConfig, rng: random.Random) -> None:
        self.id = node_id
        self.config = config
        self.entries: list[str] = []
        self.recovered: bytes = b""
        self.read_error = ""
        self.halted = False

    def _recover(self, disk: DiskView) -> list[Output]:
        name = self.config.file
        if name not in disk.list():
            return []
        try:
            raw = disk.read(name)
        except ReadError as exc:
            self.read_error = str(exc)
            self.halted = True
            return [Observe("recover", {"action": "fail-stop", "detail": str(exc)}),
                    Observe("halt", {"reason": "unreadable log"})]
        self.recovered = raw
        good = raw[: raw.rfind(b"\n") + 1]
        self.entries = [line.decode(errors="replace") for line in good.split(b"\n")[:-1]]
        if len(good) != len(raw):
            return [Truncate(name, len(good)), Fsync(name),
                    Observe("recover", {"action": "truncate", "detail": len(raw) - len(good)})]
        return []

    def step(self, event: Any) -> Sequence[Output]:
        if isinstance(event, Boot):
            return self._recover(event.disk)
        if isinstance(event, ClientRequest):
            op = event.op
            if self.halted:
                return [ClientReply(event.client, event.req_id, Refused("halted"))]
            if isinstance(op, Publish):
                self.entries.append(op.value)
                seq = len(self.entries)
                outs: list[Output] = [
                    Write(self.config.file, op.value.encode() + b"\n", tags=(op.value,))
                ]
                if self.config.fsync:
                    outs.append(Fsync(self.config.file))
                outs.append(ClientReply(event.client, event.req_id, PublishOk(seq)))
                outs.append(Observe("commit", {"index": seq, "term": 0, "value": op.value}))
                return outs
            if isinstance(op, Read):
                first = max(op.from_seq, 1)
                chunk = tuple(
                    (seq, self.entries[seq - 1])
                    for seq in range(first, min(len(self.entries), first + op.limit - 1) + 1)
                )
                return [ClientReply(event.client, event.req_id, ReadOk(chunk, len(self.entries)))]
        return []

    def state(self) -> NodeState:
        log = tuple((i + 1, 0, v) for i, v in enumerate(self.entries))
        return NodeState(term=0, role="leader", commit_index=len(self.entries), log=log,
                         halted=self.halted)


def log_factory(node_id: int, nodes: int, config: LogConfig, rng: random.Random) -> LogNode:
    node = LogNode(node_id, nodes, config, rng)
    if config.registry is not None:
        config.registry.add(node_id, node)
    return node


class ScriptNode:
    """Outputs come from ``script(node, event)``; every input is kept in ``inputs``."""

    def __init__(self, node_id: int, script: Callable[[Any, Any], Sequence[Output]]) -> None:
        self.id = node_id
        self.script = script
        self.inputs: list[Any] = []

    def step(self, event: Any) -> Sequence[Output]:
        self.inputs.append(event)
        return self.script(self, event)

    def state(self) -> NodeState:
        return NodeState(term=0, role="script", commit_index=0, log=())


def script_factory(script: Callable[[Any, Any], Sequence[Output]],
                   registry: Registry) -> Callable[..., ScriptNode]:
    def factory(node_id: int, nodes: int, config: Any, rng: random.Random) -> ScriptNode:
        return registry.add(node_id, ScriptNode(node_id, script))

    return factory
