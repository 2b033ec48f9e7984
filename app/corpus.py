"""Regenerate ``traces/corpus/``: one minimal trace per preset's known violation.

``python -m ackcheck.app.corpus [--preset NAME]... [--budget S] [--seed N]``
``python -m ackcheck.app.corpus --rerecord`` (same schedules, new recording)

For each preset that declares a ``known_violation``, search (``ackcheck.app._explore``) for a
counterexample to exactly that property, shrink it, and write it as
``<preset>--<property>.json.gz``. Teaching notes (``.md``) are written by people; the
command lists the ones still missing. Exits 1 if a known violation was not found within
the budget (the corpus would be incomplete), 0 otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ackcheck.app._explore import explore
from ackcheck.app._known import KNOWN_BUGS, KnownBug
from ackcheck.app._replay import build_config
from ackcheck.app._runner import run_once
from ackcheck.model import PRESETS, resolve_config
from ackcheck.traces.store import load_trace, save_trace
from ackcheck.traces.trace import FORMAT_VERSION, Trace, make_trace

# The checkout's corpus, relative to the repository root: an installed (or strict
# editable) copy of the package is not where the committed files live.
DEFAULT_DIR = Path("traces") / "corpus"


def regenerate_one(bug: KnownBug, directory: Path, budget: float, seed: int) -> Path | None:
    """Run ``bug``'s witness schedule if it has one (written by hand or by a generator,
    and read by a person: the best teaching copy), else search for it with its own
    settings; save and return the trace, or None."""
    if bug.witness is not None:
        trace = _witness_trace(bug)
    elif bug.searchable:
        result = explore(bug.preset, budget=budget, seed=seed, options=bug.options)
        found = result.counterexample
        trace = None if found is None else found.trace
    else:
        trace = None
    if trace is None:
        return None
    return save_trace(trace, directory / f"{bug.name}.json.gz")


def _witness_trace(bug: KnownBug) -> Trace | None:
    assert bug.witness is not None
    config = resolve_config(bug.preset, bug.overrides)
    outcome = run_once(config, bug.witness, properties=[bug.property])
    if not outcome.violations:
        return None
    return make_trace(
        preset=bug.preset,
        overrides=list(bug.overrides),
        config=config,
        node="raft",
        schedule=bug.witness,
        properties=[bug.property],
        violation=outcome.violations[0],
        history=outcome.history,
        digest=outcome.digest,
    )


def rerecord_one(path: Path) -> str:
    """Run a corpus trace's own schedule again and rewrite the file with what the
    simulator records now, if the same property is still violated; returns what happened.

    For a change that alters the recording but not the behaviour (an event's fields, the
    kernel's event count): the schedules, and so the teaching notes, stay as they are,
    where a new search could hand back a different counterexample."""
    trace = load_trace(path)
    properties = None if trace.properties is None else list(trace.properties)
    config = build_config(trace)[0]
    outcome = run_once(config, trace.schedule, node=trace.node, properties=properties)
    expected = None if trace.violation is None else trace.violation.property
    hit = next((v for v in outcome.violations if v.property == expected), None)
    if expected is not None and hit is None:
        return f"{path.name}: {expected} no longer violated; left as it was"
    if outcome.digest == trace.digest and trace.version == FORMAT_VERSION:
        return f"{path.name}: unchanged"
    fresh = make_trace(
        preset=trace.preset, overrides=trace.overrides, config=config,
        node=trace.node, schedule=trace.schedule, properties=properties, violation=hit,
        history=outcome.history, digest=outcome.digest,
    )
    save_trace(fresh, path)
    return (f"{path.name}: re-recorded ({trace.digest[:12]} -> {outcome.digest[:12]}, "
            f"format {trace.version} -> {FORMAT_VERSION})")


@click.command()
@click.option("--preset", "only", multiple=True, help="Only these presets (repeatable).")
@click.option("--bug", "bugs", multiple=True, metavar="NAME",
              help="Only these known bugs, by trace name (repeatable).")
@click.option("--rerecord", is_flag=True,
              help="Rerun each existing trace's own schedule and rewrite it (no search).")
@click.option("--budget", default=120.0, show_default=True, type=click.FloatRange(min=1),
              help="Seconds of search per known bug (shrinking gets more).")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--dir", "directory", default=DEFAULT_DIR, show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Where the corpus is (run from the repository root for the default).")
def main(only: tuple[str, ...], bugs: tuple[str, ...], rerecord: bool, budget: float,
         seed: int, directory: Path) -> None:
    """Regenerate the corpus traces (see traces/corpus/README.md), one per known bug in
    ``ackcheck.app._known.KNOWN_BUGS``, each searched with that bug's own settings."""
    unknown = [p for p in only if p not in PRESETS]
    if unknown:
        click.echo(f"ackcheck: error: unknown preset {unknown[0]!r}; known: "
                   f"{', '.join(PRESETS)}", err=True)
        sys.exit(2)
    if not directory.is_dir():
        click.echo(f"ackcheck: error: {directory} is not a directory; run from the repository "
                   "root or pass --dir", err=True)
        sys.exit(2)
    if rerecord:
        for trace_path in sorted(directory.glob("*.json.gz")):
            if not only or trace_path.name.split("--")[0] in only:
                click.echo(rerecord_one(trace_path))
        sys.exit(0)
    missing_traces: list[str] = []
    missing_notes: list[str] = []
    for bug in KNOWN_BUGS:
        if (only and bug.preset not in only) or (bugs and bug.name not in bugs):
            continue
        if not bug.searchable and bug.witness is None:
            click.echo(f"{bug.name}: skipped (not reachable by search, no witness schedule)")
            continue
        path = regenerate_one(bug, directory, budget, seed)
        if path is None:
            click.echo(f"{bug.name}: its witness schedule no longer violates {bug.property}"
                       if bug.witness is not None else
                       f"{bug.name}: not found in {budget:.0f}s (seed {seed})")
            missing_traces.append(bug.name)
            continue
        click.echo(f"{bug.name} -> {path}")
        note = path.with_name(f"{bug.name}.md")
        if not note.exists():
            missing_notes.append(note.name)
    if missing_notes:
        click.echo("write teaching notes: " + ", ".join(missing_notes))
    sys.exit(1 if missing_traces else 0)


if __name__ == "__main__":
    main()
