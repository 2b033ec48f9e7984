"""``ackcheck replay`` and ``ackcheck show``: rerun a trace, or look at it.

Both turn an :class:`AckcheckError` into one line on stderr and exit 2 themselves, and
anything unexpected into an internal error (:mod:`ackcheck.app._exits`), so they behave
the same under ``ackcheck`` and when a test drives them directly. A trace is checked
against itself when it is loaded (``ackcheck.traces.store``); a trace that names a node
implementation other than the built-in one is not imported unless ``--allow-node`` says
so; ``show --out`` never writes over a trace.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ackcheck.app._exits import fail, one_line_errors
from ackcheck.app._paths import check_real_replay_environment, check_render_target
from ackcheck.errors import AckcheckError
from ackcheck.traces.render import FORMATS, render
from ackcheck.traces.store import atomic_write, load_trace

if TYPE_CHECKING:
    from ackcheck.harness import RealReplayReport, RealRun, RunOptions
    from ackcheck.traces import Trace

NATS_LOG_FILES = ("stream", "wal", "both")  # --log-files: one of the two, or both
NATS_WARM_SYNCS = ("os", "server")  # --warm-sync (ackcheck.harness.warmup.WARM_SYNCS)


@click.command("replay")
@click.argument("trace_path", metavar="TRACE", type=click.Path(path_type=Path))
@click.option("--set", "overrides", multiple=True, metavar="KNOB=VALUE",
              help="Rerun the same schedule with this knob changed; repeatable.")
@click.option("--nats", "nats_version", default=None, metavar="VERSION",
              help="Replay on a real nats-server cluster of this version (or 'latest') "
              "instead; --set fsync=... becomes its sync_interval.")
@click.option("--repeat", default=None, type=click.IntRange(1, 1000),
              help="With --nats: how many times to run the real replay [default: 1].")
@click.option("--keep", is_flag=True, help="With --nats: keep the cluster's data directories.")
@click.option("--time-scale", default=None, type=click.FloatRange(0, min_open=True),
              help="With --nats: real seconds per model second [default: 1].")
@click.option("--pipeline", default=None, type=click.IntRange(1),
              help="With --nats: publishes in flight per client [default: 1].")
@click.option("--log-files", default=None, type=click.Choice(NATS_LOG_FILES),
              help="With --nats: which files a log corruption damages: the stream's "
              "blocks, its Raft WAL, or both [default: both].")
@click.option("--steer/--no-steer", default=None,
              help="With --nats: enforce the model's election outcomes on the real "
              "cluster (cut links, step-downs) [default: steer].")
@click.option("--warm-sync", default=None, type=click.Choice(NATS_WARM_SYNCS),
              help="With --nats, for a warm trace: make the warm-up durable by the "
              "mounts' writeback (os) or wait for the servers' own sync timers (server) "
              "[default: os].")
@click.option("--allow-node", "allowed_nodes", multiple=True, metavar="REF",
              help="Import and run this node implementation if the trace names it "
              "(a trace's own code is never run otherwise); repeatable.")
@one_line_errors
def replay(
    trace_path: Path, overrides: tuple[str, ...], nats_version: str | None,
    repeat: int | None, keep: bool, time_scale: float | None, pipeline: int | None,
    log_files: str | None, steer: bool | None, warm_sync: str | None,
    allowed_nodes: tuple[str, ...],
) -> None:
    """Rerun TRACE; exit 1 if its violation reproduces, 0 if it no longer does."""
    nats_only = (repeat, keep or None, time_scale, pipeline, log_files, steer, warm_sync)
    if nats_version is None and any(value is not None for value in nats_only):
        fail("--repeat, --keep, --time-scale, --pipeline, --log-files, --steer and "
             "--warm-sync only apply with --nats VERSION")
    if nats_version is not None:  # before any server starts
        check_real_replay_environment()
    try:
        trace = load_trace(trace_path)
        what = trace.violation.property if trace.violation else "no violation"
        click.echo(f"replaying {trace_path} ({what}; {trace.schedule.nodes} nodes, "
                   f"{len(trace.schedule.faults)} faults, seed {trace.schedule.seed})")
        if nats_version is not None:
            options = _run_options(time_scale, pipeline, log_files, steer, warm_sync)
            real = _replay_on_nats(trace, nats_version, overrides, repeat or 1, keep, options)
            click.echo(real.render())
            sys.exit(real.exit_code)
        from ackcheck.app._replay import replay_in_sim
        from ackcheck.app._runner import check_trusted

        check_trusted(trace.node, allowed_nodes)
        report = replay_in_sim(trace, overrides)
    except AckcheckError as exc:
        fail(str(exc))
    for line in report.lines():
        click.echo(line)
    sys.exit(report.exit_code)


def _run_options(time_scale: float | None, pipeline: int | None, log_files: str | None,
                 steer: bool | None, warm_sync: str | None) -> RunOptions:
    """The harness's typed ``RunOptions`` from the ``--nats`` options (None: default)."""
    from ackcheck.harness import RunOptions

    default = RunOptions()
    return RunOptions(
        time_scale=default.time_scale if time_scale is None else time_scale,
        pipeline=default.pipeline if pipeline is None else pipeline,
        # the default damages both files
        log_parts=default.log_parts if log_files in (None, "both") else (str(log_files),),
        steer=default.steer if steer is None else steer,
        warm_sync=default.warm_sync if warm_sync is None else warm_sync,
    )


def _replay_on_nats(
    trace: Trace, version: str, overrides: tuple[str, ...], repeat: int, keep: bool,
    options: RunOptions,
) -> RealReplayReport:
    """``--set`` is parsed as for the simulated replay (``build_config``). Each run's
    verdict goes to stderr as it finishes; an interrupt (SIGINT, SIGTERM) prints the
    finished runs' report and exits 130 or 143."""
    from ackcheck.app._replay import build_config
    from ackcheck.harness import replay_on_nats
    from ackcheck.harness.replay import ReplayInterrupted

    _, config = build_config(trace, overrides)

    def progress(run: RealRun) -> None:
        state = "reproduced" if run.reproduced else "not reproduced"
        click.echo(f"run {run.index + 1}/{repeat}: {state}, {run.seconds:.1f}s", err=True)

    try:
        return replay_on_nats(trace, version, config=config, repeat=repeat, keep=keep,
                              options=options, on_run=progress)
    except ReplayInterrupted as stop:
        click.echo(stop.report.render())
        click.echo("ackcheck: interrupted", err=True)
        sys.exit(stop.exit_code)


@click.command("show")
@click.argument("trace_path", metavar="TRACE", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of stdout (never over a trace).")
@one_line_errors
def show(trace_path: Path, fmt: str, out: Path | None) -> None:
    """Render TRACE as a timeline, a bug report, a diagram or a history for other tools."""
    if out is not None:
        check_render_target(out, trace_path)
    trace = load_trace(trace_path)
    if out is None and fmt == "text" and _colour():
        from rich.console import Console

        from ackcheck.traces.render_text import render_rich

        Console(highlight=False, soft_wrap=True).print(render_rich(trace), end="")
        return
    text = render(trace, fmt, name=trace_path.name)
    if out is None:
        click.echo(text, nl=False)
        return
    atomic_write(text.encode("utf-8"), out)  # all of it or, on a full disk, nothing
    click.echo(f"wrote {out}", err=True)


def _colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ
