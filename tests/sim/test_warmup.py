"""Warm starts (``Workload.warm``): the run begins from a durable prefix every node
holds, as a long-running cluster does, without simulating the minutes before it."""

from __future__ import annotations

import pytest

from ackcheck.errors import ConfigError
from ackcheck.model import make_node, resolve_config
from ackcheck.properties import check
from ackcheck.schedule import NetworkSpec, PowerFailure, Schedule, TimedFault, Workload
from ackcheck.sim import simulate
from ackcheck.traces.codec import schedule_from_dict, schedule_to_dict

WARM = Workload(writes=60, warm=24)
EVERYONE = PowerFailure((0, 1, 2, 3, 4))


def _run(preset: str, workload: Workload = WARM, faults=(), seed: int = 3):
    schedule = Schedule(nodes=5, seed=seed, workload=workload,
                        faults=tuple(TimedFault(t, f) for t, f in faults))
    return simulate(schedule, make_node, resolve_config(preset))


def test_warm_writes_are_acked_at_time_zero_and_the_run_publishes_the_rest():
    history = _run("nats-2.12.1").history
    warm = {v for vs in WARM.warm_values() for v in vs}
    assert len(warm) == 24
    oks = [op for op in history.ops if op.f == "publish" and op.type == "ok"]
    assert {op.value for op in oks if op.time == 0} == warm
    assert not any(op.value in warm for op in history.ops if op.time > 0)
    assert all(len(r.entries) >= 24 for r in history.final_reads)


def test_the_warm_prefix_survives_a_power_failure_of_every_node():
    """The lazy-fsync preset loses the run's writes to a coordinated power failure, but
    not the prefix the warm-up synced: what a long-running NATS cluster holds."""
    history = _run("nats-2.12.1", faults=[(1_500_000, EVERYONE)]).history
    warm = {v for vs in WARM.warm_values() for v in vs}
    (violation,) = check(history, ["ack-implies-durable"])
    assert violation.data["lost"], "the run's unsynced writes are lost"
    assert not warm & set(violation.data["lost"])
    assert all(warm <= {v for _, v in r.entries} for r in history.final_reads)


def test_a_cold_run_of_the_same_preset_comes_back_empty():
    cold = _run("nats-2.12.1", Workload(writes=60), faults=[(1_500_000, EVERYONE)])
    assert all(r.entries == () for r in cold.history.final_reads)


def test_warm_runs_are_deterministic():
    a = _run("nats-2.12.1", faults=[(900_000, EVERYONE)])
    b = _run("nats-2.12.1", faults=[(900_000, EVERYONE)])
    assert a.digest == b.digest
    assert a.digest != _run("nats-2.12.1", faults=[(900_000, EVERYONE)], seed=4).digest


def test_warm_is_bounded_by_writes():
    with pytest.raises(ConfigError, match="warm"):
        Workload(writes=10, warm=11)
    with pytest.raises(ConfigError, match="warm"):
        Workload(warm=-1)


def test_traces_carry_warm_only_when_set():
    cold = Schedule()
    assert "warm" not in schedule_to_dict(cold)["workload"]  # old traces stay byte-stable
    warm = Schedule(workload=WARM)
    assert schedule_to_dict(warm)["workload"]["warm"] == 24
    assert schedule_from_dict(schedule_to_dict(warm)) == warm


def test_a_cluster_that_cannot_ack_cannot_start_warm():
    """A network that loses every message elects no leader: the warm-up says so."""
    schedule = Schedule(nodes=3, workload=Workload(writes=6, warm=3),
                        network=NetworkSpec(loss=1.0))
    with pytest.raises(ConfigError, match="warm-up: 0 of 3"):
        simulate(schedule, make_node, resolve_config("raft"))
