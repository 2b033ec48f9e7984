"""Crash versus corruption, and protocol-aware repair that a restart cannot forget.

A torn write can only cut the end of the log short; a flipped length field is damage.
``par`` keeps the duty to repair (and to learn the terms it may have voted in) in the
term-and-vote file, so a node restarted mid-repair still stays out of elections.
"""

from __future__ import annotations

import attrs
import pytest
from model_fakes import Bench, cluster_with_values

from ackcheck.app._runner import run_once
from ackcheck.model import PRESETS
from ackcheck.model.messages import RequestVote, TermQuery, TermReply
from ackcheck.model.recovery import recover
from ackcheck.model.storage import (
    FLAG_REPAIRING,
    FLAG_VOTE_UNKNOWN,
    HEADER_SIZE,
    BadRecord,
    decode_record,
    decode_vote,
    encode_record,
)
from ackcheck.node import Delete, Observe, Receive, Send
from ackcheck.schedule import Crash, LatentSectorError, Partition, Schedule, TimedFault

RAFT = PRESETS["raft"].config
PAR = PRESETS["par"].config
TORN_TAIL = PRESETS["raft-torn-tail"].config
BLOCK = "log/000001.blk"


def _granted(out) -> list[bool]:
    return [o.msg.granted for o in out if isinstance(o, Send) and hasattr(o.msg, "granted")]


@pytest.mark.parametrize("byte", [1, 2, 3])
def test_a_flipped_length_field_is_damage_not_a_tear(byte: int) -> None:
    data = bytearray(encode_record(1, 1, "hello", True) + encode_record(2, 1, "x", True))
    data[byte] ^= 1
    with pytest.raises(BadRecord) as exc:
        decode_record(bytes(data), 0, True)
    assert not exc.value.torn and "header checksum" in exc.value.reason
    # The rule that cannot tell them apart takes the overrun for a tear.
    with pytest.raises(BadRecord) as naive:
        decode_record(bytes(data), 0, True, naive_tear=True)
    assert naive.value.torn and "runs past the end" in naive.value.reason


def test_tears_are_a_short_header_or_a_short_payload_behind_a_good_header() -> None:
    record = encode_record(3, 2, "value", True)
    for keep in (1, HEADER_SIZE - 1, HEADER_SIZE, len(record) - 1):
        with pytest.raises(BadRecord) as exc:
            decode_record(record[:keep], 0, True)
        assert exc.value.torn, keep
    damaged = bytearray(record)
    damaged[HEADER_SIZE + 1] ^= 4  # a payload bit of a complete record
    with pytest.raises(BadRecord) as exc:
        decode_record(bytes(damaged), 0, True)
    assert not exc.value.torn and "checksum mismatch in record 3" in exc.value.reason


def test_raft_halts_on_a_flipped_length_and_the_naive_rule_silently_truncates() -> None:
    """The issue's counterexample in one node: byte 1 of the first record's length."""
    for cfg, halted, action in ((RAFT, True, "fail-stop"), (TORN_TAIL, False, "truncate")):
        b = cluster_with_values(cfg)
        b.disks[1].flip(BLOCK, 1)
        rec = recover(b.disks[1], cfg)
        assert (rec.halted is not None) is halted
        (obs,) = [o for o in rec.outputs if isinstance(o, Observe) and o.kind == "recover"]
        assert obs.data["action"] == action
        if not halted:
            # Every record went, though each was fsynced and acked.
            assert obs.data["detail"].startswith("torn tail") and rec.entries == []
            assert Delete(BLOCK) in rec.outputs


def test_a_real_torn_tail_is_still_dropped_under_fail_stop() -> None:
    b = cluster_with_values(RAFT)
    del b.disks[1].cache[BLOCK][-(HEADER_SIZE + 2):]  # cuts into the last header
    rec = recover(b.disks[1], RAFT)
    assert rec.halted is None and [e.value for e in rec.entries] == [None, "a", "b"]


def _vote_flags(b: Bench, i: int) -> int:
    parsed = decode_vote(bytes(b.disks[i].durable["vote/tav"]))
    assert parsed is not None
    return parsed[2]


def test_par_writes_the_repair_duty_down_and_a_second_restart_keeps_it() -> None:
    b = cluster_with_values(PAR)
    b.crash(2)
    b.disks[2].bad[BLOCK] = True  # a latent sector error: nothing of the block is readable
    b.boot(2)
    assert b.node(2).repairing and b.node(2).last_index == 0
    assert _vote_flags(b, 2) & FLAG_REPAIRING  # synced before anything else
    # Restarted again before any leader repaired it: the block is gone, the duty is not.
    b.crash(2)
    b.disks[2].bad.clear()
    b.boot(2)
    node = b.node(2)
    assert node.repairing
    assert _granted(b.step(2, Receive(1, RequestVote(node.term + 1, 1, 0, 0)))) == [False]
    # A leader that committed an entry of its own term refills it; then it votes again.
    b.deliver_all()  # n1 learns the later term from the refusal
    b.elect(1)
    b.heartbeat(1)
    assert not node.repairing and _vote_flags(b, 2) == 0
    assert [v for _s, v in b.read(2)] == ["a", "b", "c"]
    ask = RequestVote(node.term + 1, 1, node.last_index, node.last_term())
    assert _granted(b.step(2, Receive(1, ask))) == [True]


def test_par_with_a_lost_vote_file_asks_every_voter_before_it_votes_again() -> None:
    b = cluster_with_values(PAR, n=5)
    b.crash(3)
    b.disks[3].flip("vote/tav", 0)
    out = b.boot(3)
    node = b.node(3)
    assert node.vote_unknown and node.repairing
    assert _vote_flags(b, 3) == FLAG_REPAIRING | FLAG_VOTE_UNKNOWN
    asked = sorted(o.to for o in out if isinstance(o, Send) and isinstance(o.msg, TermQuery))
    assert asked == [0, 1, 2, 4]
    # A leader alone does not settle it: it may be stale, the lost vote may be in a later
    # term. Following it refills the log but leaves the node out of elections.
    b.queue.clear()
    b.heartbeat(0)
    assert node.vote_unknown and node.repairing
    # Voters 1, 2 and 4 report their terms; one knows term 7 (the lost vote's, maybe).
    for src, term in ((1, 1), (2, 7)):
        b.step(3, Receive(src, TermReply(term)))
    assert node.vote_unknown and node.term == 7
    assert _granted(b.step(3, Receive(4, RequestVote(7, 4, 9, 7)))) == [False]
    b.step(3, Receive(0, TermReply(1)))
    b.step(3, Receive(4, TermReply(7)))
    assert not node.vote_unknown and node.vote == 3  # term 7 counts as voted in
    assert _vote_flags(b, 3) == FLAG_REPAIRING  # still to repair from a term-7 leader
    assert _granted(b.step(3, Receive(4, RequestVote(7, 4, 9, 7)))) == [False]


def test_par_survives_the_forgotten_repair_schedule_and_its_mutant_does_not() -> None:
    """Found by ``explore --preset par``: n1's only block becomes unreadable after it
    helped commit index 1; restarted at the final phase, it had forgotten it was under
    repair and voted for an empty log, which then overwrote index 1 everywhere."""
    schedule = Schedule(nodes=5, seed=0, faults=(
        TimedFault(0, Partition("bridge", (1,))),
        TimedFault(170_000, LatentSectorError(1, "log", 0, 0, 1)),
        TimedFault(170_000, Crash(1)),
    ))
    assert run_once(PAR, schedule).violations == ()
    broken = run_once(PAR, schedule, node="ackcheck.model.mutants:repair_forgets_on_restart")
    assert "leader-completeness" in [v.property for v in broken.violations]


def test_the_torn_tail_corpus_schedule_loses_a_write_only_under_the_naive_rule() -> None:
    """The teaching trace: a replica down, byte 1 of the leader's first record flipped,
    the next replica crashed. Naive recovery drops the whole log as a torn tail; the
    header checksum calls it damage, the leader halts and the write survives."""
    from pathlib import Path

    from ackcheck.traces import load_trace

    corpus = Path(__file__).resolve().parents[2] / "traces" / "corpus"
    trace = load_trace(corpus / "raft-torn-tail--ack-implies-durable.json.gz")
    naive = run_once(TORN_TAIL, trace.schedule)
    assert "ack-implies-durable" in [v.property for v in naive.violations]
    checked = run_once(attrs.evolve(TORN_TAIL, torn_tail="checked"), trace.schedule)
    assert checked.violations == ()
    assert run_once(RAFT, trace.schedule).violations == ()
