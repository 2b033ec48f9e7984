"""The fault vocabulary and the replayable input of a run.

Defined once, as plain frozen data: Hypothesis strategies generate it, the simulator and
the real-cluster harness interpret it, the renderers draw it, ``traces/`` serialises it.

Conventions shared by every interpreter:

* Time is an integer number of **microseconds** from the start of the run.
* Nodes are ``0 .. nodes-1`` and are shown as ``n0 .. n{nodes-1}``.
* An interpreter is *total*: a fault that makes no sense at its time (a resume of a node
  that is not paused, a crash of a node that is down) is a recorded no-op, never an
  error, so that Hypothesis can shrink schedules freely.
* A **decision** (:class:`Decision`) is a fault anchored to a protocol event instead of a
  time: "after the 2nd commit, partition the committing node off". Its node ids count
  from the node that had the event (0 is that node, 1 the next id, modulo the cluster
  size), so one decision means the same thing whichever node the event happens on.
* A fault that names a file does so by **target** (``log``, ``snapshot``, ``vote``), an
  index into that target's files sorted by name (taken modulo their number) and a byte
  offset (taken modulo the file's size). Node implementations name their files
  ``log/...``, ``snap/...`` and ``vote/...`` so that targets resolve without knowing them.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

import attrs

from ackcheck.errors import ConfigError

__all__ = [
    "FAULT_GROUPS",
    "FAULT_KINDS",
    "FAULT_TYPES",
    "FILE_TARGETS",
    "LIMITS",
    "PARTITION_SHAPES",
    "PROTOCOL_EVENTS",
    "TARGET_PREFIX",
    "US_PER_MS",
    "US_PER_S",
    "BitFlip",
    "Crash",
    "Decision",
    "Fault",
    "FileTarget",
    "Heal",
    "LatentSectorError",
    "MisdirectedWrite",
    "NetworkSpec",
    "Partition",
    "PartitionShape",
    "Pause",
    "PowerFailure",
    "Restart",
    "Resume",
    "Schedule",
    "TimedFault",
    "TornWrite",
    "Workload",
    "drawn",
    "fmt_time",
    "node_name",
]

US_PER_MS = 1_000
US_PER_S = 1_000_000

#: Upper bounds of a schedule, checked whenever one is built (from a trace file, the CLI
#: or a test): a value beyond them is a typo or a hostile file and would run for minutes
#: or exhaust memory rather than test anything. ``time`` bounds every time and duration
#: (µs); ``fault-field`` every integer field of a fault; ``seed`` the seed's magnitude.
#: ``writes`` is sized for a real-cluster load (a pipelined client sends tens of
#: thousands in two seconds); the simulator has its own, smaller bound
#: (``ackcheck.sim.simulator.SIMULATED_WRITES``) because its cost grows with the log.
#: The trace schema states the same numbers (a test keeps them equal).
LIMITS: dict[str, int] = {
    "nodes": 100,
    "time": 3_600 * US_PER_S,
    "clients": 1_000,
    "writes": 1_000_000,
    "faults": 10_000,
    "fault-field": 2**31 - 1,
    "seed": 2**64 - 1,
}


def _within(what: str, value: int, limit: str) -> None:
    if value > LIMITS[limit]:
        raise ConfigError(f"{what} is {value}, more than the limit of {LIMITS[limit]}")


FileTarget = Literal["log", "snapshot", "vote"]
FILE_TARGETS: tuple[str, ...] = ("log", "snapshot", "vote")
TARGET_PREFIX: dict[str, str] = {"log": "log/", "snapshot": "snap/", "vote": "vote/"}

PartitionShape = Literal["split", "bridge", "one-way"]
PARTITION_SHAPES: tuple[str, ...] = ("split", "bridge", "one-way")


def node_name(node: int) -> str:
    return f"n{node}"


def fmt_time(us: int) -> str:
    """``1234567`` -> ``"1.235s"``: how every renderer prints a time."""
    return f"{us / US_PER_S:.3f}s"


def _tuple_of_ints(value: object) -> tuple[int, ...]:
    return tuple(sorted({int(v) for v in value}))  # type: ignore[attr-defined]


def drawn(domain: str, **kwargs: Any) -> Any:
    """A fault field and the domain its values are drawn from when schedules are
    generated (``ackcheck.fault_schedules`` maps each domain to a Hypothesis strategy:
    ``node``, ``node-list``, ``node-set``, ``shape``, ``keep``, ``target``, ``file-index``,
    ``offset``, ``bit``, ``length``; a :class:`Decision` adds ``event``, ``count``,
    ``fault`` and ``recover``). The class is the one place a fault kind is defined:
    its fields say how to generate it, :meth:`Fault.recovery` what undoes it and
    :attr:`Fault.effect` what it does to a node's life, so that strategies, drivers and
    renderers need no list of kinds of their own."""
    return attrs.field(metadata={"domain": domain}, **kwargs)


@attrs.frozen
class Fault:
    """Base of every fault. ``kind`` is the name used in files, CLIs and strategies;
    ``effect`` is what it does to the nodes it names: ``down`` (the process stops),
    ``up`` (it starts), ``pause``, ``resume``, ``cut`` (a partition), ``heal``, or ``""``
    (a disk fault whose kill and restart leave the node as it was); ``groups`` are the
    named groups it belongs to; ``opt_in`` kinds are searched only when named."""

    kind: ClassVar[str] = ""
    effect: ClassVar[str] = ""
    #: the named groups (``--faults process,power``) this kind belongs to
    groups: ClassVar[tuple[str, ...]] = ()
    #: left out of the default kinds: searched only when asked for by name
    opt_in: ClassVar[bool] = False

    def nodes_named(self) -> tuple[int, ...]:
        """Every node this fault refers to, for validation and drawing."""
        return ()

    def describe(self) -> str:
        return self.kind

    def recovery(self) -> tuple[Fault, ...]:
        """The faults that undo this one (a restart after a crash, a resume after a pause,
        a heal after a partition); generated schedules may add them some time later."""
        return ()


@attrs.frozen
class _OneNode(Fault):
    node: int = drawn("node")

    def nodes_named(self) -> tuple[int, ...]:
        return (self.node,)

    def describe(self) -> str:
        return f"{self.kind} {node_name(self.node)}"


@attrs.frozen
class Pause(_OneNode):
    """SIGSTOP: the node runs no timers and handles nothing; its inbox queues up."""

    kind: ClassVar[str] = "pause"
    groups: ClassVar[tuple[str, ...]] = ("process",)
    effect: ClassVar[str] = "pause"

    def recovery(self) -> tuple[Fault, ...]:
        return (Resume(self.node),)


@attrs.frozen
class Resume(_OneNode):
    """SIGCONT: a paused node handles its queued inbox, then carries on."""

    kind: ClassVar[str] = "resume"
    groups: ClassVar[tuple[str, ...]] = ("process",)
    effect: ClassVar[str] = "resume"


@attrs.frozen
class Heal(Fault):
    """Every link delivers again."""

    kind: ClassVar[str] = "heal"
    groups: ClassVar[tuple[str, ...]] = ("network",)
    effect: ClassVar[str] = "heal"


@attrs.frozen
class Partition(Fault):
    """Replace the current partition with one of a named shape.

    * ``split``: ``nodes`` on one side, everyone else on the other (one node: isolate it;
      a minority: majority/minority).
    * ``bridge``: ``nodes[0]`` talks to everyone; the others split into two halves (in
      id order) that cannot reach each other.
    * ``one-way``: messages *from* ``nodes`` to the rest are dropped; the reverse flows.
    """

    kind: ClassVar[str] = "partition"
    groups: ClassVar[tuple[str, ...]] = ("network",)
    effect: ClassVar[str] = "cut"
    shape: str = drawn("shape", default="split")
    nodes: tuple[int, ...] = drawn("node-list", default=(0,), converter=_tuple_of_ints)

    def nodes_named(self) -> tuple[int, ...]:
        return self.nodes

    def describe(self) -> str:
        names = ",".join(node_name(n) for n in self.nodes)
        return f"partition {self.shape} [{names}]"

    def recovery(self) -> tuple[Fault, ...]:
        return (Heal(),)


@attrs.frozen
class Restart(_OneNode):
    """Start a node that is down; it recovers from its disk only."""

    kind: ClassVar[str] = "restart"
    groups: ClassVar[tuple[str, ...]] = ("process", "power", "disk")
    effect: ClassVar[str] = "up"


@attrs.frozen
class Crash(_OneNode):
    """SIGKILL: volatile process state is lost; the OS page cache survives."""

    kind: ClassVar[str] = "crash"
    groups: ClassVar[tuple[str, ...]] = ("process",)
    effect: ClassVar[str] = "down"

    def recovery(self) -> tuple[Fault, ...]:
        return (Restart(self.node),)


@attrs.frozen
class PowerFailure(Fault):
    """Crash the nodes *and* drop their page caches: only fsynced bytes survive."""

    kind: ClassVar[str] = "power-failure"
    groups: ClassVar[tuple[str, ...]] = ("power",)
    effect: ClassVar[str] = "down"
    nodes: tuple[int, ...] = drawn("node-set", default=(0,), converter=_tuple_of_ints)

    def nodes_named(self) -> tuple[int, ...]:
        return self.nodes

    def describe(self) -> str:
        return "power-failure [" + ",".join(node_name(n) for n in self.nodes) + "]"

    def recovery(self) -> tuple[Fault, ...]:
        return tuple(Restart(n) for n in self.nodes)


@attrs.frozen
class TornWrite(_OneNode):
    """Power failure of one node during its last unsynced write: a prefix of it survives.

    ``keep`` is the number of bytes of that write that survive, taken modulo its length.
    """

    kind: ClassVar[str] = "torn-write"
    groups: ClassVar[tuple[str, ...]] = ("power", "disk")
    effect: ClassVar[str] = "down"
    keep: int = drawn("keep", default=0)

    def describe(self) -> str:
        return f"torn-write {node_name(self.node)} keep={self.keep}"

    def recovery(self) -> tuple[Fault, ...]:
        return (Restart(self.node),)


@attrs.frozen
class _FileFault(_OneNode):
    target: str = drawn("target", default="log")
    file_index: int = drawn("file-index", default=0)
    offset: int = drawn("offset", default=0)

    def describe(self) -> str:
        return (
            f"{self.kind} {node_name(self.node)} {self.target}[{self.file_index}]"
            f"@{self.offset}"
        )


@attrs.frozen
class BitFlip(_FileFault):
    """Flip one bit of a stored file of a killed node, which then restarts and recovers
    from it (as Jepsen's bitflip nemesis pairs corruption with a kill: a running process
    would never read the damage). A node that is down keeps the flip until it restarts;
    every later read of that byte sees it."""

    kind: ClassVar[str] = "bit-flip"
    groups: ClassVar[tuple[str, ...]] = ("disk",)
    bit: int = drawn("bit", default=0)


@attrs.frozen
class LatentSectorError(_FileFault):
    """Reads of ``length`` bytes from ``offset`` fail (EIO) until they are rewritten; like
    :class:`BitFlip`, applied to a killed node that then restarts and recovers."""

    kind: ClassVar[str] = "latent-sector-error"
    groups: ClassVar[tuple[str, ...]] = ("disk",)
    length: int = drawn("length", default=512)


@attrs.frozen
class MisdirectedWrite(_FileFault):
    """The node's next write to the target file lands ``offset`` bytes away from where
    it was aimed (the aimed-at range keeps its old bytes)."""

    kind: ClassVar[str] = "misdirected-write"
    opt_in: ClassVar[bool] = True  # needs a model of where a write could land


# Ordered from benign to severe: Hypothesis' sampled_from shrinks towards the front.
FAULT_TYPES: tuple[type[Fault], ...] = (
    Pause,
    Resume,
    Heal,
    Partition,
    Restart,
    Crash,
    PowerFailure,
    TornWrite,
    LatentSectorError,
    BitFlip,
    MisdirectedWrite,
)
FAULT_KINDS: dict[str, type[Fault]] = {t.kind: t for t in FAULT_TYPES}
#: Named groups of kinds (``--faults process,power``), from each class's ``groups``.
FAULT_GROUPS: dict[str, tuple[str, ...]] = {
    group: tuple(t.kind for t in FAULT_TYPES if group in t.groups)
    for group in ("process", "network", "power", "disk")
}
FAULT_GROUPS["all"] = tuple(FAULT_KINDS)


def _check_fault_fields(fault: Fault) -> None:
    """Bounds every fault shares, read off its attrs fields (so a new kind needs no edit
    here): integer fields within ``fault-field``; a node list names at least one node."""
    for field in attrs.fields(type(fault)):
        value = getattr(fault, field.name)
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 0:
                raise ConfigError(f"fault {fault.kind} {field.name} is {value}, below 0")
            _within(f"fault {fault.kind} {field.name}", value, "fault-field")
        elif isinstance(value, tuple) and not value:
            raise ConfigError(f"fault {fault.kind} names no node ({field.name} is empty)")


@attrs.frozen
class TimedFault:
    at: int
    fault: Fault


#: The protocol events a :class:`Decision` can wait for, in the order a term goes
#: through them, and how the simulator recognises each in a node's outputs (any node
#: that emits these outputs gets the same treatment, not only the built-in one).
PROTOCOL_EVENTS: dict[str, str] = {
    "vote": "granted a vote: sent a message whose ``granted`` attribute is True",
    "leader": "became leader: Observe('leader')",
    "append": "appended a client's value to its own log: a tagged Write while handling a "
    "client request",
    "commit": "learned that entries are committed: Observe('commit')",
    "ack": "acknowledged a client's publish: a ClientReply with PublishOk",
}

#: The fields whose values are node ids (a decision's are relative to its event's node).
_NODE_DOMAINS = ("node", "node-list", "node-set")


def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


@attrs.frozen
class Decision:
    """A fault anchored to a protocol event rather than to a time.

    Decisions are taken in order. Decision ``i`` waits for the ``count``-th ``event``
    (one of :data:`PROTOCOL_EVENTS`) after decision ``i-1`` fired (after the start, for
    the first), on any node; right after the step of the node that had it, before
    anything else happens, ``fault`` is applied with its node ids counted from that
    node (0 is it, 1 the next id, modulo the cluster size). ``count`` 0 fires together
    with the previous decision, on its node (the first: at time 0, from node 0). With
    ``recover`` set, the fault's :meth:`Fault.recovery` follows that many microseconds
    later (0: at once, so a crash with ``recover=0`` is a kill and restart).

    Everything else (message delays, election timeouts) still comes from the seed: a
    decision schedule replays exactly, and shrinks towards fewer decisions, earlier
    events and milder faults rather than towards smaller microsecond times."""

    event: str = drawn("event")
    count: int = drawn("count", default=1)
    fault: Fault = drawn("fault", default=Heal())  # noqa: RUF009 (frozen: safe to share)
    recover: int | None = drawn("recover", default=None)

    def resolve(self, subject: int, nodes: int) -> Fault:
        """The fault with node ids made absolute for an event on node ``subject``."""
        fault = self.fault
        changes: dict[str, Any] = {}
        for field in attrs.fields(type(fault)):
            if field.metadata.get("domain") not in _NODE_DOMAINS:
                continue
            value = getattr(fault, field.name)
            if isinstance(value, tuple):
                changes[field.name] = tuple((n + subject) % nodes for n in value)
            else:
                changes[field.name] = (value + subject) % nodes
        return attrs.evolve(fault, **changes) if changes else fault

    def recoveries(self, subject: int, nodes: int) -> tuple[Fault, ...]:
        """What :attr:`recover` brings back, made absolute like :meth:`resolve`."""
        if self.recover is None:
            return ()
        return self.resolve(subject, nodes).recovery()

    def anchor(self) -> str:
        """What it waits for: ``after the 2nd commit``, ``with the previous decision``."""
        if self.count == 0:
            return "with the previous decision"
        return f"after the {_ordinal(self.count)} {self.event}"

    def describe(self) -> str:
        """``after the 2nd commit: partition split [@,@+1]`` (``@`` is the node that had
        the event)."""
        what = _relative(self.fault.describe())
        if self.recover is not None:
            back = ", ".join(_relative(r.describe()) for r in self.fault.recovery())
            if back:
                what += f", then {back}" + (
                    " at once" if self.recover == 0 else f" {fmt_time(self.recover)} later"
                )
        return f"{self.anchor()}: {what}"


def _relative(text: str) -> str:
    """``n0`` -> ``@``, ``n2`` -> ``@+2`` in a fault's description."""
    return re.sub(r"\bn(\d+)\b", lambda m: "@" if m[1] == "0" else f"@+{m[1]}", text)


@attrs.frozen
class NetworkSpec:
    """Per-link message behaviour. Delays in microseconds, drawn uniformly per message."""

    min_delay: int = 500
    max_delay: int = 5_000
    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0

    def __attrs_post_init__(self) -> None:
        if self.min_delay < 0 or self.max_delay < self.min_delay:
            raise ConfigError(
                f"network delay must satisfy 0 <= min_delay <= max_delay, "
                f"got {self.min_delay}..{self.max_delay}"
            )
        _within("network max_delay", self.max_delay, "time")
        for name in ("loss", "duplicate", "reorder"):
            p = getattr(self, name)
            if not 0.0 <= p <= 1.0:
                raise ConfigError(f"network {name} must be a probability in [0, 1], got {p}")


@attrs.frozen
class Workload:
    """Publishers send unique values ``"<client>-<counter>"``, each pinned to a node
    (client ``c`` talks to node ``c % nodes``), retrying a timed-out publish with the
    same value. After the fault phase everything heals, every node restarts, and a
    reader drains the stream from every node (the final read).

    ``warm`` > 0 starts the run *warm*, as a long-running cluster is: the first ``warm``
    writes were published and acknowledged before time 0, in a fault-free warm-up that
    ended with every node's files synced (the durable prefix earlier syncs leave);
    the run publishes the rest."""

    clients: int = 3
    writes: int = 50
    interval: int = 20_000  # microseconds between one client's publishes
    timeout: int = 200_000  # a publish with no reply by then is retried
    start: int = 100_000  # first publish, after the cluster had time to elect
    warm: int = 0  # writes acknowledged and made durable before the run began

    def __attrs_post_init__(self) -> None:
        if self.clients < 1:
            raise ConfigError(f"workload needs at least one client, got {self.clients}")
        if self.writes < 0:
            raise ConfigError(f"workload writes must be >= 0, got {self.writes}")
        if self.interval <= 0 or self.timeout <= 0 or self.start < 0:
            raise ConfigError("workload interval and timeout must be > 0 and start >= 0")
        _within("workload clients", self.clients, "clients")
        _within("workload writes", self.writes, "writes")
        for name in ("interval", "timeout", "start"):
            _within(f"workload {name}", getattr(self, name), "time")
        if not 0 <= self.warm <= self.writes:
            raise ConfigError(
                f"workload warm must be between 0 and writes ({self.writes}), got {self.warm}"
            )

    def values(self) -> list[list[str]]:
        """Each client's values in publish order: ``writes`` values dealt round-robin, so
        client c gets ``"c-0", "c-1", ...`` (the same on the simulator and a real cluster)."""
        clients, writes = self.clients, self.writes
        counts = [writes // clients + (1 if c < writes % clients else 0) for c in range(clients)]
        return [[f"{c}-{k}" for k in range(n)] for c, n in enumerate(counts)]

    def warm_values(self) -> list[list[str]]:
        """Each client's values published in the warm-up: the first ``warm`` writes,
        dealt as :meth:`values` deals them (a prefix of each client's values)."""
        clients, warm = self.clients, self.warm
        counts = [warm // clients + (1 if c < warm % clients else 0) for c in range(clients)]
        return [values[:n] for values, n in zip(self.values(), counts, strict=True)]


@attrs.frozen
class Schedule:
    """Everything a run needs besides the node config: cluster shape, network, workload,
    timed faults and the seed from which the simulator derives all randomness.

    ``duration`` is the fault phase; the driver then heals everything, restarts every node
    and performs the final read, allowing ``settle`` more microseconds for that.
    """

    nodes: int = 5
    seed: int = 0
    duration: int = 2 * US_PER_S
    settle: int = 3 * US_PER_S
    network: NetworkSpec = NetworkSpec()
    workload: Workload = Workload()
    faults: tuple[TimedFault, ...] = ()
    #: faults anchored to protocol events (see :class:`Decision`), after the timed ones
    decisions: tuple[Decision, ...] = ()

    def __attrs_post_init__(self) -> None:
        if self.nodes < 1:
            raise ConfigError(f"a cluster needs at least one node, got {self.nodes}")
        if self.duration < 0 or self.settle < 0:
            raise ConfigError("duration and settle must be >= 0")
        _within("nodes", self.nodes, "nodes")
        _within("duration", self.duration, "time")
        _within("settle", self.settle, "time")
        _within("the number of faults", len(self.faults), "faults")
        _within("seed magnitude", abs(self.seed), "seed")
        for tf in self.faults:
            if tf.at < 0:
                raise ConfigError(f"fault {tf.fault.describe()} at t={tf.at} is before 0")
            _within(f"fault {tf.fault.kind} time", tf.at, "time")
            self._check_fault(tf.fault, f"fault {tf.fault.describe()}")
        _within("the number of decisions", len(self.decisions), "faults")
        for i, d in enumerate(self.decisions):
            where = f"decision {i + 1}"
            if d.event not in PROTOCOL_EVENTS:
                raise ConfigError(
                    f"{where}: unknown protocol event {d.event!r}; "
                    f"known: {', '.join(PROTOCOL_EVENTS)}"
                )
            if d.count < 0:
                raise ConfigError(f"{where}: count must be >= 0, got {d.count}")
            if d.recover is not None and d.recover < 0:
                raise ConfigError(f"{where}: recover must be >= 0 µs, got {d.recover}")
            if d.recover is not None:
                _within(f"{where} recover", d.recover, "time")
            _within(f"{where} count", d.count, "fault-field")
            if not isinstance(d.fault, Fault):
                raise ConfigError(f"{where}: {d.fault!r} is not a fault")
            self._check_fault(d.fault, f"{where} ({d.fault.describe()})")

    def _check_fault(self, fault: Fault, where: str) -> None:
        _check_fault_fields(fault)
        for n in fault.nodes_named():
            if not 0 <= n < self.nodes:
                raise ConfigError(
                    f"{where} names node {n}, but the cluster has nodes 0..{self.nodes - 1}"
                )
        if isinstance(fault, Partition) and fault.shape not in PARTITION_SHAPES:
            raise ConfigError(
                f"unknown partition shape {fault.shape!r}; known: {', '.join(PARTITION_SHAPES)}"
            )
        target = getattr(fault, "target", None)
        if target is not None and target not in FILE_TARGETS:
            raise ConfigError(
                f"unknown file target {target!r}; known: {', '.join(FILE_TARGETS)}"
            )

    def sorted_faults(self) -> tuple[TimedFault, ...]:
        """Faults in time order; ties keep schedule order (stable sort)."""
        return tuple(sorted(self.faults, key=lambda tf: tf.at))
