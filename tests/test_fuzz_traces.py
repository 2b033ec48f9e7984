"""Fuzzing ``ackcheck show`` and ``ackcheck replay`` with mutated traces.

Hypothesis mutates a real trace in structure (keys deleted or added, lists emptied,
events dropped or swapped) and in value (huge, negative, non-ASCII-digit, NaN, wrong
types; the sizes a hostile file would carry), re-encodes it (JSON, gzip, flipped or cut
bytes) and runs the commands on it in this process. Every run must keep the contract of
``fuzz_tools.assert_contract``: exit 0, 1 or 2, one line for 2, no traceback, nothing
that was in the directory changed (``show --out`` aimed at a trace or at its own input
must refuse). A replay's event budget is lowered so that a mutated schedule that is
large but within the limits stays fast.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fuzz_tools import BASE, assert_contract, base_doc, examples, run_cli, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ackcheck.app._runner as runner
from ackcheck.traces import FORMATS

HUGE = 10**30
#: Values a hostile or broken file carries, beside Hypothesis' own.
ODD_VALUES = st.sampled_from([
    None, True, False, 0, -1, 1, 2**31, 2**63, 2**64, HUGE, 10**9, 1000, 0.5, -0.0,
    float("nan"), float("inf"), "", "n99", "c-1", "sim\n", "\u00b9", "9" * 5000, "x" * 300,
    "1.0\n", [], {}, [[[[[[[[[[]]]]]]]]]], {"kind": "crash"}, {"kind": "power-failure",
    "nodes": []}, "nodes", "raft", "os:system", "/tmp/evil.py:Node",
])
VALUES = st.one_of(
    ODD_VALUES, st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=8),
    st.lists(st.integers(-3, 200), max_size=3),
)


_DOC = base_doc()


def _draw_path(draw: st.DrawFn, doc: Any) -> tuple[Any, ...]:
    """A path into ``doc`` chosen one level at a time (the first few items of a list)."""
    path: list[Any] = []
    node = doc
    while isinstance(node, (dict, list)) and node and (not path or draw(st.booleans())):
        keys = sorted(node) if isinstance(node, dict) else list(range(min(len(node), 6)))
        key = draw(st.sampled_from(keys))
        path.append(key)
        node = node[key]
    return tuple(path)


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


@st.composite
def mutated_doc(draw: st.DrawFn) -> Any:
    doc = json.loads(json.dumps(_DOC))
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["replace", "replace", "delete", "add", "events",
                                    "size"]))
        if how == "events":
            events = doc.get("events")
            if isinstance(events, list) and events:
                op = draw(st.sampled_from(["empty", "drop", "swap", "actor", "time"]))
                i = draw(st.integers(0, len(events) - 1))
                if op == "empty":
                    doc["events"] = []
                elif op == "drop":
                    del events[i]
                elif op == "swap":
                    j = draw(st.integers(0, len(events) - 1))
                    events[i], events[j] = events[j], events[i]
                elif isinstance(events[i], dict):
                    events[i][op] = draw(st.sampled_from(
                        ["n99", "c999", "x", ""] if op == "actor" else [-5, HUGE, 2**40]))
            continue
        if how == "size":  # schema-valid but huge: refused up front, never run for minutes
            where, value = draw(st.sampled_from([
                (("schedule", "duration"), HUGE), (("schedule", "settle"), 10**12),
                (("schedule", "nodes"), 1000), (("schedule", "workload", "writes"), 10**9),
                (("schedule", "workload", "clients"), 10**6), (("schedule", "seed"), 10**40),
                (("schedule", "network", "max_delay"), HUGE),
                (("schedule", "faults"), [{"at": 0, "kind": "crash", "node": 0}] * 20_000),
            ]))
            target = _parent(doc, where) if isinstance(doc.get("schedule"), dict) else None
            if isinstance(target, dict):
                target[where[-1]] = value
            continue
        path = _draw_path(draw, doc)
        if not path:
            continue
        try:
            parent = _parent(doc, path)
            if how == "replace":
                parent[path[-1]] = draw(VALUES)
            elif how == "delete":
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent[draw(st.sampled_from(["seeed", "extra", "x"]))] = draw(VALUES)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation moved the path: this one is a no-op
    return doc


@st.composite
def mutated_bytes(draw: st.DrawFn) -> tuple[str, bytes]:
    """(file name, bytes): a mutated document, encoded; sometimes gzipped, flipped or cut."""
    text = json.dumps(draw(mutated_doc()), allow_nan=True)
    digits = "9" * 5000
    if draw(st.booleans()):  # a bare 5000-digit number: more than Python's int() takes
        text = text.replace(f'"{digits}"', digits, 1)
    data = text.encode()
    how = draw(st.sampled_from(["plain", "plain", "gzip", "flip", "cut"]))
    if how == "gzip":
        return "t.json.gz", gzip.compress(data, mtime=0)
    if how == "flip":
        raw = bytearray(data)
        for _ in range(draw(st.integers(1, 4))):
            raw[draw(st.integers(0, len(raw) - 1))] ^= 1 << draw(st.integers(0, 7))
        return "t.json", bytes(raw)
    if how == "cut":
        return "t.json", data[: draw(st.integers(0, len(data) - 1))]
    return "t.json", data


@contextlib.contextmanager
def _folder() -> Iterator[Path]:
    """A fresh directory holding a trace nobody may overwrite (and the input, to come)."""
    with tempfile.TemporaryDirectory(prefix="ackcheck-fuzz-") as name:
        folder = Path(name)
        (folder / "keep.json.gz").write_bytes(BASE.read_bytes())
        (folder / "notes.txt").write_text("mine\n")
        yield folder


FUZZ = settings(max_examples=examples(120), deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(autouse=True)
def _small_event_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mutated schedule can be big and still within the limits; the fuzzer tests that
    it is bounded, not how long the bound takes."""
    monkeypatch.setattr(runner, "MAX_EVENTS", 30_000)


@FUZZ
@given(mutated_bytes(), st.sampled_from(FORMATS),
       st.sampled_from(["-", "new.out", "keep.json.gz", "INPUT", "sub/new.out"]))
def test_show_keeps_the_contract(encoded: tuple[str, bytes], fmt: str, out: str) -> None:
    with _folder() as folder:
        name, data = encoded
        trace = folder / name
        trace.write_bytes(data)
        before = snapshot(folder)
        argv = ["show", str(trace), "--format", fmt]
        if out != "-":
            argv += ["--out", str(trace if out == "INPUT" else folder / out)]
        assert_contract(run_cli(argv), folder, before)


@settings(FUZZ, max_examples=examples(60))
@given(mutated_bytes(), st.sampled_from([[], ["--set", "fsync=always"], ["--set", "bogus=1"],
                                         ["--allow-node", "os:system"]]))
def test_replay_keeps_the_contract(encoded: tuple[str, bytes], extra: list[str]) -> None:
    with _folder() as folder:
        name, data = encoded
        trace = folder / name
        trace.write_bytes(data)
        before = snapshot(folder)
        assert_contract(run_cli(["replay", str(trace), *extra]), folder, before)


@pytest.mark.parametrize("value", ["9" * 5000, "\u00b9.0", "1.0\n", "\u0661.0", "1.", ""])
def test_odd_versions_are_one_line(tmp_path: Path, value: str) -> None:
    doc = base_doc()
    doc["version"] = value
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc))
    before = snapshot(tmp_path)
    ran = run_cli(["show", str(path)])
    assert ran.code == 2
    assert_contract(ran, tmp_path, before)
