"""A model counterexample replayed on a real 5-node cluster: the verdicts side by side."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ackcheck.app._runner import run_once
from ackcheck.harness.pytest_fixtures import require_fuse
from ackcheck.harness.replay import replay_on_nats
from ackcheck.model import resolve_config
from ackcheck.schedule import US_PER_S, PowerFailure, Schedule, TimedFault
from ackcheck.traces import make_trace, save_trace

pytestmark = pytest.mark.nats

SCHEDULE = Schedule(
    nodes=5,
    duration=2 * US_PER_S,
    settle=3 * US_PER_S,
    faults=(TimedFault(800_000, PowerFailure(nodes=(0, 1, 2, 3, 4))),),
)


@pytest.fixture(scope="module")
def trace():
    config = resolve_config("nats-2.12.1", [])
    outcome = run_once(config, SCHEDULE, properties=["ack-implies-durable"])
    assert outcome.violations, "the model should predict the loss"
    return make_trace(
        preset="nats-2.12.1", overrides=(), config=config, node="raft", schedule=SCHEDULE,
        properties=["ack-implies-durable"], violation=outcome.violations[0],
        history=outcome.history, digest=outcome.digest,
    )


def test_model_power_failure_counterexample_reproduces_on_2_12_1(trace):
    require_fuse()
    report = replay_on_nats(trace, "2.12.1")
    assert report.sync_interval == "2m"  # from the preset's fsync knob
    assert report.expected == "ack-implies-durable"
    (run,) = report.runs
    assert run.reproduced and report.exit_code == 1
    assert run.verdict.lost > 0 and run.verdict.acked > 0
    assert run.history.source == "nats-server 2.12.1"
    assert len(run.history.final_reads) == 5
    text = report.render()
    assert "model" in text and "real #1" in text and "violated in 1/1" in text


def test_the_same_schedule_with_fsync_always_holds_on_the_real_cluster(trace, tmp_path):
    require_fuse()
    path = save_trace(trace, tmp_path / "pf.json")
    proc = subprocess.run(
        # The documented entry point: ackcheck replay TRACE --nats VERSION --set ...
        [sys.executable, "-c", "from ackcheck.app.cli import main; main()", "replay",
         str(path), "--nats", "2.12.1", "--set", "fsync=always", "--repeat", "2",
         "--time-scale", "1", "--log-files", "both"],
        capture_output=True, text=True, timeout=120, env=dict(os.environ), check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "sync_interval=always" in proc.stdout
    assert "violated in 0/2" in proc.stdout
    assert "real #1" in proc.stdout and "real #2" in proc.stdout
