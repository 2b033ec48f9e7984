"""The known violations: for each unsafe preset, the bug it is known to have.

One list, used by the test suite (each must be found), by ``bench/time_to_bug.py``
(how fast) and by the corpus generator (``traces/corpus/``). ``by_hand`` is the length
of the shortest schedule we could write by hand that shows the bug: shrunk schedules are
held to at most one fault more.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class KnownBug:
    name: str  # also the corpus trace's file stem
    preset: str
    property: str
    faults: str  # the fault kinds explored (ackcheck.strategies.parse_kinds)
    by_hand: int
    story: str
    overrides: tuple[str, ...] = ()


KNOWN_BUGS: tuple[KnownBug, ...] = (
    KnownBug(
        name="nats-2.12.1-lazy-fsync",
        preset="nats-2.12.1",
        property="ack-implies-durable",
        faults="power",
        by_hand=1,
        story="Acks before fsync and fsyncs every 2 minutes: a coordinated power failure "
        "loses every acknowledged write since the last sync (nats-server#7564).",
    ),
    KnownBug(
        name="nats-2.12.1-bitflip-truncate",
        preset="nats-2.12.1-sync-always",
        property="ack-implies-durable",
        faults="bit-flip,crash,restart,partition",
        by_hand=3,
        story="Even with sync_interval: always, a bit flip in one node's log block makes "
        "recovery truncate the log there; that node then helps elect a leader without "
        "the tail and acknowledged writes vanish (nats-server#7549).",
    ),
    KnownBug(
        name="nats-2.12.1-snapshot-delete",
        preset="nats-2.12.1-sync-always",
        property="ack-implies-durable",
        faults="bit-flip,crash,restart,partition",
        by_hand=3,
        overrides=("snapshot_interval=8",),
        story="A corrupt snapshot is deleted and the node resets its state: the stream "
        "it held can be lost (nats-server#7556).",
    ),
    KnownBug(
        name="raft-unpersisted-vote",
        preset="raft-unpersisted-vote",
        property="election-safety",
        faults="crash,restart,partition",
        by_hand=3,
        story="Term and vote kept only in memory: a voter that restarts forgets it voted "
        "and votes again in the same term, electing a second leader.",
    ),
    KnownBug(
        name="raft-unsafe-commit",
        preset="raft-unsafe-commit",
        property="state-machine-safety",
        faults="crash,restart,partition",
        by_hand=4,
        story="Counting replicas of an earlier term's entry as committed (Raft paper, "
        "Figure 8): a later leader overwrites an entry another node already applied.",
    ),
)


def known_bug(name: str) -> KnownBug:
    for bug in KNOWN_BUGS:
        if bug.name == name:
            return bug
    raise KeyError(name)
