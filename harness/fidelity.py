"""Which knobs of a trace's config a real nats-server cannot match, and what the model
says with the server's own values instead.

A real replay sets only ``sync_interval`` (from the ``fsync`` knob); every other knob of
the model is whatever nats-server does. When the model's verdict and the real one
disagree, the first question is whether the model was even modelling this server, so
the replay lists each knob whose value differs from the server's, with the source of the
server's value, and reruns the model on the same schedule with the server's values.

Two kinds of knob differ. *Durability* knobs (when bytes are synced, what recovery
does with damage, when the log is compacted) change what survives: the rerun takes the
server's values for all of them. *Timing* knobs (election timeouts, heartbeats) are
compressed in every preset so that a two-second run sees elections; a real replay steers
elections to the model's outcome instead (``harness.steering``), so the rerun keeps them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ackcheck.errors import ConfigError
from ackcheck.harness.config import sync_interval
from ackcheck.history import History
from ackcheck.model import RaftConfig
from ackcheck.schedule import Schedule

MiB = 1024 * 1024
TIMING = ("election_timeout_min", "election_timeout_max", "heartbeat")
SYNCED_ANYWAY = ("follower_ack", "leader_ack")


@attrs.frozen
class ServerValue:
    """What nats-server does for one knob, and where that is in its source (v2.12.1)."""

    value: Any
    source: str


def _version(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in version.split(".")[:3])
    except ValueError:
        return (0, 0, 0)


def server_values(version: str, fsync: str) -> dict[str, ServerValue]:
    """nats-server ``version``'s value of every model knob, the sync setting being
    ``fsync`` (the model's word for the ``sync_interval`` the replay configures)."""
    snapshot = ("fail-stop", "PRs #7566, #7580 (v2.14.0)") if _version(version) >= (2, 14, 0) \
        else ("delete", "raft.go:1426 (#7556)")
    sv = ServerValue
    return {
        "replicas": sv(None, "the harness makes the stream R = cluster size"),
        "election_timeout_min": sv(4_000_000, "raft.go:259 (4s)"),
        "election_timeout_max": sv(9_000_000, "raft.go:260 (9s)"),
        "heartbeat": sv(1_000_000, "raft.go:263 (1s)"),
        "fsync": sv(fsync, "sync_interval, set from the trace"),
        # with sync always every WAL write is synced before anything follows it, in
        # the server and in the model alike, so these two then mean the same either way
        "follower_ack": sv("after-write", "raft.go:3798-3885 (storeToWAL, then the reply)"),
        "leader_ack": sv("quorum", "raft.go:3798-3885 (the leader's own copy is only "
                         "written)"),
        "vote_persist": sv("fsync", "raft.go:4236-4242 (tav.idx, writeFileWithSync)"),
        "commit_rule": sv("safe", "Raft's rule (a leader commits entries of its own term)"),
        "empty_votes": sv("ignore", "raft.go:3276-3322"),
        "checksums": sv(True, "filestore.go:6272-6370 (HighwayHash per record)"),
        "on_bad_record": sv("truncate", "filestore.go:1421-1640 (#7549)"),
        "on_bad_snapshot": sv(*snapshot),
        "block_size": sv(4 * MiB, "filestore.go:354, jetstream_cluster.go:2287"),
        "snapshot_interval": sv(65_536, "jetstream_cluster.go:2482,2711"),
        "compact_interval": sv(120_000_000, "jetstream_cluster.go:2480 (2m)"),
        "compact_jitter": sv(60_000_000, "jetstream_cluster.go:2486 (up to 1m)"),
        "compact_bytes": sv(8 * MiB, "jetstream_cluster.go:2481,2711"),
    }


@attrs.frozen
class Mismatch:
    knob: str
    model: Any
    server: Any
    source: str
    timing: bool

    def line(self) -> str:
        kind = "timing, steered" if self.timing else "durability"
        return (f"{self.knob}: model {_show(self.knob, self.model)}, server "
                f"{_show(self.knob, self.server)} ({self.source}; {kind})")


def _show(knob: str, value: Any) -> str:
    if knob in (*TIMING, "compact_interval", "compact_jitter") and isinstance(value, int):
        from ackcheck.model.config import format_duration

        return format_duration(value) if value else "0"
    return str(value)


def _model_config(config: Mapping[str, Any]) -> RaftConfig | None:
    try:
        return RaftConfig.from_dict(dict(config))
    except (ConfigError, TypeError):  # a user's own node config: nothing to compare
        return None


def mismatches(config: Mapping[str, Any], version: str) -> list[Mismatch]:
    """Every knob of ``config`` (the built-in model's config as a dict) whose value the
    server cannot match; empty for another node's config (nothing to compare)."""
    model = _model_config(config)
    if model is None:
        return []
    full = attrs.asdict(model)
    # what the harness configures for the fsync knob (never -> a day: harness.config)
    fsync = RaftConfig(fsync=sync_interval(full) or "2m").fsync
    found = []
    for knob, server in server_values(version, fsync).items():
        if fsync == "always" and knob in SYNCED_ANYWAY:
            continue  # every write synced at once: after-write means after-fsync
        if full[knob] != server.value:
            found.append(Mismatch(knob, full[knob], server.value, server.source,
                                  knob in TIMING))
    return found


def server_config(config: Mapping[str, Any], version: str) -> RaftConfig | None:
    """``config`` with every durability knob the server cannot match set to the
    server's value (timing knobs kept); None for another node's config."""
    model = _model_config(config)
    if model is None:
        return None
    changes = {m.knob: m.server for m in mismatches(config, version) if not m.timing}
    return attrs.evolve(model, **changes) if changes else model


def model_with_server_values(schedule: Schedule, config: Mapping[str, Any], version: str,
                             properties: list[str]) -> tuple[History, list[Any]] | None:
    """Rerun the model on ``schedule`` with the server's durability values; the history
    and its violations of ``properties``, or None when there is nothing to rerun."""
    server = server_config(config, version)
    if server is None:
        return None
    from ackcheck.model import make_node
    from ackcheck.properties import check
    from ackcheck.sim import simulate

    history = simulate(schedule, make_node, server, record_events=False).history
    return history, check(history, properties)
