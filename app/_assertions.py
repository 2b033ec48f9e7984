"""Assertions for researchers' own tests: fail with the counterexample attached.

The pytest plugin recognises :class:`CounterexampleError`: it writes the trace file
(once, for the final, minimal example Hypothesis reports), adds the explanation to the
failure report and prints the command that replays it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ackcheck.app._runner import BUILTIN_NODE, RunOutcome, resolve_config, run_once
from ackcheck.app._tracefiles import counterexample_trace, save_counterexample
from ackcheck.schedule import Schedule
from ackcheck.traces import schedule_lines


class CounterexampleError(AssertionError):
    """A property was violated; carries everything needed to write and replay a trace."""

    def __init__(
        self,
        *,
        preset: str | None,
        overrides: Sequence[str],
        config: Any,
        node: str,
        properties: Sequence[str] | None,
        schedule: Schedule,
        outcome: RunOutcome,
        trace_path: Path | None = None,
    ) -> None:
        v = outcome.violations[0]
        lines = [f"{v.property} violated: {v.summary}", *[f"  {d}" for d in v.details]]
        lines += ["schedule:", *schedule_lines(schedule)]
        super().__init__("\n".join(lines))
        self.preset = preset
        self.overrides = list(overrides)
        self.config = config
        self.node = node
        self.properties = list(properties) if properties is not None else None
        self.schedule = schedule
        self.outcome = outcome
        self.trace_path = trace_path

    def save_trace(self, directory: str | Path) -> Path:
        """Write this counterexample as a trace file in ``directory`` (once)."""
        if self.trace_path is not None:
            return self.trace_path
        outcome = self.outcome
        if not outcome.history.events:  # the fast path kept no events: re-run to get them
            outcome = run_once(self.config, self.schedule, self.node, self.properties)
        trace = counterexample_trace(self.preset, self.overrides, self.config, self.node,
                                     self.properties, self.schedule, outcome)
        self.trace_path = save_counterexample(trace, directory)
        return self.trace_path


def assert_holds(
    preset_or_config: Any,
    schedule: Schedule,
    *,
    overrides: Sequence[str] = (),
    node: str = BUILTIN_NODE,
    properties: Sequence[str] | None = None,
) -> RunOutcome:
    """Run ``schedule`` and raise :class:`CounterexampleError` if a property breaks.

    Use it in a Hypothesis test over :func:`ackcheck.app._strategies.fault_schedules`."""
    preset, config = resolve_config(preset_or_config, overrides, node)
    outcome = run_once(config, schedule, node, properties, record_events=False, digest=False)
    if outcome.violations:
        raise CounterexampleError(
            preset=preset,
            overrides=overrides,
            config=config,
            node=node,
            properties=properties,
            schedule=schedule,
            outcome=outcome,
        )
    return outcome
