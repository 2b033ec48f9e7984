"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
USER_NODE = f"{ROOT / 'docs' / 'user_protocol' / 'primary_backup.py'}:PrimaryBackup"


@pytest.fixture
def user_node() -> str:
    """The deliberately flawed primary/backup protocol from docs/user-protocol.md."""
    return USER_NODE
