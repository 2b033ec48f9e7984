"""The fault-schedule strategies generate valid schedules and shrink to simple ones."""

from __future__ import annotations

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from ackcheck.app._strategies import DEFAULT_KINDS, fault_schedules, fault_times, parse_kinds
from ackcheck.errors import ConfigError
from ackcheck.schedule import FAULT_KINDS, PowerFailure, Schedule


@given(st.integers(1, 7).flatmap(lambda n: fault_schedules(nodes=n, kinds="all")))
@settings(max_examples=200)
def test_generated_schedules_are_valid(schedule: Schedule) -> None:
    # Schedule validates itself on construction; rebuilding proves it stays valid.
    Schedule(
        nodes=schedule.nodes,
        seed=schedule.seed,
        duration=schedule.duration,
        workload=schedule.workload,
        faults=schedule.faults,
    )
    for tf in schedule.faults:
        assert 0 <= tf.at <= 2 * schedule.duration
        assert all(0 <= n < schedule.nodes for n in tf.fault.nodes_named())


@given(fault_schedules(kinds="crash,partition", max_faults=5))
def test_only_requested_kinds(schedule: Schedule) -> None:
    # Each drawn fault may bring its recovery along: restart after crash, heal after cut.
    assert {tf.fault.kind for tf in schedule.faults} <= {"crash", "partition", "restart", "heal"}
    assert sum(tf.fault.kind in ("crash", "partition") for tf in schedule.faults) <= 5


def test_shrinks_to_one_simple_fault() -> None:
    def has_power_failure(s: Schedule) -> bool:
        return any(isinstance(tf.fault, PowerFailure) for tf in s.faults)

    minimal = find(fault_schedules(), has_power_failure, settings=settings(database=None))
    assert len(minimal.faults) == 1
    assert minimal.faults[0].at == 0
    assert minimal.faults[0].fault == PowerFailure(nodes=(0,))
    assert minimal.seed == 0


def test_parse_kinds_groups_and_order() -> None:
    assert parse_kinds(None) == DEFAULT_KINDS
    assert parse_kinds("crash,pause") == ("pause", "crash")  # benign first
    assert set(parse_kinds("network")) == {"partition", "heal"}
    assert parse_kinds("all") == tuple(FAULT_KINDS)


@pytest.mark.parametrize("spec", ["explode", "crash,explode", ","])
def test_parse_kinds_rejects_unknown(spec: str) -> None:
    with pytest.raises(ConfigError):
        parse_kinds(spec)


def test_bad_arguments_rejected() -> None:
    with pytest.raises(ConfigError):
        fault_schedules(min_faults=3, max_faults=2)


def test_settings_profiles_registered() -> None:
    from hypothesis import settings

    import ackcheck.app._profiles as profiles

    for name in profiles.PROFILES:
        settings.get_profile(name)
    ci = settings.get_profile("ackcheck-ci")
    assert ci.derandomize and ci.database is None and ci.deadline is None


def test_fault_times_spread_over_the_horizon() -> None:
    # st.integers(0, horizon) puts ~3 in 4 draws in the first 5 % of the horizon (before
    # a cluster has even elected); fault_times spreads them evenly, still shrinking to 0.
    horizon = 2_000_000
    drawn: list[int] = []

    @given(fault_times(horizon))
    @settings(max_examples=1_000, database=None)
    def collect(t: int) -> None:
        assert 0 <= t <= horizon
        drawn.append(t)

    collect()
    early = sum(t < horizon // 20 for t in drawn) / len(drawn)
    late = sum(t >= horizon // 2 for t in drawn) / len(drawn)
    assert early < 0.45 and late > 0.25, (early, late)  # st.integers: ~0.75 and ~0.05
    assert find(fault_times(horizon), lambda t: True, settings=settings(database=None)) == 0
