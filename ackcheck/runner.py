"""Run one schedule end to end: simulate, then judge the history.

The explorer, ``replay`` and users' tests all go through :func:`run_once`, so a
counterexample found by search and the same schedule replayed later are judged by
exactly the same code.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import attrs

from ackcheck.errors import ConfigError
from ackcheck.history import History
from ackcheck.node import NodeFactory
from ackcheck.schedule import Schedule

BUILTIN_NODE = "raft"


@attrs.frozen
class RunOutcome:
    history: History
    digest: str
    violations: tuple[Any, ...]  # ackcheck.properties.Violation

    @property
    def ok(self) -> bool:
        return not self.violations


def resolve_node(ref: str | NodeFactory) -> NodeFactory:
    """``"raft"`` is the built-in model; ``"package.module:Class"`` names any node
    implementation of :mod:`ackcheck.node` (a class or factory function)."""
    if not isinstance(ref, str):
        return ref
    if ref == BUILTIN_NODE:
        from ackcheck.model import make_node

        return make_node
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"node must be 'raft' or 'module:Class', got {ref!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import node module {module_name!r}: {exc}") from None
    factory = getattr(module, attr, None)
    if factory is None or not callable(factory):
        raise ConfigError(f"{module_name!r} has no callable {attr!r}")
    return factory  # type: ignore[no-any-return]


def run_once(
    config: Any,
    schedule: Schedule,
    node: str | NodeFactory = BUILTIN_NODE,
    properties: Sequence[str] | None = None,
    *,
    record_events: bool = True,
) -> RunOutcome:
    """Simulate ``schedule`` with nodes built by ``node`` and check ``properties``
    (the defaults when None)."""
    from ackcheck.properties import check
    from ackcheck.sim import simulate

    result = simulate(schedule, resolve_node(node), config, record_events=record_events)
    violations = tuple(check(result.history, properties))
    return RunOutcome(history=result.history, digest=result.digest, violations=violations)
