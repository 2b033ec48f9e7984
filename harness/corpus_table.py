"""Regenerate ``docs/real-replays.md``: every corpus trace of a NATS preset replayed on
real nats-server versions, the model's verdict beside each run's, with what the harness
did to follow the model (warm-up, steering) and the knobs the server could not match;
then the negative controls: each trace again with ``--set fsync=always`` where the model
says that fixes it.

    python -m ackcheck.harness.corpus_table --repeat 3            # 2.12.1 and the newest
    python -m ackcheck.harness.corpus_table --repeat 3 --version 2.12.1 --version latest \\
        --corpus traces/corpus --out docs/real-replays.md [--no-controls] [--only NAME]

The file is written, never edited by hand: each run of this command replaces it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

from ackcheck.errors import AckcheckError, HarnessError
from ackcheck.harness.install import resolve_version
from ackcheck.harness.replay import RealReplayReport, ReplayInterrupted, replay_on_nats
from ackcheck.traces import Trace

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / "traces" / "corpus"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "docs" / "real-replays.md"
CONTROL = "fsync=always"


def corpus_files(corpus: Path) -> list[Path]:
    return sorted([*corpus.glob("*.json"), *corpus.glob("*.json.gz")])


def models_nats(trace: Trace) -> bool:
    """A trace whose preset models a NATS release (``nats-*``)."""
    return trace.node == "raft" and str(trace.preset or "").startswith("nats-")


def _stem(path: Path) -> str:
    return path.name.removesuffix(".gz").removesuffix(".json")


def _model_cell(report: RealReplayReport) -> str:
    m = report.model
    if m is None:
        return "(no model history)"
    if m.holds:
        return f"holds (acked {m.acked})"
    return f"{', '.join(m.violated)}: lost {m.lost}/{m.acked}" + (
        f", middle {m.lost_middle}" if m.lost_middle else "")


def _per_node(report: RealReplayReport) -> list[int]:
    return [sum(c for _, c in r.verdict.lost_on_node) for r in report.runs]


def real_cell(report: RealReplayReport, control: bool = False) -> str:
    """Reproductions, how many runs agree with the model (for a negative control: hold),
    lost per run, per-node loss per run, seconds per run."""
    runs = report.runs
    model_violated = report.model is not None and not report.model.holds
    if control:
        same = sum(1 for r in runs if r.verdict.holds)
    else:
        same = sum(1 for r in runs if r.reproduced == model_violated)
    lost = "/".join(str(r.verdict.lost) for r in runs)
    per_node = "/".join(str(n) for n in _per_node(report))
    secs = "/".join(f"{r.seconds:.0f}" for r in runs)
    warm = [r.warm.seconds for r in runs if r.warm is not None]
    warm_text = f", warm-up {min(warm):.0f}-{max(warm):.0f}s" if warm else ""
    head = (f"{same}/{len(runs)} hold" if control else
            f"{report.reproductions}/{len(runs)} reproduced ({same}/{len(runs)} agree)")
    return f"{head}: lost {lost}, lost-on-node {per_node}; {secs}s{warm_text}"


def _steering_lines(report: RealReplayReport) -> list[str]:
    lines = []
    for run in report.runs:
        took = sum(1 for s in run.steering if s.took)
        waits = ", ".join(f"{s.waited_s:.1f}s{'' if s.took else ' (not taken)'}"
                          for s in run.steering)
        line = f"run {run.index + 1}: {took}/{len(run.steering)} elections took"
        lines.append(line + (f" ({waits})" if waits else "") + "".join(
            f"; {n}" for n in run.notes))
    return lines


@attrs.frozen
class Row:
    name: str
    trace: Trace
    reports: tuple[RealReplayReport | None, ...]
    errors: tuple[str, ...]


def _replay(trace: Trace, version: str, repeat: int, config: dict[str, object] | None,
            log: Callable[[str], None]) -> tuple[RealReplayReport | None, str]:
    control = config is not None
    started = time.monotonic()
    try:
        report = replay_on_nats(trace, version, repeat=repeat, config=config)
    except HarnessError as exc:  # one cell fails; the table (an hour's work) does not
        log(f"  {version}: not run: {exc} [{time.monotonic() - started:.0f}s]")
        return None, f"not run: {exc}"
    log(f"  {version}: {real_cell(report, control)} [{time.monotonic() - started:.0f}s]")
    return report, ""


def control_config(trace: Trace) -> dict[str, object] | None:
    """The trace's config with ``fsync=always`` if the model then holds on the same
    schedule (a negative control worth running), else None."""
    from ackcheck.model import RaftConfig, make_node, with_overrides
    from ackcheck.properties import check
    from ackcheck.sim import simulate

    if trace.config.get("fsync") == "always" or trace.violation is None:
        return None
    config = with_overrides(RaftConfig.from_dict(dict(trace.config)), [CONTROL])
    history = simulate(trace.schedule, make_node, config, record_events=False).history
    if check(history, [trace.violation.property]):
        return None
    return dict(attrs.asdict(config))


def build_rows(files: Sequence[Path], versions: Sequence[str], repeat: int,
               control: bool, log: Callable[[str], None]) -> tuple[list[Row], list[Row]]:
    rows: list[Row] = []
    controls: list[Row] = []
    from ackcheck.traces import load_trace

    for path in files:
        trace = load_trace(path)
        if not models_nats(trace):
            log(f"{path.name}: skipped (preset {trace.preset} models no NATS release)")
            continue
        log(f"{path.name}:")
        got = [_replay(trace, v, repeat, None, log) for v in versions]
        rows.append(Row(_stem(path), trace, tuple(r for r, _ in got),
                        tuple(e for _, e in got)))
        config = control_config(trace) if control else None
        if config is not None:
            log(f"{path.name} --set {CONTROL}:")
            got = [_replay(trace, v, repeat, config, log) for v in versions]
            controls.append(Row(_stem(path), trace, tuple(r for r, _ in got),
                                tuple(e for _, e in got)))
    return rows, controls


def _faults(trace: Trace) -> str:
    faults = ", ".join(f"{tf.fault.describe()} @{tf.at / 1e6:.2f}s"
                       for tf in trace.schedule.sorted_faults())
    warm = trace.schedule.workload.warm
    return (faults or "-") + (f"; warm start ({warm} writes)" if warm else "")


def _cells(row: Row, control: bool = False) -> list[str]:
    return [real_cell(r, control) if r is not None else e
            for r, e in zip(row.reports, row.errors, strict=True)]


def render(rows: list[Row], controls: list[Row], versions: Sequence[str], repeat: int,
           load: str) -> str:
    header = ["trace", "nodes", "faults", "model", *[f"nats-server {v}" for v in versions]]
    lines = [
        "# Corpus traces replayed on real nats-server",
        "",
        f"Generated by `python -m ackcheck.harness.corpus_table --repeat {repeat} "
        + " ".join(f"--version {v}" for v in versions) + f"` on "
        f"{datetime.date.today().isoformat()} ({load}); do not edit by hand. How a "
        "schedule maps onto a real cluster, the warm-up and the steering: "
        "[real-cluster.md](real-cluster.md).",
        "",
        "Each real cell: reproductions of the model's violation, how many runs agree "
        "with the model's verdict, acked writes never read from any server (lost) and "
        "acked writes some server's complete read lacks while another serves them "
        "(lost-on-node: split brain) per run, each run's seconds from start to verdict "
        "(the warm-up apart).",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for row in rows:
        model = next((_model_cell(r) for r in row.reports if r is not None), "-")
        cells = [f"`{row.name}`", str(row.trace.schedule.nodes), _faults(row.trace), model,
                 *_cells(row)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    if not rows:
        lines.append("| (no NATS traces in the corpus) |" + " |" * (len(header) - 1))
    lines += ["", "## Negative controls: `--set fsync=always`", "",
              "Each trace above whose violation the model says `sync_interval: always` "
              "fixes, replayed with it; every run should hold (lost 0).", "",
              "| trace | model with fsync=always | "
              + " | ".join(f"nats-server {v}" for v in versions) + " |",
              "|" + "---|" * (2 + len(versions))]
    for row in controls:
        lines.append(f"| `{row.name}` | holds | " + " | ".join(_cells(row, True)) + " |")
    if not controls:
        lines.append("| (none) | |" + " |" * len(versions))
    lines += ["", "## Knobs the server could not match", ""]
    seen: set[str] = set()
    for row in rows:
        report = next((r for r in row.reports if r is not None), None)
        if report is None:
            continue
        text = "; ".join(m.line() for m in report.mismatches) or "none"
        if text in seen:
            lines.append(f"* `{row.name}`: as above")
            continue
        seen.add(text)
        lines.append(f"* `{row.name}`: {text}")
        if report.server_model is not None:
            lines.append(f"  (model with the server's durability values: "
                         f"{report.server_model.line()})")
    lines += ["", "## Steering and notes, per run", ""]
    for row in rows:
        for version, report in zip(versions, row.reports, strict=True):
            if report is None:
                continue
            lines.append(f"* `{row.name}` on {version}:")
            lines += [f"  * {line}" for line in _steering_lines(report)]
    return "\n".join(lines) + "\n"


def _load() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load unknown"
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f} at the end, {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--version", dest="versions", action="append")
    parser.add_argument("--no-controls", dest="controls", action="store_false")
    parser.add_argument("--only", action="append", default=None,
                        help="only traces whose name contains this (repeatable)")
    args = parser.parse_args(argv)
    try:
        if not args.corpus.is_dir():
            raise AckcheckError(f"no corpus directory at {args.corpus}")
        if args.repeat < 1:
            raise AckcheckError(f"--repeat must be >= 1, got {args.repeat}")
        versions = [resolve_version(v) for v in args.versions or ["2.12.1", "latest"]]
        files = [p for p in corpus_files(args.corpus)
                 if not args.only or any(o in p.name for o in args.only)]
        rows, controls = build_rows(files, versions, args.repeat, args.controls,
                                    lambda line: print(line, file=sys.stderr, flush=True))
        table = render(rows, controls, versions, args.repeat, _load())
    except AckcheckError as exc:
        print(f"ackcheck: error: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, ReplayInterrupted):
        print("ackcheck: interrupted; the table was not written", file=sys.stderr)
        return 130
    args.out.write_text(table)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
