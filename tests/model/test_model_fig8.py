"""Raft paper Fig. 8, scripted at the sans-I/O level: the unsafe commit rule commits an
earlier-term entry by replica count and a later leader overwrites it."""

from __future__ import annotations

import attrs
from model_fakes import Bench

from ackcheck.model import PRESETS


def only(*nodes):
    """Keep messages whose source and destination are both among ``nodes``."""
    return lambda s, d, m: s in nodes and d in nodes


def run_fig8(commit_rule: str) -> tuple[Bench, bool]:
    cfg = attrs.evolve(PRESETS["raft"].config, commit_rule=commit_rule)
    b = Bench(cfg, n=5)  # the paper's S1..S5 are n0..n4
    b.boot_all()
    b.elect(0)
    b.publish(0, "x", req_id=1)
    b.deliver_all()
    b.heartbeat(0)
    # (a) S1 leads term 2 and replicates "a" to S2 only.
    b.crash(0)
    b.boot(0)
    b.fire(0, "election")
    b.deliver_all()
    assert b.node(0).role == "leader" and b.node(0).term == 2
    b.publish(0, "a", req_id=2)
    b.deliver_all(keep=only(0, 1))
    # (b) S1 crashes; S5 wins term 3 with S3, S4 and appends "b" that nobody receives.
    b.crash(0)
    b.fire(4, "election")
    b.deliver_all(keep=only(2, 3, 4))
    assert b.node(4).role == "leader" and b.node(4).term == 3
    b.publish(4, "b", req_id=3)
    b.queue.clear()
    # (c) S5 crashes; S1 restarts, leads term 4 and brings "a" to S3: a majority holds it.
    b.crash(4)
    b.boot(0)
    for _ in range(3):
        if b.node(0).role == "leader":
            break
        b.fire(0, "election")
        b.deliver_all(keep=only(0, 1, 2, 3))
    if b.node(0).role != "leader":
        return b, False  # S3/S4 hold a term-3 entry (S5's no-op): S1 cannot lead again
    b.fire(0, "heartbeat")
    b.deliver_all(keep=only(0, 1, 2))
    # (d) S1 crashes; S5 restarts and campaigns with S2, S3, S4.
    b.crash(0)
    b.boot(4)
    for _ in range(4):
        if b.node(4).role == "leader":
            break
        b.fire(4, "election")
        b.deliver_all(keep=only(1, 2, 3, 4))
    won = b.node(4).role == "leader"
    if won:
        b.fire(4, "heartbeat")
        b.deliver_all(keep=only(1, 2, 3, 4))
        b.fire(4, "heartbeat")
        b.deliver_all(keep=only(1, 2, 3, 4))
    return b, won


def applied_at(b: Bench, index: int) -> set[str]:
    return {d["value"] for _n, d in b.kinds("apply") if d["index"] == index}


def test_unsafe_commit_lets_a_committed_entry_be_overwritten():
    b, s5_won = run_fig8("unsafe")
    assert s5_won
    # "a" was committed (and applied) at index 2 in term 4, then replaced by "b".
    assert applied_at(b, 2) == {"a", "b"}
    assert b.kinds("unapply")  # S3 had to roll its stream back
    assert {b.node(i).state().log[1][2] for i in (1, 2, 3, 4)} == {"b"}


def test_safe_commit_never_applies_two_values_at_one_index():
    b, s5_won = run_fig8("safe")
    assert not s5_won
    indexes = {d["index"] for _n, d in b.kinds("apply")}
    assert indexes and all(len(applied_at(b, i)) == 1 for i in indexes)
    assert not b.kinds("unapply")
