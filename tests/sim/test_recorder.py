"""Recorder: canonical JSON-safe data, Lamport clocks, streamed digest."""

from __future__ import annotations

import json
from dataclasses import dataclass

import attrs
from nodes import HeartbeatConfig, LogConfig, heartbeat_factory, log_factory

from ackcheck.canonical import canonical, encode_event
from ackcheck.schedule import Crash, NetworkSpec, Restart, Schedule, TimedFault
from ackcheck.sim import simulate
from ackcheck.sim.recorder import Recorder
from ackcheck.sim.seeds import derive_seed


@attrs.frozen
class Inner:
    data: bytes
    tags: frozenset[str]


@dataclass
class Plain:
    x: int


class Opaque:
    pass


def test_canonical_is_json_safe_and_stable() -> None:
    value = {1: (Inner(b"abcd", frozenset({"b", "a"})), Plain(3)), "o": Opaque(), "f": 1.5}
    out = canonical(value)
    assert out == {"1": [{"data": "<4 bytes>", "tags": ["a", "b"]}, {"x": 3}],
                   "o": "<Opaque>", "f": 1.5}
    json.dumps(out, allow_nan=False)


def test_lamport_clock_follows_deliveries() -> None:
    rec = Recorder()
    assert rec.record(0, "n0", "send", {}) == 1
    assert rec.record(0, "n0", "send", {}) == 2
    assert rec.record(5, "n1", "deliver", {}, seen=2) == 3
    assert rec.record(6, "n1", "timer", {}) == 4
    assert [e.lamport for e in rec.events()] == [1, 2, 3, 4]


def test_digest_covers_every_event_field() -> None:
    a, b = Recorder(), Recorder(keep=False)
    for rec in (a, b):
        rec.record(1, "n0", "send", {"to": "n1"})
    assert a.digest() == b.digest()
    c = Recorder()
    c.record(1, "n0", "send", {"to": "n2"})
    assert c.digest() != a.digest()


def test_derive_seed_is_stable_and_label_specific() -> None:
    assert derive_seed(0, "node/1") == derive_seed(0, "node/1")
    assert derive_seed(0, "node/1") != derive_seed(0, "node/2")
    assert derive_seed(0, "node/1") != derive_seed(1, "node/1")
    # pinned: a change of the derivation would silently change every recorded digest
    assert derive_seed(0, "node/0") == int.from_bytes(
        __import__("hashlib").sha256(b"0/node/0").digest()[:8], "big")


def test_every_recorded_event_is_json_safe_and_kinds_are_present() -> None:
    faults = (TimedFault(300_000, Crash(1)), TimedFault(400_000, Restart(1)))
    sched = Schedule(nodes=3, seed=2, duration=600_000, settle=500_000, faults=faults,
                     network=NetworkSpec(loss=0.1))
    h = simulate(sched, log_factory, LogConfig(fsync=False)).history
    for e in h.events:
        json.dumps(e.data, allow_nan=False)
    kinds = {e.kind for e in h.events}
    assert {"boot", "send", "deliver", "drop", "write", "fault", "crash", "client-invoke",
            "client-ok", "observe", "final-read"} <= kinds
    times = [e.time for e in h.events]
    assert times == sorted(times)


def test_adding_a_node_does_not_reshuffle_other_link_streams() -> None:
    cfg = HeartbeatConfig(period=10_000)

    def first_delays(nodes: int) -> list[int]:
        sched = Schedule(nodes=nodes, seed=5, duration=50_000, settle=0)
        h = simulate(sched, heartbeat_factory, cfg).history
        sends = {e.data["msg_id"]: e.time for e in h.events
                 if e.kind == "send" and e.actor == "n0" and e.data["to"] == "n1"}
        return [e.time - sends[e.data["msg_id"]] for e in h.events
                if e.kind == "deliver" and e.actor == "n1" and e.data["from"] == "n0"]

    assert first_delays(3) == first_delays(4)


def test_digest_is_sha256_of_canonical_event_lines() -> None:
    """The recorder's fast line assembly must equal the documented canonical encoding."""
    import hashlib



    faults = (TimedFault(100_000, Crash(0)), TimedFault(150_000, Restart(0)))
    sched = Schedule(nodes=3, seed=4, duration=300_000, settle=300_000, faults=faults)
    result = simulate(sched, heartbeat_factory, HeartbeatConfig(period=5_000))
    lines = "".join(
        encode_event(e.time, e.actor, e.kind, e.lamport, e.data) + "\n"
        for e in result.history.events
    )
    assert hashlib.sha256(lines.encode()).hexdigest() == result.digest
    assert len(result.history.events) > 1_024  # spans several hashed chunks
