"""Shared test helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
USER_NODE = f"{ROOT / 'docs' / 'user_protocol' / 'primary_backup.py'}:PrimaryBackup"


@pytest.fixture
def user_node() -> str:
    """The deliberately flawed primary/backup protocol from docs/user-protocol.md."""
    return USER_NODE


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Under CI (``CI`` set, as .ci/run runs), a skip is a failure: CI installs FUSE,
    nats-server and the render tools, so a test that skips there means an install step
    went missing, and a green run would hide it. Elsewhere skips stay skips, with their
    reason."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI") and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, where all a test needs is installed: {reason}"
