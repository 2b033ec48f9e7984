"""Per-link TCP proxies between nats-server route ports: how partitions are cut.

Every directed route link ``i -> j`` (connections node ``i`` opens towards node ``j``)
goes through its own listener. The proxies share one set of *blocked* directed pairs
``(src, dst)``: a connection whose both directions are blocked is aborted and new ones
are refused (a clean cut); a connection with one blocked direction silently discards
the bytes flowing that way (a one-way partition). All proxies run on one asyncio loop
in a daemon thread, so they cost no extra process and need no signals.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import threading
from collections.abc import Iterable

from ackcheck.errors import HarnessError

_CHUNK = 256 * 1024
_START_TIMEOUT_S = 10.0


class _Link:
    def __init__(self, src: int, dst: int, listen_port: int, target_port: int) -> None:
        self.src = src
        self.dst = dst
        self.listen_port = listen_port
        self.target_port = target_port
        self.server: asyncio.base_events.Server | None = None
        self.transports: set[asyncio.StreamWriter] = set()


class RouteProxies:
    """One proxy per directed route link, all sharing one set of blocked pairs."""

    def __init__(self, links: dict[tuple[int, int], tuple[int, int]]) -> None:
        """``links[(i, j)] = (listen_port, node j's cluster port)``."""
        self._links = {k: _Link(k[0], k[1], *v) for k, v in links.items()}
        self._blocked: frozenset[tuple[int, int]] = frozenset()
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None

    # -- lifecycle
    def start(self) -> None:
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(self._listen_all())
            except BaseException as exc:
                errors.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="ackcheck-route-proxies", daemon=True)
        self._thread.start()
        if not ready.wait(_START_TIMEOUT_S):
            raise HarnessError("route proxies did not start in time")
        if errors:
            self.stop()
            exc = errors[0]
            raise HarnessError(f"a route proxy cannot listen: {exc}") from exc

    async def _listen_all(self) -> None:
        for link in self._links.values():
            link.server = await asyncio.start_server(
                functools.partial(self._accept, link),
                "127.0.0.1",
                link.listen_port,
                reuse_address=True,
            )

    def stop(self) -> None:
        if self._thread is None:
            self._loop.close()
            return
        fut = asyncio.run_coroutine_threadsafe(self._close_all(), self._loop)
        with contextlib.suppress(Exception):
            fut.result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._thread = None
        with contextlib.suppress(Exception):
            self._loop.close()

    async def _close_all(self) -> None:
        for link in self._links.values():
            if link.server is not None:
                link.server.close()
            for writer in list(link.transports):
                writer.transport.abort()

    # -- faults
    def set_blocked(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Replace the blocked directed pairs; abort connections now fully cut."""
        blocked = frozenset(pairs)

        def apply() -> None:
            self._blocked = blocked
            for link in self._links.values():
                if self._cut(link):
                    for writer in list(link.transports):
                        writer.transport.abort()

        self._loop.call_soon_threadsafe(apply)

    @property
    def blocked(self) -> frozenset[tuple[int, int]]:
        return self._blocked

    def _cut(self, link: _Link) -> bool:
        return (link.src, link.dst) in self._blocked and (link.dst, link.src) in self._blocked

    # -- traffic
    async def _accept(
        self, link: _Link, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if self._cut(link):
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", link.target_port), timeout=5
            )
        except (TimeoutError, OSError):
            writer.transport.abort()
            return
        link.transports.update((writer, up_writer))
        try:
            await asyncio.gather(
                self._pump(reader, up_writer, link, (link.src, link.dst)),
                self._pump(up_reader, writer, link, (link.dst, link.src)),
            )
        finally:
            link.transports.discard(writer)
            link.transports.discard(up_writer)
            writer.transport.abort()
            up_writer.transport.abort()

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        link: _Link,
        direction: tuple[int, int],
    ) -> None:
        try:
            while True:
                data = await reader.read(_CHUNK)
                if not data:
                    break
                if direction in self._blocked:
                    continue  # one-way partition: these bytes are lost
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.transport.abort()


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports the kernel had free a moment ago (bind to port 0)."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [s.getsockname()[1] for s in socks]
    finally:
        for sock in socks:
            sock.close()


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR as servers use it: only a live listener counts, not TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False
