"""Raft's safety properties and no-duplicates on hand-built histories."""

from __future__ import annotations

import json

from prop_builders import HistoryBuilder, acked_everywhere

from ackcheck.history import History
from ackcheck.properties import REGISTRY, check

SAFETY = [
    "election-safety",
    "log-matching",
    "leader-completeness",
    "state-machine-safety",
    "no-duplicates",
]


def test_real_run_without_sim_fields_passes_every_safety_property() -> None:
    history = acked_everywhere(["c0-1"]).build(source="nats-server 2.10.22")
    assert history.observations == () and history.final_states == ()
    assert check(history, SAFETY) == []


def test_empty_history_passes_everything() -> None:
    assert check(History(nodes=0), list(REGISTRY)) == []


# ------------------------------------------------------------------ election-safety


def test_one_leader_per_term_holds_even_if_it_is_observed_twice() -> None:
    b = HistoryBuilder()
    b.observe(0, "leader", at=10, term=1).observe(0, "leader", at=20, term=1)
    b.observe(1, "leader", at=30, term=2)
    assert REGISTRY["election-safety"].check(b.build()) is None


def test_two_leaders_in_one_term_are_named() -> None:
    b = HistoryBuilder()
    b.observe(0, "leader", at=100_000, term=1).observe(2, "leader", at=1_500_000, term=3)
    b.observe(1, "leader", at=1_600_000, term=3)
    v = REGISTRY["election-safety"].check(b.build())
    assert v is not None
    assert "term 3" in v.summary and "n1,n2" in v.summary
    assert v.details == ("term 3: became leader n2 at 1.500s; n1 at 1.600s",)
    assert v.data == {"terms": {"3": [1, 2]}}


# --------------------------------------------------------------------- log-matching


def test_matching_logs_hold_including_a_compacted_prefix() -> None:
    log = [(1, 1, "a"), (2, 1, "b"), (3, 2, "c")]
    b = HistoryBuilder().state(log).state(log[:2]).state(log[2:], snapshot_index=2)
    assert REGISTRY["log-matching"].check(b.build()) is None


def test_divergent_uncommitted_suffixes_are_allowed() -> None:
    # Same prefix, then different terms at index 3: no shared (index, term) past 2.
    b = HistoryBuilder().state([(1, 1, "a"), (2, 1, "b"), (3, 2, "c")])
    b.state([(1, 1, "a"), (2, 1, "b"), (3, 3, "d")]).no_state()
    assert REGISTRY["log-matching"].check(b.build()) is None


def test_shared_entry_with_different_history_before_it_fails() -> None:
    b = HistoryBuilder().state([(1, 1, "a"), (2, 1, "b"), (3, 2, "c")])
    b.state([(1, 1, "a"), (2, 2, "x"), (3, 2, "c")])
    v = REGISTRY["log-matching"].check(b.build())
    assert v is not None
    assert "n0 and n1 both hold index 3 in term 2 but differ at index 2" in v.summary
    assert v.details == (
        "n0 and n1 share index 3 term 2; at index 2 n0 has term 1 'b', n1 has term 2 'x'",
    )
    assert v.data["mismatches"] == [{"nodes": [0, 1], "anchor": 3, "differ_at": [2]}]


def test_same_index_and_term_with_different_values_fails() -> None:
    b = HistoryBuilder().state([(1, 1, "a")]).state([(1, 1, "b")])
    v = REGISTRY["log-matching"].check(b.build())
    assert v is not None and "'a'" in v.details[0] and "'b'" in v.details[0]


# -------------------------------------------------------------- leader-completeness


def test_later_leader_holding_committed_entries_holds() -> None:
    b = HistoryBuilder()
    b.observe(0, "commit", at=100, index=1, term=1, value="a")
    b.observe(0, "commit", at=100, index=2, term=1, value="b")
    b.observe(1, "leader", at=200, term=2, log=((1, 1, 2),), snapshot=0)
    b.observe(2, "leader", at=300, term=3, log=((1, 2, 2), (3, 3, 3)), snapshot=1)
    assert REGISTRY["leader-completeness"].check(b.build()) is None


def test_trace_file_lists_are_accepted_like_tuples() -> None:
    b = HistoryBuilder()
    b.observe(0, "commit", at=100, index=1, term=1, value="a")
    b.observe(1, "leader", at=200, term=2, log=[[1, 1, 1]], snapshot=0)
    assert REGISTRY["leader-completeness"].check(b.build()) is None


def test_leader_elected_before_the_commit_is_not_judged() -> None:
    # n1 led term 2 without index 2; the entry was committed later (by n2 in term 3).
    b = HistoryBuilder()
    b.observe(1, "leader", at=100, term=2, log=((1, 1, 1),), snapshot=0)
    b.observe(2, "leader", at=200, term=3, log=((1, 1, 2),), snapshot=0)
    b.observe(2, "commit", at=300, index=2, term=1, value="b")
    assert REGISTRY["leader-completeness"].check(b.build()) is None


def test_later_leader_missing_a_committed_entry_fails() -> None:
    b = HistoryBuilder()
    b.observe(0, "commit", at=1_000_000, index=5, term=2, value="c0-4")
    b.observe(2, "leader", at=2_000_000, term=4, log=((1, 1, 3), (3, 4, 4)), snapshot=0)
    b.observe(1, "leader", at=3_000_000, term=5, log=((1, 1, 4), (3, 5, 5)), snapshot=0)
    v = REGISTRY["leader-completeness"].check(b.build())
    assert v is not None
    assert "n2 became leader of term 4 without index 5 (term 2, 'c0-4')" in v.summary
    assert v.details == (
        "index 5 term 2 'c0-4' committed (seen by n0 at 1.000s); n2, leader of term 4 "
        "at 2.000s, has no entry there (log ends at 4, snapshot 0)",
        "index 5 term 2 'c0-4' committed (seen by n0 at 1.000s); n1, leader of term 5 "
        "at 3.000s, has term 3 there",
    )
    assert [m["leader"] for m in v.data["missing"]] == [2, 1]
    assert json.loads(json.dumps(v.data)) == v.data


def test_a_stale_leader_of_a_lower_term_than_the_commit_is_not_judged() -> None:
    """From a soak of `par` (pauses only): n1's votes for term 2 were in flight while it
    was paused; n3 led term 4 and committed the term-1 entry at index 2 there; resumed,
    n1 counted its term-2 votes and led term 2 without index 2. Raft promises the entry
    to leaders of terms above 4, not to a stale leader of term 2."""
    b = HistoryBuilder()
    b.observe(3, "leader", at=100, term=4, log=((1, 1, 2),), snapshot=0)
    b.observe(3, "commit", at=200, index=2, term=1, value="0-0", in_term=4)
    b.observe(1, "leader", at=300, term=2, log=((1, 1, 1),), snapshot=0)
    assert REGISTRY["leader-completeness"].check(b.build()) is None
    # the same leader, had the entry been committed in term 1, breaks the property
    b = HistoryBuilder()
    b.observe(3, "commit", at=200, index=2, term=1, value="0-0", in_term=1)
    b.observe(1, "leader", at=300, term=2, log=((1, 1, 1),), snapshot=0)
    assert REGISTRY["leader-completeness"].check(b.build()) is not None


def test_snapshot_covers_committed_entries() -> None:
    b = HistoryBuilder()
    b.observe(0, "commit", at=100, index=5, term=2, value="x")
    b.observe(1, "leader", at=200, term=3, log=(), snapshot=7)
    assert REGISTRY["leader-completeness"].check(b.build()) is None


# ------------------------------------------------------------- state-machine-safety


def test_same_values_applied_everywhere_holds() -> None:
    b = HistoryBuilder()
    for n in range(3):
        b.observe(n, "apply", at=100 + n, index=1, term=1, value="a")
        b.observe(n, "apply", at=200 + n, index=2, term=1, value="b")
    assert REGISTRY["state-machine-safety"].check(b.build()) is None


def test_different_values_at_one_index_fail() -> None:
    b = HistoryBuilder()
    b.observe(0, "apply", at=1_000_000, index=3, term=1, value="c0-2")
    b.observe(2, "apply", at=1_200_000, index=3, term=2, value="c1-7")
    b.observe(1, "apply", at=1_300_000, index=3, term=1, value="c0-2")
    v = REGISTRY["state-machine-safety"].check(b.build())
    assert v is not None
    assert "index 3 was applied as c0-2 (term 1), later as c1-7 (term 2)" in v.summary
    assert v.details == (
        "index 3: c0-2 (term 1) applied by n0 at 1.000s, n1 at 1.300s; "
        "c1-7 (term 2) applied by n2 at 1.200s",
    )
    assert v.data["conflicts"] == {"3": ["c0-2", "c1-7"]}
    assert v.data["applied"]["3"]["c0-2"] == {"term": 1, "nodes": {"n0": 1_000_000,
                                                                 "n1": 1_300_000}}


def test_overwritten_applied_entries_are_named_with_the_rollback() -> None:
    b = HistoryBuilder()
    b.observe(0, "apply", at=1_000_000, index=1, term=1, value="a")
    b.observe(0, "apply", at=1_000_000, index=2, term=1, value="b")
    b.observe(0, "unapply", at=1_500_000, from_index=1, values=("a", "b"))
    b.observe(0, "apply", at=1_500_000, index=1, term=2, value="c")
    b.observe(1, "apply", at=1_600_000, index=2, term=2, value="d")
    v = REGISTRY["state-machine-safety"].check(b.build())
    assert v is not None
    assert v.summary.endswith("index 1 was applied as a (term 1), later as c (term 2); "
                              "1 more index differs.")
    assert v.details[-1] == (
        "n0 at 1.500s rolled back what it had applied from index 1 on (a, b): a leader "
        "overwrote those entries"
    )
    assert v.data["conflicts"] == {"1": ["a", "c"], "2": ["b", "d"]}


# --------------------------------------------------------------------- no-duplicates


def test_values_at_one_sequence_everywhere_hold() -> None:
    assert REGISTRY["no-duplicates"].check(acked_everywhere(["a", "b"]).build()) is None


def test_value_appended_twice_on_one_node_fails() -> None:
    b = HistoryBuilder(2).publish(0, "c0-1", seq=1)
    b.read(0, [(1, "c0-1"), (2, "c0-1")]).read(1, [(1, "c0-1"), (2, "c0-1")])
    v = REGISTRY["no-duplicates"].check(b.build())
    assert v is not None
    assert "c0-1" in v.summary
    assert v.details == ("c0-1 read at seq 1 on n0,n1; seq 2 on n0,n1",)
    assert v.data == {"duplicated": {"c0-1": [1, 2]}}


def test_value_at_different_sequences_on_different_nodes_fails() -> None:
    b = HistoryBuilder(2).read(0, [(3, "x")]).read(1, [(4, "x")])
    v = REGISTRY["no-duplicates"].check(b.build())
    assert v is not None and v.details == ("x read at seq 3 on n0; seq 4 on n1",)


def test_many_gaps_are_counted_but_records_capped() -> None:
    b = HistoryBuilder()
    for i in range(1, 151):
        b.observe(0, "commit", at=100, index=i, term=1, value=f"v{i}")
    b.observe(1, "leader", at=200, term=2, log=(), snapshot=0)
    v = REGISTRY["leader-completeness"].check(b.build())
    assert v is not None
    assert v.data["total"] == 150 and len(v.data["missing"]) == 100
    assert "(150 such gap(s) in all)" in v.summary
    assert v.details[-1] == "... and 138 more missing entries"
    assert len(v.details) == 13


def test_committed_no_op_entries_are_named_as_such() -> None:
    b = HistoryBuilder()
    b.observe(0, "commit", at=100, index=1, term=1, value=None)
    b.observe(1, "leader", at=200, term=2, log=(), snapshot=0)
    v = REGISTRY["leader-completeness"].check(b.build())
    assert v is not None
    assert "without index 1 (term 1, a no-op)" in v.summary
    assert v.details[0].startswith("index 1 term 1 a no-op committed")
    assert v.data["missing"][0]["value"] is None
