"""The lose-unsynced-writes file system on its own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ackcheck.errors import HarnessError
from ackcheck.harness.lazyfs import PAGE, LazyMount, fuse_unavailable_reason, is_mounted

pytestmark = pytest.mark.skipif(
    fuse_unavailable_reason() is not None,
    reason=f"FUSE unavailable: {fuse_unavailable_reason()}",
)


@pytest.fixture
def mount(tmp_path: Path):
    m = LazyMount(tmp_path / "backing", tmp_path / "mnt", tmp_path / "ctl.sock")
    m.start()
    try:
        yield m
    finally:
        m.stop()
    assert not is_mounted(tmp_path / "mnt")


def _write(path: Path, data: bytes, *, fsync: bool = False, flags: int = 0) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | flags, 0o644)
    try:
        os.write(fd, data)
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)


def test_fsynced_data_survives_a_drop_and_unsynced_does_not(mount):
    root = mount.mountpoint
    _write(root / "synced", b"durable", fsync=True)
    _write(root / "unsynced", b"volatile")
    with open(root / "synced", "ab") as f:
        f.write(b"+tail")  # appended after the fsync: lost
    assert (root / "synced").read_bytes() == b"durable+tail"  # visible before the drop
    assert (root / "unsynced").read_bytes() == b"volatile"
    assert "files=2" in mount.status()
    mount.drop()
    assert (root / "synced").read_bytes() == b"durable"
    assert (root / "unsynced").read_bytes() == b""  # the create passed through; data did not
    assert (mount.backing / "synced").read_bytes() == b"durable"
    assert "files=0" in mount.status()


def test_o_sync_and_o_dsync_writes_survive(mount):
    _write(mount.mountpoint / "osync", b"sync", flags=os.O_SYNC)
    _write(mount.mountpoint / "odsync", b"dsync", flags=os.O_DSYNC)
    mount.drop()
    assert (mount.mountpoint / "osync").read_bytes() == b"sync"
    assert (mount.mountpoint / "odsync").read_bytes() == b"dsync"


def test_unsynced_overwrite_in_the_middle_reverts(mount):
    path = mount.mountpoint / "f"
    old = bytes(range(256)) * (3 * PAGE // 256)  # spans several pages
    _write(path, old, fsync=True)
    with open(path, "r+b") as f:
        f.seek(PAGE - 3)
        f.write(b"XXXXXX")  # straddles a page boundary
    now = path.read_bytes()
    assert now[PAGE - 3 : PAGE + 3] == b"XXXXXX" and len(now) == len(old)
    mount.drop()
    assert path.read_bytes() == old


def test_rename_unlink_mkdir_and_truncate_pass_through(mount):
    root = mount.mountpoint
    _write(root / "a.tmp", b"0123456789", fsync=True)
    os.rename(root / "a.tmp", root / "a")
    (root / "dir").mkdir()
    _write(root / "dir" / "gone", b"x", fsync=True)
    os.unlink(root / "dir" / "gone")
    os.truncate(root / "a", 4)
    mount.drop()
    assert sorted(os.listdir(mount.backing)) == ["a", "dir"]
    assert os.listdir(mount.backing / "dir") == []
    assert (root / "a").read_bytes() == b"0123"
    assert (mount.backing / "a").read_bytes() == b"0123"


def test_unsynced_data_follows_a_rename_and_a_later_fsync(mount):
    root = mount.mountpoint
    fd = os.open(root / "tmp", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.write(fd, b"payload")
        os.rename(root / "tmp", root / "final")
        os.fsync(fd)
    finally:
        os.close(fd)
    mount.drop()
    assert (root / "final").read_bytes() == b"payload"


def test_unknown_control_command_is_a_clear_error(mount):
    with pytest.raises(HarnessError, match="unknown command"):
        mount.ask("format-disk")


def test_mount_on_a_missing_fuse_binary_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no fusermount3 on this PATH
    m = LazyMount(tmp_path / "b", tmp_path / "m", tmp_path / "c.sock")
    with pytest.raises(HarnessError, match="FUSE is unavailable: fusermount3"):
        m.start()
