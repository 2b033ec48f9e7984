"""The simulator: drives sans-I/O nodes through a schedule in virtual time.

A :class:`Simulator` composes one part per concern and wires them together:
:mod:`~ackcheck.sim.processes` (start, stop, pause and step the nodes, with their
:mod:`~ackcheck.sim.timers`), :mod:`~ackcheck.sim.transport` (messages between nodes and
with clients, over :mod:`~ackcheck.sim.network`), :mod:`~ackcheck.sim.disk_io` (disk
outputs and losses), :mod:`~ackcheck.sim.workload` (the clients),
:mod:`~ackcheck.sim.faults` and :mod:`~ackcheck.sim.final_phase`. Faults at the same
microsecond as other events run first (they are scheduled before anything else), in
schedule order.
"""

from __future__ import annotations

import gc
from typing import Any

import attrs

from ackcheck.errors import ConfigError
from ackcheck.history import History
from ackcheck.node import (
    CancelTimer,
    ClientReply,
    Delete,
    Fsync,
    NodeFactory,
    Observe,
    Rename,
    Send,
    SetTimer,
    Truncate,
    Write,
)
from ackcheck.schedule import Schedule
from ackcheck.sim import warmup
from ackcheck.sim.disk_io import DiskIO
from ackcheck.sim.faults import FaultInjector
from ackcheck.sim.final_phase import FinalPhase
from ackcheck.sim.loop import EventLoop
from ackcheck.sim.network import SimNetwork
from ackcheck.sim.processes import Processes
from ackcheck.sim.recorder import NullRecorder, Recorder
from ackcheck.sim.seeds import RngStreams
from ackcheck.sim.transport import Transport
from ackcheck.sim.workload import ClientDriver


@attrs.frozen
class SimResult:
    """What a run returns."""

    history: History
    digest: str  # hex sha256 over the canonical encoding of the recorded events


def _check_schedule(schedule: Any, factory: Any) -> Schedule:
    if not isinstance(schedule, Schedule):
        raise ConfigError(f"simulate() needs an ackcheck Schedule, got {type(schedule).__name__}")
    if not callable(factory):
        raise ConfigError(f"the node factory must be callable, got {type(factory).__name__}")
    return schedule


class Simulator:
    """One run. Build it, call :meth:`run` once, read the :class:`SimResult`."""

    def __init__(
        self, schedule: Schedule, factory: NodeFactory, config: Any, *,
        record_events: bool = True, max_events: int = 20_000_000, digest: bool = True,
    ) -> None:
        self.schedule = _check_schedule(schedule, factory)
        if not digest and record_events:
            raise ConfigError("record_events=True needs the digest (digest=True)")
        self.loop = loop = EventLoop(max_events=max_events)
        streams = RngStreams(schedule.seed)
        self.recorder = rec = Recorder(keep=record_events) if digest else NullRecorder()
        self.network = SimNetwork(schedule.nodes, schedule.network, streams)
        self.processes = Processes(schedule.nodes, factory, config, loop, rec, streams)
        self.clients = ClientDriver(schedule, loop, rec)
        self.transport = Transport(
            self.processes.slots, self.network, loop, rec, self.processes.step, self.clients
        )
        self.disk_io = DiskIO(loop, rec)
        timers = self.processes.timers
        # Who carries out each node output; any other output type is a contract error.
        self.processes.carry_out({
            Send: self.transport.send,
            ClientReply: self.transport.reply,
            SetTimer: timers.set,
            CancelTimer: timers.cancel,
            Write: self.disk_io.write,
            Truncate: self.disk_io.truncate,
            Fsync: self.disk_io.fsync,
            Delete: self.disk_io.delete,
            Rename: self.disk_io.rename,
            Observe: self.processes.observe,
        })
        self.faults = FaultInjector(
            schedule.duration, self.processes, self.network, self.disk_io, loop, rec
        )
        self.final_phase = FinalPhase(self.processes, self.network, self.clients, loop, rec)
        if schedule.workload.warm:  # start from a warm-up's durable prefix (sim.warmup)
            warmup.prime(self, factory, config)
        self._ran = False

    def run(self) -> SimResult:
        if self._ran:
            raise ConfigError("a Simulator runs once; build a new one")
        self._ran = True
        sched = self.schedule
        loop = self.loop
        processes = self.processes
        for slot in processes.slots:
            loop.at(0, processes.boot, slot, "start")
        for tf in sched.sorted_faults():
            loop.at(tf.at, self.faults.apply, tf.fault)
        self.clients.start(self.transport.client_send)
        loop.at(sched.duration, self.final_phase.begin)
        # A run allocates far more than the collector's thresholds but makes almost no
        # cyclic garbage (refcounting frees the nodes' messages), so the cyclic GC only
        # rescans live objects: half the run time when recording keeps ~10^5 small dicts,
        # a tenth without. It runs again as soon as the run is over.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            loop.run(until=sched.duration + sched.settle)
        finally:
            if gc_was_enabled:
                gc.enable()
        self.clients.finish_unsettled()
        end = loop.now
        reads = self.clients.final_reads
        self.recorder.record(end, "sim", "end", {"events": loop.processed})
        history = History(
            nodes=sched.nodes,
            ops=tuple(self.clients.ops),
            faults=tuple(self.faults.events),
            observations=tuple(processes.observations),
            final_reads=tuple(reads[n] for n in sorted(reads)),
            final_states=tuple(processes.state(s) for s in processes.slots),
            residency=tuple(self.faults.residency),
            losses=tuple(self.disk_io.losses),
            events=self.recorder.events(),
            heal_time=self.final_phase.heal_time,
            end_time=end,
            source="sim",
        )
        return SimResult(history=history, digest=self.recorder.digest())


def simulate(
    schedule: Schedule, factory: NodeFactory, config: Any, *, record_events: bool = True,
    digest: bool = True,
) -> SimResult:
    """Run ``schedule`` on nodes built by ``factory(node_id, nodes, config, rng)``.

    A pure function of (schedule, factory, config): the same inputs give the same
    history and digest in any process. ``record_events=False`` skips keeping the event
    list (faster) but computes the same digest; ``digest=False`` (only without events)
    skips the digest too (``SimResult.digest`` is then ``""``): the explorer's fast path.
    """
    return Simulator(
        schedule, factory, config, record_events=record_events, digest=digest
    ).run()
