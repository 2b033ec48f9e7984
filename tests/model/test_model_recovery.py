"""Recovery from the disk alone, and each corruption knob's reaction to damage."""

from __future__ import annotations

import attrs
import pytest
from model_fakes import DictDisk, cluster_with_values

from ackcheck.model import PRESETS, make_node
from ackcheck.model.messages import RequestVote
from ackcheck.model.recovery import recover
from ackcheck.model.storage import (
    RECORD_OVERHEAD,
    BadRecord,
    decode_record,
    decode_snapshot,
    decode_vote,
    encode_record,
    encode_snapshot,
    encode_vote,
)
from ackcheck.node import (
    Boot,
    ClientReply,
    ClientRequest,
    Delete,
    Observe,
    Read,
    Receive,
    Refused,
    Truncate,
)

RAFT = PRESETS["raft"].config
NATS = PRESETS["nats-2.12.1-sync-always"].config


def test_record_round_trip_and_checksum_detects_a_flip():
    data = encode_record(7, 3, "hello", True)
    r = decode_record(data, 0, True)
    assert (r.index, r.term, r.value, r.size) == (7, 3, "hello", len(data))
    assert decode_record(encode_record(8, 3, None, True), 0, True).value is None
    bad = bytearray(data)
    bad[RECORD_OVERHEAD - 4] ^= 1  # a payload byte
    with pytest.raises(BadRecord, match="checksum"):
        decode_record(bytes(bad), 0, True)
    assert decode_record(bytes(bad), 0, False).value != "hello"  # silently wrong
    with pytest.raises(BadRecord) as exc:
        decode_record(data[:-3], 0, True)
    assert exc.value.torn


def test_vote_and_snapshot_round_trip_and_damage():
    assert decode_vote(encode_vote(4, 2)) == (4, 2, 0)
    assert decode_vote(encode_vote(4, None, 3)) == (4, None, 3)
    assert decode_vote(b"") is None
    bad = bytearray(encode_vote(4, 2))
    bad[0] ^= 1
    with pytest.raises(ValueError):
        decode_vote(bytes(bad))
    snap = encode_snapshot(2, 9, ["a", "bé"])
    assert decode_snapshot(snap) == (2, 9, ("a", "bé"))
    bad = bytearray(snap)
    bad[25] ^= 4
    with pytest.raises(ValueError):
        decode_snapshot(bytes(bad))


def test_clean_recovery_restores_term_vote_log_and_block_layout():
    b = cluster_with_values(RAFT, ["a", "b", "c"])
    rec = recover(b.disks[1], RAFT)
    assert (rec.term, rec.vote) == (1, 0)
    assert [(i, t, v) for i, t, v, _b, _o in rec.entries] == [
        (1, 1, None), (2, 1, "a"), (3, 1, "b"), (4, 1, "c")
    ]
    assert rec.outputs == [] and rec.halted is None and not rec.repairing


def _flip_record(disk: DictDisk, index: int) -> str:
    """Flip a payload bit of the record with ``index`` in the first block."""
    name = "log/000001.blk"
    data = bytes(disk.cache[name])
    pos = 0
    while True:
        r = decode_record(data, pos, False)
        if r.index == index:
            disk.flip(name, pos + RECORD_OVERHEAD - 4 + 1 if r.value else pos + 9)
            return name
        pos += r.size


def test_bad_record_truncate_drops_the_suffix_and_reports_it():
    b = cluster_with_values(NATS, ["a", "b", "c"])
    _flip_record(b.disks[1], 3)
    rec = recover(b.disks[1], NATS)
    assert [v for _i, _t, v, _b, _o in rec.entries] == [None, "a"]
    truncs = [o for o in rec.outputs if isinstance(o, Truncate)]
    assert len(truncs) == 1 and truncs[0].file == "log/000001.blk"
    (obs,) = [o for o in rec.outputs if isinstance(o, Observe)]
    assert obs.kind == "recover" and obs.data["action"] == "truncate"
    assert obs.data["first_dropped_index"] == 3
    assert obs.data["dropped"][-1] == "c" and len(obs.data["dropped"]) == 2


def test_bad_record_fail_stop_halts_and_does_nothing_more():
    b = cluster_with_values(RAFT, ["a", "b"])
    _flip_record(b.disks[2], 2)
    b.crash(2)
    out = b.boot(2)
    kinds = [(o.kind, o.data.get("action")) for o in out if isinstance(o, Observe)]
    assert kinds == [("recover", "fail-stop"), ("halt", None)]
    assert not [o for o in out if not isinstance(o, Observe)]
    node = b.node(2)
    assert node.state().halted and node.state().role == "halted"
    b.fire(0, "heartbeat")
    b.deliver_all()
    assert b.outputs[2] == []  # messages to a halted node produce nothing


def test_bad_record_repair_keeps_the_prefix_refuses_votes_until_refetched():
    par = PRESETS["par"].config
    b = cluster_with_values(par, ["a", "b", "c"])
    _flip_record(b.disks[2], 2)
    b.crash(2)
    out = b.boot(2)
    node = b.node(2)
    assert node.repairing and node.last_index == 1
    assert [o.data["action"] for o in out if isinstance(o, Observe)] == ["repair"]
    # It neither campaigns nor grants votes while repairing.
    b.fire(2, "election")
    assert node.role == "follower" and node.term == 1
    out = b.step(2, Receive(1, RequestVote(5, 1, 1, 1)))
    assert [o.msg.granted for o in out if type(o).__name__ == "Send"] == [False]
    # The leader's catch-up refills the damaged suffix and the node votes again.
    b.deliver_all()  # n1 learns term 5 from the refusal
    b.elect(1)
    b.publish(1, "d", req_id=9)
    b.deliver_all()
    b.heartbeat(1)
    assert not node.repairing
    assert [v for _s, v in b.read(2)] == ["a", "b", "c", "d"]
    out = b.step(2, Receive(0, RequestVote(node.term + 1, 0, node.last_index, node.term)))
    assert [o.msg.granted for o in out if type(o).__name__ == "Send"] == [True]


def test_torn_tail_is_always_truncated_even_under_fail_stop():
    b = cluster_with_values(RAFT, ["a", "b"])
    disk = b.disks[1]
    del disk.cache["log/000001.blk"][-5:]
    rec = recover(disk, RAFT)
    assert rec.halted is None
    assert [v for _i, _t, v, _b, _o in rec.entries] == [None, "a"]
    (obs,) = [o for o in rec.outputs if isinstance(o, Observe)]
    assert obs.data["action"] == "truncate" and obs.data["detail"].startswith("torn tail")


def test_read_error_counts_as_a_bad_record_at_the_block_start():
    b = cluster_with_values(NATS, ["a"])
    b.disks[1].bad["log/000001.blk"] = True
    rec = recover(b.disks[1], NATS)
    assert rec.entries == []
    assert Delete("log/000001.blk") in rec.outputs


def test_snapshot_recovery_and_damage_per_knob():
    values = [f"v{k}" for k in range(6)]
    for action in ("delete", "fail-stop", "repair"):
        cfg = attrs.evolve(NATS, on_bad_snapshot=action)
        b = cluster_with_values(cfg, values, snapshot_interval=4)
        disk = b.disks[1]
        snaps = [n for n in disk.cache if n.startswith("snap/")]
        assert len(snaps) == 1
        clean = recover(disk, cfg)
        assert clean.snap_index >= 4 and list(clean.snap_values) == values[: len(clean.snap_values)]
        disk.flip(snaps[0], 20)
        rec = recover(disk, cfg)
        actions = [o.data.get("action") for o in rec.outputs if isinstance(o, Observe)]
        if action == "fail-stop":
            assert rec.halted and actions[0] == "fail-stop"
        else:
            assert not rec.halted and actions == [action]
            assert Delete(snaps[0]) in rec.outputs
            assert rec.entries == [] and rec.snap_index == 0  # the log was reset too
            assert rec.repairing is (action == "repair")


def test_damaged_vote_file_per_knob():
    for action in ("truncate", "fail-stop", "repair"):
        cfg = attrs.evolve(NATS, on_bad_record=action)
        b = cluster_with_values(cfg, ["a"])
        b.disks[1].flip("vote/tav", 0)
        rec = recover(b.disks[1], cfg)
        assert (rec.halted is not None) is (action == "fail-stop")
        if action != "fail-stop":
            assert rec.term == 1 and rec.vote is None  # term from the log, vote forgotten
            assert rec.vote_unknown is rec.repairing is (action == "repair")


def test_power_failure_without_fsync_leaves_empty_files_and_an_empty_node():
    b = cluster_with_values(PRESETS["nats-2.12.1"].config, ["a", "b"])
    b.crash(1, power=True)
    out = b.boot(1)
    assert b.node(1).last_index == 0 and b.node(1).term == 1  # tav was synced
    assert Delete("log/000001.blk") in out  # the empty block is removed
    # It refuses reads until it has caught up with the leader, then serves everything.
    out = b.step(1, ClientRequest(5, 1, Read(1, 100)))
    assert out == [ClientReply(5, 1, Refused("catching up", None))]
    b.heartbeat(0)
    assert [v for _s, v in b.read(1)] == ["a", "b"]


def test_boot_is_driven_only_by_the_disk_view():
    b = cluster_with_values(RAFT, ["a", "b"])
    import random

    n1 = make_node(1, 3, RAFT, random.Random(1))
    n2 = make_node(1, 3, RAFT, random.Random(1))
    assert list(n1.step(Boot(b.disks[1]))) == list(n2.step(Boot(b.disks[1])))
    assert n1.state() == n2.state()
