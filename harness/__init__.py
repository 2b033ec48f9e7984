"""Replay schedules against a real nats-server JetStream cluster.

Public entry points (imported lazily, so ``ackcheck`` commands that never touch a real
cluster don't pay for nats-py or mfusepy):

* ``replay_on_nats(trace, version, overrides, repeat, keep) -> RealReplayReport``
* ``NatsCluster`` (a started cluster as a context manager), ``RunOptions``,
  ``run_on_cluster(cluster, schedule, options) -> History``
* ``ackcheck.harness.install.install(version) -> Path``, ``cached_versions()``
* ``LazyMount`` (the lose-unsynced-writes FUSE file system)

See docs/real-cluster.md.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "replay_on_nats": "ackcheck.harness.replay",
    "RealReplayReport": "ackcheck.harness.replay",
    "RealRun": "ackcheck.harness.replay",
    "NatsCluster": "ackcheck.harness.cluster",
    "RunOptions": "ackcheck.harness.driver",
    "run_on_cluster": "ackcheck.harness.driver",
    "cached_versions": "ackcheck.harness.install",
    "LazyMount": "ackcheck.harness.lazyfs",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ackcheck.harness' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
