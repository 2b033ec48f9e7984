"""Replay a model counterexample (a saved trace) on a real nats-server cluster.

A counterexample from the model is a hypothesis about the real system: run the same
schedule against real servers, judge the real history with the same property code and
print both verdicts side by side. ``repeat`` reruns it and counts reproductions.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from ackcheck.errors import ConfigError
from ackcheck.harness import cleanup
from ackcheck.harness.cluster import LOG_PARTS, NatsCluster
from ackcheck.harness.config import sync_interval_from
from ackcheck.harness.driver import RunOptions, run_on_cluster
from ackcheck.harness.faultmap import fault_values
from ackcheck.harness.install import resolve_version
from ackcheck.harness.verdict import DURABLE, Verdict
from ackcheck.history import History
from ackcheck.properties import REGISTRY, Violation, check
from ackcheck.schedule import Schedule

EXIT_HOLDS, EXIT_REPRODUCED = 0, 1
# Knobs the harness itself understands in ``--override``; model knobs are ignored.
HARNESS_KNOBS = (
    "fsync", "sync_interval", "fsync_interval", "time_scale", "pipeline", "log_files",
)


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
    ignored_overrides: tuple[str, ...] = ()

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
        if self.ignored_overrides:
            lines.append("  note     : model-only overrides ignored: "
                         + ", ".join(self.ignored_overrides))
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


def _harness_options(overrides: Sequence[str]) -> tuple[dict[str, Any], tuple[str, ...]]:
    chosen: dict[str, Any] = {}
    ignored: list[str] = []
    for item in overrides:
        key, sep, value = str(item).partition("=")
        if not sep:
            raise ConfigError(f"override {item!r} is not knob=value")
        key = key.strip()
        if key == "time_scale":
            try:
                chosen[key] = float(value)
            except ValueError:
                raise ConfigError(f"time_scale must be a number, got {value!r}") from None
        elif key == "pipeline":
            if not value.strip().isdigit() or int(value) < 1:
                raise ConfigError(f"pipeline must be a positive integer, got {value!r}")
            chosen[key] = int(value)
        elif key == "log_files":  # which log files a `log` corruption hits
            parts = tuple(p.strip() for p in value.replace("both", ",".join(LOG_PARTS)).split(","))
            if not parts or any(p not in LOG_PARTS for p in parts):
                raise ConfigError(f"log_files must be stream, wal or both, got {value!r}")
            chosen["log_parts"] = parts
        elif key not in HARNESS_KNOBS:
            ignored.append(item)
    return chosen, tuple(ignored)


def judge(history: History, names: Sequence[str]) -> list[Violation]:
    return check(history, list(names))


def replay_schedule(
    schedule: Schedule,
    *,
    version: str = "2.12.1",
    sync_interval: str | None = None,
    options: RunOptions | None = None,
    keep: bool = False,
    fuse: bool = True,
) -> tuple[History, str | None]:
    """One real run of ``schedule``; returns its history and the kept workdir."""
    with cleanup.interrupts_unwind(), NatsCluster(
        schedule.nodes, version, sync_interval, fuse=fuse, keep=keep
    ) as cluster:
        history = run_on_cluster(cluster, schedule, options)
        kept = str(cluster.workdir) if keep else None
    return history, kept


def replay_on_nats(
    trace: Any,
    version: str = "2.12.1",
    overrides: Sequence[str] = (),
    repeat: int = 1,
    keep: bool = False,
    *,
    properties: Sequence[str] | None = None,
    options: RunOptions | None = None,
    fuse: bool = True,
) -> RealReplayReport:
    """Run ``trace.schedule`` ``repeat`` times on real nats-server ``version`` and
    compare each real verdict with the model's."""
    if repeat < 1:
        raise ConfigError(f"repeat must be >= 1, got {repeat}")
    version = resolve_version(version)
    schedule: Schedule = trace.schedule
    config = dict(getattr(trace, "config", None) or {})
    sync = sync_interval_from(config, overrides)
    chosen, ignored = _harness_options(overrides)
    model_history: History | None = getattr(trace, "history", None)
    expected = trace.violation.property if getattr(trace, "violation", None) else None
    names = [DURABLE]
    if expected and expected in REGISTRY and expected not in names:
        names.append(expected)
    if properties:
        names = list(dict.fromkeys([*properties, *([expected] if expected else [])]))
    base = options or RunOptions()
    run_options = attrs.evolve(
        base,
        ack_marks=base.ack_marks or ack_marks(schedule, model_history),
        fault_values=base.fault_values or fault_values(schedule, model_history),
        **chosen,
    )
    model = None
    if model_history is not None and model_history.ops:
        model = Verdict.of(model_history, judge(model_history, names))
    runs = []
    for index in range(repeat):
        started = time.monotonic()
        history, kept = replay_schedule(
            schedule, version=version, sync_interval=sync, options=run_options,
            keep=keep, fuse=fuse,
        )
        violations = tuple(judge(history, names))
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
        ignored_overrides=ignored,
    )


def replay_file(path: str | Path, **kwargs: Any) -> RealReplayReport:
    from ackcheck.traces import load_trace

    return replay_on_nats(load_trace(Path(path)), **kwargs)
