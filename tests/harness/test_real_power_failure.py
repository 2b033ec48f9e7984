"""The headline: a coordinated power failure of every node during load loses acked
writes with nats' default sync interval, and loses none with ``sync_interval: always``,
against 2.12.1 and against the newest release."""

from __future__ import annotations

import pytest

from ackcheck.harness.cluster import NatsCluster
from ackcheck.harness.driver import RunOptions, run_on_cluster
from ackcheck.harness.install import resolve_version
from ackcheck.harness.pytest_fixtures import require_fuse
from ackcheck.properties import check
from ackcheck.schedule import US_PER_S, PowerFailure, Schedule, TimedFault, Workload

pytestmark = pytest.mark.nats

LOAD = Schedule(
    nodes=3,
    duration=2 * US_PER_S,
    settle=20 * US_PER_S,
    workload=Workload(clients=3, writes=60_000, interval=1, timeout=2 * US_PER_S, start=0),
    faults=(TimedFault(int(1.5 * US_PER_S), PowerFailure(nodes=(0, 1, 2))),),
)
PIPELINED = RunOptions(pipeline=32, interval_s=0, settle_s=40)


def _run(version: str, sync_interval: str | None):
    require_fuse()
    with NatsCluster(3, version, sync_interval) as cluster:
        history = run_on_cluster(cluster, LOAD, PIPELINED)
    return history, check(history, ["ack-implies-durable"])


@pytest.mark.parametrize("version", ["2.12.1", "latest"])
def test_default_sync_interval_loses_acked_writes(version):
    history, violations = _run(version, None)
    assert history.source == f"nats-server {resolve_version(version)}"
    assert len(history.acked()) > 1000  # load was real
    assert [f.fault.kind for f in history.faults if f.applied] == ["power-failure"]
    reads = [(r.node, len(r.entries), r.complete, r.error) for r in history.final_reads]
    assert all(r.complete for r in history.final_reads), reads
    (violation,) = violations
    assert violation.property == "ack-implies-durable"
    assert len(violation.data["lost"]) > 0


@pytest.mark.parametrize("version", ["2.12.1", "latest"])
def test_sync_always_loses_nothing(version):
    history, violations = _run(version, "always")
    acked = history.acked()
    assert len(acked) > 500
    reads = [(r.node, len(r.entries), r.complete, r.error) for r in history.final_reads]
    assert all(r.complete and not r.error for r in history.final_reads), reads
    for read in history.final_reads:  # every acked value is on every server
        values = {v for _, v in read.entries}
        assert not set(acked) - values
    assert violations == []
