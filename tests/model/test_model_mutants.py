"""The mutation check, pinned: each seeded bug breaks a property on a schedule where its
base preset holds.

The schedules are the shrunk counterexamples ``bench/mutants.py`` found (those of the
five mutants that escaped the pinned schedules after the model change of 2026-12-02 are
from ``python bench/mutants.py --workers 1 --schedules``, seed 0). If a change to
the model or the properties made one of these runs pass, the property that caught the
bug can no longer see it there: rerun the bench to learn whether it still can anywhere.
"""

from __future__ import annotations

import pytest

from ackcheck.app._runner import run_once
from ackcheck.model import PRESETS
from ackcheck.model.mutants import MUTANTS, VOTE_SEARCH
from ackcheck.schedule import (
    BitFlip,
    Crash,
    Decision,
    LatentSectorError,
    Partition,
    Pause,
    PowerFailure,
    Schedule,
    TimedFault,
)

EVERY = (0, 1, 2, 3, 4)


def _five(seed: int, *faults: tuple[int, object], plan: tuple[Decision, ...] = ()) -> Schedule:
    return Schedule(nodes=5, seed=seed, faults=tuple(TimedFault(at, f) for at, f in faults),
                    decisions=plan)


def _votes(seed: int, *faults: tuple[int, object], plan: tuple[Decision, ...] = ()) -> Schedule:
    return Schedule(
        nodes=3, seed=seed, duration=VOTE_SEARCH["horizon"], network=VOTE_SEARCH["network"],
        workload=VOTE_SEARCH["workload"],
        faults=tuple(TimedFault(at, f) for at, f in faults), decisions=plan,
    )


def _flip(node: int) -> BitFlip:
    return BitFlip(node, "log", 0, 997)


CAUGHT: dict[str, tuple[str, Schedule]] = {
    "ack-before-quorum": ("ack-implies-durable", _five(0, (170_000, Partition("split", (3,))))),
    "leader-ack-before-fsync": ("leader-completeness", _five(
        0, (0, Pause(0)), (0, Pause(1)), (300_000, PowerFailure(EVERY)))),
    "follower-ack-before-fsync": ("ack-implies-durable",
                                  _five(0, (560_000, PowerFailure(EVERY)))),
    "skip-vote-fsync": ("election-safety", _votes(
        1, plan=(Decision("leader", 1, PowerFailure((0, 1, 2))),))),
    "forget-term-on-restart": ("election-safety", _votes(
        116, plan=(Decision("leader", 1, Crash(2), recover=0),))),
    "commit-without-quorum": ("ack-implies-durable",
                              _five(0, (0, Partition("split", (0, 1))))),
    "apply-before-commit": ("leader-completeness", _five(1, (0, Partition("bridge", (0,))))),
    "accept-mismatched-prev-term": ("no-duplicates",
                                    _five(97, (180_000, Partition("split", (0,))))),
    "conflict-truncates-one-early": ("log-matching",
                                     _five(0, plan=(Decision("append", 1, Pause(0)),))),
    "leader-drops-uncommitted-tail": ("ack-implies-durable",
                                      _five(0, (210_000, PowerFailure(EVERY)))),
    "skip-checksums": ("ack-implies-durable", _five(1, plan=(
        Decision("ack", 1, _flip(1)), Decision("commit", 1, _flip(1)),
        Decision("ack", 2, _flip(1))))),
    "stale-reads": ("ack-implies-durable", _five(
        0, (170_000, LatentSectorError(0, "log", 0, 0, 1)), (170_000, BitFlip(2, "log", 0, 0)),
        (220_000, LatentSectorError(3, "log", 0, 0, 1)))),
    "vote-without-log-check": ("ack-implies-durable", _five(0, (0, Partition("split", (0,))))),
    "repair-forgets-on-restart": ("ack-implies-durable", _five(
        0, (0, Partition("split", (0, 1))), (210_000, LatentSectorError(2, "log", 0, 0, 1)),
        (210_001, PowerFailure((2,))))),
}


def test_every_mutant_has_a_pinned_counterexample() -> None:
    assert set(CAUGHT) == set(MUTANTS)
    assert len(MUTANTS) >= 10


@pytest.mark.parametrize("name", sorted(CAUGHT))
def test_the_mutant_breaks_a_property_where_its_preset_holds(name: str) -> None:
    mutant = MUTANTS[name]
    prop, schedule = CAUGHT[name]
    config = PRESETS[mutant.preset].config
    broken = run_once(config, schedule, node=mutant.ref, record_events=False, digest=False)
    assert prop in [v.property for v in broken.violations]
    assert run_once(config, schedule, record_events=False, digest=False).violations == ()
