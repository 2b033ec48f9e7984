"""What a search explores and how long it may take: one validated options object.

``ackcheck.explore()``, the ``explore`` command, the parallel workers and the known-bug
list all pass a :class:`SearchOptions`, so an option is added once and means the same
everywhere. It is plain frozen data (it pickles to worker processes) and it is validated
when built, before any search starts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs

from ackcheck.app._strategies import parse_events, parse_kinds, parse_targets
from ackcheck.errors import ConfigError
from ackcheck.properties import REGISTRY
from ackcheck.schedule import US_PER_S, NetworkSpec, Workload


def _names(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return tuple(s.strip() for s in value.split(",") if s.strip())
    return tuple(value)


def _kinds(value: str | Sequence[str] | None) -> str | None:
    """Fault kinds as the comma-separated text a user types (what traces record)."""
    if value is None or isinstance(value, str):
        return value
    return ",".join(value)


#: How examples are generated (``--search``): faults at random times; plans of decisions
#: anchored to protocol events; decisions where each example uses a random part of the
#: decision alphabet (swarm testing). See docs/search.md.
SEARCH_MODES: tuple[str, ...] = ("timed", "decisions", "swarm")
DEFAULT_SEARCH = "decisions"


@attrs.frozen(kw_only=True)
class SearchOptions:
    """How one search explores.

    * ``properties``: the properties checked (None: the default set);
    * ``faults``: fault kinds or groups (``"process,network"``; None: every default kind);
    * ``targets``: which files corruption faults hit (``"log,snapshot,vote"``);
    * ``nodes``, ``max_faults``, ``horizon`` (µs of the fault phase), ``workload``,
      ``network``: the shape of each generated schedule (None: the defaults);
    * ``examples`` / ``budget`` (seconds): when to stop searching; ``shrink_budget``:
      seconds more for shrinking a counterexample;
    * ``seed``: the search seed (same version, options and seed: same search);
    * ``workers``: independent searches in that many processes;
    * ``targeting``: feed closeness measures to ``hypothesis.target()`` (None: in the
      timed search only; bench/time_to_bug.py --part guidance found it no help with
      decisions, where its hill-climbing phase spent examples that found nothing);
    * ``max_damaged_nodes``: storage damage (faults that name a file) lands on at most
      this many distinct nodes per schedule, fixed for the run (None: any);
    * ``beyond_fault_model``: do not confine a preset's search to the faults it claims
      to survive (:mod:`ackcheck.app._fault_model`);
    * ``search``: one of :data:`SEARCH_MODES`; ``events``: the protocol events
      decisions wait for (None: all of them); ``novelty``: in the decision modes, also
      extend plans that reached an abstract state no earlier example had reached.
    """

    properties: tuple[str, ...] | None = attrs.field(default=None, converter=_names)
    faults: str | None = attrs.field(default=None, converter=_kinds)
    targets: str | None = attrs.field(default=None, converter=_kinds)
    nodes: int = 5
    max_faults: int = 8
    horizon: int = 2 * US_PER_S
    workload: Workload | None = None
    network: NetworkSpec | None = None
    examples: int | None = None
    budget: float | None = None
    shrink_budget: float = 60.0
    seed: int = 0
    workers: int = 1
    targeting: bool | None = None
    max_damaged_nodes: int | None = None
    beyond_fault_model: bool = False
    search: str = DEFAULT_SEARCH
    events: str | None = attrs.field(default=None, converter=_kinds)
    novelty: bool = True

    def __attrs_post_init__(self) -> None:
        if self.search not in SEARCH_MODES:
            raise ConfigError(
                f"unknown search {self.search!r}; known: {', '.join(SEARCH_MODES)}"
            )
        parse_events(self.events)
        if self.examples is not None and self.examples < 1:
            raise ConfigError(f"examples must be >= 1, got {self.examples}")
        if self.budget is not None and not (math.isfinite(self.budget) and self.budget > 0):
            raise ConfigError(f"budget must be a finite number of seconds > 0, got {self.budget}")
        if not (math.isfinite(self.shrink_budget) and self.shrink_budget >= 0):
            raise ConfigError(f"shrink budget must be finite and >= 0, got {self.shrink_budget}")
        if self.nodes < 1:
            raise ConfigError(f"nodes must be >= 1, got {self.nodes}")
        if self.workers < 1:
            raise ConfigError(f"workers must be >= 1, got {self.workers}")
        if self.max_faults < 0:
            raise ConfigError(f"max faults must be >= 0, got {self.max_faults}")
        if self.horizon < 0:
            raise ConfigError(f"horizon must be >= 0, got {self.horizon}")
        if self.max_damaged_nodes is not None and self.max_damaged_nodes < 0:
            raise ConfigError(f"max damaged nodes must be >= 0, got {self.max_damaged_nodes}")
        parse_kinds(self.faults)
        parse_targets(self.targets)
        if self.properties is not None:
            unknown = [p for p in self.properties if p not in REGISTRY]
            if unknown:
                raise ConfigError(
                    f"unknown property {unknown[0]!r}; known: {', '.join(sorted(REGISTRY))}"
                )

    @property
    def targets_on(self) -> bool:
        """Whether ``hypothesis.target()`` is fed (see ``targeting``)."""
        return self.search == "timed" if self.targeting is None else self.targeting

    @property
    def grows_plans(self) -> bool:
        """Whether plans that reached a new abstract state are grown further (``novelty``
        takes effect in the ``decisions`` search only)."""
        return self.novelty and self.search == "decisions"

    def evolve(self, **changes: Any) -> SearchOptions:
        """A copy with ``changes``; an unknown option is a :class:`ConfigError`."""
        unknown = sorted(set(changes) - {f.name for f in attrs.fields(SearchOptions)})
        if unknown:
            raise ConfigError(f"unknown search option {unknown[0]!r}")
        return attrs.evolve(self, **changes)
