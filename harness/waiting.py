"""Bounded polling, the one way the harness waits for a real cluster's state."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

POLL_S = 0.05


async def wait_until(predicate: Callable[[], object], timeout: float,
                     poll_s: float = POLL_S) -> bool:
    """Poll ``predicate`` (in a worker thread: it may do HTTP) until it is true or
    ``timeout`` seconds pass; True if it came true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(predicate):
            return True
        await asyncio.sleep(poll_s)
    return False
