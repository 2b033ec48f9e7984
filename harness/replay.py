"""Replay a model counterexample (a saved trace) on a real nats-server cluster.

A counterexample from the model is a hypothesis about the real system: run the same
schedule against real servers, judge the real history with the same property code and
print both verdicts side by side. ``repeat`` reruns it and counts reproductions.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import attrs

from ackcheck.errors import ConfigError
from ackcheck.harness import cleanup
from ackcheck.harness.cluster import NatsCluster
from ackcheck.harness.config import sync_interval
from ackcheck.harness.driver import RunOptions, run_on_cluster
from ackcheck.harness.faultmap import fault_values
from ackcheck.harness.install import resolve_version
from ackcheck.harness.verdict import DURABLE, Verdict
from ackcheck.history import History
from ackcheck.properties import REGISTRY, Violation, check
from ackcheck.schedule import Schedule
from ackcheck.traces import Trace

EXIT_HOLDS, EXIT_REPRODUCED = 0, 1


@attrs.frozen
class RealRun:
    index: int
    history: History = attrs.field(repr=False)
    violations: tuple[Violation, ...]
    verdict: Verdict
    reproduced: bool
    seconds: float
    workdir: str | None = None


@attrs.frozen
class RealReplayReport:
    version: str
    sync_interval: str | None
    nodes: int
    expected: str | None  # the property the model violated, if any
    model: Verdict | None
    runs: tuple[RealRun, ...]

    @property
    def reproductions(self) -> int:
        return sum(1 for r in self.runs if r.reproduced)

    @property
    def exit_code(self) -> int:
        return EXIT_REPRODUCED if self.reproductions else EXIT_HOLDS

    def render(self) -> str:
        sync = self.sync_interval or "default (2m)"
        lines = [
            f"real replay: nats-server {self.version}, {self.nodes} nodes, "
            f"sync_interval={sync}",
            f"  model    : {self.model.line() if self.model else '(no model history)'}",
        ]
        for run in self.runs:
            mark = "reproduced" if run.reproduced else "not reproduced"
            lines.append(f"  real #{run.index + 1} : {run.verdict.line()} [{mark}, "
                         f"{run.seconds:.1f}s]")
            if run.workdir:
                lines.append(f"             data kept in {run.workdir}")
        target = self.expected or "any property"
        lines.append(
            f"  verdict  : {target} violated in {self.reproductions}/{len(self.runs)} "
            f"real run(s)"
        )
        return "\n".join(lines)


def ack_marks(schedule: Schedule, model: History | None) -> dict[int, int]:
    """For each fault (in time order), the acks the model had seen before it."""
    if model is None:
        return {}
    ok_times = sorted(
        op.time for op in model.ops if op.f == "publish" and op.type == "ok"
    )
    marks: dict[int, int] = {}
    for position, tf in enumerate(schedule.sorted_faults()):
        marks[position] = sum(1 for t in ok_times if t < tf.at)
    return marks


def replay_schedule(
    schedule: Schedule,
    *,
    version: str,
    sync_interval: str | None = None,
    options: RunOptions | None = None,
    keep: bool = False,
) -> tuple[History, str | None]:
    """One real run of ``schedule``; returns its history and the kept workdir."""
    with cleanup.interrupts_unwind(), NatsCluster(
        schedule.nodes, version, sync_interval, keep=keep
    ) as cluster:
        history = run_on_cluster(cluster, schedule, options)
        kept = str(cluster.workdir) if keep else None
    return history, kept


def replay_on_nats(
    trace: Trace,
    version: str,
    *,
    config: Mapping[str, Any] | None = None,
    repeat: int = 1,
    keep: bool = False,
    options: RunOptions | None = None,
) -> RealReplayReport:
    """Run ``trace.schedule`` ``repeat`` times on real nats-server ``version`` (or
    ``"latest"``) and compare each real verdict with the model's.

    ``config`` is the node config as a dict, with any overrides already applied by the
    model's own parser (``ackcheck replay --set``); None means ``trace.config``. Only its
    ``fsync`` knob reaches the server (as ``sync_interval``, see
    :func:`ackcheck.harness.config.sync_interval`). ``options`` holds the harness's own
    settings (time scale, pipeline, which log files a corruption hits); the ack marks
    and damaged values the driver follows are derived from the trace's model history.
    ``keep`` keeps each run's data directories."""
    if repeat < 1:
        raise ConfigError(f"repeat must be >= 1, got {repeat}")
    version = resolve_version(version)
    schedule = trace.schedule
    sync = sync_interval(trace.config if config is None else config)
    model_history = trace.history
    expected = trace.violation.property if trace.violation else None
    names = [DURABLE]
    if expected and expected in REGISTRY and expected not in names:
        names.append(expected)
    base = options or RunOptions()
    run_options = attrs.evolve(
        base,
        ack_marks=base.ack_marks or ack_marks(schedule, model_history),
        fault_values=base.fault_values or fault_values(schedule, model_history),
    )
    model = None
    if model_history.ops:
        model = Verdict.of(model_history, check(model_history, names))
    runs = []
    for index in range(repeat):
        started = time.monotonic()
        history, kept = replay_schedule(
            schedule, version=version, sync_interval=sync, options=run_options, keep=keep,
        )
        violations = tuple(check(history, names))
        reproduced = (
            any(v.property == expected for v in violations) if expected else bool(violations)
        )
        runs.append(
            RealRun(index, history, violations, Verdict.of(history, violations), reproduced,
                    time.monotonic() - started, kept)
        )
    return RealReplayReport(
        version=version,
        sync_interval=sync,
        nodes=schedule.nodes,
        expected=expected,
        model=model,
        runs=tuple(runs),
    )
