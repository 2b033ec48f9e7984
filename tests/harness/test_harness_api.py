"""The harness's public surface and its typed options (no real cluster needed)."""

from __future__ import annotations

import inspect

import pytest

import ackcheck.harness as harness
from ackcheck.errors import ConfigError
from ackcheck.harness import RunOptions


def test_all_is_the_lazy_exports_and_each_resolves():
    assert sorted(harness.__all__) == sorted(harness._EXPORTS)
    for name in harness.__all__:
        assert getattr(harness, name).__name__ == name


def test_replay_on_nats_takes_the_config_and_options_by_keyword():
    params = inspect.signature(harness.replay_on_nats).parameters
    assert list(params) == ["trace", "version", "config", "repeat", "keep", "options",
                            "on_run"]
    assert all(params[p].kind is inspect.Parameter.KEYWORD_ONLY for p in list(params)[2:])


@pytest.mark.parametrize(
    "bad",
    [{"time_scale": 0}, {"time_scale": -1.0}, {"pipeline": 0}, {"log_parts": ()},
     {"log_parts": ("blocks",)}, {"log_parts": "wal"}, {"warm_sync": "disk"},
     {"steer_wait_s": 0}],
)
def test_run_options_reject_what_the_harness_cannot_do(bad):
    with pytest.raises(ConfigError):
        RunOptions(**bad)
