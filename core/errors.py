"""Errors a user can cause, as opposed to bugs in ackcheck.

Every command catches :class:`AckcheckError`, prints its message as one line on stderr
and exits 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "AckcheckError",
    "ConfigError",
    "HarnessError",
    "TraceError",
]


class AckcheckError(Exception):
    """Bad input or a missing piece of the environment."""


class ConfigError(AckcheckError, ValueError):
    """An invalid configuration, schedule or workload, caught at construction."""


class TraceError(AckcheckError):
    """A trace file that cannot be read: not JSON, wrong schema, newer major version."""


class HarnessError(AckcheckError):
    """The real-cluster harness cannot run: no nats-server, no FUSE, a port in use."""
