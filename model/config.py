"""The durability knobs of the replicated log, validated once.

Every knob is a plain str/int/bool/None field, so ``attrs.asdict(c)`` and
``RaftConfig(**d)`` round-trip and a trace file can carry the exact config. Values a user
types on the command line (``--set fsync=2m``) are parsed by :func:`parse_knob`; the
constructor itself converts durations, so ``RaftConfig(fsync="120s")`` stores ``"2m"``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import attrs

from ackcheck.errors import ConfigError
from ackcheck.knobs import parse_bool, split_override

FSYNC_WORDS = ("always", "never")
FOLLOWER_ACKS = ("after-write", "after-fsync")
LEADER_ACKS = ("quorum", "quorum-and-local-fsync")
VOTE_PERSISTS = ("fsync", "write", "none")
COMMIT_RULES = ("safe", "unsafe")
EMPTY_VOTES = ("count", "ignore")
TORN_TAILS = ("checked", "naive")
BAD_RECORD_ACTIONS = ("truncate", "fail-stop", "repair")
BAD_SNAPSHOT_ACTIONS = ("delete", "fail-stop", "repair")

# Largest unit first: the canonical form of a duration uses the largest exact unit.
_UNITS: tuple[tuple[str, int], ...] = (
    ("h", 3_600_000_000),
    ("m", 60_000_000),
    ("s", 1_000_000),
    ("ms", 1_000),
    ("us", 1),
)
_UNIT_US = dict(_UNITS)
_DURATION = re.compile(r"^\s*(\d+)\s*(h|m|s|ms|us|µs)?\s*$")

KNOBS: dict[str, str] = {
    "replicas": "stream replicas: nodes 0..R-1 vote, the rest only learn the log "
    "(None = every node)",
    "election_timeout_min": "lower bound of the randomized election timeout (duration, µs)",
    "election_timeout_max": "upper bound of the randomized election timeout (duration, µs)",
    "heartbeat": "leader heartbeat / retransmit interval (duration, µs)",
    "fsync": "background log fsync: always | never | an interval like 2m, 10s, 500ms "
    "(first sync at a random time in [interval/2, interval], as NATS does: "
    "server/filestore.go:9805-9815 at v2.12.1)",
    "follower_ack": "when a follower replies success to an append: after-write | after-fsync",
    "leader_ack": "when the leader acks a client: quorum (own copy only written) | "
    "quorum-and-local-fsync",
    "vote_persist": "term and vote file: fsync (tmp+fsync+rename) | write (tmp+rename, no "
    "fsync) | none (memory only)",
    "commit_rule": "safe (count replicas only for current-term entries) | unsafe (also "
    "earlier-term entries, Raft paper Fig. 8)",
    "empty_votes": "count | ignore (a voter with an empty log does not count toward a "
    "majority, as in NATS: server/raft.go:3276-3322 at v2.12.1)",
    "checksums": "write and verify a crc32 per log record and per record header "
    "(true | false)",
    "torn_tail": "which damaged record at the end of the last log block recovery drops as "
    "a torn (never synced) write: checked (a header cut short, or a payload cut short "
    "behind a header whose checksum holds) | naive (also any record whose length runs "
    "past the end: a flipped length field passes for a tear)",
    "on_bad_record": "damaged log record at recovery: truncate (NATS 2.12.1) | fail-stop | "
    "repair (protocol-aware recovery)",
    "on_bad_snapshot": "damaged snapshot at recovery: delete (NATS 2.12.1, resets the log) | "
    "fail-stop | repair",
    "block_size": "bytes per log block file before rolling to a new one",
    "snapshot_interval": "take a snapshot every N applied entries (0 = never)",
    "compact_interval": "also snapshot (and compact the log) on a ticker of this period, "
    "if anything was applied since the last snapshot (duration; 0 = never; NATS: 2m, "
    "server/jetstream_cluster.go:2480-2487 at v2.12.1)",
    "compact_jitter": "each process adds a random 0..this to its compaction period, drawn "
    "once at start (duration; NATS: 1m, server/jetstream_cluster.go:2486)",
    "compact_bytes": "also snapshot once the log holds more than this many bytes past the "
    "last snapshot (0 = never; NATS: 8 MiB, server/jetstream_cluster.go:2481,2711)",
}


def _duration_us(knob: str, value: object) -> int:
    """An int (µs) or a string with an optional unit -> µs; ConfigError otherwise."""
    if isinstance(value, bool):
        raise ConfigError(f"{knob}: expected a duration like 50ms, 2s or 2m, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ConfigError(f"{knob}: a duration must be >= 0, got {value}")
        return value
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            unit = m.group(2) or "us"
            return int(m.group(1)) * _UNIT_US["us" if unit == "µs" else unit]
    raise ConfigError(f"{knob}: expected a duration like 50ms, 2s or 2m, got {value!r}")


def format_duration(us: int) -> str:
    """``120_000_000`` -> ``"2m"``: the largest unit that divides exactly."""
    for unit, size in _UNITS:
        if us % size == 0 and us >= size:
            return f"{us // size}{unit}"
    return f"{us}us"


def _canonical_fsync(value: object) -> str:
    if isinstance(value, str) and value.strip().lower() in FSYNC_WORDS:
        return value.strip().lower()
    try:
        us = _duration_us("fsync", value)
    except ConfigError:
        raise ConfigError(
            f"fsync: expected always, never or an interval like 2m, 120s, 500ms; got {value!r}"
        ) from None
    if us <= 0:
        raise ConfigError("fsync: an interval must be > 0 (use always or never)")
    return format_duration(us)


def _time_field(name: str, default: int) -> Any:
    return attrs.field(default=default, converter=lambda v: _duration_us(name, v))


def _choice(name: str, choices: tuple[str, ...], default: str) -> Any:
    def check(_inst: object, _attr: object, value: object) -> None:
        if value not in choices:
            raise ConfigError(f"{name}: expected one of {', '.join(choices)}; got {value!r}")

    return attrs.field(default=default, validator=check)


@attrs.frozen
class RaftConfig:
    """One node's knobs. Defaults are the textbook Raft of the ``raft`` preset, with the
    Raft paper's 150-300 ms election timeouts (Ongaro and Ousterhout, USENIX ATC 2014,
    §9.3) so failover fits a short run."""

    replicas: int | None = None
    election_timeout_min: int = _time_field("election_timeout_min", 150_000)
    election_timeout_max: int = _time_field("election_timeout_max", 300_000)
    heartbeat: int = _time_field("heartbeat", 50_000)
    fsync: str = attrs.field(default="always", converter=_canonical_fsync)
    follower_ack: str = _choice("follower_ack", FOLLOWER_ACKS, "after-fsync")
    leader_ack: str = _choice("leader_ack", LEADER_ACKS, "quorum-and-local-fsync")
    vote_persist: str = _choice("vote_persist", VOTE_PERSISTS, "fsync")
    commit_rule: str = _choice("commit_rule", COMMIT_RULES, "safe")
    empty_votes: str = _choice("empty_votes", EMPTY_VOTES, "count")
    checksums: bool = True
    torn_tail: str = _choice("torn_tail", TORN_TAILS, "checked")
    on_bad_record: str = _choice("on_bad_record", BAD_RECORD_ACTIONS, "fail-stop")
    on_bad_snapshot: str = _choice("on_bad_snapshot", BAD_SNAPSHOT_ACTIONS, "fail-stop")
    block_size: int = 4096
    snapshot_interval: int = 32
    compact_interval: int = _time_field("compact_interval", 0)
    compact_jitter: int = _time_field("compact_jitter", 0)
    compact_bytes: int = 0

    def __attrs_post_init__(self) -> None:
        if self.replicas is not None and (
            isinstance(self.replicas, bool) or not isinstance(self.replicas, int)
            or self.replicas < 1
        ):
            raise ConfigError(f"replicas: expected None or an int >= 1, got {self.replicas!r}")
        if self.election_timeout_min <= 0:
            raise ConfigError("election_timeout_min: must be > 0")
        if self.election_timeout_min > self.election_timeout_max:
            raise ConfigError(
                f"election_timeout_min ({self.election_timeout_min}us) must be <= "
                f"election_timeout_max ({self.election_timeout_max}us)"
            )
        if self.heartbeat <= 0 or self.heartbeat >= self.election_timeout_min:
            raise ConfigError(
                f"heartbeat: must be > 0 and < election_timeout_min "
                f"({self.election_timeout_min}us), got {self.heartbeat}us"
            )
        if not isinstance(self.checksums, bool):
            raise ConfigError(f"checksums: expected true or false, got {self.checksums!r}")
        for name, low in (("block_size", 64), ("snapshot_interval", 0), ("compact_bytes", 0)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise ConfigError(f"{name}: expected an int >= {low}, got {v!r}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RaftConfig:
        """``RaftConfig(**data)`` with a ConfigError (not a TypeError) for unknown keys,
        for configs read back from files."""
        unknown = [k for k in data if k not in KNOBS]
        if unknown:
            raise ConfigError(f"unknown knob {unknown[0]!r}; known: {', '.join(KNOBS)}")
        return cls(**data)

    @property
    def fsync_interval(self) -> int | None:
        """The background sync interval in µs, or None for ``always``/``never``."""
        if self.fsync in FSYNC_WORDS:
            return None
        return _duration_us("fsync", self.fsync)


_DURATION_KNOBS = (
    "election_timeout_min", "election_timeout_max", "heartbeat", "compact_interval",
    "compact_jitter",
)
_INT_KNOBS = ("block_size", "snapshot_interval", "compact_bytes")


def parse_knob(knob: str, text: str) -> Any:
    """Parse the text of ``--set knob=text`` into the knob's field type."""
    if knob not in KNOBS:
        raise ConfigError(f"unknown knob {knob!r}; known: {', '.join(KNOBS)}")
    t = text.strip()
    if knob == "replicas":
        if t.lower() in ("none", "null", "all", ""):
            return None
        if t.isdigit():
            return int(t)
        raise ConfigError(f"replicas: expected none or an int >= 1, got {text!r}")
    if knob == "checksums":
        return parse_bool(knob, t)
    if knob in _DURATION_KNOBS:
        return _duration_us(knob, t)
    if knob in _INT_KNOBS:
        if t.isdigit():
            return int(t)
        raise ConfigError(f"{knob}: expected an int, got {text!r}")
    return t  # choices and fsync: validated by the constructor


def with_overrides(config: RaftConfig, overrides: Sequence[str]) -> RaftConfig:
    """Apply ``"knob=value"`` strings, returning a new validated config."""
    changes: dict[str, Any] = {}
    for item in overrides:
        knob, text = split_override(item)
        changes[knob] = parse_knob(knob, text)
    return attrs.evolve(config, **changes) if changes else config
