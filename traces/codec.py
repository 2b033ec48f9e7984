"""Plain-data encoding of schedules and histories (JSON-safe dicts and back).

Kept apart from file handling so that the schema, the byte-stable writer and the
renderers all share one mapping between the attrs vocabulary and what a file holds.
Decoding assumes the document already passed the JSON Schema; it still turns every
constructor complaint into a :class:`TraceError` naming where it happened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ackcheck.canonical import canonical
from ackcheck.errors import ConfigError, TraceError
from ackcheck.history import (
    Event,
    FaultEvent,
    FinalRead,
    History,
    Loss,
    Observation,
    Op,
    Residency,
)
from ackcheck.node import NodeState
from ackcheck.schedule import (
    FAULT_KINDS,
    Decision,
    Fault,
    NetworkSpec,
    Schedule,
    TimedFault,
    Workload,
)

# ------------------------------------------------------------------ generic values


def frozen(value: Any) -> Any:
    """JSON arrays back to tuples, so loaded observation data compares like a node's own
    (nodes report tuples). Event data stays as loaded: the simulator records it already
    JSON-shaped (lists), so a loaded event equals the recorded one."""
    if isinstance(value, list):
        return tuple(frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: frozen(v) for k, v in value.items()}
    return value


# ------------------------------------------------------------------------ faults


def fault_to_dict(fault: Fault) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": fault.kind}
    for field in attrs.fields(type(fault)):
        out[field.name] = canonical(getattr(fault, field.name))
    return out


def fault_from_dict(d: Mapping[str, Any], where: str) -> Fault:
    kind = d.get("kind")
    cls = FAULT_KINDS.get(kind)  # type: ignore[arg-type]
    if cls is None:
        known = ", ".join(FAULT_KINDS)
        raise TraceError(f"{where}: unknown fault kind {kind!r}; known: {known}")
    kwargs: dict[str, Any] = {}
    for field in attrs.fields(cls):
        if field.name in d:
            kwargs[field.name] = d[field.name]
        elif field.default is attrs.NOTHING:
            raise TraceError(f"{where}: {kind} fault lacks field {field.name!r}")
    try:
        return cls(**kwargs)
    except (ConfigError, TypeError, ValueError) as exc:
        raise TraceError(f"{where}: bad {kind} fault: {exc}") from None


def decision_to_dict(decision: Decision) -> dict[str, Any]:
    return {
        "event": decision.event,
        "count": decision.count,
        "fault": fault_to_dict(decision.fault),
        "recover": decision.recover,
    }


def decision_from_dict(d: Mapping[str, Any], where: str) -> Decision:
    fault = fault_from_dict(d["fault"], f"{where}.fault")
    return Decision(event=d["event"], count=d.get("count", 1), fault=fault,
                    recover=d.get("recover"))


# ---------------------------------------------------------------------- schedule


def schedule_to_dict(schedule: Schedule) -> dict[str, Any]:
    """The schedule as the trace file holds it; faults as ``{"at", "kind", <fields>}``,
    decisions (format 1.1; left out when there are none, so a timed schedule reads as
    it did in 1.0) as ``{"event", "count", "fault", "recover"}``."""
    out = {
        "nodes": schedule.nodes,
        "seed": schedule.seed,
        "duration": schedule.duration,
        "settle": schedule.settle,
        "network": canonical(attrs.asdict(schedule.network)),
        "workload": canonical(_workload_dict(schedule.workload)),
        "faults": [{"at": tf.at, **fault_to_dict(tf.fault)} for tf in schedule.faults],
    }
    if schedule.decisions:
        out["decisions"] = [decision_to_dict(d) for d in schedule.decisions]
    return out


def _workload_dict(workload: Workload) -> dict[str, Any]:
    """``warm`` only when set, so traces of cold runs stay byte for byte as before."""
    d = attrs.asdict(workload)
    if not d.get("warm"):
        d.pop("warm", None)
    return d


def _known(cls: type, d: Mapping[str, Any]) -> dict[str, Any]:
    """Only the fields ``cls`` has: a newer minor version may add others, and we ignore them."""
    names = {f.name for f in attrs.fields(cls)}
    return {k: v for k, v in d.items() if k in names}


def schedule_from_dict(d: Mapping[str, Any]) -> Schedule:
    """Inverse of :func:`schedule_to_dict`. Raises :class:`TraceError` with the reason
    (for example a fault naming node 9 of a 5-node cluster)."""
    try:
        faults = tuple(
            TimedFault(at=f["at"], fault=fault_from_dict(f, f"schedule.faults[{i}]"))
            for i, f in enumerate(d.get("faults", ()))
        )
        decisions = tuple(
            decision_from_dict(x, f"schedule.decisions[{i}]")
            for i, x in enumerate(d.get("decisions", ()))
        )
        return Schedule(
            nodes=d["nodes"],
            seed=d["seed"],
            duration=d["duration"],
            settle=d["settle"],
            network=NetworkSpec(**_known(NetworkSpec, d.get("network", {}))),
            workload=Workload(**_known(Workload, d.get("workload", {}))),
            faults=faults,
            decisions=decisions,
        )
    except ConfigError as exc:
        raise TraceError(f"schedule: {exc}") from None
    except (KeyError, TypeError) as exc:
        raise TraceError(f"schedule: malformed ({exc})") from None


# ----------------------------------------------------------------------- history


def _op_to_dict(op: Op) -> dict[str, Any]:
    return canonical(attrs.asdict(op))  # type: ignore[no-any-return]


def _state_to_dict(state: NodeState | None) -> dict[str, Any] | None:
    return None if state is None else canonical(attrs.asdict(state))


def history_to_dict(history: History) -> dict[str, Any]:
    """Every history part a renderer or a re-check needs, except the events (stored apart)."""
    return {
        "nodes": history.nodes,
        "ops": [_op_to_dict(op) for op in history.ops],
        "faults": [
            {
                "time": fe.time,
                "fault": fault_to_dict(fe.fault),
                "applied": fe.applied,
                "note": fe.note,
            }
            for fe in history.faults
        ],
        "observations": [canonical(attrs.asdict(o, recurse=False)) for o in history.observations],
        "final_reads": [canonical(attrs.asdict(r)) for r in history.final_reads],
        "final_states": [_state_to_dict(s) for s in history.final_states],
        "residency": [canonical(attrs.asdict(r)) for r in history.residency],
        "losses": [canonical(attrs.asdict(loss)) for loss in history.losses],
        "heal_time": history.heal_time,
        "end_time": history.end_time,
        "source": history.source,
    }


def event_to_dict(event: Event) -> dict[str, Any]:
    return {
        "time": event.time,
        "actor": event.actor,
        "kind": event.kind,
        "data": canonical(event.data),
        "lamport": event.lamport,
    }


def events_to_list(events: Sequence[Event]) -> list[dict[str, Any]]:
    return [event_to_dict(e) for e in events]


def _pairs(rows: Sequence[Sequence[Any]]) -> tuple[tuple[int, str], ...]:
    return tuple((int(a), str(b)) for a, b in rows)


def history_from_dict(d: Mapping[str, Any], events: Sequence[Mapping[str, Any]]) -> History:
    """Inverse of :func:`history_to_dict` (plus the events)."""
    try:
        return History(
            nodes=d["nodes"],
            ops=tuple(Op(**_known(Op, o)) for o in d.get("ops", ())),
            faults=tuple(
                FaultEvent(
                    time=f["time"],
                    fault=fault_from_dict(f["fault"], f"history.faults[{i}]"),
                    applied=f.get("applied", True),
                    note=f.get("note", ""),
                )
                for i, f in enumerate(d.get("faults", ()))
            ),
            observations=tuple(
                Observation(
                    time=o["time"], node=o["node"], kind=o["kind"], data=frozen(o.get("data", {}))
                )
                for o in d.get("observations", ())
            ),
            final_reads=tuple(
                FinalRead(
                    node=r["node"],
                    entries=_pairs(r.get("entries", ())),
                    complete=r.get("complete", True),
                    error=r.get("error", ""),
                )
                for r in d.get("final_reads", ())
            ),
            final_states=tuple(
                None
                if s is None
                else NodeState(
                    **{
                        **_known(NodeState, s),
                        "log": tuple(tuple(e) for e in s.get("log", ())),
                    }
                )
                for s in d.get("final_states", ())
            ),
            residency=tuple(
                Residency(
                    time=r["time"],
                    cause=r["cause"],
                    node=r["node"],
                    durable=tuple(r.get("durable", ())),
                    cached=tuple(r.get("cached", ())),
                )
                for r in d.get("residency", ())
            ),
            losses=tuple(
                Loss(
                    time=x["time"],
                    node=x["node"],
                    file=x["file"],
                    values=tuple(x.get("values", ())),
                    cause=x["cause"],
                )
                for x in d.get("losses", ())
            ),
            events=tuple(
                Event(
                    time=e["time"],
                    actor=e["actor"],
                    kind=e["kind"],
                    data=e.get("data", {}),
                    lamport=e.get("lamport", 0),
                )
                for e in events
            ),
            heal_time=d.get("heal_time", 0),
            end_time=d.get("end_time", 0),
            source=d.get("source", "sim"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise TraceError(f"history: malformed ({type(exc).__name__}: {exc})") from None
