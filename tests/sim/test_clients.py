"""Workload clients: unique values, retries of the same value, leader hints, final read."""

from __future__ import annotations

from typing import Any

from nodes import LogConfig, Registry, log_factory, script_factory

from ackcheck.node import (
    Boot,
    ClientReply,
    ClientRequest,
    Publish,
    PublishOk,
    Read,
    ReadOk,
    Refused,
)
from ackcheck.schedule import NetworkSpec, Pause, Schedule, TimedFault, Workload
from ackcheck.sim import simulate

FAST = NetworkSpec(min_delay=100, max_delay=300)


def test_values_are_dealt_round_robin() -> None:
    dealt = Workload(clients=3, writes=7).values()
    assert dealt == [["0-0", "0-1", "0-2"], ["1-0", "1-1"], ["2-0", "2-1"]]
    assert Workload(clients=2, writes=0).values() == [[], []]


def test_each_value_is_published_once_when_all_succeed() -> None:
    wl = Workload(clients=3, writes=30, interval=1_000, timeout=10_000, start=5_000)
    sched = Schedule(nodes=2, seed=1, duration=200_000, settle=100_000, network=FAST, workload=wl)
    h = simulate(sched, log_factory, LogConfig()).history
    pubs = [op for op in h.ops if op.f == "publish"]
    invokes = [op.value for op in pubs if op.type == "invoke"]
    dealt = Workload(clients=3, writes=30).values()
    assert sorted(invokes) == sorted(v for vs in dealt for v in vs)
    assert [op.index for op in h.ops] == list(range(len(h.ops)))
    assert {op.node for op in pubs if op.process == 2} == {0}  # client 2 -> node 2 % 2
    first = min(op.time for op in pubs)
    assert first == 5_000
    # one outstanding publish per client: invoke, ok, invoke, ok ...
    for c in range(3):
        types = [op.type for op in pubs if op.process == c]
        assert types == ["invoke", "ok"] * (len(types) // 2)
    # the final read of node 0 holds clients 0 and 2's values in its own order
    reads = {fr.node: fr for fr in h.final_reads}
    assert reads[0].complete and reads[1].complete
    assert {v for _s, v in reads[0].entries} == {v for v in invokes if v[0] in "02"}
    assert [s for s, _v in reads[0].entries] == list(range(1, len(reads[0].entries) + 1))


def _refusing_script(node: Any, event: Any) -> list[Any]:
    """n0 refuses publishes, pointing at n1; n1 accepts; both answer reads."""
    if isinstance(event, Boot):
        node.log = []
        return []
    if isinstance(event, ClientRequest):
        if isinstance(event.op, Publish):
            if node.id == 0:
                return [ClientReply(event.client, event.req_id, Refused("not leader", 1))]
            node.log.append(event.op.value)
            return [ClientReply(event.client, event.req_id, PublishOk(len(node.log)))]
        if isinstance(event.op, Read):
            entries = tuple((i + 1, v) for i, v in enumerate(node.log))[event.op.from_seq - 1:]
            return [ClientReply(event.client, event.req_id, ReadOk(entries, len(node.log)))]
    return []


def test_refused_with_leader_hint_moves_the_client_and_retries_same_value() -> None:
    reg = Registry()
    wl = Workload(clients=1, writes=2, interval=1_000, timeout=10_000, start=0)
    sched = Schedule(nodes=2, duration=100_000, settle=50_000, network=FAST, workload=wl)
    h = simulate(sched, script_factory(_refusing_script, reg), None).history
    pubs = [(op.type, op.value, op.node) for op in h.ops if op.f == "publish"]
    assert pubs == [("invoke", "0-0", 0), ("fail", "0-0", 0), ("invoke", "0-0", 1),
                    ("ok", "0-0", 1), ("invoke", "0-1", 1), ("ok", "0-1", 1)]
    fails = [e.data for e in h.events if e.kind == "client-fail"]
    assert fails == [{"f": "publish", "value": "0-0", "req_id": 1, "reason": "not leader",
                      "leader": 1}]
    assert [fr.entries for fr in h.final_reads] == [(), ((1, "0-0"), (2, "0-1"))]


def test_timeouts_retry_the_same_value_and_end_as_info() -> None:
    wl = Workload(clients=1, writes=3, interval=1_000, timeout=5_000, start=0)
    faults = (TimedFault(0, Pause(0)),)
    sched = Schedule(nodes=1, duration=20_000, settle=100_000, network=FAST, workload=wl,
                     faults=faults)
    h = simulate(sched, log_factory, LogConfig()).history
    pubs = [(op.type, op.value) for op in h.ops if op.f == "publish"]
    assert set(v for _t, v in pubs) == {"0-0"}
    assert [t for t, _v in pubs] == ["invoke", "info"] * (len(pubs) // 2)
    invokes = [op.time for op in h.ops if op.type == "invoke" and op.f == "publish"]
    assert invokes == [0, 6_000, 12_000, 18_000]  # timeout 5ms, then wait the interval
    infos = [e.data["reason"] for e in h.events if e.kind == "client-info"]
    assert infos == ["timeout"] * 3 + ["end of fault phase"]
    # the queued publishes are handled when the final phase resumes the node
    assert h.final_reads[0].entries and {v for _s, v in h.final_reads[0].entries} == {"0-0"}
    assert h.acked() == {}


def test_outstanding_publish_at_end_of_fault_phase_is_info() -> None:
    wl = Workload(clients=1, writes=1, interval=1_000, timeout=50_000, start=0)
    sched = Schedule(nodes=1, duration=5_000, settle=100_000, network=FAST, workload=wl,
                     faults=(TimedFault(0, Pause(0)),))
    h = simulate(sched, log_factory, LogConfig()).history
    pubs = [(op.type, op.time) for op in h.ops if op.f == "publish"]
    assert pubs == [("invoke", 0), ("info", 5_000)]
    reasons = [e.data["reason"] for e in h.events if e.kind == "client-info"]
    assert reasons == ["end of fault phase"]


def test_final_read_drains_in_pages_and_needs_two_agreeing_drains() -> None:
    wl = Workload(clients=1, writes=600, interval=10, timeout=10_000, start=0)
    sched = Schedule(nodes=1, duration=1_000_000, settle=1_000_000, network=FAST, workload=wl)
    h = simulate(sched, log_factory, LogConfig(fsync=False)).history
    fr = h.final_reads[0]
    assert fr.complete and len(fr.entries) == 600
    reads = [op for op in h.ops if op.f == "read" and op.type == "invoke"]
    assert len(reads) == 2 * 3  # 600 entries in pages of 256, twice
    assert h.end_time < sched.duration + sched.settle  # stops once every reader is done
    assert h.final_states[0] is not None and h.final_states[0].commit_index == 600


def test_final_read_of_refusing_node_is_incomplete_with_reason() -> None:
    def script(node: Any, event: Any) -> list[Any]:
        if isinstance(event, ClientRequest):
            return [ClientReply(event.client, event.req_id, Refused("no quorum"))]
        return []

    reg = Registry()
    sched = Schedule(nodes=1, duration=1_000, settle=100_000, network=FAST,
                     workload=Workload(clients=1, writes=0))
    h = simulate(sched, script_factory(script, reg), None).history
    fr = h.final_reads[0]
    assert not fr.complete and fr.entries == () and fr.error == "refused: no quorum"
    assert h.end_time == sched.duration + sched.settle
