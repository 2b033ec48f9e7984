"""Facts several checkers derive from a :class:`History`, computed one way everywhere.

Every result is ordered (by op index, node id or sequence), never by set iteration, so
that verdicts and their wording are a pure function of the history.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ackcheck.history import FinalRead, History, Observation, Op


def publish_invokes(history: History) -> dict[str, Op]:
    """The first ``invoke`` of each published value, in invocation order."""
    out: dict[str, Op] = {}
    for op in sorted(history.ops, key=lambda o: o.index):
        if op.f == "publish" and op.type == "invoke" and op.value is not None:
            out.setdefault(op.value, op)
    return out


def publish_acks(history: History) -> dict[str, list[Op]]:
    """Every ``ok`` of each published value (a retried publish can be acked twice)."""
    out: dict[str, list[Op]] = {}
    for op in sorted(history.ops, key=lambda o: o.index):
        if op.f == "publish" and op.type == "ok" and op.value is not None:
            out.setdefault(op.value, []).append(op)
    return out


def reads_by_node(history: History) -> dict[int, FinalRead]:
    """The final read of each node, by node id (the last one if a node was read twice)."""
    return {r.node: r for r in sorted(history.final_reads, key=lambda r: r.node)}


def sequences_of(read: FinalRead) -> dict[str, list[int]]:
    """Value -> the sequences at which one node's final read returned it, ascending."""
    out: dict[str, list[int]] = {}
    for seq, value in sorted(read.entries):
        out.setdefault(value, []).append(seq)
    return out


def observations(history: History, kind: str) -> list[Observation]:
    """Observations of one kind, in time order (ties: node id, then record order);
    ``"apply"`` includes the commits that carry the apply (``Observation.applies``).

    Every checker asks for a kind or two of the same history in turn, so all kinds are
    sorted and grouped in one pass, kept for the most recent history only."""
    global _GROUPED
    held, grouped = _GROUPED
    if held is not history:
        grouped = {}
        ordered = sorted(
            range(len(history.observations)),
            key=lambda i: (history.observations[i].time, history.observations[i].node, i),
        )
        for i in ordered:
            o = history.observations[i]
            grouped.setdefault(o.kind, []).append(o)
            if o.kind == "commit" and o.applies:  # applied as committed: an apply too
                grouped.setdefault("apply", []).append(o)
        _GROUPED = (history, grouped)
    return list(grouped.get(kind, ()))


_GROUPED: tuple[History | None, dict[str, list[Observation]]] = (None, {})


def int_field(data: Mapping[str, Any], key: str) -> int | None:
    """An integer field of an observation, or None when absent or not a number.

    Observations may come back from a trace file, so tolerate strings of digits too.
    """
    raw = data.get(key)
    if type(raw) is int:  # the common case, first: this runs for every observation
        return raw
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.lstrip("-").isdigit():
        return int(raw)
    return None


def term_runs(data: Mapping[str, Any]) -> Iterator[tuple[int, int, int]]:
    """The ``(term, first, last)`` runs of a ``leader`` observation's ``log``.

    Tuples from the simulator and lists from a trace file are both accepted; malformed
    runs are skipped (a checker cannot judge them, and must not crash on them).
    """
    runs = data.get("log", ())
    if not isinstance(runs, Sequence) or isinstance(runs, str):
        return
    for run in runs:
        if isinstance(run, Sequence) and not isinstance(run, str) and len(run) == 3:
            term, first, last = run
            if all(isinstance(x, int) and not isinstance(x, bool) for x in run):
                yield term, first, last
