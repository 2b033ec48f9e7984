"""A node's disk with the semantics real file systems have under power loss.

Each file has *durable* bytes (what survives a power failure) and a *cached* image (what
reads return while the OS is up, i.e. the page cache). ``Write`` and ``Truncate`` change
the cached image; ``Fsync`` makes the cached image durable. Creating, renaming and
deleting a file is durable at once, as on LazyFS-like "lose unsynced writes" file
systems: a file created and never fsynced exists, empty, after a power failure. A crash
keeps the page cache (the OS is still up); a power failure drops it.

Writes carry *tags* (the client values they contain). Tags are tracked per byte range in
both images, with a per-node reference count, so that the simulator can say where a
value was at each fault (:meth:`SimDisk.residency`) and which event removed its last
copy (:attr:`SimDisk.lost`). A torn or overwritten range loses its tags: a partial value
is not a stored copy. With no tags, the bookkeeping is a few empty-list checks.
"""

from __future__ import annotations

from typing import NamedTuple

from ackcheck.node import ReadError
from ackcheck.schedule import TARGET_PREFIX


class TagRange(NamedTuple):
    """Bytes ``[start, end)`` of a file hold (a copy of) client value ``tag``. Immutable,
    so the durable and the cached image share them."""

    start: int
    end: int
    tag: str


class LostValues(NamedTuple):
    """An operation on ``file`` removed the last stored copy of ``values``."""

    file: str
    values: tuple[str, ...]
    cause: str


class SimFile:
    """One file: durable bytes, the cached image, their tags and unreadable ranges."""

    __slots__ = (
        "bad", "cached", "ctags", "cut_cause", "dirty", "dtags", "durable", "name", "synced",
        "synced_len",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.durable = bytearray()
        self.cached = bytearray()
        self.dtags: list[TagRange] = []
        self.ctags: list[TagRange] = []
        self.dirty = False  # cached image differs from durable bytes
        self.bad: list[tuple[int, int]] = []  # latent sector errors, [start, end)
        # why tagged bytes left the cached image since the last fsync: the cause of the
        # loss an fsync then makes final by dropping the durable copy
        self.cut_cause = "overwrite"
        # ``ctags`` as of the last fsync, and its length then. Writes only ever *extend*
        # ``ctags`` in place; every other change replaces the list. So while it is the
        # same list, its first ``synced_len`` ranges still equal ``dtags``.
        self.synced: list[TagRange] | None = None
        self.synced_len = 0


def _subtract(ranges: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """``ranges`` minus ``[start, end)``: rewriting a bad sector remaps it."""
    out: list[tuple[int, int]] = []
    for a, b in ranges:
        if b <= start or a >= end:
            out.append((a, b))
            continue
        if a < start:
            out.append((a, start))
        if b > end:
            out.append((end, b))
    return out


class SimDisk:
    """The files of one node; every mutator is instantaneous in virtual time.

    ``lost`` collects a :class:`LostValues` whenever an operation removes the last
    stored copy (cached or durable) of values; :mod:`ackcheck.sim.disk_io` drains it
    into ``Loss`` records. ``recovering`` is set while the node handles ``Boot`` so that a
    truncate or delete done by recovery is named as such.
    """

    def __init__(self) -> None:
        self.files: dict[str, SimFile] = {}
        self.recovering = False
        self.last_aimed = 0
        self.lost: list[LostValues] = []
        self._cref: dict[str, int] = {}
        self._dref: dict[str, int] = {}
        # file -> (offset, data) of its last unsynced write; the last entry is the
        # latest write of all (a write moves its file to the end)
        self._unsynced: dict[SimFile, tuple[int, bytes]] = {}
        self._misdirect: dict[str, int] = {}

    # ------------------------------------------------------------------ tag bookkeeping

    def _incr(self, refs: dict[str, int], ranges: list[TagRange]) -> None:
        for r in ranges:
            tag = r.tag
            refs[tag] = refs.get(tag, 0) + 1

    def _decr(self, refs: dict[str, int], ranges: list[TagRange], gone: list[str]) -> None:
        for r in ranges:
            tag = r.tag
            left = refs[tag] - 1
            if left:
                refs[tag] = left
            else:
                del refs[tag]
                gone.append(tag)

    def _report(self, name: str, gone: list[str], cause: str) -> None:
        """Turn tags whose count reached zero into a loss if no other copy remains."""
        if not gone:
            return
        lost = sorted({t for t in gone if t not in self._cref and t not in self._dref})
        if lost:
            self.lost.append(LostValues(name, tuple(lost), cause))

    def _cause(self, base: str) -> str:
        return f"{base} by recovery" if self.recovering else base

    # -------------------------------------------------------------------- file access

    def _open(self, name: str) -> SimFile:
        f = self.files.get(name)
        if f is None:
            f = SimFile(name)  # creation is durable at once: it exists, empty
            self.files[name] = f
        return f

    def names(self) -> list[str]:
        return sorted(self.files)

    def read(self, name: str) -> bytes:
        """The current image; :class:`ReadError` over a latent sector error."""
        f = self.files.get(name)
        if f is None:
            raise FileNotFoundError(name)
        size = len(f.cached)
        for a, b in f.bad:
            if a < size:
                raise ReadError(f"EIO reading {name}: latent sector error at bytes {a}..{b}")
        return bytes(f.cached)

    def resolve(self, target: str, file_index: int) -> SimFile | None:
        """The file a fault names by target and index (modulo the count), or None."""
        prefix = TARGET_PREFIX[target]
        names = sorted(n for n in self.files if n.startswith(prefix))
        if not names:
            return None
        return self.files[names[file_index % len(names)]]

    # -------------------------------------------------------------------- node outputs

    def write(self, name: str, data: bytes | bytearray, offset: int | None,
              tags: tuple[str, ...]) -> int:
        """Write into the page cache; returns where the bytes landed (a misdirected
        write lands elsewhere; ``last_aimed`` keeps where it was aimed)."""
        f = self._open(name)
        cached = f.cached
        size = len(cached)
        pos = size if offset is None else offset
        self.last_aimed = pos
        cause = "overwrite"
        distance = self._misdirect.pop(name, 0) if self._misdirect else 0
        if distance:
            pos = pos - distance if pos >= distance else pos + distance
            cause = "misdirected-write"
        end = pos + len(data)
        if pos > size:
            cached.extend(bytes(pos - size))
        cached[pos:end] = data
        if f.ctags and pos < size:
            keep: list[TagRange] = []
            hit: list[TagRange] = []
            for r in f.ctags:
                (hit if r.start < end and r.end > pos else keep).append(r)
            if hit:
                f.ctags = keep
                f.cut_cause = cause
                gone: list[str] = []
                self._decr(self._cref, hit, gone)
                self._report(name, gone, cause)
        if tags and data:
            new = [TagRange(pos, end, t) for t in tags]
            f.ctags.extend(new)
            self._incr(self._cref, new)
        if f.bad:
            f.bad = _subtract(f.bad, pos, end)
        f.dirty = True
        unsynced = self._unsynced
        unsynced.pop(f, None)
        unsynced[f] = (pos, bytes(data))
        return pos

    def truncate(self, name: str, size: int) -> None:
        f = self._open(name)
        cached = f.cached
        if size < len(cached):
            del cached[size:]
            if f.ctags:
                keep = [r for r in f.ctags if r.end <= size]
                if len(keep) != len(f.ctags):
                    cut = [r for r in f.ctags if r.end > size]
                    f.ctags = keep
                    f.cut_cause = self._cause("truncate")
                    gone: list[str] = []
                    self._decr(self._cref, cut, gone)
                    self._report(name, gone, f.cut_cause)
        elif size > len(cached):
            cached.extend(bytes(size - len(cached)))
        f.dirty = True

    def fsync(self, name: str) -> None:
        f = self._open(name)
        self._unsynced.pop(f, None)
        if not f.dirty:
            return
        f.durable = bytearray(f.cached)
        f.dirty = False
        if f.dtags or f.ctags:
            # Only the ranges that differ from the durable ones change counts: appends
            # leave a long common prefix, which is skipped (re-counting it made every
            # fsync cost the whole file's tags).
            old, cached = f.dtags, f.ctags
            if f.synced is cached and f.synced_len == len(old):
                same = f.synced_len  # only appended to since the last fsync
            else:
                same = 0
                limit = min(len(old), len(cached))
                while same < limit and old[same] == cached[same]:
                    same += 1
            added = cached[same:]
            self._incr(self._dref, added)
            gone: list[str] = []
            self._decr(self._dref, old[same:], gone)
            f.dtags = old[:same] + added
            f.synced, f.synced_len = cached, len(cached)
            self._report(name, gone, f.cut_cause)
        f.cut_cause = "overwrite"

    def delete(self, name: str) -> bool:
        f = self.files.pop(name, None)
        if f is None:
            return False
        self._drop_file(f, self._cause("delete"))
        return True

    def rename(self, src: str, dst: str) -> bool:
        f = self.files.pop(src, None)
        if f is None:
            return False
        old = self.files.pop(dst, None)
        f.name = dst
        self.files[dst] = f
        if old is not None:
            self._drop_file(old, self._cause("rename"))
        return True

    def _drop_file(self, f: SimFile, cause: str) -> None:
        self._unsynced.pop(f, None)
        if f.ctags or f.dtags:
            gone: list[str] = []
            self._decr(self._cref, f.ctags, gone)
            self._decr(self._dref, f.dtags, gone)
            f.ctags, f.dtags = [], []
            self._report(f.name, gone, cause)

    # -------------------------------------------------------------------------- faults

    def power_fail(self, torn_keep: int | None = None) -> str:
        """Drop the page cache. With ``torn_keep``, the most recent unsynced write is
        torn: ``torn_keep % len`` bytes of it reach the platter. Returns a note."""
        torn = None
        if torn_keep is not None and self._unsynced:
            torn = next(reversed(self._unsynced.items()))  # the latest unsynced write
        cause = "power-failure" if torn_keep is None else "torn-write"
        for f in self.files.values():
            if not f.dirty:
                continue
            f.cached = bytearray(f.durable)
            f.dirty = False
            if f.ctags or f.dtags:
                new = list(f.dtags)
                self._incr(self._cref, new)
                old, f.ctags = f.ctags, new
                gone: list[str] = []
                self._decr(self._cref, old, gone)
                self._report(f.name, gone, cause)
        self._unsynced.clear()
        if torn_keep is None:
            return ""
        if torn is None:
            return "no unsynced write: plain power failure"
        f, (pos, data) = torn
        keep = torn_keep % len(data) if data else 0
        if keep and self.files.get(f.name) is f:
            durable = f.durable
            if pos > len(durable):
                durable.extend(bytes(pos - len(durable)))
            durable[pos : pos + keep] = data[:keep]
            f.cached = bytearray(durable)
            end = pos + keep
            if f.dtags:  # the torn bytes damaged older durable values they landed on
                hit_d = [r for r in f.dtags if r.start < end and r.end > pos]
                if hit_d:
                    hit_c = [r for r in f.ctags if r.start < end and r.end > pos]
                    f.dtags = [r for r in f.dtags if not (r.start < end and r.end > pos)]
                    f.ctags = [r for r in f.ctags if not (r.start < end and r.end > pos)]
                    gone = []
                    self._decr(self._dref, hit_d, gone)
                    self._decr(self._cref, hit_c, gone)
                    self._report(f.name, gone, cause)
        return f"torn write of {f.name}@{pos}: kept {keep} of {len(data)} bytes"

    def bit_flip(self, target: str, file_index: int, offset: int, bit: int) -> str | None:
        """Flip a bit in the durable bytes and the cached image; None if no such byte,
        else a note naming the byte."""
        f = self.resolve(target, file_index)
        if f is None:
            return None
        size = max(len(f.durable), len(f.cached))
        if size == 0:
            return None
        pos = offset % size
        mask = 1 << (bit % 8)
        if pos < len(f.durable):
            f.durable[pos] ^= mask
        if pos < len(f.cached):
            f.cached[pos] ^= mask
        return f"{f.name}@{pos} bit {bit % 8}"

    def latent_error(self, target: str, file_index: int, offset: int, length: int) -> str | None:
        f = self.resolve(target, file_index)
        if f is None or not f.cached:
            return None
        start = offset % len(f.cached)
        end = start + max(1, length)
        f.bad.append((start, end))
        return f"{f.name} bytes {start}..{end}"

    def arm_misdirect(self, target: str, file_index: int, offset: int) -> str | None:
        """The next write to the file lands ``1 + offset % size`` bytes before where it
        was aimed (after it, if that would be before byte 0)."""
        f = self.resolve(target, file_index)
        if f is None:
            return None
        distance = 1 + offset % max(1, len(f.cached))
        self._misdirect[f.name] = distance
        return f"next write to {f.name} lands {distance} bytes off"

    # --------------------------------------------------------------------- warm start

    def image(self) -> list[tuple[str, bytes, tuple[TagRange, ...]]]:
        """Every file as the OS holds it now (name, cached bytes, their tags)."""
        return [(f.name, bytes(f.cached), tuple(f.ctags)) for f in self.files.values()]

    def restore(self, name: str, data: bytes, tags: tuple[TagRange, ...]) -> None:
        """Create ``name`` holding ``data`` durably (a warm start's synced file)."""
        f = self._open(name)
        f.durable, f.cached = bytearray(data), bytearray(data)
        f.dtags, f.ctags = list(tags), list(tags)
        self._incr(self._dref, f.dtags)
        self._incr(self._cref, f.ctags)

    # ----------------------------------------------------------------------- residency

    def residency(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(values in durable bytes, values only in the page cache), each sorted."""
        durable = tuple(sorted(self._dref))
        cached = tuple(sorted(t for t in self._cref if t not in self._dref))
        return durable, cached

    def tag_counts(self) -> tuple[int, int]:
        """How many values are in durable bytes, and how many only in the page cache."""
        dref = self._dref
        return len(dref), sum(1 for t in self._cref if t not in dref)

    def view(self) -> SimDiskView:
        return SimDiskView(self)


class SimDiskView:
    """The :class:`ackcheck.node.DiskView` handed to ``Boot``: what a restarted process
    would read (the cached image, which after a power failure equals the durable one)."""

    def __init__(self, disk: SimDisk) -> None:
        self._disk = disk

    def list(self) -> list[str]:
        return self._disk.names()

    def read(self, name: str) -> bytes:
        return self._disk.read(name)
