"""The bounded exhaustive checker: every plan of decisions up to a bound, breadth-first.

A plan is a chain of decisions from the decision alphabet
(:func:`ackcheck.app._strategies.decision_alphabet`: every protocol event crossed with
every fault of the checked kinds). Level ``d`` runs every plan of ``d`` decisions whose
first ``d-1`` are a plan kept at level ``d-1``; each run goes to the end of the
schedule and is judged by the properties, so the first violation found is one with the
fewest decisions (breadth-first: a shortest counterexample). A plan is kept, to be
extended at the next level, only if its last decision fired, the cluster's highest term
was at most ``max_terms`` when it did, and the abstract cluster state it left
(:mod:`ackcheck.sim.abstract`: node roles, terms, log shapes, commit indexes, disk
residency, links, messages in flight, canonical under renaming the nodes) was never
reached before: state hashing with node-symmetry reduction, as TLC and Stateright do.

Every plan is re-run from the start (the simulator is deterministic: same seed, same
prefix); with ``workers`` the plans of a level are split across processes and their
results taken in order, so the verdict and the counterexample do not depend on the
number of workers. What "no violation within the bound" covers is said in
docs/search.md: this alphabet, this seed's timing, this abstraction of a state.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs

from ackcheck.app._runner import (
    BUILTIN_NODE,
    RunOutcome,
    resolve_config,
    resolve_node,
    simulate_bounded,
)
from ackcheck.app._strategies import decision_alphabet, parse_events, parse_kinds, parse_targets
from ackcheck.errors import ConfigError
from ackcheck.model import PRESETS
from ackcheck.properties import REGISTRY, check
from ackcheck.schedule import US_PER_S, Decision, Schedule, Workload
from ackcheck.sim import Simulator
from ackcheck.sim.abstract import state_hash

Plan = tuple[Decision, ...]
#: Fault kinds checked unless told otherwise: partitions (and heals) at protocol events.
DEFAULT_FAULTS = "network"
#: Plans run per task handed to a worker process.
CHUNK = 16


@attrs.frozen(kw_only=True)
class CheckOptions:
    """The bound and what is checked.

    * ``nodes``, ``seed`` (the simulator seed: message delays and election timeouts),
      ``duration`` (µs of the fault phase), ``settle``, ``writes`` (per client; one
      client per node): the schedule every plan runs on;
    * ``max_faults``: the most decisions in a plan (the depth); ``max_terms``: a plan is
      extended only while its decisions fire in terms up to this;
    * ``faults``, ``events``, ``targets``: the decision alphabet (kinds or groups,
      protocol events, file targets);
    * ``properties``: checked on every run (None: the defaults);
    * ``workers``: processes that run the plans of a level.
    """

    nodes: int = 3
    seed: int = 0
    duration: int = 2 * US_PER_S
    settle: int = 1 * US_PER_S
    writes: int = 6
    max_faults: int = 3
    max_terms: int = 4
    faults: str | None = DEFAULT_FAULTS
    events: str | None = None
    targets: str | None = None
    properties: tuple[str, ...] | None = None
    workers: int = 1

    def __attrs_post_init__(self) -> None:
        for name in ("nodes", "workers", "writes"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name.replace('_', '-')} must be >= 1, got "
                                  f"{getattr(self, name)}")
        for name in ("max_faults", "max_terms", "duration", "settle"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name.replace('_', '-')} must be >= 0, got "
                                  f"{getattr(self, name)}")
        parse_kinds(self.faults)
        parse_events(self.events)
        parse_targets(self.targets)
        unknown = [p for p in self.properties or () if p not in REGISTRY]
        if unknown:
            raise ConfigError(
                f"unknown property {unknown[0]!r}; known: {', '.join(sorted(REGISTRY))}"
            )

    def base(self) -> Schedule:
        """The schedule every plan runs on (one client per node)."""
        return Schedule(
            nodes=self.nodes, seed=self.seed, duration=self.duration, settle=self.settle,
            workload=Workload(clients=self.nodes, writes=self.writes * self.nodes),
        )

    def alphabet(self) -> tuple[Decision, ...]:
        return decision_alphabet(self.nodes, self.faults, self.events, self.targets)


@attrs.frozen
class CheckStats:
    explored: int  # plans run (each a state reached by a decision, or the empty plan)
    distinct: int  # distinct abstract states kept
    depth: int  # the deepest level run
    seconds: float
    alphabet: int  # decisions per level per kept plan
    pruned_terms: int  # plans not extended: their decision fired past max_terms
    complete: bool  # every level up to max_faults was run (no violation stopped it)

    @property
    def states_per_second(self) -> float:
        return self.explored / self.seconds if self.seconds > 0 else 0.0


@attrs.frozen
class CheckResult:
    options: CheckOptions
    stats: CheckStats
    counterexample: tuple[Schedule, RunOutcome] | None

    @property
    def ok(self) -> bool:
        return self.counterexample is None


@attrs.frozen
class _Ran:
    """What one plan's run tells the search."""

    violated: tuple[str, ...]
    fired: bool  # its last decision fired
    term: int  # the highest term when it did
    state: str  # the abstract cluster state then (hash)


# ---------------------------------------------------------------- running one plan


@attrs.frozen
class _Job:
    """What every run of one check needs; pickled once to each worker."""

    config: Any
    node: Any
    base: Schedule
    properties: tuple[str, ...] | None


_JOB: _Job | None = None  # set in each worker process by _init


def _init(job: _Job) -> None:
    global _JOB
    _JOB = job


def _run(job: _Job, plan: Plan) -> tuple[_Ran, RunOutcome]:
    schedule = attrs.evolve(job.base, decisions=plan)
    seen: list[tuple[int, str]] = []
    last = len(plan) - 1

    def decided(sim: Simulator, index: int) -> None:
        if index == last:
            terms = [s.node.state().term for s in sim.processes.slots if s.node is not None]
            seen.append((max(terms, default=0), state_hash(sim.cluster_state())))

    result = simulate_bounded(
        schedule, resolve_node(job.node), job.config, record_events=False, digest=False,
        on_decision=decided if plan else None,
    )
    violations = tuple(check(result.history, job.properties))
    term, state = seen[0] if seen else (0, "")
    ran = _Ran(tuple(v.property for v in violations), bool(seen), term, state)
    return ran, RunOutcome(result.history, result.digest, violations)


def _run_chunk(plans: Sequence[Plan]) -> list[_Ran]:
    assert _JOB is not None
    return [_run(_JOB, p)[0] for p in plans]


# ------------------------------------------------------------------ the search


def check_bounded(
    preset_or_config: Any,
    options: CheckOptions,
    *,
    node: str = BUILTIN_NODE,
    overrides: Sequence[str] = (),
    progress: Callable[[CheckStats], None] | None = None,
) -> CheckResult:
    """Run every plan within ``options``' bound, breadth-first; stop at the first
    violation (one with the fewest decisions) or when the bound is exhausted."""
    _preset, config = resolve_config(preset_or_config, overrides, node)
    resolve_node(node)
    job = _Job(config, node, options.base(), options.properties)
    alphabet = options.alphabet()
    started = time.monotonic()
    explored = pruned = depth = 0
    seen: set[str] = set()
    frontier: list[Plan] = [()]
    found: Plan | None = None

    def stats(complete: bool) -> CheckStats:
        return CheckStats(explored, len(seen), depth, time.monotonic() - started,
                          len(alphabet), pruned, complete)

    with _Runner(job, options.workers) as runner:
        for depth in range(options.max_faults + 1):
            level: list[Plan] = (
                [()] if depth == 0 else [(*p, d) for p in frontier for d in alphabet]
            )
            frontier = []
            for plan, ran in zip(level, runner.run(level), strict=False):
                explored += 1
                if progress is not None and explored % 50 == 0:
                    progress(stats(False))
                if ran.violated:
                    found = plan
                    break
                if not ran.fired and depth > 0:
                    continue  # its last decision never fired: the run of its parent
                if ran.term > options.max_terms:
                    pruned += 1
                    continue
                if depth == 0 or ran.state not in seen:
                    if depth > 0:
                        seen.add(ran.state)
                    frontier.append(plan)
            if found is not None or not frontier:
                break
    final = stats(found is None)
    if found is None:
        return CheckResult(options, final, None)
    outcome = _run(job, found)[1]
    # Several properties may fail in one run; a preset's known violation is named first.
    known = PRESETS[_preset].known_violation if _preset in PRESETS else None
    ordered = sorted(outcome.violations, key=lambda v: v.property != known)
    outcome = attrs.evolve(outcome, violations=tuple(ordered))
    return CheckResult(options, final, (attrs.evolve(job.base, decisions=found), outcome))


class _Runner:
    """Runs the plans of a level in this process or in ``workers`` spawned ones,
    yielding results in the plans' order either way."""

    def __init__(self, job: _Job, workers: int) -> None:
        self._job = job
        self._workers = workers
        self._pool: Any = None

    def __enter__(self) -> _Runner:
        if self._workers > 1:
            ctx = mp.get_context("spawn")
            self._pool = ctx.Pool(self._workers, initializer=_init, initargs=(self._job,))
        return self

    def run(self, plans: list[Plan]) -> Iterator[_Ran]:
        if self._pool is None:
            for plan in plans:
                yield _run(self._job, plan)[0]
            return
        chunks = [plans[i:i + CHUNK] for i in range(0, len(plans), CHUNK)]
        for results in self._pool.imap(_run_chunk, chunks):
            yield from results

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
