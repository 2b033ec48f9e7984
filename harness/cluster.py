"""A real nats-server JetStream cluster on 127.0.0.1: start, readiness, faults, cleanup.

Each server's store lives on its own lose-unsynced-writes FUSE mount (see ``lazyfs``);
route traffic flows through per-link proxies (see ``proxy``). Everything the cluster
starts is undone by :meth:`NatsCluster.close`, which is registered with ``cleanup`` so
it also runs on SIGINT/SIGTERM and at exit.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ackcheck.errors import HarnessError
from ackcheck.harness import cleanup
from ackcheck.harness.blk import (
    damage_start,
    parse_block,
    record_at,
    record_holding,
    stream_entries,
)
from ackcheck.harness.config import STREAM, NodePorts, render_config
from ackcheck.harness.install import ensure_binary
from ackcheck.harness.lazyfs import LazyMount, fuse_unavailable_reason, unmount
from ackcheck.harness.proxy import RouteProxies, free_ports, port_in_use

_PR_SET_PDEATHSIG = 1
_HTTP_TIMEOUT_S = 2.0
DEFAULT_READY_TIMEOUT_S = 30.0
_POLL_S = 0.05
# The two files that hold a stream's replicated log on a NATS server (docs/real-cluster.md):
# the stream's own message blocks and its Raft group's WAL blocks.
LOG_PARTS = ("stream", "wal")


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def workdir_parent() -> str | None:
    """Where run directories go: ``$ACKCHECK_TMPDIR`` or the system temp dir. A set
    ``$ACKCHECK_TMPDIR`` must be a writable directory (a one-line HarnessError)."""
    parent = os.environ.get("ACKCHECK_TMPDIR") or None
    if parent is None:
        return None
    if not os.path.exists(parent):
        raise HarnessError(f"ACKCHECK_TMPDIR={parent} does not exist")
    if not os.path.isdir(parent):
        raise HarnessError(f"ACKCHECK_TMPDIR={parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise HarnessError(f"ACKCHECK_TMPDIR={parent} is not writable")
    return parent


class NatsNode:
    """One server: its ports, store, config file, log and (when up) its process."""

    def __init__(self, index: int, ports: NodePorts, root: Path) -> None:
        self.index = index
        self.name = f"n{index}"
        self.ports = ports
        self.root = root
        self.backing = root / "backing"
        self.store = root / "store"
        self.conf = root / "nats.conf"
        self.log = root / "nats.log"
        self.mount: LazyMount | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.paused = False

    @property
    def up(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def client_url(self) -> str:
        return f"nats://127.0.0.1:{self.ports.client}"

    def http(self, path: str) -> Any:
        url = f"http://127.0.0.1:{self.ports.http}{path}"
        with urllib.request.urlopen(url, timeout=_HTTP_TIMEOUT_S) as resp:
            return json.load(resp)

    def try_http(self, path: str) -> Any:
        try:
            return self.http(path)
        except (OSError, ValueError, urllib.error.URLError):
            return None

    def log_tail(self, lines: int = 3) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return " | ".join(ln.strip() for ln in text[-lines:])


class NatsCluster:
    """``nodes`` servers of nats-server ``version`` with one R=``nodes`` file stream.

    Use as a context manager; nothing is left behind unless ``keep`` is set (then the
    data dirs stay for forensics; processes and mounts still go)."""

    def __init__(
        self,
        nodes: int = 3,
        version: str = "2.12.1",
        sync_interval: str | None = None,
        *,
        fuse: bool = True,
        keep: bool = False,
        client_ports: Iterable[int] | None = None,
        ready_timeout: float = DEFAULT_READY_TIMEOUT_S,
    ) -> None:
        if nodes < 1:
            raise HarnessError(f"a cluster needs at least one node, got {nodes}")
        self.size = nodes
        self.requested_version = version
        self.version = version
        self.sync_interval = sync_interval
        self.fuse = fuse
        self.keep = keep
        self.ready_timeout = ready_timeout
        self._client_ports = list(client_ports) if client_ports is not None else None
        self.binary: Path | None = None
        self.workdir: Path | None = None
        self.nodes: list[NatsNode] = []
        self.proxies: RouteProxies | None = None
        self._cleanup_handle: int | None = None
        self._link_ports: dict[tuple[int, int], int] = {}
        self.blocked: frozenset[tuple[int, int]] = frozenset()  # directed links cut now
        self._closed = False

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> NatsCluster:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        self.version, self.binary = ensure_binary(self.requested_version)
        if self.fuse:
            reason = fuse_unavailable_reason()
            if reason:
                raise HarnessError(f"FUSE is unavailable: {reason}")
        parent = workdir_parent()
        self._cleanup_handle = cleanup.register(self.close)
        # Created and remembered with signals held: an interrupt in between would leave
        # a directory that close() does not know of.
        with cleanup.signals_blocked():
            try:
                self.workdir = Path(tempfile.mkdtemp(prefix="ackcheck-nats-", dir=parent))
            except OSError as exc:
                where = f"ACKCHECK_TMPDIR={parent}" if parent else "the temp dir"
                raise HarnessError(
                    f"cannot create a work dir in {where}: {exc.strerror or exc}"
                ) from None
        self._make_nodes()
        self._start_proxies()
        for node in self.nodes:
            self._write_config(node)
            if self.fuse:
                with cleanup.signals_blocked():  # remembered before its process exists
                    node.mount = LazyMount(node.backing, node.store, node.root / "lazyfs.sock")
                node.mount.start()
            else:
                node.store.mkdir(parents=True, exist_ok=True)
        for node in self.nodes:
            self.start_node(node.index)
        self.wait_ready()

    def _make_nodes(self) -> None:
        n = self.size
        given = self._client_ports or []
        if given and len(given) != n:
            raise HarnessError(f"{len(given)} client ports given for {n} nodes")
        for port in given:
            if port_in_use(port):
                raise HarnessError(f"port {port} on 127.0.0.1 is already in use")
        ports = free_ports(3 * n + n * (n - 1))
        assert self.workdir is not None
        for i in range(n):
            client = given[i] if given else ports[3 * i]
            node_ports = NodePorts(client, ports[3 * i + 1], ports[3 * i + 2])
            root = self.workdir / f"n{i}"
            root.mkdir()
            self.nodes.append(NatsNode(i, node_ports, root))
        k = 3 * n
        for i in range(n):
            for j in range(n):
                if i != j:
                    self._link_ports[(i, j)] = ports[k]
                    k += 1

    def _start_proxies(self) -> None:
        links = {
            (i, j): (port, self.nodes[j].ports.cluster)
            for (i, j), port in self._link_ports.items()
        }
        self.proxies = RouteProxies(links)
        self.proxies.start()

    def _write_config(self, node: NatsNode) -> None:
        route_ports = {
            j: port for (i, j), port in self._link_ports.items() if i == node.index
        }
        node.conf.write_text(
            render_config(
                node.index, self.size, node.ports, route_ports, str(node.store),
                self.sync_interval,
            )
        )

    def close(self) -> None:
        """Kill every server, unmount, stop proxies, remove the work dir (idempotent)."""
        with cleanup.signals_blocked():  # a second Ctrl-C must not cut cleanup short
            if self._closed:
                return
            self._closed = True
            self._close()

    def _close(self) -> None:
        for node in self.nodes:
            self._kill_process(node)
        for node in self.nodes:
            if node.mount is not None:
                node.mount.stop()
        if self.proxies is not None:
            self.proxies.stop()
            self.proxies = None
        if self.workdir is not None and not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
            if self.workdir.exists():  # a mount that outlived its stop: detach, retry
                for node in self.nodes:
                    unmount(node.store)
                shutil.rmtree(self.workdir, ignore_errors=True)
        if self._cleanup_handle is not None:
            handle, self._cleanup_handle = self._cleanup_handle, None
            cleanup.run(handle)  # already done; just forget the registration

    # ------------------------------------------------------------------ processes
    def start_node(self, index: int) -> bool:
        """Start a node that is down on its existing store; False if it is up."""
        node = self.nodes[index]
        if node.up:
            return False
        for port in (node.ports.client, node.ports.cluster, node.ports.http):
            if port_in_use(port):
                raise HarnessError(f"port {port} for {node.name} is already in use")
        assert self.binary is not None
        # the process and node.proc come into being together (signals held): an
        # interrupt in between would leave a server that close() does not know of
        with open(node.log, "ab") as log, cleanup.signals_blocked():
            node.proc = subprocess.Popen(
                [str(self.binary), "-c", str(node.conf)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        node.paused = False
        return True

    def _kill_process(self, node: NatsNode) -> bool:
        proc = node.proc
        if proc is None:
            return False
        was_up = proc.poll() is None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired as exc:
            raise HarnessError(f"{node.name} (pid {proc.pid}) survived SIGKILL") from exc
        node.proc = None
        node.paused = False
        return was_up

    def crash(self, index: int) -> bool:
        """SIGKILL: the process dies, the (FUSE) page cache keeps unsynced writes."""
        return self._kill_process(self.nodes[index])

    def power_fail(self, index: int) -> str:
        """SIGKILL, then lose every unsynced byte of the node's store (and remount, so
        the kernel's caches of the old content go too). Returns a note."""
        node = self.nodes[index]
        was_up = self._kill_process(node)
        if node.mount is None:
            return "no FUSE: only a crash" if was_up else "down; no FUSE"
        reply = node.mount.drop()
        node.mount.stop()
        node.mount.start()
        return reply.removeprefix("ok ")

    def pause(self, index: int) -> bool:
        node = self.nodes[index]
        if not node.up or node.paused:
            return False
        assert node.proc is not None
        os.killpg(node.proc.pid, signal.SIGSTOP)
        node.paused = True
        return True

    def resume(self, index: int) -> bool:
        node = self.nodes[index]
        if not node.up or not node.paused:
            return False
        assert node.proc is not None
        os.killpg(node.proc.pid, signal.SIGCONT)
        node.paused = False
        return True

    # ------------------------------------------------------------------ network
    def set_blocked(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Cut exactly these directed links (``blocked`` remembers them at once)."""
        assert self.proxies is not None
        self.blocked = frozenset(pairs)
        self.proxies.set_blocked(self.blocked)

    def heal(self) -> None:
        self.set_blocked(())

    # ------------------------------------------------------------------ files
    def store_files(self, target: str, index: int) -> list[Path]:
        """The node's files a file fault of ``target`` may hit, sorted by path."""
        root = self.nodes[index].store / "jetstream"
        if not root.exists():
            return []
        if target == "log":
            found = [
                p for p in root.rglob("*.blk")
                if "_meta_" not in p.parts and p.stat().st_size > 0
            ]
        elif target == "snapshot":
            found = [p for p in root.rglob("snap.*") if p.is_file() and p.stat().st_size > 0]
        elif target == "vote":
            found = [p for p in root.rglob("tav.idx") if p.stat().st_size > 0]
        else:
            raise HarnessError(f"unknown file target {target!r}")
        return sorted(found)

    def log_blocks(self, index: int, part: str) -> list[Path]:
        """The non-empty ``.blk`` files of one part of the stream's replicated log, in
        block order: ``stream`` = ``<acct>/streams/<stream>/msgs``, ``wal`` = the stream's
        Raft group ``$SYS/_js_/S-*/msgs`` (not the meta group, not consumers)."""
        root = self.nodes[index].store / "jetstream"
        if part == "stream":
            found = list(root.glob(f"*/streams/{STREAM}/msgs/*.blk"))
        elif part == "wal":
            found = list(root.glob("$SYS/_js_/S-*/msgs/*.blk"))
        else:
            raise HarnessError(f"unknown log part {part!r} (want one of {LOG_PARTS})")
        found = [p for p in found if p.stem.isdigit() and p.stat().st_size > 0]
        return sorted(found, key=lambda p: (str(p.parent), int(p.stem)))

    def stored_stream(self, index: int) -> list[tuple[int, str]]:
        """The stream as server ``index`` holds it in its store files (through its mount:
        what the OS would give the server, page cache included): (sequence, value)."""
        blocks = []
        for path in self.log_blocks(index, "stream"):
            try:
                blocks.append(path.read_bytes())
            except OSError:
                continue
        return stream_entries(blocks)

    def _xor(self, path: Path, start: int, mask: bytes) -> int:
        """XOR ``mask`` into ``path`` at ``start`` (clipped to its end) and fsync it;
        returns how many bytes changed."""
        fd = os.open(path, os.O_RDWR)
        try:
            old = os.pread(fd, len(mask), start)
            new = bytes(a ^ b for a, b in zip(old, mask, strict=False))
            os.pwrite(fd, new, start)
            os.fsync(fd)
        finally:
            os.close(fd)
        return len(new)

    def corrupt(
        self, index: int, target: str, file_index: int, offset: int, mask: bytes
    ) -> str:
        """XOR ``mask`` into a stored file at ``offset`` (mod its size) and fsync it.
        The node must be down (the caller kills it first). Returns a note."""
        if self.nodes[index].up:
            raise HarnessError(f"n{index} must be down before its files are corrupted")
        files = self.store_files(target, index)
        if not files:
            return f"no {target} file on n{index}"
        path = files[file_index % len(files)]
        start = offset % path.stat().st_size
        changed = self._xor(path, start, mask)
        rel = path.relative_to(self.nodes[index].store)
        return f"{rel}@{start} ({changed} byte(s) changed)"

    def corrupt_record(
        self,
        index: int,
        file_index: int,
        offset: int,
        mask: bytes,
        value: str | None = None,
        parts: tuple[str, ...] = LOG_PARTS,
    ) -> str:
        """Damage one *record* of the stream's replicated log in each of ``parts``, as
        the model damages one record of its log: the record holding ``value`` (the write
        the model's damaged record held) if given and found, else the record spanning
        ``offset`` (mod size) of block ``file_index`` (mod count). ``mask`` is XORed in
        from a hash-covered byte of that record (``blk.damage_start``), so NATS' rebuild
        sees a bad checksum there. The node must be down. Returns a note ("no ..." if
        nothing was damaged)."""
        if self.nodes[index].up:
            raise HarnessError(f"n{index} must be down before its files are corrupted")
        store = self.nodes[index].store
        notes = []
        for part in parts:
            blocks = self.log_blocks(index, part)
            if not blocks:
                notes.append(f"no {part} block")
                continue
            hit = None
            if value is not None:
                for path in blocks:
                    rec = record_holding(parse_block(path.read_bytes()).records, value)
                    if rec is not None:
                        hit = (path, rec, f"record holding {value}")
                        break
            if hit is None:
                path = blocks[file_index % len(blocks)]
                data = path.read_bytes()
                pos = offset % len(data)
                rec = record_at(parse_block(data).records, pos)
                why = f"{value} not found; " if value is not None else ""
                if rec is None:  # not even one sane record: fall back to the raw byte
                    changed = self._xor(path, pos, mask)
                    notes.append(f"{why}{path.relative_to(store)}@{pos} (no record; "
                                 f"{changed} byte(s) changed)")
                    continue
                hit = (path, rec, f"{why}record at byte {pos}")
            path, rec, why = hit
            start = damage_start(rec, value)
            changed = self._xor(path, start, mask)
            notes.append(f"{path.relative_to(store)} seq {rec.seq} ({why})@{start}, "
                         f"{changed} byte(s) changed")
        if all(n.startswith("no ") for n in notes):
            return f"no log block on n{index}"
        return "; ".join(notes)

    # ------------------------------------------------------------------ readiness
    def wait_ready(self, timeout: float | None = None) -> None:
        """Every up server healthy with JetStream, routes to every other up server, and
        a meta leader elected; bounded polling, clear error on timeout."""
        deadline = time.monotonic() + (timeout or self.ready_timeout)
        up = [n for n in self.nodes if n.up]
        pending = "servers"
        while time.monotonic() < deadline:
            for node in self.nodes:
                if node.proc is not None and node.proc.poll() is not None:
                    raise HarnessError(
                        f"nats-server {node.name} exited with {node.proc.returncode}: "
                        f"{node.log_tail(2)}"
                    )
            pending = self._not_ready(up)
            if not pending:
                return
            time.sleep(_POLL_S)
        waited = timeout or self.ready_timeout
        raise HarnessError(f"cluster not ready after {waited:.0f}s: {pending}")

    def _not_ready(self, up: list[NatsNode]) -> str:
        names = {n.name for n in up}
        for node in up:
            health = node.try_http("/healthz?js-enabled-only=true")
            if not health or health.get("status") != "ok":
                return f"{node.name} not healthy"
            routes = node.try_http("/routez")
            remote = {r.get("remote_name") for r in (routes or {}).get("routes", [])}
            missing = names - remote - {node.name}
            if missing:
                return f"{node.name} has no route to {','.join(sorted(missing))}"
            jsz = node.try_http("/jsz")
            if not jsz or not (jsz.get("meta_cluster") or {}).get("leader"):
                return f"{node.name} sees no meta leader"
        return ""

    def stream_state(self, index: int, stream: str) -> dict[str, Any] | None:
        """The node's own view of ``stream`` from ``/jsz`` (leader, replicas, state)."""
        jsz = self.nodes[index].try_http("/jsz?streams=true&accounts=true")
        for account in (jsz or {}).get("account_details", []) or []:
            for detail in account.get("stream_detail", []) or []:
                if detail.get("name") == stream:
                    return detail  # type: ignore[no-any-return]
        return None
