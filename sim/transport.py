"""Moving messages: node to node over the simulated network, and between the clients and
the nodes they talk to.

A send is recorded when it leaves; :class:`ackcheck.sim.network.SimNetwork` says when
(and whether) it arrives. Whether it can still be handed over is decided at arrival, as
a broken connection would decide it: a cut link (node-to-node only; client links are
never cut), a receiver that is down, or one that restarted since the send, drops it. A
paused receiver parks it until it resumes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, cast

from ackcheck.canonical import canonical, canonical_json
from ackcheck.node import ClientReply, ClientRequest, Receive, Send
from ackcheck.sim.loop import EventLoop, closed
from ackcheck.sim.network import SimNetwork
from ackcheck.sim.recorder import Recorder
from ackcheck.sim.slot import DOWN, PAUSED, NodeContractError, NodeSlot, Parked


class ClientEnd(Protocol):
    """The clients' side of their links: all the transport needs of them."""

    def is_client(self, client: int) -> bool: ...

    def on_reply(self, client: int, req_id: int, result: Any, node: int) -> None: ...


def record_drop(recorder: Recorder, now: int, src: int | str, dst: int, msg_id: int,
                reason: str) -> None:
    """Record that the input ``msg_id`` from ``src`` (a node id or a client's actor
    name) never reached node ``dst``."""
    src_name = src if isinstance(src, str) else f"n{src}"
    recorder.record(now, "sim", "drop",
                    {"from": src_name, "to": f"n{dst}", "msg_id": msg_id, "reason": reason})


def _gone(slot: NodeSlot, downs: int) -> str:
    """Why an input sent while the receiver had stopped ``downs`` times cannot be
    delivered now ("" if it can): the process is down, or is a later one."""
    if slot.status == DOWN:
        return "node down"
    if slot.downs != downs:
        return "receiver restarted"
    return ""


class Transport:
    """Sends, deliveries and drops of every message of one run. Delivered inputs go to
    ``step``; replies to clients go to ``clients``."""

    def __init__(
        self, slots: list[NodeSlot], network: SimNetwork, loop: EventLoop, recorder: Recorder,
        step: Callable[[NodeSlot, Any], None], clients: ClientEnd,
    ) -> None:
        self._slots = slots
        self._network = network
        self._loop = loop
        self._recorder = recorder
        self._step = step
        self._clients = clients
        self._type_json: dict[type, str] = {}  # message type -> its name, encoded
        # One bound method, scheduled for every arrival: in_flight() finds arrivals by
        # its identity (a compiled method has no ``__func__`` to compare).
        self._arrival: Callable[..., None] = self._deliver

    def close(self) -> None:
        """Let go of the step function and this object's own bound method
        (``Simulator.close``)."""
        self._step = closed
        self._arrival = closed

    # ---------------------------------------------------------------- node to node

    def send(self, slot: NodeSlot, out: Send) -> None:
        """The ``Send`` output: schedule each arrival (none if lost, two if duplicated)."""
        dst = cast(Any, out).to  # through Any: see DiskIO.write
        if not isinstance(dst, int) or not 0 <= dst < len(self._slots):
            raise NodeContractError(
                f"node n{slot.id} sent to {dst!r}, but the cluster has nodes "
                f"0..{len(self._slots) - 1}"
            )
        rec = self._recorder
        now = self._loop.now
        msg = out.msg
        target = self._slots[dst]
        msg_id = rec.new_msg_id()
        lam = rec.record(now, slot.actor, "send",
                         {"to": target.actor, "msg_id": msg_id, "type": type(msg).__name__,
                          "msg": canonical(msg)}) if rec.active else 0
        times = self._network.arrivals(now, slot.actor, target.actor)
        if not times:
            record_drop(rec, now, slot.id, dst, msg_id, "loss")
            return
        at, arrival = self._loop.at, self._arrival
        for t in times:
            at(t, arrival, slot.id, dst, msg, msg_id, lam, target.downs)

    def in_flight(self) -> list[tuple[int, int, str, int]]:
        """Node-to-node messages sent and not yet arrived that a live receiver would
        still be handed: (sender, receiver, type name, term or -1)."""
        out = []
        for callback, args in self._loop.pending():
            if callback is self._arrival:
                src, dst, msg, _msg_id, _lam, downs = args
                if self._slots[dst].downs == downs:
                    term = getattr(msg, "term", -1)
                    term = term if isinstance(term, int) else -1
                    out.append((src, dst, type(msg).__name__, term))
        return out

    def _deliver(self, src: int, dst: int, msg: Any, msg_id: int, lam: int, downs: int) -> None:
        slot = self._slots[dst]
        gone = "partition" if not self._network.connected(src, dst) else _gone(slot, downs)
        if gone:
            record_drop(self._recorder, self._loop.now, src, dst, msg_id, gone)
        elif slot.status == PAUSED:
            slot.inbox.append(Parked(src, msg, msg_id, lam, self._receive))
        else:
            self._receive(slot, src, msg, msg_id, lam)

    def _receive(self, slot: NodeSlot, src: int, msg: Any, msg_id: int, lam: int) -> None:
        rec = self._recorder
        if rec.active:
            kind = type(msg)
            type_json = self._type_json.get(kind)
            if type_json is None:
                type_json = self._type_json[kind] = canonical_json(kind.__name__)
            data_json = f'{{"from":"n{src}","msg_id":{msg_id},"type":{type_json}}}'
            data = (
                {"from": f"n{src}", "msg_id": msg_id, "type": kind.__name__} if rec.keep else None
            )
            rec.record_json(self._loop.now, slot.actor, "deliver", data_json, data, seen=lam)
        self._step(slot, Receive(src, msg))

    # ---------------------------------------------------------------- client links

    def client_send(self, client: int, node: int, request: ClientRequest) -> None:
        """A client sends ``request`` to ``node`` over its own (never cut) link."""
        rec = self._recorder
        now = self._loop.now
        actor = f"c{client}"
        msg_id = rec.new_msg_id()
        lam = rec.record(now, actor, "send",
                         {"to": f"n{node}", "msg_id": msg_id, "type": type(request.op).__name__,
                          "msg": canonical(request)}) if rec.active else 0
        downs = self._slots[node].downs
        for t in self._network.arrivals(now, actor, f"n{node}", lossy=False):
            self._loop.at(t, self._deliver_request, actor, node, request, msg_id, lam, downs)

    def _deliver_request(self, actor: str, dst: int, request: ClientRequest, msg_id: int,
                         lam: int, downs: int) -> None:
        slot = self._slots[dst]
        gone = _gone(slot, downs)
        if gone:
            record_drop(self._recorder, self._loop.now, actor, dst, msg_id, gone)
        elif slot.status == PAUSED:
            slot.inbox.append(Parked(actor, request, msg_id, lam, self._handle_request))
        else:
            self._handle_request(slot, actor, request, msg_id, lam)

    def _handle_request(self, slot: NodeSlot, actor: str, request: ClientRequest, msg_id: int,
                        lam: int) -> None:
        self._recorder.record(self._loop.now, slot.actor, "deliver",
                              {"from": actor, "msg_id": msg_id,
                               "type": type(request.op).__name__}, seen=lam)
        self._step(slot, request)

    def reply(self, slot: NodeSlot, out: ClientReply) -> None:
        """The ``ClientReply`` output: back to the client over its link."""
        client = cast(Any, out).client  # through Any: see DiskIO.write
        if not isinstance(client, int) or not self._clients.is_client(client):
            raise NodeContractError(f"node n{slot.id} replied to unknown client {client!r}")
        rec = self._recorder
        now = self._loop.now
        msg_id = rec.new_msg_id()
        dst = f"c{client}"
        lam = rec.record(now, slot.actor, "send",
                         {"to": dst, "msg_id": msg_id, "type": type(out.result).__name__,
                          "msg": canonical(out)}) if rec.active else 0
        for t in self._network.arrivals(now, slot.actor, dst, lossy=False):
            self._loop.at(t, self._client_receive, slot.id, out, msg_id, lam)

    def _client_receive(self, node: int, reply: ClientReply, msg_id: int, lam: int) -> None:
        self._recorder.record(self._loop.now, f"c{reply.client}", "deliver",
                              {"from": f"n{node}", "msg_id": msg_id,
                               "type": type(reply.result).__name__}, seen=lam)
        self._clients.on_reply(reply.client, reply.req_id, reply.result, node)
