"""Bad input and a missing environment give one clear line (HarnessError, exit 2)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from ackcheck.errors import HarnessError
from ackcheck.harness.cluster import NatsCluster
from ackcheck.harness.proxy import free_ports
from ackcheck.history import History
from ackcheck.schedule import Schedule
from ackcheck.traces import make_trace, save_trace
from ackcheck.traces.store import events_digest

pytestmark = pytest.mark.nats


def test_a_taken_port_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ACKCHECK_TMPDIR", str(tmp_path))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        cluster = NatsCluster(3, "2.12.1", fuse=False, client_ports=[port, *free_ports(2)])
        with pytest.raises(HarnessError, match=f"port {port} on 127.0.0.1 is already in use"):
            cluster.__enter__()
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def _trace_file(tmp_path):
    schedule = Schedule(nodes=3)
    trace = make_trace(
        preset=None, overrides=(), config={"fsync": "2m"}, node="raft", schedule=schedule,
        properties=None, violation=None, history=History(nodes=3), digest=events_digest(()),
    )
    return save_trace(trace, tmp_path / "t.json")


def _replay(tmp_path, version: str, *args: str, path_env: str | None = None):
    """``ackcheck replay TRACE --nats VERSION ARGS`` in a fresh process."""
    env = dict(os.environ)
    if path_env is not None:
        env["PATH"] = path_env
    env["ACKCHECK_TMPDIR"] = str(tmp_path / "runs")
    (tmp_path / "runs").mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-c", "from ackcheck.app.cli import main; main()", "replay",
         str(_trace_file(tmp_path)), "--nats", version, *args],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )


def test_missing_fuse_is_one_line_and_exit_2(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    proc = _replay(tmp_path, "2.12.1", path_env=str(empty))  # no fusermount3 on PATH
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "FUSE is unavailable: fusermount3 is not installed" in proc.stderr
    assert list((tmp_path / "runs").iterdir()) == []


def test_unknown_version_in_a_replay_is_one_line_and_exit_2(tmp_path):
    proc = _replay(tmp_path, "0.0.1")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "0.0.1" in proc.stderr
