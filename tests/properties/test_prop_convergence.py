"""converges-after-heal: liveness after every fault healed, and what blocks it."""

from __future__ import annotations

from prop_builders import HistoryBuilder, acked_everywhere

from ackcheck.properties import REGISTRY

PROP = REGISTRY["converges-after-heal"]
HEAL, END = 2_000_000, 5_000_000


def test_leader_and_complete_reads_hold() -> None:
    b = acked_everywhere(["c0-1", "c0-2"]).observe(1, "leader", at=2_300_000, term=4)
    assert PROP.check(b.build(heal_time=HEAL, end_time=END)) is None


def test_final_state_leader_counts_when_elected_before_the_heal() -> None:
    b = acked_everywhere(["c0-1"]).observe(1, "leader", at=100_000, term=1)
    b.state([], role="follower").state([], role="leader").state([])
    assert PROP.check(b.build(heal_time=HEAL, end_time=END)) is None


def test_no_leader_after_heal_is_named() -> None:
    b = acked_everywhere(["c0-1"]).observe(1, "leader", at=100_000, term=1)
    v = PROP.check(b.build(heal_time=HEAL, end_time=END))
    assert v is not None
    assert "within the 3.000s after every fault healed (at 2.000s)" in v.summary
    assert "no leader was elected after the heal" in v.summary
    assert v.data["leader"] is False


def test_incomplete_read_missing_value_and_halt_are_named() -> None:
    b = HistoryBuilder().publish(0, "c0-1", seq=1).publish(0, "c0-2", seq=2)
    b.observe(0, "leader", at=2_100_000, term=3)
    b.observe(2, "halt", at=2_200_000, reason="bit flip in log/0001: fail-stop")
    b.read(0, ["c0-1", "c0-2"]).read(1, ["c0-1"]).read(2, [], complete=False, error="EIO")
    v = PROP.check(b.build(heal_time=HEAL, end_time=END))
    assert v is not None
    assert "the reads of 1 node were incomplete or failed" in v.summary
    assert "2 nodes lack acked values" in v.summary
    assert "n2: final read failed: EIO after 0 entries (2 values were acked)" in v.details
    assert "n1 lacks 1 acked value: c0-2" in v.details
    assert "n2 lacks 2 acked values: c0-1, c0-2 (its read was incomplete)" in v.details
    assert "n2 halted (fail-stop) at 2.200s: bit flip in log/0001: fail-stop" in v.details
    assert v.data["halted"] == {"n2": "bit flip in log/0001: fail-stop"}
    assert v.data["missing"] == {"n1": ["c0-2"], "n2": ["c0-1", "c0-2"]}


def test_node_without_a_final_read_blocks() -> None:
    b = HistoryBuilder(3).observe(0, "leader", at=HEAL, term=2).read(0, []).read(1, [])
    v = PROP.check(b.build(heal_time=HEAL, end_time=END))
    assert v is not None
    assert "n2: no final read recorded" in v.details
    assert v.data["unread"] == ["n2"]


def test_real_run_leader_is_not_judged_but_missing_values_are() -> None:
    b = HistoryBuilder(2).publish(0, "c0-1", seq=1).read(0, ["c0-1"]).read(1, [])
    v = PROP.check(b.build(heal_time=HEAL, end_time=END, source="nats-server 2.10.22"))
    assert v is not None
    assert v.data["leader"] is None
    assert any("leader not judged" in d for d in v.details)
    assert "n1 lacks 1 acked value: c0-1" in v.details


def test_real_run_that_converged_holds() -> None:
    history = acked_everywhere(["c0-1"]).build(heal_time=HEAL, end_time=END, source="nats")
    assert PROP.check(history) is None


def test_no_final_reads_cannot_be_judged() -> None:
    b = HistoryBuilder().publish(0, "c0-1", seq=1)
    assert PROP.check(b.build(heal_time=HEAL, end_time=END)) is None
