"""``ackcheck replay`` and ``ackcheck show``: rerun a trace, or look at it.

Both catch :class:`AckcheckError` themselves (one line on stderr, exit 2), so they
behave the same mounted in ``core/cli.py`` (``ackcheck.app.cli``) or driven directly by a test.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from ackcheck.errors import AckcheckError
from ackcheck.traces.render import FORMATS, render
from ackcheck.traces.store import load_trace

EXIT_BAD_INPUT = 2


def _fail(message: str) -> NoReturn:
    click.echo(f"ackcheck: error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _describe(report: object) -> str:
    for attr in ("render", "text", "summary"):
        fn = getattr(report, attr, None)
        if callable(fn):
            return str(fn())
    return str(report)


@click.command("replay")
@click.argument("trace_path", metavar="TRACE", type=click.Path(path_type=Path))
@click.option("--set", "overrides", multiple=True, metavar="KNOB=VALUE",
              help="Rerun the same schedule with this knob changed; repeatable.")
@click.option("--nats", "nats_version", default=None, metavar="VERSION",
              help="Replay on a real nats-server cluster of this version instead.")
@click.option("--repeat", default=1, show_default=True, type=click.IntRange(1, 1000),
              help="With --nats: how many times to run the real replay.")
@click.option("--keep", is_flag=True, help="With --nats: keep the cluster's data directories.")
def replay(
    trace_path: Path, overrides: tuple[str, ...], nats_version: str | None, repeat: int,
    keep: bool,
) -> None:
    """Rerun TRACE; exit 1 if its violation reproduces, 0 if it no longer does."""
    if nats_version is None and (repeat != 1 or keep):
        _fail("--repeat and --keep only apply with --nats VERSION")
    try:
        trace = load_trace(trace_path)
        what = trace.violation.property if trace.violation else "no violation"
        click.echo(f"replaying {trace_path} ({what}; {trace.schedule.nodes} nodes, "
                   f"{len(trace.schedule.faults)} faults, seed {trace.schedule.seed})")
        if nats_version is not None:
            try:
                from ackcheck.harness import replay_on_nats
            except ImportError as exc:
                _fail(f"the real-cluster replay is not available: {exc}")
            real = replay_on_nats(trace, nats_version, list(overrides), repeat, keep)
            click.echo(_describe(real))
            code = getattr(real, "exit_code", None)
            if isinstance(code, int):
                sys.exit(code)
            reproduced = getattr(real, "reproduced", None)
            sys.exit(1 if reproduced else 0)
        from ackcheck.app._replay import replay_in_sim

        report = replay_in_sim(trace, overrides)
    except AckcheckError as exc:
        _fail(str(exc))
    for line in report.lines():
        click.echo(line)
    sys.exit(report.exit_code)


@click.command("show")
@click.argument("trace_path", metavar="TRACE", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of stdout.")
def show(trace_path: Path, fmt: str, out: Path | None) -> None:
    """Render TRACE as a timeline, a bug report, a diagram or a history for other tools."""
    try:
        trace = load_trace(trace_path)
        name = trace_path.name
        if out is None and fmt == "text" and _colour():
            from rich.console import Console

            from ackcheck.traces.render_text import render_rich

            Console(highlight=False, soft_wrap=True).print(render_rich(trace), end="")
            return
        text = render(trace, fmt, name=name)
    except AckcheckError as exc:
        _fail(str(exc))
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {out}: {exc.strerror or exc}")
    click.echo(f"wrote {out}", err=True)


def _colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ
