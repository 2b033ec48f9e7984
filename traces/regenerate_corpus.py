"""Regenerate ``traces/corpus/``: one minimal trace per preset's known violation.

``python -m ackcheck.traces.regenerate_corpus [--preset NAME]... [--budget S] [--seed N]``

For each preset that declares a ``known_violation``, search (``ackcheck.explore``) for a
counterexample to exactly that property, shrink it, and write it as
``<preset>--<property>.json.gz``. Teaching notes (``.md``) are written by people; the
command lists the ones still missing. Exits 1 if a known violation was not found within
the budget (the corpus would be incomplete), 0 otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ackcheck.traces.store import save_trace

# The checkout's corpus, relative to the repository root: an installed (or strict
# editable) copy of the package is not where the committed files live.
DEFAULT_DIR = Path("traces") / "corpus"


def corpus_name(preset: str, prop: str) -> str:
    return f"{preset}--{prop}"


def regenerate_one(
    preset: str, prop: str, directory: Path, budget: float, seed: int, faults: str | None = None
) -> Path | None:
    """Search ``preset`` for ``prop``; save and return the trace, or None if not found."""
    from ackcheck.explore import explore

    result = explore(preset, properties=[prop], budget=budget, seed=seed, faults=faults)
    found = result.counterexample
    if found is None or found.trace is None:
        return None
    return save_trace(found.trace, directory / f"{corpus_name(preset, prop)}.json.gz")


@click.command()
@click.option("--preset", "only", multiple=True, help="Only these presets (repeatable).")
@click.option("--budget", default=120.0, show_default=True, type=click.FloatRange(min=1),
              help="Seconds of search per preset (shrinking gets more).")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--faults", default=None, metavar="KINDS",
              help="Fault kinds to search with, as for `ackcheck explore --faults`.")
@click.option("--dir", "directory", default=DEFAULT_DIR, show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Where the corpus is (run from the repository root for the default).")
def main(
    only: tuple[str, ...], budget: float, seed: int, faults: str | None, directory: Path
) -> None:
    """Regenerate the corpus traces (see traces/corpus/README.md)."""
    from ackcheck.model import PRESETS

    unknown = [p for p in only if p not in PRESETS]
    if unknown:
        click.echo(f"ackcheck: error: unknown preset {unknown[0]!r}; known: "
                   f"{', '.join(PRESETS)}", err=True)
        sys.exit(2)
    if not directory.is_dir():
        click.echo(f"ackcheck: error: {directory} is not a directory; run from the repository "
                   "root or pass --dir", err=True)
        sys.exit(2)
    missing_traces, missing_notes = [], []
    for name, preset in PRESETS.items():
        prop = preset.known_violation
        if not prop or (only and name not in only):
            continue
        path = regenerate_one(name, prop, directory, budget, seed, faults)
        if path is None:
            click.echo(f"{name}: no {prop} violation found in {budget:.0f}s (seed {seed})")
            missing_traces.append(name)
            continue
        click.echo(f"{name}: {prop} -> {path}")
        note = path.with_name(f"{corpus_name(name, prop)}.md")
        if not note.exists():
            missing_notes.append(note.name)
    if missing_notes:
        click.echo("write teaching notes: " + ", ".join(missing_notes))
    sys.exit(1 if missing_traces else 0)


if __name__ == "__main__":
    main()
