"""Hand-built traces for renderer and file-format tests (no simulator needed).

The story: three nodes, n0 leads; client c0 publishes ``0-1`` through n0, which
replicates it to n1 and acks after n1 answers, but neither had fsynced; a power failure
of n0 and n1 removes the value from both, and the final read never returns it.
"""

from __future__ import annotations

from ackcheck.history import (
    Event,
    FaultEvent,
    FinalRead,
    History,
    Loss,
    Observation,
    Op,
    Residency,
)
from ackcheck.schedule import (
    Heal,
    NetworkSpec,
    Partition,
    Pause,
    PowerFailure,
    Restart,
    Resume,
    Schedule,
    TimedFault,
    Workload,
)
from ackcheck.traces import Trace, TraceViolation, make_trace
from ackcheck.traces.store import events_digest

POWER_AT = 300_000


def _events(heartbeats: int) -> tuple[Event, ...]:
    rows: list[tuple[int, str, str, dict]] = []
    msg = 0

    def send(t: int, src: int, dst: int, kind: str) -> int:
        nonlocal msg
        msg += 1
        rows.append((t, f"n{src}", "send", {"to": dst, "msg_id": msg, "type": kind}))
        return msg

    def deliver(t: int, dst: int, src: int, mid: int, kind: str) -> None:
        rows.append((t, f"n{dst}", "deliver", {"from": src, "msg_id": mid, "type": kind}))

    rows.append((0, "sim", "start", {"nodes": 3}))
    for dst in (1, 2):
        mid = send(10_000, 0, dst, "RequestVote")
        deliver(11_000 + dst, dst, 0, mid, "RequestVote")
        back = send(12_000 + dst, dst, 0, "VoteGranted")
        deliver(13_000 + dst, 0, dst, back, "VoteGranted")
    for i in range(heartbeats):  # spread over 20..90 ms, before the first publish
        t = 20_000 + i * 70_000 // max(heartbeats, 1)
        for dst in (1, 2):
            mid = send(t, 0, dst, "AppendEntries")
            deliver(t + 700, dst, 0, mid, "AppendEntries")
    rows.append((100_000, "c0", "invoke", {"f": "publish", "value": "0-1", "node": 0}))
    rows.append((100_500, "n0", "write", {"file": "log/0001", "tags": ["0-1"]}))
    a = send(101_000, 0, 1, "AppendEntries")
    deliver(102_000, 1, 0, a, "AppendEntries")
    rows.append((102_100, "n1", "write", {"file": "log/0001", "tags": ["0-1"]}))
    r = send(102_500, 1, 0, "AppendOk")
    deliver(103_500, 0, 1, r, "AppendOk")
    rows.append((104_000, "c0", "ok", {"f": "publish", "value": "0-1", "seq": 1}))
    rows.append((150_000, "n2", "fsync", {"file": "log/0001"}))
    send(200_000, 0, 2, "AppendEntries")  # never delivered: n2 is paused, then n0 dies
    rows.append((POWER_AT, "sim", "fault", {"kind": "power-failure", "nodes": [0, 1]}))
    rows.sort(key=lambda r: r[0])
    clocks: dict[str, int] = {}
    out = []
    for t, actor, kind, data in rows:
        clocks[actor] = clocks.get(actor, 0) + 1
        out.append(Event(time=t, actor=actor, kind=kind, data=data, lamport=clocks[actor]))
    return tuple(out)


def sample_schedule() -> Schedule:
    return Schedule(
        nodes=3,
        seed=7,
        duration=500_000,
        settle=1_000_000,
        network=NetworkSpec(min_delay=500, max_delay=1_500),
        workload=Workload(clients=1, writes=2, start=100_000),
        faults=(
            TimedFault(150_000, Pause(2)),
            TimedFault(180_000, Partition("split", (2,))),
            TimedFault(250_000, Resume(2)),
            TimedFault(POWER_AT, PowerFailure((0, 1))),
            TimedFault(400_000, Heal()),
            TimedFault(420_000, Restart(0)),
        ),
    )


def sample_history(heartbeats: int = 20) -> History:
    s = sample_schedule()
    return History(
        nodes=3,
        ops=(
            Op(0, 100_000, 0, "invoke", "publish", "0-1", 0),
            Op(1, 104_000, 0, "ok", "publish", "0-1", 0, seq=1),
            Op(2, 120_000, 0, "invoke", "publish", "0-2", 0),
            Op(3, 320_000, 0, "info", "publish", "0-2", 0),
        ),
        faults=tuple(FaultEvent(tf.at, tf.fault) for tf in s.faults),
        observations=(
            Observation(14_000, 0, "leader", {"term": 1, "log": (), "snapshot": 0}),
            Observation(103_600, 0, "commit", {"index": 1, "term": 1, "value": "0-1"}),
            Observation(430_000, 0, "recover", {"action": "truncate", "detail": "empty log"}),
        ),
        final_reads=(
            FinalRead(0, ()),
            FinalRead(1, ()),
            FinalRead(2, ((1, "0-2"),)),
        ),
        residency=(
            Residency(POWER_AT, "power-failure [n0,n1]", 0, (), ("0-1",)),
            Residency(POWER_AT, "power-failure [n0,n1]", 1, (), ("0-1",)),
        ),
        losses=(
            Loss(POWER_AT, 0, "log/0001", ("0-1",), "power-failure"),
            Loss(POWER_AT, 1, "log/0001", ("0-1",), "power-failure"),
        ),
        events=_events(heartbeats),
        heal_time=500_000,
        end_time=1_200_000,
    )


def sample_trace(heartbeats: int = 20, preset: str | None = None) -> Trace:
    history = sample_history(heartbeats)
    return make_trace(
        preset=preset,
        overrides=("fsync=never",),
        config={"fsync": "never", "election_timeout": 150_000, "snapshot_every": None},
        node="raft",
        schedule=sample_schedule(),
        properties=("acked-writes-survive",),
        violation=TraceViolation(
            property="acked-writes-survive",
            summary="acked write 0-1 is missing from every node's final read",
            details=(
                "0-1 was acked at 0.104s by n0 while only in the page cache of n0, n1",
                "power-failure [n0,n1] at 0.300s removed it from both",
            ),
            data={"value": "0-1", "nodes": [0, 1]},
        ),
        history=history,
        digest=events_digest(history.events),  # a reader checks the events against it
    )


# ---------------------------------------------------------------- simulated traces

LOSSY_PRESET = "nats-2.12.1"  # acks before fsync: a power failure of all loses acked writes


def lossy_schedule(seed: int = 0) -> Schedule:
    return Schedule(
        nodes=3,
        seed=seed,
        duration=1_000_000,
        settle=2_000_000,
        workload=Workload(clients=2, writes=10),
        faults=(
            TimedFault(150_000, Pause(2)),
            TimedFault(300_000, Resume(2)),
            TimedFault(400_000, PowerFailure((0, 1, 2))),
            TimedFault(500_000, Restart(0)),
        ),
    )


def simulated_trace(
    preset: str = LOSSY_PRESET, schedule: Schedule | None = None, overrides: tuple[str, ...] = ()
) -> Trace:
    """A trace of a real simulated run (the built-in raft node)."""
    from ackcheck.app._runner import run_once
    from ackcheck.model import resolve_config

    schedule = schedule or lossy_schedule()
    config = resolve_config(preset, overrides)
    outcome = run_once(config, schedule)
    return make_trace(
        preset=preset,
        overrides=overrides,
        config=config,
        node="raft",
        schedule=schedule,
        properties=None,
        violation=outcome.violations[0] if outcome.violations else None,
        history=outcome.history,
        digest=outcome.digest,
    )
