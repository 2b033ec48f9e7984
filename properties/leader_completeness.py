"""leader-completeness: a committed entry is in the log of every later leader.

Raft's Leader Completeness, judged from observations: ``commit`` says an entry (index,
term, value) is committed; ``leader`` carries the new leader's log as term runs and its
snapshot index. A leader elected *after* some node saw the entry committed, in a term
higher than the one the entry was committed in, must hold the entry with that term (at
or below its snapshot index counts as held). Using the first commit observation as the
commit time is sound: the entry was committed no later than any node saw it so.

The term an entry was committed in is the observing node's term (``in_term``, optional)
at its first commit observation, which is the committing leader's own: an old-term entry
is committed by a later leader, and a stale leader of a term in between (a candidate
paused with its votes in flight, elected after the later leader) may lack it without
breaking Raft's guarantee. Without ``in_term`` the entry's own term stands in for it.
"""

from __future__ import annotations

import bisect
from typing import Any

import attrs

from ackcheck.history import History, Observation
from ackcheck.properties.facts import int_field, observations, term_runs
from ackcheck.properties.violation import MAX_DETAILS, Violation, at, capped
from ackcheck.schedule import node_name

# A leader missing a long committed prefix would yield one record per entry; a trace file
# needs the first few to show the failure, and the total to size it.
MAX_RECORDS = 100


@attrs.frozen
class _Committed:
    index: int
    term: int
    value: str | None  # None for an entry without a client value (a leader's no-op)
    seen: Observation
    in_term: int  # the term it was committed in (see the module docstring)

    def shown(self) -> str:
        return "a no-op" if self.value is None else repr(self.value)  # the first commit observation


@attrs.frozen
class _LeaderLog:
    obs: Observation
    term: int
    snapshot: int
    firsts: tuple[int, ...]  # run starts, ascending, for bisect
    runs: tuple[tuple[int, int, int], ...]  # (term, first, last) sorted by first

    def term_at(self, index: int) -> int | None:
        """The term of the leader's entry at ``index``, or None if it has none."""
        pos = bisect.bisect_right(self.firsts, index) - 1
        if pos >= 0:
            term, first, last = self.runs[pos]
            if first <= index <= last:
                return term
        return None

    def last_index(self) -> int:
        return max([self.snapshot, *(last for _, _, last in self.runs)])


class LeaderCompleteness:
    name = "leader-completeness"
    description = (
        "Every committed entry is present, with its term, in the log of every leader "
        "elected later in a higher term (commit and leader observations)."
    )

    def check(self, history: History) -> Violation | None:
        committed = _committed(history)
        leaders = _leaders(history)
        found: list[dict[str, Any]] = []
        lines: list[str] = []
        total = 0
        for leader in leaders:
            for entry in committed:
                if entry.seen.time >= leader.obs.time or entry.in_term >= leader.term:
                    continue
                if entry.index <= leader.snapshot:
                    continue
                has = leader.term_at(entry.index)
                if has == entry.term:
                    continue
                total += 1
                if total > MAX_RECORDS:
                    continue
                found.append(
                    {
                        "index": entry.index,
                        "term": entry.term,
                        "value": entry.value,
                        "committed_at": entry.seen.time,
                        "committed_on": entry.seen.node,
                        "leader": leader.obs.node,
                        "leader_term": leader.term,
                        "elected_at": leader.obs.time,
                        "leader_has_term": has,
                    }
                )
                lines.append(_describe(entry, leader, has))
        if not total:
            return None
        first = found[0]
        first_shown = "a no-op" if first["value"] is None else repr(first["value"])
        summary = (
            "Expected every committed entry in the log of every later leader; "
            f"{node_name(first['leader'])} became leader of term {first['leader_term']} "
            f"without index {first['index']} (term {first['term']}, {first_shown}), "
            f"committed earlier ({total} such gap(s) in all)."
        )
        details = capped(lines, MAX_DETAILS, "missing entries")
        if total > len(lines):
            details[-1] = f"... and {total - MAX_DETAILS} more missing entries"
        return Violation(self.name, summary, tuple(details), {"missing": found, "total": total})


def _committed(history: History) -> list[_Committed]:
    """Distinct committed (index, term, value), each with its first observation."""
    out: dict[tuple[int, int, str | None], _Committed] = {}
    for obs in observations(history, "commit"):
        index, term = int_field(obs.data, "index"), int_field(obs.data, "term")
        if index is None or term is None:
            continue
        raw = obs.data.get("value")
        value = None if raw is None else str(raw)
        key = (index, term, value)
        if key not in out:  # every node reports each entry: build one record per entry
            in_term = int_field(obs.data, "in_term")
            out[key] = _Committed(index, term, value, obs, term if in_term is None else in_term)
    return sorted(out.values(), key=lambda c: (c.index, c.term, c.value or ""))


def _leaders(history: History) -> list[_LeaderLog]:
    out = []
    for obs in observations(history, "leader"):
        term = int_field(obs.data, "term")
        if term is None:
            continue
        runs = tuple(sorted(term_runs(obs.data), key=lambda r: r[1]))
        snapshot = int_field(obs.data, "snapshot") or 0
        out.append(_LeaderLog(obs, term, snapshot, tuple(r[1] for r in runs), runs))
    return out


def _describe(entry: _Committed, leader: _LeaderLog, has: int | None) -> str:
    where = (
        f"has term {has} there"
        if has is not None
        else f"has no entry there (log ends at {leader.last_index()}, snapshot {leader.snapshot})"
    )
    return (
        f"index {entry.index} term {entry.term} {entry.shown()} committed "
        f"(seen by {node_name(entry.seen.node)} {at(entry.seen.time)}); "
        f"{node_name(leader.obs.node)}, leader of term {leader.term} {at(leader.obs.time)}, "
        f"{where}"
    )
