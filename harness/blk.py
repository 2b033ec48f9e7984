"""NATS file-store message blocks (``N.blk``): parse records and pick the bytes to damage.

A corruption fault of the model addresses a *record* (the one holding a given write);
to replay it on a real server we must find that record in a real ``.blk`` and flip a bit
that NATS' recovery will notice. Layout (nats-server ``server/filestore.go``, the same
in 2.12 and 2.15; little-endian)::

    rl u32 (bit 31: has headers) | seq u64 (bit 63 erased, bit 62 tombstone) | ts i64 |
    slen u16 | subject | [hlen u32 | headers] | msg | hash[8]

``rl`` is the whole record's length. The hash (HighwayHash-64, keyed per stream and
block) covers ``seq``+``ts``, the subject, the headers (not ``hlen``) and the msg; the
length fields are not covered but are sanity-checked. On rebuild (no valid ``index.db``,
e.g. after a kill) a record failing the sanity check or the hash truncates the block at
that record and every later sequence is reported lost (``rebuildStateLocked``).

The same format holds a stream's messages (``<acct>/streams/<s>/msgs``) and each Raft
group's WAL (``$SYS/_js_/<group>/msgs``; there the subject is empty and ``msg`` is an
encoded append entry). Both carry the publish's ``Nats-Msg-Id`` header bytes, so a record
is found by the value it holds. No HighwayHash here: the parser checks only what the
sanity check checks, which is all a fault needs (it must find records, not verify them).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import attrs

HDR_SIZE = 22  # msgHdrSize: rl, seq, ts, slen
HASH_SIZE = 8  # recordHashSize
HBIT = 1 << 31  # rl: the record has headers
EBIT = 1 << 63  # seq: erased
TBIT = 1 << 62  # seq: delete tombstone
RL_BAD_THRESH = 32 * 1024 * 1024  # rlBadThresh: a longer record is corrupt
MSG_ID_HEADER = b"Nats-Msg-Id: "

_HEAD = struct.Struct("<IQqH")
_U32 = struct.Struct("<I")


@attrs.frozen
class BlkRecord:
    """One record; every ``*_at`` is an absolute offset in the block file."""

    offset: int
    length: int  # rl without the headers bit
    seq: int  # with the erase/tombstone bits cleared
    ts: int
    flags: int  # EBIT/TBIT bits of the stored seq
    subject: bytes
    headers: bytes
    msg: bytes
    headers_at: int  # first header byte (after hlen); == msg_at when there are none
    msg_at: int

    @property
    def end(self) -> int:
        return self.offset + self.length

    @property
    def hash_at(self) -> int:
        return self.end - HASH_SIZE

    @property
    def erased(self) -> bool:
        return bool(self.flags & EBIT)

    @property
    def tombstone(self) -> bool:
        return bool(self.flags & TBIT)

    def covered(self) -> list[tuple[int, int]]:
        """The [start, end) ranges the record hash covers: damage there makes NATS'
        checksum check fail (the length fields only fail the sanity check, if at all)."""
        spans = [
            (self.offset + 4, self.offset + 20),  # seq + ts
            (self.offset + HDR_SIZE, self.offset + HDR_SIZE + len(self.subject)),
            (self.headers_at, self.headers_at + len(self.headers)),
            (self.msg_at, self.msg_at + len(self.msg)),
        ]
        return [(a, b) for a, b in spans if b > a]

    def holds(self, value: str) -> bool:
        """Whether the record carries the publish of ``value`` (its Nats-Msg-Id)."""
        marker = MSG_ID_HEADER + value.encode() + b"\r\n"
        return marker in self.headers or marker in self.msg

    def value_at(self, value: str) -> int | None:
        """Absolute offset of ``value``'s first byte in its Nats-Msg-Id header."""
        marker = MSG_ID_HEADER + value.encode() + b"\r\n"
        for base, data in ((self.headers_at, self.headers), (self.msg_at, self.msg)):
            found = data.find(marker)
            if found >= 0:
                return base + found + len(MSG_ID_HEADER)
        return None


@attrs.frozen
class BlkScan:
    """The records that pass NATS' sanity check, in order; ``bad_at`` is where the scan
    stopped short (a record NATS' rebuild would truncate at), else None."""

    records: tuple[BlkRecord, ...]
    bad_at: int | None = None
    reason: str = ""


def parse_record(data: bytes, pos: int) -> BlkRecord | str:
    """The record at ``pos``, or why NATS' sanity check would reject it."""
    left = len(data) - pos
    if left < HDR_SIZE:
        return f"{left} trailing bytes, shorter than a record header"
    raw_rl, raw_seq, ts, slen = _HEAD.unpack_from(data, pos)
    has_headers = bool(raw_rl & HBIT)
    rl = raw_rl & ~HBIT
    dlen = rl - HDR_SIZE
    if dlen < 0 or slen > dlen - HASH_SIZE or rl > left or rl > RL_BAD_THRESH:
        return f"record length {rl} / subject length {slen} fail the sanity check"
    subject_at = pos + HDR_SIZE
    body_at = subject_at + slen
    body_end = pos + rl - HASH_SIZE
    headers = b""
    headers_at = msg_at = body_at
    if has_headers:
        if body_end - body_at < 4:
            return "headers flag set but no room for the header length"
        (hlen,) = _U32.unpack_from(data, body_at)
        headers_at = body_at + 4
        if hlen > body_end - headers_at:
            return f"header length {hlen} runs past the record"
        headers = data[headers_at : headers_at + hlen]
        msg_at = headers_at + hlen
    return BlkRecord(
        offset=pos,
        length=rl,
        seq=raw_seq & ~(EBIT | TBIT),
        ts=ts,
        flags=raw_seq & (EBIT | TBIT),
        subject=data[subject_at:body_at],
        headers=headers,
        msg=data[msg_at:body_end],
        headers_at=headers_at,
        msg_at=msg_at,
    )


def parse_block(data: bytes) -> BlkScan:
    """Every record from the start, stopping where NATS' rebuild would stop."""
    records: list[BlkRecord] = []
    pos = 0
    while pos < len(data):
        rec = parse_record(data, pos)
        if isinstance(rec, str):
            return BlkScan(tuple(records), pos, rec)
        records.append(rec)
        pos = rec.end
    return BlkScan(tuple(records))


def record_holding(records: Sequence[BlkRecord], value: str) -> BlkRecord | None:
    """The first live record carrying ``value`` (erased and tombstone records skipped)."""
    for rec in records:
        if not rec.erased and not rec.tombstone and rec.holds(value):
            return rec
    return None


def record_at(records: Sequence[BlkRecord], offset: int) -> BlkRecord | None:
    """The record spanning ``offset``; past the last one, the last one."""
    for rec in records:
        if rec.offset <= offset < rec.end:
            return rec
    return records[-1] if records else None


def damage_start(record: BlkRecord, value: str | None = None) -> int:
    """Where a fault on ``record`` starts: the first byte of ``value`` in its
    Nats-Msg-Id header when given and present, else the first msg byte, else the seq
    field; always a hash-covered byte, so NATS' recovery sees a bad checksum."""
    if value is not None:
        at = record.value_at(value)
        if at is not None:
            return at
    if record.msg:
        return record.msg_at
    return record.offset + 4


def stream_entries(blocks: Sequence[bytes]) -> list[tuple[int, str]]:
    """(sequence, message) of every live record of a stream's blocks, in block order,
    a later record of one sequence replacing an earlier one; erased records and
    tombstones are left out, and each block is read up to where NATS' rebuild would
    stop."""
    by_seq: dict[int, str] = {}
    for data in blocks:
        for rec in parse_block(data).records:
            if rec.erased:
                by_seq.pop(rec.seq, None)
            elif not rec.tombstone and rec.seq:
                by_seq[rec.seq] = rec.msg.decode(errors="replace")
    return sorted(by_seq.items())
