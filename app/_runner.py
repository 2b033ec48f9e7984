"""Run one schedule end to end: simulate, then judge the history.

The explorer, ``replay`` and users' tests all go through :func:`run_once`, so a
counterexample found by search and the same schedule replayed later are judged by
exactly the same code.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import shlex
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

import ackcheck
from ackcheck.errors import AckcheckError, ConfigError
from ackcheck.history import History
from ackcheck.model import make_node
from ackcheck.model import resolve_config as resolve_preset
from ackcheck.node import NodeFactory
from ackcheck.properties import Violation, check
from ackcheck.schedule import Schedule
from ackcheck.sim import SimResult, Simulator

BUILTIN_NODE = "raft"
#: Events one run may process before it is stopped with a one-line error: a few hundred
#: times what a search's run takes (a 5-node run of 2 + 3 s has ~10^4), two hours of
#: simulated time for 5 nodes, and some seconds of work (docs/errors.md). A run bigger
#: than this is a schedule or a node gone wrong, not a search.
MAX_EVENTS = 1_000_000


@attrs.frozen
class RunOutcome:
    history: History
    digest: str
    violations: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        return not self.violations


#: Node factories already loaded, by (working directory, reference).
_RESOLVED: dict[tuple[str, str], NodeFactory] = {}


def resolve_node(ref: str | NodeFactory) -> NodeFactory:
    """``"raft"`` is the built-in model; ``"package.module:Class"`` or
    ``"path/to/file.py:Class"`` names any node implementation of :mod:`ackcheck.node` (a
    class or factory function). The user's code runs here (its import); whatever goes
    wrong there, or a name that is not a node factory, is a one-line :class:`ConfigError`.
    Resolved once per process: a file is not executed again for every run."""
    if not isinstance(ref, str):
        return ref
    if ref == BUILTIN_NODE:
        return make_node
    key = (os.getcwd(), ref)  # a relative file path means another file elsewhere
    cached = _RESOLVED.get(key)
    if cached is None:
        cached = _RESOLVED[key] = _load_factory(ref)
    return cached


def _load_factory(ref: str) -> NodeFactory:
    module_name, sep, attr = ref.rpartition(":")
    if not sep or not module_name or not attr.isidentifier():
        raise ConfigError(f"node must be 'raft', 'module:Class' or 'file.py:Class', got {ref!r}")
    module = _import_node_module(module_name)
    factory = getattr(module, attr, None)
    if factory is None or not callable(factory):
        raise ConfigError(f"{module_name!r} has no callable {attr!r}")
    _check_factory(factory, ref)
    return factory  # type: ignore[no-any-return]


def _check_factory(factory: Any, ref: str) -> None:
    """A node factory is called as ``factory(node_id, nodes, config, rng)`` and a class
    must have ``step`` and ``state``: ``os:getcwd`` is refused here, not deep in a run."""
    if inspect.isclass(factory) and not all(
        callable(getattr(factory, m, None)) for m in ("step", "state")
    ):
        raise ConfigError(f"{ref!r} is not a node: the class has no step() and state() "
                          "(see docs/node-interface.md)")
    try:
        inspect.signature(factory).bind(0, 1, None, None)
    except TypeError:
        raise ConfigError(f"{ref!r} is not a node factory: it cannot be called as "
                          "(node_id, nodes, config, rng)") from None
    except ValueError:  # no signature to inspect (some builtins): the run will tell
        pass


def _load_error(what: str, exc: BaseException) -> ConfigError:
    """One line for an exception raised by the user's module while it was imported."""
    if isinstance(exc, SyntaxError):
        where = f" ({exc.filename}, line {exc.lineno})" if exc.lineno else ""
        return ConfigError(f"cannot load {what}: SyntaxError: {exc.msg}{where}")
    line = _user_line(exc, None)
    return ConfigError(f"cannot load {what}: {type(exc).__name__}: {exc}{line}")


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
        try:
            spec.loader.exec_module(module)
        except (Exception, SystemExit) as exc:
            del sys.modules[spec.name]
            raise _load_error(f"node file {name!r}", exc) from None
        return module
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ConfigError(f"cannot import node module {name!r}: {exc}") from None
    except (Exception, SystemExit) as exc:
        raise _load_error(f"node module {name!r}", exc) from None


def check_trusted(ref: str, allowed: Sequence[str], flag: str = "--allow-node") -> None:
    """A trace names the node implementation its run used; replaying it imports that
    code. Only the built-in node, or a reference the user repeated on the command line
    (``flag REF``), is imported: a downloaded trace must not run a stranger's code."""
    if ref == BUILTIN_NODE or ref in allowed:
        return
    raise ConfigError(
        f"the trace names node implementation {ref!r}; replaying it would import and run "
        f"that code. If you trust it, rerun with {flag} {shlex.quote(ref)}"
    )


def _user_line(exc: BaseException, module_file: str | None) -> str:
    """`` (at file:line in function)`` of the innermost frame in ``module_file`` (any
    frame outside ackcheck when None), or ``""``."""
    found = ""
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        name = frame.f_code.co_filename
        mine = name == module_file if module_file else not name.startswith(_PACKAGE_ROOT)
        if mine:
            found = f" (at {name}:{lineno} in {frame.f_code.co_name})"
    return found


_PACKAGE_ROOT = str(Path(ackcheck.__file__).parent) + os.sep


class NodeRaisedError(ConfigError):
    """The user's node implementation raised: their bug, reported as bad input (exit 2),
    not as ackcheck's internal error nor as a property violation."""


def _node_raised(exc: Exception, factory: Any) -> NodeRaisedError | None:
    """A :class:`NodeRaisedError` when a frame of ``exc``'s traceback is in the module that
    defines the user's ``factory``; None when the exception is not theirs."""
    module = sys.modules.get(getattr(factory, "__module__", ""), None)
    module_file = getattr(module, "__file__", None)
    if not module_file or factory is make_node:
        return None
    where = _user_line(exc, module_file)
    if not where:
        return None
    return NodeRaisedError(f"the node implementation raised {type(exc).__name__}: {exc}{where}")


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
    factory = resolve_node(node)
    result = simulate_bounded(
        schedule, factory, config, record_events=record_events, digest=digest
    )
    violations = tuple(check(result.history, properties))
    return RunOutcome(history=result.history, digest=result.digest, violations=violations)


def simulate_bounded(
    schedule: Schedule, factory: NodeFactory, config: Any, **simulator_options: Any
) -> SimResult:
    """One simulated run within the event budget (:data:`MAX_EVENTS`), where an
    exception raised by a node of one's own is bad input that names its line, not an
    internal error."""
    try:
        with Simulator(
            schedule, factory, config, max_events=MAX_EVENTS, **simulator_options
        ) as sim:
            return sim.run()
    except AckcheckError:
        raise
    except Exception as exc:
        theirs = _node_raised(exc, factory)
        if theirs is None:
            raise
        raise theirs from exc


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
