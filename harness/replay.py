"""Replay a model counterexample (a saved trace) on a real nats-server cluster.

A counterexample from the model is a hypothesis about the real system: run the same
schedule against real servers, judge the real history with the same property code and
print both verdicts side by side. ``repeat`` reruns it and counts reproductions.

What is derived from the model's history so that the real run follows it: the ack marks
(how many writes the model committed between two faults), the gates (no write is
published before the faults and elections the model had before storing it), the
records its corruption faults damaged (``faultmap``) and its elections (``steering``).
Before the runs, the report lists every knob the server cannot match and the model's
verdict with the server's values (``fidelity``), so a disagreement explains itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ackcheck.errors import ConfigError
from ackcheck.harness import cleanup
from ackcheck.harness.cluster import NatsCluster
from ackcheck.harness.config import sync_interval
from ackcheck.harness.driver import DriveResult, RunOptions, run_recorded
from ackcheck.harness.faultmap import fault_values
from ackcheck.harness.fidelity import Mismatch, mismatches, model_with_server_values
from ackcheck.harness.install import resolve_version
from ackcheck.harness.steering import SteerStep, leader_targets
from ackcheck.harness.verdict import DURABLE, Verdict
from ackcheck.harness.warmup import WarmUp
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
    seconds: float  # start to verdict, the warm-up apart
    workdir: str | None = None
    steering: tuple[SteerStep, ...] = ()
    warm: WarmUp | None = None
    notes: tuple[str, ...] = ()


@attrs.frozen
class RealReplayReport:
    version: str
    sync_interval: str | None
    nodes: int
    expected: str | None  # the property the model violated, if any
    model: Verdict | None
    runs: tuple[RealRun, ...]
    mismatches: tuple[Mismatch, ...] = ()
    # the model rerun with the server's durability values (None: not rerun)
    server_model: Verdict | None = None
    interrupted: bool = False

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
        if self.mismatches:
            lines.append("  knobs the server cannot match:")
            lines += [f"    {m.line()}" for m in self.mismatches]
            if self.server_model is not None:
                lines.append(f"  model with the server's durability values: "
                             f"{self.server_model.line()}")
        for run in self.runs:
            mark = "reproduced" if run.reproduced else "not reproduced"
            lines.append(f"  real #{run.index + 1} : {run.verdict.line()} [{mark}, "
                         f"{run.seconds:.1f}s]")
            if run.warm is not None:
                lines.append(f"             {run.warm.line()}")
            lines += [f"             steer {step.line()}" for step in run.steering]
            lines += [f"             note: {note}" for note in run.notes]
            if run.workdir:
                lines.append(f"             data kept in {run.workdir}")
        target = self.expected or "any property"
        done = f" (interrupted: {len(self.runs)} run(s) finished)" if self.interrupted else ""
        lines.append(
            f"  verdict  : {target} violated in {self.reproductions}/{len(self.runs)} "
            f"real run(s){done}"
        )
        return "\n".join(lines)


class ReplayInterrupted(Exception):
    """SIGINT or SIGTERM during a real replay: ``report`` holds the runs that finished,
    ``exit_code`` is what the process should exit with (130 or 143)."""

    def __init__(self, report: RealReplayReport, exit_code: int) -> None:
        super().__init__(f"interrupted after {len(report.runs)} run(s)")
        self.report = report
        self.exit_code = exit_code


def _warm_values(model: History) -> set[str]:
    """Values acknowledged at time 0: a warm start's prefix."""
    return {str(op.value) for op in model.ops
            if op.f == "publish" and op.type == "ok" and op.time == 0}


def quorum_times(model: History) -> dict[str, int]:
    """For each write the model committed, when its record first sat in the logs of a
    majority of the nodes (from the recorded ``write`` events and the values they carry):
    the moment it became durable in the protocol's sense, before any leader knew. A warm
    start's prefix is left out."""
    committed = {str(o.data.get("value")) for o in model.observations if o.applies}
    committed -= _warm_values(model)
    first: dict[str, dict[str, int]] = {}  # value -> node -> first write into its log
    for ev in model.events:
        if ev.kind == "write" and str(ev.data.get("file", "")).startswith("log/"):
            for tag in ev.data.get("tags") or ():
                if tag in committed:
                    first.setdefault(tag, {}).setdefault(ev.actor, ev.time)
    quorum = model.nodes // 2 + 1
    return {v: sorted(t.values())[quorum - 1] for v, t in first.items() if len(t) >= quorum}


def ack_marks(schedule: Schedule, model: History | None) -> dict[int, int]:
    """For each fault (in time order), how many writes reached a majority of the model's
    logs since the previous fault (or the start) and were committed: the real clients
    must have as many acks in that window before the fault is carried out. Counted from
    the majority, not the client's ack: one whose ack was still on its way at the fault
    (committed just after, with a copy the fault destroyed) is exactly what a power
    failure loses."""
    if model is None:
        return {}
    times = sorted(quorum_times(model).values())
    marks: dict[int, int] = {}
    previous = -1
    for position, tf in enumerate(schedule.sorted_faults()):
        count = sum(1 for t in times if previous <= t < tf.at)
        if count:
            marks[position] = count
        previous = tf.at
    return marks


def publish_gates(model: History | None) -> dict[str, int]:
    """For each write of the model's run, the model time from which the real run may
    publish it: when it reached a majority of the model's logs (``quorum_times``), else
    when it was first published. The driver holds each back until every fault and
    election the model had by then is done, so that the real windows between faults get
    the model's writes: one the model stored after a crash is not on the crashed node in
    the real run either. A warm start's prefix needs none."""
    if model is None:
        return {}
    gates = quorum_times(model)
    warm = _warm_values(model)
    for op in model.ops:
        if op.f == "publish" and op.type == "invoke" and str(op.value) not in warm:
            gates.setdefault(str(op.value), op.time)
    return gates


def replay_schedule(
    schedule: Schedule,
    *,
    version: str,
    sync_interval: str | None = None,
    options: RunOptions | None = None,
    keep: bool = False,
) -> tuple[History, str | None]:
    """One real run of ``schedule``; returns its history and the kept workdir."""
    result, kept = _one_run(schedule, version, sync_interval, options, keep)
    return result.history, kept


def _one_run(schedule: Schedule, version: str, sync: str | None, options: RunOptions | None,
             keep: bool) -> tuple[DriveResult, str | None]:
    with cleanup.interrupts_unwind(), NatsCluster(
        schedule.nodes, version, sync, keep=keep
    ) as cluster:
        result = run_recorded(cluster, schedule, options)
        kept = str(cluster.workdir) if keep else None
    return result, kept


def _model_history(trace: Trace, config: Mapping[str, Any]) -> History:
    """The model's history of the schedule under ``config``: the trace's own when the
    config is the trace's, else the model rerun under it (``--set``), so that the marks,
    gates and elections the real run follows, and the model verdict it is compared
    with, are those of the config the servers run."""
    if dict(config) == dict(trace.config) or trace.node != "raft":
        return trace.history
    from ackcheck.model import RaftConfig, make_node
    from ackcheck.sim import simulate

    return simulate(trace.schedule, make_node, RaftConfig.from_dict(dict(config))).history


def _server_model(trace: Trace, config: Mapping[str, Any], version: str,
                  names: list[str]) -> Verdict | None:
    rerun = model_with_server_values(trace.schedule, config, version, names)
    if rerun is None:
        return None
    history, violations = rerun
    return Verdict.of(history, violations)


def replay_on_nats(
    trace: Trace,
    version: str,
    *,
    config: Mapping[str, Any] | None = None,
    repeat: int = 1,
    keep: bool = False,
    options: RunOptions | None = None,
    on_run: Callable[[RealRun], None] | None = None,
) -> RealReplayReport:
    """Run ``trace.schedule`` ``repeat`` times on real nats-server ``version`` (or
    ``"latest"``) and compare each real verdict with the model's.

    ``config`` is the node config as a dict, with any overrides already applied by the
    model's own parser (``ackcheck replay --set``); None means ``trace.config``. Only its
    ``fsync`` knob reaches the server (as ``sync_interval``, see
    :func:`ackcheck.harness.config.sync_interval`); the report lists the knobs the server
    cannot match and the model's verdict with the server's values. ``options`` holds
    the harness's own settings (time scale, pipeline, steering, warm-up); the ack marks,
    damaged values and leader targets the driver follows are derived from the trace's
    model history. ``keep`` keeps each run's data directories; ``on_run`` is called as
    each run finishes. SIGINT or SIGTERM raise :class:`ReplayInterrupted` with the runs
    that finished."""
    if repeat < 1:
        raise ConfigError(f"repeat must be >= 1, got {repeat}")
    version = resolve_version(version)
    schedule = trace.schedule
    config = trace.config if config is None else config
    sync = sync_interval(config)
    model_history = _model_history(trace, config)
    expected = trace.violation.property if trace.violation else None
    names = [DURABLE]
    if expected and expected in REGISTRY and expected not in names:
        names.append(expected)
    base = options or RunOptions()
    targets = base.leader_targets or (
        tuple(leader_targets(schedule, model_history)) if base.steer else ())
    run_options = attrs.evolve(
        base,
        ack_marks=base.ack_marks or ack_marks(schedule, model_history),
        fault_values=base.fault_values or fault_values(schedule, model_history),
        leader_targets=targets,
        gates=base.gates or publish_gates(model_history),
    )
    model = None
    if model_history.ops:
        model = Verdict.of(model_history, check(model_history, names))
    found = tuple(mismatches(config, version)) if trace.node == "raft" else ()
    server_model = _server_model(trace, config, version, names) if found else None
    runs: list[RealRun] = []

    def report(interrupted: bool = False) -> RealReplayReport:
        return RealReplayReport(version=version, sync_interval=sync, nodes=schedule.nodes,
                                expected=expected, model=model, runs=tuple(runs),
                                mismatches=found, server_model=server_model,
                                interrupted=interrupted)

    with cleanup.interrupts_unwind():
        try:
            for index in range(repeat):
                started = time.monotonic()
                result, kept = _one_run(schedule, version, sync, run_options, keep)
                history = result.history
                violations = tuple(check(history, names))
                reproduced = (any(v.property == expected for v in violations) if expected
                              else bool(violations))
                warm_s = result.warm.seconds if result.warm is not None else 0.0
                run = RealRun(index, history, violations, Verdict.of(history, violations),
                              reproduced, time.monotonic() - started - warm_s, kept,
                              result.steering, result.warm, result.notes)
                runs.append(run)
                if on_run is not None:
                    on_run(run)
        except KeyboardInterrupt:
            raise ReplayInterrupted(report(True), 130) from None
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 143
            raise ReplayInterrupted(report(True), code) from None
    return report()
