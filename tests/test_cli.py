"""The ackcheck command: exit codes, one-line errors, machine-readable output."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


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
