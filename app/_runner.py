"""Run one schedule end to end: simulate, then judge the history.

The explorer, ``replay`` and users' tests all go through :func:`run_once`, so a
counterexample found by search and the same schedule replayed later are judged by
exactly the same code.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from ackcheck.errors import ConfigError
from ackcheck.history import History
from ackcheck.model import make_node
from ackcheck.model import resolve_config as resolve_preset
from ackcheck.node import NodeFactory
from ackcheck.properties import Violation, check
from ackcheck.schedule import Schedule
from ackcheck.sim import simulate

BUILTIN_NODE = "raft"


@attrs.frozen
class RunOutcome:
    history: History
    digest: str
    violations: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        return not self.violations


def resolve_node(ref: str | NodeFactory) -> NodeFactory:
    """``"raft"`` is the built-in model; ``"package.module:Class"`` names any node
    implementation of :mod:`ackcheck.node` (a class or factory function)."""
    if not isinstance(ref, str):
        return ref
    if ref == BUILTIN_NODE:
        return make_node
    module_name, sep, attr = ref.rpartition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"node must be 'raft', 'module:Class' or 'file.py:Class', got {ref!r}")
    module = _import_node_module(module_name)
    factory = getattr(module, attr, None)
    if factory is None or not callable(factory):
        raise ConfigError(f"{module_name!r} has no callable {attr!r}")
    return factory  # type: ignore[no-any-return]


def _import_node_module(name: str) -> Any:
    """Import ``package.module`` (the current directory is searched too, as a user
    expects from a command run in their project) or a ``path/to/file.py``."""
    if name.endswith(".py"):
        path = Path(name)
        if not path.is_file():
            raise ConfigError(f"node file {name!r} does not exist")
        spec = importlib.util.spec_from_file_location(f"ackcheck_user_node_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise ConfigError(f"cannot load node file {name!r}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ConfigError(f"cannot import node module {name!r}: {exc}") from None


def run_once(
    config: Any,
    schedule: Schedule,
    node: str | NodeFactory = BUILTIN_NODE,
    properties: Sequence[str] | None = None,
    *,
    record_events: bool = True,
    digest: bool = True,
) -> RunOutcome:
    """Simulate ``schedule`` with nodes built by ``node`` and check ``properties``
    (the defaults when None). ``digest=False`` (without events) is the explorer's fast
    path: same run, same verdict, no digest."""
    result = simulate(
        schedule, resolve_node(node), config, record_events=record_events, digest=digest
    )
    violations = tuple(check(result.history, properties))
    return RunOutcome(history=result.history, digest=result.digest, violations=violations)


def resolve_config(
    preset_or_config: Any, overrides: Sequence[str], node: str | NodeFactory = BUILTIN_NODE
) -> tuple[str | None, Any]:
    """A preset name (plus ``knob=value`` overrides) or a ready config -> (preset name or
    None, config). Presets and overrides configure the built-in node only."""
    if isinstance(preset_or_config, str):
        if node != BUILTIN_NODE:
            raise ConfigError("presets configure the built-in 'raft' node; pass a config")
        return preset_or_config, resolve_preset(preset_or_config, list(overrides))
    if overrides:
        raise ConfigError("--set overrides apply to a preset; pass a preset name")
    return None, preset_or_config
