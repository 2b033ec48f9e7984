"""The ackcheck command: exit codes, one-line errors, machine-readable output; nothing
overwritten, the environment checked up front, a trace's code never run unasked."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from fuzz_tools import BASE, run_cli, snapshot

import ackcheck.app.cli as cli_module
import ackcheck.traces.store as store
from ackcheck.app._tracefiles import save_counterexample
from ackcheck.traces import load_trace


def ackcheck(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ackcheck.app.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def test_explore_json_reports_the_violation(user_node: str, tmp_path) -> None:
    run = ackcheck(
        "explore", "--node", user_node, "--property", "ack-implies-durable",
        "--examples", "100", "--json", "--out", str(tmp_path),
    )
    assert run.returncode == 1, run.stderr
    summary = json.loads(run.stdout)
    assert summary["ok"] is False
    assert summary["violation"]["property"] == "ack-implies-durable"
    assert summary["violation"]["faults"], "a counterexample lists its faults"
    assert summary["violation"]["trace"].startswith(str(tmp_path))


def test_explore_text_prints_schedule_and_trace(user_node: str, tmp_path) -> None:
    run = ackcheck(
        "explore", "--node", user_node, "--property", "ack-implies-durable",
        "--examples", "100", "--out", str(tmp_path), "--search", "timed",
    )
    assert run.returncode == 1
    assert "VIOLATION of ack-implies-durable" in run.stdout
    assert "partition" in run.stdout
    assert "ackcheck replay" in run.stdout


def test_explore_clean_pass_exits_zero(user_node: str, tmp_path) -> None:
    run = ackcheck(
        "explore", "--node", user_node, "--faults", "heal", "--examples", "10",
        "--property", "ack-implies-durable", "--out", str(tmp_path),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no violation found" in run.stdout
    assert not list(tmp_path.iterdir()), "a pass never writes a counterexample"


@pytest.mark.parametrize(
    "args, words",
    [
        (["explore", "--preset", "no-such-preset", "--examples", "1"], "no-such-preset"),
        (["explore", "--faults", "meteor", "--examples", "1"], "meteor"),
        (["explore", "--node", "nope_mod_xyz:Node", "--examples", "1"], "nope_mod_xyz"),
        (["explore", "--examples", "0"], "examples"),
        (["explore", "--property", "bogus", "--examples", "1"], "bogus"),
        (["explore", "--workers", "0"], "--workers"),  # click's own checks: one line too
        (["explore", "--budget", "soon"], "--budget"),
        (["no-such-command"], "no-such-command"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], words: str) -> None:
    run = ackcheck(*args)
    assert run.returncode == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert words in lines[0]
    assert "Traceback" not in run.stderr


# ------------------------------------------------- exit codes never lie (docs/errors.md)


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ackcheck: error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


NODE_FILES = {
    "raises.py": ("raise RuntimeError('broken at import')\n", "RuntimeError: broken at import"),
    "syntax.py": ("def f(:\n", "SyntaxError"),
    "thing.py": ("class Node:\n    pass\n", "is not a node"),
}


@pytest.mark.parametrize("name", sorted(NODE_FILES))
def test_a_broken_node_file_is_bad_input(tmp_path: Path, name: str) -> None:
    text, words = NODE_FILES[name]
    (tmp_path / name).write_text(text)
    run = ackcheck("explore", "--node", f"{tmp_path / name}:Node", "--examples", "1")
    assert run.returncode == 2, run.stderr
    assert words in _one_error_line(run.stderr)


def test_a_function_that_is_not_a_node_factory_is_bad_input() -> None:
    run = ackcheck("explore", "--node", "os:getcwd", "--examples", "1")
    assert run.returncode == 2
    assert "'os:getcwd' is not a node factory" in _one_error_line(run.stderr)


def test_a_node_that_raises_while_running_is_bad_input_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "zero.py").write_text(
        "class Node:\n"
        "    def __init__(self, node_id, nodes, config, rng):\n"
        "        pass\n"
        "    def step(self, event):\n"
        "        return 1 / 0\n"
        "    def state(self):\n"
        "        return None\n"
    )
    run = ackcheck("explore", "--node", f"{tmp_path / 'zero.py'}:Node", "--examples", "3",
                   "--workers", "1")
    assert run.returncode == 2
    line = _one_error_line(run.stderr)
    assert "the node implementation raised ZeroDivisionError" in line
    assert f"{tmp_path / 'zero.py'}:5 in step" in line


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_a_budget_must_be_finite_and_positive(value: str) -> None:
    run = ackcheck("explore", "--budget", value)
    assert run.returncode == 2
    assert "budget" in _one_error_line(run.stderr)


@pytest.mark.parametrize(
    "args, words",
    [(["--nodes", "1000"], "--nodes"), (["--writes", "1000000000"], "--writes"),
     (["--max-faults", "100000"], "--max-faults"), (["--workers", "100000"], "--workers")],
)
def test_sizes_beyond_the_limits_are_refused_up_front(args: list[str], words: str) -> None:
    run = ackcheck("explore", "--examples", "1", *args)
    assert run.returncode == 2
    assert words in _one_error_line(run.stderr)


@pytest.mark.parametrize("where", ["FILE/sub", "/proc/ackcheck-out", "FILE"])
def test_an_unwritable_out_is_refused_before_the_search(tmp_path: Path, where: str) -> None:
    (tmp_path / "FILE").write_text("a file\n")
    out = where.replace("FILE", str(tmp_path / "FILE"))
    ran = run_cli(["explore", "--examples", "50", "--out", out])
    assert ran.code == 2
    _one_error_line(ran.stderr)
    assert "explored" not in ran.stdout  # refused before any search ran


def test_a_full_disk_while_saving_keeps_the_counterexample_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user_node: str
) -> None:
    real = store.tempfile.mkstemp

    def full_disk(**kwargs):  # type: ignore[no-untyped-def]
        fd, name = real(**kwargs)  # the real temporary file, which must be removed
        os.close(fd)
        return os.open("/dev/full", os.O_WRONLY), name  # every write: ENOSPC

    monkeypatch.setattr(store.tempfile, "mkstemp", full_disk)
    out = tmp_path / "traces"
    ran = run_cli(["explore", "--node", user_node, "--property", "ack-implies-durable",
                   "--examples", "100", "--workers", "1", "--out", str(out)])
    assert ran.code == 2, ran.describe()
    line = _one_error_line(ran.stderr)
    assert "could not save the trace" in line and "No space left on device" in line
    assert "VIOLATION of ack-implies-durable" in ran.stdout  # printed, not lost
    assert list(out.iterdir()) == []  # no partial trace, no temporary file, no claim


def test_an_internal_error_is_exit_3_with_the_traceback_in_a_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("an ackcheck bug")

    monkeypatch.setattr(cli_module, "run_explore", broken)
    ran = run_cli(["explore", "--examples", "1"])
    assert ran.code == 3
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ackcheck: internal error: RuntimeError")
    path = Path(re.search(r"traceback: (\S+);", lines[0])[1])  # type: ignore[index]
    try:
        assert "an ackcheck bug" in path.read_text()
        assert "Traceback" in path.read_text()
    finally:
        path.unlink()


def test_an_environment_oserror_is_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cli_module, "run_explore", full)
    ran = run_cli(["explore", "--examples", "1"])
    assert ran.code == 2
    assert "No space left on device" in _one_error_line(ran.stderr)


def test_bare_ackcheck_prints_the_help_and_exits_0() -> None:
    ran = run_cli([])
    assert ran.code == 0 and "Usage: ackcheck" in ran.stdout


# --------------------------------------------------------------- never overwrite a trace


def test_traces_that_differ_in_anything_get_different_files(tmp_path: Path) -> None:
    trace = load_trace(BASE)
    first = save_counterexample(trace, tmp_path)
    before = first.read_bytes()
    changed = attrs.evolve(trace, overrides=("fsync=always",), config={**trace.config})
    second = save_counterexample(changed, tmp_path)
    assert second != first and first.read_bytes() == before
    assert save_counterexample(trace, tmp_path) == first  # the same trace: the same file
    # a different file already holding the name is never replaced: a numbered suffix
    squatter = tmp_path / second.name
    squatter.write_bytes(b"someone else's file\n")
    third = save_counterexample(changed, tmp_path)
    assert third.name == second.name.replace(".json", ".1.json")
    assert squatter.read_bytes() == b"someone else's file\n"


@pytest.mark.parametrize("target", ["INPUT", "OTHER", "GZ"])
def test_show_never_writes_over_a_trace(tmp_path: Path, target: str) -> None:
    victim = tmp_path / "victim.json"
    victim.write_bytes(store.dumps(load_trace(BASE)))
    (tmp_path / "other.json").write_bytes(victim.read_bytes())
    (tmp_path / "other.json.gz").write_bytes(BASE.read_bytes())
    before = snapshot(tmp_path)
    out = {"INPUT": victim, "OTHER": tmp_path / "other.json", "GZ": tmp_path / "other.json.gz"}
    ran = run_cli(["show", str(victim), "--format", "text", "--out", str(out[target])])
    assert ran.code == 2
    assert "refusing to write over" in _one_error_line(ran.stderr)
    assert snapshot(tmp_path) == before


def test_show_out_on_a_full_disk_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store.os, "fsync", lambda fd: (_ for _ in ()).throw(
        OSError(errno.ENOSPC, "No space left on device")))
    ran = run_cli(["show", str(BASE), "--format", "html", "--out", str(tmp_path / "x.html")])
    assert ran.code == 2
    assert "No space left on device" in _one_error_line(ran.stderr)
    assert list(tmp_path.iterdir()) == []


def test_show_out_writes_a_render(tmp_path: Path) -> None:
    ran = run_cli(["show", str(BASE), "--format", "markdown", "--out", str(tmp_path / "b.md")])
    assert ran.code == 0, ran.describe()
    assert (tmp_path / "b.md").read_text().startswith("#")


# ------------------------------------------------------------- the environment, up front


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_a_bad_ackcheck_tmpdir_is_refused_before_a_real_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    where = tmp_path / "runs"
    if kind == "file":
        where.write_text("not a directory\n")
    monkeypatch.setenv("ACKCHECK_TMPDIR", str(where))
    ran = run_cli(["replay", str(BASE), "--nats", "2.12.1"])
    assert ran.code == 2
    assert "ACKCHECK_TMPDIR" in _one_error_line(ran.stderr)
    assert "replaying" not in ran.stdout  # before the trace was even read


def test_a_file_as_ackcheck_cache_is_refused(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cache").write_text("not a directory\n")
    monkeypatch.setenv("ACKCHECK_CACHE", str(tmp_path / "cache"))
    for argv in (["nats", "list"], ["nats", "install", "2.12.1"],
                 ["replay", str(BASE), "--nats", "2.12.1"]):
        ran = run_cli(argv)
        assert ran.code == 2, argv
        assert "ACKCHECK_CACHE" in _one_error_line(ran.stderr)


# ------------------------------------------------------------------------ node trust


def _trace_of_a_user_node(tmp_path: Path) -> tuple[Path, str, Path]:
    """A trace naming a node file that leaves a mark when it is imported."""
    from ackcheck.app._runner import run_once
    from ackcheck.schedule import Crash, Schedule, TimedFault
    from ackcheck.traces import make_trace, save_trace

    source = Path(__file__).resolve().parent.parent / "docs" / "user_protocol"
    marker = tmp_path / "imported"
    node_file = tmp_path / "stranger.py"
    node_file.write_text((source / "primary_backup.py").read_text()
                         + f"\nfrom pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n")
    ref = f"{node_file}:PrimaryBackup"
    schedule = Schedule(nodes=3, seed=3, faults=(TimedFault(0, Crash(1)),))
    outcome = run_once({}, schedule, node=ref, properties=["ack-implies-durable"])
    trace = make_trace(preset=None, overrides=(), config={}, node=ref, schedule=schedule,
                       properties=["ack-implies-durable"],
                       violation=outcome.violations[0] if outcome.violations else None,
                       history=outcome.history, digest=outcome.digest)
    path = save_trace(trace, tmp_path / "downloaded.json")
    marker.unlink()
    return path, ref, marker


def test_replay_does_not_import_a_traces_node_unless_allowed(tmp_path: Path) -> None:
    path, ref, marker = _trace_of_a_user_node(tmp_path)
    run = ackcheck("replay", str(path))
    assert run.returncode == 2
    line = _one_error_line(run.stderr)
    assert "--allow-node" in line and ref in line
    assert not marker.exists(), "the trace's code ran without permission"
    run = ackcheck("replay", str(path), "--allow-node", "some.other:Node")
    assert run.returncode == 2 and not marker.exists()
    run = ackcheck("replay", str(path), "--allow-node", ref)
    assert run.returncode in (0, 1), run.stderr
    assert "digest matches" in run.stdout and marker.exists()


def test_pytest_replay_does_not_import_a_traces_node_unless_allowed(tmp_path: Path) -> None:
    path, ref, marker = _trace_of_a_user_node(tmp_path)

    def pytest_replay(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             "--ackcheck-replay", str(path), *extra],
            capture_output=True, text=True, timeout=300, cwd=tmp_path,
        )

    refused = pytest_replay()
    assert refused.returncode == 1, refused.stdout
    assert "--ackcheck-allow-node" in refused.stdout and not marker.exists()
    allowed = pytest_replay("--ackcheck-allow-node", ref)
    assert "--ackcheck-allow-node" not in allowed.stdout, allowed.stdout
    assert marker.exists()
