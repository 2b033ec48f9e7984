"""Steering on a real cluster: the model's winner becomes the stream leader, confirmed by
the servers' own /jsz, by a step-down with a preferred peer or by cut links."""

from __future__ import annotations

import asyncio

import pytest

from ackcheck.harness.config import STREAM
from ackcheck.harness.driver import stream_settled
from ackcheck.harness.steering import (
    LeaderTarget,
    Steerer,
    confirmed_leader,
    raft_states,
    stream_leaders,
)
from ackcheck.harness.waiting import wait_until
from ackcheck.harness.workload import create_stream

pytestmark = pytest.mark.nats


def _ready(cluster) -> None:
    asyncio.run(create_stream(cluster.nodes[0].client_url, cluster.size))
    assert asyncio.run(wait_until(lambda: not stream_settled(cluster), 30))


def test_steering_moves_the_leadership_and_restores_the_links(nats_cluster_factory):
    cluster = nats_cluster_factory(3)
    _ready(cluster)
    leader = confirmed_leader(cluster)
    assert leader is not None
    others = [i for i in range(3) if f"n{i}" != leader]
    steerer = Steerer(cluster, wait_s=30)
    base = frozenset({(others[0], others[1])})  # a one-way cut of the schedule's own
    cluster.set_blocked(base)
    for want in others:
        step = asyncio.run(steerer.enforce(LeaderTarget(0, want, 2, (), 0), base))
        assert step.took, step.line()
        assert step.leader == f"n{want}"
        assert stream_leaders(cluster)[want] == f"n{want}"  # its own /jsz says so
        assert raft_states(cluster)[want]["state"] == "LEADER"  # and its Raft group
        assert cluster.blocked == base  # the schedule's partition is back
    # already leading: nothing to do
    step = asyncio.run(steerer.enforce(LeaderTarget(0, others[-1], 3, (), 0), base))
    assert step.took and step.actions == ()
    assert len(steerer.steps) == 3
    assert cluster.stream_state(others[-1], STREAM) is not None


def test_isolation_elects_the_winner_when_there_is_no_leader(nats_cluster_factory):
    """Five nodes, the leader killed: the cut links leave only the model's winner able
    to gather three votes."""
    cluster = nats_cluster_factory(5)
    _ready(cluster)
    leader = confirmed_leader(cluster)
    assert leader is not None
    cluster.crash(int(leader[1:]))
    want = max(i for i in range(5) if f"n{i}" != leader)
    voters = tuple(i for i in range(5) if i not in (want, int(leader[1:])))
    step = asyncio.run(Steerer(cluster, wait_s=40).enforce(
        LeaderTarget(0, want, 5, voters, 1), frozenset()))
    assert step.took, step.line()
    assert any("cut" in a for a in step.actions)
    assert cluster.blocked == frozenset()
