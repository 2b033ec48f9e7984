"""Sans-I/O unit tests of the Raft node: elections, replication, commit, snapshots."""

from __future__ import annotations

import attrs
from model_fakes import Bench

from ackcheck.model import PRESETS, RaftConfig
from ackcheck.model.messages import (
    AppendEntries,
    AppendReply,
    InstallSnapshot,
    RequestVote,
    VoteReply,
)
from ackcheck.node import (
    CancelTimer,
    ClientReply,
    ClientRequest,
    Fsync,
    PublishOk,
    Read,
    ReadOk,
    Receive,
    Refused,
    Rename,
    Send,
    SetTimer,
    Write,
)

RAFT = PRESETS["raft"].config


def test_boot_on_empty_disk_sets_only_an_election_timer_in_range():
    b = Bench(RAFT)
    out = b.boot(0)
    assert [type(o).__name__ for o in out] == ["SetTimer"]
    assert RAFT.election_timeout_min <= out[0].delay <= RAFT.election_timeout_max
    assert b.node(0).role == "follower" and b.node(0).term == 0


def test_election_one_leader_with_leader_observation():
    b = Bench(RAFT, n=3)
    b.boot_all()
    b.elect(1)
    assert [b.node(i).role for i in range(3)] == ["follower", "leader", "follower"]
    leaders = b.kinds("leader")
    assert leaders == [(1, {"term": 1, "log": (), "snapshot": 0})]
    # The new leader's no-op is replicated and committed everywhere after a heartbeat.
    b.heartbeat(1)
    assert all(b.node(i).commit == 1 for i in range(3))
    assert b.node(0).state().log == ((1, 1, ""),)


def test_vote_is_refused_to_a_candidate_with_a_stale_log_and_twice_in_a_term():
    b = Bench(RAFT, n=3)
    b.boot_all()
    b.elect(0)
    b.publish(0, "v1")
    b.deliver_all()
    n2 = b.node(2)
    # A candidate whose log is behind n2's is refused.
    out = b.step(2, Receive(1, RequestVote(term=5, candidate=1, last_index=0, last_term=0)))
    reply = [o.msg for o in out if isinstance(o, Send)][-1]
    assert reply == VoteReply(term=5, granted=False, empty=False)
    # An up-to-date candidate gets the vote, another one in the same term does not.
    last = (n2.last_term(), n2.last_index)
    out = b.step(2, Receive(1, RequestVote(6, 1, last[1], last[0])))
    assert [o.msg for o in out if isinstance(o, Send)][-1].granted
    out = b.step(2, Receive(0, RequestVote(6, 0, last[1], last[0])))
    assert not [o.msg for o in out if isinstance(o, Send)][-1].granted


def test_a_message_of_an_earlier_term_gets_one_answer_whatever_the_role():
    b = Bench(RAFT, n=3)
    b.boot_all()
    b.elect(0)
    b.heartbeat(0)
    b.node(0).term = b.node(1).term = 3  # n1 a follower, n0 the leader, both of term 3
    b.fire(2, "election")  # n2 a candidate of term 2
    stale = [  # (message, its answer): messages are not hashable (ackcheck.node)
        (RequestVote(1, 1, 0, 0), [VoteReply(3, False, False)]),
        (AppendEntries(1, 1, 0, 0, (), 0), [AppendReply(3, False, 0, 1)]),
        (InstallSnapshot(1, 1, 0, 0, ()), [AppendReply(3, False, 0, 1)]),
        (VoteReply(1, True, False), []),
        (AppendReply(1, True, 1, 0), []),
    ]
    b.node(2).term = 3
    for i in range(3):
        for msg, answer in stale:
            src = 1 if i != 1 else 2
            out = b.step(i, Receive(src, msg))
            assert out == [Send(src, a) for a in answer], (b.node(i).role, msg)
    assert [b.node(i).role for i in range(3)] == ["leader", "follower", "candidate"]


def test_a_later_term_in_any_message_makes_a_leader_step_down_first():
    for msg in (VoteReply(2, False, False), AppendReply(2, False, 0, 0),
                RequestVote(2, 1, 0, 0)):
        b = Bench(RAFT, n=3)
        b.boot_all()
        b.elect(0)
        out = b.step(0, Receive(1, msg))
        n0 = b.node(0)
        assert (n0.role, n0.term, n0.vote) == ("follower", 2, None)
        kinds = [type(o) for o in out]
        # Stop heartbeats, arm the election timer, persist the new term: then the message.
        assert kinds[:5] == [CancelTimer, SetTimer, Write, Fsync, Rename], msg
        assert [o.name for o in out[:2]] == ["heartbeat", "election"]  # type: ignore[union-attr]
        if isinstance(msg, RequestVote):  # its log (a no-op of term 1) is ahead: refused
            assert out[5:] == [Send(1, VoteReply(2, False, False))]
        else:
            assert out[5:] == []


def test_replication_commit_and_ack_with_sequences_skipping_noops():
    b = Bench(RAFT, n=3)
    b.boot_all()
    b.elect(0)
    b.publish(0, "a", req_id=1)
    b.publish(0, "b", req_id=2)
    assert b.acked() == {}  # nothing is acked before a quorum replied
    b.deliver_all()
    assert b.acked() == {1: 1, 2: 2}
    b.heartbeat(0)
    for i in range(3):
        assert b.read(i) == ((1, "a"), (2, "b"))
    applies = [d for i, d in b.kinds("apply") if i == 1]
    assert [(d["index"], d["value"], d["seq"]) for d in applies] == [(2, "a", 1), (3, "b", 2)]


def test_a_leader_that_sent_entries_since_the_last_tick_skips_one_heartbeat():
    """NATS' rule (server/raft.go:2713-2716 at v2.12.1): heartbeats only when idle."""
    b = Bench(RAFT, n=3)
    b.boot_all()
    b.elect(0)
    b.deliver_all()

    def appends(out: list) -> list:
        return [o for o in out if isinstance(o, Send) and isinstance(o.msg, AppendEntries)]

    assert len(appends(b.fire(0, "heartbeat"))) == 2  # idle: both followers hear from it
    b.publish(0, "a")
    b.deliver_all()
    skipped = b.fire(0, "heartbeat")
    assert appends(skipped) == [] and [type(o) for o in skipped] == [SetTimer]
    beat = appends(b.fire(0, "heartbeat"))  # idle again: the commit goes out with it
    assert [(o.to, o.msg.entries, o.msg.commit) for o in beat] == [(1, (), 2), (2, (), 2)]


def test_only_the_leader_accepts_publishes_and_hints_the_leader():
    b = Bench(RAFT, n=3)
    b.boot_all()
    b.elect(2)
    b.heartbeat(2)
    out = b.publish(0, "x")
    assert out == [ClientReply(0, 1, Refused("not leader", 2))]


def test_retried_publish_is_not_appended_twice():
    b = Bench(RAFT, n=3)
    b.boot_all()
    b.elect(0)
    b.publish(0, "a", req_id=1)
    b.publish(0, "a", req_id=2)  # retry while pending
    b.deliver_all()
    b.publish(0, "a", req_id=3)  # retry after commit
    assert b.acked() == {1: 1, 2: 1, 3: 1}
    assert b.read(0) == ((1, "a"),)


def test_partitioned_follower_catches_up_by_backtracking():
    b = Bench(RAFT, n=3)
    b.boot_all()
    b.elect(0)
    for k in range(5):
        b.publish(0, f"v{k}", req_id=k)
        b.deliver_all(keep=lambda s, d, m: d != 2)  # n2 cut off
    # n2 has not seen the leader commit in its term: it refuses rather than serve ()
    out = b.step(2, ClientRequest(9, 998, Read(1, 10_000)))
    assert isinstance(out[-1], ClientReply) and out[-1].result == Refused("catching up", 0)
    assert b.node(0).next_idx[2] == b.node(0).last_index + 1  # optimistic: sent, lost
    b.heartbeat(0)  # empty append -> n2 rejects with a hint -> leader resends from there
    assert [v for _s, v in b.read(2)] == [f"v{k}" for k in range(5)]


def test_conflicting_suffix_is_truncated_on_disk():
    b = Bench(RAFT, n=3)
    b.boot_all()
    b.elect(0)
    b.heartbeat(0)
    # n0 appends two entries nobody else sees, then loses leadership.
    b.publish(0, "lost1")
    b.publish(0, "lost2")
    b.queue.clear()
    b.elect(1)
    b.publish(1, "kept")
    b.deliver_all()
    b.heartbeat(1)
    b.heartbeat(1)
    assert [v for _s, v in b.read(0)] == ["kept"]
    on_disk = b"".join(bytes(f) for f in b.disks[0].cache.values())
    assert b"lost1" not in on_disk and b"lost2" not in on_disk and b"kept" in on_disk
    # Restart n0 from its disk: the overwritten entries are gone for good.
    b.crash(0)
    b.boot(0)
    assert [v for _i, _t, v in b.node(0).state().log if v] == ["kept"]


def test_snapshot_compacts_the_log_and_install_snapshot_brings_a_lagger_up():
    cfg = attrs.evolve(RAFT, snapshot_interval=4, block_size=128)
    b = Bench(cfg, n=3)
    b.boot_all()
    b.elect(0)
    b.crash(2)
    for k in range(10):
        b.publish(0, f"v{k}", req_id=k)
        b.deliver_all()
    leader = b.node(0)
    assert leader.base >= 8
    assert any(name.startswith("snap/snap.") for name in b.disks[0].cache)
    assert "log/000001.blk" not in b.disks[0].cache  # compacted blocks are deleted
    b.boot(2)
    b.fire(0, "heartbeat")
    b.deliver_all()  # n2 rejects the append; the leader's log no longer reaches back
    assert b.queue == []
    b.heartbeat(0)
    assert [i for i, _d in b.kinds("install-snapshot")] == [2]
    assert [v for _s, v in b.read(2)] == [f"v{k}" for k in range(10)]


def test_recovery_from_disk_after_restart_of_every_node():
    b = Bench(RAFT, n=3)
    b.boot_all()
    b.elect(0)
    for k in range(3):
        b.publish(0, f"v{k}", req_id=k)
        b.deliver_all()
    for i in range(3):
        b.crash(i, power=True)
    b.boot_all()
    assert all(b.node(i).term == 1 for i in range(3))
    assert b.node(1).last_index == 4
    b.elect(2)
    b.heartbeat(2)
    for i in range(3):
        assert [v for _s, v in b.read(i)] == ["v0", "v1", "v2"]


def test_reads_answer_from_the_local_stream_in_pages():
    b = Bench(RAFT, n=3)
    b.boot_all()
    b.elect(0)
    for k in range(5):
        b.publish(0, f"v{k}", req_id=k)
    b.deliver_all()
    out = b.step(0, ClientRequest(3, 7, Read(from_seq=2, limit=2)))
    assert out == [ClientReply(3, 7, ReadOk(((2, "v1"), (3, "v2")), 5))]


def test_state_reports_log_commit_and_role():
    b = Bench(RAFT, n=3)
    b.boot_all()
    b.elect(0)
    b.publish(0, "a")
    b.deliver_all()
    st = b.node(0).state()
    assert (st.term, st.role, st.commit_index, st.snapshot_index) == (1, "leader", 2, 0)
    assert st.log == ((1, 1, ""), (2, 1, "a"))


def test_append_entries_writes_one_record_per_value_with_tags():
    b = Bench(RAFT, n=3)
    b.boot_all()
    b.elect(0)
    b.heartbeat(0)
    out = b.step(1, Receive(0, AppendEntries(1, 0, 1, 1, ((1, "p"), (1, "q")), 1)))
    writes = [o for o in out if isinstance(o, Write)]
    assert [w.tags for w in writes] == [("p",), ("q",)]
    assert all(w.file == "log/000001.blk" for w in writes)


def test_single_node_cluster_elects_itself_and_commits_alone():
    b = Bench(RAFT, n=1)
    b.boot(0)
    b.fire(0, "election")
    assert b.node(0).role == "leader"
    b.publish(0, "solo")
    assert b.acked() == {1: 1}


def test_replicas_limits_voters_and_the_rest_learn_the_log():
    b = Bench(RaftConfig(replicas=3), n=5)
    b.boot_all()
    b.fire(4, "election")  # a learner never campaigns
    assert b.node(4).role == "follower" and b.node(4).term == 0 and b.queue == []
    b.fire(0, "election")
    assert sorted(d for _s, d, _m in b.queue) == [1, 2]  # votes asked of voters only
    b.deliver_all(keep=lambda s, d, m: d not in (3, 4))
    assert b.node(0).role == "leader" and b.node(0).quorum == 2
    # Commit needs voters: with both voters cut off nothing commits, learners or not.
    b.publish(0, "v", req_id=1)
    b.deliver_all(keep=lambda s, d, m: s not in (1, 2) and d not in (1, 2))
    assert b.acked() == {}
    b.heartbeat(0)
    assert b.acked() == {1: 1}
    b.heartbeat(0)
    assert b.read(4) == ((1, "v"),)  # a learner serves reads once caught up
    assert b.publish(4, "w", req_id=2) == [ClientReply(0, 2, Refused("not leader", 0))]


def test_publish_ok_reply_type():
    b = Bench(RAFT, n=3)
    b.boot_all()
    b.elect(0)
    b.publish(0, "z")
    b.deliver_all()
    assert [r.result for _i, r in b.replies] == [PublishOk(1)]


def test_a_reply_matching_past_the_leaders_log_is_clamped_not_fatal():
    from ackcheck.model.messages import AppendReply

    b = Bench(RAFT, n=3)
    b.boot_all()
    b.elect(0)
    b.deliver_all()
    leader = b.node(0)
    last = leader.last_index
    b.step(0, Receive(1, AppendReply(leader.term, True, last + 40, 0)))
    assert leader.match[1] == last and leader.commit <= last


def test_a_follower_reads_only_once_its_leader_committed_in_its_own_term():
    """A new leader does not know what its predecessors committed until it has committed
    what it held when elected; a follower that took its commit index as final before then
    served an empty stream in a soak (`bench/soak.py`, raft, disk group) and the acked
    write looked lost. The leader says when its commit index is final; until then a
    follower refuses."""
    b = Bench(RAFT, n=3)
    b.boot_all()
    follower = b.node(1)
    # n2 leads term 2 over a log of one term-1 entry that n1 holds but has not seen
    # committed; n2's commit index (0) is not yet final
    first = AppendEntries(term=1, leader=0, prev_index=0, prev_term=0,
                          entries=((1, None),), commit=0)
    b.step(1, Receive(0, first))
    stale = AppendEntries(term=2, leader=2, prev_index=1, prev_term=1, entries=(), commit=0,
                          commit_final=False)
    b.step(1, Receive(2, stale))
    assert follower.term == 2 and follower.commit == 0
    out = b.step(1, ClientRequest(5, 1, Read(1, 100)))
    assert out == [ClientReply(5, 1, Refused("catching up", 2))]
    # n2 commits its term-start entry: its commit index now covers every earlier commit
    final = AppendEntries(term=2, leader=2, prev_index=1, prev_term=1,
                          entries=((2, None),), commit=2, commit_final=True)
    b.step(1, Receive(2, final))
    out = b.step(1, ClientRequest(5, 2, Read(1, 100)))
    assert isinstance(out[-1], ClientReply) and isinstance(out[-1].result, ReadOk)
