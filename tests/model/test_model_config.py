"""RaftConfig validation, knob parsing, presets and resolve_config."""

from __future__ import annotations

import attrs
import pytest

from ackcheck.errors import ConfigError
from ackcheck.model import KNOBS, PRESETS, RaftConfig, make_node, resolve_config
from ackcheck.model.config import format_duration


def test_every_field_is_a_documented_knob_and_round_trips():
    names = [f.name for f in attrs.fields(RaftConfig)]
    assert names == list(KNOBS)
    for preset in PRESETS.values():
        d = attrs.asdict(preset.config)
        assert all(isinstance(v, (str, int, float, bool, type(None))) for v in d.values())
        assert RaftConfig(**d) == preset.config


@pytest.mark.parametrize(
    ("text", "canonical", "interval"),
    [("always", "always", None), ("never", "never", None), ("2m", "2m", 120_000_000),
     ("120s", "2m", 120_000_000), ("500ms", "500ms", 500_000), ("1500ms", "1500ms", 1_500_000),
     ("250000", "250ms", 250_000)],
)
def test_fsync_parses_words_and_durations_to_a_canonical_form(text, canonical, interval):
    c = resolve_config("raft", [f"fsync={text}"])
    assert c.fsync == canonical and c.fsync_interval == interval
    assert RaftConfig(fsync=120_000_000).fsync == "2m"


def test_durations_and_types_parse_per_knob():
    c = resolve_config(
        "raft",
        ["heartbeat=20ms", "election_timeout_min=100ms", "election_timeout_max=300ms",
         "checksums=off", "replicas=3", "block_size=512", "snapshot_interval=0"],
    )
    assert (c.heartbeat, c.election_timeout_min, c.election_timeout_max) == (
        20_000, 100_000, 300_000)
    assert (c.checksums, c.replicas, c.block_size, c.snapshot_interval) == (False, 3, 512, 0)
    assert resolve_config("raft", ["replicas=none"]).replicas is None
    assert format_duration(90_000_000) == "90s"


@pytest.mark.parametrize(
    ("override", "needle"),
    [("fsync=sometimes", "fsync"), ("fsync=0s", "fsync"), ("follower_ack=never", "follower_ack"),
     ("leader_ack=x", "quorum-and-local-fsync"), ("vote_persist=disk", "vote_persist"),
     ("commit_rule=yolo", "commit_rule"), ("empty_votes=drop", "empty_votes"),
     ("checksums=maybe", "checksums"), ("on_bad_record=ignore", "on_bad_record"),
     ("on_bad_snapshot=truncate", "on_bad_snapshot"), ("block_size=10", "block_size"),
     ("snapshot_interval=-1", "snapshot_interval"), ("replicas=0", "replicas"),
     ("election_timeout_min=1s", "election_timeout_min"), ("heartbeat=1s", "heartbeat"),
     ("bogus=1", "unknown knob"), ("fsync", "knob=value"), ("heartbeat=soon", "heartbeat")],
)
def test_bad_values_raise_one_line_config_errors_naming_the_knob(override, needle):
    with pytest.raises(ConfigError) as exc:
        resolve_config("raft", [override])
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(ConfigError, match=r"known: raft, nats-2\.12\.1"):
        resolve_config("etcd", [])


def test_presets_match_the_reference():
    nats = PRESETS["nats-2.12.1"].config
    assert (nats.fsync, nats.follower_ack, nats.leader_ack, nats.vote_persist) == (
        "2m", "after-write", "quorum", "fsync")
    assert (nats.empty_votes, nats.on_bad_record, nats.on_bad_snapshot) == (
        "ignore", "truncate", "delete")
    assert PRESETS["nats-2.12.1-sync-always"].config == attrs.evolve(nats, fsync="always")
    assert PRESETS["nats-2.14"].config.on_bad_snapshot == "fail-stop"
    raft = PRESETS["raft"].config
    assert (raft.fsync, raft.follower_ack, raft.leader_ack, raft.on_bad_record) == (
        "always", "after-fsync", "quorum-and-local-fsync", "fail-stop")
    par = PRESETS["par"].config
    assert (par.on_bad_record, par.on_bad_snapshot, par.fsync) == ("repair", "repair", "always")
    assert PRESETS["raft-unpersisted-vote"].config.vote_persist == "none"
    assert PRESETS["raft-unsafe-commit"].config.commit_rule == "unsafe"
    known = {name: p.known_violation for name, p in PRESETS.items()}
    assert known["raft"] is None and known["par"] is None
    assert known["nats-2.12.1"] == "ack-implies-durable"
    assert known["raft-unpersisted-vote"] == "election-safety"
    assert known["raft-unsafe-commit"] == "state-machine-safety"


def test_known_violations_name_registered_properties():
    from ackcheck.properties import REGISTRY

    for p in PRESETS.values():
        assert p.known_violation is None or p.known_violation in REGISTRY


def test_make_node_rejects_foreign_configs_and_too_many_replicas():
    import random

    with pytest.raises(ConfigError, match="RaftConfig"):
        make_node(0, 3, {"fsync": "always"}, random.Random(0))
    with pytest.raises(ConfigError, match="replicas"):
        make_node(0, 3, RaftConfig(replicas=5), random.Random(0))


def test_from_dict_round_trips_and_names_unknown_knobs():
    c = PRESETS["nats-2.12.1"].config
    assert RaftConfig.from_dict(attrs.asdict(c)) == c
    with pytest.raises(ConfigError, match="unknown knob 'sync_always'"):
        RaftConfig.from_dict({"sync_always": True})
