"""ackcheck check: the bounded exhaustive checker finds a shortest counterexample, says
"no violation within the bound" when there is none, and splits work across processes
without changing its answer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from ackcheck.app._check import CheckOptions, check_bounded
from ackcheck.app._runner import run_once
from ackcheck.errors import ConfigError
from ackcheck.model import resolve_config
from ackcheck.traces import load_trace, render, timed_schedule

FIG8 = ("state-machine-safety",)


def test_finds_figure_8_with_a_shortest_plan_and_raft_holds_within_the_same_bound() -> None:
    bound = CheckOptions(nodes=3, properties=FIG8)
    unsafe = check_bounded("raft-unsafe-commit", bound)
    assert unsafe.counterexample is not None
    schedule, outcome = unsafe.counterexample
    assert [v.property for v in outcome.violations] == list(FIG8)
    assert schedule.faults == () and 1 <= len(schedule.decisions) <= bound.max_faults
    assert unsafe.stats.depth == len(schedule.decisions)
    # breadth-first: nothing with fewer decisions fails
    shorter = check_bounded("raft-unsafe-commit",
                            attrs.evolve(bound, max_faults=len(schedule.decisions) - 1))
    assert shorter.ok and shorter.stats.complete
    # the same plan under textbook Raft, and every plan within the bound, hold
    again = run_once(resolve_config("raft"), schedule, properties=list(FIG8))
    assert again.violations == ()
    safe = check_bounded("raft", bound)
    assert safe.ok and safe.stats.complete and safe.stats.depth == bound.max_faults
    assert safe.stats.explored > safe.stats.alphabet
    assert 0 < safe.stats.distinct <= safe.stats.explored


def test_the_term_bound_stops_plans_from_growing() -> None:
    result = check_bounded("raft", CheckOptions(nodes=3, max_terms=0, properties=FIG8))
    assert result.ok
    # every decision fires in term 1 or later: none is extended past the first level
    assert result.stats.pruned_terms > 0 and result.stats.depth == 1
    assert result.stats.explored == 1 + result.stats.alphabet


def test_workers_split_the_levels_without_changing_the_answer() -> None:
    bound = CheckOptions(nodes=3, max_faults=2, properties=FIG8)
    one = check_bounded("raft", bound)
    two = check_bounded("raft", attrs.evolve(bound, workers=2))
    assert (one.stats.explored, one.stats.distinct, one.stats.depth) == (
        two.stats.explored, two.stats.distinct, two.stats.depth)


@pytest.mark.parametrize(
    "changes",
    [{"nodes": 0}, {"workers": 0}, {"max_faults": -1}, {"faults": "meteor"},
     {"events": "lunch"}, {"properties": ("bogus",)}],
)
def test_bad_options_are_config_errors(changes: dict) -> None:
    with pytest.raises(ConfigError):
        CheckOptions(**changes)


def ackcheck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ackcheck.app.cli", *args],
                          capture_output=True, text=True, timeout=600)


def test_cli_exits_1_with_a_trace_that_replays_renders_and_converts(tmp_path: Path) -> None:
    run = ackcheck("check", "--preset", "raft-unsafe-commit", "--nodes", "3",
                   "--property", "state-machine-safety", "--json", "--out", str(tmp_path))
    assert run.returncode == 1, run.stdout + run.stderr
    summary = json.loads(run.stdout)
    assert summary["ok"] is False and summary["violation"]["property"] == FIG8[0]
    assert summary["explored"] >= summary["distinct"] > 0
    assert summary["states_per_second"] > 0 and summary["violation"]["decisions"]
    trace = load_trace(summary["violation"]["trace"])
    assert trace.schedule.decisions, "the trace keeps the plan"
    assert trace.violation is not None and trace.violation.property == FIG8[0]
    for fmt in ("text", "markdown"):
        assert "decision 1:" in render(trace, fmt)
    # the faults the decisions caused, at their times, fail the same way in the simulator
    timed = timed_schedule(trace.schedule, trace.history)
    assert timed.decisions == () and timed.faults
    config = resolve_config("raft-unsafe-commit")
    assert [v.property for v in run_once(config, timed, properties=list(FIG8)).violations] \
        == list(FIG8)


def test_the_trace_names_the_violation_the_summary_leads_with(tmp_path: Path) -> None:
    """With every default property the run also loses acked writes; the summary leads
    with the preset's known violation, and so do the trace and its file name."""
    run = ackcheck("check", "--preset", "raft-unsafe-commit", "--nodes", "3", "--json",
                   "--out", str(tmp_path))
    assert run.returncode == 1, run.stdout + run.stderr
    summary = json.loads(run.stdout)
    shown = summary["violation"]["property"]
    assert shown == "state-machine-safety"
    trace = load_trace(summary["violation"]["trace"])
    assert trace.violation is not None and trace.violation.property == shown
    assert shown in Path(summary["violation"]["trace"]).name


def test_cli_no_violation_within_the_bound_exits_0(tmp_path: Path) -> None:
    run = ackcheck("check", "--preset", "raft", "--nodes", "3", "--max-faults", "2",
                   "--out", str(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no violation within the bound" in run.stdout
    assert "states explored" in run.stdout and "states/s" in run.stdout
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "args, words",
    [(["--faults", "meteor"], "meteor"), (["--preset", "nope"], "nope"),
     (["--events", "lunch"], "lunch"), (["--nodes", "0"], "--nodes")],
)
def test_cli_bad_input_is_one_line_and_exit_2(args: list[str], words: str) -> None:
    run = ackcheck("check", *args)
    assert run.returncode == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in run.stderr
