"""Decisions: faults fired right after the step that showed their protocol event, on
node ids counted from the node that had it; and what the simulator reads as events."""

from __future__ import annotations

from typing import Any

import pytest
from nodes import Registry, script_factory

from ackcheck.model import make_node, resolve_config
from ackcheck.node import (
    Boot,
    ClientReply,
    ClientRequest,
    Observe,
    PublishOk,
    Receive,
    Refused,
    Send,
    SetTimer,
    Timeout,
    Write,
)
from ackcheck.schedule import (
    Crash,
    Decision,
    Heal,
    NetworkSpec,
    Partition,
    Schedule,
    Workload,
)
from ackcheck.sim import Simulator, simulate
from ackcheck.sim.loop import EventLoop
from ackcheck.sim.protocol import EVENT_OF

NO_CLIENTS = Workload(clients=1, writes=0)


def leader_every_10ms(node: Any, event: Any) -> list[Any]:
    """Each node 'becomes leader' on its own timer: n0 at 10 ms, n1 at 20 ms, ..."""
    if isinstance(event, Boot):
        return [SetTimer("t", 10_000 * (node.id + 1))]
    if isinstance(event, Timeout):
        return [Observe("leader", {"term": node.id + 1}), SetTimer("t", 100_000)]
    return []


def run(decisions: tuple[Decision, ...], nodes: int = 3, duration: int = 400_000) -> Any:
    sched = Schedule(nodes=nodes, seed=3, duration=duration, settle=0, workload=NO_CLIENTS,
                     decisions=decisions)
    return simulate(sched, script_factory(leader_every_10ms, Registry()), None)


def applied(result: Any) -> list[tuple[int, str, str]]:
    return [(f.time, f.fault.describe(), f.note) for f in result.history.faults]


def test_a_decision_fires_right_after_the_step_on_the_node_that_had_the_event() -> None:
    result = run((Decision("leader", 1, Crash(0)),))
    assert applied(result) == [(10_000, "crash n0", "decision 1: after the 1st leader, on n0")]
    events = [(e.actor, e.kind) for e in result.history.events if e.time == 10_000]
    # the timer step and its observation, then at once the crash: nothing in between
    assert events == [("n0", "timer"), ("n0", "observe"), ("n0", "crash"), ("sim", "fault")]
    assert [(f.index, f.time, f.subject) for f in result.fired] == [(0, 10_000, 0)]


def test_node_ids_count_from_the_event_node_modulo_the_cluster() -> None:
    # the 2nd leader event is n1's (20 ms); "@+2" of n1 in 3 nodes is n0
    result = run((Decision("leader", 2, Partition("split", (0, 2))),))
    assert applied(result)[0][:2] == (20_000, "partition split [n0,n1]")


def test_decisions_are_a_chain_each_counting_after_the_previous_fired() -> None:
    result = run((Decision("leader", 2, Heal()), Decision("leader", 1, Crash(0)),
                  Decision("leader", 0, Crash(1))))
    # 1st fires at n1's event (20 ms); the 2nd waits for the next one (n2, 30 ms); the
    # 3rd (count 0) fires with it, on the same node: @+1 of n2 is n0
    assert [(t, d) for t, d, _ in applied(result)] == [
        (20_000, "heal"), (30_000, "crash n2"), (30_000, "crash n0")]
    assert [f.index for f in result.fired] == [0, 1, 2]


def test_a_first_decision_with_count_zero_fires_at_the_start_from_node_zero() -> None:
    result = run((Decision("leader", 0, Crash(1)),))
    assert applied(result)[0][:2] == (0, "crash n1")


def test_recover_brings_the_recovery_at_once_or_later() -> None:
    at_once = run((Decision("leader", 1, Crash(0), recover=0),))
    assert [(t, d) for t, d, _ in applied(at_once)] == [(10_000, "crash n0"),
                                                        (10_000, "restart n0")]
    assert applied(at_once)[1][2].endswith("(recovery)")
    later = run((Decision("leader", 1, Crash(0), recover=5_000),))
    assert [(t, d) for t, d, _ in applied(later)] == [(10_000, "crash n0"),
                                                      (15_000, "restart n0")]


def test_no_decision_fires_after_the_fault_phase() -> None:
    # the 3rd leader event is n2's at 30 ms; the fault phase ends at 25 ms
    result = run((Decision("leader", 3, Crash(0)),), duration=25_000)
    assert applied(result) == [] and result.fired == ()


def test_at_once_runs_before_everything_else_due_now_in_call_order() -> None:
    loop = EventLoop()
    order: list[str] = []

    def first() -> None:
        order.append("first")
        loop.at(0, order.append, "ordinary")
        loop.at_once(order.append, "urgent-1")
        loop.at_once(order.append, "urgent-2")

    loop.at(0, first)
    loop.at(0, order.append, "queued-before")
    loop.run(until=0)
    assert order == ["first", "urgent-1", "urgent-2", "queued-before", "ordinary"]


@pytest.mark.parametrize(
    "out, client, event",
    [
        (Observe("leader", {"term": 1}), False, "leader"),
        (Observe("commit", {"index": 1}), False, "commit"),
        (Observe("apply", {"index": 1}), False, None),
        (Write("log/1", b"x", tags=("0-0",)), True, "append"),
        (Write("log/1", b"x", tags=("0-0",)), False, None),  # a follower storing it
        (Write("log/1", b"x"), True, None),  # untagged: not a client's value
        (ClientReply(0, 1, PublishOk(1)), True, "ack"),
        (ClientReply(0, 1, Refused("not leader")), True, None),
        (Send(1, type("VoteReply", (), {"granted": True})()), False, "vote"),
        (Send(1, type("VoteReply", (), {"granted": False})()), False, None),
        (Send(1, "ping"), False, None),
    ],
)
def test_protocol_events_read_off_outputs(out: Any, client: bool, event: str | None) -> None:
    classify = EVENT_OF.get(type(out))
    assert (classify(out, client) if classify else None) == event


def test_only_decisions_or_coverage_watch_the_steps_and_watching_changes_nothing() -> None:
    config = resolve_config("raft")
    sched = Schedule(nodes=3, seed=5, duration=800_000, settle=500_000,
                     workload=Workload(clients=3, writes=9))
    plain = Simulator(sched, make_node, config)
    assert plain.processes._listener is None  # the plain step: no protocol events read
    watched = Simulator(sched, make_node, config, coverage=True)
    assert watched.processes._listener is not None
    a, b = plain.run(), watched.run()
    assert a.digest == b.digest and a.coverage == frozenset()
    roles = {state[1] for state in b.coverage if state[0] != "down"}
    assert {"leader", "follower"} <= roles


def test_a_decision_schedule_replays_to_the_same_digest() -> None:
    config = resolve_config("raft-unsafe-commit")
    sched = Schedule(nodes=3, seed=11, workload=Workload(clients=3, writes=12),
                     decisions=(Decision("leader", 1, Partition("split", (0,))),
                                Decision("commit", 1, Crash(1), recover=0)))
    first = simulate(sched, make_node, config)
    again = simulate(sched, make_node, config)
    assert first.digest == again.digest and first.fired == again.fired
    assert len(first.fired) == 2


def states_node(shift: int) -> Any:
    """Nodes whose reported term depends on their id shifted by ``shift``."""
    from ackcheck.node import NodeState

    class Node:
        def __init__(self, node_id: int) -> None:
            self.id = node_id

        def step(self, event: Any) -> list[Any]:
            return []

        def state(self) -> NodeState:
            term = (self.id + shift) % 3
            return NodeState(term=term, role="leader" if term == 2 else "follower",
                             commit_index=term, log=())

    return lambda node_id, nodes, config, rng: Node(node_id)


def test_cluster_states_that_differ_only_in_node_names_are_one_state() -> None:
    sched = Schedule(nodes=3, seed=1, duration=1_000, settle=0, workload=NO_CLIENTS)
    states = []
    for shift in (0, 1, 2):
        sim = Simulator(sched, states_node(shift), None)
        sim.run()
        states.append(sim.cluster_state())
    assert states[0] == states[1] == states[2]
    cut = Simulator(sched, states_node(0), None)
    cut.run()
    cut.network.partition("split", (0,))
    assert cut.cluster_state() != states[0]


def test_messages_in_flight_are_part_of_the_cluster_state() -> None:
    def ping_at_start(node: Any, event: Any) -> list[Any]:
        if isinstance(event, Boot) and node.id == 0:
            return [Send(1, "ping")]
        if isinstance(event, (Receive, ClientRequest)):
            return []
        return []

    sched = Schedule(nodes=2, seed=1, duration=0, settle=0, workload=NO_CLIENTS,
                     network=NetworkSpec(min_delay=1_000, max_delay=1_000))
    sim = Simulator(sched, script_factory(ping_at_start, Registry()), None)
    sim.loop.at(0, sim.processes.boot, sim.processes.slots[0], "start")
    sim.loop.at(0, sim.processes.boot, sim.processes.slots[1], "start")
    sim.loop.run(until=0)
    assert sim.transport.in_flight() == [(0, 1, "str", -1)]
    assert sim.cluster_state()[2] == ((0, 1, "str", -1),)
