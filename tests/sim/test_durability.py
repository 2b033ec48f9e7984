"""End to end with the tiny log node: what an ack is worth under each disk fault."""

from __future__ import annotations

from typing import Any

from nodes import LogConfig, Registry, log_factory

from ackcheck.schedule import (
    BitFlip,
    Crash,
    LatentSectorError,
    MisdirectedWrite,
    NetworkSpec,
    PowerFailure,
    Restart,
    Schedule,
    TimedFault,
    TornWrite,
    Workload,
)
from ackcheck.sim import simulate

ONE_CLIENT = Workload(clients=1, writes=30, interval=1_000, timeout=5_000, start=1_000)
FAST = NetworkSpec(min_delay=100, max_delay=300)


def run(fsync: bool, faults: tuple[TimedFault, ...], reg: Registry | None = None) -> Any:
    sched = Schedule(nodes=1, seed=3, duration=60_000, settle=50_000, network=FAST,
                     workload=ONE_CLIENT, faults=faults)
    return simulate(sched, log_factory, LogConfig(fsync=fsync, registry=reg)).history


def acked_before(h: Any, t: int) -> list[str]:
    return sorted(v for v, op in h.acked().items() if op.time < t)


def final_values(h: Any) -> set[str]:
    return {v for _s, v in h.final_reads[0].entries}


def test_unsynced_acked_writes_are_lost_on_power_failure() -> None:
    h = run(False, (TimedFault(20_000, PowerFailure((0,))),))
    lost = acked_before(h, 20_000)
    assert len(lost) >= 10
    assert not set(lost) & final_values(h)
    losses = [x for x in h.losses if x.cause == "power-failure"]
    lost_values = {v for x in losses for v in x.values}
    assert set(lost) <= lost_values and lost_values.isdisjoint(final_values(h))
    res = [r for r in h.residency if r.time == 20_000]
    assert res[0].durable == () and set(lost) <= set(res[0].cached)
    assert h.final_reads[0].complete


def test_fsynced_acked_writes_survive_power_failure() -> None:
    h = run(True, (TimedFault(20_000, PowerFailure((0,))),))
    acked = set(h.acked())
    assert len(acked) >= 10
    assert acked <= final_values(h)
    assert h.losses == ()
    res = [r for r in h.residency if r.time == 20_000]
    assert set(acked_before(h, 20_000)) <= set(res[0].durable) and res[0].cached == ()


def test_crash_keeps_the_page_cache() -> None:
    faults = (TimedFault(20_000, Crash(0)), TimedFault(25_000, Restart(0)))
    h = run(False, faults)
    assert set(h.acked()) <= final_values(h)
    assert h.losses == ()


def test_torn_write_keeps_a_prefix_and_recovery_truncates_it() -> None:
    reg = Registry()
    h = run(False, (TimedFault(20_000, TornWrite(0, keep=2)),), reg)
    fault = h.faults[0]
    assert "kept 2 of" in fault.note
    restarted = reg.built[0][1]
    last = [e.data for e in h.events if e.kind == "write" and e.time <= 20_000][-1]
    # nothing was ever fsynced: the earlier (lost) appends leave a hole of zeros and
    # the first two bytes of the last write land where that write was aimed
    assert restarted.recovered == bytes(last["offset"]) + last["tags"][0].encode()[:2]
    assert [x.cause for x in h.losses] == ["torn-write"]
    # the node stays down until the final restart, whose recovery cuts the torn bytes
    assert final_values(h) == set()
    cut = [o.data for o in h.observations if o.kind == "recover"]
    assert cut == [{"action": "truncate", "detail": last["offset"] + 2}]


def test_torn_write_with_everything_synced_is_a_plain_power_failure() -> None:
    h = run(True, (TimedFault(20_000, TornWrite(0, keep=2)),))
    assert "plain power failure" in h.faults[0].note
    assert set(h.acked()) <= final_values(h)


def test_bit_flip_kills_the_node_and_its_recovery_reads_the_flip() -> None:
    reg = Registry()
    faults = (TimedFault(20_000, BitFlip(0, "log", 0, offset=0, bit=0)),)
    h = run(True, faults, reg)
    first, second = reg.built[0][:2]
    assert first.entries[0] == "0-0"  # the killed process had it right in memory
    expected = "".join(v + "\n" for v in first.entries).encode()
    diff = [i for i, (a, b) in enumerate(zip(expected, second.recovered, strict=True)) if a != b]
    assert diff == [0] and second.recovered[0] == ord("0") ^ 1
    assert h.faults[0].note == "log/data@0 bit 0; n0 killed and restarted on it"
    stops = [(e.time, e.kind) for e in h.events if e.actor == "n0" and e.kind in ("crash", "boot")]
    assert stops[:3] == [(0, "boot"), (20_000, "crash"), (20_000, "boot")]
    assert h.losses == ()


def test_bit_flip_on_a_down_node_waits_for_its_restart() -> None:
    reg = Registry()
    faults = (TimedFault(20_000, Crash(0)),
              TimedFault(21_000, BitFlip(0, "log", 0, offset=0, bit=0)),
              TimedFault(22_000, Restart(0)))
    h = run(True, faults, reg)
    second = reg.built[0][1]
    assert second.recovered[0] == ord("0") ^ 1
    assert h.faults[1].note == "log/data@0 bit 0"
    boots = [e.time for e in h.events if e.actor == "n0" and e.kind == "boot"]
    assert boots[:2] == [0, 22_000]


def test_latent_sector_error_fails_recovery_reads() -> None:
    faults = (TimedFault(20_000, LatentSectorError(0, "log", 0, offset=3, length=4)),)
    h = run(True, faults)
    halts = [e for e in h.events if e.kind == "halt"]
    assert [e.time for e in halts] == [20_000, 60_000]  # the final restart halts again
    recover = [o for o in h.observations if o.kind == "recover"]
    assert recover and "latent sector error" in recover[0].data["detail"]
    state = h.final_states[0]
    assert state is not None and state.halted  # fail-stop: up, but refusing
    assert not h.final_reads[0].complete and h.final_reads[0].error == "refused: halted"
    stops = [(e.time, e.kind) for e in h.events if e.actor == "n0" and e.kind in ("stop", "boot")]
    assert stops == [(0, "boot"), (20_000, "boot"), (60_000, "stop"), (60_000, "boot")]


def test_misdirected_write_lands_away_from_its_aim() -> None:
    reg = Registry()
    faults = (TimedFault(20_000, MisdirectedWrite(0, "log", 0, offset=0)),
              TimedFault(30_000, Crash(0)), TimedFault(31_000, Restart(0)))
    h = run(True, faults, reg)
    writes = [e.data for e in h.events if e.kind == "write" and "aimed" in e.data]
    assert len(writes) == 1 and writes[0]["offset"] == writes[0]["aimed"] - 1
    assert h.faults[0].note == "next write to log/data lands 1 bytes off"
    first, second = reg.built[0]
    assert second.entries != first.entries


def test_noop_file_faults_are_recorded() -> None:
    faults = (TimedFault(0, BitFlip(0, "snapshot", 0, 0, 0)),
              TimedFault(0, LatentSectorError(0, "vote", 0, 0, 1)),
              TimedFault(0, MisdirectedWrite(0, "log", 0, 0)))
    h = run(True, faults)
    assert [f.applied for f in h.faults] == [False, False, False]
    assert all(f.note for f in h.faults)


def test_residency_is_taken_for_every_node_before_every_fault() -> None:
    h = run(False, (TimedFault(5_000, Crash(0)), TimedFault(6_000, Restart(0))))
    assert [(r.time, r.cause, r.node) for r in h.residency] == [
        (5_000, "crash n0", 0), (6_000, "restart n0", 0)]
