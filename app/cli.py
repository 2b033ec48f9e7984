"""The ``ackcheck`` command.

Exit codes, for every command: 0 = checked and the properties hold, 1 = a property was
violated, 2 = bad input or environment (one line on stderr, no traceback).
"""

from __future__ import annotations

import importlib
import json
import os
import sys

import click

from ackcheck import __version__
from ackcheck.app import _report as report
from ackcheck.app._exits import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_VIOLATION,
    fail,
    one_line_errors,
)
from ackcheck.app._explore import explore as run_explore
from ackcheck.app._options import DEFAULT_SEARCH, SEARCH_MODES, SearchOptions
from ackcheck.app._subject import subject_options, target
from ackcheck.errors import AckcheckError
from ackcheck.model import PRESETS
from ackcheck.properties import DEFAULT_PROPERTIES, REGISTRY
from ackcheck.schedule import Workload


class LazyGroup(click.Group):
    """Subcommands owned by other subpackages, imported only when used, so that
    ``ackcheck explore`` never pays for the real-cluster harness."""

    lazy: dict[str, str] = {
        "replay": "ackcheck.app._trace_commands:replay",
        "show": "ackcheck.app._trace_commands:show",
        "nats": "ackcheck.app._nats_commands:nats",
        "check": "ackcheck.app._check_command:check",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module, _, attr = self.lazy[cmd_name].partition(":")
            return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ackcheck")
def cli() -> None:
    """Find acknowledged writes that a replicated log loses under faults."""


@cli.command()
def presets() -> None:
    """List the named configurations and what each is known to break."""
    width = max(len(n) for n in PRESETS)
    for name, preset in PRESETS.items():
        known = f"  [breaks: {preset.known_violation}]" if preset.known_violation else ""
        click.echo(f"{name:<{width}}  {preset.description}{known}")


@cli.command(name="properties")
def list_properties() -> None:
    """List the properties that can be checked (default ones marked *)."""
    width = max(len(n) for n in REGISTRY)
    for name, prop in REGISTRY.items():
        mark = "*" if name in DEFAULT_PROPERTIES else " "
        click.echo(f"{mark} {name:<{width}}  {prop.description}")


@cli.command()
@subject_options
@click.option("--faults", default=None, metavar="KIND,...",
              help="Fault kinds or groups (process, network, power, disk, all).")
@click.option("--nodes", default=5, show_default=True, type=int, help="Cluster size.")
@click.option("--examples", default=None, type=int, help="Schedules to try at most.")
@click.option("--budget", default=None, type=float, help="Seconds to search at most.")
@click.option("--seed", default=0, show_default=True, type=int, help="Search seed.")
@click.option("--max-faults", default=8, show_default=True, type=int)
@click.option("--writes", default=50, show_default=True, type=int,
              help="Acked writes to attempt per schedule.")
@click.option("--workers", default=None, type=click.IntRange(min=1),
              help="Independent searches in parallel processes [default: one per core].")
@click.option("--search", "search", default=DEFAULT_SEARCH, show_default=True,
              type=click.Choice(SEARCH_MODES),
              help="Faults at random times, or decisions at protocol events (swarm: each "
              "example uses a random part of them); see docs/search.md.")
@click.option("--out", default="ackcheck-traces", show_default=True,
              type=click.Path(file_okay=False), help="Where counterexample traces go.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object.")
@one_line_errors
def explore(
    preset: str | None,
    overrides: tuple[str, ...],
    node: str,
    properties: tuple[str, ...],
    faults: str | None,
    nodes: int,
    examples: int | None,
    budget: float | None,
    seed: int,
    max_faults: int,
    writes: int,
    workers: int | None,
    search: str,
    out: str,
    as_json: bool,
) -> None:
    """Search fault schedules for a violation; print the smallest one found."""
    if examples is None and budget is None:
        budget = 60.0
    options = SearchOptions(
        properties=properties or None,
        faults=faults,
        nodes=nodes,
        examples=examples,
        budget=budget,
        seed=seed,
        max_faults=max_faults,
        workload=Workload(writes=writes),
        workers=workers or os.cpu_count() or 1,
        search=search,
    )
    show_progress = not as_json and sys.stderr.isatty() and "NO_COLOR" not in os.environ
    with report.ProgressLine(enabled=show_progress) as line:
        result = run_explore(
            target(preset, overrides, node), overrides=overrides, node=node, options=options,
            out=out,
            progress=line.update,
        )
    if as_json:
        click.echo(json.dumps(report.summary_dict(result), sort_keys=True))
    else:
        click.echo(report.summary_text(result))
    sys.exit(EXIT_OK if result.ok else EXIT_VIOLATION)


def main(argv: list[str] | None = None) -> None:
    """Entry point: turns every user error into one line and exit 2."""
    try:
        rv = cli.main(args=argv, prog_name="ackcheck", standalone_mode=False)
    except AckcheckError as exc:
        fail(str(exc))
    except click.exceptions.Abort:
        click.echo("ackcheck: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.UsageError as exc:  # a bad option: one line, and where to read more
        where = exc.ctx.command_path if exc.ctx is not None else "ackcheck"
        fail(f"{exc.format_message()} (see '{where} --help')")
    except click.ClickException as exc:
        fail(exc.format_message())
    except KeyboardInterrupt:
        click.echo("ackcheck: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(rv if isinstance(rv, int) else EXIT_OK)


if __name__ == "__main__":
    main()
