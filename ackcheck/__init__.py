"""ackcheck: a property-based model checker for replication logic.

Does an acknowledged write survive crashes, power failures, pauses, partitions and
corrupted disks? ackcheck simulates a replicated log deterministically, generates fault
schedules with Hypothesis, checks durability and safety properties on every run, shrinks
a failure to the smallest schedule that still fails, and replays it on a real cluster.
"""

from __future__ import annotations

__version__ = "0.1.0"
