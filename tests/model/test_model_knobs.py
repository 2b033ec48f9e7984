"""Each durability knob changes the order or content of the node's outputs as documented."""

from __future__ import annotations

import random

import attrs
from model_fakes import Bench, DictDisk, positions

from ackcheck.model import PRESETS, RaftConfig, make_node
from ackcheck.model.messages import AppendEntries, AppendReply, RequestVote, VoteReply
from ackcheck.model.storage import VOTE_SIZE, Loc
from ackcheck.node import Boot, ClientReply, Fsync, Receive, Rename, Send, SetTimer, Write

RAFT = PRESETS["raft"].config
NATS = PRESETS["nats-2.12.1"].config


def _follower_append(cfg: RaftConfig):
    b = Bench(cfg, n=3)
    b.boot_all()
    b.elect(0)
    b.heartbeat(0)
    return b.step(1, Receive(0, AppendEntries(1, 0, 1, 1, ((1, "v"),), 1)))


def _is_reply(o) -> bool:
    return isinstance(o, Send) and isinstance(o.msg, AppendReply)


def test_follower_after_fsync_replies_after_an_fsync_of_the_block():
    out = _follower_append(attrs.evolve(NATS, follower_ack="after-fsync"))
    (reply,) = positions(out, _is_reply)
    syncs = positions(out, lambda o: isinstance(o, Fsync) and o.file.startswith("log/"))
    write = positions(out, lambda o: isinstance(o, Write))[0]
    assert syncs and write < syncs[0] < reply
    assert out[reply].msg.success and out[reply].msg.match == 2


def test_follower_after_write_replies_without_any_fsync():
    out = _follower_append(NATS)  # fsync=2m, follower_ack=after-write
    assert positions(out, _is_reply)
    assert not positions(out, lambda o: isinstance(o, Fsync))


def test_vote_fsync_precedes_the_granting_send():
    b = Bench(RAFT, n=3)
    b.boot_all()
    out = b.step(1, Receive(0, RequestVote(1, 0, 0, 0)))
    grant = positions(out, lambda o: isinstance(o, Send) and o.msg.granted)
    sync = positions(out, lambda o: isinstance(o, Fsync) and o.file.startswith("vote/"))
    rename = positions(out, lambda o: isinstance(o, Rename) and o.dst == "vote/tav")
    assert sync and rename and grant and sync[0] < rename[0] < grant[0]


def test_vote_write_renames_without_fsync_and_none_writes_nothing():
    for mode, expect_write in (("write", True), ("none", False)):
        b = Bench(attrs.evolve(RAFT, vote_persist=mode), n=3)
        b.boot_all()
        out = b.step(1, Receive(0, RequestVote(1, 0, 0, 0)))
        assert [o.msg.granted for o in out if isinstance(o, Send)] == [True]
        assert not positions(out, lambda o: isinstance(o, Fsync))
        assert bool(positions(out, lambda o: isinstance(o, Rename))) is expect_write


def test_unpersisted_vote_lets_a_restarted_node_vote_twice_in_one_term():
    b = Bench(attrs.evolve(RAFT, vote_persist="none"), n=3)
    b.boot_all()
    out = b.step(2, Receive(0, RequestVote(1, 0, 0, 0)))
    assert [o.msg.granted for o in out if isinstance(o, Send)] == [True]
    b.crash(2)
    b.boot(2)
    out = b.step(2, Receive(1, RequestVote(1, 1, 0, 0)))
    assert [o.msg.granted for o in out if isinstance(o, Send)] == [True]
    # The same with vote_persist=fsync refuses the second vote.
    b = Bench(RAFT, n=3)
    b.boot_all()
    b.step(2, Receive(0, RequestVote(1, 0, 0, 0)))
    b.crash(2, power=True)
    b.boot(2)
    out = b.step(2, Receive(1, RequestVote(1, 1, 0, 0)))
    assert [o.msg.granted for o in out if isinstance(o, Send)] == [False]


def test_leader_ack_quorum_acks_unsynced_local_fsync_syncs_before_the_ack():
    for mode in ("quorum", "quorum-and-local-fsync"):
        b = Bench(attrs.evolve(NATS, leader_ack=mode), n=3)  # fsync=2m
        b.boot_all()
        b.elect(0)
        b.heartbeat(0)
        b.publish(0, "v", req_id=1)
        b.deliver_all()
        assert b.acked() == {1: 1}
        leader_disk = b.disks[0]
        record_durable = b"v" in leader_disk.durable.get("log/000001.blk", b"")
        # quorum: the ack went out while the leader's own copy was only in its cache.
        assert record_durable is (mode == "quorum-and-local-fsync")


def test_local_fsync_ack_is_held_until_the_leaders_copy_is_synced():
    b = Bench(attrs.evolve(NATS, leader_ack="quorum-and-local-fsync"), n=3)
    b.boot_all()
    b.elect(0)
    leader = b.node(0)
    b.publish(0, "v", req_id=1)
    leader.durable = 0  # as if the block had not been synced yet
    leader.dirty["log/000001.blk"] = None
    b.deliver_all()
    assert b.acked() == {} and leader.commit == leader.last_index
    out = b.fire(0, "sync")
    s = positions(out, lambda o: isinstance(o, Fsync))
    r = positions(out, lambda o: isinstance(o, ClientReply))
    assert s and r and s[-1] < r[0]
    assert b.acked() == {1: 1}


def test_fsync_interval_first_sync_in_half_to_full_interval_then_every_interval():
    cfg = attrs.evolve(NATS, fsync="10s")
    seen = []
    for seed in range(20):
        b = Bench(cfg, n=3, seed=seed)
        out = b.boot(0)
        (sync,) = [o for o in out if isinstance(o, SetTimer) and o.name == "sync"]
        seen.append(sync.delay)
        assert 5_000_000 <= sync.delay <= 10_000_000
        out = b.fire(0, "sync")
        assert [o.delay for o in out if isinstance(o, SetTimer) and o.name == "sync"] == [
            10_000_000
        ]
    assert len(set(seen)) > 1  # drawn from the node's rng, not fixed


def test_fsync_timer_syncs_dirty_blocks_and_never_never_syncs():
    b = Bench(NATS, n=3)
    b.boot_all()
    b.elect(0)
    b.publish(0, "v")
    b.deliver_all()
    assert b.disks[1].durable.get("log/000001.blk", b"") == b""
    out = b.fire(1, "sync")
    assert [o.file for o in out if isinstance(o, Fsync)] == ["log/000001.blk"]
    assert b.disks[1].durable["log/000001.blk"] == bytes(b.disks[1].cache["log/000001.blk"])
    b = Bench(attrs.evolve(NATS, fsync="never"), n=3)
    b.boot_all()
    assert all("sync" not in t for t in b.timers)


def test_fsync_always_syncs_every_append():
    b = Bench(attrs.evolve(NATS, fsync="always"), n=3)
    b.boot_all()
    b.elect(0)
    out = b.publish(0, "v")
    w = positions(out, lambda o: isinstance(o, Write))
    s = positions(out, lambda o: isinstance(o, Fsync))
    sends = positions(out, lambda o: isinstance(o, Send))
    assert w and s and w[-1] < s[0] < sends[0]


def test_empty_votes_ignore_needs_non_empty_majority_or_every_peer():
    for mode, expect in (("count", "leader"), ("ignore", "candidate")):
        b = Bench(attrs.evolve(RAFT, empty_votes=mode), n=5)
        b.boot_all()
        b.node(0).terms.append(1)  # give the candidate a non-empty log
        b.node(0).values.append(None)
        b.node(0).locs.append(Loc(1, 0))
        b.fire(0, "election")
        # Two empty voters grant; the other two stay silent.
        b.deliver_all(keep=lambda s, d, m: not (d in (3, 4) or s in (3, 4)))
        assert b.node(0).role == expect, mode
        if mode == "ignore":
            for v in (3, 4):  # every peer voting yes elects it even though all are empty
                b.step(0, Receive(v, VoteReply(b.node(0).term, True, True)))
            assert b.node(0).role == "leader"


def test_unsafe_commit_rule_commits_an_earlier_term_entry_by_count():
    for rule, expect_commit in (("safe", 0), ("unsafe", 1)):
        b = Bench(attrs.evolve(RAFT, commit_rule=rule), n=3)
        b.boot_all()
        # n0 holds an entry of term 1 that nobody else has; it becomes leader of term 3.
        n0 = b.node(0)
        n0.step(Receive(1, AppendEntries(1, 1, 0, 0, ((1, "old"),), 0)))
        n0.term = 2
        b.fire(0, "election")
        # Votes flow; the leader's appends (carrying its term-3 no-op) are all dropped.
        b.deliver_all(keep=lambda s, d, m: not isinstance(m, AppendEntries))
        assert b.node(0).role == "leader"
        # Replicate only the old entry to n1.
        b.step(1, Receive(0, AppendEntries(3, 0, 0, 0, ((1, "old"),), 0)))
        reply = [o.msg for o in b.outputs[1] if isinstance(o, Send)][-1]
        b.node(0).match = {1: 0, 2: 0}
        b.node(0).commit = 0
        b.step(0, Receive(1, reply))
        assert b.node(0).commit >= expect_commit, rule
        if rule == "safe":
            assert b.node(0).commit == 0


def test_checksums_off_writes_zero_crc_and_on_writes_crc32():
    import zlib

    for on in (True, False):
        b = Bench(attrs.evolve(RAFT, checksums=on), n=1)
        b.boot(0)
        b.fire(0, "election")
        data = bytes(b.disks[0].cache["log/000001.blk"])
        crc = int.from_bytes(data[-4:], "little")
        assert crc == (zlib.crc32(data[:-4]) if on else 0)


def test_block_size_rolls_to_new_block_files():
    b = Bench(attrs.evolve(RAFT, block_size=64, snapshot_interval=0), n=1)
    b.boot(0)
    b.fire(0, "election")
    for k in range(6):
        b.publish(0, f"value-{k}", req_id=k)
    blocks = [n for n in b.disks[0].cache if n.startswith("log/")]
    assert len(blocks) >= 3
    assert all(len(b.disks[0].cache[n]) <= 64 or n == blocks[-1] for n in blocks)


def test_snapshot_interval_zero_never_snapshots():
    b = Bench(attrs.evolve(RAFT, snapshot_interval=0), n=1)
    b.boot(0)
    b.fire(0, "election")
    for k in range(40):
        b.publish(0, f"v{k}", req_id=k)
    assert not [n for n in b.disks[0].cache if n.startswith("snap/")]
    b = Bench(attrs.evolve(RAFT, snapshot_interval=10), n=1)
    b.boot(0)
    b.fire(0, "election")
    for k in range(40):
        b.publish(0, f"v{k}", req_id=k)
    assert [n for n in b.disks[0].cache if n.startswith("snap/")] == ["snap/snap.1.40"]


def test_election_timeouts_come_from_the_rng_within_bounds():
    cfg = RaftConfig(election_timeout_min=1000, election_timeout_max=2000, heartbeat=500)
    delays = set()
    for seed in range(10):
        b = Bench(cfg, n=3, seed=seed)
        out = b.boot(0)
        delays.add(out[-1].delay)
    assert all(1000 <= d <= 2000 for d in delays) and len(delays) > 1
    # Same rng seed, same timeouts: nothing else feeds randomness.
    a = make_node(0, 3, cfg, random.Random(5)).step(Boot(DictDisk()))
    c = make_node(0, 3, cfg, random.Random(5)).step(Boot(DictDisk()))
    assert a == c


def test_client_reply_type_for_halted_node():
    b = Bench(RAFT, n=3)
    b.disks[1].cache["vote/tav"] = bytearray(VOTE_SIZE)  # a term-and-vote file failing its crc
    b.boot_all()
    assert b.node(1).halted  # fail-stop
    out = b.publish(1, "x")
    assert isinstance(out[0], ClientReply) and out[0].result.reason == "halted"


def test_a_local_fsync_leader_syncs_its_recovered_log_when_elected():
    # Without the term-start no-op (unsafe rule) no append forces that sync; the leader
    # must still sync what it recovered before it can count itself toward a commit.
    cfg = attrs.evolve(RAFT, commit_rule="unsafe", fsync="never")
    b = Bench(cfg, n=3)
    b.boot_all()
    b.elect(0)
    b.publish(0, "v", req_id=1)
    b.deliver_all()
    for i in range(3):
        b.crash(i)  # process crash: the page cache (and the unsynced tail) survives
    b.boot_all()
    assert b.node(0).durable == 0 and b.node(0).last_index == 1
    b.fire(0, "election")
    b.deliver_all(keep=lambda s, d, m: d != 2 and s != 2)
    assert b.node(0).role == "leader"
    b.fire(0, "heartbeat")
    b.deliver_all(keep=lambda s, d, m: d != 2 and s != 2)  # n2 stays cut off
    assert b.node(0).commit == 1  # n1 plus the leader's own (now synced) copy
    assert b.disks[0].durable["log/000001.blk"] == bytes(b.disks[0].cache["log/000001.blk"])
