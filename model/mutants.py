"""Seeded bugs: the mutation check of the checker (test-only).

A property that cannot fail is a defect no soak shows. Each entry of :data:`MUTANTS`
breaks the model in one place, the way a real implementation goes wrong; search must
find each (``bench/mutants.py`` measures how fast, and with which property). Nothing
else in ackcheck uses this module: a node built by :func:`make_mutant` is the only one
whose switch is on.

A mutant is run as its own node implementation, ``--node
ackcheck.model.mutants:<name with underscores>`` (for example
``ackcheck.model.mutants:ack_before_quorum``), with the base preset's config.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import attrs

from ackcheck.model import make_node
from ackcheck.model.config import RaftConfig
from ackcheck.model.node import RaftNode
from ackcheck.schedule import NetworkSpec, Workload


def _switch(name: str, node: RaftNode) -> None:
    """Turn on the code path named ``name`` in :mod:`ackcheck.model.node`."""
    node.bugs = frozenset({name})


def _leader_skips_fsync(node: RaftNode) -> None:
    node._leader_sync = False  # counts its own copy once written, acks at once
    node._fsync_always = False  # and never fsyncs what it appends as leader


def _follower_skips_fsync(node: RaftNode) -> None:
    node._follower_sync = False  # replies success once written
    node._fsync_always = False  # and never fsyncs what it appends as follower


def _vote_not_synced(node: RaftNode) -> None:
    node.cfg = attrs.evolve(node.cfg, vote_persist="write")


def _quorum_one_short(node: RaftNode) -> None:
    node.quorum = max(1, node.quorum - 1)


# A double vote needs a split election and a restart of a voter between the two requests:
# a window of milliseconds. Like raft-unpersisted-vote's known bug, vote mutants are
# searched on three nodes with slow links over the first 500 ms, when a fresh cluster
# elects (ackcheck.app._known), where those windows are wide enough for search.
VOTE_SEARCH: dict[str, Any] = {
    "nodes": 3,
    "network": NetworkSpec(min_delay=5_000, max_delay=80_000),
    "horizon": 500_000,
    "workload": Workload(clients=1, writes=5, interval=50_000),
}


@attrs.frozen
class Mutant:
    """A seeded bug: what it breaks, the preset it is seeded into, how, and (``search``,
    ``ackcheck.app.SearchOptions`` fields) where the preset's default search is not the
    one that reaches it."""

    name: str
    description: str
    preset: str = "raft"
    inject: Callable[[RaftNode], None] | None = None  # None: the code switch ``name``
    search: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def ref(self) -> str:
        """The ``--node`` reference that builds nodes with this bug."""
        return f"{__name__}:{self.name.replace('-', '_')}"


MUTANTS: dict[str, Mutant] = {
    m.name: m
    for m in (
        Mutant("ack-before-quorum",
               "the leader acks a publish as soon as it appends it, before any quorum"),
        Mutant("leader-ack-before-fsync",
               "with fsync=always, the leader counts and acks its own copy once written, "
               "never fsyncing it", inject=_leader_skips_fsync),
        Mutant("follower-ack-before-fsync",
               "with fsync=always, a follower acknowledges an append once written, never "
               "fsyncing it", inject=_follower_skips_fsync),
        Mutant("skip-vote-fsync",
               "term and vote are renamed into place without an fsync",
               inject=_vote_not_synced,
               search={**VOTE_SEARCH, "faults": "power-failure,restart,partition"}),
        Mutant("forget-term-on-restart",
               "recovery ignores the term-and-vote file (term from the log, no vote)",
               search={**VOTE_SEARCH, "faults": "crash,restart,partition"}),
        Mutant("commit-without-quorum",
               "the leader commits on one replica fewer than a majority",
               inject=_quorum_one_short),
        Mutant("apply-before-commit",
               "a follower applies (and reports committed) an entry as soon as it appends it"),
        Mutant("accept-mismatched-prev-term",
               "a follower skips the previous-term check of an append"),
        Mutant("conflict-truncates-one-early",
               "a follower that finds a conflicting entry truncates from the entry before "
               "it (an off-by-one that drops an entry it had acked, maybe committed)"),
        Mutant("leader-drops-uncommitted-tail",
               "a new leader truncates its log after its own commit index, dropping "
               "entries an earlier leader may have committed"),
        Mutant("skip-checksums",
               "recovery does not verify log record checksums"),
        Mutant("stale-reads",
               "a node serves reads before it has caught up with the leader's commit"),
        Mutant("vote-without-log-check",
               "a node grants its vote without the up-to-date log check"),
        Mutant("repair-forgets-on-restart",
               "the duty to repair a damaged log is not written to the term-and-vote "
               "file, so a second restart forgets it", preset="par",
               # It shows only when the damaged node restarts again before a leader has
               # repaired it: power failures restart many nodes at once, partitions keep
               # leaders from committing in their term (which repair waits for). Timed
               # faults: its damage is in a later log block, which the decision alphabet
               # (the first block of a target only) does not reach.
               search={"faults": "partition,power-failure,bit-flip,latent-sector-error",
                       "search": "timed"}),
    )
}


def make_mutant(name: str, node_id: int, nodes: int, config: RaftConfig,
                rng: random.Random) -> RaftNode:
    """A :class:`~ackcheck.node.NodeFactory` for the node with bug ``name``."""
    mutant = MUTANTS[name]
    node = make_node(node_id, nodes, config, rng)
    if mutant.inject is None:
        _switch(name, node)
    else:
        mutant.inject(node)
    return node


def __getattr__(attr: str) -> Callable[..., RaftNode]:
    """``ack_before_quorum`` -> the factory of mutant ``ack-before-quorum`` (what a
    ``module:attr`` node reference resolves to)."""
    name = attr.replace("_", "-")
    if name not in MUTANTS:
        raise AttributeError(attr)
    return partial(make_mutant, name)
