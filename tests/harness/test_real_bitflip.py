"""What one bit flip in a NATS message block does on a real 2.12.1 cluster (R3, sync
``always``): the flip lands in the record holding a given write, in its hash-covered
part (``harness.blk``), on a follower that is killed first and restarted on the damage,
as the model and Jepsen's bitflip nemesis do it.

Measured (docs/real-cluster.md): NATS' rebuild truncates the block at the bad record,
then the node is caught up again, so nothing acked is lost and the damaged record is
replaced by an intact copy. The test asserts exactly that, so a release that stops
noticing the damage (the flipped bytes survive) or stops repairing it (a node lacks
acked writes) fails it.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from nats.js.errors import NoStreamResponseError

from ackcheck.harness.blk import BlkRecord, damage_start, parse_block, record_holding
from ackcheck.harness.cluster import NatsCluster
from ackcheck.harness.config import STREAM, SUBJECT
from ackcheck.harness.driver import stream_settled
from ackcheck.harness.pytest_fixtures import require_fuse
from ackcheck.harness.workload import connect, create_stream, read_node

pytestmark = pytest.mark.nats

WRITES = 30
SETTLE_S = 40.0


async def _publish(url: str, values: list[str], interest_s: float = 10.0) -> list[str]:
    """Publish each value with an ack; returns the acked ones.

    A settled stream can still be unknown to the server the client is on for a moment:
    the leader's subject interest reaches the other servers over the routes after the
    stream reports its leader, and until then a publish gets "no responders" (seen in CI
    on the very first write). Only that answer is retried, for ``interest_s`` in all;
    the message id makes a retry of the same value a duplicate, never a second write."""
    nc = await connect(url, "ackcheck-bitflip")
    acked = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + interest_s
    try:
        js = nc.jetstream(timeout=5)
        for value in values:
            while True:
                try:
                    await js.publish(SUBJECT, value.encode(), headers={"Nats-Msg-Id": value})
                    break
                except NoStreamResponseError:
                    if loop.time() > deadline:
                        raise
                    await asyncio.sleep(0.1)
            acked.append(value)
    finally:
        await nc.close()
    return acked


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout:.0f}s: {what}")


def _stream_records(cluster: NatsCluster, node: int) -> list[BlkRecord]:
    """Every record of ``node``'s stream blocks."""
    out: list[BlkRecord] = []
    for path in cluster.log_blocks(node, "stream"):
        out += parse_block(path.read_bytes()).records
    return out


def _messages(cluster: NatsCluster, node: int) -> int:
    state = (cluster.stream_state(node, STREAM) or {}).get("state") or {}
    return int(state.get("messages", -1))


def test_one_bit_flip_in_a_follower_block_is_detected_and_repaired():
    require_fuse()
    values = [f"0-{k}" for k in range(WRITES)]
    with NatsCluster(3, "2.12.1", "always") as cluster:
        asyncio.run(create_stream(cluster.nodes[0].client_url, 3))
        _wait(lambda: not stream_settled(cluster), 20, "stream ready")
        acked = asyncio.run(_publish(cluster.nodes[0].client_url, values))
        assert acked == values
        leader = cluster.stream_state(0, STREAM)["cluster"]["leader"]  # type: ignore[index]
        victim = next(n.index for n in cluster.nodes if n.name != leader)
        _wait(lambda: _messages(cluster, victim) == WRITES, 10, f"n{victim} holds every write")

        assert cluster.crash(victim)
        block = cluster.log_blocks(victim, "stream")[0]
        rec = record_holding(parse_block(block.read_bytes()).records, "0-0")
        assert rec is not None
        intact = block.read_bytes()[rec.offset : rec.end]
        note = cluster.corrupt_record(victim, 0, 0, b"\x01", value="0-0", parts=("stream",))
        assert "record holding 0-0" in note and "1 byte(s) changed" in note, note
        damaged = block.read_bytes()[rec.offset : rec.end]
        bad = parse_block(damaged).records[0]
        changed = [i for i, (a, b) in enumerate(zip(intact, damaged, strict=True)) if a != b]
        assert changed == [damage_start(rec, "0-0") - rec.offset]  # one byte, one bit
        assert bin(intact[changed[0]] ^ damaged[changed[0]]).count("1") == 1

        assert cluster.start_node(victim)
        cluster.wait_ready(SETTLE_S)
        _wait(
            lambda: not stream_settled(cluster) and _messages(cluster, victim) == WRITES,
            SETTLE_S, f"n{victim} caught up again",
        )
        on_disk = _stream_records(cluster, victim)
        # noticed: no record carries the damaged bytes any more (NATS truncated the block
        # at it); repaired: a live record of the same sequence holds 0-0 again
        assert not any(r.headers + r.msg == bad.headers + bad.msg for r in on_disk)
        again = record_holding(on_disk, "0-0")
        assert again is not None and again.seq == rec.seq
        assert (again.headers, again.msg) == (rec.headers, rec.msg)

        async def read_all():
            return await asyncio.gather(*[
                read_node(n.index, n.client_url, lambda i=n.index: cluster.stream_state(
                    i, STREAM), 10) for n in cluster.nodes
            ])

        reads = asyncio.run(read_all())
    for read in reads:
        assert read.complete, read.error
        assert sorted(v for _, v in read.entries) == sorted(values), f"n{read.node}"
