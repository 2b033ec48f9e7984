"""Search for a counterexample with Hypothesis and hand back the smallest one.

The search is an ordinary Hypothesis test run programmatically: each example is a fault
schedule, run in the simulator and judged by the properties. A violation raises an
exception whose type is specific to the property, so that Hypothesis' shrinker keeps to
that bug instead of slipping to another. The exception that propagates comes from
Hypothesis' final replay of the minimal example. The time budget is enforced by raising a
``BaseException`` Hypothesis does not catch; if it runs out while shrinking, the
smallest failing schedule seen so far is returned, marked as not fully shrunk. A search
bounded by time only runs as consecutive Hypothesis runs of ``ROUND_EXAMPLES`` examples,
so that each gets the phase in which Hypothesis hill-climbs the ``target()`` measures.
After Hypothesis, :func:`ackcheck.app._minimize.prune` and :func:`ackcheck.app._minimize.reseed`
delete faults it could not (the latter under other simulator seeds).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings, target
from hypothesis.strategies import SearchStrategy

from ackcheck.app import _metrics as metrics
from ackcheck.app._minimize import prune, reseed
from ackcheck.app._runner import BUILTIN_NODE, RunOutcome, resolve_node, run_once
from ackcheck.app._strategies import fault_schedules, parse_kinds, parse_targets
from ackcheck.errors import ConfigError
from ackcheck.schedule import US_PER_S, NetworkSpec, Schedule, Workload

DEFAULT_PRESET = "nats-2.12.1"
DEFAULT_EXAMPLES = 300
#: Examples per Hypothesis run in a search bounded by time only (see search_once).
ROUND_EXAMPLES = 2_000
MAX_ROUNDS = 10**6  # the budget ends a search long before this


@attrs.frozen
class ExploreStats:
    examples: int
    seconds: float
    faults_by_kind: dict[str, int]
    coverage: dict[str, int]
    best_targets: dict[str, float]
    seed: int
    workers: int = 1
    found_after_examples: int | None = None  # when the first failure was seen
    found_after_seconds: float | None = None

    @property
    def examples_per_second(self) -> float:
        return self.examples / self.seconds if self.seconds > 0 else 0.0


@attrs.frozen
class Counterexample:
    schedule: Schedule
    outcome: RunOutcome
    shrunk: bool  # False when the budget ran out before shrinking finished
    trace: Any = None  # ackcheck.traces.Trace
    trace_path: Path | None = None

    @property
    def violation(self) -> Any:
        return self.outcome.violations[0]


@attrs.frozen
class ExploreResult:
    preset: str | None
    config: Any
    node: str
    properties: tuple[str, ...] | None
    stats: ExploreStats
    counterexample: Counterexample | None
    overrides: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.counterexample is None

    def raise_for_violation(self) -> None:
        """In a test: raise :class:`ackcheck.app._assertions.CounterexampleError` if a
        violation was found (the pytest plugin then reports and saves it)."""
        ce = self.counterexample
        if ce is None:
            return
        from ackcheck.app._assertions import CounterexampleError

        raise CounterexampleError(
            preset=self.preset,
            overrides=self.overrides,
            config=self.config,
            node=self.node,
            properties=self.properties,
            schedule=ce.schedule,
            outcome=ce.outcome,
            trace_path=ce.trace_path,
        )


class _BudgetSpent(BaseException):
    """Raised inside the test body to end the search; Hypothesis lets it through."""


class Found(AssertionError):
    """A property was violated; subclassed per property so shrinking keeps to one bug."""

    def __init__(self, schedule: Schedule, outcome: RunOutcome) -> None:
        super().__init__(outcome.violations[0].summary)
        self.schedule = schedule
        self.outcome = outcome


_FOUND_TYPES: dict[str, type[Found]] = {}


def _found_type(prop: str) -> type[Found]:
    if prop not in _FOUND_TYPES:
        name = "Violated_" + "".join(c if c.isalnum() else "_" for c in prop)
        _FOUND_TYPES[prop] = type(name, (Found,), {})
    return _FOUND_TYPES[prop]


def _schedule_size(s: Schedule) -> tuple[int, int]:
    return (len(s.faults), sum(tf.at for tf in s.faults))


@attrs.define
class _Search:
    """Mutable bookkeeping of one search (one process)."""

    spec: Search
    progress: Callable[[ExploreStats], None] | None
    seed: int
    started: float = attrs.field(factory=time.monotonic)
    found_at: float | None = None
    found_after_examples: int | None = None
    examples: int = 0
    faults_by_kind: Counter[str] = attrs.field(factory=Counter)
    coverage: Counter[str] = attrs.field(factory=Counter)
    best_targets: dict[str, float] = attrs.field(factory=dict)
    best: tuple[Schedule, RunOutcome] | None = None
    focus: str | None = None
    last_progress: float = 0.0

    def stats(self) -> ExploreStats:
        return ExploreStats(
            examples=self.examples,
            seconds=time.monotonic() - self.started,
            faults_by_kind=dict(sorted(self.faults_by_kind.items())),
            coverage=dict(sorted(self.coverage.items())),
            best_targets=dict(sorted(self.best_targets.items())),
            seed=self.seed,
            found_after_examples=self.found_after_examples,
            found_after_seconds=(
                None if self.found_at is None else self.found_at - self.started
            ),
        )

    def check_budget(self) -> None:
        now = time.monotonic()
        budget = self.spec.budget
        if self.found_at is None:
            if budget is not None and now - self.started > budget:
                raise _BudgetSpent
        elif now - self.found_at > self.spec.shrink_budget:
            raise _BudgetSpent

    def run(self, schedule: Schedule) -> None:
        self.check_budget()
        spec = self.spec
        outcome = run_once(
            spec.config, schedule, spec.node, spec.properties, record_events=False,
            digest=False,
        )
        history = outcome.history
        self.examples += 1
        for fe in history.faults:
            if fe.applied:
                self.faults_by_kind[fe.fault.kind] += 1
        self.coverage.update(metrics.coverage(history))
        for label, value in (
            ("unsynced-acked-at-fault", metrics.unsynced_acked_at_fault(history)),
            ("leaders-in-one-term", metrics.leaders_in_one_term(history)),
            ("acked-missing-from-reads", metrics.acked_missing_from_reads(history)),
        ):
            if spec.targeting:
                target(float(value), label=label)
            if value > self.best_targets.get(label, float("-inf")):
                self.best_targets[label] = float(value)
        now = time.monotonic()
        if self.progress is not None and now - self.last_progress > 0.2:
            self.last_progress = now
            self.progress(self.stats())
        if not outcome.violations:
            return
        violated = [v.property for v in outcome.violations]
        if self.focus is None:
            # The first failure fixes the bug being shrunk: its highest-priority property.
            # From then on the test's predicate is stable ("violates focus"), so other
            # properties' failures cannot pull the shrinker onto a different, smaller bug.
            self.focus = violated[0]
            self.found_at = now
            self.found_after_examples = self.examples
        if self.focus not in violated:
            return
        focused = tuple(sorted(outcome.violations, key=lambda v: v.property != self.focus))
        outcome = attrs.evolve(outcome, violations=focused)
        if self.best is None or _schedule_size(schedule) < _schedule_size(self.best[0]):
            self.best = (schedule, outcome)
        raise _found_type(self.focus)(schedule, outcome)


def resolve_config(
    preset_or_config: Any, overrides: Sequence[str], node: Any
) -> tuple[str | None, Any]:
    """A preset name (plus overrides) or a ready config -> (preset name, config)."""
    if isinstance(preset_or_config, str):
        if node != BUILTIN_NODE:
            raise ConfigError("presets configure the built-in 'raft' node; pass a config")
        from ackcheck.model import resolve_config as resolve_preset

        return preset_or_config, resolve_preset(preset_or_config, list(overrides))
    if overrides:
        raise ConfigError("--set overrides apply to a preset; pass a preset name")
    return None, preset_or_config


@attrs.frozen
class Search:
    """What one search explores, validated once: everything but the seed and the
    progress callback, so that parallel workers get the same spec (it pickles)."""

    config: Any
    node: Any = BUILTIN_NODE
    properties: tuple[str, ...] | None = None
    faults: str | Sequence[str] | None = None
    nodes: int = 5
    examples: int | None = None
    budget: float | None = None
    shrink_budget: float = 60.0
    max_faults: int = 8
    horizon: int = 2 * US_PER_S
    workload: Workload | None = None
    network: NetworkSpec | None = None
    targets: str | Sequence[str] | None = None
    targeting: bool = True

    def __attrs_post_init__(self) -> None:
        if self.examples is not None and self.examples < 1:
            raise ConfigError(f"examples must be >= 1, got {self.examples}")
        if self.budget is not None and self.budget <= 0:
            raise ConfigError(f"budget must be > 0 seconds, got {self.budget}")
        if self.nodes < 1:
            raise ConfigError(f"nodes must be >= 1, got {self.nodes}")
        parse_kinds(self.faults)
        parse_targets(self.targets)
        if self.properties is not None:
            from ackcheck.properties import REGISTRY

            unknown = [p for p in self.properties if p not in REGISTRY]
            if unknown:
                raise ConfigError(
                    f"unknown property {unknown[0]!r}; known: {', '.join(sorted(REGISTRY))}"
                )


def _probe(
    strategy: SearchStrategy[Schedule], state: _Search, max_examples: int, seed_value: int | str
) -> Callable[[], None]:
    """One Hypothesis run of up to ``max_examples`` schedules through ``state.run``."""
    targeting = state.spec.targeting

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=False,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.target, Phase.shrink]
        if targeting
        else [Phase.generate, Phase.shrink],
        verbosity=Verbosity.quiet,
        print_blob=False,
    )
    @seed(seed_value)
    @given(strategy)
    def probe(schedule: Schedule) -> None:
        state.run(schedule)

    return probe


def search_once(
    spec: Search,
    seed_value: int = 0,
    progress: Callable[[ExploreStats], None] | None = None,
) -> tuple[ExploreStats, tuple[Schedule, RunOutcome, bool] | None]:
    """One Hypothesis search in this process; returns stats and (schedule, outcome,
    fully shrunk) of the minimal counterexample, if any."""
    strategy = fault_schedules(
        nodes=spec.nodes,
        kinds=parse_kinds(spec.faults),
        max_faults=spec.max_faults,
        horizon=spec.horizon,
        workload=spec.workload,
        network=spec.network,
        targets=spec.targets,
    )
    state = _Search(spec=spec, progress=progress, seed=seed_value)
    if spec.examples is not None:
        rounds, per_round = 1, spec.examples
    elif spec.budget is not None:
        # Hypothesis hill-climbs the target() measures once half of max_examples have
        # run; with one huge max_examples that point never comes within a budget. Rounds
        # of ROUND_EXAMPLES, each from its own seed, give every round a target phase.
        rounds, per_round = MAX_ROUNDS, ROUND_EXAMPLES
    else:
        rounds, per_round = 1, DEFAULT_EXAMPLES

    found: tuple[Schedule, RunOutcome, bool] | None = None
    for round_no in range(rounds):
        round_seed: int | str = seed_value if round_no == 0 else f"{seed_value}/{round_no}"
        try:
            _probe(strategy, state, per_round, round_seed)()
        except Found as exc:
            found = (exc.schedule, exc.outcome, True)
        except _BudgetSpent:
            if state.best is not None:
                found = (state.best[0], state.best[1], False)
            break
        if found is not None:
            break
    return state.stats(), found


def explore(
    preset_or_config: Any = DEFAULT_PRESET,
    *,
    overrides: Sequence[str] = (),
    node: str = BUILTIN_NODE,
    properties: Sequence[str] | None = None,
    faults: str | Sequence[str] | None = None,
    nodes: int = 5,
    examples: int | None = None,
    budget: float | None = None,
    shrink_budget: float = 60.0,
    seed: int = 0,
    max_faults: int = 8,
    horizon: int = 2 * US_PER_S,
    workload: Workload | None = None,
    network: NetworkSpec | None = None,
    targets: str | Sequence[str] | None = None,
    targeting: bool = True,
    workers: int = 1,
    out: str | Path | None = None,
    progress: Callable[[ExploreStats], None] | None = None,
) -> ExploreResult:
    """Search fault schedules for a violation of ``properties`` (default: the default
    set) and return the minimal counterexample, or a clean pass with statistics.

    ``examples`` bounds the number of schedules tried, ``budget`` the seconds spent
    searching (shrinking gets ``shrink_budget`` more). ``workers`` > 1 runs independent
    searches in that many processes with distinct seeds and returns the first violation
    found. ``targets`` limits which files corruption faults hit (log, snapshot, vote).
    ``targeting`` feeds closeness measures to ``hypothesis.target()`` (on by default;
    off only to measure what it buys). With ``out``, the counterexample is saved there
    as a trace file.
    """
    if workers < 1:
        raise ConfigError(f"workers must be >= 1, got {workers}")
    preset, config = resolve_config(preset_or_config, overrides, node)
    spec = Search(
        config=config,
        node=node,
        properties=tuple(properties) if properties is not None else None,
        faults=faults,
        nodes=nodes,
        examples=examples,
        budget=budget,
        shrink_budget=shrink_budget,
        max_faults=max_faults,
        horizon=horizon,
        workload=workload,
        network=network,
        targets=targets,
        targeting=targeting,
    )
    resolve_node(node)  # a bad reference fails here, once, not in every worker
    if workers == 1:
        stats, found = search_once(spec, seed, progress)
    else:
        from ackcheck.app._parallel import search_parallel

        stats, found = search_parallel(spec, seed, workers, progress)

    counterexample = None
    if found is not None:
        schedule, fast, shrunk = found
        focus = fast.violations[0].property
        schedule = prune(config, schedule, focus, node=node, properties=spec.properties)
        schedule = reseed(config, schedule, focus, node=node, properties=spec.properties,
                          max_seconds=min(20.0, shrink_budget))
        counterexample = _finish(
            preset, overrides, config, node, spec.properties, schedule, shrunk, out,
            focus=focus,
        )
    return ExploreResult(
        preset=preset,
        config=config,
        node=node,
        properties=spec.properties,
        stats=stats,
        counterexample=counterexample,
        overrides=tuple(overrides),
    )


def _finish(
    preset: str | None,
    overrides: Sequence[str],
    config: Any,
    node: str,
    properties: tuple[str, ...] | None,
    schedule: Schedule,
    shrunk: bool,
    out: str | Path | None,
    *,
    focus: str,
) -> Counterexample:
    """Re-run the minimal schedule with full event recording and make its trace."""
    from ackcheck.traces import make_trace, save_trace

    outcome = run_once(config, schedule, node, properties, record_events=True)
    if focus not in {v.property for v in outcome.violations}:  # pragma: no cover
        raise RuntimeError("a counterexample did not reproduce when re-run: nondeterminism")
    outcome = attrs.evolve(
        outcome,
        violations=tuple(sorted(outcome.violations, key=lambda v: v.property != focus)),
    )
    trace = make_trace(
        preset=preset,
        overrides=list(overrides),
        config=config,
        node=node,
        schedule=schedule,
        properties=list(properties) if properties is not None else None,
        violation=outcome.violations[0],
        history=outcome.history,
        digest=outcome.digest,
    )
    path = None
    if out is not None:
        directory = Path(out)
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{preset or 'custom'}-{outcome.violations[0].property}-{outcome.digest[:12]}"
        path = save_trace(trace, directory / f"{name}.json")
    return Counterexample(
        schedule=schedule, outcome=outcome, shrunk=shrunk, trace=trace, trace_path=path
    )
