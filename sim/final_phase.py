"""The final phase: after the faults, give the cluster every chance to recover, then read.

At ``duration`` publishing stops, the network heals, paused nodes resume and every node
that is down or halted is (re)started; then one reader per node drains its log (see
:mod:`ackcheck.sim.workload`). A value acknowledged earlier that no node returns now was
lost, not merely unavailable.
"""

from __future__ import annotations

from ackcheck.sim.loop import EventLoop
from ackcheck.sim.network import SimNetwork
from ackcheck.sim.processes import Processes
from ackcheck.sim.recorder import Recorder
from ackcheck.sim.slot import DOWN, PAUSED, UP
from ackcheck.sim.workload import ClientDriver


class FinalPhase:
    """Starts the final phase once, at the end of the fault phase (``heal_time``)."""

    def __init__(
        self, processes: Processes, network: SimNetwork, clients: ClientDriver,
        loop: EventLoop, recorder: Recorder,
    ) -> None:
        self._processes = processes
        self._network = network
        self._clients = clients
        self._loop = loop
        self._recorder = recorder
        self.heal_time = 0

    def begin(self) -> None:
        """Heal, resume, restart everything, then read."""
        now = self._loop.now
        self.heal_time = now
        self._clients.close_publishing()
        self._network.heal()
        self._recorder.record(now, "sim", "final-phase", {})
        processes = self._processes
        for slot in processes.slots:
            if slot.status == PAUSED:
                processes.resume(slot)
        for slot in processes.slots:
            if slot.status == UP and slot.halted:
                processes.stop(slot, "stop", {"reason": "final restart of a halted node"})
            if slot.status == DOWN:
                processes.boot(slot, "final restart after halt" if slot.halted else "final restart")
        self._clients.start_readers()
