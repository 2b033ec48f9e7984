"""The sans-I/O node interface: what a driver feeds a node and what the node asks for.

A node is a pure state machine, as in etcd-io/raft: it never reads a clock, opens a
file or a socket, or draws unseeded randomness. A driver (the simulator, or a test)
calls :meth:`Node.step` with one :data:`Input` and carries out the returned
:data:`Output` list **in order**. Order is the durability contract: a node that wants
"fsync before ack" returns ``[Write, Fsync, ClientReply]``; one that acks first returns
``[Write, ClientReply]`` and fsyncs later from a timer. Drivers execute each output
completely before the next, so a fault can only fall *between* two steps.

Files: a node names its files ``log/...`` (log blocks), ``snap/...`` (snapshots) and
``vote/...`` (term and vote); other prefixes are allowed but no file fault targets them.
Creating, renaming and removing a file is durable at once; written bytes become durable
only when an :class:`Fsync` of that file is carried out.

Writes may carry ``tags``: the ids of client values whose bytes the write contains. The
simulator tracks tags through page cache, fsync, truncation and faults, which is how a
violation can say *where* an acked write was durable and which event removed it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import attrs

__all__ = [
    "Boot",
    "CancelTimer",
    "ClientReply",
    "ClientRequest",
    "Delete",
    "DiskView",
    "Fsync",
    "Input",
    "Node",
    "NodeFactory",
    "NodeState",
    "Observe",
    "Output",
    "Publish",
    "PublishOk",
    "Read",
    "ReadError",
    "ReadOk",
    "Receive",
    "Refused",
    "Rename",
    "Send",
    "SetTimer",
    "Timeout",
    "Truncate",
    "Write",
]

# Inputs and outputs are built by the thousand per simulated second (a search's hottest
# allocations), so they are plain slotted classes (``attrs.define``): their ``__init__``
# costs 40% of a frozen class's, which sets each field through ``object.__setattr__``.
# Treat them as values all the same: a driver never changes one it was handed or given,
# and a node must not either. They compare by value and, being mutable, are not hashable.

# ---------------------------------------------------------------------------- inputs


class ReadError(OSError):
    """A read hit a latent sector error (EIO)."""


class DiskView(Protocol):
    """Read-only view of a node's files as a restarted process would see them."""

    def list(self) -> list[str]:
        """Names of every existing file, sorted."""
        ...

    def read(self, name: str) -> bytes:
        """The whole file; raises :class:`ReadError` where a sector cannot be read and
        ``FileNotFoundError`` for a missing file."""
        ...


@attrs.define
class Boot:
    """The process starts (first start or restart) and recovers from ``disk`` only."""

    disk: DiskView = attrs.field(eq=False, repr=False)


@attrs.define
class Receive:
    """A message from another node arrived."""

    src: int
    msg: Any


@attrs.define
class Timeout:
    """A timer set with :class:`SetTimer` fired."""

    name: str


@attrs.define
class Publish:
    """Client operation: append ``value`` to the stream; reply with its sequence."""

    value: str


@attrs.define
class Read:
    """Client operation: return the stream's entries with sequence >= ``from_seq``.

    A node answers from what it has locally (as a NATS fetch through that server does);
    ``limit`` bounds one reply, and the client asks again from the next sequence.
    """

    from_seq: int = 1
    limit: int = 256


@attrs.define
class ClientRequest:
    client: int
    req_id: int
    op: Publish | Read


Input = Boot | Receive | Timeout | ClientRequest

# --------------------------------------------------------------------------- outputs


@attrs.define
class Send:
    to: int
    msg: Any


@attrs.define
class SetTimer:
    """Fire :class:`Timeout` ``name`` after ``delay`` microseconds (replaces one pending
    with the same name)."""

    name: str
    delay: int


@attrs.define
class CancelTimer:
    name: str


@attrs.define
class Write:
    """Write ``data`` at ``offset`` (``None`` appends). Lands in the page cache."""

    file: str
    data: bytes
    offset: int | None = None
    tags: tuple[str, ...] = ()


@attrs.define
class Truncate:
    file: str
    size: int


@attrs.define
class Fsync:
    """Make the file's written bytes durable (creating it if needed)."""

    file: str


@attrs.define
class Delete:
    file: str


@attrs.define
class Rename:
    """Atomic and durable at once, replacing ``dst``."""

    src: str
    dst: str


@attrs.define
class PublishOk:
    seq: int


@attrs.define
class ReadOk:
    entries: tuple[tuple[int, str], ...]  # (sequence, value), ascending
    last_seq: int  # the highest sequence this node knows of (for draining)


@attrs.define
class Refused:
    """Not handled here (not the leader, not ready); ``leader`` is a hint or None."""

    reason: str
    leader: int | None = None


@attrs.define
class ClientReply:
    client: int
    req_id: int
    result: PublishOk | ReadOk | Refused


@attrs.define
class Observe:
    """A fact for the history, read by properties. Kinds the built-in properties use:

    * ``"leader"``: ``{"term": t, "log": ((term, first, last), ...), "snapshot": s}``
      when the node becomes leader; ``log`` is its log as runs of equal terms.
    * ``"commit"``: ``{"index": i, "term": t, "value": v, "in_term": c}`` when the node
      learns an entry is committed (each index once per node life); ``in_term``
      (optional) is the node's current term, which leader-completeness needs to tell a
      stale leader from an incomplete one. A node that applies the entry to the stream
      at once adds its ``"seq"``: that one observation is also the apply.
    * ``"apply"``: ``{"index": i, "term": t, "value": v, "seq": s}`` when applied to the
      stream later than committed (:attr:`ackcheck.history.Observation.applies`).
    * ``"recover"``: ``{"action": ..., "detail": ...}`` what recovery did with a damaged
      file (truncate, delete, fail-stop, repair) and which sequences it dropped.
    * ``"halt"``: ``{"reason": ...}`` the node stopped itself (fail-stop).
    """

    kind: str
    data: Mapping[str, Any] = attrs.field(factory=dict)


Output = (
    Send
    | SetTimer
    | CancelTimer
    | Write
    | Truncate
    | Fsync
    | Delete
    | Rename
    | ClientReply
    | Observe
)

# ------------------------------------------------------------------------- the node


@attrs.frozen
class NodeState:
    """What a node holds now, for properties judged at the end of a run."""

    term: int
    role: str
    commit_index: int
    log: tuple[tuple[int, int, str], ...]  # (index, term, value) of entries it holds
    snapshot_index: int = 0
    halted: bool = False


@runtime_checkable
class Node(Protocol):
    """A node of the replicated log. Constructed by a :class:`NodeFactory`, then fed
    :class:`Boot` first; a crash discards the object, a restart builds a new one."""

    def step(self, event: Input) -> Sequence[Output]: ...

    def state(self) -> NodeState: ...


class NodeFactory(Protocol):
    """Builds node ``node_id`` of a cluster of ``nodes``; ``rng`` is its own seeded stream
    (the only randomness it may use), ``config`` its knobs (opaque to the driver)."""

    def __call__(
        self, node_id: int, nodes: int, config: Any, rng: random.Random
    ) -> Node: ...
