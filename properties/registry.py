"""The property registry: built-in checkers, user additions, and :func:`check`.

Properties are looked up by name so that a CLI flag, a trace file and a user's test can
all name the same checker. Registration order is kept (dicts are ordered), so listings
and verdicts come out in the same order on every run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar, overload, runtime_checkable

from ackcheck.errors import ConfigError
from ackcheck.history import History
from ackcheck.properties.convergence import ConvergesAfterHeal
from ackcheck.properties.duplicates import NoDuplicates
from ackcheck.properties.durability import AckImpliesDurable
from ackcheck.properties.elections import ElectionSafety
from ackcheck.properties.leader_completeness import LeaderCompleteness
from ackcheck.properties.log_matching import LogMatching
from ackcheck.properties.state_machine import StateMachineSafety
from ackcheck.properties.violation import Violation


@runtime_checkable
class Property(Protocol):
    """A named check of one finished history; ``None`` means it holds."""

    name: str
    description: str

    def check(self, history: History) -> Violation | None: ...


REGISTRY: dict[str, Property] = {}

T = TypeVar("T")


@overload
def register(prop: T, *, replace: bool = False) -> T: ...
@overload
def register(prop: None = None, *, replace: bool = False) -> Callable[[T], T]: ...


def register(prop: Any = None, *, replace: bool = False) -> Any:
    """Add a property to :data:`REGISTRY` and return it unchanged.

    Works as a call (``register(MyProperty())``) and as a class decorator
    (``@register`` or ``@register(replace=True)``); a class is instantiated with no
    arguments. A name already taken raises :class:`ConfigError` unless ``replace``.
    """
    if prop is None:
        return lambda p: register(p, replace=replace)
    instance = prop() if isinstance(prop, type) else prop
    name = getattr(instance, "name", None)
    if not isinstance(name, str) or not name:
        raise ConfigError(f"a property needs a non-empty string `name`, got {name!r}")
    if not isinstance(getattr(instance, "description", None), str):
        raise ConfigError(f"property {name!r} needs a string `description`")
    if not callable(getattr(instance, "check", None)):
        raise ConfigError(f"property {name!r} needs a `check(history)` method")
    if name in REGISTRY and not replace:
        raise ConfigError(
            f"property {name!r} is already registered; pick another name or pass replace=True"
        )
    REGISTRY[name] = instance
    return prop


def resolve(names: Sequence[str] | None) -> list[Property]:
    """The properties called ``names`` (default: :data:`DEFAULT_PROPERTIES`), deduplicated
    in the order given; an unknown name raises :class:`ConfigError` listing known ones."""
    if names is None:
        names = DEFAULT_PROPERTIES
    elif isinstance(names, str):
        names = (names,)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise ConfigError(
            f"unknown propert{'y' if len(unknown) == 1 else 'ies'} "
            f"{', '.join(repr(n) for n in unknown)}; known: {', '.join(REGISTRY)}"
        )
    return [REGISTRY[n] for n in dict.fromkeys(names)]


def check(history: History, names: Sequence[str] | None = None) -> list[Violation]:
    """Judge ``history`` by the named properties; one :class:`Violation` per failure."""
    found = []
    for prop in resolve(names):
        violation = prop.check(history)
        if violation is not None:
            found.append(violation)
    return found


def _register_builtins() -> tuple[str, ...]:
    builtins: tuple[Property, ...] = (
        AckImpliesDurable(),
        ElectionSafety(),
        LogMatching(),
        LeaderCompleteness(),
        StateMachineSafety(),
        NoDuplicates(),
        ConvergesAfterHeal(),
    )
    for prop in builtins:
        register(prop, replace=True)
    return tuple(p.name for p in builtins)


BUILTIN_PROPERTIES: tuple[str, ...] = _register_builtins()

# Every safety property plus ack-implies-durable. converges-after-heal is opt-in: it is a
# liveness check bounded by the run's settle time, and each acked value it finds missing
# everywhere is one ack-implies-durable already reports, so by default it would mostly
# repeat that report (see docs/properties.md).
DEFAULT_PROPERTIES: tuple[str, ...] = tuple(
    n for n in BUILTIN_PROPERTIES if n != "converges-after-heal"
)
