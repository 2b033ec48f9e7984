"""Network: partition shapes, heal, in-flight drops, FIFO, loss, duplication, reorder."""

from __future__ import annotations

from typing import Any

import attrs
from nodes import Ping, Registry, script_factory

from ackcheck.node import Boot, Receive, Send
from ackcheck.schedule import Heal, NetworkSpec, Partition, Schedule, TimedFault, Workload
from ackcheck.sim import partition_graph, simulate
from ackcheck.sim.network import SimNetwork
from ackcheck.sim.seeds import RngStreams

NO_CLIENTS = Workload(clients=1, writes=0)


def links(graph: Any) -> set[tuple[int, int]]:
    return set(graph.edges)


def test_split_isolates_the_named_side() -> None:
    g = partition_graph(5, "split", (0, 1))
    assert (0, 1) in links(g) and (1, 0) in links(g)
    assert (2, 3) in links(g) and (4, 2) in links(g)
    assert not any((a, b) in links(g) for a in (0, 1) for b in (2, 3, 4))
    assert not any((b, a) in links(g) for a in (0, 1) for b in (2, 3, 4))


def test_bridge_connects_halves_only_through_the_bridge() -> None:
    g = partition_graph(5, "bridge", (2,))
    # bridge n2; the rest in id order: [0, 1] and [3, 4]
    for n in (0, 1, 3, 4):
        assert (2, n) in links(g) and (n, 2) in links(g)
    assert (0, 1) in links(g) and (3, 4) in links(g)
    for a in (0, 1):
        for b in (3, 4):
            assert (a, b) not in links(g) and (b, a) not in links(g)


def test_one_way_drops_only_outgoing() -> None:
    g = partition_graph(3, "one-way", (0,))
    assert (0, 1) not in links(g) and (0, 2) not in links(g)
    assert (1, 0) in links(g) and (2, 0) in links(g) and (1, 2) in links(g)


def test_heal_restores_full_mesh_and_partition_replaces() -> None:
    net = SimNetwork(3, NetworkSpec(), RngStreams(0))
    net.partition("split", (0,))
    assert not net.connected(0, 1)
    net.partition("split", (2,))  # replaces, does not add to, the earlier cut
    assert net.connected(0, 1) and not net.connected(0, 2)
    assert net.is_partitioned()
    net.heal()
    assert not net.is_partitioned()
    assert all(net.connected(a, b) for a in range(3) for b in range(3))


def _sender(count: int, to: int = 1) -> Any:
    def script(node: Any, event: Any) -> list[Any]:
        if isinstance(event, Boot) and node.id == 0:
            return [Send(to, Ping(k)) for k in range(count)]
        return []

    return script


def _received(reg: Registry, node: int) -> list[int]:
    return [e.msg.beat for n in reg.built[node] for e in n.inputs if isinstance(e, Receive)]


def _run(reg: Registry, count: int, net: NetworkSpec, faults: tuple[TimedFault, ...] = (),
         nodes: int = 2, seed: int = 0) -> Any:
    sched = Schedule(nodes=nodes, seed=seed, duration=100_000, settle=0, network=net,
                     workload=NO_CLIENTS, faults=faults)
    return simulate(sched, script_factory(_sender(count), reg), None).history


def test_link_is_fifo_without_reorder() -> None:
    reg = Registry()
    _run(reg, 200, NetworkSpec(min_delay=0, max_delay=10_000))
    assert _received(reg, 1) == list(range(200))


def test_reorder_lets_messages_overtake() -> None:
    reg = Registry()
    _run(reg, 200, NetworkSpec(min_delay=0, max_delay=10_000, reorder=0.5))
    got = _received(reg, 1)
    assert sorted(got) == list(range(200))
    assert got != list(range(200))


def test_loss_drops_and_records_reason() -> None:
    reg = Registry()
    h = _run(reg, 50, NetworkSpec(loss=1.0))
    assert _received(reg, 1) == []
    drops = [e for e in h.events if e.kind == "drop"]
    assert len(drops) == 50 and all(e.data["reason"] == "loss" for e in drops)


def test_duplicate_delivers_twice() -> None:
    reg = Registry()
    _run(reg, 20, NetworkSpec(duplicate=1.0))
    got = _received(reg, 1)
    assert sorted(got) == sorted(list(range(20)) * 2)


def test_message_in_flight_is_dropped_when_cut() -> None:
    reg = Registry()
    spec = NetworkSpec(min_delay=5_000, max_delay=5_000)
    cut = (TimedFault(1_000, Partition("split", (0,))),)
    h = _run(reg, 3, spec, cut)
    assert _received(reg, 1) == []
    drops = [e.data for e in h.events if e.kind == "drop"]
    assert [d["reason"] for d in drops] == ["partition"] * 3
    sends = [e.data["msg_id"] for e in h.events if e.kind == "send" and e.actor == "n0"]
    assert sorted(d["msg_id"] for d in drops) == sorted(sends)


def test_heal_before_delivery_lets_message_through() -> None:
    reg = Registry()
    spec = NetworkSpec(min_delay=5_000, max_delay=5_000)
    faults = (TimedFault(1_000, Partition("split", (0,))), TimedFault(2_000, Heal()))
    _run(reg, 3, spec, faults)
    assert _received(reg, 1) == [0, 1, 2]


def test_one_way_partition_end_to_end() -> None:
    def script(node: Any, event: Any) -> list[Any]:
        if isinstance(event, Boot):
            return [Send(1 - node.id, Ping(node.id))]
        return []

    reg = Registry()
    sched = Schedule(nodes=2, duration=50_000, settle=0, workload=NO_CLIENTS,
                     faults=(TimedFault(0, Partition("one-way", (0,))),))
    simulate(sched, script_factory(script, reg), None)
    assert _received(reg, 0) == [1]  # n1 -> n0 flows
    assert _received(reg, 1) == []  # n0 -> n1 is cut


def test_send_and_deliver_pair_up_with_lamport_order() -> None:
    reg = Registry()
    h = _run(reg, 5, NetworkSpec())
    sends = {e.data["msg_id"]: e for e in h.events if e.kind == "send"}
    delivers = [e for e in h.events if e.kind == "deliver" and e.actor == "n1"]
    assert len(delivers) == 5
    for d in delivers:
        s = sends[d.data["msg_id"]]
        assert d.lamport > s.lamport and d.time >= s.time
        assert d.data["type"] == "Ping" == s.data["type"]
        assert s.data["msg"] == attrs.asdict(Ping(s.data["msg"]["beat"])) | {"payload": "<0 bytes>"}


def test_bridge_partition_end_to_end_then_heal() -> None:
    from nodes import HeartbeatConfig, heartbeat_factory

    reg = Registry()
    faults = (TimedFault(50_000, Partition("bridge", (2,))), TimedFault(150_000, Heal()))
    sched = Schedule(nodes=5, seed=3, duration=250_000, settle=0, workload=NO_CLIENTS,
                     faults=faults, network=NetworkSpec(min_delay=100, max_delay=1_000))
    h = simulate(sched, heartbeat_factory, HeartbeatConfig(period=10_000, registry=reg)).history
    delivered = [(e.time, e.data["from"], e.actor) for e in h.events if e.kind == "deliver"]
    cut = {("n0", "n3"), ("n0", "n4"), ("n1", "n3"), ("n1", "n4")}
    cut |= {(b, a) for a, b in cut}
    during = {(src, dst) for t, src, dst in delivered if 51_000 <= t < 150_000}
    assert during and not during & cut
    assert {("n2", n) for n in ("n0", "n1", "n3", "n4")} <= during  # the bridge reaches all
    after = {(src, dst) for t, src, dst in delivered if t > 151_000}
    assert cut <= after
    dropped = {(e.data["from"], e.data["to"]) for e in h.events if e.kind == "drop"}
    assert dropped == cut
