"""Steer the real cluster's elections to the model's outcome.

Where a model's loss rests on who wins an election after the faults (a damaged node must
lead; a node that lost its page cache must vote for a stale candidate), a real replay
that leaves elections to chance tests something else: NATS' election timeouts are 4-9 s
(server/raft.go:259-260 at v2.12.1) where the model's are 150-300 ms, and whoever times
out first wins. So the leader timeline is read from the model's history and enforced on
the real cluster with what a real network or operator could do:

* **Who and when.** Every ``leader`` observation of the model (node, term, time) with
  the nodes whose granted ``VoteReply`` elected it (the recorded sends), enforced at its
  model time in the fault phase (after the faults before it), in order in the final
  phase.
* **How.** A server leading now that voted for the winner in the model is asked, once
  the winner is one of its current replicas, to step down in favour of the winner
  (``$JS.API.STREAM.LEADER.STEPDOWN`` with a preferred peer: nats-server >= 2.11.0,
  server/jetstream_api.go:2396 and ``getStepDownPreferredPlacement`` :3240 at v2.12.1),
  again every few seconds while it leads; one that did not vote for it is never asked
  (a handover would give the winner its log). Then the links of every node that did
  not vote for the winner are cut, and so are the links between any two of its
  voters, through the per-link route proxies: a candidate other than the winner can
  gather at most its own vote and the winner's, short of a majority of five (of three
  it may still win; then the repeated step-down moves the leadership).
* **Confirmed.** Only the servers say who leads: the winner's Raft group must be LEADER
  and a majority of the cluster must follow it in its term (``/raftz``), and its own
  ``/jsz`` must name it stream leader. Each step records whether
  it took, how long it waited and what it did; then the schedule's own partition is put
  back.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Iterable
from typing import Any

import attrs

from ackcheck.harness.cluster import NatsCluster
from ackcheck.harness.config import STREAM
from ackcheck.harness.waiting import wait_until
from ackcheck.harness.workload import request_stepdown
from ackcheck.history import History
from ackcheck.schedule import Schedule

_POLL_S = 0.1
STREAM_GONE_S = 3.0  # no server has had the stream this long: it is gone
ACCOUNT = "$G"  # the account the harness's stream lives in (the default one)
_STEPDOWN_EVERY_S = 3.0
# nats-server releases whose stream step-down takes a preferred peer
PREFERRED_STEPDOWN_SINCE = (2, 11, 0)


@attrs.frozen
class LeaderTarget:
    """An election the model had: ``node`` won ``term`` at model time ``at`` with the
    granted votes of ``voters`` (empty when the history holds no vote messages).
    ``after`` is how many of the schedule's faults (in time order) came before it;
    ``final`` marks the final phase's."""

    at: int
    node: int
    term: int
    voters: tuple[int, ...]
    after: int
    final: bool = False

    def cut(self, nodes: int, up: Iterable[int] | None = None) -> set[tuple[int, int]]:
        """The links to cut for this election (see :func:`isolation`)."""
        return isolation(nodes, self.node, self.voters, range(nodes) if up is None else up)

    def describe(self) -> str:
        votes = f" with votes of {','.join(f'n{v}' for v in self.voters)}" if self.voters else ""
        return f"n{self.node} leads term {self.term}{votes}"


@attrs.frozen
class SteerStep:
    """What enforcing one :class:`LeaderTarget` did on the real cluster."""

    target: LeaderTarget
    took: bool
    waited_s: float
    actions: tuple[str, ...]
    leader: str | None  # who the servers said leads at the end

    def line(self) -> str:
        where = "final phase" if self.target.final else f"after fault {self.target.after}"
        state = "took" if self.took else f"did not take (leader {self.leader or 'none'})"
        acts = "; ".join(self.actions) or "nothing to do"
        return (f"{where}: {self.target.describe()}: {state} after {self.waited_s:.1f}s "
                f"({acts})")


def _votes(model: History) -> dict[tuple[int, int], set[int]]:
    """(candidate, term) -> voters whose granted VoteReply was delivered to it, with
    the delivery time of the last one (from the recorded send and deliver events)."""
    sent: dict[Any, tuple[int, int, int]] = {}  # msg_id -> (voter, candidate, term)
    out: dict[tuple[int, int], set[int]] = {}
    for ev in model.events:
        data = ev.data
        if data.get("type") != "VoteReply":
            continue
        if ev.kind == "send":
            msg = data.get("msg") or {}
            to = str(data.get("to", ""))
            if msg.get("granted") and to.startswith("n") and ev.actor.startswith("n"):
                sent[data.get("msg_id")] = (int(ev.actor[1:]), int(to[1:]), int(msg["term"]))
        elif ev.kind == "deliver" and data.get("msg_id") in sent:
            voter, candidate, term = sent[data["msg_id"]]
            out.setdefault((candidate, term), set()).add(voter)
    return out


def leader_targets(schedule: Schedule, model: History | None) -> list[LeaderTarget]:
    """The model's elections in time order, each a target to enforce at its model time
    (a run of elections won by one node with no fault between counts once: its first).
    Those of the final phase (``duration`` on) are marked ``final``."""
    if model is None:
        return []
    times = [tf.at for tf in schedule.sorted_faults()]
    votes = _votes(model)
    out: list[LeaderTarget] = []
    for obs in sorted((o for o in model.observations if o.kind == "leader"),
                      key=lambda o: o.time):
        term = int(obs.data.get("term", 0))
        final = obs.time >= schedule.duration
        after = sum(1 for t in times if t <= obs.time)  # faults at one time run first
        if out and (out[-1].node, out[-1].after, out[-1].final) == (obs.node, after, final):
            continue  # the same node again, no fault in between: nothing to steer
        voters = tuple(sorted(votes.get((obs.node, term), set()) - {obs.node}))
        out.append(LeaderTarget(obs.time, obs.node, term, voters, after, final))
    return out


def isolation(nodes: int, winner: int, voters: Iterable[int], up: Iterable[int]
              ) -> set[tuple[int, int]]:
    """Directed pairs to cut so that only ``winner`` can gather a majority: every link of
    a running node that is not among its voters, and every link between two voters. With
    no voters known, the links between any two running nodes other than the winner."""
    running = set(up) - {winner}
    allowed = set(voters) & running if voters else running
    cut: set[tuple[int, int]] = set()
    for a in range(nodes):
        for b in range(nodes):
            if a == b:
                continue
            outsider = (a != winner and a not in allowed) or (b != winner and b not in allowed)
            both_voters = a in allowed and b in allowed
            if outsider or both_voters:
                cut.add((a, b))
    return cut


def supports_preferred_stepdown(version: str) -> bool:
    try:
        parts = tuple(int(p) for p in version.split(".")[:3])
    except ValueError:
        return False
    return parts >= PREFERRED_STEPDOWN_SINCE


def stream_leaders(cluster: NatsCluster) -> dict[int, str | None]:
    """Each running server's own answer to "who leads the stream?" (``/jsz``)."""
    out: dict[int, str | None] = {}
    for node in cluster.nodes:
        if not node.up or node.paused:
            continue
        detail = cluster.stream_state(node.index, STREAM)
        info = (detail or {}).get("cluster") or {}
        out[node.index] = info.get("leader") or None
    return out


def raft_states(cluster: NatsCluster) -> dict[int, dict[str, Any]]:
    """Each running server's state of the stream's Raft group (``/raftz?acc=$G``: its
    own id, ``state``, ``term`` and the ``leader`` id it follows). ``/jsz`` alone is not
    enough: a restarted leader names itself there for a while, and its followers go on
    naming it until their election timeout."""
    out: dict[int, dict[str, Any]] = {}
    for node in cluster.nodes:
        if not node.up or node.paused:
            continue
        groups = ((node.try_http(f"/raftz?acc={ACCOUNT}") or {}).get(ACCOUNT) or {})
        for name, state in groups.items():
            if name.startswith("S-") and isinstance(state, dict):
                out[node.index] = state
    return out


def confirmed_leader(cluster: NatsCluster) -> str | None:
    """The stream leader as the servers confirm it: its Raft group says LEADER, a
    majority of the cluster follow its id in its term, and its own ``/jsz`` names it
    stream leader; None while there is none."""
    states = raft_states(cluster)
    for index, state in states.items():
        if state.get("state") != "LEADER":
            continue
        me, term = state.get("id"), state.get("term")
        following = sum(1 for s in states.values()
                        if s.get("leader") == me and s.get("term") == term)
        name = cluster.nodes[index].name
        if following > cluster.size // 2 and stream_leaders(cluster).get(index) == name:
            return name
    return None


def log_covers(cluster: NatsCluster, node: int, leader: str) -> bool:
    """Is ``node``'s Raft log (last term, last index: ``/raftz``) at least ``leader``'s?
    Then a handover from ``leader`` gives it nothing it lacks."""
    states = raft_states(cluster)
    index = int(leader[1:]) if leader[1:].isdigit() else -1
    mine, theirs = states.get(node), states.get(index)
    if mine is None or theirs is None:
        return False
    return (int(mine.get("pterm") or 0), int(mine.get("pindex") or 0)) >= (
        int(theirs.get("pterm") or 0), int(theirs.get("pindex") or 0))


def stream_exists_anywhere(cluster: NatsCluster) -> bool:
    return any(cluster.stream_state(n.index, STREAM) is not None
               for n in cluster.nodes if n.up and not n.paused)


def replica_current(cluster: NatsCluster, leader: str, replica: str) -> bool:
    """Does ``leader``'s own ``/jsz`` count ``replica`` as a current replica?"""
    index = int(leader[1:]) if leader[1:].isdigit() else -1
    if not 0 <= index < cluster.size:
        return False
    detail = cluster.stream_state(index, STREAM) or {}
    replicas = (detail.get("cluster") or {}).get("replicas") or []
    return any(r.get("name") == replica and r.get("current") for r in replicas)


class Steerer:
    """Enforces leader targets on one cluster; ``steps`` keeps what each did."""

    def __init__(self, cluster: NatsCluster, wait_s: float) -> None:
        self.cluster = cluster
        self.wait_s = wait_s
        self.preferred = supports_preferred_stepdown(cluster.version)
        self.steps: list[SteerStep] = []

    async def enforce(self, target: LeaderTarget, base: frozenset[tuple[int, int]]
                      ) -> SteerStep:
        """Make ``target.node`` the stream leader, then restore the cut links ``base``
        (the schedule's own partition at this point).

        A server claiming the leadership that voted for the winner in the model (the
        winner then held at least what it held), or whose Raft log the winner's already
        covers, is asked, once the winner is a current replica, to hand over; any other
        is only cut off, never asked, since a handover would bring the winner its log."""
        cluster, want = self.cluster, f"n{target.node}"
        started = time.monotonic()
        actions: list[str] = []
        node = cluster.nodes[target.node]
        if not node.up or node.paused:
            return self._record(target, False, started, [f"{want} is not running"], None)
        leader = await asyncio.to_thread(confirmed_leader, cluster)
        if leader == want:
            return self._record(target, True, started, actions, leader)
        for claimant in await self._handing_over(target):
            if not await wait_until(functools.partial(replica_current, cluster,
                                                      f"n{claimant}", want), self.wait_s / 2):
                actions.append(f"{want} not current under n{claimant}")
            if await request_stepdown(self._urls(claimant), STREAM, want):
                actions.append(f"asked n{claimant} to step down for {want}")
        up = [n.index for n in cluster.nodes if n.up and not n.paused]
        cut = target.cut(cluster.size, up) | base
        cluster.set_blocked(cut)
        outside = sorted(set(up) - {target.node} - set(target.voters)) if target.voters else []
        actions.append(
            f"cut {len(cut - base)} more links"
            + (f" (isolating {','.join(f'n{i}' for i in outside)})" if outside else "")
        )
        try:
            took, leader = await self._wait(target, actions)
        finally:
            cluster.set_blocked(base)
        return self._record(target, took, started, actions, leader)

    async def _handing_over(self, target: LeaderTarget) -> list[int]:
        """Servers claiming the leadership (Raft state LEADER) that may hand it to the
        winner: those that voted for it in the model, or whose log it covers."""
        if not self.preferred:
            return []
        states = await asyncio.to_thread(raft_states, self.cluster)
        out = []
        for index, state in states.items():
            if index == target.node or state.get("state") != "LEADER":
                continue
            if (not target.voters or index in target.voters or await asyncio.to_thread(
                    log_covers, self.cluster, target.node, f"n{index}")):
                out.append(index)
        return out

    async def _wait(self, target: LeaderTarget, actions: list[str]) -> tuple[bool, str | None]:
        """Until the winner is confirmed, the stream is gone, or ``wait_s`` passes; any
        claimant that may hand over is asked again every few seconds."""
        want = f"n{target.node}"
        deadline = time.monotonic() + self.wait_s
        last_stepdown = time.monotonic()
        stepdowns = 0
        missing_since: float | None = None
        leader: str | None = None
        while time.monotonic() < deadline:
            leader = await asyncio.to_thread(confirmed_leader, self.cluster)
            if leader == want:
                break
            if await asyncio.to_thread(stream_exists_anywhere, self.cluster):
                missing_since = None
            elif missing_since is None:
                missing_since = time.monotonic()
            elif time.monotonic() - missing_since >= STREAM_GONE_S:
                actions.append("no server has the stream")
                break
            if time.monotonic() - last_stepdown >= _STEPDOWN_EVERY_S:
                last_stepdown = time.monotonic()
                for claimant in await self._handing_over(target):
                    if await request_stepdown(self._urls(claimant), STREAM, want):
                        stepdowns += 1
            await asyncio.sleep(_POLL_S)
        if stepdowns:
            actions.append(f"asked a leader to step down for {want} x{stepdowns} more")
        return leader == want, leader

    def _urls(self, first: int) -> list[str]:
        """Client URLs to send a request by: server ``first``'s, then the others'."""
        nodes = sorted((n for n in self.cluster.nodes if n.up and not n.paused),
                       key=lambda n: n.index != first)
        return [n.client_url for n in nodes]

    def _record(self, target: LeaderTarget, took: bool, started: float,
                actions: list[str], leader: str | None) -> SteerStep:
        step = SteerStep(target, took, time.monotonic() - started, tuple(actions), leader)
        self.steps.append(step)
        return step
