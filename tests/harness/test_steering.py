"""Steering: the model's elections read from its history, and the links cut so that
only the model's winner can gather a majority (no cluster needed)."""

from __future__ import annotations

import itertools

import pytest

from ackcheck.harness.steering import (
    isolation,
    leader_targets,
    supports_preferred_stepdown,
)
from ackcheck.model import make_node, resolve_config
from ackcheck.schedule import BitFlip, Partition, Schedule, TimedFault, Workload
from ackcheck.sim import simulate

SCHEDULE = Schedule(
    nodes=5,
    workload=Workload(writes=80, warm=30, interval=100_000),
    faults=(TimedFault(0, Partition("bridge", (1,))),
            TimedFault(450_000, BitFlip(1, "log", 0, 25, 0))),
)


@pytest.fixture(scope="module")
def model():
    return simulate(SCHEDULE, make_node, resolve_config("nats-2.12.1-sync-always")).history


def _granted(model, candidate: int, term: int) -> set[int]:
    """Voters whose granted VoteReply reached ``candidate`` in ``term``, from the events."""
    sent = {
        e.data["msg_id"]: int(e.actor[1:]) for e in model.events
        if e.kind == "send" and e.data.get("type") == "VoteReply"
        and e.data["to"] == f"n{candidate}" and e.data["msg"]["granted"]
        and e.data["msg"]["term"] == term
    }
    return {sent[e.data["msg_id"]] for e in model.events
            if e.kind == "deliver" and e.data.get("msg_id") in sent}


def test_targets_follow_the_models_elections_with_their_voters(model):
    leaders = [o for o in model.observations if o.kind == "leader"]
    targets = leader_targets(SCHEDULE, model)
    assert targets, "the model elected someone"
    for target in targets:
        obs = next(o for o in leaders if o.time == target.at)
        assert (target.node, target.term) == (obs.node, obs.data["term"])
        assert set(target.voters) == _granted(model, target.node, target.term) - {target.node}
        assert target.after == sum(1 for tf in SCHEDULE.faults if tf.at <= target.at)
        assert target.final == (target.at >= SCHEDULE.duration)
    # consecutive targets name different nodes (a re-election of the leader is no step)
    assert all(a.node != b.node or a.final != b.final for a, b in itertools.pairwise(targets))


def test_no_model_history_no_targets():
    assert leader_targets(SCHEDULE, None) == []


@pytest.mark.parametrize("nodes, winner, voters", [
    (5, 0, (1, 2)), (5, 3, (0, 1, 2, 4)), (5, 4, ()), (3, 1, (0,)), (3, 2, ()),
])
def test_only_the_winner_can_gather_a_majority_of_five(nodes, winner, voters):
    up = range(nodes)
    cut = isolation(nodes, winner, voters, up)
    allowed = set(voters) if voters else set(up) - {winner}

    def reachable(a: int) -> set[int]:  # nodes whose vote a candidate a can get
        return {b for b in range(nodes) if b != a and (a, b) not in cut and (b, a) not in cut}

    assert reachable(winner) >= allowed, "the winner keeps every voter"
    quorum = nodes // 2 + 1
    for other in set(up) - {winner}:
        votes = 1 + len(reachable(other))
        if nodes >= 5:
            assert votes < quorum, (other, sorted(reachable(other)))
        else:  # of three, a voter may still win with the winner's vote: step-down then
            assert reachable(other) <= {winner}


def test_preferred_stepdown_needs_2_11():
    assert supports_preferred_stepdown("2.12.1") and supports_preferred_stepdown("2.15.1")
    assert not supports_preferred_stepdown("2.10.26")
    assert not supports_preferred_stepdown("not-a-version")
