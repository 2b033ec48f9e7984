"""Route proxies: a cut aborts a link's connections and refuses new ones; heal restores;
a one-way cut drops one direction only. Plain TCP echo servers stand in for nats."""

from __future__ import annotations

import socket
import socketserver
import threading
import time

import pytest

from ackcheck.harness.proxy import RouteProxies, free_ports


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(4096):
            self.request.sendall(data)


@pytest.fixture
def link():
    """One directed link 0 -> 1 whose target is an echo server."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (port,) = free_ports(1)
    proxies = RouteProxies({(0, 1): (port, server.server_address[1])})
    proxies.start()
    try:
        yield proxies, port
    finally:
        proxies.stop()
        server.shutdown()
        server.server_close()


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=2)
    sock.settimeout(2)
    return sock


def _echo(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = sock.recv(4096)
        if not chunk:
            break
        got += chunk
    return got


def _closed(sock: socket.socket) -> bool:
    try:
        sock.sendall(b"x")
        return sock.recv(1) == b""
    except OSError:
        return True


def _wait(predicate, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_traffic_flows_through_a_healed_link(link):
    _, port = link
    with _connect(port) as sock:
        assert _echo(sock, b"hello") == b"hello"


def test_cut_aborts_connections_and_refuses_new_ones_until_heal(link):
    proxies, port = link
    sock = _connect(port)
    assert _echo(sock, b"a") == b"a"
    proxies.set_blocked({(0, 1), (1, 0)})
    assert _wait(lambda: _closed(sock))
    sock.close()
    with _connect(port) as refused:
        assert _closed(refused)
    proxies.set_blocked(())
    assert _wait(lambda: proxies.blocked == frozenset())
    with _connect(port) as again:
        assert _echo(again, b"back") == b"back"


def test_one_way_cut_drops_only_that_direction(link):
    proxies, port = link
    with _connect(port) as sock:
        assert _echo(sock, b"x") == b"x"
        proxies.set_blocked({(1, 0)})  # replies (1 -> 0) are lost, requests still arrive
        assert _wait(lambda: proxies.blocked == frozenset({(1, 0)}))
        sock.sendall(b"lost")
        sock.settimeout(0.5)
        with pytest.raises(TimeoutError):
            sock.recv(16)
