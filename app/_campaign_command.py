"""``ackcheck campaign SPEC.toml``: run a matrix of searches on Dask and summarise it.

Exit 0 when every cell held, 1 when any cell found a violation, 2 for a bad spec or an
unreachable scheduler (one line on stderr).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

import click

from ackcheck.app._campaign import TABLE, run_campaign
from ackcheck.app._campaign_spec import load_spec
from ackcheck.app._exits import EXIT_OK, EXIT_VIOLATION, one_line_errors


class _ProgressBar:
    """A rich progress bar of cells on stderr; a no-op when stderr is not a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> _ProgressBar:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("cells"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                TextColumn("eta"), TimeRemainingColumn(),
                TextColumn("{task.description}"), console=Console(stderr=True),
            )
            self._bar.start()
        return self

    def update(self, done: int, total: int, label: str) -> None:
        if self._bar is None:
            return
        if self._task is None:
            self._task = self._bar.add_task("", total=total, completed=done)
        self._bar.update(self._task, completed=done, description=label)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--out", default=None, type=click.Path(file_okay=False),
              help="Folder of the results table, summary, plot and traces "
              "[default: campaigns-out/NAME].")
@click.option("--scheduler", default=None, metavar="tcp://HOST:8786",
              help="A running Dask scheduler to use instead of a local cluster.")
@click.option("--workers", default=None, type=click.IntRange(min=1),
              help="Worker processes of the local cluster [default: one per core].")
@click.option("--dry-run", is_flag=True, help="Check the spec and list its cells; run none.")
@one_line_errors
def campaign(spec: str, out: str | None, scheduler: str | None, workers: int | None,
             dry_run: bool) -> None:
    """Run a matrix of searches (presets x knob values x fault groups x seeds) on Dask.

    Results stream into OUT/results.csv, one row per cell; a rerun skips the cells
    already there. Counterexamples are deduplicated by property and shrunk schedule and
    saved once each under OUT/traces/. See docs/campaigns.md for the SPEC.toml format.
    """
    parsed = load_spec(spec)
    folder = Path(out) if out else Path("campaigns-out") / parsed.name
    if dry_run:
        for cell in parsed.cells:
            click.echo(f"{cell.id}  {cell.label()}")
        click.echo(f"{len(parsed.cells)} cells")
        return
    show = sys.stderr.isatty() and "NO_COLOR" not in os.environ
    with _ProgressBar(show) as bar:
        result = run_campaign(parsed, folder, scheduler=scheduler, workers=workers,
                              progress=bar.update)
    from ackcheck.app._campaign_summary import summary_text, write_summary

    md, _js = write_summary(result)
    outputs = [folder / TABLE, md]
    if parsed.plot is not None:
        from ackcheck.app._campaign_plot import plot_campaign

        outputs += plot_campaign(result, parsed.plot)
    where = f"{result.workers} Dask workers" if result.ran else "nothing left to run"
    click.echo(f"campaign {parsed.name}: {len(parsed.cells)} cells, {result.ran} run now "
               f"({where}), {result.skipped} already in {folder / TABLE}")
    click.echo(summary_text(result), nl=False)
    click.echo("wrote " + ", ".join(str(p) for p in outputs))
    sys.exit(EXIT_OK if result.ok else EXIT_VIOLATION)
