"""A FUSE file system that loses unsynced writes on command (a small LazyFS).

``kill -9`` keeps the OS page cache, so a process crash alone never loses written bytes.
To emulate a power failure, a node's store lives on this file system: data writes stay
in *our* memory (the "page cache") until ``fsync``, and the ``drop`` command forgets
every unsynced byte. Creates, renames, removes and truncates pass straight through to
the backing directory (durable at once, as in LazyFS), so after a drop files exist but
may be short or hold old bytes. Writes through a descriptor opened with ``O_SYNC`` or
``O_DSYNC`` are synced at once.

The server runs in its own process (``python -m ackcheck.harness.lazyfs BACKING MOUNT
CONTROL``) so a crash of the test process can't wedge the mount; :class:`LazyMount`
starts it and talks to it over a unix socket (one line per command: ``drop``,
``status``, ``sync``, ``ping``).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ackcheck.errors import HarnessError
from ackcheck.harness.cleanup import signals_blocked

PAGE = 64 * 1024
_SYNC_FLAGS = os.O_SYNC | os.O_DSYNC
_MOUNT_TIMEOUT_S = 15.0
_PR_SET_PDEATHSIG = 1


def fuse_unavailable_reason() -> str | None:
    """Why a mount can't work here, or None when FUSE looks usable."""
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse does not exist (no FUSE in this kernel or container)"
    if not os.access("/dev/fuse", os.R_OK | os.W_OK):
        return "/dev/fuse is not readable and writable by this user"
    if not any(
        os.access(os.path.join(d, "fusermount3"), os.X_OK)
        for d in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)
    ):
        return "fusermount3 is not installed (apt-get install fuse3)"
    try:
        import mfusepy  # noqa: F401
    except (ImportError, OSError) as exc:  # mfusepy raises OSError without libfuse
        return f"mfusepy cannot load libfuse: {exc}"
    return None


class _Inode:
    """One open-or-dirty file: its own backing descriptor plus unsynced pages."""

    __slots__ = ("dirty", "fd", "opens", "pages", "size")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.opens = 0
        self.pages: dict[int, bytearray] = {}
        # per page, the [lo, hi) byte range written since the last sync: an fsync after
        # each small append then writes those bytes, not the whole page
        self.dirty: dict[int, tuple[int, int]] = {}
        self.size = os.fstat(fd).st_size

    def page(self, index: int) -> bytearray:
        page = self.pages.get(index)
        if page is None:
            base = os.pread(self.fd, PAGE, index * PAGE)
            page = bytearray(base)
            if len(page) < PAGE:
                page.extend(bytes(PAGE - len(page)))
            self.pages[index] = page
        return page

    def unsynced_bytes(self) -> int:
        return sum(hi - lo for lo, hi in self.dirty.values())

    def mark(self, index: int, lo: int, hi: int) -> None:
        old = self.dirty.get(index)
        self.dirty[index] = (lo, hi) if old is None else (min(old[0], lo), max(old[1], hi))

    def sync(self) -> None:
        for index in sorted(self.dirty):
            lo, hi = self.dirty[index]
            start = index * PAGE
            hi = min(hi, self.size - start)
            if hi > lo:
                os.pwrite(self.fd, memoryview(self.pages[index])[lo:hi], start + lo)
        self.pages.clear()
        self.dirty.clear()

    def drop(self) -> None:
        self.pages.clear()
        self.dirty.clear()
        self.size = os.fstat(self.fd).st_size


def _operations_base() -> type:
    import mfusepy

    return mfusepy.Operations  # type: ignore[no-any-return]


def make_operations(backing: str) -> Any:
    """The mfusepy ``Operations`` object; built lazily so importing this module never
    needs libfuse."""
    import mfusepy

    class LoseUnsyncedFS(_operations_base()):  # type: ignore[misc]
        use_ns = True

        def __init__(self, root: str) -> None:
            self._root = os.path.realpath(root)
            self._mutex = threading.RLock()
            self._by_path: dict[str, _Inode] = {}
            self._by_fh: dict[int, tuple[_Inode, bool]] = {}
            self._next_fh = 1

        # -- helpers
        def _full(self, path: str) -> str:
            return self._root + path

        def _attach(self, path: str, fd: int, flags: int) -> int:
            """Register an open of ``path`` whose backing descriptor is ``fd``."""
            inode = self._by_path.get(path)
            if inode is None:
                inode = _Inode(fd)
                self._by_path[path] = inode
            else:
                os.close(fd)
            inode.opens += 1
            fh = self._next_fh
            self._next_fh += 1
            self._by_fh[fh] = (inode, bool(flags & _SYNC_FLAGS))
            return fh

        def _forget_if_idle(self, path: str | None, inode: _Inode) -> None:
            if inode.opens == 0 and not inode.pages:
                if path is not None and self._by_path.get(path) is inode:
                    del self._by_path[path]
                for key in [k for k, v in self._by_path.items() if v is inode]:
                    del self._by_path[key]
                os.close(inode.fd)

        # -- control
        def drop_unsynced(self) -> tuple[int, int]:
            with self._mutex:
                dirty = [i for i in self._by_path.values() if i.pages]
                lost = sum(i.unsynced_bytes() for i in dirty)
                for inode in list(self._by_path.values()):
                    inode.drop()
                for path, inode in list(self._by_path.items()):
                    self._forget_if_idle(path, inode)
                return len(dirty), lost

        def status(self) -> tuple[int, int]:
            with self._mutex:
                dirty = [i for i in self._by_path.values() if i.pages]
                return len(dirty), sum(i.unsynced_bytes() for i in dirty)

        def sync_all(self) -> None:
            with self._mutex:
                for inode in self._by_path.values():
                    inode.sync()

        # -- metadata: straight through
        def getattr(self, path: str, fh: Any = None) -> dict[str, Any]:
            st = os.lstat(self._full(path))
            attrs = {
                key: getattr(st, key)
                for key in (
                    "st_mode", "st_nlink", "st_uid", "st_gid", "st_size",
                    "st_atime_ns", "st_mtime_ns", "st_ctime_ns",
                )
            }
            attrs["st_atime"] = attrs.pop("st_atime_ns")
            attrs["st_mtime"] = attrs.pop("st_mtime_ns")
            attrs["st_ctime"] = attrs.pop("st_ctime_ns")
            inode = self._by_path.get(path)
            if inode is not None:
                attrs["st_size"] = inode.size
            return attrs

        def readdir(self, path: str, fh: int) -> list[str]:
            return [".", "..", *os.listdir(self._full(path))]

        def mkdir(self, path: str, mode: int) -> None:
            os.mkdir(self._full(path), mode)

        def rmdir(self, path: str) -> None:
            os.rmdir(self._full(path))

        def unlink(self, path: str) -> None:
            with self._mutex:
                os.unlink(self._full(path))
                inode = self._by_path.pop(path, None)
                if inode is not None and inode.opens == 0:
                    inode.pages.clear()
                    inode.dirty.clear()
                    os.close(inode.fd)

        def rename(self, old: str, new: str) -> None:
            with self._mutex:
                os.rename(self._full(old), self._full(new))
                replaced = self._by_path.pop(new, None)
                if replaced is not None and replaced.opens == 0:
                    replaced.pages.clear()
                    replaced.dirty.clear()
                    os.close(replaced.fd)
                prefix = old + "/"
                for key in [k for k in self._by_path if k == old or k.startswith(prefix)]:
                    self._by_path[new + key[len(old):]] = self._by_path.pop(key)

        def chmod(self, path: str, mode: int) -> None:
            os.chmod(self._full(path), mode)

        def chown(self, path: str, uid: int, gid: int) -> None:
            os.chown(self._full(path), uid, gid)

        def utimens(self, path: str, times: Any = None) -> None:
            os.utime(self._full(path), ns=times)

        def statfs(self, path: str) -> dict[str, int]:
            st = os.statvfs(self._full(path))
            return {
                key: getattr(st, key)
                for key in (
                    "f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail",
                    "f_ffree", "f_files", "f_flag", "f_frsize", "f_namemax",
                )
            }

        def access(self, path: str, amode: int) -> None:
            if not os.access(self._full(path), amode):
                raise mfusepy.FuseOSError(errno.EACCES)

        def symlink(self, target: str, source: str) -> None:
            os.symlink(source, self._full(target))

        def readlink(self, path: str) -> str:
            return os.readlink(self._full(path))

        def init_with_config(self, conn: Any, config: Any) -> None:
            if conn is not None:  # big writes: fewer round trips through Python
                conn.max_write = 1 << 20
                conn.max_readahead = 1 << 20

        def fsyncdir(self, path: str, datasync: int, fh: int) -> None:
            return None  # directory operations are durable at once

        # -- data: through the overlay
        def create(self, path: str, mode: int, flags: int = os.O_RDWR) -> int:
            with self._mutex:
                fd = os.open(
                    self._full(path),
                    os.O_RDWR | os.O_CREAT | (flags & os.O_EXCL),
                    mode,
                )
                return self._attach(path, fd, flags)

        def open(self, path: str, flags: int) -> int:
            with self._mutex:
                fd = os.open(self._full(path), os.O_RDWR)
                return self._attach(path, fd, flags)

        def read(self, path: str, size: int, offset: int, fh: int) -> bytes:
            with self._mutex:
                inode = self._by_fh[fh][0]
                end = min(offset + size, inode.size)
                if end <= offset:
                    return b""
                if not inode.pages:
                    return os.pread(inode.fd, end - offset, offset)
                out = bytearray()
                pos = offset
                while pos < end:
                    index, start = divmod(pos, PAGE)
                    stop = min(PAGE, start + end - pos)
                    page = inode.pages.get(index)
                    if page is not None:
                        out += page[start:stop]
                    else:
                        chunk = os.pread(inode.fd, stop - start, pos)
                        out += chunk
                        if len(chunk) < stop - start:
                            out += bytes(stop - start - len(chunk))
                    pos += stop - start
                return bytes(out)

        def write(self, path: str, data: bytes, offset: int, fh: int) -> int:
            with self._mutex:
                inode, sync = self._by_fh[fh]
                view = memoryview(data)
                pos, done = offset, 0
                while done < len(data):
                    index, start = divmod(pos, PAGE)
                    n = min(PAGE - start, len(data) - done)
                    inode.page(index)[start : start + n] = view[done : done + n]
                    inode.mark(index, start, start + n)
                    pos += n
                    done += n
                inode.size = max(inode.size, offset + len(data))
                if sync:
                    inode.sync()
                return len(data)

        def truncate(self, path: str, length: int, fh: Any = None) -> None:
            with self._mutex:
                inode = self._by_fh[fh][0] if fh else self._by_path.get(path)
                if inode is None:
                    os.truncate(self._full(path), length)
                    return
                os.ftruncate(inode.fd, length)
                inode.size = length
                last, tail = divmod(length, PAGE)
                for index in [i for i in inode.pages if i > last or (i == last and not tail)]:
                    del inode.pages[index]
                    inode.dirty.pop(index, None)
                page = inode.pages.get(last)
                if page is not None and tail:
                    page[tail:] = bytes(PAGE - tail)
                    # a later extension must read zeros here, not the backing's old bytes
                    inode.mark(last, tail, PAGE)

        def fsync(self, path: str, datasync: int, fh: int) -> None:
            with self._mutex:
                self._by_fh[fh][0].sync()

        def flush(self, path: str, fh: int) -> None:
            return None

        def release(self, path: str, fh: int) -> None:
            with self._mutex:
                inode = self._by_fh.pop(fh)[0]
                inode.opens -= 1
                self._forget_if_idle(path, inode)

    return LoseUnsyncedFS(backing)


# ------------------------------------------------------------------ server process


def _serve_control(ops: Any, control: str) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(control):
        os.unlink(control)
    server.bind(control)
    server.listen(4)
    while True:
        conn, _ = server.accept()
        with conn:
            line = conn.makefile("r").readline().strip()
            if line == "drop":
                files, lost = ops.drop_unsynced()
                reply = f"ok dropped files={files} bytes={lost}"
            elif line == "status":
                files, dirty = ops.status()
                reply = f"ok unsynced files={files} bytes={dirty}"
            elif line == "sync":
                ops.sync_all()
                reply = "ok synced"
            elif line == "ping":
                reply = "ok pong"
            else:
                reply = f"error unknown command {line!r}"
            conn.sendall((reply + "\n").encode())


def serve(backing: str, mountpoint: str, control: str) -> None:
    """Mount and serve until unmounted or SIGTERM (sent too when our parent dies)."""
    import mfusepy

    # Die with the process that started us, so a crashed test can't leak a mount.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    ops = make_operations(backing)
    threading.Thread(target=_serve_control, args=(ops, control), daemon=True).start()
    mfusepy.FUSE(
        ops,
        mountpoint,
        foreground=True,
        nothreads=False,
        fsname="ackcheck-lazyfs",
        attr_timeout=0.0,
    )


# ------------------------------------------------------------------ controller


def is_mounted(mountpoint: str | Path) -> bool:
    target = os.path.realpath(mountpoint)
    try:
        with open("/proc/self/mounts") as mounts:
            return any(line.split()[1] == target for line in mounts if line.strip())
    except OSError:
        return False


def unmount(mountpoint: str | Path) -> None:
    """``fusermount3 -u``, lazily if busy; silent when nothing is mounted there."""
    if not is_mounted(mountpoint):
        return
    for args in (["-u"], ["-u", "-z"]):
        subprocess.run(
            ["fusermount3", *args, str(mountpoint)], capture_output=True, timeout=20, check=False
        )
        if not is_mounted(mountpoint):
            return


class LazyMount:
    """One lose-unsynced-writes mount served by its own process."""

    def __init__(self, backing: Path, mountpoint: Path, control: Path) -> None:
        self.backing = backing
        self.mountpoint = mountpoint
        self.control = control
        self.log = control.with_suffix(".log")
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        reason = fuse_unavailable_reason()
        if reason:
            raise HarnessError(f"FUSE is unavailable: {reason}")
        self.backing.mkdir(parents=True, exist_ok=True)
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        # Its stderr goes to a file, never a pipe: a full pipe would hang the file system.
        with open(self.log, "ab") as log, signals_blocked():  # the process and _proc together
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "ackcheck.harness.lazyfs",
                 str(self.backing), str(self.mountpoint), str(self.control)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C at the terminal must not kill it first
            )
        deadline = time.monotonic() + _MOUNT_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self.log.read_text(errors="replace") if self.log.exists() else ""
                lines = [ln for ln in err.splitlines() if ln.strip()]
                raise HarnessError(
                    f"FUSE mount of {self.mountpoint} failed: "
                    + (lines[-1] if lines else f"exit {self._proc.returncode}")
                )
            if is_mounted(self.mountpoint) and self._ask_quiet("ping"):
                return
            time.sleep(0.02)
        self.stop()
        raise HarnessError(f"FUSE mount of {self.mountpoint} not ready in {_MOUNT_TIMEOUT_S}s")

    def _ask_quiet(self, command: str) -> str | None:
        try:
            return self.ask(command)
        except HarnessError:
            return None

    def ask(self, command: str) -> str:
        """Send one control command; return the reply line (raises when it fails)."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(10)
                sock.connect(str(self.control))
                sock.sendall((command + "\n").encode())
                reply = sock.makefile("r").readline().strip()
        except OSError as exc:
            raise HarnessError(f"lazyfs control {self.control}: {exc}") from exc
        if not reply.startswith("ok"):
            raise HarnessError(f"lazyfs {command}: {reply or 'no reply'}")
        return reply

    def drop(self) -> str:
        return self.ask("drop")

    def status(self) -> str:
        return self.ask("status")

    def sync(self) -> str:
        """Write every unsynced byte to the backing files (an OS writeback)."""
        return self.ask("sync")

    def unsynced_bytes(self) -> int:
        """Bytes still only in the page cache, from ``status``."""
        reply = self.status()
        for word in reply.split():
            if word.startswith("bytes="):
                return int(word.removeprefix("bytes="))
        raise HarnessError(f"lazyfs status said {reply!r}")

    def stop(self) -> None:
        """Unmount and end the server process (idempotent)."""
        unmount(self.mountpoint)
        proc = self._proc
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
            self._proc = None
        unmount(self.mountpoint)
        if self.control.exists():
            self.control.unlink()


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m ackcheck.harness.lazyfs BACKING MOUNT CONTROL", file=sys.stderr)
        return 2
    serve(*argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
