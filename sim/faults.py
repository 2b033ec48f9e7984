"""The schedule's faults, carried out at their times.

Each fault type has one handler, named in :attr:`FaultInjector.HANDLERS`: a new fault
kind is one entry there. A fault that makes no sense when it comes due (resuming a node
that is not paused, flipping a bit of a file that does not exist) is a recorded no-op,
never an error, so that schedules shrink freely. Before each fault, where every value is
stored (durably, or only in a page cache) is recorded, for the properties to explain a
loss.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from ackcheck.history import FaultEvent, Residency
from ackcheck.schedule import (
    BitFlip,
    Crash,
    Fault,
    Heal,
    LatentSectorError,
    MisdirectedWrite,
    Partition,
    Pause,
    PowerFailure,
    Restart,
    Resume,
    TornWrite,
)
from ackcheck.sim.disk_io import DiskIO
from ackcheck.sim.loop import EventLoop
from ackcheck.sim.network import SimNetwork
from ackcheck.sim.processes import Processes
from ackcheck.sim.recorder import Recorder
from ackcheck.sim.slot import DOWN, PAUSED, UP, NodeSlot

Outcome = tuple[bool, str]  # (applied, note)


class FaultInjector:
    """Carries out faults up to the end of the fault phase (``duration``); later ones
    are recorded as not applied."""

    def __init__(
        self, duration: int, processes: Processes, network: SimNetwork, disk_io: DiskIO,
        loop: EventLoop, recorder: Recorder,
    ) -> None:
        self._duration = duration
        self._processes = processes
        self._slots = processes.slots
        self._network = network
        self._disk_io = disk_io
        self._loop = loop
        self._recorder = recorder
        self.events: list[FaultEvent] = []
        self.residency: list[Residency] = []

    def apply(self, fault: Fault, decided: str = "") -> None:
        """Carry out ``fault`` now and record it; ``decided`` (which decision fired it)
        leads its note."""
        now = self._loop.now
        cause = fault.describe()
        for slot in self._slots:
            durable, cached = slot.disk.residency()
            self.residency.append(Residency(time=now, cause=cause, node=slot.id,
                                            durable=durable, cached=cached))
        handler = self.HANDLERS.get(type(fault))
        if now > self._duration:
            applied, note = False, "after the fault phase"
        elif handler is not None:
            applied, note = getattr(self, handler)(fault)
        else:
            applied, note = False, f"fault kind {fault.kind!r} is not simulated"
        if decided:
            note = f"{decided}; {note}" if note else decided
        self.events.append(FaultEvent(time=now, fault=fault, applied=applied, note=note))
        self._recorder.record(now, "sim", "fault",
                              {"fault": cause, "kind": fault.kind, "applied": applied,
                               "note": note})
        for slot in self._slots:
            if slot.disk.lost:
                self._disk_io.record_losses(slot)

    # ----------------------------------------------------------------------- processes

    def _pause(self, fault: Pause) -> Outcome:
        return self._when(fault.node, UP, self._processes.pause)

    def _resume(self, fault: Resume) -> Outcome:
        return self._when(fault.node, PAUSED, self._processes.resume)

    def _when(self, node: int, status: str, action: Callable[[NodeSlot], None]) -> Outcome:
        """``action`` on the node if it is ``status``; else a no-op saying what it is."""
        slot = self._slots[node]
        if slot.status != status:
            return False, f"n{node} is {slot.status}"
        action(slot)
        return True, ""

    def _restart(self, fault: Restart) -> Outcome:
        slot = self._slots[fault.node]
        if slot.status != DOWN:
            halted = " (halted)" if slot.halted else ""
            return False, f"n{fault.node} is {slot.status}{halted}"
        self._processes.boot(slot, "restart")
        return True, ""

    def _crash(self, fault: Crash) -> Outcome:
        slot = self._slots[fault.node]
        if slot.status == DOWN:
            return False, f"n{fault.node} is down"
        self._processes.stop(slot, "crash", {})
        return True, ""

    # ------------------------------------------------------------------------- network

    def _heal(self, fault: Heal) -> Outcome:
        self._network.heal()
        return True, ""

    def _partition(self, fault: Partition) -> Outcome:
        self._network.partition(fault.shape, fault.nodes)
        return True, ""

    # ---------------------------------------------------------------------------- disks

    def _power_failure(self, fault: PowerFailure) -> Outcome:
        for n in fault.nodes:
            self._power_fail(self._slots[n], None)
        return True, ""

    def _torn_write(self, fault: TornWrite) -> Outcome:
        return True, self._power_fail(self._slots[fault.node], fault.keep)

    def _bit_flip(self, fault: BitFlip) -> Outcome:
        slot = self._slots[fault.node]
        where = slot.disk.bit_flip(fault.target, fault.file_index, fault.offset, fault.bit)
        if not where:
            return False, f"no {fault.target} bytes to flip"
        return True, self._restart_to_read(slot, where)

    def _latent_sector_error(self, fault: LatentSectorError) -> Outcome:
        slot = self._slots[fault.node]
        where = slot.disk.latent_error(fault.target, fault.file_index, fault.offset,
                                       fault.length)
        if not where:
            return False, f"no {fault.target} bytes to spoil"
        return True, self._restart_to_read(slot, where)

    def _misdirected_write(self, fault: MisdirectedWrite) -> Outcome:
        where = self._slots[fault.node].disk.arm_misdirect(fault.target, fault.file_index,
                                                           fault.offset)
        return (True, where) if where else (False, f"no {fault.target} file")

    def _power_fail(self, slot: NodeSlot, keep: int | None) -> str:
        """Crash (if running) and drop the page cache; the OS went down too. With
        ``keep``, the last unsynced write is torn. Returns the disk's note."""
        was = slot.status
        note = slot.disk.power_fail(keep)
        kind = "power-failure" if keep is None else "torn-write"
        data: dict[str, Any] = {"was": was}
        if note:
            data["note"] = note
        if was != DOWN:
            self._processes.stop(slot, kind, data)
        else:
            self._recorder.record(self._loop.now, slot.actor, kind, data)
        return note

    def _restart_to_read(self, slot: NodeSlot, where: str) -> str:
        """Damage is applied to a killed node, which then starts and recovers from it, as
        Jepsen's file-corruption nemeses do (and the real-cluster harness does): a
        running process holds its data in memory and would never read the damage. A node
        that is down just keeps the damage until it restarts."""
        if slot.status == DOWN:
            return where
        self._processes.stop(slot, "crash", {"why": "damaged while stopped"})
        self._processes.boot(slot, "restart")
        return f"{where}; n{slot.id} killed and restarted on it"

    # The one place a fault type meets its handler (named, not referenced: a class
    # compiled by mypyc has no methods in its namespace while its body runs).
    HANDLERS: ClassVar[dict[type[Fault], str]] = {
        Pause: "_pause",
        Resume: "_resume",
        Heal: "_heal",
        Partition: "_partition",
        Restart: "_restart",
        Crash: "_crash",
        PowerFailure: "_power_failure",
        TornWrite: "_torn_write",
        BitFlip: "_bit_flip",
        LatentSectorError: "_latent_sector_error",
        MisdirectedWrite: "_misdirected_write",
    }
