"""Recovery: rebuild a node's durable state from the files a restarted process sees.

Reads only the :class:`~ackcheck.node.DiskView` of a ``Boot`` and decides, per the
corruption knobs, what to do with damage. It returns the repairs as outputs (truncate,
delete) and ``recover``/``halt`` observations instead of performing them, so the node
stays sans-I/O. NATS 2.12.1 behaviour: a bad record truncates the block there and every
later sequence is lost (``rebuildState``, ``server/filestore.go:1421-1640``; nats-server
#7549); a bad snapshot is deleted (``loadLastSnapshot``, ``server/raft.go:1426``) and the
log reset (#7556, changed in v2.14.0 by PRs #7566 and #7580).

``repair`` follows protocol-aware recovery (Alagappan et al., FAST 2018): a node that
cannot read part of its log does not know what it lost, so it keeps the good prefix and
stays out of elections until a leader has shown it everything that may have been
committed (:meth:`ackcheck.model.node.RaftNode._check_repaired`). That duty is written
into the term-and-vote file's flags before anything else, so a restart cannot forget it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import attrs

from ackcheck.model.config import RaftConfig
from ackcheck.model.storage import (
    FLAG_REPAIRING,
    FLAG_VOTE_UNKNOWN,
    VOTE_FILE,
    BadRecord,
    Block,
    block_name,
    block_number,
    decode_record,
    decode_snapshot,
    decode_vote,
    scan_values,
    snapshot_key,
)
from ackcheck.node import Delete, DiskView, Observe, Output, ReadError, Truncate


class RecoveredEntry(NamedTuple):
    """A log entry after the snapshot that survived, and where its record lies."""

    log_index: int
    term: int
    value: str | None
    block: int
    offset: int


@attrs.define
class Recovered:
    """What survived, and what recovery did about what did not."""

    term: int = 0
    vote: int | None = None
    snap_term: int = 0
    snap_index: int = 0
    snap_values: tuple[str, ...] = ()
    snap_file: str | None = None
    entries: list[RecoveredEntry] = attrs.Factory(list)  # in log order
    blocks: list[Block] = attrs.Factory(list)  # the kept block files, in order
    next_block: int = 1
    outputs: list[Output] = attrs.Factory(list)
    halted: str | None = None
    repairing: bool = False  # lost log entries it cannot name: re-fetch before voting
    vote_unknown: bool = False  # lost its vote file: the terms it voted in are unknown


def _read(disk: DiskView, name: str) -> bytes | None:
    """The file's bytes, None if it vanished; ReadError propagates."""
    try:
        return disk.read(name)
    except FileNotFoundError:
        return None


def _observe(rec: Recovered, **data: Any) -> None:
    rec.outputs.append(Observe("recover", data))


def _halt(rec: Recovered, reason: str) -> None:
    rec.outputs.append(Observe("halt", {"reason": reason}))
    rec.halted = reason


def recover(disk: DiskView, config: RaftConfig) -> Recovered:
    rec = Recovered()
    names = disk.list()
    blocks = sorted(n for n in (block_number(x) for x in names) if n is not None)
    rec.next_block = (blocks[-1] + 1) if blocks else 1

    if not _recover_vote(disk, names, config, rec):
        return rec
    outcome = _recover_snapshot(disk, names, blocks, config, rec)
    if outcome == "halt":
        return rec
    if outcome == "ok":
        _recover_log(disk, blocks, config, rec)
    last_term = rec.entries[-1].term if rec.entries else rec.snap_term
    if last_term > rec.term:  # the term file was lost or never written: never go back
        rec.term, rec.vote = last_term, None
    return rec


def _recover_vote(disk: DiskView, names: list[str], config: RaftConfig, rec: Recovered) -> bool:
    if VOTE_FILE not in names:
        return True
    try:
        data = _read(disk, VOTE_FILE)
        parsed = decode_vote(data) if data is not None else None
    except (ReadError, ValueError) as exc:
        action = config.on_bad_record
        _observe(rec, action=action, file=VOTE_FILE, detail=f"term-and-vote file: {exc}")
        if action == "fail-stop":
            _halt(rec, f"damaged {VOTE_FILE}: {exc}")
            return False
        # The vote may have gone to anyone, in any term up to the highest term some
        # voter knows: repair learns those terms before it votes again. Whether the log
        # was being repaired is unknown too, so assume it was.
        rec.vote_unknown = rec.repairing = action == "repair"
        return True
    if parsed is not None:
        rec.term, rec.vote, flags = parsed
        rec.repairing = bool(flags & FLAG_REPAIRING)
        rec.vote_unknown = bool(flags & FLAG_VOTE_UNKNOWN)
    return True


def _recover_snapshot(
    disk: DiskView, names: list[str], blocks: list[int], config: RaftConfig, rec: Recovered
) -> str:
    """"ok" (carry on with the log), "reset" (log dropped with the snapshot) or "halt"."""
    snaps = sorted((k, n) for n in names if (k := snapshot_key(n)) is not None)
    if not snaps:
        return "ok"
    for _key, stale in snaps[:-1]:  # left behind by a crash between write and delete
        rec.outputs.append(Delete(stale))
    (term, index), name = snaps[-1]
    try:
        data = _read(disk, name)
        if data is None:
            return "ok"
        s_term, s_index, values = decode_snapshot(data)
        if (s_term, s_index) != (term, index):
            raise ValueError(f"holds term {s_term} index {s_index}, not its name's")
    except (ReadError, ValueError, UnicodeDecodeError) as exc:
        action = config.on_bad_snapshot
        if action == "fail-stop":
            _observe(rec, action=action, file=name, detail=f"snapshot: {exc}")
            _halt(rec, f"damaged {name}: {exc}")
            return "halt"
        dropped = _scan_blocks(disk, blocks, 0)
        rec.outputs.append(Delete(name))
        rec.outputs.extend(Delete(block_name(b)) for b in blocks)
        _observe(
            rec,
            action=action,
            file=name,
            detail=f"snapshot: {exc}; log reset, stream through index {index} dropped",
            dropped_through_index=index,
            dropped=tuple(v for _i, v in dropped),
        )
        rec.repairing = rec.repairing or action == "repair"
        return "reset"
    rec.snap_term, rec.snap_index, rec.snap_values, rec.snap_file = term, index, values, name
    return "ok"


def _scan_blocks(disk: DiskView, blocks: list[int], start_offset: int) -> list[tuple[int, str]]:
    """Best-effort values of ``blocks`` (the first from ``start_offset``)."""
    found: list[tuple[int, str]] = []
    for i, b in enumerate(blocks):
        try:
            data = _read(disk, block_name(b))
        except ReadError:
            continue
        if data is not None:
            found.extend(scan_values(data, start_offset if i == 0 else 0))
    return found


def _recover_log(disk: DiskView, blocks: list[int], config: RaftConfig, rec: Recovered) -> None:
    expected, prev_term = rec.snap_index + 1, rec.snap_term
    checksums, naive = config.checksums, config.torn_tail == "naive"
    for pos_in_list, b in enumerate(blocks):
        name = block_name(b)
        try:
            data = _read(disk, name)
        except ReadError as exc:
            _bad_record(disk, blocks, pos_in_list, 0, f"read error: {exc}", False, expected,
                        config, rec)
            return
        if data is None:
            continue
        pos, last = 0, 0
        while pos < len(data):
            try:
                r = decode_record(data, pos, checksums, naive)
            except BadRecord as bad:
                torn = bad.torn and pos_in_list == len(blocks) - 1
                rec.blocks.append(Block(b, last, pos))
                _bad_record(disk, blocks, pos_in_list, bad.offset, bad.reason, torn, expected,
                            config, rec)
                return
            if r.index <= rec.snap_index and r.index < expected:
                pos += r.size  # compacted prefix already in the snapshot
                last = r.index
                continue
            if r.index != expected or r.term < prev_term:
                rec.blocks.append(Block(b, last, pos))
                _bad_record(disk, blocks, pos_in_list, pos,
                            f"record index {r.index} term {r.term} out of order "
                            f"(expected index {expected}, term >= {prev_term})",
                            False, expected, config, rec)
                return
            rec.entries.append(RecoveredEntry(r.index, r.term, r.value, b, pos))
            expected, prev_term, last = expected + 1, r.term, r.index
            pos += r.size
        if pos == 0:
            rec.outputs.append(Delete(name))  # an empty block: NATS removes those too
        else:
            rec.blocks.append(Block(b, last, pos))


def _bad_record(
    disk: DiskView,
    blocks: list[int],
    at: int,
    offset: int,
    reason: str,
    torn: bool,
    expected: int,
    config: RaftConfig,
    rec: Recovered,
) -> None:
    """Handle a record that cannot be trusted in ``blocks[at]`` at ``offset``.

    ``rec.blocks`` already ends with the damaged block when the block could be read (its
    good records end at ``offset``); not when reading it failed."""
    name = block_name(blocks[at])
    action = "truncate" if torn else config.on_bad_record
    if action == "fail-stop":
        _observe(rec, action=action, file=name, offset=offset, detail=reason)
        _halt(rec, f"bad record in {name} at {offset}: {reason}")
        return
    try:
        data = _read(disk, name) or b""
    except ReadError:
        data = b""
    dropped = scan_values(data, offset) + _scan_blocks(disk, blocks[at + 1 :], 0)
    kept = bool(rec.blocks) and rec.blocks[-1].number == blocks[at]
    if kept and offset > 0:
        rec.outputs.append(Truncate(name, offset))
    else:
        if kept:
            rec.blocks.pop()
        rec.outputs.append(Delete(name))
    rec.outputs.extend(Delete(block_name(b)) for b in blocks[at + 1 :])
    _observe(
        rec,
        action=action,
        file=name,
        offset=offset,
        detail=("torn tail: " if torn else "") + reason,
        first_dropped_index=expected,
        dropped=tuple(v for _i, v in dropped),
    )
    rec.repairing = rec.repairing or action == "repair"
