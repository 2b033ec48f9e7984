"""Witness schedules written by hand, kept as checks that they still fail.

Search finds every known bug (``ackcheck.app._known``); a witness only shows that a
schedule written by a person still does. A timed witness is a static
:class:`~ackcheck.schedule.Schedule`, and its fault times only make sense for the run
they were fitted to: when the simulator's timing changes, the constant may stop failing.
The generators here rebuild it *adaptively* instead of hard-coding times: simulate a
prefix, read the history (who leads which term, who holds which entry), place the next
faults, repeat. Rerun the generator to refresh a constant. A decision witness
(:func:`fig8_plan`) needs no fitting: its faults are anchored to protocol events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from ackcheck.app._runner import run_once
from ackcheck.history import History
from ackcheck.model import make_node, resolve_config
from ackcheck.node import NodeState
from ackcheck.schedule import (
    Crash,
    Decision,
    Fault,
    Partition,
    Restart,
    Schedule,
    TimedFault,
    Workload,
)
from ackcheck.sim import simulate

#: How long each phase may take to reach its goal before the attempt is abandoned.
PHASE_LIMIT = 2_000_000
#: Fault times are rounded up to this grain, so they sit at round, readable times.
GRAIN = 10_000


class WitnessError(RuntimeError):
    """The generator could not steer the run to the scenario (for every seed tried)."""


def _round_up(t: int, grain: int = GRAIN) -> int:
    return -(-t // grain) * grain


@attrs.frozen
class _Probe:
    """The run of a schedule prefix cut off at ``until``: its history, and each node's
    state at that moment (a node that was down shows what it recovers from disk)."""

    history: History
    states: tuple[NodeState | None, ...]

    def leaders(self, after: int) -> list[tuple[int, int, int]]:
        """``(time, node, term)`` of every election won after ``after``."""
        return [
            (o.time, o.node, int(o.data["term"]))
            for o in self.history.observations
            if o.kind == "leader" and o.time > after
        ]

    def applied(self, node: int, index: int, after: int) -> tuple[int, str] | None:
        """When ``node`` first applied ``index`` after ``after``, and the value."""
        for o in self.history.observations:
            if (o.applies and o.node == node and o.time > after
                    and o.data["index"] == index):
                return o.time, str(o.data["value"])
        return None


def _entry(state: NodeState | None, index: int) -> tuple[int, str] | None:
    """``(term, value)`` of ``state``'s log at ``index``."""
    for i, term, value in state.log if state is not None else ():
        if i == index:
            return term, value
    return None


def _last_term(state: NodeState | None) -> int | None:
    """The term of the last log entry (0: empty log; None: the node is not running)."""
    if state is None:
        return None
    return state.log[-1][1] if state.log else 0


def _leads(state: NodeState | None) -> bool:
    return state is not None and state.role == "leader"


class _Steer:
    """A schedule under construction: faults so far, and the runs of its prefixes."""

    def __init__(self, base: Schedule, config: Any) -> None:
        self.base = base
        self.config = config
        self.factory = make_node
        self.faults: list[TimedFault] = []

    def add(self, at: int, *faults: Fault) -> None:
        self.faults.extend(TimedFault(at, f) for f in faults)

    def schedule(self, **changes: Any) -> Schedule:
        return attrs.evolve(self.base, faults=tuple(self.faults), **changes)

    def probe(self, until: int) -> _Probe:
        """Run the prefix up to ``until``: the fault phase ends there and no settle time
        follows, so the final states are the nodes' states at ``until``. Everything
        before ``until`` is the same as in the full run (one seed, per-link streams)."""
        sched = self.schedule(duration=until, settle=0)
        result = simulate(sched, self.factory, self.config, record_events=False, digest=False)
        return _Probe(result.history, result.history.final_states)


@attrs.frozen
class Fig8:
    """A Figure 8 schedule and what it was built to show: ``first`` (L1's term-a entry)
    and ``second`` (L2's term-b entry) both get applied at ``index``."""

    schedule: Schedule
    index: int
    first: str
    second: str
    roles: dict[str, int]  # L1, F, L2, and "c": the leader that commits ``first``


def fig8_schedule(seed: int = 0, *, attempts: int = 10) -> Schedule:
    """The schedule of :func:`fig8_witness`."""
    return fig8_witness(seed, attempts=attempts).schedule


def fig8_witness(seed: int = 0, *, attempts: int = 10) -> Fig8:
    """A 5-node schedule in which ``raft-unsafe-commit`` applies two different entries at
    one index (Raft paper Figure 8) while ``raft`` violates no default property.

    Built adaptively for ``seed``; if the run cannot be steered there (an election went
    an unexpected way), the next seeds are tried, up to ``attempts`` in all. The result
    is checked on both presets before it is returned.
    """
    unsafe = resolve_config("raft-unsafe-commit", [])
    safe = resolve_config("raft", [])
    reasons = []
    for s in range(seed, seed + attempts):
        try:
            found = _fig8_attempt(s, unsafe)
        except WitnessError as exc:
            reasons.append(f"seed {s}: {exc}")
            continue
        problem = _fig8_check(found.schedule, unsafe, safe)
        if problem is None:
            return found
        reasons.append(f"seed {s}: {problem}")
    raise WitnessError("no Figure 8 schedule found: " + "; ".join(reasons))


def _fig8_check(schedule: Schedule, unsafe: Any, safe: Any) -> str | None:
    """Why ``schedule`` is not a witness (None if it is): it must violate
    state-machine-safety under the unsafe rule and no default property under the safe
    one."""
    broken = run_once(unsafe, schedule, record_events=False, digest=False)
    if "state-machine-safety" not in {v.property for v in broken.violations}:
        return "no state-machine-safety violation under the unsafe rule"
    textbook = run_once(safe, schedule, record_events=False, digest=False)
    if textbook.violations:
        return "raft violates " + ", ".join(v.property for v in textbook.violations)
    return None


def _fig8_attempt(seed: int, config: Any) -> Fig8:
    """One attempt at Figure 8 with ``seed``; raises :class:`WitnessError` if a phase
    does not go as planned. Roles (the paper's S1 and S5 are L1 and L2):

    1. L1 wins the first election (term a). Cut {L1, F} off from the rest.
    2. The majority {x, y, L2} elects L2 (term b). Crash x and y: L2 is alone.
    3. Clients start, one write each: L1 appends e1 at index i (F gets it too), L2
       appends e2 at i; the writes sent to x and y are lost (they are down).
    4. Restart x, y; isolate L2. L1 or F (logs ending at term a, which x and y lack)
       wins term c, brings e1 to a majority and, counting replicas, commits and applies
       it. No no-op of term c exists (the unsafe rule appends none).
    5. Before any term-c entry (a client's write, redirected from x or y one workload
       interval later) leaves that leader, cut it off with one node. L2 (last log term
       b > a) wins term d with the other two and overwrites index i with e2.
    """
    nodes = 5
    never = 10**9  # a workload start after every probe: no client acts yet
    # One write per client. A client refused by x or y waits an interval (100 ms) before
    # it follows the hint to the term-c leader: a coarse window in which to cut it off.
    workload = Workload(clients=nodes, writes=nodes, interval=100_000, start=never)
    steer = _Steer(
        Schedule(nodes=nodes, seed=seed, duration=never, workload=workload), config
    )

    # 1. The first leader.
    first = steer.probe(PHASE_LIMIT).leaders(0)
    if not first:
        raise WitnessError("no first leader")
    t_a, l1, term_a = first[0]
    f = min(n for n in range(nodes) if n != l1)
    t = _round_up(t_a + 50_000)
    steer.add(t, Partition("split", (l1, f)))

    # 2. The majority side elects L2; crash the other two there.
    won = [e for e in steer.probe(t + PHASE_LIMIT).leaders(t) if e[1] not in (l1, f)]
    if not won:
        raise WitnessError("the majority side elected nobody")
    t_b, l2, term_b = won[0]
    x, y = (n for n in range(nodes) if n not in (l1, f, l2))
    t = _round_up(t_b + 50_000)
    steer.add(t, Crash(x), Crash(y))

    # 3. One write per client, from now: L1 and L2 each take one nobody else can see.
    start = t + 20_000
    steer.base = attrs.evolve(steer.base, workload=attrs.evolve(workload, start=start))
    t = _round_up(start + 150_000)
    probe = steer.probe(t)
    if not (_leads(probe.states[l1]) and _leads(probe.states[l2])):
        raise WitnessError("L1 or L2 lost leadership before the writes")
    index = max(s.commit_index for s in probe.states if s is not None) + 1
    e1, e2 = _entry(probe.states[l1], index), _entry(probe.states[l2], index)
    if e1 is None or e2 is None or e1[0] != term_a or e2[0] != term_b:
        raise WitnessError(f"the writes did not land at index {index} on L1 and L2")

    # 4. Restart x and y, isolate L2: L1 or F wins term c and commits e1 by count.
    steer.add(t, Restart(x), Restart(y), Partition("split", (l2,)))
    probe = steer.probe(t + PHASE_LIMIT)
    won = [e for e in probe.leaders(t) if e[1] in (l1, f) and e[2] > term_b]
    if not won:
        raise WitnessError("neither L1 nor F won a term after L2's")
    _, l3, term_c = won[0]
    applied = probe.applied(l3, index, t)
    if applied is None or applied[1] != e1[1]:
        raise WitnessError(f"n{l3} did not apply e1 at index {index} in term {term_c}")

    # 5. Cut the term-c leader off with one node, at the first grain after it applied
    # e1 at which two other nodes still hold nothing of term c (finer if need be).
    cut = _cut_before_term(steer, applied[0], l3, term_c, exclude=(l2,))
    if cut is None:
        raise WitnessError("a term-c entry reached the others before the cut")
    cut_at, (p, q), r = cut
    steer.add(cut_at, Partition("split", (l3, r)))
    probe = steer.probe(cut_at + PHASE_LIMIT)
    if not any(e[1] == l2 for e in probe.leaders(cut_at)):
        raise WitnessError("L2 did not win a later term")
    overwritten = probe.applied(l2, index, cut_at)
    if overwritten is None or overwritten[1] != e2[1]:
        raise WitnessError(f"L2 did not apply e2 at index {index}")
    # The fault phase ends a little after L2's followers applied e2 too.
    after = [probe.applied(n, index, cut_at) for n in (p, q)]
    end = max([overwritten[0], *(a[0] for a in after if a is not None)])
    schedule = steer.schedule(duration=_round_up(end + 200_000, 100_000), settle=3_000_000)
    roles = {"L1": l1, "F": f, "L2": l2, "c": l3}
    return Fig8(schedule=schedule, index=index, first=e1[1], second=e2[1], roles=roles)


def _cut_before_term(
    steer: _Steer, since: int, leader: int, term: int, exclude: Sequence[int]
) -> tuple[int, tuple[int, int], int] | None:
    """The earliest time from ``since`` (coarsest grain first) at which two nodes other
    than ``leader`` and ``exclude`` hold no entry of ``term``: ``(time, (p, q), r)``
    with ``r`` the node left to go with the leader."""
    others = [n for n in range(steer.base.nodes) if n != leader and n not in exclude]
    for grain in (GRAIN, 1_000, 100):
        at = _round_up(since + 1, grain)
        states = steer.probe(at).states
        lasts = {n: _last_term(states[n]) for n in others}
        clean = [n for n, last in lasts.items() if last is not None and last < term]
        if len(clean) >= 2:
            p, q = clean[:2]
            (r,) = (n for n in others if n not in (p, q))
            return at, (p, q), r
    return None


# fig8_schedule(seed=0) (first attempt, seed 0): L1 = n3 leads term 1 and, cut off with
# F = n0, appends "3-0" at index 1; L2 = n1 wins term 2 and appends "1-0" there alone;
# n3 wins term 4 with n2, n4, commits and applies "3-0" by count; cut off with n4, it
# loses index 1 to n1 (term 6), which applies "1-0". Each of the 7 faults is needed:
# deleting any one of them loses the violation (checked with delta debugging).
FIG8_WITNESS = Schedule(
    nodes=5,
    seed=0,
    duration=1_700_000,
    settle=3_000_000,
    workload=Workload(clients=5, writes=5, interval=100_000, start=430_000),
    faults=(
        TimedFault(210_000, Partition("split", (0, 3))),
        TimedFault(410_000, Crash(2)),
        TimedFault(410_000, Crash(4)),
        TimedFault(580_000, Restart(2)),
        TimedFault(580_000, Restart(4)),
        TimedFault(580_000, Partition("split", (1,))),
        TimedFault(1_030_000, Partition("split", (3, 4))),
    ),
)


def fig8_plan(nodes: int = 3, seed: int = 0) -> Schedule:
    """Figure 8 as three decisions, written by hand (docs/search.md): cut the first
    leader off the moment it is elected, then the second the moment it is, then the
    first again the moment it commits its old entry by counting replicas. On five nodes
    the first and last cuts take a partner along, so that the old entry has a second
    copy and the nodes left without it cannot elect one of their own. One client per
    node, so that each leader appends a write of its own. A check that a hand-written
    decision schedule still fails, as :data:`FIG8_WITNESS` is for timed faults."""
    alone = Partition("split", (0,))
    pair = alone if nodes < 5 else Partition("split", (0, 2))
    return Schedule(
        nodes=nodes,
        seed=seed,
        workload=Workload(clients=nodes, writes=4 * nodes),
        decisions=(
            Decision("leader", 1, pair),
            Decision("leader", 1, alone),
            Decision("commit", 1, pair),
        ),
    )
