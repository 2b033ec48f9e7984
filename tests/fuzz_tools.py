"""Shared by the fuzz tests: run ``ackcheck`` in this process and judge what it did.

The judgement is the exit-code contract (docs/errors.md): 0, 1 or 2 only (3, an internal
error, is a bug the fuzzer found); exit 2 says one line on stderr; no traceback ever; and
no file that was in the directory before the command is changed or removed, nor is a
temporary file left behind.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any

import attrs

from ackcheck.app.cli import main
from ackcheck.traces import load_trace
from ackcheck.traces.store import dumps

#: The smallest corpus trace: 3 nodes, a few hundred events, replays in well under 1 s.
BASE = Path(__file__).resolve().parent.parent / "traces" / "corpus" / (
    "raft-unpersisted-vote--election-safety.json.gz"
)


def examples(default: int) -> int:
    """``default`` examples per fuzz test, or ``$ACKCHECK_FUZZ_EXAMPLES`` for a soak."""
    return int(os.environ.get("ACKCHECK_FUZZ_EXAMPLES") or default)


@attrs.frozen
class Ran:
    argv: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return f"ackcheck {' '.join(self.argv)} -> {self.code}\n{self.stderr[-2000:]}"


def run_cli(argv: list[str]) -> Ran:
    """``ackcheck ARGV`` in this process (the real entry point, ``main``)."""
    out, err = io.StringIO(), io.StringIO()
    code: Any = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code
    return Ran(tuple(argv), code if isinstance(code, int) else 1, out.getvalue(),
               err.getvalue())


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder``: relative name -> sha256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def assert_contract(ran: Ran, folder: Path, before: dict[str, str],
                    replaceable: frozenset[str] = frozenset()) -> None:
    """The exit-code and file contract for one run (see the module docstring);
    ``replaceable`` names files the command was told to write (``show --out`` over an
    earlier render, which is not a trace)."""
    what = ran.describe()
    assert ran.code in (0, 1, 2), what
    assert "Traceback" not in ran.stderr and "Traceback" not in ran.stdout, what
    if ran.code == 2:
        lines = ran.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("ackcheck: error: "), what
    after = snapshot(folder)
    changed = {name for name, digest in before.items()
               if after.get(name) != digest and name not in replaceable}
    assert not changed, f"pre-existing files changed or removed: {sorted(changed)}\n{what}"
    leftovers = [name for name in after if name.endswith(".tmp")]
    assert not leftovers, f"temporary files left: {leftovers}\n{what}"


@functools.cache
def base_trace_bytes() -> bytes:
    """A real, small trace to mutate (a simulated run of the built-in node whose
    violation reproduces), uncompressed."""
    return dumps(load_trace(BASE))


def base_doc() -> dict[str, Any]:
    return json.loads(base_trace_bytes())  # type: ignore[no-any-return]
