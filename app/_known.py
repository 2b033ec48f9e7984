"""The known violations: for each unsafe preset, the bug it is known to have and the
search settings that find it.

One list, used by the test suite (each must be found by search), by
``bench/time_to_bug.py`` (how fast) and by the corpus generator
(``traces/corpus/<preset>--<property>``). ``by_hand`` is the length of the shortest
schedule we could write by hand that shows the bug with the bug's own settings (nodes,
network, fault phase): shrunk schedules are held to at most one fault more (a decision
counts as a fault). ``witness`` is such a schedule, where one is written down: it is
kept only as a check that a hand-written schedule still fails, never as a stand-in for
search. ``sizes`` are other cluster sizes the bug must also be found at.

Some bugs sit in narrow windows. ``raft-unpersisted-vote`` needs a voter to crash and
restart between granting one candidate its vote and hearing a rival candidate of the same
term (a split vote): a few milliseconds, only on seeds whose first election is split.
Decisions reach it directly ("after the 1st vote: crash @, then restart @ at once");
timed search reaches it because fault times are spread over the fault phase
(:func:`ackcheck.app._strategies.fault_times`) and that bug's fault phase is the 500 ms in
which a fresh cluster elects. ``raft-unsafe-commit`` (Raft's Figure 8) needs four
elections to go one way each: random fault times practically never do that, three
decisions do ("after the 1st leader: partition split [@]" twice, then "after the 1st
commit: partition split [@]"; docs/search.md). ``searchable`` is False for a bug search
is not expected to reach within ``bench/time_to_bug.py``'s budget; none is, today.
"""

from __future__ import annotations

import builtins
from typing import Any

import attrs

from ackcheck.app._options import SearchOptions
from ackcheck.app._witnesses import FIG8_WITNESS
from ackcheck.schedule import (
    Crash,
    Heal,
    NetworkSpec,
    Partition,
    PowerFailure,
    Restart,
    Schedule,
    TimedFault,
    TornWrite,
    Workload,
)


@attrs.frozen
class KnownBug:
    """A preset's known violation and the search options that find it (``options``
    checks only that property)."""

    preset: str
    property: str
    by_hand: int
    story: str
    options: SearchOptions
    overrides: tuple[str, ...] = ()
    searchable: bool = True
    witness: Schedule | None = None
    sizes: tuple[int, ...] = ()
    case: str = ""  # tells apart two known bugs of one preset and property

    def at_sizes(self) -> tuple[SearchOptions, ...]:
        """The search options at the bug's own size and at each of ``sizes``."""
        return (self.options, *(self.options.evolve(nodes=n) for n in self.sizes))

    @builtins.property  # the field named ``property`` shadows the builtin in here
    def name(self) -> str:
        """Also the corpus trace's file stem."""
        stem = f"{self.preset}--{self.property}"
        return f"{stem}--{self.case}" if self.case else stem


def _bug(preset: str, prop: str, *, faults: str, by_hand: int, story: str,
         searchable: bool = True, witness: Schedule | None = None,
         sizes: tuple[int, ...] = (), case: str = "", **options: Any) -> KnownBug:
    return KnownBug(preset=preset, property=prop, by_hand=by_hand, story=story,
                    options=SearchOptions(properties=(prop,), faults=faults, **options),
                    searchable=searchable, witness=witness, sizes=sizes, case=case)


_LAZY_FSYNC = (
    "Acks before fsync and fsyncs every 2 minutes: a coordinated power failure loses every "
    "acknowledged write since the last sync (nats-server#7564)."
)

# The Jepsen cases (jepsen.io/analyses/nats-2.12.1) ran minutes of writes on five nodes:
# their runs start warm, from a prefix every node holds durably (Workload.warm), and keep
# writing through the two-second fault phase.
_JEPSEN_WORKLOAD = Workload(writes=80, warm=30, interval=100_000)

_VOTE_NETWORK = NetworkSpec(min_delay=5_000, max_delay=80_000)
# Elections need no traffic; a short workload keeps each example cheap.
_VOTE_WORKLOAD = Workload(clients=1, writes=5, interval=50_000)

# Written by hand (by_hand = 2). With seed 116 the first election is split: n1 times out
# at 189 ms and asks for votes in term 1; its request to n2 takes 78 ms, and n2 times out
# at 254 ms before it arrives. n0 grants n1's vote at 199 ms, crashes at 226 ms and is back
# at 236 ms with term and vote forgotten, so it grants n2's request too: n1 and n2 both lead
# term 1 (n1 from 250 ms, n2 from 274 ms). Any crash of n0 from 199 to 253 ms (10 ms down)
# does it; of seeds 0-119 only 116 splits this way (found by scanning them).
_SPLIT_VOTE_DOUBLE_GRANT = Schedule(
    nodes=3,
    seed=116,
    duration=500_000,
    network=_VOTE_NETWORK,
    workload=_VOTE_WORKLOAD,
    faults=(
        TimedFault(226_000, Crash(0)),
        TimedFault(236_000, Restart(0)),
    ),
)

# Written by hand (by_hand = 2), in the shape of Jepsen's reproducer for nats-server#7567:
# a partition keeps n1 and n2 behind from t=0 (there: paused), and n0 alone loses power
# (the OS crash: its page cache gone) at 480 ms, while its copy of the last acked writes is
# still unsynced. Any time from 440 to 640 ms does it (checked every 20 ms). Search finds
# this bug as a plan of decisions too, but the plan it found on 2026-12-02 lost no write
# on a real 2.12.1 cluster (0 of 3 `ackcheck replay --nats 2.12.1` runs).
_OS_CRASH_WHILE_TWO_LAG = Schedule(
    nodes=5,
    seed=0,
    workload=_JEPSEN_WORKLOAD,
    faults=(
        TimedFault(0, Partition("split", (1, 2))),
        TimedFault(480_000, TornWrite(0, 0)),
    ),
)

KNOWN_BUGS: tuple[KnownBug, ...] = (
    _bug(
        "nats-2.12.1",
        "ack-implies-durable",
        faults="power",
        by_hand=1,
        story=_LAZY_FSYNC,
    ),
    _bug(
        "nats-2.14",
        "ack-implies-durable",
        faults="power",
        by_hand=1,
        story=_LAZY_FSYNC + " 2.14 changed snapshot handling, not the sync interval.",
    ),
    _bug(
        "nats-2.12.1-sync-always",
        "ack-implies-durable",
        faults="bit-flip,crash,restart",
        targets="log",
        nodes=3,
        # timed faults shrink to the two of the teaching note; a plan of decisions finds
        # it as fast but shrinks to four bit flips on every node
        search="timed",
        by_hand=2,
        story="Even with sync_interval: always, a bit flip in a log block makes recovery "
        "truncate the log at the bad record and carry on. Two of three nodes damaged "
        "that way form a majority without the tail, elect a leader, and overwrite the "
        "third node's full copy: acknowledged writes vanish (nats-server#7549).",
    ),
    _bug(
        "nats-2.12.1-sync-always",
        "ack-implies-durable",
        faults="bit-flip,partition",
        targets="log",
        nodes=5,
        max_faults=2,
        workload=_JEPSEN_WORKLOAD,
        # faults at random times: a plan of decisions did not find it in 90 s (seed 0),
        # timed faults in 11 s (bench/time_to_bug.py, docs/search.md)
        search="timed",
        by_hand=2,
        case="7549",
        story="Jepsen's nats-server#7549 on five nodes with sync_interval: always: a bit "
        "flip in one node's log (a minority) makes its recovery truncate the log at the "
        "bad record. Restarted behind a partition that left two others stale, it takes "
        "the stale side's log, later leads, and the intact nodes truncate to match: "
        "acknowledged writes vanish from the middle of the stream.",
    ),
    _bug(
        "nats-2.12.1",
        "ack-implies-durable",
        faults="partition,torn-write",
        nodes=5,
        max_faults=2,
        workload=_JEPSEN_WORKLOAD,
        by_hand=2,
        case="7567",
        witness=_OS_CRASH_WHILE_TWO_LAG,
        story="Jepsen's nats-server#7567 on five nodes with the default sync: one node's "
        "OS crash (a power failure of that node alone) while a partition kept two others "
        "behind. Its page cache lost, it comes back with only the durable prefix, votes "
        "for a stale candidate, and the new leader's log overwrites acknowledged writes "
        "the crashed node had helped commit.",
    ),
    _bug(
        "raft-unpersisted-vote",
        "election-safety",
        faults="crash,restart,partition",
        nodes=3,
        network=_VOTE_NETWORK,
        # A fresh cluster elects in its first 300 ms (150-300 ms election timeouts): the
        # split votes this bug needs are there, so the fault phase searched ends soon after,
        # and decisions wait for the events of an election only.
        horizon=500_000,
        events="vote,leader",
        workload=_VOTE_WORKLOAD,
        by_hand=2,
        story="Term and vote kept only in memory: a voter that grants a candidate its "
        "vote, then crashes and restarts before a rival candidate of the same term asks "
        "(a split vote), has forgotten it voted and grants the rival too: two leaders in "
        "one term.",
        witness=_SPLIT_VOTE_DOUBLE_GRANT,
    ),
    _bug(
        "raft-torn-tail",
        "ack-implies-durable",
        faults="crash,bit-flip",
        targets="log",
        by_hand=3,
        story="A bit flip in a record's length field makes the record run past the end of "
        "the log block. The naive rule takes that for a torn write (a last write cut "
        "short by a crash: never fsynced, never acked) and drops it with everything after "
        "it, though those records were fsynced and acknowledged. Of three replicas, one "
        "crashed early and lags; the leader is the one whose length field flips, so one "
        "intact copy is left, on the third. The damaged replica and the lagging one are a "
        "majority: a leader without the acknowledged entries, which overwrites the last "
        "intact copy. A checksum over the record header (torn_tail=checked) tells the "
        "damage from a tear (Alagappan et al., FAST 2018).",
    ),
    _bug(
        "raft-unsafe-commit",
        "state-machine-safety",
        faults="partition",
        by_hand=7,
        story="Counting replicas of an earlier term's entry as committed (Raft paper, "
        "Figure 8): an old leader, re-elected, brings its old-term entry to a majority "
        "and applies it; cut off before any entry of its new term spreads, it loses "
        "that index to the leader of a term in between, whose own entry there reached "
        "no other node but whose last log term is higher. Two values applied at one "
        "index. Search finds it with partitions at protocol events (a partition at each "
        "of two elections, one at the re-elected leader's commit); the witness, from "
        "ackcheck.app._witnesses.fig8_schedule(0), does it with 7 timed faults.",
        witness=FIG8_WITNESS,
        sizes=(3,),
        # a client on every node: each leader gets a write of its own to append
        workload=Workload(clients=5, writes=20),
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
