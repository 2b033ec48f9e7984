"""How exploration results are shown to a person (text) and to a program (JSON)."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from ackcheck.app import _fault_model
from ackcheck.app._explore import ExploreResult, ExploreStats
from ackcheck.schedule import fmt_time
from ackcheck.sim.decisions import DECIDED
from ackcheck.traces import schedule_lines, timed_schedule


class ProgressLine:
    """A live one-line status on stderr (examples/s, best target so far); a no-op when
    stderr is not a terminal, so logs and CI output stay clean."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._status: Any = None

    def __enter__(self) -> ProgressLine:
        if self.enabled:
            from rich.console import Console

            self._status = Console(stderr=True).status("exploring...")
            self._status.start()
        return self

    def update(self, stats: ExploreStats) -> None:
        if self._status is None:
            return
        best = ", ".join(f"{k}={v:g}" for k, v in stats.best_targets.items())
        states = f", {stats.abstract_states} states" if stats.abstract_states else ""
        self._status.update(
            f"{stats.examples} examples, {stats.examples_per_second:.0f}/s, "
            f"{stats.seconds:.1f}s{states}  best: {best}"
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._status is not None:
            self._status.stop()


def summary_text(result: ExploreResult) -> str:
    s = result.stats
    what = result.preset or result.node
    head = (
        f"explored {what}: {s.examples} examples in {s.seconds:.1f}s "
        f"({s.examples_per_second:.0f}/s, seed {s.seed}"
        + (f", {s.workers} workers" if s.workers > 1 else "")
        + f", search {s.search})"
    )
    lines = [head]
    model = _fault_model.describe(result.preset, result.options)
    if model is not None:
        lines.append(model)
    if s.abstract_states:
        lines.append(f"coverage: {s.abstract_states} abstract node states reached"
                     + (f", {s.novel_plans} plans grown from new cluster states"
                        if s.novel_plans else ""))
    if s.faults_by_kind:
        lines.append(
            "faults injected: " + ", ".join(f"{k} {v}" for k, v in s.faults_by_kind.items())
        )
    ce = result.counterexample
    if ce is None:
        if s.coverage:
            lines.append("states reached:")
            lines += [f"  {v:>6} runs  {k}" for k, v in s.coverage.items()]
        lines.append("no violation found")
        return "\n".join(lines)
    v = ce.violation
    shrunk = "shrunk" if ce.shrunk else "NOT fully shrunk (budget ran out)"
    lines.append("")
    lines.append(f"VIOLATION of {v.property} ({shrunk}):")
    lines.append(v.summary)
    lines += [f"  {d}" for d in v.details]
    lines.append("")
    lines.append("schedule:")
    lines += schedule_lines(ce.schedule)
    if ce.schedule.decisions:
        lines.append("where the decisions fired:")
        lines += [f"  t={fmt_time(fe.time):>8}  {fe.fault.describe()}  ({fe.note})"
                  for fe in ce.outcome.history.faults if fe.note.startswith(DECIDED)]
    if ce.trace_path is not None:
        lines.append("")
        lines.append(f"trace: {ce.trace_path}")
        lines.append(f"replay: ackcheck replay {ce.trace_path}")
        lines.append(f"report: ackcheck show {ce.trace_path} --format markdown")
    return "\n".join(lines)


def summary_dict(result: ExploreResult) -> dict[str, Any]:
    s = result.stats
    out: dict[str, Any] = {
        "preset": result.preset,
        "node": result.node,
        "ok": result.ok,
        "examples": s.examples,
        "seconds": round(s.seconds, 3),
        "examples_per_second": round(s.examples_per_second, 1),
        "seed": s.seed,
        "workers": s.workers,
        "faults_by_kind": s.faults_by_kind,
        "coverage": s.coverage,
        "search": s.search,
        "abstract_states": s.abstract_states,
        "novel_plans": s.novel_plans,
        "best_targets": s.best_targets,
        "fault_model": _fault_model.as_dict(result.preset, result.options),
        "violation": None,
    }
    ce = result.counterexample
    if ce is not None:
        v = ce.violation
        out["violation"] = {
            "property": v.property,
            "summary": v.summary,
            "details": list(v.details),
            "shrunk": ce.shrunk,
            # timed faults as scheduled; a decision schedule's as the faults it caused
            "faults": [
                {"at": tf.at, "fault": tf.fault.describe()}
                for tf in timed_schedule(ce.schedule, ce.outcome.history).sorted_faults()
            ],
            "decisions": [d.describe() for d in ce.schedule.decisions],
            "trace": str(ce.trace_path) if ce.trace_path else None,
            "digest": ce.outcome.digest,
        }
    return out
