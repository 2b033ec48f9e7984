"""The :class:`Trace`: one run, complete enough to be believed and rerun by someone else."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

import ackcheck
from ackcheck.history import History
from ackcheck.schedule import Schedule

FORMAT = "ackcheck-trace"
FORMAT_MAJOR = 1
FORMAT_MINOR = 2
FORMAT_VERSION = f"{FORMAT_MAJOR}.{FORMAT_MINOR}"


@attrs.frozen
class TraceViolation:
    """The verdict recorded in a trace (the fields of ``ackcheck.properties.Violation``).

    A copy rather than the properties' own class, so a trace loads even where the
    property that produced it no longer exists."""

    property: str
    summary: str
    details: tuple[str, ...] = ()
    data: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Trace:
    """A counterexample (or any run): config, schedule, history, events, verdict, digest.

    ``version`` is the format version of the file it came from (the current one for a
    trace built by :func:`make_trace`); ``history.events`` are the recorded events."""

    preset: str | None
    overrides: tuple[str, ...]
    config: Mapping[str, Any]
    node: str
    schedule: Schedule
    properties: tuple[str, ...] | None
    violation: TraceViolation | None
    history: History
    digest: str
    ackcheck_version: str = ackcheck.__version__
    version: str = FORMAT_VERSION

    @property
    def events(self) -> tuple[Any, ...]:
        return self.history.events


def _config_dict(config: Any) -> dict[str, Any]:
    if config is None:
        return {}
    if attrs.has(type(config)):
        return dict(attrs.asdict(config))
    if isinstance(config, Mapping):
        return dict(config)
    raise TypeError(f"config must be an attrs instance or a mapping, got {type(config)!r}")


def _violation(violation: Any) -> TraceViolation | None:
    if violation is None:
        return None
    if isinstance(violation, TraceViolation):
        return violation
    return TraceViolation(
        property=str(violation.property),
        summary=str(violation.summary),
        details=tuple(str(d) for d in violation.details),
        data=dict(violation.data),
    )


def make_trace(
    *,
    preset: str | None,
    overrides: Sequence[str],
    config: Any,
    node: str,
    schedule: Schedule,
    properties: Sequence[str] | None,
    violation: Any,
    history: History,
    digest: str,
) -> Trace:
    """Build a trace from a run. ``config`` is a ``RaftConfig`` (or any attrs config, or a
    mapping); ``violation`` an ``ackcheck.properties.Violation`` or None."""
    if not isinstance(node, str):
        raise TypeError("node must be a reference string: 'raft' or 'module:Class'")
    return Trace(
        preset=preset,
        overrides=tuple(overrides),
        config=_config_dict(config),
        node=node,
        schedule=schedule,
        properties=None if properties is None else tuple(properties),
        violation=_violation(violation),
        history=history,
        digest=digest,
    )
