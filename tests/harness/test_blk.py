"""NATS ``.blk`` records and the model-record -> real-record mapping, on bytes only (no
server, no FUSE): the real-server tests depend on these to damage the right record."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from ackcheck.harness.blk import (
    HASH_SIZE,
    HBIT,
    HDR_SIZE,
    TBIT,
    damage_start,
    parse_block,
    record_at,
    record_holding,
)
from ackcheck.harness.cluster import NatsCluster, NatsNode
from ackcheck.harness.config import NodePorts
from ackcheck.harness.faultmap import fault_values, model_record_value
from ackcheck.history import Event, History
from ackcheck.schedule import BitFlip, Schedule, TimedFault

# The first two records of a stream block written by nats-server 2.12.1 (values 0-0, 0-1)
REAL_STREAM = bytes.fromhex(
    "520000800100000000000000ce2e3720f080eb180f0061636b636865636b2e76616c7565731e0000"
    "004e4154532f312e300d0a4e6174732d4d73672d49643a20302d300d0a0d0a302d30ba836c55cf70"
    "0d4a52000080020000000000000029827520f080eb180f0061636b636865636b2e76616c7565731e"
    "0000004e4154532f312e300d0a4e6174732d4d73672d49643a20302d310d0a0d0a302d31c1aac834"
    "57d64c41"
)
# One record of the same stream's Raft WAL (the append entry carrying 0-0)
REAL_WAL = bytes.fromhex(
    "d20000000200000000000000ec964220f080eb1800003644564670756b430100000000000000010000"
    "00000000000100000000000000010000000000000001008500000000040000000000000000ce2e3720"
    "f080eb180f0061636b636865636b2e76616c75657338005f494e424f582e66776c646b6958644c7657"
    "4861326738624f4e624a452e66776c646b6958644c76574861326738624f4e624f43646565351e004e"
    "4154532f312e300d0a4e6174732d4d73672d49643a20302d300d0a0d0a03000000302d300000f20b16"
    "48914cb064"
)


def record(seq: int, value: str, subject: bytes = b"ackcheck.values", flags: int = 0) -> bytes:
    """A record in NATS' layout with a dummy hash (the parser doesn't verify hashes)."""
    headers = f"NATS/1.0\r\nNats-Msg-Id: {value}\r\n\r\n".encode()
    body = subject + struct.pack("<I", len(headers)) + headers + value.encode()
    rl = HDR_SIZE + len(body) + HASH_SIZE
    head = struct.pack("<IQqH", rl | HBIT, seq | flags, 1_700_000_000 + seq, len(subject))
    return head + body + b"\xaa" * HASH_SIZE


def test_real_2_12_1_stream_records_parse():
    scan = parse_block(REAL_STREAM)
    assert scan.bad_at is None
    assert [(r.seq, r.subject, r.msg) for r in scan.records] == [
        (1, b"ackcheck.values", b"0-0"), (2, b"ackcheck.values", b"0-1"),
    ]
    first = scan.records[0]
    assert (first.offset, first.length, first.end) == (0, 82, 82)
    assert REAL_STREAM[first.hash_at : first.end] == bytes.fromhex("ba836c55cf700d4a")


def test_real_2_12_1_wal_record_holds_the_publish():
    scan = parse_block(REAL_WAL)
    assert scan.bad_at is None and len(scan.records) == 1
    rec = scan.records[0]
    assert rec.seq == 2 and rec.subject == b"" and rec.headers == b""
    assert rec.holds("0-0") and not rec.holds("0-1")
    at = damage_start(rec, "0-0")
    assert REAL_WAL[at : at + 3] == b"0-0"


def test_value_lookup_is_exact_and_skips_erased_and_tombstones():
    data = record(1, "0-10") + record(2, "0-1", flags=TBIT) + record(3, "0-1")
    records = parse_block(data).records
    assert [r.seq for r in records] == [1, 2, 3]
    found = record_holding(records, "0-1")
    assert found is not None and found.seq == 3  # not 0-10, not the tombstone
    assert record_holding(records, "9-9") is None


def test_damage_lands_in_the_hash_covered_part():
    data = record(7, "2-3")
    rec = parse_block(data).records[0]
    covered = rec.covered()
    # covered: seq+ts, subject, headers (hlen excluded), msg; never rl, slen, hlen or hash
    assert covered[0] == (4, 20)
    hlen_at = HDR_SIZE + len(rec.subject)
    assert all(not (a <= hlen_at < b) for a, b in covered)
    for value in ("2-3", None):
        start = damage_start(rec, value)
        assert any(a <= start < b for a, b in covered)
    assert data[damage_start(rec, None) :].startswith(b"2-3")  # the msg body


def test_scan_stops_where_nats_rebuild_would_truncate():
    good = record(1, "0-0")
    bad = bytearray(record(2, "0-1"))
    bad[0:4] = struct.pack("<I", 3)  # an impossible record length
    scan = parse_block(good + bytes(bad) + record(3, "0-2"))
    assert [r.seq for r in scan.records] == [1]
    assert scan.bad_at == len(good) and "sanity" in scan.reason
    assert record_at(scan.records, 5) is scan.records[0]
    assert record_at(scan.records, 10_000) is scan.records[-1]
    assert record_at((), 0) is None


def _model(events: list[Event]) -> History:
    return History(nodes=3, events=tuple(events))


def _write(t: int, node: int, offset: int, length: int, tags: tuple[str, ...] = ()) -> Event:
    data = {"file": "log/000001.blk", "offset": offset, "len": length}
    if tags:
        data["tags"] = list(tags)
    return Event(t, f"n{node}", "write", data)


def test_model_offset_maps_to_the_value_its_record_held():
    from ackcheck.model.storage import RECORD_OVERHEAD

    noop, one = RECORD_OVERHEAD, RECORD_OVERHEAD + 3  # a leader no-op; a "0-0" record
    model = _model([
        _write(1, 1, 0, noop),
        _write(2, 1, noop, one, ("0-0",)),
        _write(3, 1, noop + one, 2 * one, ("1-0", "0-1")),  # two value records in one write
        Event(4, "n1", "truncate", {"file": "log/000001.blk", "size": noop + one}),
        _write(5, 1, noop + one, one, ("2-0",)),
    ])
    second = noop + one  # where the two-record write starts
    assert model_record_value(model, 1, 4, 0, noop) == "0-0"
    assert model_record_value(model, 1, 4, 0, second + 2) == "1-0"
    assert model_record_value(model, 1, 4, 0, second + one + 2) == "0-1"
    assert model_record_value(model, 1, 4, 0, 10) is None  # the no-op holds no write
    assert model_record_value(model, 1, 6, 0, second + 2) == "2-0"  # after truncate + rewrite
    assert model_record_value(model, 2, 6, 0, 25) is None  # n2 wrote nothing


def test_corpus_bit_flips_map_to_the_first_acked_write():
    from ackcheck.traces import load_trace

    path = Path(__file__).resolve().parents[2] / "traces" / "corpus"
    trace = load_trace(path / "nats-2.12.1-sync-always--ack-implies-durable.json.gz")
    # crash n1, crash n0, then the flip in n2's log: the third fault hits 0-0
    assert fault_values(trace.schedule, trace.history) == {2: "0-0"}
    sched = Schedule(nodes=3, faults=(TimedFault(1, BitFlip(node=0, target="vote")),))
    assert fault_values(sched, trace.history) == {}  # only `log` faults address records
    # a warm start's records are found too (the warm-up wrote them, not the run)
    warm = load_trace(path / "nats-2.12.1-sync-always--ack-implies-durable--7549.json.gz")
    # a partition, then the flip in n1's first record, which the warm-up wrote
    assert fault_values(warm.schedule, warm.history) == {1: "0-0"}


@pytest.fixture
def fake_cluster(tmp_path: Path) -> NatsCluster:
    """A cluster object over a hand-made store; no server is started."""
    cluster = NatsCluster(1)
    cluster.nodes = [NatsNode(0, NodePorts(1, 2, 3), tmp_path)]
    jet = tmp_path / "store" / "jetstream"
    (jet / "$G" / "streams" / "ackcheck" / "msgs").mkdir(parents=True)
    (jet / "$SYS" / "_js_" / "S-R1F-x" / "msgs").mkdir(parents=True)
    (jet / "$SYS" / "_js_" / "_meta_" / "msgs").mkdir(parents=True)
    return cluster


def test_corrupt_record_flips_the_same_write_in_stream_and_wal(fake_cluster: NatsCluster):
    jet = fake_cluster.nodes[0].store / "jetstream"
    stream = jet / "$G" / "streams" / "ackcheck" / "msgs" / "1.blk"
    wal = jet / "$SYS" / "_js_" / "S-R1F-x" / "msgs" / "1.blk"
    meta = jet / "$SYS" / "_js_" / "_meta_" / "msgs" / "1.blk"
    stream.write_bytes(record(1, "0-0") + record(2, "1-0"))
    wal.write_bytes(REAL_WAL)
    meta.write_bytes(record(1, "1-0", subject=b""))
    before = {p: p.read_bytes() for p in (stream, wal, meta)}
    note = fake_cluster.corrupt_record(0, 0, 25, b"\x01", value="1-0")
    assert "seq 2 (record holding 1-0)" in note and "1-0 not found" in note, note
    changed = {
        p: [i for i, (a, b) in enumerate(zip(old, p.read_bytes(), strict=True)) if a != b]
        for p, old in before.items()
    }
    assert changed[meta] == []  # the meta group's WAL is never the stream's log
    second = parse_block(stream.read_bytes()).records[1]
    assert len(changed[stream]) == 1
    assert any(a <= changed[stream][0] < b for a, b in second.covered())
    # the WAL holds no 1-0: the record at byte 25 of block 0 instead, still hash-covered
    assert len(changed[wal]) == 1
    assert any(a <= changed[wal][0] < b for a, b in parse_block(REAL_WAL).records[0].covered())
    only_stream = fake_cluster.corrupt_record(0, 0, 0, b"\x01", value="0-0", parts=("stream",))
    assert "S-R1F-x" not in only_stream and "seq 1" in only_stream



def test_stream_entries_reads_live_records_in_sequence_order():
    from ackcheck.harness.blk import EBIT, stream_entries

    first = record(1, "0-0") + record(2, "0-1") + record(3, "gone", flags=EBIT)
    second = record(4, "1-0") + record(5, "", flags=TBIT) + record(2, "0-1b")
    assert stream_entries([first, second]) == [(1, "0-0"), (2, "0-1b"), (4, "1-0")]
    assert stream_entries([REAL_STREAM]) == [(1, "0-0"), (2, "0-1")]
    # a record that fails the sanity check ends its block there, as NATS' rebuild does
    assert stream_entries([REAL_STREAM[:100]]) == [(1, "0-0")]
