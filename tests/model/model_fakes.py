"""A hand-driven, sans-I/O test bench for the Raft model (no simulator involved).

:class:`DictDisk` keeps a page-cache image and a durable image of each file, carrying out
the node's disk outputs the way the node interface defines them. :class:`Bench` holds a
cluster of nodes, queues their sends for the test to deliver one by one, and remembers
the timers they set so the test can fire them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import attrs

from ackcheck.history import Observation
from ackcheck.model import RaftConfig, RaftNode, make_node
from ackcheck.node import (
    Boot,
    CancelTimer,
    ClientReply,
    ClientRequest,
    Delete,
    Fsync,
    Observe,
    Output,
    Publish,
    Read,
    ReadError,
    Receive,
    Rename,
    Send,
    SetTimer,
    Timeout,
    Truncate,
    Write,
)


class DictDisk:
    """Files as ``name -> bytearray`` (what a process sees) and their durable images."""

    def __init__(self) -> None:
        self.cache: dict[str, bytearray] = {}
        self.durable: dict[str, bytes] = {}
        self.bad: dict[str, bool] = {}  # name -> reads raise ReadError

    # DiskView
    def list(self) -> list[str]:
        return sorted(self.cache)

    def read(self, name: str) -> bytes:
        if name not in self.cache:
            raise FileNotFoundError(name)
        if self.bad.get(name):
            raise ReadError(f"EIO reading {name}")
        return bytes(self.cache[name])

    def apply(self, out: Output) -> None:
        t = type(out)
        if t is Write:
            f = self.cache.setdefault(out.file, bytearray())
            self.durable.setdefault(out.file, b"")  # creation is durable at once
            off = len(f) if out.offset is None else out.offset
            if off > len(f):
                f.extend(b"\0" * (off - len(f)))
            f[off : off + len(out.data)] = out.data
        elif t is Truncate:
            f = self.cache.setdefault(out.file, bytearray())
            del f[out.size :]
            self.durable[out.file] = self.durable.get(out.file, b"")[: out.size]
        elif t is Fsync:
            self.durable[out.file] = bytes(self.cache.setdefault(out.file, bytearray()))
        elif t is Delete:
            self.cache.pop(out.file, None)
            self.durable.pop(out.file, None)
        elif t is Rename:
            self.cache[out.dst] = self.cache.pop(out.src)
            self.durable[out.dst] = self.durable.pop(out.src, b"")

    def power_fail(self) -> None:
        """Only fsynced bytes survive (names survive: creation is durable)."""
        self.cache = {n: bytearray(b) for n, b in self.durable.items()}

    def flip(self, name: str, offset: int, bit: int = 0) -> None:
        self.cache[name][offset] ^= 1 << bit
        self.durable[name] = bytes(self.cache[name])


class Bench:
    """A cluster whose messages and timers the test delivers by hand."""

    def __init__(self, config: RaftConfig, n: int = 3, seed: int = 0) -> None:
        self.config = config
        self.n = n
        self.seed = seed
        self.disks = [DictDisk() for _ in range(n)]
        self.nodes: list[RaftNode | None] = [None] * n
        self.queue: list[tuple[int, int, Any]] = []  # (src, dst, msg)
        self.timers: list[dict[str, int]] = [{} for _ in range(n)]
        self.replies: list[tuple[int, ClientReply]] = []
        self.observed: list[tuple[int, Observe]] = []
        self.outputs: list[list[Output]] = [[] for _ in range(n)]  # last step's outputs
        self.lives = [0] * n
        self.down: set[int] = set()

    def boot(self, i: int) -> list[Output]:
        self.lives[i] += 1
        rng = random.Random(self.seed * 1000 + i * 10 + self.lives[i])
        self.nodes[i] = make_node(i, self.n, self.config, rng)
        self.timers[i] = {}
        self.down.discard(i)
        return self.step(i, Boot(self.disks[i]))

    def boot_all(self) -> None:
        for i in range(self.n):
            self.boot(i)

    def crash(self, i: int, power: bool = False) -> None:
        self.nodes[i] = None
        self.down.add(i)
        self.queue = [m for m in self.queue if m[1] != i]
        if power:
            self.disks[i].power_fail()

    def step(self, i: int, event: Any) -> list[Output]:
        node = self.nodes[i]
        assert node is not None
        out = list(node.step(event))
        self.outputs[i] = out
        for o in out:
            t = type(o)
            if t is Send:
                self.queue.append((i, o.to, o.msg))
            elif t is SetTimer:
                self.timers[i][o.name] = o.delay
            elif t is CancelTimer:
                self.timers[i].pop(o.name, None)
            elif t is ClientReply:
                self.replies.append((i, o))
            elif t is Observe:
                self.observed.append((i, o))
            else:
                self.disks[i].apply(o)
        return out

    def fire(self, i: int, name: str) -> list[Output]:
        assert name in self.timers[i], f"n{i} has no {name} timer"
        del self.timers[i][name]
        return self.step(i, Timeout(name))

    def deliver_one(self, keep: Any = None) -> bool:
        """Deliver the oldest queued message (dropped if its destination is down)."""
        if not self.queue:
            return False
        src, dst, msg = self.queue.pop(0)
        if dst in self.down or self.nodes[dst] is None:
            return True
        if keep is not None and not keep(src, dst, msg):
            return True
        self.step(dst, Receive(src, msg))
        return True

    def deliver_all(self, keep: Any = None, limit: int = 10_000) -> None:
        for _ in range(limit):
            if not self.deliver_one(keep):
                return
        raise AssertionError("message storm: queue never drained")

    def elect(self, i: int) -> None:
        self.fire(i, "election")
        self.deliver_all()
        assert self.node(i).role == "leader", f"n{i} did not win"

    def node(self, i: int) -> RaftNode:
        node = self.nodes[i]
        assert node is not None
        return node

    def publish(self, i: int, value: str, req_id: int = 1, client: int = 0) -> list[Output]:
        return self.step(i, ClientRequest(client, req_id, Publish(value)))

    def read(self, i: int) -> tuple[tuple[int, str], ...]:
        out = self.step(i, ClientRequest(9, 999, Read(1, 10_000)))
        reply = out[-1]
        assert isinstance(reply, ClientReply)
        return reply.result.entries  # type: ignore[union-attr]

    def heartbeat(self, leader: int) -> None:
        """A heartbeat goes out and is answered: two ticks, since a leader that sent
        entries since the last tick skips one (``RaftNode._on_heartbeat``)."""
        self.fire(leader, "heartbeat")
        self.fire(leader, "heartbeat")
        self.deliver_all()

    def acked(self) -> dict[int, int]:
        """req_id -> seq of every PublishOk reply so far."""
        return {
            r.req_id: r.result.seq  # type: ignore[union-attr]
            for _i, r in self.replies
            if type(r.result).__name__ == "PublishOk"
        }

    def kinds(self, kind: str) -> list[tuple[int, dict[str, Any]]]:
        """(node, data) of each observation of ``kind``; ``"apply"`` includes the
        commits that carry the apply (``Observation.applies``)."""
        return [
            (i, dict(o.data)) for i, o in self.observed
            if o.kind == kind or (kind == "apply" and Observation(0, i, o.kind, o.data).applies)
        ]


def cluster_with_values(
    cfg: RaftConfig, values: Sequence[str] = ("a", "b", "c"), n: int = 3,
    snapshot_interval: int = 0,
) -> Bench:
    """A cluster whose node 0 leads and has committed ``values`` on every node (the
    followers told of the commit by a heartbeat); no snapshots unless asked."""
    b = Bench(attrs.evolve(cfg, snapshot_interval=snapshot_interval), n=n)
    b.boot_all()
    b.elect(0)
    for k, v in enumerate(values):
        b.publish(0, v, req_id=k)
        b.deliver_all()
    b.heartbeat(0)
    return b


def positions(out: Sequence[Output], pred: Any) -> list[int]:
    return [k for k, o in enumerate(out) if pred(o)]
