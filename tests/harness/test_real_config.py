"""The nats-server config we generate from the node config (no server started)."""

from __future__ import annotations

import attrs
import pytest

from ackcheck.errors import ConfigError
from ackcheck.harness.config import NEVER, NodePorts, render_config, sync_interval
from ackcheck.model import PRESETS


@pytest.mark.parametrize(
    ("fsync", "expected"),
    [
        ("always", "always"),
        ("2m", "2m"),
        ("10s", "10s"),
        ("500ms", "500ms"),
        ("120s", "2m"),  # the model's canonical form
        (2_000_000, "2s"),  # microseconds, as a RaftConfig dict may hold them
        ("never", NEVER),
    ],
)
def test_sync_interval_is_the_models_fsync(fsync, expected):
    assert sync_interval({"fsync": fsync}) == expected


def test_every_preset_maps_and_a_config_without_fsync_keeps_the_nats_default():
    for name, preset in PRESETS.items():
        assert sync_interval(attrs.asdict(preset.config)) == (
            NEVER if preset.config.fsync == "never" else preset.config.fsync
        ), name
    assert sync_interval(attrs.asdict(PRESETS["nats-2.12.1"].config)) == "2m"
    assert sync_interval({"batch": 3}) is None  # a user's node without the knob


@pytest.mark.parametrize("bad", ["sometimes", "2 minutes", "default", True, 0])
def test_an_fsync_the_model_does_not_take_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="fsync"):
        sync_interval({"fsync": bad})


def test_routes_go_only_through_the_proxies():
    text = render_config(1, 3, NodePorts(4001, 4002, 4003), {0: 5001, 2: 5002}, "/s", "2m")
    assert 'server_name: "n1"' in text
    assert '"nats-route://127.0.0.1:5001"' in text and '"nats-route://127.0.0.1:5002"' in text
    assert "4002" in text.split("cluster {")[1]  # its own cluster listen port
    assert 'advertise: "127.0.0.1:1"' in text and "connect_retries: 0" in text
    assert 'sync_interval: "2m"' in text
    assert "sync_interval" not in render_config(
        1, 3, NodePorts(1, 2, 3), {0: 5, 2: 6}, "/s", None
    )
