"""Rerunning a trace in the simulator: does the digest match, does the violation come back?

A replay is how a fixed bug shows (the violation no longer reproduces) and how a reader
convinces themself a trace is real (same digest). ``--set`` reruns the same schedule
under a changed config, where a different digest is expected and said so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from ackcheck.app._runner import run_once
from ackcheck.errors import ConfigError, TraceError
from ackcheck.knobs import apply_overrides
from ackcheck.model import RaftConfig, with_overrides
from ackcheck.traces.trace import FORMAT_VERSION, Trace

EXIT_GONE, EXIT_REPRODUCES = 0, 1


@attrs.frozen
class ReplayReport:
    recorded_digest: str
    digest: str
    config_changed: bool
    expected: str | None  # the recorded violation's property, None if the run held
    violations: tuple[Any, ...]  # ackcheck.properties.Violation of the replay
    recorded_version: str = FORMAT_VERSION  # the trace format of the file replayed

    @property
    def digest_matches(self) -> bool:
        return self.digest == self.recorded_digest

    @property
    def reproduces(self) -> bool:
        """The recorded violation's property is violated again (for a trace of a run that
        held: any property is violated now)."""
        if self.expected is None:
            return bool(self.violations)
        return any(v.property == self.expected for v in self.violations)

    @property
    def exit_code(self) -> int:
        return EXIT_REPRODUCES if self.reproduces else EXIT_GONE

    def lines(self) -> list[str]:
        if self.digest_matches:
            digest = f"digest matches ({self.digest[:16]})"
        elif self.config_changed:
            digest = f"digest differs (config changed): {self.digest[:16]}"
        elif self.recorded_version != FORMAT_VERSION:
            digest = (
                f"digest differs: recorded {self.recorded_digest[:16]} by trace format "
                f"{self.recorded_version}, replayed {self.digest[:16]} by {FORMAT_VERSION} "
                "(the simulator changed between them: docs/traces.md, version history)"
            )
        else:
            digest = (
                f"digest MISMATCH: recorded {self.recorded_digest[:16]}, "
                f"replayed {self.digest[:16]} (the simulator or node changed)"
            )
        out = [digest]
        if self.reproduces:
            hit = next(
                (v for v in self.violations if v.property == self.expected), self.violations[0]
            )
            out.append(f"violation reproduces: {hit.property}: {hit.summary}")
        elif self.expected is not None:
            out.append(f"violation no longer reproduces: {self.expected} holds")
        else:
            out.append("no property violated, as recorded")
        others = [v for v in self.violations if v.property != self.expected]
        if others and self.expected is not None:
            out.append("also violated: " + ", ".join(sorted({v.property for v in others})))
        return out


def build_config(trace: Trace, overrides: Sequence[str] = ()) -> tuple[Any, dict[str, Any]]:
    """The config object ``run_once`` needs (a ``RaftConfig`` for the built-in node, the
    plain dict otherwise) and its dict form, with ``overrides`` applied.

    For the built-in node each ``knob=value`` is parsed by the model's own
    ``parse_knob`` (as ``explore --set`` does) and laid over the trace's *full* config,
    not over its preset, so only the named knobs change."""
    if trace.node != "raft":
        d = apply_overrides(trace.config, overrides)
        return d, d
    try:
        base = RaftConfig.from_dict(dict(trace.config))
    except ConfigError as exc:
        raise TraceError(f"the trace's config does not fit this ackcheck's model: {exc}") from None
    config = with_overrides(base, overrides)
    return config, dict(attrs.asdict(config))


def replay_in_sim(trace: Trace, overrides: Sequence[str] = ()) -> ReplayReport:
    """Rerun ``trace``'s schedule (with ``overrides`` laid over its config) and compare."""
    config, as_dict = build_config(trace, overrides)
    outcome = run_once(
        config,
        trace.schedule,
        node=trace.node,
        properties=None if trace.properties is None else list(trace.properties),
    )
    return ReplayReport(
        recorded_digest=trace.digest,
        digest=outcome.digest,
        config_changed=as_dict != dict(trace.config),
        expected=None if trace.violation is None else trace.violation.property,
        violations=tuple(outcome.violations),
        recorded_version=trace.version,
    )
