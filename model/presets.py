"""Named configurations: textbook Raft, NATS JetStream as released, and teaching variants.

Each NATS value cites its public source: a nats-server issue or pull request, or a file
and line at a release tag. ``known_violation`` names the property
(``ackcheck.properties``) a preset is expected to break under faults; None means it
should hold within its :class:`FaultModel`, the faults it claims to survive (``explore``
searches inside it unless told otherwise; ``bench/soak.py`` measures the claim).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from ackcheck.errors import ConfigError
from ackcheck.model.config import RaftConfig, with_overrides
from ackcheck.schedule import FAULT_KINDS, FAULT_TYPES, FILE_TARGETS

#: What storage damage a fault model allows: on any nodes, or on a minority of the
#: nodes fixed for the run (as Jepsen's file-corruption nemesis picks its nodes once).
DAMAGE_BOUNDS = ("any", "minority")

#: Every fault kind a real disk, network and operator can cause (the opt-in kinds, such
#: as misdirected writes, are claimed by no preset).
EVERY_KIND: tuple[str, ...] = tuple(t.kind for t in FAULT_TYPES if not t.opt_in)


def _kinds(value: Sequence[str]) -> tuple[str, ...]:
    unknown = [k for k in value if k not in FAULT_KINDS]
    if unknown:
        raise ConfigError(f"unknown fault kind {unknown[0]!r}; known: {', '.join(FAULT_KINDS)}")
    return tuple(k for k in FAULT_KINDS if k in value)


def _targets(value: Sequence[str]) -> tuple[str, ...]:
    unknown = [t for t in value if t not in FILE_TARGETS]
    if unknown or not value:
        raise ConfigError(f"unknown file target {unknown[0] if unknown else ''!r}; "
                          f"known: {', '.join(FILE_TARGETS)}")
    return tuple(t for t in FILE_TARGETS if t in value)


def _damage(_inst: object, _attr: object, value: object) -> None:
    if value not in DAMAGE_BOUNDS:
        raise ConfigError(f"damage: expected one of {', '.join(DAMAGE_BOUNDS)}; got {value!r}")


@attrs.frozen
class FaultModel:
    """The faults a preset claims to survive: fault ``kinds`` (names from
    ``ackcheck.schedule``), which nodes storage ``damage`` (the faults that name a file:
    bit flips, latent sector errors) may hit, ``any`` or ``minority``, and which files
    (``targets``: log, snapshot, vote)."""

    kinds: tuple[str, ...] = attrs.field(default=EVERY_KIND, converter=_kinds)
    damage: str = attrs.field(default="any", validator=_damage)
    targets: tuple[str, ...] = attrs.field(default=FILE_TARGETS, converter=_targets)

    def describe(self) -> str:
        where = "any nodes" if self.damage == "any" else "a minority of nodes, fixed per run"
        files = "" if self.targets == FILE_TARGETS else f" (to {', '.join(self.targets)} files)"
        return f"{kinds_text(self.kinds)}; storage damage{files} on {where}"


def kinds_text(kinds: Sequence[str]) -> str:
    """``every default kind`` for :data:`EVERY_KIND`, else the kinds by name."""
    return "every default kind" if tuple(kinds) == EVERY_KIND else ", ".join(kinds)


@attrs.frozen
class Preset:
    name: str
    description: str
    config: RaftConfig
    known_violation: str | None = None
    fault_model: FaultModel = FaultModel()


_RAFT = RaftConfig(
    fsync="always",
    follower_ack="after-fsync",
    leader_ack="quorum-and-local-fsync",
    vote_persist="fsync",
    commit_rule="safe",
    empty_votes="count",
    checksums=True,
    torn_tail="checked",
    on_bad_record="fail-stop",
    on_bad_snapshot="fail-stop",
)

# NATS 2.12.1, every knob audited against nats-io/nats-server at tag v2.12.1 (files under
# server/; the same values hold at v2.14.5 and on main, 2.15.0-dev):
# * fsync="2m": ``sync_interval`` defaults to 2 minutes (filestore.go:323), the first sync
#   of each file store at random in [interval/2, interval] (filestore.go:9809-9812); the
#   stream's Raft WAL, its message blocks and the meta group's WAL each have such a store
#   and timer with that setting (jetstream_cluster.go:871, 2283-2287; stream.go:890).
#   Acked writes lost to it: #7564.
# * follower_ack="after-write": a follower stores an append to its WAL with write() and
#   answers; the WAL is fsynced only by the timer (raft.go:3798-3885, storeToWAL :3976).
# * leader_ack="quorum": the leader acks on a quorum of stored copies, its own unsynced.
# * vote_persist="fsync": term and vote (tav.idx) are written with writeFileWithSync, i.e.
#   O_SYNC + rename (raft.go:4236-4242, filestore.go:11793-11801), before a vote is granted
#   (raft.go:4389-4440); snapshots the same way (raft.go:1297).
# * empty_votes="ignore": a vote from a peer with an empty log does not count unless every
#   peer answered (raft.go:3276-3322, the flag at :4399).
# * checksums, on_bad_record="truncate": every record ends in a HighwayHash; a bad one
#   truncates the block there at rebuild (filestore.go:1421-1640, #7549).
# * on_bad_snapshot="delete": a snapshot that fails its hash is deleted and the WAL reset
#   (raft.go:1426, #7556; v2.14.0 refuses to start instead, PRs #7566, #7580).
# * block_size=4 MiB: a stream's Raft WAL uses defaultMediumBlockSize (filestore.go:354,
#   jetstream_cluster.go:2287).
# * compaction: a ticker of 2m plus a random 0-1m drawn once per stream monitor, skipped
#   when nothing changed, and at once past 65,536 entries or 8 MiB (monitorStream,
#   jetstream_cluster.go:2480-2487, 2527, 2711). Snapshots every 32 entries, as the
#   textbook presets take, made a two-second run hold fsynced snapshots NATS never writes.
# Not matched, on purpose or for want of a model (a real replay lists what differs):
# * election timeouts 4-9 s and heartbeats every 1 s (raft.go:259-263): the model keeps
#   the Raft paper's 150-300 ms and 50 ms so that a two-second run sees elections; the
#   real replay steers elections to the model's outcome instead of waiting for them.
# * a new leader snapshots at once if it never has (NeedSnapshot, raft.go:1324-1328, called
#   at jetstream_cluster.go:2720-2721); NATS' snapshot holds the stream's state, not its
#   messages, which live in the stream's own store.
# * the meta group (stream assignments; its WAL synced like the others): a coordinated
#   power failure can lose the stream's assignment and the stream with it (the real replay
#   reports "no server has the stream any more"; #7556 shows the orphan cleanup).
# * the stream's own message store, a second copy beside the WAL, flushed from a user-space
#   buffer (AsyncFlush for R>1 without sync always since 2.12, PR #7163: stream.go:890,
#   filestore.go:708-722). The WAL itself is written through (AsyncFlush false,
#   jetstream_cluster.go:2287) and re-applied past the last snapshot at restart, and
#   flushAllPending runs before every snapshot (jetstream_cluster.go:2532; PR #7163: "safe
#   ... as it's backed by a replicated log that is flushed"), so what a process crash
#   takes from that buffer the WAL gives back; the model keeps one log. (PR #7594, in
#   v2.12.3, fixed a sync timer dropping that buffer after a long pause.)
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
    block_size=4 * 1024 * 1024,
    snapshot_interval=65_536,
    compact_interval=120_000_000,  # 2m
    compact_jitter=60_000_000,  # 1m
    compact_bytes=8 * 1024 * 1024,
)

# Fail-stop halts a damaged node for good, which Raft survives on any number of nodes
# (a halted node is a crashed one); repair brings it back, which is safe only while the
# intact copies outvote the damaged ones. NATS states no storage fault model: its presets
# claim every kind, and their known violations show which they do not survive.
_FAIL_STOP_MODEL = FaultModel(EVERY_KIND, "any")
_REPAIR_MODEL = FaultModel(EVERY_KIND, "minority")
# A teaching preset claims the faults its lesson needs, so that a default search goes
# straight to it: process crashes, and bit flips in log blocks on a minority.
_TORN_TAIL_LESSON = FaultModel(("crash", "bit-flip"), "minority", ("log",))

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "raft",
            "Textbook Raft: fsync every write before any ack, vote synced, safe commit, "
            "checksums over every record and its header, fail-stop on any damaged "
            "record or snapshot.",
            _RAFT,
            None,
            _FAIL_STOP_MODEL,
        ),
        Preset(
            "nats-2.12.1",
            "NATS JetStream 2.12.1 defaults: 2-minute sync interval, acks before fsync, "
            "empty votes ignored, truncate at a bad record, delete a bad snapshot "
            "(nats-server #7564, #7549, #7556).",
            _NATS_2_12_1,
            "ack-implies-durable",
            _FAIL_STOP_MODEL,
        ),
        Preset(
            "nats-2.12.1-sync-always",
            "NATS 2.12.1 with sync_interval: always; still truncates at a bad record, "
            "so corruption loses acked writes (nats-server #7549).",
            attrs.evolve(_NATS_2_12_1, fsync="always"),
            "ack-implies-durable",
            _FAIL_STOP_MODEL,
        ),
        Preset(
            "nats-2.14",
            "NATS 2.14.0: like 2.12.1, but a bad snapshot makes the node refuse to start "
            "instead of deleting it and resetting the WAL (PRs #7566, #7580 for #7556).",
            attrs.evolve(_NATS_2_12_1, on_bad_snapshot="fail-stop"),
            "ack-implies-durable",
            _FAIL_STOP_MODEL,
        ),
        Preset(
            "par",
            "Protocol-aware recovery (Alagappan et al., FAST 2018): raft, but a node with "
            "a damaged log, snapshot or vote file keeps the good prefix and stays out of "
            "elections until the others have shown it what it lost: a leader's committed "
            "log for the entries, every voter's term for the vote.",
            attrs.evolve(_RAFT, on_bad_record="repair", on_bad_snapshot="repair"),
            None,
            _REPAIR_MODEL,
        ),
        Preset(
            "raft-unpersisted-vote",
            "Teaching: textbook Raft that keeps its vote only in memory; a restarted node "
            "can vote twice in one term, electing two leaders.",
            attrs.evolve(_RAFT, vote_persist="none"),
            "election-safety",
            _FAIL_STOP_MODEL,
        ),
        Preset(
            "raft-unsafe-commit",
            "Teaching: the leader commits earlier-term entries by replica count (Raft "
            "paper Fig. 8); a committed entry can be overwritten.",
            attrs.evolve(_RAFT, commit_rule="unsafe"),
            "state-machine-safety",
            _FAIL_STOP_MODEL,
        ),
        Preset(
            "raft-torn-tail",
            "Teaching: textbook Raft for a three-replica stream, 4 MiB log blocks as NATS' "
            "WAL, whose recovery takes any record that runs past the end of the last log "
            "block for a torn write and drops it; one bit flip in a length field passes "
            "for a tear, and fsynced, acked entries go with it.",
            # 4 MiB blocks: a stream's Raft WAL in NATS uses defaultMediumBlockSize
            # (server/jetstream_cluster.go:2287, server/filestore.go:354 at v2.12.1).
            attrs.evolve(_RAFT, torn_tail="naive", replicas=3, block_size=4 << 20),
            "ack-implies-durable",
            _TORN_TAIL_LESSON,
        ),
    )
}


def resolve_config(preset: str, overrides: Sequence[str] = ()) -> RaftConfig:
    """The preset's config with ``"knob=value"`` overrides applied and validated."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
    return with_overrides(PRESETS[preset].config, tuple(overrides))
