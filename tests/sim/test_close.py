"""A finished run leaves no reference cycles, so a search can pause the cyclic collector.

Each run's parts hold bound methods of one another (the output handlers, the step and send
functions, the pending calls of the loop): cycles that kept every run's objects alive
until the collector walked them, 18% of a compiled search's time. ``Simulator.close``
breaks them; these tests fail when a new part adds a cycle that ``close`` misses."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator

import attrs
import pytest

from ackcheck.app._collector import FULL_EVERY, YOUNG_EVERY, PausedCollector
from ackcheck.app._known import standard_example
from ackcheck.app._runner import simulate_bounded
from ackcheck.model import make_node, resolve_config
from ackcheck.schedule import Decision, Partition
from ackcheck.sim import Simulator, simulate


@pytest.fixture
def saved_garbage() -> Iterator[list[object]]:
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def _cyclic_garbage(garbage: list[object]) -> Counter[str]:
    gc.collect()
    return Counter(type(o).__qualname__ for o in garbage)


def _closed_runs() -> None:
    config = resolve_config("raft", [])
    simulate(standard_example(1), make_node, config)
    plan = attrs.evolve(standard_example(2), faults=(),
                        decisions=(Decision("leader", 1, Partition("split", (0,))),))
    simulate_bounded(plan, make_node, config, record_events=False, digest=False,
                     coverage=True, on_decision=lambda sim, index: None)


@pytest.fixture
def warm() -> None:
    """Once per process caches (the partitions' link sets, built with networkx) fill."""
    _closed_runs()


def test_a_closed_run_leaves_no_cycles(warm: None, saved_garbage: list[object]) -> None:
    _closed_runs()
    assert _cyclic_garbage(saved_garbage) == Counter()


def test_a_run_not_closed_is_cyclic_garbage_so_the_test_above_can_fail(
    saved_garbage: list[object],
) -> None:
    Simulator(standard_example(1), make_node, resolve_config("raft", [])).run()
    assert _cyclic_garbage(saved_garbage)["Processes"] == 1


def test_a_closed_simulator_cannot_run_on() -> None:
    sim = Simulator(standard_example(1), make_node, resolve_config("raft", []))
    result = sim.run()
    sim.close()
    sim.close()  # closing twice is harmless
    assert result.history.ops  # the result stays valid
    with pytest.raises(RuntimeError, match="closed"):
        sim.processes.timers._step(sim.processes.slots[0], None)


def test_the_paused_collector_collects_at_fixed_points_and_restores_the_state() -> None:
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    was = gc.isenabled()
    gc.enable()
    gc.callbacks.append(count)
    try:
        with PausedCollector() as tick:
            assert not gc.isenabled()
            for _ in range(FULL_EVERY):
                tick()
        assert gc.isenabled()
    finally:
        gc.callbacks.remove(count)
        if not was:
            gc.disable()
    young = FULL_EVERY // YOUNG_EVERY - 1
    assert collections.count(2) >= 1 and collections.count(1) >= young
    gc.disable()
    try:
        with PausedCollector():
            pass
        assert not gc.isenabled()  # a caller that had disabled it keeps it disabled
    finally:
        if was:
            gc.enable()
