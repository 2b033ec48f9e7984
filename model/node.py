"""A Raft-like node serving one replicated stream, sans-I/O, with durability knobs.

The protocol is textbook Raft (election, AppendEntries with the consistency check and
backtracking, commit, snapshots and InstallSnapshot); the knobs of :class:`RaftConfig`
decide *when* bytes are fsynced and acks sent, which is where NATS JetStream differs (in
2.12.1 a follower replies to an append once it is written, before any fsync:
``server/raft.go:3798-3885`` at v2.12.1). Every durability decision is visible in the
order of the returned outputs: "fsync before ack" is ``[Write, Fsync, Send(reply)]``.

Stream sequence = position among applied client entries; leader no-ops do not consume
one. A value already in the log or stream is not appended twice: a retried publish waits
for (or is answered with) the first copy, as NATS' ``Nats-Msg-Id`` de-duplication does.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from itertools import groupby
from typing import Any, NamedTuple

import attrs

from ackcheck.model.config import RaftConfig
from ackcheck.model.messages import (
    AppendEntries,
    AppendReply,
    Entry,
    InstallSnapshot,
    RequestVote,
    TermQuery,
    TermReply,
    VoteReply,
)
from ackcheck.model.recovery import recover
from ackcheck.model.storage import (
    FLAG_REPAIRING,
    FLAG_VOTE_UNKNOWN,
    VOTE_FILE,
    VOTE_TMP,
    Block,
    Loc,
    encode_record,
    encode_snapshot,
    encode_vote,
    snapshot_name,
)
from ackcheck.node import (
    Boot,
    CancelTimer,
    ClientReply,
    ClientRequest,
    Delete,
    Fsync,
    NodeState,
    Observe,
    Output,
    Publish,
    PublishOk,
    Read,
    ReadOk,
    Receive,
    Refused,
    Rename,
    Send,
    SetTimer,
    Timeout,
    Truncate,
    Write,
)

MAX_BATCH = 64  # entries per AppendEntries: bounds one message during catch-up
ELECTION, HEARTBEAT, SYNC = "election", "heartbeat", "sync"
COMPACT = "compact"  # the compaction ticker (``compact_interval``; off by default)


class Held(NamedTuple):
    """Publishes committed at ``log_index`` (stream sequence ``seq``) whose acks wait for the
    leader's own copy to be synced (``leader_ack=quorum-and-local-fsync``)."""

    log_index: int
    seq: int
    waiters: list[ClientRequest]


class RaftNode:
    """One member of the stream's Raft group (see the module docstring)."""

    #: Seeded bugs switched on in this node: only :mod:`ackcheck.model.mutants` sets it,
    #: to check that the properties catch each. Empty otherwise: each check is one set
    #: lookup, and ``bench/fingerprint.py`` shows runs without bugs unchanged by them.
    bugs: frozenset[str] = frozenset()

    def __init__(self, node_id: int, nodes: int, config: RaftConfig, rng: random.Random):
        self.id = node_id
        self.cfg = config
        self.rng = rng
        group = config.replicas or nodes
        # Nodes 0..group-1 vote and count toward commits; the rest (when replicas < nodes)
        # are learners: they receive the log and serve reads, but never vote or lead.
        self.voter = node_id < group
        self.voters: list[int] = [p for p in range(group) if p != node_id]
        self.peers: list[int] = [p for p in range(nodes) if p != node_id]
        self.quorum = group // 2 + 1
        self._fsync_always = config.fsync == "always"
        self._sync_interval = config.fsync_interval
        self._follower_sync = config.follower_ack == "after-fsync"
        self._leader_sync = config.leader_ack == "quorum-and-local-fsync"
        self._unsafe_commit = config.commit_rule == "unsafe"
        self._ignore_empty = config.empty_votes == "ignore"
        self._checksums = config.checksums
        self._timeout_min = config.election_timeout_min
        self._timeout_span = config.election_timeout_max - config.election_timeout_min + 1
        # durable-ish state (as recovered from disk)
        self.term = 0
        self.vote: int | None = None
        # the log after the snapshot: index base+1+k is terms[k], values[k] at locs[k]
        self.base = 0
        self.base_term = 0
        self.terms: list[int] = []
        self.values: list[str | None] = []
        self.locs: list[Loc] = []
        self.blocks: list[Block] = []
        self.next_block = 1
        self.dirty: dict[str, None] = {}  # files written since their last fsync, in order
        self.durable = 0  # highest log index known to be fsynced
        self.snap_file: str | None = None
        self.snap_seq = 0  # stream length covered by the snapshot
        # the applied stream and the de-duplication maps
        self.stream: list[str] = []
        self.seq_of: dict[str, int] = {}
        self.index_of: dict[str, int] = {}  # values in the log, not yet applied
        self.commit = 0  # this node applies each entry as it commits it: see ``applied``
        # volatile
        self._role = _UNBOOTED  # what each input does now: see _Role
        self.leader: int | None = None
        # serves reads: has applied what the leader it heard within an election timeout
        # had committed then
        self.caught_up = False
        # Recovery duties (on_bad_record=repair), kept in the term-and-vote file's flags:
        self.repairing = False  # lost log entries: out of elections until re-fetched
        self.vote_unknown = False  # lost the vote file: out of elections until every
        self.heard: set[int] = set()  # other voter has told its term (these have)
        self.votes: dict[int, bool] = {}  # granted voter -> its log was empty
        self.lead_start = 0  # last index when this node became leader (its no-op)
        self.next_idx: dict[int, int] = {}
        self.match: dict[int, int] = {}
        self.waiting: dict[int, list[ClientRequest]] = {}  # log index -> its publishes
        self.held: list[Held] = []
        self.active = False  # a leader that sent entries since its last heartbeat tick
        self._compact_period = 0  # this process's compaction period (``compact_interval``)

    # ------------------------------------------------------------------ interface

    @property
    def applied(self) -> int:
        """The last index applied to the stream: always the commit index, since an
        entry is applied in the step that commits it (``_commit_to``)."""
        return self.commit

    def step(self, event: Any) -> Sequence[Output]:
        """Handle one input with the current role's handlers.

        A message's term is compared here and nowhere else, before any role sees it, as
        in etcd-io/raft's ``Step`` (raft.go): a later term is adopted first (the node
        steps down and persists the term, forgetting its vote), then the message goes to
        the handler of the role the node is in; a message from an earlier term gets the
        one stale-term answer of its type (:data:`_STALE`) and reaches no role."""
        kind = type(event)
        if kind is Receive:
            msg = event.msg
            handler = self._role.messages.get(type(msg))
            if handler is None:  # not booted, halted, or not a message of this protocol
                return []
            out: list[Output] = []
            term = msg.term
            if term != self.term:
                if term < self.term:
                    _STALE[type(msg)](self, event.src, msg, out)
                    return out
                self._adopt_term(term, out)
                handler = self._role.messages[type(msg)]
            handler(self, event.src, msg, out)
            return out
        if kind is Timeout:
            on_timeout = self._role.timeouts.get(event.name)
            if on_timeout is None:
                return []
            out = []
            on_timeout(self, out)
            return out
        if kind is ClientRequest:
            return self._role.client(self, event)
        if kind is Boot:
            return self._role.boot(self, event)
        return []

    @property
    def role(self) -> str:
        """``follower``, ``candidate``, ``leader`` or ``halted``, as reported."""
        return self._role.name

    @property
    def halted(self) -> bool:
        """Stopped itself at recovery (fail-stop): it answers nothing but refusals."""
        return self._role is _HALTED

    def state(self) -> NodeState:
        base = self.base
        log = tuple(
            (base + 1 + k, t, v if v is not None else "")
            for k, (t, v) in enumerate(zip(self.terms, self.values, strict=True))
        )
        return NodeState(
            term=self.term,
            role=self._role.name,
            commit_index=self.commit,
            log=log,
            snapshot_index=self.base,
            halted=self.halted,
        )

    # ------------------------------------------------------------------ helpers

    @property
    def last_index(self) -> int:
        return self.base + len(self.terms)

    def last_term(self) -> int:
        return self.terms[-1] if self.terms else self.base_term

    def term_at(self, index: int) -> int | None:
        if index == self.base:
            return self.base_term
        k = index - self.base - 1
        if 0 <= k < len(self.terms):
            return self.terms[k]
        return None

    def _election_timer(self) -> SetTimer:
        # Uniform in [min, max]; random() is several times cheaper than randint() and
        # this runs on every AppendEntries a follower accepts.
        return SetTimer(ELECTION, self._timeout_min + int(self.rng.random() * self._timeout_span))

    def _persist_vote(self, out: list[Output]) -> None:
        """Term and vote to ``vote/tav`` per ``vote_persist``. NATS writes its ``tav.idx``
        atomically (tmp, sync, rename: ``writeTermVote``, ``server/raft.go:4236-4242``)
        before it answers a vote request (``server/raft.go:4389-4440``, at v2.12.1)."""
        mode = self.cfg.vote_persist
        if mode == "none":
            return
        flags = (FLAG_REPAIRING if self.repairing else 0) | (
            FLAG_VOTE_UNKNOWN if self.vote_unknown else 0)
        if "repair-forgets-on-restart" in self.bugs:
            flags = 0
        out.append(Write(VOTE_TMP, encode_vote(self.term, self.vote, flags), 0))
        if mode == "fsync":
            out.append(Fsync(VOTE_TMP))
        out.append(Rename(VOTE_TMP, VOTE_FILE))

    # ------------------------------------------------------------------ roles
    # Each transition swaps the role table (_Role) and does what the new role starts with:
    # follower <- any role on a later term or a leader of our term; candidate <- follower
    # or candidate on an election timeout; leader <- candidate on a majority of votes.

    def _adopt_term(self, term: int, out: list[Output]) -> None:
        """A message from a later term: take the term, forget the vote, step down (a
        follower keeps its election timer), and persist term and vote."""
        self.term = term
        self.vote = None
        self.caught_up = False
        self._role.step_down(self, out)
        self._persist_vote(out)

    def _become_follower(self, out: list[Output]) -> None:
        self._role.leave(self, out)
        self._role = _FOLLOWER
        out.append(self._election_timer())

    def _become_candidate(self, out: list[Output]) -> None:
        """A new term with our own vote, persisted before any RequestVote is sent."""
        self.term += 1
        self.vote = self.id
        self.caught_up = False
        self._role = _CANDIDATE
        self.leader = None
        self.votes = {}
        self._persist_vote(out)
        msg = RequestVote(self.term, self.id, self.last_index, self.last_term())
        for p in self.voters:
            out.append(Send(p, msg))
        self._check_won(out)

    def _become_leader(self, out: list[Output]) -> None:
        """Announce the leadership (the ``leader`` observation), append the term's no-op
        and send every peer what it may lack."""
        self._role = _LEADER
        self.leader = self.id
        out.append(
            Observe("leader", {"term": self.term, "log": self._log_runs(),
                               "snapshot": self.base})
        )
        out.append(CancelTimer(ELECTION))
        if self.last_index > self.commit and "leader-drops-uncommitted-tail" in self.bugs:
            self._truncate_from(self.commit + 1, out)
        nxt = self.last_index + 1
        self.next_idx = {p: nxt for p in self.peers}
        self.match = {p: 0 for p in self.peers}
        if not self._unsafe_commit:
            # A no-op of the new term lets the safe rule commit what earlier terms left.
            # The unsafe rule is the paper's Fig. 8 setting, which has no such no-op.
            self._append([(self.term, None)], out, self._leader_sync)
        if self._leader_sync and self.durable < self.last_index:
            self._sync(out)  # it counts itself only for what it has synced
        self.lead_start = self.last_index
        self.caught_up = self.commit >= self.lead_start
        for p in self.peers:
            self._send_append(p, out)
        out.append(SetTimer(HEARTBEAT, self.cfg.heartbeat))
        self._advance_commit(out)

    def _leave_leadership(self, out: list[Output]) -> None:
        """Stop heartbeats; publishes still waiting for a commit are not answered."""
        out.append(CancelTimer(HEARTBEAT))
        self.waiting.clear()
        self.held.clear()

    def _stay(self, out: list[Output]) -> None:
        """A transition hook that does nothing."""

    def _log_runs(self) -> tuple[tuple[int, int, int], ...]:
        """The log as (term, first index, last index) runs of equal terms."""
        runs = []
        last = self.base
        for term, run in groupby(self.terms):
            first = last + 1
            last += sum(1 for _ in run)
            runs.append((term, first, last))
        return tuple(runs)

    # ------------------------------------------------------------------ boot

    def _on_boot(self, event: Boot) -> list[Output]:
        bugs = self.bugs
        cfg = attrs.evolve(self.cfg, checksums=False) if "skip-checksums" in bugs else self.cfg
        rec = recover(event.disk, cfg)
        if "forget-term-on-restart" in bugs:
            rec.term = rec.entries[-1].term if rec.entries else rec.snap_term
            rec.vote = None
        out: list[Output] = list(rec.outputs)
        if rec.halted:
            self._role = _HALTED
            return out
        self._role = _FOLLOWER
        self.term, self.vote = rec.term, rec.vote
        self.base, self.base_term = rec.snap_index, rec.snap_term
        self.snap_file = rec.snap_file
        self.stream = list(rec.snap_values)
        self.snap_seq = len(self.stream)
        self.seq_of = {v: i + 1 for i, v in enumerate(self.stream)}
        for e in rec.entries:
            self.terms.append(e.term)
            self.values.append(e.value)
            self.locs.append(Loc(e.block, e.offset))
            if e.value is not None:
                self.index_of[e.value] = e.log_index
        self.blocks = rec.blocks
        self.next_block = rec.next_block
        self.commit = self.base
        self.repairing = rec.repairing
        self.vote_unknown = rec.vote_unknown
        # What a restarted process reads may still sit in the page cache only.
        for b in self.blocks:
            self.dirty[b.name] = None
        self.durable = self.base
        if self._fsync_always and self.dirty:
            self._sync(out)
        if self._sync_interval:  # NATS' first sync: at random in [i/2, i] (setSyncTimer)
            iv = self._sync_interval
            out.append(SetTimer(SYNC, self.rng.randint(iv // 2, iv)))
        if self.repairing or self.vote_unknown:
            self._persist_vote(out)  # the duty to repair survives the next restart
            self._ask_terms(out)
        self._arm_compaction(out)
        out.append(self._election_timer())
        return out

    # ------------------------------------------------------------------ disk

    def _sync(self, out: list[Output]) -> None:
        for name in self.dirty:
            out.append(Fsync(name))
        self.dirty.clear()
        self.durable = self.last_index
        if self.held:
            self._release_held(out)

    def _append(self, entries: Sequence[Entry], out: list[Output], force_sync: bool) -> None:
        """Append entries after the last index: one Write per record, so the simulator
        can track each value's bytes; roll to a new block when this one is full."""
        index = self.last_index
        checksums, block_size = self._checksums, self.cfg.block_size
        blocks = self.blocks
        for term, value in entries:
            index += 1
            rec = encode_record(index, term, value, checksums)
            blk = blocks[-1] if blocks else None
            if blk is None or (blk.size and blk.size + len(rec) > block_size):
                blk = Block(self.next_block)
                self.next_block += 1
                blocks.append(blk)
            name = blk.name
            offset = blk.size
            tags = (value,) if value is not None else ()
            out.append(Write(name, rec, offset, tags))
            blk.last = index
            blk.size = offset + len(rec)
            self.dirty[name] = None
            self.terms.append(term)
            self.values.append(value)
            self.locs.append(Loc(blk.number, offset))
            if value is not None:
                self.index_of[value] = index
        if self._fsync_always or force_sync:
            self._sync(out)

    def _drop_block(self, out: list[Output], at: int = -1) -> None:
        name = self.blocks.pop(at).name
        out.append(Delete(name))
        self.dirty.pop(name, None)

    def _truncate_from(self, index: int, out: list[Output]) -> None:
        """Remove entries ``index..`` from memory and disk (a conflicting suffix)."""
        if index <= self.applied:
            self._unapply_from(index, out)
        k = index - self.base - 1
        block, offset = self.locs[k]
        while self.blocks and self.blocks[-1].number != block:
            self._drop_block(out)
        if offset == 0:
            self._drop_block(out)
        else:
            blk = self.blocks[-1]
            out.append(Truncate(blk.name, offset))
            blk.last = index - 1
            blk.size = offset
        for v in self.values[k:]:
            if v is not None and self.index_of.get(v, 0) >= index:
                del self.index_of[v]
        del self.terms[k:], self.values[k:], self.locs[k:]
        self.durable = min(self.durable, index - 1)

    def _unapply_from(self, index: int, out: list[Output]) -> None:
        """Only reachable with ``commit_rule=unsafe``: an applied entry is overwritten.
        Roll the stream back so it can be re-applied; the two ``apply`` observations of
        one index with different values are the state-machine-safety violation."""
        k = index - self.base - 1
        gone = [v for v in self.values[k : self.applied - self.base] if v is not None]
        for v in gone:
            self.seq_of.pop(v, None)
        if gone:
            del self.stream[-len(gone) :]
        self.commit = index - 1
        out.append(Observe("unapply", {"from_index": index, "values": tuple(gone)}))

    def _write_snapshot(self, term: int, index: int, values: Sequence[str],
                        out: list[Output]) -> None:
        """Snapshots are always written atomically and synced, then the previous one is
        deleted, as NATS' ``installSnapshot`` does (``server/raft.go:1292-1306`` at
        v2.12.1)."""
        name = snapshot_name(term, index)
        tmp = name + ".tmp"
        out.append(Write(tmp, encode_snapshot(term, index, values), 0, tuple(values)))
        out.append(Fsync(tmp))
        out.append(Rename(tmp, name))
        if self.snap_file is not None and self.snap_file != name:
            out.append(Delete(self.snap_file))
        self.snap_file = name

    def _compact_to(self, index: int, out: list[Output]) -> None:
        """Drop log entries up to ``index`` (now in the snapshot) and whole blocks."""
        k = index - self.base
        del self.terms[:k], self.values[:k], self.locs[:k]
        while self.blocks and self.blocks[0].last <= index:
            self._drop_block(out, 0)

    def _maybe_snapshot(self, out: list[Output]) -> None:
        interval = self.cfg.snapshot_interval
        if (interval and self.applied - self.base >= interval) or self._log_too_big():
            self._snapshot_applied(out)

    def _snapshot_applied(self, out: list[Output]) -> None:
        """Snapshot everything applied and compact the log up to it."""
        index = self.applied
        if index <= self.base:
            return
        term = self.term_at(index) or 0
        self._write_snapshot(term, index, self.stream, out)
        self._compact_to(index, out)
        self.base, self.base_term, self.snap_seq = index, term, len(self.stream)
        self.durable = max(self.durable, index)

    # ------------------------------------------------------------------ compaction
    # NATS compacts a stream's Raft group on a ticker, not every N entries: period 2m plus
    # a random 0-1m drawn once per stream monitor (``monitorStream``,
    # server/jetstream_cluster.go:2480-2487 at v2.12.1), skipped when nothing changed
    # (:2527); past 65,536 entries or 8 MiB it compacts at once (:2711).

    def _arm_compaction(self, out: list[Output]) -> None:
        """Start the compaction ticker (``compact_interval`` > 0), its period fixed for
        this process's life as NATS' ``time.NewTicker`` is."""
        interval = self.cfg.compact_interval
        if not interval:
            return
        jitter = self.cfg.compact_jitter
        self._compact_period = interval + (self.rng.randint(0, jitter) if jitter else 0)
        out.append(SetTimer(COMPACT, self._compact_period))

    def _on_compact_tick(self, out: list[Output]) -> None:
        if self.applied > self.base:  # nothing applied since the last snapshot: skip
            self._snapshot_applied(out)
        out.append(SetTimer(COMPACT, self._compact_period))

    def _log_too_big(self) -> bool:
        """More than ``compact_bytes`` of log records past the snapshot (NATS' WAL size,
        ``n.Size()``)."""
        limit = self.cfg.compact_bytes
        if not limit:
            return False
        total = sum(b.size for b in self.blocks)
        if self.locs and self.blocks and self.locs[0].block == self.blocks[0].number:
            total -= self.locs[0].offset
        return total > limit

    # ------------------------------------------------------------------ commit

    def _commit_to(self, index: int, out: list[Output]) -> None:
        """Commit and apply up to ``index`` (``applied`` is ``commit``):
        one ``commit`` observation per entry, carrying the stream ``seq`` of a value it
        applies (``ackcheck.node.Observe``), then the acks of its publishes."""
        index = min(index, self.last_index)
        base, terms, values, stream = self.base, self.terms, self.values, self.stream
        waiting = self.waiting  # publishes waiting for their commit: a leader's only
        for i in range(self.commit + 1, index + 1):
            value = values[i - base - 1]
            data = {"index": i, "term": terms[i - base - 1], "value": value,
                    "in_term": self.term}
            out.append(Observe("commit", data))
            if value is None:
                continue
            stream.append(value)
            seq = len(stream)
            data["seq"] = seq
            self.seq_of[value] = seq
            if self.index_of.get(value) == i:
                del self.index_of[value]
            if waiting:
                waiters = waiting.pop(i, None)
                if waiters:
                    self._ack(i, seq, waiters, out)
        self.commit = index
        self._maybe_snapshot(out)

    def _ack(self, index: int, seq: int, waiters: list[ClientRequest],
             out: list[Output]) -> None:
        if self._leader_sync and self.durable < index:
            self.held.append(Held(index, seq, waiters))
            return
        for req in waiters:
            out.append(ClientReply(req.client, req.req_id, PublishOk(seq)))

    def _release_held(self, out: list[Output]) -> None:
        keep = []
        for held in self.held:
            if held.log_index <= self.durable:
                for req in held.waiters:
                    out.append(ClientReply(req.client, req.req_id, PublishOk(held.seq)))
            else:
                keep.append(held)
        self.held = keep

    def _advance_commit(self, out: list[Output]) -> None:
        own = self.durable if self._leader_sync else self.last_index
        match = self.match
        matches = [match[p] for p in self.voters]
        matches.append(own)
        matches.sort(reverse=True)
        n = matches[self.quorum - 1]
        if n <= self.commit:
            return
        if self._unsafe_commit or self.term_at(n) == self.term:
            self._commit_to(n, out)
            if self.commit >= self.lead_start:
                self.caught_up = True  # its log up to election is committed: reads complete

    # ------------------------------------------------------------------ timers

    def _on_heartbeat(self, out: list[Output]) -> None:
        """Heartbeats only when idle, as NATS does (server/raft.go:2713-2716 and
        2786-2790 at v2.12.1: ``if n.notActive() { n.sendHeartbeat() }``): a leader
        that sent entries since the last tick skips one, since those appends kept the
        followers' election timers. A follower then learns a commit with the next
        append or, once writes stop, the heartbeat after next."""
        if self.active:
            self.active = False
        else:
            for p in self.peers:
                self._send_append(p, out)
        out.append(SetTimer(HEARTBEAT, self.cfg.heartbeat))

    def _on_election_timeout(self, out: list[Output]) -> None:
        out.append(self._election_timer())
        # No leader heard for a whole timeout: what it applied may be behind what some
        # leader has committed since (and acked), so it stops serving reads until a
        # leader catches it up again. Without this, followers of a leader that died just
        # after a commit served a stale stream for good whenever no new leader could be
        # elected (a majority halted on damage), and a complete read lacked acked values.
        self.caught_up = False
        if self.repairing or self.vote_unknown or not self.voter:
            self._ask_terms(out)
            return  # PAR: a node that lost part of its log must not lead; nor a learner
        self._become_candidate(out)

    def _on_sync(self, out: list[Output]) -> None:
        self._sync(out)
        self._rearm_sync(out)

    def _on_leader_sync(self, out: list[Output]) -> None:
        self._sync(out)
        self._advance_commit(out)  # its own copy may now count toward a commit
        self._rearm_sync(out)

    def _rearm_sync(self, out: list[Output]) -> None:
        if self._sync_interval:
            out.append(SetTimer(SYNC, self._sync_interval))

    # ------------------------------------------------------------------ elections

    def _on_request_vote(self, src: int, msg: RequestVote, out: list[Output]) -> None:
        """A follower's answer to a candidate of its term."""
        if (
            self.voter
            and self.vote in (None, msg.candidate)
            and not self.repairing
            and not self.vote_unknown
            and (
                (msg.last_term, msg.last_index) >= (self.last_term(), self.last_index)
                or "vote-without-log-check" in self.bugs
            )
        ):
            self.vote = msg.candidate
            self._persist_vote(out)  # persisted (and synced, per knob) before the reply
            out.append(self._election_timer())
            out.append(Send(src, VoteReply(self.term, True, self.last_index == 0)))
        else:
            self._refuse_vote(src, msg, out)

    def _refuse_vote(self, src: int, msg: RequestVote, out: list[Output]) -> None:
        out.append(Send(src, VoteReply(self.term, False, self.last_index == 0)))

    def _on_vote_reply(self, src: int, msg: VoteReply, out: list[Output]) -> None:
        if msg.granted:
            self.votes[src] = msg.empty
            self._check_won(out)

    def _ignore(self, src: int, msg: Any, out: list[Output]) -> None:
        """A message this role has no use for (a reply to a request it no longer has)."""

    def _check_won(self, out: list[Output]) -> None:
        votes = self.votes
        if self._ignore_empty:
            # NATS: empty-log votes do not count, unless every peer voted yes
            # (server/raft.go:3276-3322 at v2.12.1).
            counted = 1 + sum(1 for empty in votes.values() if not empty)
            won = counted >= self.quorum or len(votes) == len(self.voters)
        else:
            won = 1 + len(votes) >= self.quorum
        if won:
            self._become_leader(out)

    # ------------------------------------------------------------------ replication

    def _send_append(self, peer: int, out: list[Output]) -> None:
        """Send what ``peer`` lacks from ``next_idx`` on (optimistically advancing it),
        or the snapshot when that part of the log is compacted."""
        ni = self.next_idx[peer]
        base = self.base
        if ni <= base:
            values = tuple(self.stream[: self.snap_seq])
            out.append(Send(peer, InstallSnapshot(self.term, self.id, base, self.base_term,
                                                  values)))
            self.next_idx[peer] = base + 1
            return
        last = self.last_index
        end = min(last, ni + MAX_BATCH - 1)
        k0, k1 = ni - base - 1, end - base
        entries = tuple(zip(self.terms[k0:k1], self.values[k0:k1], strict=True))
        prev = ni - 1
        prev_term = self.terms[prev - base - 1] if prev > base else self.base_term
        out.append(Send(peer, AppendEntries(self.term, self.id, prev, prev_term, entries,
                                            self.commit, self.caught_up)))
        self.next_idx[peer] = ni + len(entries)

    def _follow(self, leader: int, out: list[Output]) -> None:
        """``leader`` leads our term (etcd-io/raft's ``becomeFollower(term, m.From)``)."""
        self._become_follower(out)
        self.leader = leader

    def _refuse_append(self, src: int, msg: AppendEntries | InstallSnapshot,
                       out: list[Output]) -> None:
        out.append(Send(src, AppendReply(self.term, False, 0, self.last_index)))

    def _on_append(self, src: int, msg: AppendEntries, out: list[Output]) -> None:
        self._follow(msg.leader, out)
        prev, entries = msg.prev_index, msg.entries
        if prev > self.last_index:
            self._refuse_append(src, msg, out)
            return
        if prev < self.base:  # the part up to our snapshot is committed: it matches
            entries = entries[self.base - prev :]
            prev = self.base
        elif (self.term_at(prev) != msg.prev_term
              and "accept-mismatched-prev-term" not in self.bugs):
            bad = self.term_at(prev)
            hint = prev - 1
            while hint > max(self.base, self.commit) and self.term_at(hint) == bad:
                hint -= 1
            out.append(Send(src, AppendReply(self.term, False, 0, hint)))
            return
        # Skip what we already hold; cut at the first conflict; append the rest.
        index, k = prev + 1, 0
        last = self.last_index
        while k < len(entries) and index + k <= last:
            if self.term_at(index + k) != entries[k][0]:
                early = "conflict-truncates-one-early" in self.bugs and index + k > self.base + 1
                self._truncate_from(index + k - early, out)
                break
            k += 1
        if k < len(entries):
            self._append(entries[k:], out, self._follower_sync)
            if "apply-before-commit" in self.bugs:
                self._commit_to(self.last_index, out)
        match = max(msg.prev_index + len(msg.entries), self.base)
        if self._follower_sync and self.durable < match and self.dirty:
            self._sync(out)
        new_commit = min(msg.commit, match)
        if new_commit > self.commit:
            self._commit_to(new_commit, out)
        if self.commit >= msg.commit and msg.commit_final:
            # Only a final commit index (AppendEntries.commit_final) says what was
            # committed: a new leader learns what its predecessors committed only once
            # it has committed what it held when elected.
            self.caught_up = True
        if self.repairing and not self.vote_unknown:
            self._check_repaired(msg.term, msg.commit, out)
        if msg.entries or msg.commit < match:
            out.append(Send(src, AppendReply(self.term, True, match, 0)))
        # else: a heartbeat at a tip the leader has already committed: an ack would tell
        # it nothing it needs (match only feeds the commit), so save the round trip.

    def _check_repaired(self, leader_term: int, leader_commit: int, out: list[Output]) -> None:
        """PAR: a node that lost log entries cannot name them, so it learns them from a
        leader. Repair is done once it holds everything the leader has committed *and*
        the leader has committed an entry of its own term: every entry committed in an
        earlier term is then at or below that index. Any leader it follows is at least
        as recent as every entry it ever acknowledged (it persisted that term first),
        and was elected without the votes of nodes under repair, so it holds them all.
        (While its own terms are unknown, :meth:`_on_term_reply` comes first.)"""
        if (
            self.last_index >= leader_commit
            and self.commit >= leader_commit
            and self.term_at(leader_commit) == leader_term
        ):
            self.repairing = False
            self._persist_vote(out)

    def _ask_terms(self, out: list[Output]) -> None:
        """With its vote file lost, ask every voter it has not heard from for its term."""
        if self.vote_unknown:
            query = TermQuery(self.term)
            out.extend(Send(p, query) for p in self.voters if p not in self.heard)

    def _on_term_query(self, src: int, msg: TermQuery, out: list[Output]) -> None:
        out.append(Send(src, TermReply(self.term)))

    def _on_term_reply(self, src: int, msg: TermReply, out: list[Output]) -> None:
        """Once every other voter has told its term (this node took any higher one), no
        term it may have voted in before its vote file was damaged lies ahead: a vote it
        gave went to a candidate of that term, and the candidate, or a voter that granted
        it too (damage hits a minority), still knows it. The current term counts as
        voted in (for itself, which grants no one), later terms are free."""
        if not self.vote_unknown or src not in self.voters:
            return
        self.heard.add(src)
        if self.heard.issuperset(self.voters):
            self.vote_unknown = False
            if self.vote is None:
                self.vote = self.id
            self._persist_vote(out)

    def _on_install_snapshot(self, src: int, msg: InstallSnapshot, out: list[Output]) -> None:
        self._follow(msg.leader, out)
        index = msg.index
        if index > self.commit:
            keep_suffix = self.term_at(index) == msg.snap_term
            self._write_snapshot(msg.snap_term, index, msg.values, out)
            if keep_suffix:
                self._compact_to(index, out)
            else:
                while self.blocks:
                    self._drop_block(out)
                self.terms, self.values, self.locs = [], [], []
            self.base, self.base_term = index, msg.snap_term
            self.stream = list(msg.values)
            self.snap_seq = len(self.stream)
            self.seq_of = {v: i + 1 for i, v in enumerate(self.stream)}
            self.index_of = {
                v: self.base + 1 + k for k, v in enumerate(self.values) if v is not None
            }
            self.commit = index
            self.durable = max(self.durable, index) if keep_suffix else index
            out.append(Observe("install-snapshot", {"index": index, "seq": self.snap_seq}))
        if self.repairing and not self.vote_unknown:
            self._check_repaired(msg.term, index, out)
        out.append(Send(src, AppendReply(self.term, True, index, 0)))

    def _on_append_reply(self, src: int, msg: AppendReply, out: list[Output]) -> None:
        if src not in self.match:
            return
        if msg.success:
            # A follower whose snapshot reaches past this leader's log (possible only
            # after acked data was lost) cannot match beyond what the leader holds.
            matched = min(msg.match, self.last_index)
            if matched > self.match[src]:
                self.match[src] = matched
                self._advance_commit(out)
            if self.next_idx[src] <= matched:
                self.next_idx[src] = matched + 1
            if self.next_idx[src] <= self.last_index:
                self._send_append(src, out)
        else:
            if msg.hint < self.match[src]:
                self.match[src] = msg.hint  # the follower lost entries it had acked
            self.next_idx[src] = max(self.match[src] + 1, min(msg.hint + 1, self.last_index + 1))
            self._send_append(src, out)

    # ------------------------------------------------------------------ clients

    def _on_client(self, req: ClientRequest) -> list[Output]:
        op = req.op
        if isinstance(op, Publish):
            return self._role.publish(self, req, op.value)
        if not isinstance(op, Read):
            return _refuse(req, "unknown operation")
        if not self.caught_up and "stale-reads" not in self.bugs:
            # Until it has applied what the current leader committed, this node's stream
            # may lack acked values; refusing lets the reader retry rather than conclude.
            return _refuse(req, "catching up", self.leader)
        stream = self.stream
        start = max(op.from_seq, 1)
        stop = min(len(stream), start + max(op.limit, 1) - 1)
        entries = tuple((s, stream[s - 1]) for s in range(start, stop + 1))
        return [ClientReply(req.client, req.req_id, ReadOk(entries, len(stream)))]

    def _refuse_publish(self, req: ClientRequest, value: str) -> list[Output]:
        return _refuse(req, "not leader", self.leader)

    def _refuse_unbooted(self, req: ClientRequest) -> list[Output]:
        return _refuse(req, "not ready")

    def _refuse_halted(self, req: ClientRequest) -> list[Output]:
        return _refuse(req, "halted")

    def _ignore_boot(self, event: Boot) -> list[Output]:
        """A node boots once: a restart is a new node (see :class:`ackcheck.node.Node`)."""
        return []

    def _publish(self, req: ClientRequest, value: str) -> list[Output]:
        out: list[Output] = []
        seq = self.seq_of.get(value)
        if seq is not None:  # a retry of an applied value: answer with its sequence
            out.append(ClientReply(req.client, req.req_id, PublishOk(seq)))
            return out
        index = self.index_of.get(value)
        if index is not None:  # a retry of a pending value: wait for the first copy
            self.waiting.setdefault(index, []).append(req)
            return out
        self._append([(self.term, value)], out, self._leader_sync)
        if "ack-before-quorum" in self.bugs:
            pending = sum(1 for v in self.values[self.applied - self.base :] if v is not None)
            out.append(ClientReply(req.client, req.req_id, PublishOk(len(self.stream) + pending)))
        else:
            self.waiting[self.last_index] = [req]
        for p in self.peers:
            self._send_append(p, out)
        self.active = True
        self._advance_commit(out)
        return out


def _refuse(req: ClientRequest, reason: str, leader: int | None = None) -> list[Output]:
    return [ClientReply(req.client, req.req_id, Refused(reason, leader))]


MessageHandler = Callable[[RaftNode, int, Any, list[Output]], None]
Hook = Callable[[RaftNode, list[Output]], None]


@attrs.frozen(eq=False)
class _Role:
    """What a node does with each input in one role. The ``_become_*`` methods swap the
    whole table on each transition, as etcd-io/raft's ``becomeFollower``,
    ``becomeCandidate`` and ``becomeLeader`` set ``r.step`` and ``r.tick`` (raft.go), so
    no handler asks which role it is in. Every message type has an entry in the roles
    that take messages: a message a role ignores must still have its term compared."""

    name: str  # as reported in NodeState
    messages: dict[type, MessageHandler]  # run once the message's term equals ours
    timeouts: dict[str, Hook]
    client: Callable[[RaftNode, ClientRequest], list[Output]]
    publish: Callable[[RaftNode, ClientRequest, str], list[Output]]
    boot: Callable[[RaftNode, Boot], list[Output]]
    step_down: Hook  # on a later term
    leave: Hook  # on becoming a follower


def _variant(base: _Role, name: str, messages: dict[type, MessageHandler],
             **changes: Any) -> _Role:
    """``base`` with some message handlers (and other fields) replaced."""
    return attrs.evolve(base, name=name, messages={**base.messages, **messages}, **changes)


_FOLLOWER = _Role(
    name="follower",
    messages={
        AppendEntries: RaftNode._on_append,
        InstallSnapshot: RaftNode._on_install_snapshot,
        RequestVote: RaftNode._on_request_vote,
        VoteReply: RaftNode._ignore,
        AppendReply: RaftNode._ignore,
        TermQuery: RaftNode._on_term_query,
        TermReply: RaftNode._on_term_reply,
    },
    timeouts={ELECTION: RaftNode._on_election_timeout, SYNC: RaftNode._on_sync,
              COMPACT: RaftNode._on_compact_tick},
    client=RaftNode._on_client,
    publish=RaftNode._refuse_publish,
    boot=RaftNode._ignore_boot,
    step_down=RaftNode._stay,
    leave=RaftNode._stay,
)

# A candidate voted for itself: it refuses other candidates, counts the votes it gets,
# and steps down on a later term. So does a leader, which counts acks instead of votes.
_CANDIDATE = _variant(
    _FOLLOWER, "candidate",
    {RequestVote: RaftNode._refuse_vote, VoteReply: RaftNode._on_vote_reply},
    step_down=RaftNode._become_follower,
)
_LEADER = _variant(
    _CANDIDATE, "leader",
    {VoteReply: RaftNode._ignore, AppendReply: RaftNode._on_append_reply},
    timeouts={HEARTBEAT: RaftNode._on_heartbeat, SYNC: RaftNode._on_leader_sync,
              COMPACT: RaftNode._on_compact_tick},
    publish=RaftNode._publish,
    leave=RaftNode._leave_leadership,
)

# Before its Boot a node answers nothing (and reports itself a follower with an empty
# log); after a fail-stop recovery it answers nothing but refusals.
_UNBOOTED = attrs.evolve(
    _FOLLOWER, messages={}, timeouts={}, client=RaftNode._refuse_unbooted,
    boot=RaftNode._on_boot,
)
_HALTED = attrs.evolve(
    _UNBOOTED, name="halted", client=RaftNode._refuse_halted, boot=RaftNode._ignore_boot
)

# The one answer to a message from an earlier term, whatever the role: a request is
# refused with our term, which makes its sender step down; a late reply is dropped.
_STALE: dict[type, MessageHandler] = {
    AppendEntries: RaftNode._refuse_append,
    InstallSnapshot: RaftNode._refuse_append,
    RequestVote: RaftNode._refuse_vote,
    VoteReply: RaftNode._ignore,
    AppendReply: RaftNode._ignore,
    TermQuery: RaftNode._on_term_query,  # a term is all it asks for
    TermReply: RaftNode._on_term_reply,  # the replier's term is below ours: still heard
}
