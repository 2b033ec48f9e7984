"""The trace file: round trips, byte stability, schema, versions."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import attrs
import jsonschema
import pytest
from trace_samples import sample_trace

from ackcheck.schedule import (
    FAULT_TYPES,
    BitFlip,
    LatentSectorError,
    MisdirectedWrite,
    Schedule,
    TimedFault,
    TornWrite,
)
from ackcheck.traces import (
    FORMAT_VERSION,
    load_trace,
    save_trace,
    schedule_from_dict,
    schedule_to_dict,
)
from ackcheck.traces.store import dumps, schema


def test_save_load_round_trip_plain_and_gzip(tmp_path: Path) -> None:
    trace = sample_trace()
    for name in ("t.json", "t.json.gz"):
        loaded = load_trace(save_trace(trace, tmp_path / name))
        assert loaded == trace
        assert loaded.history.events == trace.history.events
        assert loaded.digest == trace.digest


def test_same_trace_same_bytes(tmp_path: Path) -> None:
    a = save_trace(sample_trace(), tmp_path / "a.json.gz").read_bytes()
    b = save_trace(sample_trace(), tmp_path / "b.json.gz").read_bytes()
    assert a == b  # no file name or mtime in the gzip header
    assert gzip.decompress(a) == dumps(sample_trace())
    c = save_trace(sample_trace(), tmp_path / "c.json").read_bytes()
    d = save_trace(load_trace(tmp_path / "c.json"), tmp_path / "d.json").read_bytes()
    assert c == d  # load then save changes nothing


def test_file_shape(tmp_path: Path) -> None:
    doc = json.loads(save_trace(sample_trace(), tmp_path / "t.json").read_text())
    assert doc["format"] == "ackcheck-trace"
    assert doc["version"] == FORMAT_VERSION
    assert doc["schedule"]["faults"][0] == {"at": 150_000, "kind": "pause", "node": 2}
    assert doc["schedule"]["faults"][1] == {
        "at": 180_000, "kind": "partition", "shape": "split", "nodes": [2],
    }
    assert set(doc["events"][0]) == {"time", "actor", "kind", "data", "lamport"}
    assert doc["violation"]["property"] == "acked-writes-survive"
    assert "timestamp" not in json.dumps(doc)


def test_every_fault_kind_round_trips_through_schedule_dict() -> None:
    faults = []
    for i, cls in enumerate(FAULT_TYPES):
        kwargs = {}
        for f in attrs.fields(cls):
            kwargs[f.name] = (1,) if f.name == "nodes" else ("snapshot" if f.name == "target"
                                                             else "bridge" if f.name == "shape"
                                                             else 1 + i)
        if "node" in kwargs:
            kwargs["node"] = 1
        faults.append(TimedFault(at=1000 * i, fault=cls(**kwargs)))
    s = Schedule(nodes=3, seed=42, faults=tuple(faults))
    d = schedule_to_dict(s)
    assert schedule_from_dict(json.loads(json.dumps(d))) == s
    kinds = [f["kind"] for f in d["faults"]]
    assert kinds == [cls.kind for cls in FAULT_TYPES]
    assert isinstance(s.faults[7].fault, TornWrite)
    assert {type(tf.fault) for tf in s.faults} >= {BitFlip, LatentSectorError, MisdirectedWrite}


def test_schema_knows_every_fault_kind_and_field() -> None:
    """A new fault kind or field must be added to the published schema too."""
    fields = schema()["$defs"]["faultFields"]["properties"]
    assert set(fields["kind"]["enum"]) == {cls.kind for cls in FAULT_TYPES}
    for cls in FAULT_TYPES:
        for f in attrs.fields(cls):
            assert f.name in fields, f"{cls.kind}.{f.name} missing from trace.schema.json"


def test_schema_is_valid_and_shipped_as_package_data() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    from importlib import resources

    assert resources.files("ackcheck.traces").joinpath("trace.schema.json").is_file()


def test_written_files_validate_against_published_schema(tmp_path: Path) -> None:
    doc = json.loads(dumps(sample_trace()))
    jsonschema.Draft202012Validator(schema()).validate(doc)


def test_newer_minor_version_with_unknown_fields_loads(tmp_path: Path) -> None:
    doc = json.loads(dumps(sample_trace()))
    doc["version"] = "1.7"
    doc["shiny_new_field"] = {"x": 1}
    doc["schedule"]["network"]["jitter"] = 3
    doc["history"]["ops"][0]["latency"] = 5
    path = tmp_path / "newer.json"
    path.write_text(json.dumps(doc))
    loaded = load_trace(path)
    assert loaded.version == "1.7"
    assert loaded.schedule == sample_trace().schedule
    assert loaded.history.ops == sample_trace().history.ops


def test_unknown_field_in_current_version_is_named(tmp_path: Path) -> None:
    from ackcheck.errors import TraceError

    doc = json.loads(dumps(sample_trace()))
    doc["schedule"]["seeed"] = 1
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(TraceError, match="schedule"):
        load_trace(path)
