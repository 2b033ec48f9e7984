"""One search in one process: Hypothesis generates schedules, the runner judges them.

The search is an ordinary Hypothesis test run programmatically: each example is a fault
schedule (timed faults, or a plan of decisions anchored to protocol events: see
``SearchOptions.search`` and docs/search.md), run in the simulator and judged by the
properties. A violation raises an exception whose type is specific to the property, so
that Hypothesis' shrinker keeps to that bug instead of slipping to another. The exception
that propagates comes from Hypothesis' final replay of the minimal example. The time
budget is enforced by raising a ``BaseException`` Hypothesis does not catch; if it runs
out while shrinking, the smallest failing schedule seen so far is returned, marked as not
fully shrunk. A search bounded by time only runs as consecutive Hypothesis runs of
``ROUND_EXAMPLES`` examples, so that each gets the phase in which Hypothesis hill-climbs
the ``target()`` measures.

In the decision modes a first fault-free run finds which protocol events the node shows
(a decision waiting for one it never shows would hold up the plan); every run reports
the abstract node states it reached (coverage, ``ackcheck.sim.abstract``); and with
``novelty`` a plan whose last decision left the cluster in an abstract state no earlier
example had reached becomes a parent:
later examples extend it by a decision or two, as a coverage-guided fuzzer grows its
corpus (ModelFuzz does this with TLA+ states). Parents are fixed for the length of one
Hypothesis run (``NOVELTY_ROUND`` examples), so that Hypothesis replays what it drew.
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

import attrs
from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings, target
from hypothesis.errors import HypothesisWarning
from hypothesis.strategies import SearchStrategy

from ackcheck.app import _metrics as metrics
from ackcheck.app._collector import PausedCollector
from ackcheck.app._fault_model import confine_damage
from ackcheck.app._options import SearchOptions
from ackcheck.app._plans import shrink_plan
from ackcheck.app._runner import BUILTIN_NODE, RunOutcome, resolve_node, simulate_bounded
from ackcheck.app._seeded import isolated
from ackcheck.app._strategies import (
    decision_schedules,
    fault_schedules,
    parse_kinds,
    swarm_schedules,
)
from ackcheck.node import NodeFactory
from ackcheck.properties import check
from ackcheck.schedule import PROTOCOL_EVENTS, Decision, NetworkSpec, Schedule, Workload
from ackcheck.sim import Simulator
from ackcheck.sim.abstract import NodeAbstract, state_hash

DEFAULT_EXAMPLES = 300
#: Examples per Hypothesis run in a search bounded by time only (see search_once).
ROUND_EXAMPLES = 2_000
#: Examples per Hypothesis run when novel plans are grown (parents change between runs).
NOVELTY_ROUND = 200
#: The most parents kept (the newest); an example picks one uniformly.
MAX_PARENTS = 2_000
MAX_ROUNDS = 10**6  # the budget ends a search long before this
#: The longest plan of decisions drawn (a plan is a chain: each waits for the last).
MAX_DECISIONS = 4


@attrs.frozen
class Search:
    """One search's subject and options: what the parallel workers receive (it pickles)."""

    config: Any
    node: Any = BUILTIN_NODE
    options: SearchOptions = attrs.field(factory=SearchOptions)


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
    search: str = "timed"
    #: distinct abstract node states reached (decision modes; ackcheck.sim.abstract)
    abstract_states: int = 0
    #: plans kept because they reached a new abstract cluster state (with novelty)
    novel_plans: int = 0
    #: the abstract states' digests, for merging the statistics of parallel workers
    state_digests: frozenset[str] = attrs.field(factory=frozenset, repr=False, eq=False)

    @property
    def examples_per_second(self) -> float:
        return self.examples / self.seconds if self.seconds > 0 else 0.0


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
    return (len(s.faults) + len(s.decisions), sum(tf.at for tf in s.faults))


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
    states: set[NodeAbstract] = attrs.field(factory=set)
    cluster_states: set[str] = attrs.field(factory=set)
    parents: list[tuple[Decision, ...]] = attrs.field(factory=lambda: [()])
    novel: list[tuple[Decision, ...]] = attrs.field(factory=list)
    factory: NodeFactory | None = None
    collector: PausedCollector = attrs.field(factory=PausedCollector)

    def stats(self, final: bool = False) -> ExploreStats:
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
            search=self.spec.options.search,
            abstract_states=len(self.states),
            novel_plans=len(self.parents) - 1 + len(self.novel),
            state_digests=(
                frozenset(state_hash(s) for s in self.states) if final else frozenset()
            ),
        )

    def check_budget(self) -> None:
        now = time.monotonic()
        budget = self.spec.options.budget
        if self.found_at is None:
            if budget is not None and now - self.started > budget:
                raise _BudgetSpent
        elif now - self.found_at > self.spec.options.shrink_budget:
            raise _BudgetSpent

    def run(self, schedule: Schedule) -> None:
        self.check_budget()
        spec = self.spec
        outcome = self.simulate(schedule)
        history = outcome.history
        self.examples += 1
        self.collector()
        for fe in history.faults:
            if fe.applied:
                self.faults_by_kind[fe.fault.kind] += 1
        unsynced = metrics.unsynced_acked_at_fault(history)
        self.coverage.update(metrics.coverage(history, unsynced))
        for label, value in (
            ("unsynced-acked-at-fault", unsynced),
            ("leaders-in-one-term", metrics.leaders_in_one_term(history)),
            ("acked-missing-from-reads", metrics.acked_missing_from_reads(history)),
        ):
            if spec.options.targets_on:
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

    def simulate(self, schedule: Schedule) -> RunOutcome:
        """Run one example on the explorer's fast path (no events, no digest) and judge
        it; a run with decisions also reports its coverage and, where its last decision
        fired, whether it reached an abstract cluster state no earlier run had."""
        spec = self.spec
        if self.factory is None:
            self.factory = resolve_node(spec.node)
        last = len(schedule.decisions) - 1
        reached: list[str] = []

        def decided(sim: Simulator, index: int) -> None:
            if index == last:
                reached.append(state_hash(sim.cluster_state()))

        opts = spec.options
        result = simulate_bounded(
            schedule, self.factory, spec.config, record_events=False, digest=False,
            coverage=opts.search != "timed", on_decision=decided if opts.grows_plans else None,
        )
        self.states.update(result.coverage)
        if reached and reached[0] not in self.cluster_states:
            self.cluster_states.add(reached[0])
            self.novel.append(schedule.decisions)
        violations = tuple(check(result.history, spec.options.properties))
        return RunOutcome(history=result.history, digest=result.digest, violations=violations)

    def next_parents(self) -> tuple[tuple[Decision, ...], ...]:
        """The parents of the next Hypothesis run: the earlier ones and the plans that
        reached new states since, the newest :data:`MAX_PARENTS` of them."""
        self.parents.extend(self.novel)
        self.novel = []
        if len(self.parents) > MAX_PARENTS:  # the root (the empty plan) stays
            self.parents = [(), *self.parents[-MAX_PARENTS + 1:]]
        return tuple(self.parents)


def _probe(
    strategy: SearchStrategy[Schedule], state: _Search, max_examples: int, seed_value: int | str
) -> Callable[[], None]:
    """One Hypothesis run of up to ``max_examples`` schedules through ``state.run``."""
    targeting = state.spec.options.targets_on

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

    return isolated(probe)  # the seed alone decides the examples (ackcheck.app._seeded)


def search_once(
    spec: Search,
    seed_value: int = 0,
    progress: Callable[[ExploreStats], None] | None = None,
) -> tuple[ExploreStats, tuple[Schedule, RunOutcome, bool] | None]:
    """One Hypothesis search in this process; returns stats and (schedule, outcome,
    fully shrunk) of the minimal counterexample, if any."""
    opts = spec.options
    state = _Search(spec=spec, progress=progress, seed=seed_value)
    growing = opts.grows_plans
    total = opts.examples if opts.examples is not None else DEFAULT_EXAMPLES
    if opts.examples is None and opts.budget is not None:
        # Hypothesis hill-climbs the target() measures once half of max_examples have
        # run; with one huge max_examples that point never comes within a budget. Rounds
        # of ROUND_EXAMPLES, each from its own seed, give every round a target phase.
        rounds, per_round = MAX_ROUNDS, NOVELTY_ROUND if growing else ROUND_EXAMPLES
    elif growing:
        rounds, per_round = -(-total // NOVELTY_ROUND), NOVELTY_ROUND
    else:
        rounds, per_round = 1, total

    if opts.search != "timed" and opts.events is None:
        opts = opts.evolve(events=_events_seen(spec))
        spec = attrs.evolve(spec, options=opts)
        state.spec = spec
    with state.collector:
        found = _search_rounds(spec, state, rounds, per_round)
    if found is not None and found[0].decisions:
        focus = found[1].violations[0].property
        schedule = shrink_plan(spec.config, found[0], focus, node=spec.node,
                               properties=opts.properties)
        if schedule != found[0]:
            outcome = state.simulate(schedule)
            ordered = sorted(outcome.violations, key=lambda v: v.property != focus)
            found = (schedule, attrs.evolve(outcome, violations=tuple(ordered)), found[2])
    return state.stats(final=True), found


def _search_rounds(
    spec: Search, state: _Search, rounds: int, per_round: int
) -> tuple[Schedule, RunOutcome, bool] | None:
    """Up to ``rounds`` Hypothesis runs of ``per_round`` examples; the counterexample
    (schedule, outcome, fully shrunk) of the first that fails."""
    opts = spec.options
    strategy = _strategy(opts, ())
    for round_no in range(rounds):
        if opts.grows_plans:
            # The first run is Hypothesis' alone; from the second on, half the examples
            # grow a parent (the empty plan, or one that reached a new state).
            strategy = _strategy(opts, state.next_parents() if round_no else ())
            if opts.examples is not None:
                per_round = min(per_round, opts.examples - state.examples)
                if per_round <= 0:
                    break
        round_seed: int | str = state.seed if round_no == 0 else f"{state.seed}/{round_no}"
        try:
            with warnings.catch_warnings():
                # the plans grown from parents make a strategy whose repr Hypothesis
                # builds once per run and warns about (32 kB): noise on a user's terminal
                warnings.filterwarnings("ignore", "Generating overly large repr",
                                        HypothesisWarning)
                _probe(strategy, state, per_round, round_seed)()
        except Found as exc:
            return (exc.schedule, exc.outcome, True)
        except _BudgetSpent:
            return None if state.best is None else (state.best[0], state.best[1], False)
    return None


def _events_seen(spec: Search) -> str:
    """The protocol events the node shows in a run of the search's shape without faults:
    a decision waiting for an event the node never shows would hold up every decision
    after it (a node of one's own may show acks and appends but no leader or commit).
    All of them if it shows none."""
    opts = spec.options
    base = Schedule(nodes=opts.nodes, duration=opts.horizon,
                    workload=opts.workload or Workload(), network=opts.network or NetworkSpec())
    seen = simulate_bounded(base, resolve_node(spec.node), spec.config, record_events=False,
                            digest=False, coverage=True).protocol_events
    return ",".join(e for e in PROTOCOL_EVENTS if e in seen) or ",".join(PROTOCOL_EVENTS)


def _strategy(
    opts: SearchOptions, parents: tuple[tuple[Decision, ...], ...]
) -> SearchStrategy[Schedule]:
    """The schedules one Hypothesis run draws, for the options' search mode, with storage
    damage confined to the options' ``max_damaged_nodes``."""
    strategy = _mode_strategy(opts, parents)
    if opts.max_damaged_nodes is None:
        return strategy
    return strategy.map(partial(confine_damage, limit=opts.max_damaged_nodes))


def _mode_strategy(
    opts: SearchOptions, parents: tuple[tuple[Decision, ...], ...]
) -> SearchStrategy[Schedule]:
    shape: dict[str, Any] = dict(
        nodes=opts.nodes, kinds=parse_kinds(opts.faults), horizon=opts.horizon,
        workload=opts.workload, network=opts.network, targets=opts.targets,
    )
    if opts.search == "timed":
        return fault_schedules(max_faults=opts.max_faults, **shape)
    plan: dict[str, Any] = dict(
        events=opts.events, max_decisions=min(opts.max_faults, MAX_DECISIONS)
    )
    if opts.search == "swarm":
        return swarm_schedules(max_faults=opts.max_faults, **plan, **shape)
    return decision_schedules(parents=parents, **plan, **shape)


