"""The simulated network: per-link delay, loss, duplication, reordering, partitions.

Every link ``a->b`` between two actors (``n1``, ``c2``) has its own random stream
(``"link/n1->c2"``), so traffic on one link never shifts the draws of another. Without
reordering a link is FIFO: a message is never scheduled before an earlier one on the
same link. A reordered message gets an extra delay and skips the FIFO clamp, so later
messages may overtake it.

Which node-to-node links deliver is given by a ``networkx.DiGraph``
(:func:`partition_graph`); a :class:`Partition` replaces it and :class:`Heal` restores
the full mesh. Links are checked at *delivery* time, so a message in flight when a cut
happens is dropped. Clients are never partitioned from the node they talk to (as in
Jepsen, they are pinned to it); their links only add delay.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import networkx as nx

from ackcheck.errors import ConfigError
from ackcheck.schedule import NetworkSpec
from ackcheck.sim.seeds import RngStreams


def full_mesh(nodes: int) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(range(nodes))
    graph.add_edges_from((a, b) for a in range(nodes) for b in range(nodes) if a != b)
    return graph


def partition_graph(nodes: int, shape: str, named: Sequence[int]) -> nx.DiGraph:
    """The links that deliver under partition ``shape`` (see ``schedule.Partition``).

    ``bridge``: ``named[0]`` reaches everyone; the other nodes of the cluster, in id
    order, form two halves (the first one gets the extra node when odd) that cannot
    reach each other.
    """
    everyone = range(nodes)
    named_set = frozenset(named)
    graph = full_mesh(nodes)
    if shape == "split":
        cut = [(a, b) for a in everyone for b in everyone if (a in named_set) != (b in named_set)]
    elif shape == "bridge":
        bridge = min(named_set) if named_set else 0
        rest = [n for n in everyone if n != bridge]
        first = frozenset(rest[: (len(rest) + 1) // 2])
        second = frozenset(rest) - first
        cut = [(a, b) for a in everyone for b in everyone
               if (a in first and b in second) or (a in second and b in first)]
    elif shape == "one-way":
        cut = [(a, b) for a in named_set for b in everyone if b not in named_set]
    else:
        raise ConfigError(f"unknown partition shape {shape!r}")
    graph.remove_edges_from(cut)
    return graph


#: (nodes, shape, named) -> the links that deliver; ``shape`` "" is the full mesh. A run
#: reads these sets once per partition; building a DiGraph each time also left a
#: reference cycle (the graph and its cached views) for the cyclic collector.
_LINKS: dict[tuple[int, str, tuple[int, ...]], frozenset[tuple[int, int]]] = {}


def delivering_links(
    nodes: int, shape: str = "", named: Sequence[int] = ()
) -> frozenset[tuple[int, int]]:
    """The ``(src, dst)`` links that deliver under partition ``shape`` (the full mesh for
    ``""``), computed once per process."""
    key = (nodes, shape, tuple(named))
    links = _LINKS.get(key)
    if links is None:
        if len(_LINKS) >= 4_096:  # many distinct partitions of large clusters
            _LINKS.clear()
        graph = partition_graph(nodes, shape, named) if shape else full_mesh(nodes)
        links = _LINKS[key] = frozenset(graph.edges)
    return links


class SimNetwork:
    """Decides when (and whether) each message arrives; the transport schedules it."""

    def __init__(self, nodes: int, spec: NetworkSpec, streams: RngStreams) -> None:
        self.nodes = nodes
        self.spec = spec
        self._streams = streams
        self._links: dict[tuple[str, str], random.Random] = {}
        self._last: dict[tuple[str, str], int] = {}
        self._plain = not (spec.loss or spec.duplicate or spec.reorder)
        self._mesh = delivering_links(nodes)
        self._edges = self._mesh  # the (src, dst) node links that deliver now

    # ---------------------------------------------------------------------- partitions

    def partition(self, shape: str, named: Sequence[int]) -> None:
        self._edges = delivering_links(self.nodes, shape, named)

    def heal(self) -> None:
        self._edges = self._mesh

    def connected(self, src: int, dst: int) -> bool:
        """Does the link ``src->dst`` deliver now? A node always reaches itself."""
        return src == dst or (src, dst) in self._edges

    @property
    def links(self) -> frozenset[tuple[int, int]]:
        """The ``(src, dst)`` node links that deliver now."""
        return self._edges

    def is_partitioned(self) -> bool:
        return len(self._edges) != self.nodes * (self.nodes - 1)

    # ------------------------------------------------------------------------ delivery

    def _rng(self, src: str, dst: str) -> random.Random:
        key = (src, dst)
        rng = self._links.get(key)
        if rng is None:
            rng = self._streams.get(f"link/{src}->{dst}")
            self._links[key] = rng
        return rng

    def arrivals(self, now: int, src: str, dst: str, lossy: bool = True) -> list[int]:
        """Arrival times of one message sent now on link ``src->dst`` (actor names:
        ``"n1"`` for a node, ``"c2"`` for a client): empty if lost, two if duplicated.
        Client links (``lossy=False``) only add delay and stay FIFO."""
        spec = self.spec
        rng = self._rng(src, dst)
        key = (src, dst)
        if self._plain or not lossy:  # the common case: delay and FIFO only
            return [self._fifo(key, now + uniform_int(rng, spec.min_delay, spec.max_delay))]
        if spec.loss and rng.random() < spec.loss:
            return []
        copies = 2 if spec.duplicate and rng.random() < spec.duplicate else 1
        times = []
        for _ in range(copies):
            at = now + uniform_int(rng, spec.min_delay, spec.max_delay)
            if spec.reorder and rng.random() < spec.reorder:
                at += uniform_int(rng, 0, spec.max_delay)  # may be overtaken; no FIFO clamp
            else:
                at = self._fifo(key, at)
            times.append(at)
        return times

    def _fifo(self, key: tuple[str, str], at: int) -> int:
        """Never before the last message scheduled on the link: links are FIFO."""
        last = self._last.get(key, 0)
        if at < last:
            at = last
        self._last[key] = at
        return at


def uniform_int(rng: random.Random, lo: int, hi: int) -> int:
    """Uniform in ``[lo, hi]`` from one ``random()`` draw. One delay is drawn per message,
    which makes this the network's hottest line: ``randint``'s rejection sampling took
    1.8 draws on average for the default delays and three layers of calls. (The bias of
    scaling 53 random bits to a range of thousands is below 10^-12.)"""
    return lo + int(rng.random() * (hi - lo + 1))
