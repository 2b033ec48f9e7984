"""The public API of docs/contracts.md: what it names exists, and it names all of it.

These tests import only public names (``ackcheck`` and the subpackages' ``__all__``), so
an internal reshuffle cannot break a user's code without failing here first.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from hypothesis import given, settings

import ackcheck
from ackcheck.errors import ConfigError
from ackcheck.model import PRESETS, resolve_config
from ackcheck.schedule import PowerFailure, Restart
from ackcheck.traces import load_trace, render, save_trace

CONTRACTS = Path(__file__).resolve().parents[1] / "docs" / "contracts.md"
PUBLIC_MODULES = (
    "ackcheck",
    "ackcheck.schedule",
    "ackcheck.node",
    "ackcheck.history",
    "ackcheck.errors",
    "ackcheck.canonical",
    "ackcheck.knobs",
    "ackcheck.sim",
    "ackcheck.model",
    "ackcheck.properties",
    "ackcheck.traces",
    "ackcheck.harness",
)
# Vocabulary names the page describes as a group rather than one by one.
GROUPED = {
    "ackcheck.schedule": {"US_PER_MS", "FILE_TARGETS", "TARGET_PREFIX", "FileTarget",
                          "PARTITION_SHAPES", "PartitionShape", "node_name", "Fault"},
    "ackcheck.node": {"Input", "Output", "Publish", "Read", "PublishOk", "ReadOk",
                      "Refused"},
    "ackcheck.history": {"OpType"},
    "ackcheck.knobs": {"TRUE_WORDS", "FALSE_WORDS", "NONE_WORDS", "parse_bool"},
}


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_name_exists(module: str) -> None:
    mod = importlib.import_module(module)
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert not missing, f"{module}.__all__ names what it lacks: {missing}"


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_contracts_page_names_every_public_name(module: str) -> None:
    text = CONTRACTS.read_text()
    named = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    mod = importlib.import_module(module)
    unnamed = sorted(set(mod.__all__) - named - GROUPED.get(module, set()))
    assert not unnamed, f"docs/contracts.md does not name {module}: {unnamed}"


def test_explore_finds_a_lost_write_and_saves_a_trace_that_replays(tmp_path: Path) -> None:
    result = ackcheck.explore("nats-2.12.1", faults="power", examples=200, seed=0,
                              properties=("ack-implies-durable",), out=tmp_path)
    assert not result.ok
    ce = result.counterexample
    assert ce is not None and ce.violation.property == "ack-implies-durable"
    assert ce.trace_path is not None and ce.trace_path.parent == tmp_path
    trace = load_trace(ce.trace_path)
    again = ackcheck.run_once(resolve_config("nats-2.12.1"), trace.schedule)
    assert again.digest == trace.digest
    assert "ack-implies-durable" in render(trace, "markdown")
    with pytest.raises(ackcheck.CounterexampleError):
        result.raise_for_violation()


def test_search_options_are_validated_once() -> None:
    with pytest.raises(ConfigError):
        ackcheck.SearchOptions(budget=float("nan"))
    with pytest.raises(ConfigError):
        ackcheck.SearchOptions(faults="meteor-strike")
    with pytest.raises(ConfigError):
        ackcheck.explore("raft", no_such_option=1)
    opts = ackcheck.SearchOptions(faults="power", examples=5)
    assert opts.evolve(seed=3).seed == 3 and opts.evolve(seed=3).faults == "power"


@settings(max_examples=15, deadline=None, database=None)
@given(ackcheck.fault_schedules(nodes=3, kinds="crash,restart,partition", max_faults=4))
def test_assert_holds_in_a_users_hypothesis_test(schedule: ackcheck.Schedule) -> None:
    ackcheck.assert_holds("raft", schedule)


def test_assert_holds_raises_with_the_counterexample(tmp_path: Path) -> None:
    lost = ackcheck.Schedule(nodes=3, seed=1, faults=(
        ackcheck.TimedFault(600_000, PowerFailure((0, 1, 2))),
        ackcheck.TimedFault(700_000, Restart(0)),
    ))
    with pytest.raises(ackcheck.CounterexampleError) as exc:
        ackcheck.assert_holds("nats-2.12.1", lost)
    path = exc.value.save_trace(tmp_path)
    assert save_trace(load_trace(path), tmp_path / "copy.json").exists()


def test_catalogue_and_standard_example() -> None:
    names = {bug.name for bug in ackcheck.KNOWN_BUGS}
    assert "nats-2.12.1--ack-implies-durable" in names
    assert all(bug.preset in PRESETS for bug in ackcheck.KNOWN_BUGS)
    s = ackcheck.standard_example(3)
    assert s.seed == 3 and s.nodes == 5 and len(s.faults) == 5


def test_explore_checks_its_output_directory_before_searching(tmp_path: Path) -> None:
    """From Python as from the CLI: an unwritable ``out`` is a ConfigError at once, not
    a counterexample found in vain."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        ackcheck.explore("nats-2.12.1", faults="power", examples=10_000, out=blocker / "t")
