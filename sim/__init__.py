"""The deterministic simulator: virtual time, simulated disks and network, faults.

``simulate(schedule, factory, config)`` runs a cluster of sans-I/O nodes through a
:class:`ackcheck.schedule.Schedule` and returns a :class:`SimResult` (the
:class:`ackcheck.history.History` and a sha256 digest of every recorded event).
"""

from __future__ import annotations

from ackcheck.sim.disk import SimDisk, SimDiskView, SimFile
from ackcheck.sim.loop import EventLoop, EventLoopLimitError
from ackcheck.sim.network import SimNetwork, full_mesh, partition_graph
from ackcheck.sim.recorder import Recorder
from ackcheck.sim.seeds import RngStreams, derive_seed
from ackcheck.sim.simulator import SimResult, Simulator, simulate
from ackcheck.sim.slot import NodeContractError, NodeSlot
from ackcheck.sim.workload import ClientDriver, split_values

__all__ = [
    "ClientDriver",
    "EventLoop",
    "EventLoopLimitError",
    "NodeContractError",
    "NodeSlot",
    "Recorder",
    "RngStreams",
    "SimDisk",
    "SimDiskView",
    "SimFile",
    "SimNetwork",
    "SimResult",
    "Simulator",
    "derive_seed",
    "full_mesh",
    "partition_graph",
    "simulate",
    "split_values",
]
