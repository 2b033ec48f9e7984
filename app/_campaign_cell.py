"""One campaign cell, run on a worker: sample schedules, count losses, shrink what failed.

``explore`` stops at its first counterexample; a campaign cell must not, because its
figures are rates: how many of N schedules lost acknowledged writes, and how many writes.
So a cell runs its whole budget through a Hypothesis test that never fails (generation
only, unless the spec asks for ``target()``, which would bias the rates towards failure),
keeps the smallest failing schedule of each violated property, and afterwards deletes
what it can from each (:func:`ackcheck.app._minimize.prune` and
:func:`~ackcheck.app._minimize.reseed`, within the shrink budget) and records its trace.
The result is plain data for the client, which deduplicates and saves the traces.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import time
import warnings
from collections import Counter

import attrs
from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings, target

from ackcheck import __version__
from ackcheck.app import _metrics as metrics
from ackcheck.app._build import build_description
from ackcheck.app._campaign_spec import Cell
from ackcheck.app._minimize import prune, reseed
from ackcheck.app._runner import BUILTIN_NODE, run_once
from ackcheck.app._strategies import fault_schedules, parse_kinds
from ackcheck.app._tracefiles import counterexample_trace
from ackcheck.canonical import canonical_json
from ackcheck.model import resolve_config
from ackcheck.schedule import Schedule, Workload
from ackcheck.traces import Trace
from ackcheck.traces.codec import schedule_to_dict

DURABILITY = "ack-implies-durable"
#: Hypothesis' max_examples for a cell bounded by seconds only (the clock ends it first).
UNBOUNDED = 10**9


@attrs.frozen
class CellCounterexample:
    property: str
    key: str  # hash of (property, shrunk schedule): the campaign's deduplication key
    faults: int
    trace: Trace


@attrs.frozen
class CellResult:
    cell_id: str
    examples: int
    seconds: float
    violating: dict[str, int]  # property -> examples that violated it
    violating_examples: int  # examples that violated any property
    acked: int  # acknowledged writes, summed over examples
    lost: int  # of them, lost (ack-implies-durable's "lost"), summed
    max_lost: int  # the most lost in one example
    first_violation: int | None  # 1-based number of the first violating example
    counterexamples: tuple[CellCounterexample, ...]
    worker: str
    build: str

    @property
    def verdict(self) -> str:
        return "violated" if self.violating else "holds"


class _TimeUp(BaseException):
    """Ends a cell bounded by seconds; Hypothesis lets a BaseException through."""


def counterexample_key(prop: str, schedule: Schedule) -> str:
    doc = canonical_json({"property": prop, "schedule": schedule_to_dict(schedule)})
    return hashlib.sha256(doc.encode()).hexdigest()[:16]


def _size(s: Schedule) -> tuple[int, int]:
    return (len(s.faults), sum(tf.at for tf in s.faults))


def run_cell(cell: Cell) -> CellResult:
    """Run one cell to its budget and return its figures and shrunk counterexamples."""
    config = resolve_config(cell.preset, cell.overrides)
    strategy = fault_schedules(
        nodes=cell.nodes, kinds=parse_kinds(cell.faults), max_faults=cell.max_faults,
        workload=Workload(writes=cell.writes),
    )
    violating: Counter[str] = Counter()
    smallest: dict[str, Schedule] = {}
    tally = {"examples": 0, "violating": 0, "acked": 0, "lost": 0, "max_lost": 0}
    first: list[int] = []
    started = time.monotonic()
    deadline = None if cell.seconds is None else started + cell.seconds

    def example(schedule: Schedule) -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise _TimeUp
        outcome = run_once(config, schedule, BUILTIN_NODE, cell.properties,
                           record_events=False, digest=False)
        history = outcome.history
        tally["examples"] += 1
        tally["acked"] += len(history.acked())
        if cell.targeting:
            target(float(metrics.unsynced_acked_at_fault(history)), label="unsynced-acked")
        if not outcome.violations:
            return
        tally["violating"] += 1
        if not first:
            first.append(tally["examples"])
        for v in outcome.violations:
            violating[v.property] += 1
            if v.property == DURABILITY:
                lost = len(v.data.get("lost", ()))
                tally["lost"] += lost
                tally["max_lost"] = max(tally["max_lost"], lost)
            if v.property not in smallest or _size(schedule) < _size(smallest[v.property]):
                smallest[v.property] = schedule

    phases = [Phase.generate, Phase.target] if cell.targeting else [Phase.generate]

    @settings(max_examples=cell.examples or UNBOUNDED, deadline=None, database=None,
              phases=phases, suppress_health_check=list(HealthCheck),
              verbosity=Verbosity.quiet, print_blob=False)
    @seed(cell.seed)
    @given(strategy)
    def sample(schedule: Schedule) -> None:
        example(schedule)

    with contextlib.suppress(_TimeUp), warnings.catch_warnings():
        # A Dask worker's own threads use the random module while Hypothesis draws;
        # Hypothesis would blame the strategy (ours uses only its own draws).
        warnings.filterwarnings("ignore", message="Do not use the `random` module")
        sample()
    seconds = time.monotonic() - started
    found = tuple(
        _shrink(cell, config, prop, smallest[prop]) for prop in sorted(smallest)
    )
    return CellResult(
        cell_id=cell.id,
        examples=tally["examples"],
        seconds=seconds,
        violating=dict(sorted(violating.items())),
        violating_examples=tally["violating"],
        acked=tally["acked"],
        lost=tally["lost"],
        max_lost=tally["max_lost"],
        first_violation=first[0] if first else None,
        counterexamples=tuple(ce for ce in found if ce is not None),
        worker=_where(),
        build=f"ackcheck {__version__}, {build_description()}",
    )


def _where() -> str:
    """The Dask worker's address, or this host's name outside a worker."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return socket.gethostname()


def _shrink(cell: Cell, config: object, prop: str, schedule: Schedule) -> CellCounterexample | None:
    """Delete what can be deleted from ``schedule`` while ``prop`` still fails, then
    record the run and make its trace."""
    props = cell.properties
    schedule = prune(config, schedule, prop, properties=props)
    if cell.shrink_seconds > 0:
        schedule = reseed(config, schedule, prop, properties=props,
                          max_seconds=cell.shrink_seconds)
    outcome = run_once(config, schedule, BUILTIN_NODE, props, record_events=True)
    if prop not in {v.property for v in outcome.violations}:  # pragma: no cover
        return None  # would be nondeterminism; the figures above still stand
    outcome = attrs.evolve(outcome, violations=tuple(
        sorted(outcome.violations, key=lambda v: v.property != prop)))
    trace = counterexample_trace(cell.preset, cell.overrides, config, BUILTIN_NODE, props,
                                 schedule, outcome)
    return CellCounterexample(property=prop, key=counterexample_key(prop, schedule),
                              faults=len(schedule.faults), trace=trace)
