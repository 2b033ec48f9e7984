"""Each preset's known violation is found and shrunk; the safe presets hold.

The list of known bugs and the settings that find them is ``ackcheck.app._known.KNOWN_BUGS``;
``bench/time_to_bug.py`` measures the same searches.
"""

from __future__ import annotations

import pytest

from ackcheck.app._explore import explore
from ackcheck.app._known import KNOWN_BUGS, KnownBug
from ackcheck.app._options import SearchOptions
from ackcheck.app._runner import run_once
from ackcheck.app._witnesses import fig8_plan
from ackcheck.model import resolve_config

SEARCHED = [(b, o) for b in KNOWN_BUGS for o in b.at_sizes()]
WITNESSED = [b for b in KNOWN_BUGS if b.witness is not None]


def test_every_known_bug_is_searched_for() -> None:
    # Witnesses only check that a hand-written schedule still fails; search finds each.
    assert all(b.searchable for b in KNOWN_BUGS)


@pytest.mark.parametrize("bug, options", SEARCHED,
                         ids=lambda x: x.name if isinstance(x, KnownBug) else f"{x.nodes}n")
def test_explore_finds_and_shrinks_the_known_bug(bug: KnownBug, options: SearchOptions) -> None:
    result = explore(bug.preset, budget=90, shrink_budget=60, seed=0, options=options)
    ce = result.counterexample
    assert ce is not None, f"{bug.name}: not found in 90 s"
    assert ce.violation.property == bug.property
    size = len(ce.schedule.faults) + len(ce.schedule.decisions)
    assert size <= bug.by_hand + 1, (ce.schedule.faults, ce.schedule.decisions)
    # A counterexample always replays to the same violation, digest included.
    again = run_once(result.config, ce.schedule, properties=[bug.property])
    assert again.digest == ce.outcome.digest
    assert [v.property for v in again.violations] == [bug.property]


@pytest.mark.parametrize("bug", WITNESSED, ids=lambda b: b.name)
def test_witness_schedule_shows_the_bug_and_raft_does_not(bug: KnownBug) -> None:
    assert bug.witness is not None
    broken = run_once(resolve_config(bug.preset, bug.overrides), bug.witness,
                      properties=[bug.property])
    assert [v.property for v in broken.violations] == [bug.property]
    textbook = run_once(resolve_config("raft"), bug.witness, properties=[bug.property])
    assert textbook.violations == ()


@pytest.mark.parametrize(
    "preset, faults",
    [
        ("raft", "process"),
        ("raft", "network"),
        ("raft", "power"),
        ("raft", "disk"),
        ("par", "process,network,power"),
    ],
)
@pytest.mark.parametrize("search", ["timed", "decisions"])
def test_safe_presets_hold_under_every_fault_kind(preset: str, faults: str,
                                                  search: str) -> None:
    result = explore(preset, faults=faults, examples=150, seed=0, search=search)
    assert result.ok, result.counterexample and result.counterexample.violation.text()
    assert result.stats.examples == 150
    assert sum(result.stats.faults_by_kind.values()) > 100


@pytest.mark.parametrize("nodes", [3, 5])
def test_the_hand_written_figure_8_plan_fails_on_most_seeds_and_raft_holds(nodes: int) -> None:
    unsafe, safe = resolve_config("raft-unsafe-commit"), resolve_config("raft")
    failed = 0
    for seed in range(10):
        plan = fig8_plan(nodes, seed)
        broken = run_once(unsafe, plan, properties=["state-machine-safety"])
        failed += bool(broken.violations)
        assert run_once(safe, plan, properties=["state-machine-safety"]).violations == ()
    assert failed >= 6, f"{failed}/10 seeds"
