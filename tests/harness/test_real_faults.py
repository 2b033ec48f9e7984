"""Every fault kind of the shared vocabulary carried out on a real 3-node cluster."""

from __future__ import annotations

import pytest

from ackcheck.harness.cluster import NatsCluster
from ackcheck.harness.driver import RunOptions, run_on_cluster
from ackcheck.harness.pytest_fixtures import require_fuse
from ackcheck.schedule import (
    US_PER_S,
    BitFlip,
    Crash,
    Heal,
    LatentSectorError,
    MisdirectedWrite,
    Partition,
    Pause,
    Restart,
    Resume,
    Schedule,
    TimedFault,
    TornWrite,
    Workload,
)

pytestmark = pytest.mark.nats

MS = 1_000


def test_each_fault_kind_is_carried_out_and_recorded():
    require_fuse()
    faults = (
        TimedFault(300 * MS, Partition(shape="one-way", nodes=(2,))),
        TimedFault(600 * MS, Partition(shape="bridge", nodes=(0,))),
        TimedFault(900 * MS, Heal()),
        TimedFault(1000 * MS, Pause(node=2)),
        TimedFault(1100 * MS, Resume(node=2)),
        TimedFault(1150 * MS, Resume(node=2)),  # not paused: a recorded no-op
        TimedFault(1200 * MS, Crash(node=1)),
        TimedFault(1300 * MS, Restart(node=1)),
        TimedFault(1400 * MS, BitFlip(node=2, target="log", offset=100, bit=3)),
        TimedFault(1500 * MS, Restart(node=2)),  # the flip restarted it: a recorded no-op
        TimedFault(1600 * MS, LatentSectorError(node=2, target="vote", length=4)),
        TimedFault(1700 * MS, TornWrite(node=1)),
        TimedFault(1750 * MS, MisdirectedWrite(node=0)),
    )
    schedule = Schedule(
        nodes=3, duration=2 * US_PER_S, settle=10 * US_PER_S, faults=faults,
        workload=Workload(clients=3, writes=150, interval=10 * MS, timeout=US_PER_S, start=0),
    )
    with NatsCluster(3, "2.12.1", "always") as cluster:
        history = run_on_cluster(cluster, schedule, RunOptions())
    events = [(e.fault.describe(), e.applied, e.note) for e in history.faults]
    assert len(history.faults) == len(faults)
    by_kind = [(e.fault.kind, e.applied) for e in history.faults]
    assert by_kind == [
        ("partition", True), ("partition", True), ("heal", True), ("pause", True),
        ("resume", True), ("resume", False), ("crash", True), ("restart", True),
        ("bit-flip", True), ("restart", False), ("latent-sector-error", True),
        ("torn-write", True), ("misdirected-write", False),
    ], events
    flip = history.faults[8]
    assert "was up: killed first" in flip.note
    # no model history here: the record spanning byte 100, in the stream's block and WAL
    assert flip.note.count("(record at byte") == 2 and "_js_/S-" in flip.note, flip.note
    assert "restarted on it" in flip.note  # as in the simulator: it recovers from the flip
    assert "tav.idx@" in history.faults[10].note
    assert "power failure" in history.faults[11].note
    times = [e.time for e in history.faults]
    assert times == sorted(times)  # the schedule's order is kept
    assert all(e.time >= f.at for e, f in zip(history.faults, faults, strict=True))
    assert all(r.complete for r in history.final_reads), history.final_reads
    assert len(history.acked()) > 0
