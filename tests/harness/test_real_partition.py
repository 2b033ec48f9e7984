"""Partitions through the route proxies on a real cluster."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.nats


def _peers(cluster, index: int) -> set[str]:
    routes = cluster.nodes[index].try_http("/routez") or {}
    return {r.get("remote_name") for r in routes.get("routes", [])}


def _eventually(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_isolating_a_node_cuts_its_routes_and_heal_restores_them(nats_cluster, faults):
    assert _peers(nats_cluster, 0) == {"n1", "n2"}
    assert faults.partition("split", (0,)) == 4  # 0<->1 and 0<->2, both directions
    assert _eventually(lambda: _peers(nats_cluster, 0) == set())
    assert _eventually(lambda: "n0" not in _peers(nats_cluster, 1))
    assert _peers(nats_cluster, 1) == {"n2"}  # the majority side still talks
    faults.heal()
    assert _eventually(lambda: _peers(nats_cluster, 0) == {"n1", "n2"})
    nats_cluster.wait_ready()
