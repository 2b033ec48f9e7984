"""The simulated clients: publishers during the fault phase, readers in the final read.

Publishers follow ``schedule.Workload``: client ``c`` is pinned to node ``c % nodes``
and publishes unique values ``"c-k"`` one at a time, retrying the same value after a
timeout (outcome unknown: ``info``) or a ``Refused`` (``fail``; a leader hint moves the
client to that node). Publishing stops at ``schedule.duration``; an outstanding publish
then ends as ``info``.

Final read (after heal + restart of every node): one reader per node, client id
``clients + node``. Draining rule: the first drain starts ``settle // 5`` after the heal
(time to elect and catch up). A drain reads ``Read(from_seq, 256)`` from seq 1, each next
read starting after the highest sequence received, until a reply is empty or reaches the
``last_seq`` the node reports. A Refused or timed-out read is retried after the
workload interval. When a drain ends, the next starts ``max(interval, settle // 10)``
later; the node's final read is *complete* once two successive drains return the same
entries and ``last_seq``. If ``settle`` runs out first, the final read holds the last
finished drain (or the partial one) with ``complete=False`` and the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ackcheck.history import FinalRead, Op
from ackcheck.node import ClientRequest, PublishOk, Read, ReadOk, Refused
from ackcheck.node import Publish as PublishOp
from ackcheck.schedule import Schedule
from ackcheck.sim.loop import EventLoop, closed
from ackcheck.sim.recorder import Recorder

# How a client's request reaches its node: (client, node, request).
SendRequest = Callable[[int, int, ClientRequest], None]

READ_LIMIT = 256


class Publisher:
    __slots__ = ("actor", "id", "index", "node", "outstanding", "req_id", "values")

    def __init__(self, client: int, node: int, values: list[str]) -> None:
        self.id = client
        self.actor = f"c{client}"
        self.node = node
        self.values = values
        self.index = 0
        self.req_id = 0
        self.outstanding: int | None = None


class Reader:
    __slots__ = (
        "actor", "done", "entries", "error", "from_seq", "id", "last_seq", "node",
        "outstanding", "previous", "req_id",
    )

    def __init__(self, client: int, node: int) -> None:
        self.id = client
        self.actor = f"c{client}"
        self.node = node
        self.req_id = 0
        self.outstanding: int | None = None
        self.from_seq = 1
        self.last_seq = 0
        self.entries: list[tuple[int, str]] = []
        self.previous: tuple[tuple[tuple[int, str], ...], int] | None = None
        self.done = False
        self.error = ""


class ClientDriver:
    """Runs every client of one simulation.

    The simulator drives it through :meth:`start`, :meth:`on_reply`,
    :meth:`close_publishing`, :meth:`start_readers` and :meth:`finish_unsettled`, and
    reads :attr:`ops` and :attr:`final_reads`; the clients send through the ``send`` they
    are started with and see only the loop and the recorder.
    """

    def __init__(self, schedule: Schedule, loop: EventLoop, recorder: Recorder) -> None:
        self._loop = loop
        self._recorder = recorder
        self._send: SendRequest = _not_started
        wl = schedule.workload
        self.workload = wl
        self.nodes = schedule.nodes
        self.settle = schedule.settle
        self.publishers = [
            Publisher(c, c % self.nodes, values)
            for c, values in enumerate(wl.values())
        ]
        self.readers: list[Reader] = []
        self.closed = False
        self.ops: list[Op] = []
        self.final_reads: dict[int, FinalRead] = {}

    def close(self) -> None:
        """Let go of the link the clients send through (``Simulator.close``)."""
        self._send = closed

    def _op(self, client: int, kind: str, f: str, value: str | None, node: int,
            seq: int | None = None) -> None:
        ops = self.ops
        ops.append(Op(index=len(ops), time=self._loop.now, process=client, type=kind,
                      f=f, value=value, node=node, seq=seq))

    def is_client(self, client: int) -> bool:
        return 0 <= client < len(self.publishers) + len(self.readers)

    def start(self, send: SendRequest) -> None:
        """Schedule the first publishes; every request goes out through ``send``."""
        self._send = send
        start = self.workload.start
        for p in self.publishers:
            if p.values:
                self._loop.at(start, self._publish, p)

    # --------------------------------------------------------------------- publishers

    def _publish(self, p: Publisher) -> None:
        if self.closed or p.outstanding is not None or p.index >= len(p.values):
            return
        value = p.values[p.index]
        p.req_id += 1
        p.outstanding = p.req_id
        self._op(p.id, "invoke", "publish", value, p.node)
        self._recorder.record(self._loop.now, p.actor, "client-invoke",
                              {"f": "publish", "value": value, "node": p.node, "req_id": p.req_id})
        self._send(p.id, p.node, ClientRequest(p.id, p.req_id, PublishOp(value)))
        self._loop.after(self.workload.timeout, self._publish_timeout, p, p.req_id)

    def _publish_timeout(self, p: Publisher, req_id: int) -> None:
        if p.outstanding != req_id or self.closed:
            return
        p.outstanding = None
        value = p.values[p.index]
        self._op(p.id, "info", "publish", value, p.node)
        self._recorder.record(self._loop.now, p.actor, "client-info",
                              {"f": "publish", "value": value, "req_id": req_id,
                               "reason": "timeout"})
        self._loop.after(self.workload.interval, self._publish, p)

    def _publish_reply(self, p: Publisher, req_id: int, result: Any, node: int) -> None:
        if p.outstanding != req_id or self.closed:
            return  # a late reply to an attempt already given up on
        p.outstanding = None
        value = p.values[p.index]
        if isinstance(result, PublishOk):
            self._op(p.id, "ok", "publish", value, p.node, seq=result.seq)
            self._recorder.record(self._loop.now, p.actor, "client-ok",
                                  {"f": "publish", "value": value, "req_id": req_id,
                                   "seq": result.seq, "node": node})
            p.index += 1
        else:
            reason = result.reason if isinstance(result, Refused) else type(result).__name__
            leader = result.leader if isinstance(result, Refused) else None
            self._op(p.id, "fail", "publish", value, p.node)
            self._recorder.record(self._loop.now, p.actor, "client-fail",
                                  {"f": "publish", "value": value, "req_id": req_id,
                                   "reason": str(reason), "leader": leader})
            if isinstance(leader, int) and 0 <= leader < self.nodes:
                p.node = leader
        if p.index < len(p.values):
            self._loop.after(self.workload.interval, self._publish, p)

    def close_publishing(self) -> None:
        """The fault phase is over: outstanding publishes end with unknown outcome."""
        self.closed = True
        for p in self.publishers:
            if p.outstanding is not None:
                value = p.values[p.index]
                self._op(p.id, "info", "publish", value, p.node)
                self._recorder.record(self._loop.now, p.actor, "client-info",
                                      {"f": "publish", "value": value, "req_id": p.outstanding,
                                       "reason": "end of fault phase"})
                p.outstanding = None

    # ------------------------------------------------------------------------ readers

    def start_readers(self) -> None:
        base = len(self.publishers)
        self.readers = [Reader(base + n, n) for n in range(self.nodes)]
        delay = self.settle // 5
        for r in self.readers:
            self._loop.after(delay, self._begin_drain, r)

    def _begin_drain(self, r: Reader) -> None:
        if r.done:
            return
        r.from_seq = 1
        r.last_seq = 0
        r.entries = []
        self._read(r)

    def _read(self, r: Reader) -> None:
        if r.done or r.outstanding is not None:
            return
        r.req_id += 1
        r.outstanding = r.req_id
        self._op(r.id, "invoke", "read", None, r.node)
        self._recorder.record(self._loop.now, r.actor, "client-invoke",
                              {"f": "read", "from_seq": r.from_seq, "node": r.node,
                               "req_id": r.req_id})
        self._send(r.id, r.node, ClientRequest(r.id, r.req_id, Read(r.from_seq, READ_LIMIT)))
        self._loop.after(self.workload.timeout, self._read_timeout, r, r.req_id)

    def _read_timeout(self, r: Reader, req_id: int) -> None:
        if r.outstanding != req_id or r.done:
            return
        r.outstanding = None
        r.error = "read timed out"
        self._op(r.id, "info", "read", None, r.node)
        self._recorder.record(self._loop.now, r.actor, "client-info",
                              {"f": "read", "req_id": req_id, "reason": "timeout"})
        self._loop.after(self.workload.interval, self._read, r)

    def _read_reply(self, r: Reader, req_id: int, result: Any, node: int) -> None:
        if r.outstanding != req_id or r.done:
            return
        r.outstanding = None
        now = self._loop.now
        if not isinstance(result, ReadOk):
            reason = result.reason if isinstance(result, Refused) else type(result).__name__
            r.error = f"refused: {reason}"
            self._op(r.id, "fail", "read", None, r.node)
            self._recorder.record(now, r.actor, "client-fail",
                                  {"f": "read", "req_id": req_id, "reason": str(reason)})
            self._loop.after(self.workload.interval, self._read, r)
            return
        fresh = [(int(s), str(v)) for s, v in result.entries if s >= r.from_seq]
        r.entries.extend(fresh)
        r.last_seq = result.last_seq
        self._op(r.id, "ok", "read", None, r.node)
        self._recorder.record(now, r.actor, "client-ok",
                              {"f": "read", "req_id": req_id, "count": len(fresh),
                               "last_seq": result.last_seq})
        top = fresh[-1][0] if fresh else 0
        if fresh and top < result.last_seq:
            r.from_seq = top + 1
            self._read(r)
            return
        drained = (tuple(r.entries), r.last_seq)
        if drained == r.previous:
            self._finish(r, complete=True)
            return
        r.previous = drained
        r.error = ""
        gap = max(self.workload.interval, self.settle // 10)
        self._loop.after(gap, self._begin_drain, r)

    def _finish(self, r: Reader, complete: bool) -> None:
        r.done = True
        if complete:
            entries, error = r.entries, ""
        else:
            entries = list(r.previous[0]) if r.previous else r.entries
            error = r.error or "no two successive drains agreed before settle ran out"
        self.final_reads[r.node] = FinalRead(node=r.node, entries=tuple(entries),
                                             complete=complete, error=error)
        self._recorder.record(self._loop.now, r.actor, "final-read",
                              {"node": r.node, "count": len(entries),
                               "complete": complete, "error": error})
        if all(x.done for x in self.readers):
            self._loop.stop()

    def finish_unsettled(self) -> None:
        for r in self.readers:
            if not r.done:
                self._finish(r, complete=False)

    def on_reply(self, client: int, req_id: int, result: Any, node: int) -> None:
        npub = len(self.publishers)
        if client < npub:
            self._publish_reply(self.publishers[client], req_id, result, node)
        elif client - npub < len(self.readers):
            self._read_reply(self.readers[client - npub], req_id, result, node)


def _not_started(client: int, node: int, request: ClientRequest) -> None:
    raise AssertionError("ClientDriver.start() gives the clients their link")
