"""pytest fixtures for real-server tests, so a researcher writes one in a few lines::

    import pytest
    pytestmark = pytest.mark.nats

    def test_power_failure_loses_acks(nats_cluster, faults):
        ...  # publish with nats-py to nats_cluster.nodes[0].client_url
        faults.power_failure(0, 1, 2)
        faults.restart_all()

The fixtures themselves (``nats_version``, ``nats_cluster_factory``, ``nats_cluster``,
``faults``) are defined by the ackcheck pytest plugin, which imports this module only when
a test asks for one. Tests using a cluster skip, with the reason, only where FUSE is
unavailable; a missing binary is downloaded into the cache once.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from ackcheck.harness.cluster import NatsCluster
from ackcheck.harness.driver import Outcome, apply_fault, blocked_pairs
from ackcheck.harness.lazyfs import fuse_unavailable_reason
from ackcheck.schedule import Crash, Fault, Heal, Partition, Pause, PowerFailure, Restart, Resume

DEFAULT_VERSION = "2.12.1"


def require_fuse() -> None:
    """Skip the calling test, with the reason, where FUSE can't be mounted."""
    reason = fuse_unavailable_reason()
    if reason:
        pytest.skip(f"FUSE unavailable: {reason}")


class ClusterFactory:
    """``make(nodes=3, version="2.12.1", sync_interval=None, **kw)`` -> a started cluster;
    every cluster made is closed by :meth:`close_all` (the fixture's teardown)."""

    def __init__(self) -> None:
        self.made: list[NatsCluster] = []

    def __call__(
        self, nodes: int = 3, version: str = DEFAULT_VERSION, sync_interval: str | None = None,
        **kwargs: Any,
    ) -> NatsCluster:
        if kwargs.get("fuse", True):
            require_fuse()
        cluster = NatsCluster(nodes, version, sync_interval, **kwargs)
        self.made.append(cluster)
        cluster.start()
        return cluster

    def close_all(self) -> None:
        for cluster in reversed(self.made):
            cluster.close()
        self.made.clear()


def version_under_test() -> str:
    """The nats-server under test: ``$ACKCHECK_NATS_VERSION`` or 2.12.1."""
    return os.environ.get("ACKCHECK_NATS_VERSION", DEFAULT_VERSION)


class FaultHandles:
    """Faults on a running cluster, by node index, carried out by the driver's fault
    table (``driver.FAULT_HANDLERS``) exactly as a schedule's faults are."""

    def __init__(self, cluster: NatsCluster) -> None:
        self.cluster = cluster

    def _apply(self, fault: Fault) -> Outcome:
        return apply_fault(self.cluster, fault)

    def crash(self, node: int) -> bool:
        return self._apply(Crash(node)).applied

    def power_failure(self, *nodes: int) -> str:
        return self._apply(PowerFailure(nodes)).note

    def pause(self, node: int) -> bool:
        return self._apply(Pause(node)).applied

    def resume(self, node: int) -> bool:
        return self._apply(Resume(node)).applied

    def restart(self, node: int) -> bool:
        return self._apply(Restart(node)).applied

    def restart_all(self, wait: bool = True) -> None:
        for node in self.cluster.nodes:
            self.cluster.resume(node.index)
            self.cluster.start_node(node.index)
        if wait:
            self.cluster.wait_ready()

    def partition(self, shape: str = "split", nodes: tuple[int, ...] = (0,)) -> int:
        """Cut the links of ``Partition(shape, nodes)``; returns how many directed
        links are cut."""
        fault = Partition(shape=shape, nodes=nodes)
        self._apply(fault)
        return len(blocked_pairs(self.cluster.size, fault))

    def heal(self) -> None:
        self._apply(Heal())
