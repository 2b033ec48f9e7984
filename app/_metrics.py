"""Measures of how close a run came to breaking a property.

The explorer feeds them to ``hypothesis.target()`` (hill-climbing towards larger values)
and counts them as coverage of interesting states. They read a History only.
"""

from __future__ import annotations

from collections import Counter

from ackcheck.history import History


def unsynced_acked_at_fault(history: History) -> int:
    """The most acked writes that, at one fault, were durable on no more than a minority
    of nodes: the window a lazy fsync leaves open."""
    if not history.residency:
        return 0
    acked_at = {v: op.time for v, op in history.acked().items()}
    majority = history.nodes // 2 + 1
    by_fault: dict[tuple[int, str], Counter[str]] = {}
    for r in history.residency:
        durable = by_fault.setdefault((r.time, r.cause), Counter())
        durable.update(r.durable)
    worst = 0
    for (time, _cause), durable in by_fault.items():
        exposed = sum(1 for v, t in acked_at.items() if t <= time and durable[v] < majority)
        worst = max(worst, exposed)
    return worst


def leaders_in_one_term(history: History) -> int:
    """The most distinct nodes that claimed leadership of a single term."""
    leaders: dict[int, set[int]] = {}
    for ob in history.observations:
        if ob.kind == "leader":
            leaders.setdefault(int(ob.data.get("term", -1)), set()).add(ob.node)
    return max((len(s) for s in leaders.values()), default=0)


def acked_missing_from_reads(history: History) -> int:
    """Acked values absent from at least one node's complete final read."""
    acked = history.acked()
    missing: set[str] = set()
    for read in history.final_reads:
        if read.complete:
            have = {v for _, v in read.entries}
            missing.update(v for v in acked if v not in have)
    return len(missing)


def coverage(history: History, unsynced: int | None = None) -> list[str]:
    """Names of the interesting states this run reached (``unsynced``: the run's
    :func:`unsynced_acked_at_fault`, when the caller has it already)."""
    reached = []
    if unsynced is None:
        unsynced = unsynced_acked_at_fault(history)
    if unsynced:
        reached.append("fault with acked writes not durable on a majority")
    kinds = Counter(ob.kind for ob in history.observations)
    if kinds["leader"] > 1:
        reached.append("leader change")
    if kinds["recover"]:
        reached.append("recovery from a damaged file")
    if kinds["halt"]:
        reached.append("node halted (fail-stop)")
    if history.losses:
        reached.append("stored write removed from a disk")
    invokes = sum(1 for op in history.ops if op.f == "publish" and op.type == "invoke")
    if invokes > len(history.attempted()):
        reached.append("client retried a publish")
    return reached
