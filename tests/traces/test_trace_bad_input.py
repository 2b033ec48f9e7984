"""Bad trace files: one clear line, a TraceError, exit 2 from the commands; never a crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trace_samples import sample_trace

from ackcheck.app._trace_commands import replay, show
from ackcheck.errors import TraceError
from ackcheck.traces import load_trace, save_trace
from ackcheck.traces.store import dumps, loads


def _doc() -> dict[str, Any]:
    return json.loads(dumps(sample_trace()))


def _write(tmp_path: Path, name: str, data: bytes | dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return path


def _nine_of_five() -> dict[str, Any]:
    doc = _doc()
    doc["schedule"]["nodes"] = 5
    doc["history"]["nodes"] = 5
    doc["schedule"]["faults"].append({"at": 10, "kind": "crash", "node": 9})
    return doc


def _unknown_preset() -> dict[str, Any]:
    doc = _doc()
    doc["preset"] = "no-such-preset"
    return doc


def _newer_major() -> dict[str, Any]:
    doc = _doc()
    doc["version"] = "2.0"
    doc["events"] = "moved elsewhere in 2.0"
    return doc


def _wrong_schema() -> dict[str, Any]:
    doc = _doc()
    doc["schedule"]["seed"] = "seven"
    return doc


def _truncated_gzip(tmp_path: Path) -> bytes:
    data = save_trace(sample_trace(), tmp_path / "whole.json.gz").read_bytes()
    return data[: len(data) // 2]


CASES = {
    "not-json": (lambda tmp: b"{this is not json", r"not JSON"),
    "wrong-schema": (lambda tmp: _wrong_schema(), r"field schedule\.seed: 'seven' is not valid"),
    "unknown-preset": (lambda tmp: _unknown_preset(), r"unknown preset 'no-such-preset'"),
    "newer-major": (
        lambda tmp: _newer_major(),
        r"trace format 2\.0 is newer than this ackcheck reads \(1\.x\); upgrade ackcheck",
    ),
    "truncated-gzip": (_truncated_gzip, r"truncated or corrupt gzip"),
    "node-9-of-5": (
        lambda tmp: _nine_of_five(),
        r"names node 9, but the cluster has nodes 0\.\.4",
    ),
}


def _needs_presets(case: str) -> None:
    if case == "unknown-preset":
        try:
            from ackcheck.model import PRESETS  # noqa: F401
        except ImportError:
            pytest.skip("ackcheck.model.PRESETS not written yet: preset names cannot be checked")


@pytest.mark.parametrize("case", sorted(CASES))
def test_load_trace_one_line_error(tmp_path: Path, case: str) -> None:
    _needs_presets(case)
    make, pattern = CASES[case]
    path = _write(tmp_path, f"{case}.json" + (".gz" if "gzip" in case else ""), make(tmp_path))
    with pytest.raises(TraceError, match=pattern) as info:
        load_trace(path)
    assert "\n" not in str(info.value)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("command", ["show", "replay"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_commands_exit_2_with_one_line(tmp_path: Path, case: str, command: str) -> None:
    _needs_presets(case)
    make, pattern = CASES[case]
    path = _write(tmp_path, f"{case}.json" + (".gz" if "gzip" in case else ""), make(tmp_path))
    result = CliRunner().invoke({"show": show, "replay": replay}[command], [str(path)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    err = result.stderr.strip().splitlines()
    assert len(err) == 1, result.stderr
    assert err[0].startswith("ackcheck: error: ")
    import re

    assert re.search(pattern, err[0])


def test_missing_file_is_a_trace_error(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="cannot read"):
        load_trace(tmp_path / "nope.json")


def test_not_a_trace_at_all(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="not an ackcheck trace"):
        load_trace(_write(tmp_path, "list.json", b"[1, 2, 3]"))


def test_deeply_nested_json_is_a_trace_error() -> None:
    with pytest.raises(TraceError):
        loads(b"[" * 100_000 + b"]" * 100_000)


# ------------------------------------------------------------------ mutation fuzzing

_BASE = dumps(sample_trace(heartbeats=2))
_BASE_DOC = json.loads(_BASE)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


_ALL_PATHS = [p for p in _paths(_BASE_DOC) if p]
_REPLACEMENTS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
    st.text(max_size=5), st.just([]), st.just({}), st.just([1, "x"]), st.just({"kind": "crash"}),
)


def _mutate_doc(doc: Any, path: tuple[Any, ...], delete: bool, value: Any) -> Any:
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


@st.composite
def mutated_files(draw: st.DrawFn) -> bytes:
    how = draw(st.sampled_from(["flip", "truncate", "delete", "replace", "gzip-flip"]))
    if how in ("flip", "gzip-flip"):
        import gzip

        data = bytearray(_BASE if how == "flip" else gzip.compress(_BASE, mtime=0))
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] ^= 1 << draw(st.integers(0, 7))
        return bytes(data)
    if how == "truncate":
        return _BASE[: draw(st.integers(0, len(_BASE) - 1))]
    doc = json.loads(_BASE)
    path = draw(st.sampled_from(_ALL_PATHS))
    value = draw(_REPLACEMENTS)
    return json.dumps(_mutate_doc(doc, path, how == "delete", value)).encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_files())
def test_mutated_files_load_or_fail_cleanly(data: bytes) -> None:
    try:
        trace = loads(data)
    except TraceError as exc:
        assert "\n" not in str(exc)
        return
    # a mutation the reader accepts must still give a trace every renderer can draw
    from ackcheck.traces import FORMATS, render

    for fmt in FORMATS:
        assert isinstance(render(trace, fmt), str)


# ------------------------------------------------- the fast event check = the schema's

_EVENT_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=3),
    st.just({}), st.just({"a": 1}), st.just([]),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.dictionaries(st.sampled_from(["time", "actor", "kind", "data", "lamport", "extra"]),
                    _EVENT_VALUES),
    _EVENT_VALUES,
))
def test_fast_event_check_agrees_with_the_published_event_schema(event: Any) -> None:
    import jsonschema

    from ackcheck.traces.store import _check_events, _is_integer, schema

    s = {**schema()["$defs"]["event"], "$defs": schema()["$defs"]}
    base = jsonschema.Draft202012Validator
    cls = jsonschema.validators.extend(
        base, type_checker=base.TYPE_CHECKER.redefine("integer", _is_integer)
    )
    by_schema = cls(s).is_valid(event)
    try:
        _check_events([event])
        by_hand = True
    except TraceError:
        by_hand = False
    assert by_hand == by_schema


def test_integral_floats_are_not_integers(tmp_path: Path) -> None:
    doc = _doc()
    doc["schedule"]["nodes"] = 3.0
    with pytest.raises(TraceError, match=r"field schedule\.nodes: 3\.0 is not valid"):
        load_trace(_write(tmp_path, "float.json", doc))
    doc = _doc()
    doc["events"][3]["time"] = 1.5
    with pytest.raises(TraceError, match=r"field events\[3\]\.time: 1\.5 is not valid"):
        load_trace(_write(tmp_path, "float-event.json", doc))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.__setitem__("violation", {}), r"field violation: 'property' is a required"),
        (lambda d: d["history"].__setitem__("final_states", [None, {"term": 1}]),
         r"field history\.final_states\[1\]: 'role' is a required property"),
        (lambda d: d["history"]["ops"][0].__setitem__("node", 3),
         r"field history\.ops\[0\]\.node: node 3, but the cluster has nodes 0\.\.2"),
        (lambda d: d["history"]["faults"][0]["fault"].__setitem__("node", 7),
         r"field history\.faults\[0\]\.fault: node 7, but the cluster has nodes 0\.\.2"),
        (lambda d: d["schedule"]["faults"][0].pop("node"),
         r"schedule\.faults\[0\]: pause fault lacks field 'node'"),
        (lambda d: d.pop("digest"), r"field \(top level\): 'digest' is a required property"),
    ],
)
def test_errors_name_the_field(tmp_path: Path, mutate: Any, message: str) -> None:
    doc = _doc()
    mutate(doc)
    with pytest.raises(TraceError, match=message):
        load_trace(_write(tmp_path, "t.json", doc))


# ----------------------------------------------- a trace is checked against itself

def _sim_doc() -> dict[str, Any]:
    """A trace of a real simulated run: its events hash to its digest."""
    from trace_samples import simulated_trace

    return json.loads(dumps(simulated_trace()))


def _set_event(i: int, key: str, value: Any) -> Any:
    return lambda d: d["events"][i].__setitem__(key, value)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.__setitem__("events", []),
         r"the stored events do not match the trace's digest"),
        (lambda d: d["events"].pop(5), r"do not match the trace's digest"),
        (_set_event(3, "actor", "n99"), r"events\[3\]\.actor: n99 does not exist in this run"),
        (_set_event(3, "actor", "c99"), r"events\[3\]\.actor: c99 does not exist"),
        (_set_event(3, "actor", "n1 "), r"field events\[3\]\.actor: 'n1 ' is not valid"),
        (_set_event(3, "time", -5), r"field events\[3\]\.time: -5 is not valid \(minimum 0\)"),
        (_set_event(3, "time", 10**12), r"events\[3\]\.time: 1000000000000 is out of order"),
        (_set_event(3, "lamport", 0), r"field events\[3\]\.lamport: 0 is not valid"),
        (lambda d: d["schedule"]["faults"].append({"at": 5, "kind": "power-failure",
                                                   "nodes": []}),
         r"field schedule\.faults\[\d+\]\.nodes: \[\] should be non-empty"),
        (lambda d: d["history"]["faults"].append(
            {"time": 5, "fault": {"kind": "partition", "shape": "split", "nodes": []}}),
         r"nodes: \[\] should be non-empty"),
        (lambda d: d.__setitem__("digest", "ab"), r"field digest: 'ab' is not valid"),
    ],
)
def test_a_trace_that_disagrees_with_itself_is_refused(
    tmp_path: Path, mutate: Any, message: str
) -> None:
    doc = _sim_doc()
    mutate(doc)
    path = _write(tmp_path, "t.json", doc)
    with pytest.raises(TraceError, match=message) as info:
        load_trace(path)
    assert "\n" not in str(info.value)
    for command in (show, replay):  # the commands say the same, in one line, exit 2
        result = CliRunner().invoke(command, [str(path)])
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (("schedule", "duration"), 10**30, r"schedule\.duration: .* \(maximum 3600000000\)"),
        (("schedule", "settle"), 3_600_000_001, r"schedule\.settle"),
        (("schedule", "nodes"), 1000, r"schedule\.nodes: 1000 is not valid \(maximum 100\)"),
        (("schedule", "workload", "writes"), 10**9, r"workload\.writes: 1000000000"),
        (("schedule", "workload", "clients"), 10**6, r"workload\.clients"),
        (("schedule", "network", "max_delay"), 10**30, r"network\.max_delay"),
        (("schedule", "seed"), 10**40, r"schedule\.seed"),
    ],
)
def test_huge_schema_shaped_values_are_refused_up_front(
    tmp_path: Path, where: tuple[str, ...], value: int, message: str
) -> None:
    doc = _sim_doc()
    target = doc
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    with pytest.raises(TraceError, match=message):
        load_trace(_write(tmp_path, "t.json", doc))


def test_twenty_thousand_faults_are_refused(tmp_path: Path) -> None:
    doc = _sim_doc()
    doc["schedule"]["faults"] = [{"at": 0, "kind": "crash", "node": 0}] * 20_000
    with pytest.raises(TraceError, match=r"schedule\.faults"):
        load_trace(_write(tmp_path, "t.json", doc))


@pytest.mark.parametrize("version", ["9" * 5000, "\u00b9.0", "\u0661.0", "1.0\n", "1.", "1"])
def test_odd_versions_are_one_line(tmp_path: Path, version: str) -> None:
    doc = _doc()
    doc["version"] = version
    with pytest.raises(TraceError, match=r"field version: .* is not 'major\.minor'") as info:
        load_trace(_write(tmp_path, "t.json", doc))
    assert len(str(info.value)) < 300


def test_a_number_of_thousands_of_digits_is_a_trace_error(tmp_path: Path) -> None:
    text = dumps(sample_trace()).replace(b'"seed":7', b'"seed":' + b"9" * 5000)
    with pytest.raises(TraceError, match="not JSON this reader accepts"):
        loads(text)


def test_the_schema_states_the_schedule_limits() -> None:
    """trace.schema.json and ackcheck.schedule.LIMITS say the same numbers."""
    from ackcheck.schedule import LIMITS
    from ackcheck.traces.store import schema

    defs = schema()["$defs"]
    sched = defs["schedule"]["properties"]
    assert sched["nodes"]["maximum"] == LIMITS["nodes"]
    assert defs["time"]["maximum"] == LIMITS["time"]
    assert sched["workload"]["properties"]["clients"]["maximum"] == LIMITS["clients"]
    assert sched["workload"]["properties"]["writes"]["maximum"] == LIMITS["writes"]
    assert sched["faults"]["maxItems"] == LIMITS["faults"]
    assert defs["faultField"]["maximum"] == LIMITS["fault-field"]
    assert sched["seed"]["maximum"] == LIMITS["seed"] == -sched["seed"]["minimum"]


def test_every_limit_is_enforced_by_the_constructors() -> None:
    """The same limits hold for a schedule built in Python (a test, the CLI)."""
    import attrs

    from ackcheck.errors import ConfigError
    from ackcheck.schedule import LIMITS, Crash, NetworkSpec, Schedule, TimedFault, Workload

    over = {name: limit + 1 for name, limit in LIMITS.items()}
    with pytest.raises(ConfigError, match="nodes is 101"):
        Schedule(nodes=over["nodes"])
    with pytest.raises(ConfigError, match="duration"):
        Schedule(duration=over["time"])
    with pytest.raises(ConfigError, match="writes"):
        Workload(writes=over["writes"])
    with pytest.raises(ConfigError, match="clients"):
        Workload(clients=over["clients"])
    with pytest.raises(ConfigError, match="max_delay"):
        NetworkSpec(max_delay=over["time"])
    with pytest.raises(ConfigError, match="number of faults"):
        Schedule(faults=(TimedFault(0, Crash(0)),) * over["faults"])
    with pytest.raises(ConfigError, match="seed"):
        Schedule(seed=-over["seed"])
    with pytest.raises(ConfigError, match="offset"):
        from ackcheck.schedule import BitFlip

        Schedule(faults=(TimedFault(0, BitFlip(0, offset=over["fault-field"])),))
    with pytest.raises(ConfigError, match="power-failure names no node"):
        from ackcheck.schedule import PowerFailure

        Schedule(faults=(TimedFault(0, PowerFailure(())),))
    at_limit = Schedule(nodes=LIMITS["nodes"], duration=LIMITS["time"], seed=LIMITS["seed"])
    assert attrs.evolve(at_limit, nodes=3).nodes == 3


def test_the_simulator_refuses_more_writes_than_it_can_run() -> None:
    """A real-cluster load may name 60,000 writes; a simulated run stops at its own
    bound with a one-line error instead of running for minutes."""
    from ackcheck.errors import ConfigError
    from ackcheck.model import make_node
    from ackcheck.schedule import Schedule, Workload
    from ackcheck.sim import simulate
    from ackcheck.sim.simulator import SIMULATED_WRITES

    big = Schedule(workload=Workload(writes=60_000))  # accepted: it is a real load
    with pytest.raises(ConfigError, match="at most 5,000 writes and this schedule has 60,000"):
        simulate(big, make_node, None)
    assert SIMULATED_WRITES == 5_000


# ------------------------------------------------------------------- atomic writing

def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    import ackcheck.traces.store as store

    path = save_trace(sample_trace(), tmp_path / "t.json")
    old = path.read_bytes()

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store.os, "fsync", full)
    with pytest.raises(TraceError, match="No space left on device"):
        save_trace(sample_trace(heartbeats=3), path)
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]


def test_an_exclusive_write_never_replaces(tmp_path: Path) -> None:
    from ackcheck.traces.store import write_bytes

    (tmp_path / "t.json").write_bytes(b"mine")
    with pytest.raises(FileExistsError):
        write_bytes(b"theirs", tmp_path / "t.json", exclusive=True)
    assert (tmp_path / "t.json").read_bytes() == b"mine"
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]


def test_is_trace_file(tmp_path: Path) -> None:
    from ackcheck.traces.store import is_trace_file

    assert is_trace_file(save_trace(sample_trace(), tmp_path / "a.json"))
    assert is_trace_file(save_trace(sample_trace(), tmp_path / "a.json.gz"))
    assert not is_trace_file(_write(tmp_path, "notes.md", b"# notes\n"))
    assert not is_trace_file(tmp_path / "missing.json")
    assert not is_trace_file(tmp_path)
