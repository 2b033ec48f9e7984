"""Compaction as NATS does it: on a ticker (``compact_interval`` plus a per-process
jitter) and past a size (``compact_bytes``), not every N entries; off by default."""

from __future__ import annotations

import random

from ackcheck.model import PRESETS, RaftConfig, make_node, resolve_config
from ackcheck.node import Boot, Rename, SetTimer, Timeout
from ackcheck.schedule import PowerFailure, Schedule, TimedFault, Workload
from ackcheck.sim import simulate


class _Disk:
    def list(self):
        return []

    def read(self, name):
        raise FileNotFoundError(name)


def _boot(config: RaftConfig, seed: int = 0):
    node = make_node(0, 3, config, random.Random(seed))
    return node, list(node.step(Boot(_Disk())))


def test_textbook_presets_arm_no_compaction_ticker():
    _, out = _boot(resolve_config("raft"))
    assert not [o for o in out if isinstance(o, SetTimer) and o.name == "compact"]


def test_nats_ticker_period_is_two_minutes_plus_up_to_one():
    periods = set()
    for seed in range(20):
        _, out = _boot(resolve_config("nats-2.12.1"), seed)
        (timer,) = [o for o in out if isinstance(o, SetTimer) and o.name == "compact"]
        assert 120_000_000 <= timer.delay <= 180_000_000
        periods.add(timer.delay)
    assert len(periods) > 1, "the jitter is drawn per process"


def test_a_tick_snapshots_only_what_was_applied_since_the_last_snapshot():
    config = RaftConfig(compact_interval="1s", snapshot_interval=0)
    node, _ = _boot(config)
    out = list(node.step(Timeout("compact")))
    assert [o for o in out if isinstance(o, SetTimer) and o.name == "compact"]
    assert not [o for o in out if isinstance(o, Rename)], "nothing applied: no snapshot"


def test_nats_presets_take_no_snapshot_in_a_short_run():
    """The 32-entry snapshots the textbook presets take left synced snapshots on disk in
    two-second NATS runs that the server never writes (its ticker is 2-3 minutes)."""
    schedule = Schedule(nodes=3, workload=Workload(writes=120))
    nats = simulate(schedule, make_node, resolve_config("nats-2.12.1")).history
    assert not [e for e in nats.events if e.kind == "rename" and "snap" in e.data["dst"]]
    raft = simulate(schedule, make_node, resolve_config("raft")).history
    assert [e for e in raft.events if e.kind == "rename" and "snap" in e.data["dst"]]


def test_compact_bytes_snapshots_a_log_past_the_size():
    schedule = Schedule(nodes=3, workload=Workload(writes=60),
                        faults=(TimedFault(1_800_000, PowerFailure((0, 1, 2))),))
    config = resolve_config("nats-2.12.1", ["compact_bytes=600"])
    history = simulate(schedule, make_node, config).history
    snaps = [e for e in history.events if e.kind == "rename" and "snap" in e.data["dst"]]
    assert snaps, "a log past 600 bytes is compacted"
    fsynced = {e.data["file"] for e in history.events if e.kind == "fsync"}
    assert any(".tmp" in f and "snap" in f for f in fsynced), "snapshots are synced"


def test_audited_nats_values():
    config = PRESETS["nats-2.12.1"].config
    assert (config.snapshot_interval, config.compact_interval, config.compact_jitter,
            config.compact_bytes, config.block_size) == (
        65_536, 120_000_000, 60_000_000, 8 * 1024 * 1024, 4 * 1024 * 1024)
