"""Clients of the real cluster (nats-py): pinned publishers and per-server final reads.

Publishers follow ``schedule.Workload`` as the simulator does: ``writes`` unique values
``"<client>-<k>"`` dealt round-robin, client ``c`` pinned to server ``c % nodes``. Each
publish carries ``Nats-Msg-Id: <value>`` so a retried value is deduplicated by the
stream, as the model's retry of the same value assumes. ``pipeline`` > 1 keeps that many
publishes in flight per client (to reach real throughput); a timeout is ``info``.

Final reads use batched *direct gets* (``$JS.API.DIRECT.GET.<stream>``, the stream has
``allow_direct``): every replica subscribes to that subject in one queue group, and a
NATS server delivers a request to a queue subscriber on *itself* first, so a client
connected to server ``i`` reads server ``i``'s own copy. The reader checks the count
against server ``i``'s ``/jsz`` view of the stream and marks the read incomplete when
they disagree.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import nats
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import APIError, NotFoundError

from ackcheck.errors import HarnessError
from ackcheck.harness.config import STREAM, SUBJECT, SUBJECTS
from ackcheck.history import FinalRead, Op

READ_BATCH = 512


async def connect(url: str, name: str) -> Any:
    """A client that keeps reconnecting to its one pinned server (no failover)."""
    return await nats.connect(
        servers=[url],
        name=name,
        connect_timeout=2,
        reconnect_time_wait=0.1,
        max_reconnect_attempts=-1,
        allow_reconnect=True,
        dont_randomize=True,
        no_echo=True,
        ping_interval=1,
        max_outstanding_pings=3,
        error_cb=_quiet,
        disconnected_cb=_quiet_event,
        reconnected_cb=_quiet_event,
        closed_cb=_quiet_event,
    )


async def _quiet(exc: Exception) -> None:
    return None


async def _quiet_event() -> None:
    return None


async def create_stream(
    url: str, replicas: int, timeout: float = 30.0, attempt_timeout: float = 5.0
) -> None:
    """Create the test stream, retrying while the cluster elects its meta leader (seconds
    on a loaded machine); a cluster that never answers is a one-line HarnessError.

    Each request gets ``attempt_timeout``, not the whole budget: a request sent while
    the meta leader changes can go unanswered for good (seen in CI: one 30 s request, no
    retry), and asking again is safe, since adding an identical stream is idempotent."""
    nc = await connect(url, "ackcheck-admin")
    try:
        js = nc.jetstream(timeout=min(attempt_timeout, timeout))
        config = StreamConfig(
            name=STREAM,
            subjects=list(SUBJECTS),
            storage=StorageType.FILE,
            num_replicas=replicas,
            allow_direct=True,
            duplicate_window=120.0,
        )
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                await js.add_stream(config)
                return
            except (NatsTimeoutError, NoRespondersError, APIError) as exc:
                if asyncio.get_running_loop().time() > deadline:
                    raise HarnessError(
                        f"the cluster did not create stream {STREAM} within {timeout:.0f} s "
                        f"({type(exc).__name__}: {exc or 'no answer'})"
                    ) from None
                await asyncio.sleep(0.2)
    finally:
        await nc.close()


async def request_stepdown(
    urls: list[str], stream: str, preferred: str, timeout: float = 2.0
) -> bool:
    """Ask the stream's leader to hand over to server ``preferred``
    (``$JS.API.STREAM.LEADER.STEPDOWN.<stream>`` with a preferred placement; only the
    leader answers). True if it said yes; any failure is False, never an exception."""
    body = json.dumps({"placement": {"preferred": preferred}}).encode()
    for url in urls:
        try:
            nc = await nats.connect(servers=[url], connect_timeout=timeout,
                                    allow_reconnect=False, error_cb=_quiet)
        except Exception:
            continue
        try:
            msg = await nc.request(f"$JS.API.STREAM.LEADER.STEPDOWN.{stream}", body,
                                   timeout=timeout)
            return bool(json.loads(msg.data or b"{}").get("success"))
        except Exception:
            continue
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(nc.close(), timeout)
    return False


class OpLog:
    """Appends history ops with times in microseconds since the run began."""

    def __init__(self, now_us: Callable[[], int]) -> None:
        self.now_us = now_us
        self.ops: list[Op] = []

    def add(
        self, process: int, kind: str, f: str, value: str | None, node: int,
        seq: int | None = None,
    ) -> None:
        self.ops.append(
            Op(index=len(self.ops), time=self.now_us(), process=process, type=kind, f=f,
               value=value, node=node, seq=seq)
        )

    def acks(self) -> int:
        return sum(1 for op in self.ops if op.f == "publish" and op.type == "ok")


class Publisher:
    """One pinned client publishing its values in order, ``pipeline`` at a time."""

    def __init__(
        self, client: int, node: int, url: str, values: list[str], log: OpLog,
        *, interval_s: float, timeout_s: float, pipeline: int,
        gate: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.client = client
        self.node = node
        self.url = url
        self.values = values
        self.log = log
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.pipeline = max(1, pipeline)
        self.gate = gate  # awaited before each value is published (the driver's gates)
        self.stopped = asyncio.Event()
        self._nc: Any = None

    async def run(self) -> None:
        self._nc = await connect(self.url, f"ackcheck-c{self.client}")
        js = self._nc.jetstream(timeout=self.timeout_s)
        slots = asyncio.Semaphore(self.pipeline)
        tasks: set[asyncio.Task[None]] = set()
        try:
            for value in self.values:
                if self.stopped.is_set():
                    break
                if self.gate is not None:
                    await self.gate(value)
                await slots.acquire()
                if self.stopped.is_set():
                    slots.release()
                    break
                task = asyncio.ensure_future(self._publish(js, value, slots))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                if self.interval_s > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.stopped.wait(), self.interval_s)
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            await self.close()

    async def _publish(self, js: Any, value: str, slots: asyncio.Semaphore) -> None:
        try:
            # one value at a time (pipeline 1) retries a timed-out value, as the model does
            while not self.stopped.is_set():
                self.log.add(self.client, "invoke", "publish", value, self.node)
                try:
                    ack = await js.publish(
                        SUBJECT, value.encode(), timeout=self.timeout_s,
                        headers={"Nats-Msg-Id": value},
                    )
                except asyncio.CancelledError:
                    self.log.add(self.client, "info", "publish", value, self.node)
                    raise
                except (NatsTimeoutError, TimeoutError):
                    self.log.add(self.client, "info", "publish", value, self.node)
                    if self.pipeline == 1:
                        continue
                    return
                except (NoRespondersError, APIError):
                    self.log.add(self.client, "fail", "publish", value, self.node)
                    if self.pipeline == 1:
                        await asyncio.sleep(self.interval_s or 0.05)
                        continue
                    return
                except Exception:  # connection lost mid-flight: outcome unknown
                    self.log.add(self.client, "info", "publish", value, self.node)
                    if self.pipeline == 1:
                        await asyncio.sleep(self.interval_s or 0.05)
                        continue
                    return
                # (a duplicate ack means an earlier unknown attempt was stored: still ok)
                self.log.add(self.client, "ok", "publish", value, self.node, seq=ack.seq)
                return
        finally:
            slots.release()

    async def close(self) -> None:
        if self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._nc.close(), 2)


async def read_node(
    node: int, url: str, expected: Callable[[], dict[str, Any] | None], timeout_s: float
) -> FinalRead:
    """Drain server ``node``'s copy of the stream with batched direct gets."""
    try:
        nc = await connect(url, f"ackcheck-reader-n{node}")
    except Exception as exc:
        return FinalRead(node, (), complete=False, error=f"connect: {exc}")
    entries: list[tuple[int, str]] = []
    try:
        entries = await asyncio.wait_for(_drain(nc), timeout_s)
    except NotFoundError:
        return FinalRead(node, (), complete=True, error="")  # the stream is gone
    except (TimeoutError, NatsTimeoutError) as exc:
        return FinalRead(node, tuple(entries), complete=False, error=f"read timed out: {exc}")
    except Exception as exc:
        return FinalRead(node, tuple(entries), complete=False, error=f"read failed: {exc}")
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(nc.close(), 2)
    view = await asyncio.to_thread(expected)
    state = (view or {}).get("state") or {}
    if view is not None and state.get("messages") not in (None, len(entries)):
        return FinalRead(
            node, tuple(entries), complete=False,
            error=f"read {len(entries)} entries but the server holds {state.get('messages')}",
        )
    return FinalRead(node, tuple(entries), complete=True)


async def _drain(nc: Any) -> list[tuple[int, str]]:
    entries: list[tuple[int, str]] = []
    next_seq = 1
    inbox = nc.new_inbox()
    queue: asyncio.Queue[Any] = asyncio.Queue()

    async def collect(msg: Any) -> None:
        await queue.put(msg)

    sub = await nc.subscribe(inbox, cb=collect)
    try:
        while True:
            request = json.dumps({"seq": next_seq, "batch": READ_BATCH}).encode()
            await nc.publish(f"$JS.API.DIRECT.GET.{STREAM}", request, reply=inbox)
            got = 0
            while True:
                msg = await asyncio.wait_for(queue.get(), 5)
                headers = msg.headers or {}
                status = headers.get("Status")
                if status:
                    if status == "404":  # no message at or after next_seq
                        return entries
                    if status == "204":  # end of this batch
                        break
                    if status == "503":
                        raise NoRespondersError
                    raise NotFoundError if status == "408" else RuntimeError(
                        f"direct get status {status} {headers.get('Description', '')}"
                    )
                if not msg.data and status is None and not headers:
                    raise NotFoundError  # no stream
                seq = int(headers["Nats-Sequence"])
                entries.append((seq, msg.data.decode(errors="replace")))
                next_seq = seq + 1
                got += 1
            if got == 0:
                return entries
    finally:
        with contextlib.suppress(Exception):
            await sub.unsubscribe()
