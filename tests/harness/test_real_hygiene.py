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
from ackcheck.schedule import US_PER_S, Schedule, Workload

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


def _assert_nothing_left(runs: Path, attempt: object, err: str) -> None:
    deadline = time.monotonic() + 10  # killed processes may take a moment to vanish
    while time.monotonic() < deadline and (_leftover_processes(str(runs))
                                           or list(runs.iterdir())):
        time.sleep(0.1)
    assert _leftover_processes(str(runs)) == [], (attempt, err[-2000:])
    assert _leftover_mounts(str(runs)) == [], attempt
    assert list(runs.iterdir()) == [], (attempt, err[-2000:])


def _interrupt_runs(tmp_path: Path, signals: tuple[signal.Signals, ...], attempts: int,
                    seed: int, latest: float) -> None:
    """Start the replay script ``attempts`` times, send ``signals`` (a seeded random
    moment up to ``latest`` s in, up to 0.3 s apart) and check nothing is left."""
    require_fuse()
    runs = tmp_path / "runs"
    runs.mkdir()
    script = tmp_path / "replay.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "ACKCHECK_TMPDIR": str(runs)}
    rng = random.Random(seed)  # seeded: the moments are reproducible
    for attempt in range(attempts):
        proc = subprocess.Popen(
            [sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "starting"
        time.sleep(rng.uniform(0.2, latest))  # startup, load, faults or final phase
        for sig in signals:
            proc.send_signal(sig)
            time.sleep(rng.uniform(0.0, 0.3) if len(signals) > 1 else 0)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"attempt {attempt}: the replay did not stop after {signals}")
        _, err = proc.communicate()
        assert proc.returncode != 0, "the run finished before it was interrupted"
        _assert_nothing_left(runs, attempt, err)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_replays_leave_nothing_behind(tmp_path, sig):
    _interrupt_runs(tmp_path, (sig,), attempts=3, seed=1234 + int(sig), latest=7.0)


def test_repeated_signals_int_int_term_leave_nothing_behind(tmp_path):
    """Ctrl-C, Ctrl-C again while cleanup runs, then a SIGTERM: four times, at seeded
    random moments; every time no process, mount or work dir is left."""
    _interrupt_runs(tmp_path, (signal.SIGINT, signal.SIGINT, signal.SIGTERM), attempts=4,
                    seed=4242, latest=6.0)


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



def _short_trace(path: Path) -> Path:
    from ackcheck.model import make_node, resolve_config
    from ackcheck.sim import simulate
    from ackcheck.traces import make_trace, save_trace

    schedule = Schedule(nodes=3, duration=US_PER_S, settle=3 * US_PER_S,
                        workload=Workload(writes=15, interval=20_000))
    config = resolve_config("nats-2.12.1")
    result = simulate(schedule, make_node, config)
    return save_trace(make_trace(
        preset="nats-2.12.1", overrides=(), config=config, node="raft", schedule=schedule,
        properties=["ack-implies-durable"], violation=None,
        history=result.history, digest=result.digest,
    ), path)


def test_an_interrupted_repeat_prints_the_finished_runs(tmp_path):
    require_fuse()
    runs = tmp_path / "runs"
    runs.mkdir()
    trace = _short_trace(tmp_path / "short.json")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from ackcheck.app.cli import main; main()", "replay",
         str(trace), "--nats", "2.12.1", "--repeat", "5"],
        env={**os.environ, "ACKCHECK_TMPDIR": str(runs)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()  # "run 1/5: ..." once the first run is judged
    assert first.startswith("run 1/5: "), first
    time.sleep(1.0)  # into the second run
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "real #1" in out and "interrupted: 1 run(s) finished" in out, out
    assert "ackcheck: interrupted" in err and "Traceback" not in err, err
    _assert_nothing_left(runs, "repeat", err)


@pytest.mark.parametrize("setup, message", [
    ("missing", "does not exist"),
    ("file", "is not a directory"),
    ("readonly", "ACKCHECK_TMPDIR="),
])
def test_a_bad_ackcheck_tmpdir_is_one_line_and_exit_2(tmp_path, setup, message):
    trace = _short_trace(tmp_path / "short.json")
    if setup == "missing":
        tmpdir = tmp_path / "nope"
    elif setup == "file":
        tmpdir = tmp_path / "a-file"
        tmpdir.write_text("x")
    else:  # a read-only file system: root may write anywhere else
        tmpdir = Path("/proc/self")
    proc = subprocess.run(
        [sys.executable, "-c", "from ackcheck.app.cli import main; main()", "replay",
         str(trace), "--nats", "2.12.1"],
        env={**os.environ, "ACKCHECK_TMPDIR": str(tmpdir)}, capture_output=True, text=True,
        timeout=120, check=False,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ackcheck: error: "), proc.stderr
    assert message in lines[0]


def test_an_ackcheck_cache_that_is_a_file_is_one_line_and_exit_2(tmp_path):
    trace = _short_trace(tmp_path / "short.json")
    cache = tmp_path / "cache-file"
    cache.write_text("x")
    for args in (["replay", str(trace), "--nats", "2.12.1"], ["nats", "list"]):
        proc = subprocess.run(
            [sys.executable, "-c", "from ackcheck.app.cli import main; main()", *args],
            env={**os.environ, "ACKCHECK_CACHE": str(cache)}, capture_output=True,
            text=True, timeout=120, check=False,
        )
        assert proc.returncode == 2, proc.stdout + proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert lines == [f"ackcheck: error: ACKCHECK_CACHE={cache} is not a directory"], (
            proc.stderr)
