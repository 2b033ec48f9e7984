"""Search for a counterexample and hand back the smallest one, saved as a trace.

:func:`explore` validates its options once, runs one search per worker
(:mod:`ackcheck.app._search`, :mod:`ackcheck.app._parallel`), then deletes the faults
Hypothesis' shrinker could not (:func:`ackcheck.app._minimize.prune`, and
:func:`~ackcheck.app._minimize.reseed` under other simulator seeds), re-runs the minimal
schedule with every event recorded and makes its trace.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from ackcheck.app._assertions import CounterexampleError
from ackcheck.app._fault_model import within_fault_model
from ackcheck.app._minimize import prune, reseed
from ackcheck.app._options import SearchOptions
from ackcheck.app._parallel import search_parallel
from ackcheck.app._paths import check_output_dir
from ackcheck.app._runner import BUILTIN_NODE, RunOutcome, resolve_config, resolve_node, run_once
from ackcheck.app._search import ExploreStats, Search, search_once
from ackcheck.app._tracefiles import counterexample_trace, save_counterexample
from ackcheck.properties import Violation
from ackcheck.schedule import Schedule
from ackcheck.traces import Trace

DEFAULT_PRESET = "nats-2.12.1"
#: Seconds :func:`~ackcheck.app._minimize.reseed` may spend at most after the search.
RESEED_SECONDS = 20.0


@attrs.frozen
class Counterexample:
    schedule: Schedule
    outcome: RunOutcome
    shrunk: bool  # False when the budget ran out before shrinking finished
    trace: Trace
    trace_path: Path | None = None

    @property
    def violation(self) -> Violation:
        return self.outcome.violations[0]


@attrs.frozen
class ExploreResult:
    preset: str | None
    config: Any
    node: str
    options: SearchOptions
    stats: ExploreStats
    counterexample: Counterexample | None
    overrides: tuple[str, ...] = ()

    @property
    def properties(self) -> tuple[str, ...] | None:
        return self.options.properties

    @property
    def ok(self) -> bool:
        return self.counterexample is None

    def raise_for_violation(self) -> None:
        """In a test: raise :class:`ackcheck.CounterexampleError` if a violation was found
        (the pytest plugin then reports it and saves its trace)."""
        ce = self.counterexample
        if ce is None:
            return
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


def explore(
    preset_or_config: Any = DEFAULT_PRESET,
    *,
    overrides: Sequence[str] = (),
    node: str = BUILTIN_NODE,
    options: SearchOptions | None = None,
    out: str | Path | None = None,
    progress: Callable[[ExploreStats], None] | None = None,
    **option_values: Any,
) -> ExploreResult:
    """Search fault schedules for a violation and return the minimal counterexample, or
    a clean pass with statistics.

    ``preset_or_config`` is a preset name (with ``knob=value`` ``overrides``) or a config
    for ``node`` (``"raft"``, or ``"module:Class"`` of your own). The search is described
    by ``options`` (:class:`ackcheck.SearchOptions`) and/or its fields as keywords
    (``examples=``, ``budget=``, ``faults=``, ``seed=``, ...; keywords win). A preset's
    search stays inside its fault model unless ``beyond_fault_model=True``. With
    ``out``, the counterexample is saved there as a trace file; ``progress`` is called
    with the running statistics.
    """
    opts = (options or SearchOptions()).evolve(**option_values)
    preset, config = resolve_config(preset_or_config, overrides, node)
    opts = within_fault_model(preset, opts)
    resolve_node(node)  # a bad reference fails here, once, not in every worker
    if out is not None:
        check_output_dir(out)  # before the search: a counterexample must not be found in vain
    spec = Search(config=config, node=node, options=opts)
    if opts.workers == 1:
        stats, found = search_once(spec, opts.seed, progress)
    else:
        stats, found = search_parallel(spec, opts.seed, opts.workers, progress)

    counterexample = None
    if found is not None:
        schedule, fast, shrunk = found
        focus = fast.violations[0].property
        props = opts.properties
        schedule = prune(config, schedule, focus, node=node, properties=props)
        schedule = reseed(config, schedule, focus, node=node, properties=props,
                          max_seconds=min(RESEED_SECONDS, opts.shrink_budget))
        counterexample = _finish(preset, tuple(overrides), config, node, props, schedule,
                                 shrunk, out, focus=focus)
    return ExploreResult(
        preset=preset,
        config=config,
        node=node,
        options=opts,
        stats=stats,
        counterexample=counterexample,
        overrides=tuple(overrides),
    )


def _finish(
    preset: str | None,
    overrides: tuple[str, ...],
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
    outcome = run_once(config, schedule, node, properties, record_events=True)
    if focus not in {v.property for v in outcome.violations}:  # pragma: no cover
        raise RuntimeError("a counterexample did not reproduce when re-run: nondeterminism")
    outcome = attrs.evolve(
        outcome,
        violations=tuple(sorted(outcome.violations, key=lambda v: v.property != focus)),
    )
    trace = counterexample_trace(preset, overrides, config, node, properties, schedule, outcome)
    path = None if out is None else save_counterexample(trace, out)
    return Counterexample(
        schedule=schedule, outcome=outcome, shrunk=shrunk, trace=trace, trace_path=path
    )
