"""The real warm-up: the warm writes are acked, on every server and durable, so a power
failure of every server afterwards loses none of them."""

from __future__ import annotations

import asyncio

import pytest

from ackcheck.harness.config import STREAM
from ackcheck.harness.driver import stream_settled
from ackcheck.harness.waiting import wait_until
from ackcheck.harness.warmup import warm_up
from ackcheck.harness.workload import OpLog, create_stream, read_node
from ackcheck.schedule import Workload

pytestmark = pytest.mark.nats


def test_warm_prefix_survives_a_power_failure_of_every_server(nats_cluster_factory):
    cluster = nats_cluster_factory(3)  # sync_interval default: 2m
    asyncio.run(create_stream(cluster.nodes[0].client_url, cluster.size))
    assert asyncio.run(wait_until(lambda: not stream_settled(cluster), 30))
    log = OpLog(lambda: 0)
    workload = Workload(writes=40, warm=24)
    warm = asyncio.run(warm_up(cluster, workload, log, sync="os", sync_interval_s=None,
                               wait_s=60))
    assert warm.values == 24 and warm.seconds > 0
    assert all(op.time == 0 for op in log.ops)
    for node in cluster.nodes:  # lose every byte not synced
        cluster.power_fail(node.index)
    for node in cluster.nodes:
        cluster.start_node(node.index)
    cluster.wait_ready()
    assert asyncio.run(wait_until(lambda: not stream_settled(cluster), 40))
    warm_values = {v for vs in workload.warm_values() for v in vs}
    for node in cluster.nodes:
        read = asyncio.run(read_node(node.index, node.client_url,
                                     lambda i=node.index: cluster.stream_state(i, STREAM), 20))
        assert read.complete, read.error
        assert warm_values <= {v for _, v in read.entries}, node.name
