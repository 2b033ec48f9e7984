"""Hypothesis strategies for fault schedules, decision plans and workloads.

Built to shrink well (Hypothesis' "strategies that shrink" guide): a schedule is one
flat list of timed events; each event draws its fields together; kinds and node choices
are ordered from benign to severe so shrinking walks towards the simplest fault; and the
interpreters are total (an event that makes no sense at its time is a no-op), so nothing
here filters.

Decision plans (:func:`decision_plans`) are lists drawn from a finite *decision
alphabet* (:func:`decision_alphabet`): every protocol event crossed with every fault of
the searched kinds, each field taking the few values :func:`_choices` lists for its
domain (every node, and the simplest value otherwise). The bounded checker enumerates
the same alphabet. Swarm testing (:func:`swarm_schedules`) lets each example use a random
part of the fault kinds, of the protocol events, and of the two ways of placing faults
(at times, at protocol events), so that a rare combination is not drowned by the common
faults.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from typing import Any

import attrs
from hypothesis import strategies as st

import ackcheck.app._profiles  # noqa: F401  (registers the settings profiles)
from ackcheck.errors import ConfigError
from ackcheck.schedule import (
    FAULT_GROUPS,
    FAULT_KINDS,
    FAULT_TYPES,
    FILE_TARGETS,
    PARTITION_SHAPES,
    PROTOCOL_EVENTS,
    US_PER_S,
    Decision,
    Fault,
    NetworkSpec,
    Schedule,
    TimedFault,
    Workload,
)

#: The kinds ``explore`` uses unless told otherwise: everything a real disk, network and
#: operator can do to a node, except the opt-in kinds (misdirected writes need a model
#: of where a write could land that most protocols do not claim to survive).
DEFAULT_KINDS: tuple[str, ...] = tuple(t.kind for t in FAULT_TYPES if not t.opt_in)
KIND_GROUPS = FAULT_GROUPS


def parse_kinds(spec: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"crash,partition"`` or a group name -> kinds in benign-to-severe order."""
    if spec is None:
        return DEFAULT_KINDS
    items = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else list(spec)
    chosen: set[str] = set()
    for item in items:
        if not item:
            continue
        if item in KIND_GROUPS:
            chosen.update(KIND_GROUPS[item])
        elif item in FAULT_KINDS:
            chosen.add(item)
        else:
            known = ", ".join([*FAULT_KINDS, *KIND_GROUPS])
            raise ConfigError(f"unknown fault kind {item!r}; known: {known}")
    if not chosen:
        raise ConfigError("no fault kinds given")
    return tuple(k for k in FAULT_KINDS if k in chosen)


@st.composite
def _node_sets(draw: st.DrawFn, nodes: int) -> tuple[int, ...]:
    """One node, then a minority, then everyone. Severity is drawn first and every
    branch draws a node, so that (shortlex-minimal choice sequences being what
    Hypothesis shrinks to) a single node is simpler than everyone."""
    severity = draw(st.integers(0, 2))
    first = draw(st.integers(0, nodes - 1))
    if severity == 0 or nodes == 1:
        return (first,)
    if severity == 2:
        return tuple(range(nodes))
    size = max(1, (nodes - 1) // 2)
    rest = draw(st.lists(st.integers(0, nodes - 1), max_size=size - 1, unique=True))
    return tuple(sorted({first, *rest}))


def parse_targets(spec: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"log,snapshot"`` -> the file targets corruption faults may hit."""
    if spec is None:
        return FILE_TARGETS
    items = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else list(spec)
    unknown = [t for t in items if t not in FILE_TARGETS]
    if unknown or not items:
        raise ConfigError(
            f"unknown file target {unknown[0] if unknown else ''!r}; "
            f"known: {', '.join(FILE_TARGETS)}"
        )
    return tuple(t for t in FILE_TARGETS if t in items)


def _domains(nodes: int, targets: tuple[str, ...]) -> dict[str, st.SearchStrategy[Any]]:
    """The strategy for each field domain a fault class declares (:func:`drawn`), each
    ordered so that it shrinks towards the simplest value."""
    node = st.integers(0, nodes - 1)
    return {
        "node": node,
        "node-list": st.lists(node, min_size=1, max_size=max(1, nodes - 1), unique=True).map(
            tuple
        ),
        "node-set": _node_sets(nodes),
        "shape": st.sampled_from(PARTITION_SHAPES),
        "keep": st.integers(0, 1 << 16),
        "target": st.sampled_from(targets),
        "file-index": st.integers(0, 7),
        "offset": st.integers(0, 1 << 20),
        "bit": st.integers(0, 7),
        "length": st.integers(1, 4096),
    }


def _choices(nodes: int, targets: tuple[str, ...]) -> dict[str, tuple[Any, ...]]:
    """The values each field domain takes in the decision alphabet: every node (ids are
    relative to the node that had the event, so 0 is that node), the node on its own or
    with one other (a minority of two, in clusters of four or more) for a partition,
    that node or everyone for a power failure, a file's first two bytes (the low bytes of
    the first record's length: byte 1 makes the record run past the end of a small
    block, which a naive recovery takes for a torn write) and one further in (997, a
    prime: taken modulo the file's size it lands inside the data rather than on its
    first header), and otherwise the simplest value (the one Hypothesis shrinks
    to): split partitions, the first file of a target, bit 0."""
    pairs = tuple((0, j) for j in range(1, nodes)) if nodes >= 4 else ()
    return {
        "node": tuple(range(nodes)),
        "node-list": ((0,), *pairs),
        "node-set": ((0,), tuple(range(nodes))) if nodes > 1 else ((0,),),
        "shape": PARTITION_SHAPES[:1],
        "keep": (0,),
        "target": targets,
        "file-index": (0,),
        "offset": (0, 1, 997),
        "bit": (0,),
        "length": (512,),
    }


def _instances(kind: str, nodes: int, targets: tuple[str, ...]) -> list[Fault]:
    """Every fault of ``kind`` whose fields take their :func:`_choices` values."""
    cls = FAULT_KINDS[kind]
    choices = _choices(nodes, targets)
    fields = attrs.fields(cls)
    combos = itertools.product(*(choices[f.metadata["domain"]] for f in fields))
    faults = [cls(**{f.name: v for f, v in zip(fields, combo, strict=True)}) for combo in combos]
    return list(dict.fromkeys(faults))  # converters may make two the same


def decision_alphabet(
    nodes: int,
    kinds: str | Sequence[str] | None = None,
    events: Sequence[str] | None = None,
    targets: str | Sequence[str] | None = None,
) -> tuple[Decision, ...]:
    """Every decision a plan may take, ordered from benign to severe (Hypothesis'
    ``sampled_from`` shrinks towards the front): by fault kind, then fault, then event.
    A decision fires on the first event of its kind after the previous one (count 1);
    faults that stop a process also come with an immediate restart (``recover=0``: the
    node loses what it kept only in memory), which a plain pause or partition would
    undo at once and so do not."""
    chosen = parse_kinds(kinds)
    files = parse_targets(targets)
    names = tuple(PROTOCOL_EVENTS) if events is None else parse_events(events)
    out: list[Decision] = []
    for kind in chosen:
        cls = FAULT_KINDS[kind]
        recovers: tuple[int | None, ...] = (None, 0) if cls.effect == "down" else (None,)
        for fault in _instances(kind, nodes, files):
            for recover in recovers:
                if recover is not None and not fault.recovery():
                    continue
                out.extend(Decision(e, 1, fault, recover) for e in names)
    return tuple(out)


def parse_events(spec: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"leader,commit"`` -> protocol events in their own order (None: all of them)."""
    if spec is None:
        return tuple(PROTOCOL_EVENTS)
    items = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else list(spec)
    unknown = [e for e in items if e and e not in PROTOCOL_EVENTS]
    chosen = {e for e in items if e}
    if unknown or not chosen:
        raise ConfigError(
            f"unknown protocol event {unknown[0] if unknown else ''!r}; "
            f"known: {', '.join(PROTOCOL_EVENTS)}"
        )
    return tuple(e for e in PROTOCOL_EVENTS if e in chosen)


def decision_plans(
    *,
    nodes: int = 5,
    kinds: str | Sequence[str] | None = None,
    events: Sequence[str] | None = None,
    targets: str | Sequence[str] | None = None,
    min_decisions: int = 0,
    max_decisions: int = 4,
) -> st.SearchStrategy[tuple[Decision, ...]]:
    """Plans of ``min_decisions`` to ``max_decisions`` decisions from
    :func:`decision_alphabet`, shrinking towards fewer, earlier-listed (milder) ones."""
    if not 0 <= min_decisions <= max_decisions:
        raise ConfigError(
            f"need 0 <= min decisions <= max decisions, got {min_decisions}..{max_decisions}"
        )
    steps = st.sampled_from(decision_alphabet(nodes, kinds, events, targets))
    return st.lists(steps, min_size=min_decisions, max_size=max_decisions).map(tuple)


def fault_strategy(
    kind: str, nodes: int, targets: tuple[str, ...] = FILE_TARGETS
) -> st.SearchStrategy[Fault]:
    """Faults of one kind, built from the domains its class declares for its fields."""
    cls = FAULT_KINDS.get(kind)
    if cls is None:
        raise ConfigError(f"unknown fault kind {kind!r}")
    fields = attrs.fields(cls)
    if not fields:
        return st.just(cls())
    domains = _domains(nodes, targets)
    return st.builds(cls, **{f.name: domains[f.metadata["domain"]] for f in fields})


#: Fault times are drawn as a slot (one of about this many equal slices of the horizon)
#: plus an offset in the slot; see :func:`fault_times`.
TIME_SLOTS = 200


def fault_times(horizon: int) -> st.SearchStrategy[int]:
    """Times in ``[0, horizon]``, spread evenly over the horizon, shrinking to 0.

    ``st.integers(0, horizon)`` draws most values near 0 (Hypothesis 6.15x favours small
    integers: about 3 in 4 fall in the first 5 % of a 2 s horizon, before a cluster has
    even elected a leader), so faults rarely met the elections and acked writes that come
    later. A slot drawn from ~200 (uniformly: Hypothesis draws integers up to 256
    uniformly) plus an offset in it spreads them evenly; both parts still shrink to 0, and
    a shrunk time ends up on a slot boundary (round numbers)."""
    step = max(1, -(-horizon // TIME_SLOTS))
    return st.builds(
        lambda slot, offset: min(horizon, slot * step + offset),
        st.integers(0, horizon // step),
        st.integers(0, step - 1),
    )


def fault_groups(
    *,
    nodes: int = 5,
    kinds: str | Sequence[str] | None = None,
    horizon: int = 2 * US_PER_S,
    targets: str | Sequence[str] | None = None,
) -> st.SearchStrategy[tuple[TimedFault, ...]]:
    """One fault at a time in ``[0, horizon]``, with an optional recovery some time
    later (a node that crashed comes back, a partition heals) drawn with it as one unit.

    Drawing the pair together is what lets random search reach states like "crash,
    then restart while the others moved on" without needing two independent lucky
    draws; the recovery shrinks to "none" (the final phase restarts and heals anyway)."""
    if nodes < 1:
        raise ConfigError(f"nodes must be >= 1, got {nodes}")
    if horizon < 0:
        raise ConfigError(f"horizon must be >= 0, got {horizon}")
    chosen = parse_kinds(kinds)
    files = parse_targets(targets)
    faults = st.one_of([fault_strategy(k, nodes, files) for k in chosen])
    after = st.one_of(st.none(), st.integers(1_000, max(1_000, horizon)))

    def build(at: int, fault: Fault, delay: int | None) -> tuple[TimedFault, ...]:
        first = TimedFault(at, fault)
        if delay is None:
            return (first,)
        return (first, *(TimedFault(at + delay, r) for r in fault.recovery()))

    return st.builds(build, fault_times(horizon), faults, after)


def workloads(
    *,
    clients: int | st.SearchStrategy[int] = 3,
    writes: int | st.SearchStrategy[int] = 50,
    interval: int = 20_000,
    timeout: int = 200_000,
) -> st.SearchStrategy[Workload]:
    """Publishing workloads; fixed by default so that only faults vary (then one
    ``st.just``: every constant drawn through ``st.builds`` costs a draw per example)."""
    if isinstance(clients, int) and isinstance(writes, int):
        return st.just(Workload(clients=clients, writes=writes, interval=interval,
                                timeout=timeout))
    as_strategy = lambda v: v if isinstance(v, st.SearchStrategy) else st.just(v)  # noqa: E731
    return st.builds(
        Workload,
        clients=as_strategy(clients),
        writes=as_strategy(writes),
        interval=st.just(interval),
        timeout=st.just(timeout),
    )


def fault_schedules(
    *,
    nodes: int = 5,
    kinds: str | Sequence[str] | None = None,
    min_faults: int = 0,
    max_faults: int = 8,
    horizon: int = 2 * US_PER_S,
    workload: st.SearchStrategy[Workload] | Workload | None = None,
    network: NetworkSpec | None = None,
    seeds: st.SearchStrategy[int] | None = None,
    targets: str | Sequence[str] | None = None,
) -> st.SearchStrategy[Schedule]:
    """Schedules of up to ``max_faults`` faults of ``kinds`` over ``horizon`` µs, each
    perhaps followed by its recovery (see :func:`fault_groups`); recoveries fall in the
    horizon or after it, where the final phase heals everything anyway.

    The simulator seed is drawn too (small integers, shrinking to 0) so that message
    delays and election timeouts vary between examples. It is drawn last: it re-times
    every timer and message, and drawn first the shrinker lowered it (to 0) early, after
    which faults whose only job was to re-roll the timing the old seed had given (a
    crash and restart at t=0) could no longer be deleted."""
    if not 0 <= min_faults <= max_faults:
        raise ConfigError(f"need 0 <= min_faults <= max_faults, got {min_faults}..{max_faults}")
    faults = st.lists(
        fault_groups(nodes=nodes, kinds=kinds, horizon=horizon, targets=targets),
        min_size=min_faults,
        max_size=max_faults,
    ).map(lambda groups: tuple(tf for group in groups for tf in group))
    return _schedules(nodes, horizon, network, workload, seeds, faults=faults)


def decision_schedules(
    *,
    nodes: int = 5,
    kinds: str | Sequence[str] | None = None,
    events: Sequence[str] | None = None,
    max_decisions: int = 4,
    horizon: int = 2 * US_PER_S,
    workload: st.SearchStrategy[Workload] | Workload | None = None,
    network: NetworkSpec | None = None,
    seeds: st.SearchStrategy[int] | None = None,
    targets: str | Sequence[str] | None = None,
    parents: Sequence[tuple[Decision, ...]] = (),
) -> st.SearchStrategy[Schedule]:
    """Schedules whose faults are a plan of decisions (:func:`decision_plans`) and no
    timed faults; the simulator seed is drawn last, as in :func:`fault_schedules`.

    With ``parents`` (plans that reached new abstract states), half the examples extend
    one of them by one or two decisions, the way a coverage-guided fuzzer grows its
    corpus; ``parents`` must stay the same for the life of the strategy, so that
    Hypothesis' replay of an example draws the same plan."""
    # At least one decision: a plan without any would only rerun the fault-free run
    # (shrink_plan may still delete the last decision of a counterexample).
    plans = decision_plans(nodes=nodes, kinds=kinds, events=events, targets=targets,
                           min_decisions=min(1, max_decisions), max_decisions=max_decisions)
    grown = [p for p in parents if len(p) < max_decisions]
    if grown:
        more = decision_plans(nodes=nodes, kinds=kinds, events=events, targets=targets,
                              min_decisions=1, max_decisions=2)
        plans = st.one_of(
            plans,
            st.builds(lambda parent, extra: (parent + extra)[:max_decisions],
                      st.sampled_from(grown), more),
        )
    return _schedules(nodes, horizon, network, workload, seeds, decisions=plans)


def _schedules(
    nodes: int,
    horizon: int,
    network: NetworkSpec | None,
    workload: st.SearchStrategy[Workload] | Workload | None,
    seeds: st.SearchStrategy[int] | None,
    **faults: st.SearchStrategy[Any],
) -> st.SearchStrategy[Schedule]:
    """Schedules of one shape whose ``faults`` or ``decisions`` the caller draws; the
    simulator seed is drawn last (see :func:`fault_schedules`). The constant fields are
    bound beforehand, not drawn (``st.just``): the same choices for a few draws less."""
    shape = functools.partial(Schedule, nodes=nodes, duration=horizon,
                              network=network or NetworkSpec())
    return st.builds(
        shape,
        workload=_workload_strategy(workload),
        **faults,
        seed=seeds if seeds is not None else st.integers(0, 1 << 16),
    )


def _workload_strategy(
    workload: st.SearchStrategy[Workload] | Workload | None,
) -> st.SearchStrategy[Workload]:
    if workload is None:
        return workloads()
    if isinstance(workload, Workload):
        return st.just(workload)
    return workload


@st.composite
def swarm_schedules(
    draw: st.DrawFn,
    *,
    nodes: int = 5,
    kinds: str | Sequence[str] | None = None,
    events: Sequence[str] | None = None,
    max_faults: int = 8,
    max_decisions: int = 4,
    horizon: int = 2 * US_PER_S,
    workload: st.SearchStrategy[Workload] | Workload | None = None,
    network: NetworkSpec | None = None,
    seeds: st.SearchStrategy[int] | None = None,
    targets: str | Sequence[str] | None = None,
) -> Schedule:
    """Swarm testing, as FoundationDB's BUGGIFY and TigerBeetle's VOPR do it: each
    example first leaves out each fault kind, each protocol event, and either of timed
    faults and decisions with probability 1/2 (never all of one), then draws timed
    faults (as :func:`fault_schedules`) and a plan (as :func:`decision_plans`) from what
    is left. Every flag shrinks to "kept": the simplest example uses everything."""
    all_kinds = parse_kinds(kinds)
    all_events = parse_events(events)
    kept_kinds = _kept(draw, all_kinds)
    kept_events = _kept(draw, all_events)
    timed, decided = _placements(draw)
    faults: tuple[TimedFault, ...] = ()
    if timed:
        groups = draw(st.lists(_cached_groups(nodes, kept_kinds, horizon, targets),
                               max_size=max_faults))
        faults = tuple(tf for group in groups for tf in group)
    plan: tuple[Decision, ...] = ()
    if decided:
        plan = draw(_cached_plans(nodes, kept_kinds, kept_events, targets, max_decisions))
    return Schedule(
        nodes=nodes,
        duration=horizon,
        network=network or NetworkSpec(),
        workload=draw(_workload_strategy(workload)),
        faults=faults,
        decisions=plan,
        seed=draw(seeds if seeds is not None else st.integers(0, 1 << 16)),
    )


def _kept(draw: st.DrawFn, items: tuple[str, ...]) -> tuple[str, ...]:
    """Each item left out with probability 1/2; all of them if that leaves none."""
    kept = tuple(i for i in items if not draw(st.booleans()))
    return kept or items


def _placements(draw: st.DrawFn) -> tuple[bool, bool]:
    """(timed faults, decisions): each left out with probability 1/2, not both."""
    timed, decided = not draw(st.booleans()), not draw(st.booleans())
    return (True, True) if not (timed or decided) else (timed, decided)


@functools.lru_cache(maxsize=4096)
def _cached_groups(
    nodes: int, kinds: tuple[str, ...], horizon: int, targets: str | Sequence[str] | None
) -> st.SearchStrategy[tuple[TimedFault, ...]]:
    return fault_groups(nodes=nodes, kinds=kinds, horizon=horizon, targets=targets)


@functools.lru_cache(maxsize=4096)
def _cached_plans(
    nodes: int, kinds: tuple[str, ...], events: tuple[str, ...],
    targets: str | Sequence[str] | None, max_decisions: int,
) -> st.SearchStrategy[tuple[Decision, ...]]:
    return decision_plans(nodes=nodes, kinds=kinds, events=events, targets=targets,
                          max_decisions=max_decisions)
