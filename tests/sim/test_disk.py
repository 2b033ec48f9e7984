"""SimDisk semantics: page cache vs durable bytes, faults, tags, residency and losses."""

from __future__ import annotations

import pytest

from ackcheck.node import ReadError
from ackcheck.sim.disk import SimDisk


def test_write_without_fsync_is_lost_on_power_failure() -> None:
    d = SimDisk()
    d.write("log/a", b"hello", None, ("v1",))
    assert d.read("log/a") == b"hello"
    d.power_fail()
    assert d.read("log/a") == b""
    assert d.lost == [("log/a", ("v1",), "power-failure")]


def test_fsynced_bytes_survive_power_failure() -> None:
    d = SimDisk()
    d.write("log/a", b"hello", None, ("v1",))
    d.fsync("log/a")
    d.write("log/a", b" world", None, ("v2",))
    d.power_fail()
    assert d.read("log/a") == b"hello"
    assert d.lost == [("log/a", ("v2",), "power-failure")]
    assert d.residency() == (("v1",), ())


def test_created_but_never_synced_file_exists_empty() -> None:
    d = SimDisk()
    d.write("vote/x", b"term=3", None, ())
    d.power_fail()
    assert d.names() == ["vote/x"]
    assert d.read("vote/x") == b""


def test_rename_and_delete_are_durable_at_once() -> None:
    d = SimDisk()
    d.write("snap/tmp", b"abc", None, ("a",))
    d.fsync("snap/tmp")
    d.write("snap/old", b"zzz", None, ("z",))
    d.fsync("snap/old")
    assert d.rename("snap/tmp", "snap/old")
    d.write("log/gone", b"q", None, ())
    d.fsync("log/gone")
    assert d.delete("log/gone")
    d.power_fail()
    assert d.names() == ["snap/old"]
    assert d.read("snap/old") == b"abc"
    assert ("snap/old", ("z",), "rename") in d.lost
    assert not d.delete("log/gone")
    assert not d.rename("nope", "x")


def test_rename_keeps_unsynced_data_volatile() -> None:
    d = SimDisk()
    d.write("snap/tmp", b"abc", None, ())
    d.rename("snap/tmp", "snap/final")
    d.power_fail()
    assert d.read("snap/final") == b""


def test_truncate_is_a_data_change_durable_on_fsync() -> None:
    d = SimDisk()
    d.write("log/a", b"0123456789", None, ())
    d.fsync("log/a")
    d.truncate("log/a", 4)
    assert d.read("log/a") == b"0123"
    d.power_fail()
    assert d.read("log/a") == b"0123456789"
    d.truncate("log/a", 4)
    d.fsync("log/a")
    d.power_fail()
    assert d.read("log/a") == b"0123"


def test_truncate_losses_name_recovery() -> None:
    d = SimDisk()
    d.write("log/a", b"aaa", None, ("a",))
    d.write("log/a", b"bbb", None, ("b",))
    d.fsync("log/a")
    d.truncate("log/a", 4)
    assert d.lost == []  # the durable copy is still there until an fsync
    assert d.residency() == (("a", "b"), ())
    d.fsync("log/a")
    assert d.lost == [("log/a", ("b",), "truncate")]
    d.lost.clear()
    d.recovering = True
    d.truncate("log/a", 0)
    d.fsync("log/a")
    assert d.lost == [("log/a", ("a",), "truncate by recovery")]
    d.lost.clear()
    d.write("log/a", b"ccc", None, ("c",))
    d.truncate("log/a", 0)  # never synced: this removes the only copy at once
    assert d.lost == [("log/a", ("c",), "truncate by recovery")]


def test_torn_write_keeps_exactly_a_prefix_of_the_last_unsynced_write() -> None:
    d = SimDisk()
    d.write("log/a", b"base|", None, ("a",))
    d.fsync("log/a")
    d.write("log/b", b"other", None, ())
    d.write("log/a", b"0123456789", None, ("b",))
    note = d.power_fail(torn_keep=14)  # 14 % 10 = 4 bytes survive
    assert d.read("log/a") == b"base|0123"
    assert d.read("log/b") == b""  # every other unsynced write is dropped
    assert "kept 4 of 10" in note
    assert ("log/a", ("b",), "torn-write") in d.lost
    assert d.residency() == (("a",), ())


def test_torn_write_without_unsynced_write_is_a_plain_power_failure() -> None:
    d = SimDisk()
    d.write("log/a", b"abc", None, ())
    d.fsync("log/a")
    note = d.power_fail(torn_keep=2)
    assert "plain power failure" in note
    assert d.read("log/a") == b"abc"


def test_crash_keeps_page_cache_so_disk_is_untouched() -> None:
    # A crash is a process event: the simulator does not call the disk at all.
    d = SimDisk()
    d.write("log/a", b"abc", None, ("x",))
    assert d.read("log/a") == b"abc"
    assert d.residency() == ((), ("x",))


def test_bit_flip_hits_durable_and_cached_bytes() -> None:
    d = SimDisk()
    d.write("log/b", b"\x00\x00\x00", None, ("b",))
    d.fsync("log/b")
    d.write("log/a", b"\x00", None, ())
    d.fsync("log/a")
    note = d.bit_flip("log", 1, 4, 10)  # second log file, offset 4 % 3 = 1, bit 2
    assert note == "log/b@1 bit 2"
    assert d.read("log/b") == b"\x00\x04\x00"
    d.power_fail()
    assert d.read("log/b") == b"\x00\x04\x00"
    assert d.lost == []  # a flip damages but does not remove a copy
    assert d.bit_flip("vote", 0, 0, 0) is None


def test_latent_sector_error_raises_until_rewritten() -> None:
    d = SimDisk()
    d.write("log/a", b"x" * 100, None, ())
    d.fsync("log/a")
    assert d.latent_error("log", 0, 110, 20) == "log/a bytes 10..30"
    with pytest.raises(ReadError):
        d.read("log/a")
    d.write("log/a", b"y" * 10, 10, ())
    with pytest.raises(ReadError):
        d.read("log/a")  # 20..30 still bad
    d.write("log/a", b"y" * 10, 20, ())
    assert d.read("log/a")[10:30] == b"y" * 20
    assert d.latent_error("snapshot", 0, 0, 1) is None


def test_misdirected_write_lands_elsewhere_and_aimed_range_keeps_old_bytes() -> None:
    d = SimDisk()
    d.write("log/a", b"AAAAAAAAAA", None, ("a",))
    d.fsync("log/a")
    assert d.arm_misdirect("log", 0, 3) == "next write to log/a lands 4 bytes off"
    landed = d.write("log/a", b"BB", 8, ("b",))
    assert landed == 4
    assert d.read("log/a") == b"AAAABBAAAA"
    assert d.lost == []  # the durable copy of "a" is intact until the next fsync
    d.fsync("log/a")
    assert d.lost == [("log/a", ("a",), "misdirected-write")]
    assert d.write("log/a", b"C", 0, ()) == 0  # only the next write is misdirected


def test_write_past_end_leaves_a_zero_hole() -> None:
    d = SimDisk()
    d.write("log/a", b"ab", 4, ())
    assert d.read("log/a") == b"\x00\x00\x00\x00ab"


def test_residency_and_delete_loss() -> None:
    d = SimDisk()
    d.write("log/a", b"aa", None, ("a",))
    d.fsync("log/a")
    d.write("log/a", b"bb", None, ("b",))
    assert d.residency() == (("a",), ("b",))
    d.delete("log/a")
    assert d.lost == [("log/a", ("a", "b"), "delete")]
    assert d.residency() == ((), ())


def test_value_stored_twice_is_lost_only_with_last_copy() -> None:
    d = SimDisk()
    d.write("log/a", b"v", None, ("v",))
    d.fsync("log/a")
    d.write("snap/s", b"v", None, ("v",))
    d.fsync("snap/s")
    d.delete("log/a")
    assert d.lost == []
    d.delete("snap/s")
    assert d.lost == [("snap/s", ("v",), "delete")]


def test_torn_overwrite_damages_the_durable_value_it_lands_on() -> None:
    d = SimDisk()
    d.write("log/a", b"old-value", None, ("old",))
    d.fsync("log/a")
    d.write("log/a", b"NEW-VALUE", 0, ("new",))
    d.power_fail(torn_keep=3)
    assert d.read("log/a") == b"NEW-value"
    assert d.residency() == ((), ())
    assert sorted(d.lost) == [("log/a", ("new",), "torn-write"), ("log/a", ("old",), "torn-write")]
