"""The ``ackcheck`` command.

Exit codes, for every command: 0 = checked and the properties hold, 1 = a property was
violated, 2 = bad input or environment (one line on stderr, no traceback), 3 = internal
error (one line naming the file that holds the traceback), 130 = interrupted
(:mod:`ackcheck.app._exits`, docs/errors.md).
"""

from __future__ import annotations

import importlib
import json
import os
import sys

import attrs
import click

from ackcheck import __version__
from ackcheck.app import _report as report
from ackcheck.app._exits import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_VIOLATION,
    fail,
    handle_unexpected,
    one_line_errors,
)
from ackcheck.app._explore import ExploreResult
from ackcheck.app._explore import explore as run_explore
from ackcheck.app._options import DEFAULT_SEARCH, SEARCH_MODES, SearchOptions
from ackcheck.app._paths import check_cache_environment, check_output_dir
from ackcheck.app._subject import subject_options, target
from ackcheck.app._tracefiles import save_counterexample
from ackcheck.errors import AckcheckError
from ackcheck.model import PRESETS
from ackcheck.properties import DEFAULT_PROPERTIES, REGISTRY
from ackcheck.schedule import LIMITS, Workload
from ackcheck.sim.simulator import SIMULATED_WRITES

#: More processes than this per core only adds start-up time and memory.
MAX_WORKERS = 4 * (os.cpu_count() or 1)


class LazyGroup(click.Group):
    """Subcommands owned by other subpackages, imported only when used, so that
    ``ackcheck explore`` never pays for the real-cluster harness."""

    lazy: dict[str, str] = {
        "replay": "ackcheck.app._trace_commands:replay",
        "show": "ackcheck.app._trace_commands:show",
        "nats": "ackcheck.app._nats_commands:nats",
        "campaign": "ackcheck.app._campaign_command:campaign",
        "check": "ackcheck.app._check_command:check",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module, _, attr = self.lazy[cmd_name].partition(":")
            return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]
        return super().get_command(ctx, cmd_name)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``ackcheck 0.1.0 (compiled with mypyc, 17 modules)``: the version, and which
    build is installed (computed only when asked: it imports the simulator)."""
    if not value or ctx.resilient_parsing:
        return
    from ackcheck.app._build import build_description

    click.echo(f"ackcheck {__version__} ({build_description()})")
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_print_version, help="Show the version and the build, then exit.")
@click.pass_context
@one_line_errors
def cli(ctx: click.Context) -> None:
    """Find acknowledged writes that a replicated log loses under faults."""
    if ctx.invoked_subcommand == "nats":  # before any download or listing starts
        check_cache_environment()


@cli.command()
def presets() -> None:
    """List the named configurations and what each is known to break."""
    width = max(len(n) for n in PRESETS)
    for name, preset in PRESETS.items():
        known = f"  [breaks: {preset.known_violation}]" if preset.known_violation else ""
        click.echo(f"{name:<{width}}  {preset.description}{known}")
        click.echo(f"{'':<{width}}  claims to survive: {preset.fault_model.describe()}")


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
              help="Fault kinds or groups (process, network, power, disk, all) "
              "[default: those the preset claims to survive].")
@click.option("--beyond-fault-model", is_flag=True,
              help="Search faults the preset does not claim to survive (other kinds, "
              "storage damage on more nodes).")
@click.option("--nodes", default=5, show_default=True, type=click.IntRange(1, LIMITS["nodes"]),
              help="Cluster size.")
@click.option("--examples", default=None, type=int, help="Schedules to try at most.")
@click.option("--budget", default=None, type=float, help="Seconds to search at most.")
@click.option("--seed", default=0, show_default=True, type=int, help="Search seed.")
@click.option("--max-faults", default=8, show_default=True,
              type=click.IntRange(0, LIMITS["faults"]))
@click.option("--writes", default=50, show_default=True, type=click.IntRange(0, SIMULATED_WRITES),
              help="Acked writes to attempt per schedule.")
@click.option("--workers", default=None, type=click.IntRange(1, MAX_WORKERS),
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
    beyond_fault_model: bool,
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
    check_output_dir(out)  # before the search: a counterexample must not be found in vain
    if examples is None and budget is None:
        budget = 60.0
    options = SearchOptions(
        properties=properties or None,
        faults=faults,
        beyond_fault_model=beyond_fault_model,
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
            progress=line.update,
        )
    result, not_saved = _save(result, out)
    if as_json:
        click.echo(json.dumps(report.summary_dict(result), sort_keys=True))
    else:
        click.echo(report.summary_text(result))
    if not_saved is not None:  # the counterexample is above, on stdout; the file is not
        fail(f"{not_saved} (the counterexample is printed above)")
    sys.exit(EXIT_OK if result.ok else EXIT_VIOLATION)


def _save(result: ExploreResult, out: str) -> tuple[ExploreResult, str | None]:
    """Save the counterexample's trace in ``out``; on failure (a disk filled up during
    the search) keep the result to print, and say why."""
    ce = result.counterexample
    if ce is None:
        return result, None
    try:
        path = save_counterexample(ce.trace, out)
    except AckcheckError as exc:
        return result, f"could not save the trace: {exc}"
    return attrs.evolve(result, counterexample=attrs.evolve(ce, trace_path=path)), None


def main(argv: list[str] | None = None) -> None:
    """Entry point: every user error is one line and exit 2, an interrupt 130, anything
    unexpected an internal error (exit 3, the traceback in a file); never a bare
    traceback, never a 1 that is not a violation."""
    try:
        rv = cli.main(args=argv, prog_name="ackcheck", standalone_mode=False)
    except AckcheckError as exc:
        fail(str(exc))
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("ackcheck: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.UsageError as exc:  # a bad option: one line, and where to read more
        if type(exc).__name__ == "NoArgsIsHelpError" and exc.ctx is not None:
            click.echo(exc.ctx.get_help())  # a bare `ackcheck`: the help, as --help does
            sys.exit(EXIT_OK)
        where = exc.ctx.command_path if exc.ctx is not None else "ackcheck"
        fail(f"{exc.format_message()} (see '{where} --help')")
    except click.ClickException as exc:
        fail(exc.format_message())
    except Exception as exc:
        handle_unexpected(exc)
    # a command returns only when it has nothing to report (--help, --version, presets)
    sys.exit(rv if rv in (EXIT_OK, EXIT_VIOLATION, EXIT_BAD_INPUT) else EXIT_OK)


if __name__ == "__main__":
    main()
