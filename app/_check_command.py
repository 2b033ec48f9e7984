"""``ackcheck check``: the bounded exhaustive checker on the command line.

Exit 1 with a trace (the same format and renderers as ``explore``'s) when a plan within
the bound violates a property, 0 with "no violation within the bound" otherwise, 2 for
bad input.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import attrs
import click

from ackcheck.app._check import DEFAULT_FAULTS, CheckOptions, CheckResult, check_bounded
from ackcheck.app._exits import EXIT_OK, EXIT_VIOLATION, one_line_errors
from ackcheck.app._runner import resolve_config, run_once
from ackcheck.app._subject import subject_options, target
from ackcheck.app._tracefiles import counterexample_trace, save_counterexample
from ackcheck.traces import schedule_lines


@click.command()
@subject_options
@click.option("--faults", default=DEFAULT_FAULTS, show_default=True, metavar="KIND,...",
              help="Fault kinds or groups a decision may apply.")
@click.option("--events", default=None, metavar="EVENT,...",
              help="Protocol events a decision may wait for [default: all].")
@click.option("--nodes", default=3, show_default=True, type=click.IntRange(min=1),
              help="Cluster size.")
@click.option("--max-terms", default=4, show_default=True, type=click.IntRange(min=0),
              help="Extend a plan only while its decisions fire in terms up to this.")
@click.option("--max-faults", default=3, show_default=True, type=click.IntRange(min=0),
              help="The most decisions in a plan (the depth of the search).")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Simulator seed: message delays and election timeouts.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Processes that split each level's plans.")
@click.option("--out", default="ackcheck-traces", show_default=True,
              type=click.Path(file_okay=False), help="Where a counterexample trace goes.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object.")
@one_line_errors
def check(
    preset: str | None,
    overrides: tuple[str, ...],
    node: str,
    properties: tuple[str, ...],
    faults: str,
    events: str | None,
    nodes: int,
    max_terms: int,
    max_faults: int,
    seed: int,
    workers: int,
    out: str,
    as_json: bool,
) -> None:
    """Check every plan of decisions within a bound, breadth-first (a counterexample
    found is a shortest one)."""
    options = CheckOptions(
        nodes=nodes, seed=seed, max_faults=max_faults, max_terms=max_terms, faults=faults,
        events=events, properties=properties or None, workers=workers,
    )
    subject = target(preset, overrides, node)
    result = check_bounded(subject, options, node=node, overrides=overrides)
    path = None
    if result.counterexample is not None:
        schedule = result.counterexample[0]
        config = resolve_config(subject, overrides, node)[1]
        recorded = run_once(config, schedule, node, options.properties)  # every event
        # the trace names the violation the summary leads with (a preset's known one)
        shown = result.counterexample[1].violations[0].property
        recorded = attrs.evolve(recorded, violations=tuple(sorted(
            recorded.violations, key=lambda v: v.property != shown)))
        trace = counterexample_trace(subject, overrides, config, node, options.properties,
                                     schedule, recorded)
        path = save_counterexample(trace, out)
    name = subject if isinstance(subject, str) else node
    if as_json:
        click.echo(json.dumps(summary_dict(name, result, path), sort_keys=True))
    else:
        click.echo(summary_text(name, result, path))
    sys.exit(EXIT_OK if result.ok else EXIT_VIOLATION)


def _bound(o: CheckOptions) -> str:
    return (f"up to {o.max_faults} decisions in terms <= {o.max_terms}, faults {o.faults}, "
            f"events {o.events or 'all'}, {o.nodes} nodes, seed {o.seed}")


def summary_text(name: str, result: CheckResult, path: Any) -> str:
    s = result.stats
    lines = [
        f"checked {name}: {_bound(result.options)} ({s.alphabet} decisions to choose from)",
        f"{s.explored} states explored, {s.distinct} distinct, depth {s.depth}, "
        f"{s.seconds:.1f}s ({s.states_per_second:.0f} states/s)"
        + (f", {s.pruned_terms} past the term bound" if s.pruned_terms else ""),
    ]
    if result.counterexample is None:
        lines.append("no violation within the bound")
        return "\n".join(lines)
    schedule, outcome = result.counterexample
    v = outcome.violations[0]
    also = [x.property for x in outcome.violations[1:]]
    lines += ["", f"VIOLATION of {v.property} (a shortest plan: {len(schedule.decisions)} "
                  "decisions" + (f"; also violated: {', '.join(also)}" if also else "") + "):",
              v.summary]
    lines += [f"  {d}" for d in v.details]
    lines += ["", "schedule:", *schedule_lines(schedule)]
    if path is not None:
        lines += ["", f"trace: {path}", f"replay: ackcheck replay {path}",
                  f"report: ackcheck show {path} --format markdown"]
    return "\n".join(lines)


def summary_dict(name: str, result: CheckResult, path: Any) -> dict[str, Any]:
    s, o = result.stats, result.options
    out: dict[str, Any] = {
        "target": name,
        "ok": result.ok,
        "explored": s.explored,
        "distinct": s.distinct,
        "depth": s.depth,
        "seconds": round(s.seconds, 3),
        "states_per_second": round(s.states_per_second, 1),
        "alphabet": s.alphabet,
        "pruned_terms": s.pruned_terms,
        "complete": s.complete,
        "bound": {"nodes": o.nodes, "max_faults": o.max_faults, "max_terms": o.max_terms,
                  "faults": o.faults, "events": o.events, "seed": o.seed},
        "violation": None,
    }
    if result.counterexample is not None:
        schedule, outcome = result.counterexample
        v = outcome.violations[0]
        out["violation"] = {
            "property": v.property,
            "also": [x.property for x in outcome.violations[1:]],
            "summary": v.summary,
            "decisions": [d.describe() for d in schedule.decisions],
            "trace": str(path) if path else None,
        }
    return out
