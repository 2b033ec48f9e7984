"""Processes: pause queues inputs in order, crash discards timers, restart boots from
disk, halt stops a node and the final phase restarts it."""

from __future__ import annotations

from typing import Any

from nodes import HeartbeatConfig, Ping, Registry, heartbeat_factory, script_factory

from ackcheck.node import Boot, Fsync, Observe, Receive, Send, SetTimer, Timeout, Write
from ackcheck.schedule import (
    Crash,
    LatentSectorError,
    NetworkSpec,
    Pause,
    Restart,
    Resume,
    Schedule,
    TimedFault,
    Workload,
)
from ackcheck.sim import simulate

NO_CLIENTS = Workload(clients=1, writes=0)


def beat_run(faults: tuple[TimedFault, ...], reg: Registry, nodes: int = 3) -> Any:
    sched = Schedule(nodes=nodes, seed=7, duration=400_000, settle=0, workload=NO_CLIENTS,
                     network=NetworkSpec(min_delay=100, max_delay=2_000), faults=faults)
    return simulate(sched, heartbeat_factory, HeartbeatConfig(period=10_000, registry=reg))


def test_pause_queues_inputs_and_resume_handles_them_in_order_then_timers() -> None:
    reg = Registry()
    faults = (TimedFault(100_000, Pause(2)), TimedFault(200_000, Resume(2)))
    h = beat_run(faults, reg).history
    n2 = [e for e in h.events if e.actor == "n2"]
    during = [e for e in n2 if 100_000 < e.time < 200_000]
    assert [e.kind for e in during] == []  # nothing handled, no timer fired
    at_resume = [e for e in n2 if e.time == 200_000]
    kinds = [e.kind for e in at_resume]
    assert kinds[0] == "resume" and at_resume[0].data["queued"] > 10
    delivered = [i for i, k in enumerate(kinds) if k == "deliver"]
    assert len(delivered) == at_resume[0].data["queued"]
    assert "timer" in kinds and kinds.index("timer") > max(delivered)
    node = reg.last(2)
    for src in (0, 1):
        beats = [b for s, b in node.received if s == src]
        assert beats == sorted(beats) and len(set(beats)) == len(beats)
    assert len(reg.built[2]) == 1  # a pause is not a restart


def test_pause_of_down_node_and_resume_of_running_node_are_recorded_noops() -> None:
    reg = Registry()
    faults = (TimedFault(10, Resume(1)), TimedFault(20, Crash(1)), TimedFault(30, Pause(1)))
    h = beat_run(faults, reg).history
    assert [(f.applied, f.note) for f in h.faults] == [
        (False, "n1 is up"), (True, ""), (False, "n1 is down")]


def test_crash_discards_timers_and_drops_messages_restart_boots_again() -> None:
    reg = Registry()
    faults = (TimedFault(100_000, Crash(1)), TimedFault(200_000, Restart(1)))
    h = beat_run(faults, reg).history
    n1_timers = [e.time for e in h.events if e.actor == "n1" and e.kind == "timer"]
    assert not [t for t in n1_timers if 100_000 <= t < 200_000]
    assert [t for t in n1_timers if t > 200_000]
    first, second = reg.built[1]
    assert 5 <= first.beat <= 10  # beat every ~10ms until the crash at 100ms, then stopped
    assert second.beat >= 15  # the new life beats from 200ms to 400ms
    drops = [e for e in h.events if e.kind == "drop" and e.data["to"] == "n1"]
    assert drops and all(100_000 <= e.time <= 200_000 + 2_000 for e in drops)
    assert {e.data["reason"] for e in drops} <= {"node down", "receiver restarted"}
    boots = [e for e in h.events if e.kind == "boot" and e.actor == "n1"]
    assert [b.data["why"] for b in boots] == ["start", "restart"]
    assert h.final_states[1] is not None


def test_timer_replace_and_cancel() -> None:
    def script(node: Any, event: Any) -> list[Any]:
        if isinstance(event, Boot):
            from ackcheck.node import CancelTimer

            return [SetTimer("a", 1_000), SetTimer("a", 5_000), SetTimer("b", 2_000),
                    CancelTimer("b"), SetTimer("c", 0)]
        return []

    reg = Registry()
    sched = Schedule(nodes=1, duration=50_000, settle=0, workload=NO_CLIENTS)
    h = simulate(sched, script_factory(script, reg), None).history
    fired = [(e.time, e.data["name"]) for e in h.events if e.kind == "timer"]
    assert fired == [(0, "c"), (5_000, "a")]
    assert [e for e in reg.last(0).inputs if isinstance(e, Timeout)] == [
        Timeout("c"), Timeout("a")]


def test_restart_boot_sees_disk_including_page_cache_after_crash() -> None:
    def script(node: Any, event: Any) -> list[Any]:
        if isinstance(event, Boot):
            files = {name: event.disk.read(name) for name in event.disk.list()}
            node.seen = files
            if not files:
                return [Write("log/a", b"synced"), Fsync("log/a"), Write("log/b", b"cached")]
        return []

    reg = Registry()
    faults = (TimedFault(1_000, Crash(0)), TimedFault(2_000, Restart(0)))
    sched = Schedule(nodes=1, duration=10_000, settle=0, workload=NO_CLIENTS, faults=faults)
    simulate(sched, script_factory(script, reg), None)
    first, second = reg.built[0]
    assert first.seen == {}
    assert second.seen == {"log/a": b"synced", "log/b": b"cached"}


def test_halt_is_recorded_node_stays_up_and_final_phase_restarts_it() -> None:
    def script(node: Any, event: Any) -> list[Any]:
        if isinstance(event, Boot):
            return [Observe("halt", {"reason": "disk is bad"}), SetTimer("t", 1_000),
                    Write("log/after", b"x")]
        return []

    reg = Registry()
    faults = (TimedFault(5_000, Restart(0)),)
    sched = Schedule(nodes=1, duration=10_000, settle=1_000, workload=NO_CLIENTS, faults=faults)
    h = simulate(sched, script_factory(script, reg), None).history
    # a halt is the node's statement: its other outputs still happen (the node decides)
    assert [e.data["file"] for e in h.events if e.kind == "write"] == ["log/after"] * 2
    assert [e.time for e in h.events if e.kind == "timer"] == [1_000, 11_000]
    halts = [(e.time, e.data["reason"]) for e in h.events if e.kind == "halt"]
    assert halts == [(0, "disk is bad"), (10_000, "disk is bad")]
    assert (h.faults[0].applied, h.faults[0].note) == (False, "n0 is up (halted)")
    whys = [e.data["why"] for e in h.events if e.kind == "boot"]
    assert whys == ["start", "final restart after halt"]
    assert [e.data["reason"] for e in h.events if e.kind == "stop"] == [
        "final restart of a halted node"]
    assert len(reg.built[0]) == 2 and h.final_states[0] is not None
    assert [o.kind for o in h.observations] == ["halt", "halt"]
    assert h.final_reads[0].complete is False


def test_uncaught_read_error_in_recovery_kills_the_process() -> None:
    def script(node: Any, event: Any) -> list[Any]:
        if isinstance(event, Boot):
            if event.disk.list():
                event.disk.read("log/a")
                return []
            return [Write("log/a", b"abc"), Fsync("log/a")]
        return []

    reg = Registry()
    faults = (TimedFault(1_000, Crash(0)),
              TimedFault(2_000, LatentSectorError(0, "log", 0, 0, 1)),
              TimedFault(3_000, Restart(0)))
    sched = Schedule(nodes=1, duration=10_000, settle=0, workload=NO_CLIENTS, faults=faults)
    h = simulate(sched, script_factory(script, reg), None).history
    halts = [(e.time, e.data["reason"]) for e in h.events if e.kind == "halt"]
    assert halts[0][0] == 3_000 and halts[0][1].startswith("uncaught ReadError during recovery")
    assert len(halts) == 2  # the final restart meets the same bad sector
    assert h.final_states == (None,)


def test_messages_sent_before_receiver_crash_are_dropped_after_restart() -> None:
    def script(node: Any, event: Any) -> list[Any]:
        if isinstance(event, Boot) and node.id == 0:
            return [Send(1, Ping(1))]
        return []

    reg = Registry()
    faults = (TimedFault(100, Crash(1)), TimedFault(200, Restart(1)))
    sched = Schedule(nodes=2, duration=50_000, settle=0, workload=NO_CLIENTS, faults=faults,
                     network=NetworkSpec(min_delay=5_000, max_delay=5_000))
    h = simulate(sched, script_factory(script, reg), None).history
    assert [e.data["reason"] for e in h.events if e.kind == "drop"] == ["receiver restarted"]
    assert not [e for n in reg.built[1] for e in n.inputs if isinstance(e, Receive)]


def test_faults_after_the_fault_phase_are_recorded_noops() -> None:
    reg = Registry()
    sched = Schedule(nodes=2, duration=10_000, settle=50_000, workload=NO_CLIENTS,
                     faults=(TimedFault(10_000, Crash(0)), TimedFault(20_000, Crash(1))))
    h = simulate(sched, heartbeat_factory, HeartbeatConfig(registry=reg)).history
    assert [(f.time, f.applied, f.note) for f in h.faults] == [
        (10_000, True, ""), (20_000, False, "after the fault phase")]
    assert len(reg.built[0]) == 2 and len(reg.built[1]) == 1  # n0 restarted by the final phase
    assert h.heal_time == 10_000
