"""The schedule strategies (timed faults, decision plans, swarm) generate valid schedules
and shrink to simple ones."""

from __future__ import annotations

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from ackcheck.app._strategies import (
    DEFAULT_KINDS,
    decision_alphabet,
    decision_plans,
    fault_schedules,
    fault_times,
    parse_events,
    parse_kinds,
    swarm_schedules,
)
from ackcheck.errors import ConfigError
from ackcheck.schedule import (
    FAULT_KINDS,
    PROTOCOL_EVENTS,
    Crash,
    Decision,
    Partition,
    PowerFailure,
    Schedule,
)


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


# ---------------------------------------------------------------- decisions and swarm


def test_the_decision_alphabet_crosses_events_with_faults_benign_first() -> None:
    alphabet = decision_alphabet(3, "partition")
    assert [d.describe() for d in alphabet] == [
        f"after the 1st {e}: partition split [@]" for e in PROTOCOL_EVENTS]
    five = decision_alphabet(5, "crash,partition", events="leader,commit")
    kinds = [d.fault.kind for d in five]
    assert kinds == sorted(kinds, key=list(FAULT_KINDS).index)  # benign to severe
    assert {d.event for d in five} == {"leader", "commit"}
    assert all(d.count == 1 for d in five)
    # a stopped process may come back at once (it loses its memory); a cut may not
    assert {d.recover for d in five if d.fault.kind == "crash"} == {None, 0}
    assert {d.recover for d in five if d.fault.kind == "partition"} == {None}
    assert Partition("split", (0, 4)) in {d.fault for d in five}  # a partner, relative


@given(st.integers(1, 6).flatmap(
    lambda n: st.tuples(st.just(n), decision_plans(nodes=n, kinds="all", max_decisions=5))))
@settings(max_examples=100)
def test_generated_plans_are_valid_schedules(drawn: tuple[int, tuple[Decision, ...]]) -> None:
    nodes, plan = drawn
    assert len(plan) <= 5
    Schedule(nodes=nodes, decisions=plan)  # validates every decision


def test_plans_shrink_to_the_first_event_and_the_node_itself() -> None:
    def crashes(plan: tuple[Decision, ...]) -> bool:
        return any(d.fault.kind == "crash" for d in plan)

    minimal = find(decision_plans(nodes=3, kinds="process"), crashes,
                   settings=settings(database=None))
    assert minimal == (Decision("vote", 1, Crash(0)),)


@pytest.mark.parametrize("spec", ["lunch", "leader,lunch", ","])
def test_parse_events_rejects_unknown(spec: str) -> None:
    with pytest.raises(ConfigError):
        parse_events(spec)


def test_swarm_examples_leave_out_kinds_events_and_placements() -> None:
    seen: list[Schedule] = []

    @given(swarm_schedules(nodes=3, kinds="crash,partition,pause"))
    @settings(max_examples=150, database=None)
    def collect(schedule: Schedule) -> None:
        seen.append(schedule)

    collect()
    timed_only = [s for s in seen if s.faults and not s.decisions]
    plans_only = [s for s in seen if s.decisions and not s.faults]
    both = [s for s in seen if s.faults and s.decisions]
    assert timed_only and plans_only and both
    # some examples use one kind only, where the whole set would have offered three
    single = [s for s in seen
              if len({tf.fault.kind for tf in s.faults} - {"restart", "heal", "resume"}
                     | {d.fault.kind for d in s.decisions}) == 1
              and len(s.faults) + len(s.decisions) >= 3]
    assert single
    minimal = find(swarm_schedules(nodes=3), lambda s: True, settings=settings(database=None))
    assert minimal.faults == () and minimal.decisions == ()
