"""What a real replay says besides the verdict: the knobs the server cannot match, the
model's verdict with the server's values, and the ack marks derived from the model."""

from __future__ import annotations

import attrs

from ackcheck.harness.fidelity import mismatches, model_with_server_values, server_config
from ackcheck.harness.replay import ack_marks, publish_gates, quorum_times
from ackcheck.model import make_node, resolve_config
from ackcheck.schedule import Crash, PowerFailure, Restart, Schedule, TimedFault, Workload
from ackcheck.sim import simulate


def _config(preset: str, *overrides: str) -> dict:
    return attrs.asdict(resolve_config(preset, overrides))


def test_the_nats_presets_differ_from_the_server_only_in_timing():
    for preset in ("nats-2.12.1", "nats-2.12.1-sync-always"):
        found = mismatches(_config(preset), "2.12.1")
        assert {m.knob for m in found} == {"election_timeout_min", "election_timeout_max",
                                           "heartbeat"}
        assert all(m.timing for m in found)
        assert "raft.go:259" in found[0].line()


def test_textbook_raft_lists_what_nats_does_differently():
    found = {m.knob: m for m in mismatches(_config("raft"), "2.12.1")}
    assert found["empty_votes"].server == "ignore"
    assert found["on_bad_record"].server == "truncate"
    assert found["on_bad_snapshot"].server == "delete"
    assert found["snapshot_interval"].server == 65_536
    assert not found["snapshot_interval"].timing
    # 2.14.0 refuses to start on a damaged snapshot instead (PRs #7566, #7580)
    newer = {m.knob: m for m in mismatches(_config("raft"), "2.14.0")}
    assert "on_bad_snapshot" not in newer


def test_fsync_never_is_a_day_on_the_server():
    found = {m.knob: m for m in mismatches(_config("nats-2.12.1", "fsync=never"), "2.12.1")}
    assert found["fsync"].model == "never" and found["fsync"].server == "24h"


def test_a_users_own_config_has_nothing_to_compare():
    assert mismatches({"replicas": 2, "mode": "x"}, "2.12.1") == []
    assert server_config({"mode": "x"}, "2.12.1") is None


def test_the_model_rerun_with_server_values_keeps_timing_and_takes_durability():
    server = server_config(_config("raft-unsafe-commit"), "2.12.1")
    assert server is not None
    assert server.commit_rule == "safe" and server.empty_votes == "ignore"
    assert server.election_timeout_min == resolve_config("raft").election_timeout_min
    schedule = Schedule(nodes=3, faults=(TimedFault(900_000, PowerFailure((0, 1, 2))),))
    rerun = model_with_server_values(schedule, _config("raft"), "2.12.1",
                                     ["ack-implies-durable"])
    assert rerun is not None
    history, violations = rerun
    assert history.acked() and violations == []  # raft's fsync=always is kept


def test_marks_and_gates_follow_when_writes_reached_a_majority():
    """A write counts for the window in which it reached a majority of the model's logs:
    after it was first published, no later than its commit; warm writes not at all."""
    schedule = Schedule(nodes=3, workload=Workload(writes=60, warm=15),
                        faults=(TimedFault(300_000, Crash(1)),
                                TimedFault(300_000, Restart(1)),
                                TimedFault(600_000, Crash(2))))
    model = simulate(schedule, make_node, resolve_config("nats-2.12.1")).history
    quorum = quorum_times(model)
    warm = {op.value for op in model.ops if op.type == "ok" and op.time == 0}
    invoked: dict[str, int] = {}
    for op in model.ops:
        if op.f == "publish" and op.type == "invoke":
            invoked.setdefault(op.value, op.time)
    applied: dict[str, int] = {}
    for obs in model.observations:
        if obs.applies:
            applied.setdefault(obs.data["value"], obs.time)
    assert quorum and not warm & set(quorum)
    for value, at in quorum.items():
        assert invoked[value] <= at <= applied[value], value
    marks = ack_marks(schedule, model)
    assert marks.get(0) == sum(1 for t in quorum.values() if t < 300_000)
    assert 1 not in marks  # nothing reaches a majority within one microsecond
    assert marks.get(2) == sum(1 for t in quorum.values() if 300_000 <= t < 600_000)
    gates = publish_gates(model)
    assert not warm & set(gates)
    assert all(gates[v] == quorum.get(v, invoked[v]) for v in gates)
