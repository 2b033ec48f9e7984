"""A preset's fault model bounds the search: its kinds, and damage on a fixed minority."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings

from ackcheck.app._explore import explore
from ackcheck.app._fault_model import DAMAGE_KINDS, confine_damage, within_fault_model
from ackcheck.app._options import SearchOptions
from ackcheck.app._strategies import fault_schedules
from ackcheck.errors import ConfigError
from ackcheck.model import PRESETS
from ackcheck.schedule import BitFlip, Crash, LatentSectorError, Schedule, TimedFault


def _damaged(schedule: Schedule) -> set[int]:
    return {tf.fault.node for tf in schedule.faults  # type: ignore[attr-defined]
            if tf.fault.kind in DAMAGE_KINDS}


def test_damage_kinds_are_the_faults_that_name_a_file() -> None:
    assert DAMAGE_KINDS == ("latent-sector-error", "bit-flip", "misdirected-write")


@settings(max_examples=200, deadline=None)
@given(fault_schedules(nodes=5, kinds="crash,restart,bit-flip,latent-sector-error"))
def test_confined_schedules_damage_at_most_a_fixed_minority(schedule: Schedule) -> None:
    confined = confine_damage(schedule, 2)
    damaged = _damaged(confined)
    assert len(damaged) <= 2
    # Only damage faults move, only onto nodes that damage faults named first; the rest,
    # and the order and times, stay as generated.
    assert [tf.at for tf in confined.faults] == [tf.at for tf in schedule.faults]
    first = []
    for tf in schedule.faults:
        if tf.fault.kind in DAMAGE_KINDS and tf.fault.node not in first:  # type: ignore[attr-defined]
            first.append(tf.fault.node)  # type: ignore[attr-defined]
    assert damaged == set(first[:2])
    for before, after in zip(schedule.faults, confined.faults, strict=True):
        if before.fault.kind not in DAMAGE_KINDS:
            assert before == after


def test_confine_moves_later_damage_and_limit_zero_drops_it() -> None:
    s = Schedule(nodes=5, faults=(
        TimedFault(10, BitFlip(3)), TimedFault(20, Crash(4)),
        TimedFault(30, LatentSectorError(4)), TimedFault(40, BitFlip(0)),
    ))
    one = confine_damage(s, 1)
    assert [tf.fault for tf in one.faults] == [
        BitFlip(3), Crash(4), LatentSectorError(3), BitFlip(3)]
    assert confine_damage(s, 2).faults[3].fault == BitFlip(3)  # 0 % 2 -> [3, 4][0]
    assert [tf.fault for tf in confine_damage(s, 0).faults] == [Crash(4)]
    assert confine_damage(s, 3) is s


def test_within_fault_model_fills_in_the_claimed_kinds_and_the_minority() -> None:
    par = within_fault_model("par", SearchOptions())
    assert par.faults == ",".join(PRESETS["par"].fault_model.kinds)
    assert par.max_damaged_nodes == 2
    assert within_fault_model("par", SearchOptions(nodes=3)).max_damaged_nodes == 1
    assert within_fault_model("raft", SearchOptions()).max_damaged_nodes is None
    chosen = within_fault_model("par", SearchOptions(faults="disk"))
    assert chosen.faults == "restart,torn-write,latent-sector-error,bit-flip"
    with pytest.raises(ConfigError, match="misdirected-write outside par's fault model"):
        within_fault_model("par", SearchOptions(faults="crash,misdirected-write"))
    assert par.targets == "log,snapshot,vote"
    lesson = within_fault_model("raft-torn-tail", SearchOptions())
    assert (lesson.faults, lesson.targets, lesson.max_damaged_nodes) == (
        "crash,bit-flip", "log", 2)
    with pytest.raises(ConfigError, match="damage to vote files outside"):
        within_fault_model("raft-torn-tail", SearchOptions(targets="log,vote"))
    beyond = SearchOptions(faults="misdirected-write", beyond_fault_model=True)
    assert within_fault_model("par", beyond) is beyond
    assert within_fault_model(None, SearchOptions()) == SearchOptions()


def test_explore_confines_par_and_says_so() -> None:
    result = explore("par", faults="bit-flip,latent-sector-error,crash,restart",
                     examples=60, seed=3)
    assert result.options.max_damaged_nodes == 2
    assert result.stats.faults_by_kind.get("bit-flip", 0) > 0


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ackcheck.app.cli", *args],
                          capture_output=True, text=True, timeout=300)


def test_cli_states_the_fault_model_and_refuses_kinds_outside_it(tmp_path) -> None:
    run = _cli("explore", "--preset", "par", "--examples", "20", "--workers", "1",
               "--out", str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert ("within par's fault model: every default kind; storage damage on at most 2 of "
            "5 nodes, fixed per run") in run.stdout
    bad = _cli("explore", "--preset", "par", "--faults", "misdirected-write",
               "--examples", "5")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "--beyond-fault-model" in bad.stderr
    beyond = _cli("explore", "--preset", "par", "--faults", "misdirected-write",
                  "--beyond-fault-model", "--examples", "5", "--workers", "1",
                  "--out", str(tmp_path))
    assert beyond.returncode in (0, 1), beyond.stderr
    assert "beyond par's fault model, on purpose" in beyond.stdout
    listing = _cli("presets")
    assert "claims to survive: every default kind; storage damage on a minority" in (
        listing.stdout)
