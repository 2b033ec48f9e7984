"""Real-cluster runs leave nothing behind, even when interrupted (SIGINT/SIGTERM) at
random moments: no nats-server, no FUSE mount or server, no proxy, no temp dir."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ackcheck.harness.pytest_fixtures import require_fuse

pytestmark = pytest.mark.nats

SCRIPT = textwrap.dedent(
    """
    import sys
    from ackcheck.harness.replay import replay_schedule
    from ackcheck.harness.driver import RunOptions
    from ackcheck.schedule import *
    s = Schedule(
        nodes=3, duration=6 * US_PER_S, settle=10 * US_PER_S,
        workload=Workload(clients=3, writes=3000, interval=2000, timeout=US_PER_S, start=0),
        faults=(
            TimedFault(1_000_000, Partition(shape="split", nodes=(0,))),
            TimedFault(2_000_000, Pause(node=1)),
            TimedFault(3_000_000, PowerFailure(nodes=(1, 2))),
            TimedFault(4_000_000, Restart(node=2)),
        ),
    )
    print("starting", flush=True)
    replay_schedule(s, version="2.12.1", options=RunOptions(pipeline=4))
    print("finished", flush=True)
    """
)


def _leftover_processes(marker: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline:
            found.append(f"{entry.name}: {cmdline[:120]}")
    return found


def _leftover_mounts(marker: str) -> list[str]:
    with open("/proc/self/mounts") as mounts:
        return [line.split()[1] for line in mounts if marker in line]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_replays_leave_nothing_behind(tmp_path, sig):
    require_fuse()
    runs = tmp_path / "runs"
    runs.mkdir()
    script = tmp_path / "replay.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "ACKCHECK_TMPDIR": str(runs)}
    rng = random.Random(1234 + int(sig))  # seeded: the moments are reproducible
    for attempt in range(3):
        proc = subprocess.Popen(
            [sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "starting"
        time.sleep(rng.uniform(0.2, 7.0))  # startup, load, faults or final phase
        proc.send_signal(sig)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"attempt {attempt}: the replay did not stop after {sig.name}")
        proc.stdout.close()
        assert proc.stderr is not None
        err = proc.stderr.read()
        proc.stderr.close()
        assert proc.returncode != 0, "the run finished before it was interrupted"
        deadline = time.monotonic() + 10  # killed processes may take a moment to vanish
        while time.monotonic() < deadline and _leftover_processes(str(runs)):
            time.sleep(0.1)
        assert _leftover_processes(str(runs)) == [], (attempt, err[-2000:])
        assert _leftover_mounts(str(runs)) == [], attempt
        assert list(runs.iterdir()) == [], (attempt, err[-2000:])


def test_keep_leaves_the_data_dirs_but_no_process_or_mount(tmp_path, monkeypatch):
    require_fuse()
    from ackcheck.harness.replay import replay_schedule
    from ackcheck.schedule import US_PER_S, Crash, Schedule, TimedFault, Workload

    monkeypatch.setenv("ACKCHECK_TMPDIR", str(tmp_path))
    schedule = Schedule(
        nodes=3, duration=US_PER_S, settle=5 * US_PER_S,
        workload=Workload(clients=3, writes=30, interval=10_000, start=0),
        faults=(TimedFault(500_000, Crash(node=1)),),
    )
    history, kept = replay_schedule(schedule, version="2.12.1", keep=True)
    assert kept is not None and Path(kept).parent == tmp_path
    assert len(history.acked()) > 0
    blocks = list(Path(kept).glob("n*/backing/jetstream/**/*.blk"))
    assert blocks, "the kept backing dirs hold the servers' stores"
    assert _leftover_processes(str(tmp_path)) == []
    assert _leftover_mounts(str(tmp_path)) == []
