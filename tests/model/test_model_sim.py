"""The model inside the simulator: presets end to end, seeded fault schedules."""

from __future__ import annotations

import attrs
import pytest
from model_schedules import random_schedule, standard_schedule, vote_churn_schedule

from ackcheck.model import PRESETS, make_node, resolve_config
from ackcheck.schedule import PowerFailure, Restart, Schedule, TimedFault, Workload

simulate = pytest.importorskip("ackcheck.sim").simulate


def lost_acked(history) -> dict[int, set[str]]:
    """node -> acked values missing from that node's final read."""
    acked = set(history.acked())
    return {fr.node: acked - {v for _s, v in fr.entries} for fr in history.final_reads}


def leaders_per_term(history) -> dict[int, set[int]]:
    terms: dict[int, set[int]] = {}
    for o in history.observations:
        if o.kind == "leader":
            terms.setdefault(o.data["term"], set()).add(o.node)
    return terms


def power_failure_during_load() -> Schedule:
    """Five nodes, 60 writes over ~0.9 s; every node loses power at 0.8 s, mid-load."""
    every = (0, 1, 2, 3, 4)
    return Schedule(
        nodes=5,
        seed=7,
        duration=1_500_000,
        workload=Workload(clients=3, writes=60, interval=15_000, start=100_000),
        faults=(
            TimedFault(800_000, PowerFailure(every)),
            *(TimedFault(900_000 + 10_000 * n, Restart(n)) for n in every),
        ),
    )


def test_nats_2_12_1_loses_acked_writes_in_a_coordinated_power_failure():
    h = simulate(power_failure_during_load(), make_node, resolve_config("nats-2.12.1")).history
    acked = set(h.acked())
    assert len(acked) >= 20  # the workload really was acknowledged before the failure
    lost = lost_acked(h)
    assert len(lost) == 5 and all(lost[n] for n in lost)
    # The simulator saw the acked bytes only in page caches at the failure.
    assert any(set(r.cached) & acked for r in h.residency)


def test_the_same_schedule_with_fsync_always_loses_nothing():
    cfg = resolve_config("nats-2.12.1", ["fsync=always"])
    h = simulate(power_failure_during_load(), make_node, cfg).history
    assert len(h.acked()) >= 20
    assert all(not missing for missing in lost_acked(h).values())
    assert all(fr.complete for fr in h.final_reads)


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_serves_the_standard_example(preset):
    r = simulate(standard_schedule(), make_node, PRESETS[preset].config)
    h = r.history
    assert len(h.acked()) == 50
    assert all(len(ls) == 1 for ls in leaders_per_term(h).values())
    assert len(h.final_reads) == 5 and all(fr.complete for fr in h.final_reads)
    again = simulate(standard_schedule(), make_node, PRESETS[preset].config)
    assert again.digest == r.digest  # a run is a pure function of (config, seed, schedule)


def test_raft_never_loses_an_acked_write_nor_elects_two_leaders_in_500_schedules():
    cfg = PRESETS["raft"].config
    failures = []
    acked_total = 0
    for seed in range(500):
        schedule = random_schedule(seed, nodes=3 if seed % 2 else 5)
        h = simulate(schedule, make_node, cfg, record_events=False).history
        acked_total += len(h.acked())
        lost = {n: sorted(v) for n, v in lost_acked(h).items() if v}
        twice = {t: sorted(ns) for t, ns in leaders_per_term(h).items() if len(ns) > 1}
        if lost or twice or len(h.final_reads) != schedule.nodes:
            failures.append((seed, lost, twice))
    assert failures == []
    assert acked_total > 500 * 5  # the schedules did acknowledge writes


def test_unpersisted_votes_elect_two_leaders_where_synced_votes_do_not():
    unpersisted = PRESETS["raft-unpersisted-vote"].config
    raft = PRESETS["raft"].config
    found = None
    for seed in range(200):
        schedule = vote_churn_schedule(seed)
        h = simulate(schedule, make_node, unpersisted, record_events=False).history
        if any(len(ns) > 1 for ns in leaders_per_term(h).values()):
            found = schedule
            break
    assert found is not None, "no schedule of 200 showed two leaders in a term"
    h = simulate(found, make_node, raft, record_events=False).history
    assert all(len(ns) == 1 for ns in leaders_per_term(h).values())


def test_fsync_knob_alone_decides_the_nats_power_failure_outcome():
    base = resolve_config("nats-2.12.1")
    for fsync, expect_loss in (("2m", True), ("never", True), ("always", False)):
        cfg = attrs.evolve(base, fsync=fsync)
        h = simulate(power_failure_during_load(), make_node, cfg, record_events=False).history
        assert any(lost_acked(h).values()) is expect_loss, fsync


def minority_flips(target: str, offset: int, writes: int, interval: int) -> Schedule:
    """#7549's (log) and #7556's (snapshot) shape in this model: n3, n4 lag behind a
    partition while n0..n2 ack writes; then a file of ``target`` on n0 and n1 (a
    minority) gets a bit flip while they are down, n2 (the only other full copy) goes
    down, the partition heals and n0, n1 restart on the damage."""
    from ackcheck.schedule import BitFlip, Crash, Heal, Partition

    faults = [TimedFault(300_000, Partition("split", (3, 4)))]
    for n in (0, 1):  # flipped while down, so they recover from it at the restart
        faults.append(TimedFault(700_000, Crash(n)))
        faults.append(TimedFault(710_000, BitFlip(n, target=target, offset=offset, bit=3)))
    faults += [
        TimedFault(720_000, Crash(2)),
        TimedFault(730_000, Heal()),
        TimedFault(740_000, Restart(0)),
        TimedFault(740_000, Restart(1)),
    ]
    return Schedule(
        nodes=5,
        seed=3,
        duration=1_500_000,
        workload=Workload(clients=3, writes=writes, interval=interval, start=100_000),
        faults=tuple(faults),
    )


def minority_bit_flips(offset: int) -> Schedule:
    return minority_flips("log", offset, writes=30, interval=20_000)


@pytest.mark.parametrize("offset", [100, 600])
def test_bit_flips_on_a_minority_truncate_acked_writes_away_unless_repaired(offset):
    schedule = minority_bit_flips(offset)
    outcomes = {}
    for preset in ("nats-2.12.1-sync-always", "par", "raft"):
        cfg = resolve_config(preset, ["snapshot_interval=0"])
        h = simulate(schedule, make_node, cfg, record_events=False).history
        assert len(h.acked()) == 30
        actions = sorted({(o.node, o.data["action"]) for o in h.observations
                          if o.kind == "recover"})
        halted = sorted({o.node for o in h.observations if o.kind == "halt"})
        lost = lost_acked(h)
        outcomes[preset] = (actions, halted, lost)
    actions, halted, lost = outcomes["nats-2.12.1-sync-always"]
    assert actions == [(0, "truncate"), (1, "truncate")] and not halted
    assert all(lost[n] for n in range(5))  # gone from every node, not just the damaged
    actions, halted, lost = outcomes["par"]
    assert actions == [(0, "repair"), (1, "repair")] and not halted
    assert not any(lost.values())
    actions, halted, lost = outcomes["raft"]
    assert halted == [0, 1]  # fail-stop: unavailable, but nothing acked is lost
    assert not any(lost[n] for n in (2, 3, 4))


def minority_snapshot_flips() -> Schedule:
    return minority_flips("snapshot", 30, writes=40, interval=15_000)


def test_deleted_snapshots_wipe_nodes_and_only_the_empty_vote_rule_saves_the_stream():
    schedule = minority_snapshot_flips()
    lost = {}
    for empty_votes in ("ignore", "count"):
        cfg = resolve_config(
            "nats-2.12.1-sync-always", ["snapshot_interval=8", f"empty_votes={empty_votes}"]
        )
        h = simulate(schedule, make_node, cfg, record_events=False).history
        assert len(h.acked()) == 40
        actions = sorted({(o.node, o.data["action"]) for o in h.observations
                          if o.kind == "recover"})
        assert actions == [(0, "delete"), (1, "delete")]
        lost[empty_votes] = lost_acked(h)
    # NATS' guard (server/raft.go:3276-3322 at v2.12.1): wiped voters cannot help a
    # lagging node win.
    assert not any(lost["ignore"].values())
    assert all(lost["count"][n] for n in range(5))
