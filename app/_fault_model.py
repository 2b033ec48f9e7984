"""A preset's fault model applied to a search: what ``explore`` may inject by default.

A preset states the faults it claims to survive (:class:`ackcheck.model.FaultModel`):
kinds, and where storage damage may land. A search stays inside that claim unless asked
to go beyond it (``beyond_fault_model``), so that a violation found by default is a
broken claim, not a fault the preset never promised to survive. Damage "on a minority"
is enforced by :func:`confine_damage` on each generated schedule: the first nodes that
damage faults name are the damaged ones for the whole run, as Jepsen's file-corruption
nemesis fixes its minority once per test.
"""

from __future__ import annotations

from typing import Any

import attrs

from ackcheck.app._options import SearchOptions
from ackcheck.app._strategies import parse_kinds, parse_targets
from ackcheck.errors import ConfigError
from ackcheck.model import PRESETS, FaultModel
from ackcheck.model.presets import kinds_text
from ackcheck.schedule import FAULT_KINDS, FILE_TARGETS, Schedule, TimedFault

#: Storage damage: the fault kinds that name a file (bit flips, latent sector errors,
#: misdirected writes). Torn writes are crashes: they cut only bytes never fsynced.
DAMAGE_KINDS: tuple[str, ...] = tuple(
    kind for kind, cls in FAULT_KINDS.items() if "target" in attrs.fields_dict(cls)
)


def damage_limit(model: FaultModel, nodes: int) -> int | None:
    """How many distinct nodes storage damage may hit in a ``nodes``-node run (None:
    any)."""
    return None if model.damage == "any" else (nodes - 1) // 2


def within_fault_model(preset: str | None, options: SearchOptions) -> SearchOptions:
    """``options`` confined to ``preset``'s fault model: its kinds and file targets when
    none are given, and its damage bound. Kinds or targets it does not claim are a
    :class:`ConfigError` unless ``options.beyond_fault_model``; a config that is not a
    preset has no model."""
    if preset is None or options.beyond_fault_model or preset not in PRESETS:
        return options
    model = PRESETS[preset].fault_model
    kinds = _claimed(preset, model, options.faults, model.kinds, parse_kinds, "{}")
    targets = _claimed(preset, model, options.targets, model.targets, parse_targets,
                       "damage to {} files")
    limit = damage_limit(model, options.nodes)
    if options.max_damaged_nodes is not None and limit is not None:
        limit = min(limit, options.max_damaged_nodes)
    elif limit is None:
        limit = options.max_damaged_nodes
    return options.evolve(faults=",".join(kinds), targets=",".join(targets),
                          max_damaged_nodes=limit)


def _claimed(preset: str, model: FaultModel, given: str | None, claimed: tuple[str, ...],
             parse: Any, what: str) -> tuple[str, ...]:
    """``given`` (or all of ``claimed`` when None), each of which ``model`` must claim."""
    chosen: tuple[str, ...] = claimed if given is None else parse(given)
    outside = [x for x in chosen if x not in claimed]
    if outside:
        raise ConfigError(
            f"{what.format(', '.join(outside))} outside {preset}'s fault model "
            f"({model.describe()}); pass --beyond-fault-model (beyond_fault_model=True) "
            "to search it anyway"
        )
    return chosen


def confine_damage(schedule: Schedule, limit: int) -> Schedule:
    """``schedule`` with storage damage on at most ``limit`` distinct nodes: the first
    ``limit`` nodes damage faults name, in schedule order; a damage fault naming another
    node is moved onto one of them (its node modulo their number). With ``limit`` 0 the
    damage faults are dropped. A decision names nodes relative to the node whose event
    it waits for, so where it lands is known only when it fires: of the decisions that
    damage storage, only the first ``limit`` are kept (each damages one node)."""
    schedule = _confine_decided_damage(schedule, limit)
    damaged: list[int] = []
    faults: list[TimedFault] = []
    for tf in schedule.faults:
        fault = tf.fault
        if fault.kind in DAMAGE_KINDS:
            node: int = fault.node  # type: ignore[attr-defined]
            if node not in damaged:
                if len(damaged) < limit:
                    damaged.append(node)
                elif not damaged:
                    continue
                else:
                    moved = {"node": damaged[node % len(damaged)]}
                    tf = TimedFault(tf.at, attrs.evolve(fault, **moved))
        faults.append(tf)
    if len(faults) == len(schedule.faults) and all(
        a is b for a, b in zip(faults, schedule.faults, strict=True)
    ):
        return schedule
    return attrs.evolve(schedule, faults=tuple(faults))


def _confine_decided_damage(schedule: Schedule, limit: int) -> Schedule:
    kept, damaging = [], 0
    for decision in schedule.decisions:
        if decision.fault.kind in DAMAGE_KINDS:
            damaging += 1
            if damaging > limit:
                continue
        kept.append(decision)
    if len(kept) == len(schedule.decisions):
        return schedule
    return attrs.evolve(schedule, decisions=tuple(kept))


def describe(preset: str | None, options: SearchOptions) -> str | None:
    """One line for the explore summary: inside which fault model the search stayed,
    or that it went beyond the preset's."""
    if preset is None or preset not in PRESETS:
        return None
    model = PRESETS[preset].fault_model
    if options.beyond_fault_model:
        return f"beyond {preset}'s fault model, on purpose (it claims: {model.describe()})"
    bound = options.max_damaged_nodes
    where = (
        "any nodes" if bound is None
        else f"at most {bound} of {options.nodes} nodes, fixed per run"
    )
    kinds = kinds_text(parse_kinds(options.faults))
    targets = parse_targets(options.targets)
    files = "" if targets == FILE_TARGETS else f" (to {', '.join(targets)} files)"
    return f"within {preset}'s fault model: {kinds}; storage damage{files} on {where}"


def as_dict(preset: str | None, options: SearchOptions) -> dict[str, Any] | None:
    """The same for ``--json``."""
    if preset is None or preset not in PRESETS:
        return None
    model = PRESETS[preset].fault_model
    return {
        "claims": {"kinds": list(model.kinds), "damage": model.damage,
                   "targets": list(model.targets)},
        "within": not options.beyond_fault_model,
        "kinds": list(parse_kinds(options.faults)),
        "targets": list(parse_targets(options.targets)),
        "max_damaged_nodes": options.max_damaged_nodes,
    }
