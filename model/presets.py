"""Named configurations: textbook Raft, NATS JetStream as released, and teaching variants.

Each NATS value cites its public source: a nats-server issue or pull request, or a file
and line at a release tag. ``known_violation`` names the property
(``ackcheck.properties``) a preset is expected to break under faults; None means it
should hold within its fault model.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from ackcheck.errors import ConfigError
from ackcheck.model.config import RaftConfig, with_overrides


@attrs.frozen
class Preset:
    name: str
    description: str
    config: RaftConfig
    known_violation: str | None = None


_RAFT = RaftConfig(
    fsync="always",
    follower_ack="after-fsync",
    leader_ack="quorum-and-local-fsync",
    vote_persist="fsync",
    commit_rule="safe",
    empty_votes="count",
    checksums=True,
    on_bad_record="fail-stop",
    on_bad_snapshot="fail-stop",
)

# NATS 2.12.1 (nats-io/nats-server, files under server/ at tag v2.12.1): sync_interval
# defaults to 2m (filestore.go:323; acked writes lost to it: #7564); a follower replies
# after write() and the WAL is fsynced by the timer (raft.go:3798-3885), so the leader's
# quorum ack precedes any fsync (#7564); tav.idx is written and synced before a vote is
# granted (raft.go:4389-4440); empty-log votes do not count (raft.go:3276-3322); a bad
# record truncates the block (filestore.go:1421-1640, #7549); a bad snapshot is deleted
# and the WAL reset (raft.go:1426, #7556).
_NATS_2_12_1 = RaftConfig(
    fsync="2m",
    follower_ack="after-write",
    leader_ack="quorum",
    vote_persist="fsync",
    commit_rule="safe",
    empty_votes="ignore",
    checksums=True,
    on_bad_record="truncate",
    on_bad_snapshot="delete",
)

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "raft",
            "Textbook Raft: fsync every write before any ack, vote synced, safe commit, "
            "checksums, fail-stop on any damaged record or snapshot.",
            _RAFT,
            None,
        ),
        Preset(
            "nats-2.12.1",
            "NATS JetStream 2.12.1 defaults: 2-minute sync interval, acks before fsync, "
            "empty votes ignored, truncate at a bad record, delete a bad snapshot "
            "(nats-server #7564, #7549, #7556).",
            _NATS_2_12_1,
            "ack-implies-durable",
        ),
        Preset(
            "nats-2.12.1-sync-always",
            "NATS 2.12.1 with sync_interval: always; still truncates at a bad record, "
            "so corruption on a minority loses acked writes (nats-server #7549).",
            attrs.evolve(_NATS_2_12_1, fsync="always"),
            "ack-implies-durable",
        ),
        Preset(
            "nats-2.14",
            "NATS 2.14.0: like 2.12.1, but a bad snapshot makes the node refuse to start "
            "instead of deleting it and resetting the WAL (PRs #7566, #7580 for #7556).",
            attrs.evolve(_NATS_2_12_1, on_bad_snapshot="fail-stop"),
            "ack-implies-durable",
        ),
        Preset(
            "par",
            "Protocol-aware recovery (PAR, FAST'18): fsync always, and a node with a "
            "damaged log or snapshot keeps the good prefix but neither votes nor leads "
            "until it has re-fetched the damaged suffix. Safe while a minority is damaged.",
            attrs.evolve(_RAFT, on_bad_record="repair", on_bad_snapshot="repair"),
            None,
        ),
        Preset(
            "raft-unpersisted-vote",
            "Teaching: textbook Raft that keeps its vote only in memory; a restarted node "
            "can vote twice in one term, electing two leaders.",
            attrs.evolve(_RAFT, vote_persist="none"),
            "election-safety",
        ),
        Preset(
            "raft-unsafe-commit",
            "Teaching: the leader commits earlier-term entries by replica count (Raft "
            "paper Fig. 8); a committed entry can be overwritten.",
            attrs.evolve(_RAFT, commit_rule="unsafe"),
            "state-machine-safety",
        ),
    )
}


def resolve_config(preset: str, overrides: Sequence[str] = ()) -> RaftConfig:
    """The preset's config with ``"knob=value"`` overrides applied and validated."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
    return with_overrides(PRESETS[preset].config, tuple(overrides))
