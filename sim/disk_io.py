"""A node's disk outputs, carried out on its :class:`ackcheck.sim.disk.SimDisk`.

Disk operations are instantaneous in virtual time, so a fault can only fall between two
of them. Whenever one (or a fault) removes the last stored copy of client values, the
disk says so and this is where it becomes a :class:`ackcheck.history.Loss` record.
"""

from __future__ import annotations

from typing import Any, cast

from ackcheck.history import Loss
from ackcheck.node import Delete, Fsync, Rename, Truncate, Write
from ackcheck.sim.loop import EventLoop
from ackcheck.sim.recorder import Recorder
from ackcheck.sim.slot import NodeContractError, NodeSlot


class DiskIO:
    """Carries out ``Write``, ``Truncate``, ``Fsync``, ``Delete`` and ``Rename``, records
    each, and keeps the run's losses."""

    def __init__(self, loop: EventLoop, recorder: Recorder) -> None:
        self._loop = loop
        self._recorder = recorder
        self.losses: list[Loss] = []

    # A checked field is read through Any: compiled by mypyc, a read typed ``bytes``
    # would raise its own TypeError before the check could name the node.
    def write(self, slot: NodeSlot, out: Write) -> None:
        data = cast(Any, out).data
        if not isinstance(data, (bytes, bytearray)):
            raise NodeContractError(f"node n{slot.id} wrote {type(data).__name__}, not bytes")
        disk = slot.disk
        landed = disk.write(out.file, data, out.offset, out.tags)
        info: dict[str, Any] | None = None
        if self._recorder.active:
            info = {"file": out.file, "offset": landed, "len": len(data)}
            if out.tags:
                info["tags"] = list(out.tags)
            if landed != disk.last_aimed:
                info["aimed"] = disk.last_aimed
        self._disk_event(slot, "write", info)

    def truncate(self, slot: NodeSlot, out: Truncate) -> None:
        size = cast(Any, out).size
        if not isinstance(size, int) or size < 0:
            raise NodeContractError(f"node n{slot.id} truncated {out.file} to {size!r}")
        slot.disk.truncate(out.file, size)
        self._disk_event(slot, "truncate", {"file": out.file, "size": size})

    def fsync(self, slot: NodeSlot, out: Fsync) -> None:
        slot.disk.fsync(out.file)
        self._disk_event(slot, "fsync", {"file": out.file} if self._recorder.active else None)

    def delete(self, slot: NodeSlot, out: Delete) -> None:
        existed = slot.disk.delete(out.file)
        self._disk_event(slot, "delete", {"file": out.file, "existed": existed})

    def rename(self, slot: NodeSlot, out: Rename) -> None:
        existed = slot.disk.rename(out.src, out.dst)
        self._disk_event(slot, "rename", {"src": out.src, "dst": out.dst, "existed": existed})

    def _disk_event(self, slot: NodeSlot, kind: str, data: dict[str, Any] | None) -> None:
        """Record a disk event (``data`` None: nothing records, so none was built: Write
        and Fsync are a third of all outputs) and the losses it caused."""
        if data is not None:
            self._recorder.record(self._loop.now, slot.actor, kind, data)
        if slot.disk.lost:
            self.record_losses(slot)

    def record_losses(self, slot: NodeSlot) -> None:
        """Turn what the node's disk reported lost into Loss records (and events)."""
        now = self._loop.now
        for lost in slot.disk.lost:
            self.losses.append(Loss(time=now, node=slot.id, file=lost.file, values=lost.values,
                                    cause=lost.cause))
            self._recorder.record(now, slot.actor, "loss",
                                  {"file": lost.file, "values": list(lost.values),
                                   "cause": lost.cause})
        slot.disk.lost = []
