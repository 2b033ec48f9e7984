"""The known violations: for each unsafe preset, the bug it is known to have and the
search settings that find it.

One list, used by the test suite (each must be found), by ``bench/time_to_bug.py``
(how fast) and by the corpus generator (``traces/corpus/<preset>--<property>``).
``by_hand`` is the length of the shortest schedule we could write by hand that shows the
bug: shrunk schedules are held to at most one fault more.

Some bugs hide in windows too narrow for random search within a minute (a voter must
crash and restart between granting a vote and hearing the winner, during a split vote).
For those, ``witness`` is a failing schedule found by a seeded generator and reduced with
:func:`ackcheck.minimize.minimize`; ``searchable`` says whether ``explore`` is expected to
find the bug on its own within ``bench/time_to_bug.py``'s budget.
"""

from __future__ import annotations

import builtins
from typing import Any

import attrs

from ackcheck.schedule import (
    Crash,
    Heal,
    NetworkSpec,
    Partition,
    PowerFailure,
    Restart,
    Schedule,
    TimedFault,
    Workload,
)
from ackcheck.witnesses import FIG8_WITNESS


@attrs.frozen
class KnownBug:
    preset: str
    property: str
    faults: str  # the fault kinds explored (ackcheck.strategies.parse_kinds)
    by_hand: int
    story: str
    nodes: int = 5
    network: NetworkSpec = attrs.field(factory=NetworkSpec)
    targets: str | None = None  # file targets of corruption faults
    overrides: tuple[str, ...] = ()
    searchable: bool = True
    witness: Schedule | None = None

    @builtins.property  # the field named ``property`` shadows the builtin in here
    def name(self) -> str:
        """Also the corpus trace's file stem."""
        return f"{self.preset}--{self.property}"

    def explore_kwargs(self) -> dict[str, Any]:
        """The arguments that make :func:`ackcheck.explore.explore` look for this bug."""
        return dict(
            overrides=self.overrides,
            properties=[self.property],
            faults=self.faults,
            nodes=self.nodes,
            network=self.network,
            targets=self.targets,
        )


_LAZY_FSYNC = (
    "Acks before fsync and fsyncs every 2 minutes: a coordinated power failure loses every "
    "acknowledged write since the last sync (nats-server#7564)."
)

# From tests/model/model_schedules.py::vote_churn_schedule(68), 50 faults, reduced by ddmin
# to these 11 (each one is needed: removing any re-times the run and the double vote
# goes away).
_VOTE_CHURN = Schedule(
    nodes=3,
    seed=68,
    duration=1_000_000,
    settle=1_500_000,
    network=NetworkSpec(min_delay=5_000, max_delay=80_000),
    workload=Workload(clients=2, writes=10, interval=50_000),
    faults=(
        TimedFault(97_925, Crash(2)),
        TimedFault(99_892, Restart(2)),
        TimedFault(111_220, Crash(1)),
        TimedFault(112_174, Restart(1)),
        TimedFault(204_608, Crash(0)),
        TimedFault(302_631, Restart(0)),
        TimedFault(431_756, Crash(0)),
        TimedFault(439_578, Restart(0)),
        TimedFault(452_845, Crash(1)),
        TimedFault(459_408, Crash(2)),
        TimedFault(462_867, Restart(2)),
    ),
)

KNOWN_BUGS: tuple[KnownBug, ...] = (
    KnownBug(
        preset="nats-2.12.1",
        property="ack-implies-durable",
        faults="power",
        by_hand=1,
        story=_LAZY_FSYNC,
    ),
    KnownBug(
        preset="nats-2.14",
        property="ack-implies-durable",
        faults="power",
        by_hand=1,
        story=_LAZY_FSYNC + " 2.14 changed snapshot handling, not the sync interval.",
    ),
    KnownBug(
        preset="nats-2.12.1-sync-always",
        property="ack-implies-durable",
        faults="bit-flip,crash,restart",
        targets="log",
        nodes=3,
        by_hand=2,
        story="Even with sync_interval: always, a bit flip in a log block makes recovery "
        "truncate the log at the bad record and carry on. Two of three nodes damaged "
        "that way form a majority without the tail, elect a leader, and overwrite the "
        "third node's full copy: acknowledged writes vanish (nats-server#7549).",
    ),
    KnownBug(
        preset="raft-unpersisted-vote",
        property="election-safety",
        faults="crash,restart,partition",
        nodes=3,
        network=NetworkSpec(min_delay=5_000, max_delay=80_000),
        by_hand=11,
        story="Term and vote kept only in memory: a voter that restarts forgets it voted "
        "and votes again in the same term, electing a second leader.",
        searchable=False,
        witness=_VOTE_CHURN,
    ),
    KnownBug(
        preset="raft-unsafe-commit",
        property="state-machine-safety",
        faults="crash,restart,partition",
        by_hand=7,
        story="Counting replicas of an earlier term's entry as committed (Raft paper, "
        "Figure 8): an old leader, re-elected, brings its old-term entry to a majority "
        "and applies it; cut off before any entry of its new term spreads, it loses "
        "that index to the leader of a term in between, whose own entry there reached "
        "no other node but whose last log term is higher. Two values applied at one "
        "index. Witness from ackcheck.witnesses.fig8_schedule(0): partitions decide "
        "every election, crashes keep the in-between leader's entry on it alone.",
        searchable=False,
        witness=FIG8_WITNESS,
    ),
)


def known_bug(name: str) -> KnownBug:
    for bug in KNOWN_BUGS:
        if bug.name == name:
            return bug
    raise KeyError(name)


def standard_example(seed: int = 1) -> Schedule:
    """The standard example the speed targets refer to: 5 nodes, 2 simulated seconds, 50
    writes, a crash (and restart), a partition (and heal) and a power failure of every
    node."""
    return Schedule(
        nodes=5,
        seed=seed,
        faults=(
            TimedFault(500_000, Crash(1)),
            TimedFault(700_000, Restart(1)),
            TimedFault(900_000, Partition("split", (0, 1))),
            TimedFault(1_200_000, Heal()),
            TimedFault(1_500_000, PowerFailure((0, 1, 2, 3, 4))),
        ),
    )
