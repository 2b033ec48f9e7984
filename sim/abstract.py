"""Abstract states: what a node, and the cluster, look like with times and values left out.

A node's abstract state is its status, role, term, the shape of its log by term (runs of
equal terms and their lengths, not the values), its commit index and how many client
values its disk holds durably and only in the page cache. The cluster's adds which links
deliver and the node-to-node messages in flight (sender, receiver, type, term), and is
put in a canonical form under renaming the nodes (node-symmetry reduction): two clusters
that differ only in which node is which have the same abstract state.

Coverage counts the node states a run reached (sampled at every protocol event); the
bounded checker (``ackcheck check``) hashes the cluster's state at each decision. Timers
and exact times are left out on purpose: the abstraction merges states that differ only
in when something will happen next, as TLA+ specs of Raft do.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from itertools import groupby, permutations
from typing import Any

from ackcheck.sim.processes import Processes
from ackcheck.sim.slot import DOWN, NodeSlot

NodeAbstract = tuple[Any, ...]

#: Node renamings tried for the canonical form (n! of them); larger clusters keep ids.
SYMMETRY_UP_TO = 6


def node_state(slot: NodeSlot) -> NodeAbstract:
    """The abstract state of one node (see the module docstring)."""
    durable, cached = slot.disk.tag_counts()
    node = slot.node
    if node is None or slot.status == DOWN:
        return ("down", durable, cached)
    st = node.state()
    runs = tuple((term, sum(1 for _ in run)) for term, run in groupby(e[1] for e in st.log))
    status = "halted" if st.halted or slot.halted else slot.status
    return (status, st.role, st.term, runs, st.commit_index, st.snapshot_index, durable,
            cached)


class Coverage:
    """The distinct node abstract states one run reached, sampled after every step that
    showed a protocol event (on the node whose step it was), and how many steps showed
    each event."""

    def __init__(self) -> None:
        self.states: set[NodeAbstract] = set()
        self.events: Counter[str] = Counter()

    def on_events(self, slot: NodeSlot, kinds: list[str]) -> None:
        self.states.add(node_state(slot))
        self.events.update(kinds)


def cluster_state(processes: Processes, edges: frozenset[tuple[int, int]],
                  in_flight: list[tuple[int, int, str, int]]) -> tuple[Any, ...]:
    """The cluster's abstract state in canonical form: the smallest, over renamings of
    the nodes, of (node states in id order, delivering links, messages in flight)."""
    nodes = [node_state(s) for s in processes.slots]
    n = len(nodes)
    renamings = permutations(range(n)) if n <= SYMMETRY_UP_TO else [tuple(range(n))]
    best: tuple[Any, ...] | None = None
    for perm in renamings:  # perm[old] = new
        order = sorted(range(n), key=lambda old: perm[old])
        candidate = (
            tuple(nodes[old] for old in order),
            tuple(sorted((perm[a], perm[b]) for a, b in edges)),
            tuple(sorted((perm[s], perm[d], kind, term) for s, d, kind, term in in_flight)),
        )
        if best is None or candidate < best:
            best = candidate
    assert best is not None
    return best


def state_hash(state: tuple[Any, ...]) -> str:
    """A stable digest of an abstract state (the same in every process)."""
    return hashlib.blake2b(repr(state).encode(), digest_size=16).hexdigest()
