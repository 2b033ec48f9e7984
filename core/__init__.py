"""ackcheck: a property-based model checker for replication logic.

Does an acknowledged write survive crashes, power failures, pauses, partitions and
corrupted disks? ackcheck simulates a replicated log deterministically, generates fault
schedules with Hypothesis, checks durability and safety properties on every run, shrinks
a failure to the smallest schedule that still fails, and replays it on a real cluster.

The public API is the names in ``__all__``, imported lazily so that ``import ackcheck``
(done by the pytest plugin in every test session) stays cheap; the subpackages
``ackcheck.sim``, ``.model``, ``.properties``, ``.traces`` and ``.harness`` publish their
own ``__all__``, and the vocabulary lives in ``ackcheck.schedule``, ``ackcheck.node``,
``ackcheck.history`` and ``ackcheck.errors``. ``ackcheck.app`` is internal. See
docs/contracts.md.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    # searching and asserting
    "explore": "ackcheck.app._explore",
    "ExploreResult": "ackcheck.app._explore",
    "Counterexample": "ackcheck.app._explore",
    "SearchOptions": "ackcheck.app._options",
    "ExploreStats": "ackcheck.app._search",
    "run_once": "ackcheck.app._runner",
    "RunOutcome": "ackcheck.app._runner",
    "assert_holds": "ackcheck.app._assertions",
    "CounterexampleError": "ackcheck.app._assertions",
    # generating schedules in your own Hypothesis tests
    "fault_schedules": "ackcheck.app._strategies",
    "fault_groups": "ackcheck.app._strategies",
    "workloads": "ackcheck.app._strategies",
    # the catalogue of known bugs and the standard example the figures refer to
    "KNOWN_BUGS": "ackcheck.app._known",
    "KnownBug": "ackcheck.app._known",
    "standard_example": "ackcheck.app._known",
    # the vocabulary most users need (the rest: ackcheck.schedule, .node, .history)
    "Schedule": "ackcheck.schedule",
    "TimedFault": "ackcheck.schedule",
    "Workload": "ackcheck.schedule",
    "NetworkSpec": "ackcheck.schedule",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ackcheck' has no attribute {name!r}")
