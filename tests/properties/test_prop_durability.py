"""ack-implies-durable on hand-built histories: passing, lost, split brain, edge cases."""

from __future__ import annotations

import json

from prop_builders import HistoryBuilder, acked_everywhere

from ackcheck.history import History
from ackcheck.properties import REGISTRY, Violation

PROP = REGISTRY["ack-implies-durable"]


def judge(history: History) -> Violation | None:
    return PROP.check(history)


def test_every_acked_value_read_everywhere_holds() -> None:
    assert judge(acked_everywhere(["c0-1", "c0-2", "c0-3"]).build()) is None


def test_empty_history_holds() -> None:
    assert judge(History(nodes=3)) is None


def test_no_final_read_cannot_judge() -> None:
    b = HistoryBuilder().publish(0, "c0-1", seq=1)
    assert judge(b.build()) is None


def test_unacked_values_may_be_missing() -> None:
    b = HistoryBuilder().publish(0, "c0-1", seq=1).publish(0, "c0-2", outcome="info")
    b.publish(0, "c0-3", outcome="fail")
    for n in range(3):
        b.read(n, ["c0-1"])
    assert judge(b.build()) is None


def test_unacked_but_read_value_is_fine() -> None:
    b = HistoryBuilder().publish(0, "c0-1", outcome="info")
    b.read(0, ["c0-1"])
    assert judge(b.build()) is None


def test_lost_value_is_named_with_where_it_was_acked() -> None:
    b = HistoryBuilder()
    b.publish(0, "c0-1", 1, at=100_000, seq=1).publish(0, "c0-2", 1, at=120_000, seq=2)
    for n in range(3):
        b.read(n, ["c0-1"])
    v = judge(b.build(source="nats-server 2.10.0"))
    assert v is not None
    assert v.property == "ack-implies-durable"
    assert "c0-2" in v.summary and "1 of 2 acked" in v.summary
    assert v.data["lost"] == ["c0-2"]
    assert v.data["lost_postfix"] == {"c0": ["c0-2"]}
    text = "\n".join(v.details)
    assert "lost c0-2: acked at 0.121s by n1 seq 2" in text
    # A real run has no residency: the explanation says what it cannot know.
    assert "cannot be said" in text


def test_lost_split_into_prefix_middle_postfix_per_publisher() -> None:
    b = HistoryBuilder()
    for i in range(1, 7):
        b.publish(0, f"c0-{i}", at=i * 1_000, seq=i)
    b.publish(1, "c1-1", at=500, seq=7).publish(1, "c1-2", at=600, seq=8)
    read = ["c0-2", "c0-4", "c0-5"]
    for n in range(3):
        b.read(n, read)
    v = judge(b.build())
    assert v is not None
    assert v.data["lost"] == ["c0-1", "c0-3", "c0-6", "c1-1", "c1-2"]  # invocation order
    assert v.data["lost_prefix"] == {"c0": ["c0-1"]}
    assert v.data["lost_middle"] == {"c0": ["c0-3"]}
    # c1 had nothing read at all: its whole stream is a lost tail.
    assert v.data["lost_postfix"] == {"c0": ["c0-6"], "c1": ["c1-1", "c1-2"]}
    assert "c0: lost c0-1, c0-3, c0-6 (prefix 1, middle 1, postfix 1)" in v.details


def test_residency_and_loss_explain_the_cause() -> None:
    b = HistoryBuilder()
    b.publish(0, "c0-1", 0, at=100_000, seq=1).publish(0, "c0-2", 0, at=110_000, seq=2)
    b.resident(0, at=50_000, cause="crash n2", cached=("c0-1",))  # before the ack: skipped
    for n in range(3):
        durable = ("c0-1",) if n == 0 else ()
        cached = ("c0-2",) if n in (1, 2) else ()
        b.resident(n, at=500_000, cause="power-failure [n1,n2]", durable=durable, cached=cached)
    b.lose(1, ("c0-2",), at=500_000, cause="power-failure")
    b.lose(2, ("c0-2",), at=500_000, cause="power-failure")
    b.lose(0, ("c0-2",), at=900_000, cause="truncate by recovery", file="log/0002")
    for n in range(3):
        b.read(n, ["c0-1"])
    v = judge(b.build())
    assert v is not None
    text = "\n".join(v.details)
    assert "lost c0-2: acked at 0.111s by n0 seq 2" in text
    assert "at 0.500s before power-failure [n1,n2]: fsynced on no node, " in text
    assert "page cache only on n1,n2" in text
    assert "removed at 0.500s by power-failure on n1,n2 (log/0001)" in text
    assert "removed at 0.900s by truncate by recovery on n0 (log/0002)" in text
    assert "crash n2" not in text
    assert "cannot be said" not in text


def test_residency_repeats_are_folded() -> None:
    b = HistoryBuilder().publish(0, "c0-1", seq=1)
    for t in (10_000, 20_000, 30_000):
        b.resident(0, at=t, cause=f"pause n{t // 10_000}", cached=("c0-1",))
    b.read(0, [])
    v = judge(b.build())
    assert v is not None
    lines = [d for d in v.details if "page cache only on n0" in d]
    assert len(lines) == 1 and "pause n1" in lines[0]


def test_retry_acked_twice_shows_both_acks_and_is_not_lost_when_read() -> None:
    b = HistoryBuilder()
    b.publish(0, "c0-1", 0, at=100_000, outcome="info")
    b.publish(0, "c0-1", 1, at=400_000, seq=3)
    b.ack(0, "c0-1", 2, at=450_000, seq=4)
    for n in range(3):
        b.read(n, [(3, "c0-1")])
    assert judge(b.build()) is None
    lost = HistoryBuilder()
    lost.publish(0, "c0-1", 1, at=400_000, seq=3).ack(0, "c0-1", 2, at=450_000, seq=4)
    lost.read(0, [])
    v = judge(lost.build())
    assert v is not None
    assert "lost c0-1: acked at 0.401s by n1 seq 3; again at 0.450s by n2 seq 4" in v.details


def test_value_served_by_some_nodes_only_is_split_brain() -> None:
    b = HistoryBuilder().publish(0, "c0-1", seq=1).publish(0, "c0-2", seq=2)
    b.read(0, ["c0-1", "c0-2"]).read(1, ["c0-1", "c0-2"]).read(2, ["c0-1"])
    v = judge(b.build())
    assert v is not None
    assert v.data["lost"] == []
    assert v.data["lost_on_node"] == {"n2": ["c0-2"]}
    assert "split brain" in v.summary and "n2" in v.summary
    assert "n2's complete read lacks c0-2, served by n0,n1" in v.details


def test_incomplete_read_is_not_a_per_node_loss() -> None:
    b = HistoryBuilder().publish(0, "c0-1", seq=1).publish(0, "c0-2", seq=2)
    b.read(0, ["c0-1", "c0-2"]).read(1, ["c0-1"], complete=False).read(2, [], error="EIO")
    assert judge(b.build()) is None


def test_no_complete_read_leaves_unread_values_unjudged() -> None:
    b = HistoryBuilder().publish(0, "c0-1", seq=1).publish(0, "c0-2", seq=2)
    b.read(0, ["c0-1"], complete=False).read(1, [], error="connection refused")
    assert judge(b.build()) is None


def test_unexpected_value_is_reported() -> None:
    b = acked_everywhere(["c0-1"], nodes=2)
    b.read(0, ["c0-1", "ghost"])
    v = judge(b.build())
    assert v is not None
    assert v.data["unexpected"] == ["ghost"]
    assert v.data["lost"] == []
    assert "read but never published: ghost (served by n0)" in v.details


def test_many_lost_values_are_capped_with_a_count() -> None:
    b = HistoryBuilder()
    for i in range(30):
        b.publish(0, f"c0-{i}", seq=i + 1)
    b.read(0, [])
    v = judge(b.build())
    assert v is not None
    assert len(v.data["lost"]) == 30
    assert sum(d.startswith("lost ") for d in v.details) == 5
    assert "... and 25 more lost values (data['lost'])" in v.details


def test_data_is_json_safe_and_round_trips() -> None:
    b = HistoryBuilder().publish(0, "c0-1", seq=1).publish(1, "c1-1", seq=2)
    b.read(0, ["c0-1", "x"]).read(1, ["c0-1", "c1-1"])
    v = judge(b.build())
    assert v is not None
    assert json.loads(json.dumps(dict(v.data))) == dict(v.data)
