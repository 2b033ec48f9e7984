"""The deterministic simulator: virtual time, simulated disks and network, faults.

``simulate(schedule, factory, config)`` runs a cluster of sans-I/O nodes through a
:class:`ackcheck.schedule.Schedule` and returns a :class:`SimResult` (the
:class:`ackcheck.history.History` and a sha256 digest of every recorded event).
:class:`Simulator` is the same run with its event budget and counters in reach;
:func:`partition_graph` says which links a partition shape cuts (the real-cluster
harness cuts the same ones).

Only the names in ``__all__`` are public. Everything else in the submodules (the
processes, transport, timers, disks, clients, faults, final phase, recorder) is internal
and may change without notice.
"""

from __future__ import annotations

from ackcheck.sim.loop import EventLoopLimitError
from ackcheck.sim.network import partition_graph
from ackcheck.sim.simulator import SimResult, Simulator, simulate
from ackcheck.sim.slot import NodeContractError

__all__ = [
    "EventLoopLimitError",
    "NodeContractError",
    "SimResult",
    "Simulator",
    "partition_graph",
    "simulate",
]
