"""The nats-server config we generate from the node config."""

from __future__ import annotations

import pytest

from ackcheck.errors import ConfigError
from ackcheck.harness.config import NodePorts, render_config, sync_interval_from


@pytest.mark.parametrize(
    ("config", "overrides", "expected"),
    [
        ({"fsync": "always"}, (), "always"),
        ({"fsync": "2m"}, (), "2m"),
        ({"fsync": "500ms"}, (), "500ms"),
        ({"fsync": "never"}, (), "24h"),
        ({}, (), None),
        ({"fsync": "2m"}, ("fsync=always",), "always"),
        ({"fsync": "always"}, ("sync_interval=default",), None),
        ({"fsync": 2_000_000}, (), "2000ms"),
    ],
)
def test_sync_interval_follows_the_fsync_knob(config, overrides, expected):
    assert sync_interval_from(config, overrides) == expected


@pytest.mark.parametrize("bad", ["sometimes", "2 minutes", True])
def test_unmappable_fsync_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="fsync"):
        sync_interval_from({"fsync": bad})


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
