"""Messages between Raft nodes. Plain data, slotted and not frozen for speed as the
node interface's inputs and outputs are (``ackcheck.node``): the simulator records them
as events and nothing changes one once sent.

Log entries travel as ``(term, value)`` pairs; ``value`` None is a leader's no-op.
"""

from __future__ import annotations

import attrs

Entry = tuple[int, str | None]


@attrs.define
class RequestVote:
    term: int
    candidate: int
    last_index: int
    last_term: int


@attrs.define
class VoteReply:
    term: int
    granted: bool
    empty: bool  # the voter's log is empty (NATS does not count such votes: empty_votes)


@attrs.define
class AppendEntries:
    term: int
    leader: int
    prev_index: int
    prev_term: int
    entries: tuple[Entry, ...]
    commit: int
    #: the leader's commit index is final: it covers every entry the leader held when
    #: elected (its term-start no-op), so every earlier commit is at or below it. Until
    #: then a new leader does not know what its predecessors committed, and a follower
    #: that matched ``commit`` would serve a stale read.
    commit_final: bool = True


@attrs.define
class InstallSnapshot:
    term: int
    leader: int
    index: int
    snap_term: int
    values: tuple[str, ...]  # the stream up to ``index``


@attrs.define
class AppendReply:
    """Answer to AppendEntries and InstallSnapshot. On success ``match`` is the highest
    index known to match the leader; on failure ``hint`` is where to retry after."""

    term: int
    success: bool
    match: int
    hint: int


@attrs.define
class TermQuery:
    """Sent by a node whose term-and-vote file was damaged (``on_bad_record=repair``):
    it may have voted in any term up to the highest one some voter knows, so it asks
    every voter for its term before it votes again (protocol-aware recovery)."""

    term: int


@attrs.define
class TermReply:
    term: int  # the replier's current term
