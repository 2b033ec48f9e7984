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
from collections.abc import Callable
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
from ackcheck.sim.abstract import Coverage, NodeAbstract, cluster_state
from ackcheck.sim.decisions import DecisionDriver, Fired
from ackcheck.sim.disk_io import DiskIO
from ackcheck.sim.faults import FaultInjector
from ackcheck.sim.final_phase import FinalPhase
from ackcheck.sim.loop import EventLoop
from ackcheck.sim.network import SimNetwork
from ackcheck.sim.processes import Processes
from ackcheck.sim.recorder import NullRecorder, Recorder
from ackcheck.sim.seeds import RngStreams
from ackcheck.sim.slot import NodeSlot
from ackcheck.sim.transport import Transport
from ackcheck.sim.workload import ClientDriver

#: Called after a schedule's decision ``index`` fired, with the simulator in reach.
OnDecision = Callable[["Simulator", int], None]


@attrs.frozen
class SimResult:
    """What a run returns."""

    history: History
    digest: str  # hex sha256 over the canonical encoding of the recorded events
    #: the node abstract states reached (with ``coverage=True``; see ackcheck.sim.abstract)
    coverage: frozenset[NodeAbstract] = frozenset()
    #: steps that showed each protocol event (with ``coverage=True``)
    protocol_events: dict[str, int] = attrs.Factory(dict)  # not attrs.field: mypyc (setup.py)
    #: the decisions that fired: index, time and the node whose event it was
    fired: tuple[Fired, ...] = ()


#: The most writes one simulated run takes. Each event costs more as the logs grow:
#: 5,000 writes on 5 nodes took 24-25 s and 10,000 took 64 s (docs/errors.md), so a
#: larger workload is a mistake here, though a real-cluster load may be far larger.
SIMULATED_WRITES = 5_000


def _check_schedule(schedule: Any, factory: Any) -> Schedule:
    if not isinstance(schedule, Schedule):
        raise ConfigError(f"simulate() needs an ackcheck Schedule, got {type(schedule).__name__}")
    if not callable(factory):
        raise ConfigError(f"the node factory must be callable, got {type(factory).__name__}")
    if schedule.workload.writes > SIMULATED_WRITES:
        raise ConfigError(
            f"the simulator runs at most {SIMULATED_WRITES:,} writes and this schedule has "
            f"{schedule.workload.writes:,} (a real-cluster replay may have more)"
        )
    return schedule


class Simulator:
    """One run. Build it, call :meth:`run` once, read the :class:`SimResult`."""

    def __init__(
        self, schedule: Schedule, factory: NodeFactory, config: Any, *,
        record_events: bool = True, max_events: int = 20_000_000, digest: bool = True,
        coverage: bool = False, on_decision: OnDecision | None = None,
    ) -> None:
        self.schedule = _check_schedule(schedule, factory)
        if not digest and record_events:
            raise ConfigError("record_events=True needs the digest (digest=True)")
        self.loop = loop = EventLoop(max_events=max_events)
        streams = RngStreams(schedule.seed)
        self.recorder = rec = Recorder(keep=record_events) if digest else NullRecorder()
        self.network = SimNetwork(schedule.nodes, schedule.network, streams)
        self.processes = Processes(schedule.nodes, factory, config, loop, rec, streams)
        self.coverage = Coverage() if coverage else None
        self.decisions: DecisionDriver | None = None
        self._on_decision = on_decision
        if schedule.decisions or coverage:
            # Only these runs read protocol events off the outputs (before the transport
            # and the timers take the step function): a timed run pays nothing for it.
            self.processes.watch(self._on_protocol_events)
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
        if schedule.decisions:
            self.decisions = DecisionDriver(
                schedule.decisions, schedule.nodes, schedule.duration, loop, self.faults,
                None if on_decision is None else self._decided,
            )
        if schedule.workload.warm:  # start from a warm-up's durable prefix (sim.warmup)
            warmup.prime(self, factory, config)
        self._ran = False

    def _on_protocol_events(self, slot: NodeSlot, kinds: list[str]) -> None:
        if self.coverage is not None:
            self.coverage.on_events(slot, kinds)
        if self.decisions is not None:
            self.decisions.on_events(slot, kinds)

    def _decided(self, index: int) -> None:
        assert self._on_decision is not None
        self._on_decision(self, index)

    def cluster_state(self) -> tuple[Any, ...]:
        """The cluster's abstract state now, canonical under renaming the nodes
        (:func:`ackcheck.sim.abstract.cluster_state`)."""
        return cluster_state(self.processes, self.network.links, self.transport.in_flight())

    def close(self) -> None:
        """Let go of the run: drop the calls still pending and the links between the
        parts (the output handlers, the step and send functions they hold of each
        other). Those links are reference cycles; broken, a run's objects are freed by
        reference counting as soon as its result is dropped, and a search can keep the
        cyclic collector paused (``ackcheck.app._collector``). The result stays valid;
        the simulator can no longer run."""
        self.loop.close()
        self.processes.close()
        self.transport.close()
        self.clients.close()
        if self.decisions is not None:
            self.decisions.close()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """``with Simulator(...) as sim: result = sim.run()`` closes it however the run
        ends."""
        self.close()

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
        if self.decisions is not None:
            self.decisions.start()
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
        return SimResult(
            history=history,
            digest=self.recorder.digest(),
            coverage=frozenset(self.coverage.states) if self.coverage is not None else frozenset(),
            protocol_events=dict(self.coverage.events) if self.coverage is not None else {},
            fired=tuple(self.decisions.fired) if self.decisions is not None else (),
        )


def simulate(
    schedule: Schedule, factory: NodeFactory, config: Any, *, record_events: bool = True,
    digest: bool = True, coverage: bool = False,
) -> SimResult:
    """Run ``schedule`` on nodes built by ``factory(node_id, nodes, config, rng)``.

    A pure function of (schedule, factory, config): the same inputs give the same
    history and digest in any process. ``record_events=False`` skips keeping the event
    list (faster) but computes the same digest; ``digest=False`` (only without events)
    skips the digest too (``SimResult.digest`` is then ``""``): the explorer's fast path.
    ``coverage=True`` also collects the node abstract states the run reached
    (``SimResult.coverage``); it changes nothing else about the run.
    """
    with Simulator(
        schedule, factory, config, record_events=record_events, digest=digest,
        coverage=coverage,
    ) as sim:
        return sim.run()
