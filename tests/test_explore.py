"""explore(): finds, shrinks and saves counterexamples; a pass never prints one."""

from __future__ import annotations

import pytest

from ackcheck.errors import ConfigError
from ackcheck.explore import explore
from ackcheck.runner import run_once
from ackcheck.schedule import Crash, Partition, PowerFailure
from ackcheck.traces import load_trace


def test_finds_and_shrinks_the_user_protocol_bug(user_node: str, tmp_path) -> None:
    result = explore(
        None, node=user_node, properties=["ack-implies-durable"], budget=30, out=tmp_path
    )
    ce = result.counterexample
    assert ce is not None and ce.shrunk
    assert ce.violation.property == "ack-implies-durable"
    # Fire-and-forget replication: one backup missing messages is all it takes, whether
    # its link is cut or it is down (messages to a down node are dropped, never resent).
    assert len(ce.schedule.faults) == 1
    assert isinstance(ce.schedule.faults[0].fault, Partition | Crash | PowerFailure)
    # The counterexample always replays to the same violation and digest.
    again = run_once(None, ce.schedule, user_node, ["ack-implies-durable"])
    assert again.digest == ce.outcome.digest
    assert [v.property for v in again.violations] == ["ack-implies-durable"]
    # ...and its trace file holds the same run.
    assert ce.trace_path is not None and ce.trace_path.exists()
    assert load_trace(ce.trace_path).digest == ce.outcome.digest


def test_same_seed_same_counterexample(user_node: str) -> None:
    a = explore(None, node=user_node, properties=["ack-implies-durable"], examples=60, seed=7)
    b = explore(None, node=user_node, properties=["ack-implies-durable"], examples=60, seed=7)
    assert a.counterexample is not None and b.counterexample is not None
    assert a.counterexample.schedule == b.counterexample.schedule
    assert a.counterexample.outcome.digest == b.counterexample.outcome.digest


def test_no_faults_no_counterexample(user_node: str) -> None:
    # Without faults the primary/backup protocol is correct: nothing must be reported.
    result = explore(
        None, node=user_node, faults="heal", examples=20, properties=["ack-implies-durable"]
    )
    assert result.ok and result.counterexample is None
    assert result.stats.examples == 20


def test_stats_count_faults_by_kind(user_node: str) -> None:
    result = explore(None, node=user_node, faults="pause,resume", examples=30,
                     properties=["election-safety"])
    assert result.ok
    assert set(result.stats.faults_by_kind) <= {"pause", "resume"}
    assert sum(result.stats.faults_by_kind.values()) > 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"examples": 0},
        {"budget": -1},
        {"workers": 0},
        {"faults": "meteor"},
        {"properties": ["no-such-property"]},
    ],
)
def test_bad_arguments(user_node: str, kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        explore(None, node=user_node, **kwargs)


def test_bad_node_reference() -> None:
    with pytest.raises(ConfigError):
        explore(None, node="no_such_module_xyz:Node", examples=1)
    with pytest.raises(ConfigError):
        explore(None, node="not-a-ref", examples=1)
