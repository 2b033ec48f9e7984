"""Seed derivation: one run seed, many independent random streams.

Each purpose (a node, a link) gets its own ``random.Random`` seeded from
``sha256(f"{seed}/{label}")``, so adding a node, a link or a fault never reshuffles the
draws of unrelated streams, and nothing depends on ``hash()`` or ``PYTHONHASHSEED``.
"""

from __future__ import annotations

import hashlib
import random


def derive_seed(seed: int, label: str) -> int:
    """A stable 64-bit seed for ``label`` under the run ``seed``."""
    digest = hashlib.sha256(f"{seed}/{label}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class RngStreams:
    """Lazily created, cached random streams, one per label (``"node/3"``,
    ``"link/n1->n2"``, ``"link/c0->n0"``). The same label always returns the same object,
    so a restarted node continues its stream rather than replaying it."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._streams: dict[str, random.Random] = {}

    def get(self, label: str) -> random.Random:
        rng = self._streams.get(label)
        if rng is None:
            rng = random.Random(derive_seed(self.seed, label))
            self._streams[label] = rng
        return rng
