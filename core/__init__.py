"""ackcheck: a property-based model checker for replication logic.

Does an acknowledged write survive crashes, power failures, pauses, partitions and
corrupted disks? ackcheck simulates a replicated log deterministically, generates fault
schedules with Hypothesis, checks durability and safety properties on every run, shrinks
a failure to the smallest schedule that still fails, and replays it on a real cluster.

The public API is imported lazily so that ``import ackcheck`` (done by the pytest plugin
in every test session) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "explore": "ackcheck.app._explore",
    "ExploreResult": "ackcheck.app._explore",
    "run_once": "ackcheck.app._runner",
    "RunOutcome": "ackcheck.app._runner",
    "assert_holds": "ackcheck.app._assertions",
    "CounterexampleError": "ackcheck.app._assertions",
    "fault_schedules": "ackcheck.app._strategies",
    "workloads": "ackcheck.app._strategies",
    "Schedule": "ackcheck.schedule",
    "Workload": "ackcheck.schedule",
    "NetworkSpec": "ackcheck.schedule",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ackcheck' has no attribute {name!r}")
