"""Replay schedules against a real nats-server JetStream cluster on 127.0.0.1.

The public surface is ``__all__`` (imported lazily, so ``ackcheck`` commands that never
touch a real cluster don't pay for nats-py or mfusepy)::

    replay_on_nats(trace, version, *, config=None, repeat=1, keep=False, options=None)
        -> RealReplayReport

runs ``trace.schedule`` ``repeat`` times on nats-server ``version`` (``"latest"`` too)
and judges each real history as the model's was. ``config`` is the node config dict
with overrides already applied by the model's parser (default ``trace.config``); only
its ``fsync`` knob reaches the servers, as ``sync_interval``, and the report lists the
knobs the server cannot match with the model's verdict under the server's values.
``options`` is a :class:`RunOptions`: the harness's own settings (``time_scale``,
``pipeline``, ``log_parts``, ``steer``, ``warm_sync``, wait bounds). The run follows the
model's history: its writes reach the real cluster in the same windows between faults,
a warm schedule first gets its durable prefix, and the model's elections are steered.
The report holds one :class:`RealRun` per run, each with its
``ackcheck.history.History``, :class:`Verdict`, steering steps and warm-up;
``render()`` prints them beside the model's, and ``exit_code`` is 1 when the violation
reproduced, else 0.

For one's own tests: ``NatsCluster`` (a started cluster as a context manager, stores
on ``LazyMount``, the lose-unsynced-writes FUSE file system) and
``run_on_cluster(cluster, schedule, options) -> History``; the pytest fixtures
(``nats_cluster``, ``faults``, ...) come with the ackcheck pytest plugin.
``cached_versions()`` lists the installed nats-server binaries (``ackcheck nats install
VERSION`` adds one).

Everything else in ``ackcheck.harness.*`` is internal and may change. See
docs/real-cluster.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the lazy exports, typed
    from ackcheck.harness.cluster import NatsCluster
    from ackcheck.harness.driver import RunOptions, run_on_cluster
    from ackcheck.harness.install import cached_versions
    from ackcheck.harness.lazyfs import LazyMount
    from ackcheck.harness.replay import RealReplayReport, RealRun, replay_on_nats
    from ackcheck.harness.verdict import Verdict

_EXPORTS = {
    "replay_on_nats": "ackcheck.harness.replay",
    "RealReplayReport": "ackcheck.harness.replay",
    "RealRun": "ackcheck.harness.replay",
    "Verdict": "ackcheck.harness.verdict",
    "RunOptions": "ackcheck.harness.driver",
    "run_on_cluster": "ackcheck.harness.driver",
    "NatsCluster": "ackcheck.harness.cluster",
    "LazyMount": "ackcheck.harness.lazyfs",
    "cached_versions": "ackcheck.harness.install",
}

__all__ = [
    "LazyMount",
    "NatsCluster",
    "RealReplayReport",
    "RealRun",
    "RunOptions",
    "Verdict",
    "cached_versions",
    "replay_on_nats",
    "run_on_cluster",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ackcheck.harness' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
