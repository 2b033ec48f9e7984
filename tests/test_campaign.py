"""Campaigns: the spec, one cell, and whole campaigns through Dask, locally and through a
real ``dask scheduler`` with two ``dask worker`` processes on loopback."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ackcheck.app._campaign_cell import run_cell
from ackcheck.app._campaign_spec import load_spec, parse_spec
from ackcheck.errors import ConfigError
from ackcheck.traces import load_trace

pytest.importorskip("distributed", reason="campaigns need dask[distributed] (the dev extra)")

# Two fault groups under a preset that loses acked writes to power failures within a
# few dozen schedules, and one that holds: verdicts that do not depend on the draws.
SMALL = """
name = "small"
[matrix]
presets = ["nats-2.12.1", "raft"]
faults = ["power", "network"]
seeds = [3]
[matrix.knobs]
fsync = ["2m"]
[budget]
examples = 25
shrink_seconds = 0
[search]
properties = ["ack-implies-durable"]
max_faults = 4
[plot]
x = "faults"
series = "preset"
facet = "fsync"
y = ["violation_rate", "lost_rate"]
"""


def _spec(tmp_path: Path, text: str = SMALL) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(text)
    return path


def _ackcheck(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ackcheck.app.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def _rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "results.csv").open(newline="") as f:
        return list(csv.DictReader(f))


# ------------------------------------------------------------------------------ the spec


def test_spec_expands_the_matrix_in_order() -> None:
    spec = parse_spec({
        "matrix": {"presets": ["nats-2.12.1", "nats-2.14"], "faults": ["power", "disk"],
                   "seeds": 2, "knobs": {"fsync": ["always", "1s", "2m"]}},
        "budget": {"examples": 10},
    })
    assert len(spec.cells) == 2 * 3 * 2 * 2
    assert spec.knob_names == ("fsync",)
    first = spec.cells[0]
    assert (first.preset, first.knobs, first.faults, first.seed) == (
        "nats-2.12.1", (("fsync", "always"),), "power", 0)
    assert first.overrides == ("fsync=always",)
    assert len({c.id for c in spec.cells}) == len(spec.cells)
    # a cell's id covers its budget: a changed budget makes new cells, not mixed figures
    other = parse_spec({"matrix": {"presets": ["nats-2.12.1"], "faults": ["power"],
                                   "knobs": {"fsync": ["always"]}},
                        "budget": {"examples": 11}})
    assert other.cells[0].id != first.id


@pytest.mark.parametrize("doc, message", [
    ({"budget": {"examples": 5}, "matrx": {}}, "unknown key 'matrx'"),
    ({"budget": {"examples": 5}, "matrix": {"presets": ["nope"]}}, "unknown preset 'nope'"),
    ({"budget": {"examples": 5}, "matrix": {"knobs": {"fsync": ["sometimes"]}}}, "fsync"),
    ({"budget": {"examples": 5}, "matrix": {"knobs": {"colour": ["red"]}}}, "unknown knob"),
    ({"budget": {"examples": 5}, "matrix": {"faults": ["gremlins"]}}, "unknown fault kind"),
    ({"budget": {"examples": 5}, "matrix": {"seeds": 0}}, "seeds"),
    ({"matrix": {}}, "needs examples or seconds"),
    ({"budget": {"examples": 5}, "search": {"properties": ["nope"]}}, "unknown property"),
    ({"budget": {"examples": 5}, "plot": {"y": ["colour"]}}, "unknown metric"),
    ({"budget": {"examples": 5}, "plot": {"x": "weather"}}, "not a matrix axis"),
])
def test_bad_specs_are_config_errors(doc: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_spec(doc)


def test_bad_spec_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[matrix\n")
    for spec in (bad, tmp_path / "missing.toml"):
        proc = _ackcheck("campaign", str(spec), cwd=tmp_path, timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
        assert proc.stderr.startswith("ackcheck: error: campaign spec")


def test_dry_run_lists_the_cells(tmp_path: Path) -> None:
    proc = _ackcheck("campaign", str(_spec(tmp_path)), "--dry-run", cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "4 cells"
    assert "nats-2.12.1 fsync=2m faults=power seed=3" in proc.stdout


# ------------------------------------------------------------------------------ one cell


def test_a_cell_counts_losses_and_shrinks_its_counterexample(tmp_path: Path) -> None:
    cell = load_spec(_spec(tmp_path)).cells[0]  # nats-2.12.1, fsync 2m, power failures
    result = run_cell(cell)
    assert result.examples == 25
    assert result.verdict == "violated"
    assert 0 < result.violating_examples <= result.examples
    assert result.violating == {"ack-implies-durable": result.violating_examples}
    assert 0 < result.lost <= result.acked
    assert 0 < result.max_lost <= result.lost
    assert result.first_violation is not None
    (ce,) = result.counterexamples
    assert ce.property == "ack-implies-durable"
    assert ce.trace.violation is not None
    assert ce.trace.violation.property == "ack-implies-durable"
    assert ce.faults == len(ce.trace.schedule.faults) >= 1


def test_a_cell_that_holds_has_no_losses(tmp_path: Path) -> None:
    cell = load_spec(_spec(tmp_path)).cells[3]  # raft, network faults
    assert (cell.preset, cell.faults) == ("raft", "network")
    result = run_cell(cell)
    assert (result.verdict, result.examples, result.lost) == ("holds", 25, 0)
    assert result.acked > 0 and result.counterexamples == ()


def test_a_cell_bounded_by_seconds_stops(tmp_path: Path) -> None:
    text = SMALL.replace("examples = 25", "seconds = 1.0")
    cell = load_spec(_spec(tmp_path, text)).cells[3]
    result = run_cell(cell)  # stops by itself: it would otherwise run 10**9 examples
    assert result.examples >= 1 and result.seconds >= 1.0


# ---------------------------------------------------------------------- whole campaigns


def _check_campaign(folder: Path, proc: subprocess.CompletedProcess[str]) -> list[dict]:
    """What every finished run of SMALL must show."""
    assert proc.returncode == 1, proc.stderr  # nats-2.12.1 violated under power failures
    rows = _rows(folder)
    assert len(rows) == 4
    verdicts = {(r["preset"], r["faults"]): r["verdict"] for r in rows}
    assert verdicts[("nats-2.12.1", "power")] == "violated"
    assert verdicts[("raft", "power")] == verdicts[("raft", "network")] == "holds"
    assert {r["examples"] for r in rows} == {"25"}
    saved = sorted(p.name for p in (folder / "traces").iterdir())
    named = {n for r in rows for n in r["counterexamples"].split(";") if n}
    assert named == set(saved) and saved
    for name in saved:
        assert load_trace(folder / "traces" / name).violation is not None
    with (folder / "counterexamples.csv").open(newline="") as f:
        keys = [r["key"] for r in csv.DictReader(f)]
    assert len(keys) == len(set(keys)) == len(saved)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["cells"] == 4 and summary["ok"] is False
    for ext in ("png", "svg"):
        assert (folder / f"plot.{ext}").stat().st_size > 1000
    assert "| nats-2.12.1 | 2m | power |" in (folder / "summary.md").read_text()
    return rows


def test_local_cluster_campaign_resumes(tmp_path: Path) -> None:
    spec, out = _spec(tmp_path), tmp_path / "out"
    proc = _ackcheck("campaign", str(spec), "--out", str(out), "--workers", "2", cwd=tmp_path)
    rows = _check_campaign(out, proc)
    assert "4 run now (2 Dask workers)" in proc.stdout
    # a rerun runs nothing and reports the same table
    again = _ackcheck("campaign", str(spec), "--out", str(out), cwd=tmp_path)
    assert again.returncode == 1, again.stderr
    assert "0 run now (nothing left to run), 4 already in" in again.stdout
    assert _rows(out) == rows
    # a lost row is a cell to run again, and only that one
    with (out / "results.csv").open() as f:
        lines = f.readlines()
    (out / "results.csv").write_text("".join(lines[:-1]))
    third = _ackcheck("campaign", str(spec), "--out", str(out), "--workers", "1", cwd=tmp_path)
    assert "1 run now" in third.stdout, third.stderr
    assert sorted(r["cell"] for r in _rows(out)) == sorted(r["cell"] for r in rows)


def test_another_specs_table_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.csv").write_text("cell,preset,colour\n")
    proc = _ackcheck("campaign", str(_spec(tmp_path)), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2
    assert "other columns" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_unreachable_scheduler_is_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = _ackcheck("campaign", str(_spec(tmp_path)), "--out", str(tmp_path / "o"),
                     "--scheduler", "tcp://127.0.0.1:9", cwd=tmp_path, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("ackcheck: error: cannot reach the Dask scheduler")
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[str]:
    """A real ``dask scheduler`` and two single-threaded ``dask worker`` processes on
    loopback, stopped (and waited for) after the test."""
    info = tmp_path / "scheduler.json"
    common = ["--no-dashboard"]
    procs = [subprocess.Popen(
        [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
         "--scheduler-file", str(info), *common],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)]
    try:
        deadline = time.monotonic() + 60
        while not info.exists() or not info.read_text().strip():
            assert time.monotonic() < deadline, "dask scheduler did not start"
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for _ in range(2):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "dask", "worker", address, "--nthreads", "1",
                 "--nworkers", "1", "--host", "127.0.0.1", *common],
                cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True))
        from dask.distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)


def test_campaign_on_a_real_dask_cluster(tmp_path: Path, dask_cluster: str) -> None:
    spec = _spec(tmp_path)
    proc = _ackcheck("campaign", str(spec), "--out", str(tmp_path / "real"),
                     "--scheduler", dask_cluster, cwd=tmp_path)
    rows = _check_campaign(tmp_path / "real", proc)
    assert "4 run now (2 Dask workers)" in proc.stdout
    assert len({r["worker"] for r in rows}) == 2  # both workers ran cells
    # the same campaign on a local cluster reports the same verdicts
    local = _ackcheck("campaign", str(spec), "--out", str(tmp_path / "local"), "--workers", "1",
                      cwd=tmp_path)
    by_cell = {r["cell"]: r["verdict"] for r in _check_campaign(tmp_path / "local", local)}
    assert {r["cell"]: r["verdict"] for r in rows} == by_cell
