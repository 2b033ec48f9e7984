"""Byte formats of the node's files: log records, the term-and-vote file, snapshots.

Layout on the simulated disk (modelled on NATS' Raft WAL, whose ``.blk`` records end in a
checksum: ``server/filestore.go:6272-6370`` at v2.12.1):

* ``log/<NNNNNN>.blk``: records ``len u32 | index u64 | term u64 | kind u8 | hcrc u32 |
  payload | crc32 u32`` (little-endian). ``kind`` 0 is a leader no-op, 1 a client value
  (UTF-8 payload). ``hcrc`` covers the fixed header before it, the last crc32 everything
  before it; both are 0 when checksums are off. The header checksum is what tells a torn
  write from damage (see :func:`decode_record`).
* ``vote/tav``: ``term u64 | vote i64 (-1 = none) | flags u32 | crc32 u32``; the flags
  are recovery duties that must survive a restart (:data:`FLAG_REPAIRING`,
  :data:`FLAG_VOTE_UNKNOWN`).
* ``snap/snap.<term>.<index>``: ``term u64 | index u64 | count u32 | (len u32 | value)*
  | crc32 u32``: the stream's values up to ``index``, always checksummed (NATS writes a
  HighwayHash trailer on every snapshot: ``encodeSnapshot``, ``server/raft.go:1208-1232``
  at v2.12.1).

crc32 (zlib) stands in for NATS' HighwayHash-64: both are deterministic and catch a bit
flip, and crc32 is the cheapest in CPython. NATS' hash does not cover the record's length
field (``server/filestore.go:6272-6370`` at v2.12.1), so a flipped length there reads as a
record that runs past the end of the block; the header checksum here is what lets
recovery call that damage rather than a torn write, as protocol-aware recovery needs
(Alagappan et al., "Protocol-Aware Recovery for Consensus-Based Storage", FAST 2018).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from typing import NamedTuple

import attrs

LOG_DIR = "log/"
VOTE_FILE = "vote/tav"
VOTE_TMP = "vote/tav.tmp"
SNAP_PREFIX = "snap/snap."

_HEADER = struct.Struct("<IQQB")
_CRC = struct.Struct("<I")
#: the fixed header and its checksum: where the payload starts
HEADER_SIZE = _HEADER.size + _CRC.size
RECORD_OVERHEAD = HEADER_SIZE + _CRC.size
KIND_NOOP = 0
KIND_VALUE = 1

_VOTE = struct.Struct("<QqI")
#: vote-file flag: the log was damaged and is being re-fetched; do not vote or lead
FLAG_REPAIRING = 1
#: vote-file flag: the vote file itself was damaged; the terms this node voted in are
#: unknown until it has heard every other voter's term
FLAG_VOTE_UNKNOWN = 2
VOTE_SIZE = _VOTE.size + _CRC.size
_SNAP_HEAD = struct.Struct("<QQI")
_U32 = struct.Struct("<I")


def block_name(number: int) -> str:
    return f"{LOG_DIR}{number:06d}.blk"


def block_number(name: str) -> int | None:
    """``log/000012.blk`` -> 12; None for anything else under log/."""
    if not (name.startswith(LOG_DIR) and name.endswith(".blk")):
        return None
    digits = name[len(LOG_DIR) : -4]
    return int(digits) if digits.isdigit() else None


class Block:
    """A log block file as its node tracks it: ``number`` names the file (``name``, see
    :func:`block_name`), ``last`` is the highest log index it holds (0: none yet) and
    ``size`` its length in bytes, where the next record goes."""

    __slots__ = ("last", "name", "number", "size")

    def __init__(self, number: int, last: int = 0, size: int = 0) -> None:
        self.number = number
        self.name = block_name(number)
        self.last = last
        self.size = size

    def __repr__(self) -> str:
        return f"Block({self.number}, last={self.last}, size={self.size})"


class Loc(NamedTuple):
    """Where a log entry's record lies: block file number and byte offset in it."""

    block: int
    offset: int


def snapshot_name(term: int, index: int) -> str:
    return f"{SNAP_PREFIX}{term}.{index}"


def snapshot_key(name: str) -> tuple[int, int] | None:
    """``snap/snap.3.64`` -> (3, 64); None for temp files and strangers."""
    if not name.startswith(SNAP_PREFIX):
        return None
    parts = name[len(SNAP_PREFIX) :].split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1])


def encode_record(index: int, term: int, value: str | None, checksums: bool) -> bytes:
    payload = b"" if value is None else value.encode()
    kind = KIND_NOOP if value is None else KIND_VALUE
    head = _HEADER.pack(RECORD_OVERHEAD + len(payload), index, term, kind)
    body = head + _CRC.pack(zlib.crc32(head) if checksums else 0) + payload
    return body + _CRC.pack(zlib.crc32(body) if checksums else 0)


@attrs.frozen
class Record:
    index: int
    term: int
    value: str | None
    offset: int
    size: int


class BadRecord(Exception):
    """A record that fails its sanity or checksum test; ``torn`` marks one cut short by
    the end of the file (an interrupted last write rather than corruption)."""

    def __init__(self, offset: int, reason: str, torn: bool = False) -> None:
        super().__init__(reason)
        self.offset = offset
        self.reason = reason
        self.torn = torn


def decode_record(data: bytes, pos: int, checksums: bool, naive_tear: bool = False) -> Record:
    """The record at ``pos``; raises :class:`BadRecord` when it cannot be trusted.

    A torn write can only cut the *end* of the file short (it damages bytes that were
    never fsynced), so a tear is a header cut short, or a payload cut short behind a
    header whose checksum holds. A header that fails its checksum is damage wherever it
    is: a flipped length field would otherwise look like a record running past the end.
    ``naive_tear`` keeps the rule that cannot tell them apart (any length that runs past
    the end is a tear), for the ``torn_tail=naive`` teaching knob; so does
    ``checksums=False``, which has no header checksum to consult."""
    left = len(data) - pos
    if left < HEADER_SIZE:
        raise BadRecord(pos, f"{left} trailing bytes, shorter than a record header", torn=True)
    size, index, term, kind = _HEADER.unpack_from(data, pos)
    if checksums and (size <= left or not naive_tear):
        head_end = pos + _HEADER.size
        if zlib.crc32(data[pos:head_end]) != _CRC.unpack_from(data, head_end)[0]:
            raise BadRecord(pos, "header checksum mismatch (length, index, term or kind "
                                 "damaged)")
    if size < RECORD_OVERHEAD:
        raise BadRecord(pos, f"record length {size} is impossible")
    if size > left:
        raise BadRecord(pos, f"record length {size} runs past the end", torn=True)
    end = pos + size - _CRC.size
    if checksums and zlib.crc32(data[pos:end]) != _CRC.unpack_from(data, end)[0]:
        raise BadRecord(pos, f"checksum mismatch in record {index}")
    if kind == KIND_NOOP:
        if size != RECORD_OVERHEAD:
            raise BadRecord(pos, "no-op record with a payload")
        value = None
    elif kind == KIND_VALUE:
        try:
            value = data[pos + HEADER_SIZE : end].decode()
        except UnicodeDecodeError:
            raise BadRecord(pos, f"record {index} payload is not UTF-8") from None
    else:
        raise BadRecord(pos, f"unknown record kind {kind}")
    return Record(index, term, value, pos, size)


def scan_values(data: bytes, pos: int) -> list[tuple[int, str]]:
    """Best-effort (index, value) of the records from ``pos`` on, ignoring checksums:
    what recovery reports as dropped after a bad record."""
    found: list[tuple[int, str]] = []
    while len(data) - pos >= RECORD_OVERHEAD and len(found) < 100_000:
        size, index, _term, kind = _HEADER.unpack_from(data, pos)
        if size < RECORD_OVERHEAD or size > len(data) - pos:
            break
        if kind == KIND_VALUE:
            raw = data[pos + HEADER_SIZE : pos + size - _CRC.size]
            found.append((index, raw.decode(errors="replace")))
        pos += size
    return found


def encode_vote(term: int, vote: int | None, flags: int = 0) -> bytes:
    body = _VOTE.pack(term, -1 if vote is None else vote, flags)
    return body + _CRC.pack(zlib.crc32(body))


def decode_vote(data: bytes) -> tuple[int, int | None, int] | None:
    """(term, vote, flags); None for an empty or short file (never written durably).

    Raises ValueError for a complete file whose checksum does not match."""
    if len(data) < VOTE_SIZE:
        return None
    body = data[: _VOTE.size]
    if zlib.crc32(body) != _CRC.unpack_from(data, _VOTE.size)[0]:
        raise ValueError("term-and-vote checksum mismatch")
    term, vote, flags = _VOTE.unpack(body)
    return term, (None if vote < 0 else vote), flags


def encode_snapshot(term: int, index: int, values: Sequence[str]) -> bytes:
    parts = [_SNAP_HEAD.pack(term, index, len(values))]
    for v in values:
        raw = v.encode()
        parts.append(_U32.pack(len(raw)))
        parts.append(raw)
    body = b"".join(parts)
    return body + _CRC.pack(zlib.crc32(body))


def decode_snapshot(data: bytes) -> tuple[int, int, tuple[str, ...]]:
    """(term, index, values); raises ValueError when damaged."""
    if len(data) < _SNAP_HEAD.size + _CRC.size:
        raise ValueError(f"snapshot of {len(data)} bytes is too short")
    end = len(data) - _CRC.size
    if zlib.crc32(data[:end]) != _CRC.unpack_from(data, end)[0]:
        raise ValueError("snapshot checksum mismatch")
    term, index, count = _SNAP_HEAD.unpack_from(data, 0)
    pos = _SNAP_HEAD.size
    values: list[str] = []
    for _ in range(count):
        if pos + 4 > end:
            raise ValueError("snapshot shorter than its count")
        (n,) = _U32.unpack_from(data, pos)
        pos += 4
        if pos + n > end:
            raise ValueError("snapshot value runs past the end")
        values.append(data[pos : pos + n].decode())
        pos += n
    if pos != end:
        raise ValueError("snapshot has trailing bytes")
    return term, index, tuple(values)
