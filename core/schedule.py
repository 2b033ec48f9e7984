"""The fault vocabulary and the replayable input of a run.

Defined once, as plain frozen data: Hypothesis strategies generate it, the simulator and
the real-cluster harness interpret it, the renderers draw it, ``traces/`` serialises it.

Conventions shared by every interpreter:

* Time is an integer number of **microseconds** from the start of the run.
* Nodes are ``0 .. nodes-1`` and are shown as ``n0 .. n{nodes-1}``.
* An interpreter is *total*: a fault that makes no sense at its time (a resume of a node
  that is not paused, a crash of a node that is down) is a recorded no-op, never an
  error, so that Hypothesis can shrink schedules freely.
* A fault that names a file does so by **target** (``log``, ``snapshot``, ``vote``), an
  index into that target's files sorted by name (taken modulo their number) and a byte
  offset (taken modulo the file's size). Node implementations name their files
  ``log/...``, ``snap/...`` and ``vote/...`` so that targets resolve without knowing them.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import attrs

from ackcheck.errors import ConfigError

__all__ = [
    "FAULT_GROUPS",
    "FAULT_KINDS",
    "FAULT_TYPES",
    "FILE_TARGETS",
    "PARTITION_SHAPES",
    "TARGET_PREFIX",
    "US_PER_MS",
    "US_PER_S",
    "BitFlip",
    "Crash",
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
    ``offset``, ``bit``, ``length``). The class is the one place a fault kind is defined:
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


@attrs.frozen
class TimedFault:
    at: int
    fault: Fault


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

    def __attrs_post_init__(self) -> None:
        if self.nodes < 1:
            raise ConfigError(f"a cluster needs at least one node, got {self.nodes}")
        if self.duration < 0 or self.settle < 0:
            raise ConfigError("duration and settle must be >= 0")
        for tf in self.faults:
            if tf.at < 0:
                raise ConfigError(f"fault {tf.fault.describe()} at t={tf.at} is before 0")
            for n in tf.fault.nodes_named():
                if not 0 <= n < self.nodes:
                    raise ConfigError(
                        f"fault {tf.fault.describe()} names node {n}, "
                        f"but the cluster has nodes 0..{self.nodes - 1}"
                    )
            if isinstance(tf.fault, Partition) and tf.fault.shape not in PARTITION_SHAPES:
                raise ConfigError(
                    f"unknown partition shape {tf.fault.shape!r}; "
                    f"known: {', '.join(PARTITION_SHAPES)}"
                )
            target = getattr(tf.fault, "target", None)
            if target is not None and target not in FILE_TARGETS:
                raise ConfigError(
                    f"unknown file target {target!r}; known: {', '.join(FILE_TARGETS)}"
                )

    def sorted_faults(self) -> tuple[TimedFault, ...]:
        """Faults in time order; ties keep schedule order (stable sort)."""
        return tuple(sorted(self.faults, key=lambda tf: tf.at))
