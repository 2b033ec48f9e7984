"""Fuzzing the ``ackcheck`` command line: arguments as a new user types them.

Hypothesis draws a command and its options from the real option names with values
that are good, odd or hostile (NaN budgets, huge sizes, paths that are files, missing,
unwritable or the input itself, node references to stdlib functions and broken files)
and runs ``ackcheck`` in this process. Every run must keep ``fuzz_tools.assert_contract``:
exit 0, 1 or 2, one line for 2, no traceback, no pre-existing file changed. Searches are
kept to a handful of examples so the suite stays fast; nothing here reaches the network
or starts a server (``--nats`` only ever gets malformed versions). A soak:
``ACKCHECK_FUZZ_EXAMPLES=2000 pytest tests/test_fuzz_cli.py``.
"""

from __future__ import annotations

import contextlib
import functools
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fuzz_tools import BASE, assert_contract, examples, run_cli, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ackcheck.app.cli as cli_module
from ackcheck.app._options import SearchOptions
from ackcheck.traces.store import is_trace_file

ROOT = Path(__file__).resolve().parent.parent
USER_NODE = ROOT / "docs" / "user_protocol" / "primary_backup.py"

NUMBERS = st.sampled_from(["0", "1", "2", "-1", "nan", "inf", "-inf", "1e308", "0.5", "x",
                           "", "99999999999999999999", "3", "\u00b9"])
NODE_REFS = st.sampled_from([
    "raft", "os:getcwd", "os:system", "nope_mod_xyz:Node", "BROKEN.py:Node", "RAISES.py:Node",
    "NOTANODE.py:Thing", "MISSING.py:Node", f"{USER_NODE}:PrimaryBackup", ":", "raft:",
])
PATHS = st.sampled_from(["NEW", "NEW/deeper", "FILE", "FILE/sub", "DIR", "KEEP", "INPUT",
                         "/proc/ackcheck-nope", "", "MISSINGDIR/x.txt"])
TRACES = st.sampled_from(["KEEP", "DIR", "FILE", "MISSING.json", "/dev/null", "BINARY"])


def _explore_args() -> st.SearchStrategy[list[str]]:
    option = st.one_of(
        st.tuples(st.just("--examples"), st.sampled_from(["1", "2", "0", "-3", "x", "nan"])),
        st.tuples(st.just("--budget"), NUMBERS),
        st.tuples(st.just("--nodes"), NUMBERS | st.sampled_from(["1000", "100", "5"])),
        st.tuples(st.just("--writes"), NUMBERS | st.sampled_from(["1000000000", "5"])),
        st.tuples(st.just("--max-faults"), NUMBERS | st.sampled_from(["20000", "4"])),
        st.tuples(st.just("--seed"), NUMBERS),
        st.tuples(st.just("--workers"), st.sampled_from(["0", "1", "-1", "100000", "x"])),
        st.tuples(st.just("--preset"), st.sampled_from(["raft", "nats-2.12.1", "nope", ""])),
        st.tuples(st.just("--set"), st.sampled_from(["fsync=always", "fsync", "=", "bogus=1",
                                                     "election_timeout_min=-5"])),
        st.tuples(st.just("--property"), st.sampled_from(["ack-implies-durable", "bogus", ""])),
        st.tuples(st.just("--faults"), st.sampled_from(["crash", "meteor", "", "all", ","])),
        st.tuples(st.just("--node"), NODE_REFS),
        st.tuples(st.just("--out"), PATHS),
        st.tuples(st.just("--json")),
    )
    # a search is always bounded: a handful of examples, unless an option replaces it
    return st.lists(option, max_size=4).map(
        lambda opts: ["explore", "--examples", "2", "--workers", "1",
                      *[part for o in opts for part in o]]
    )


def _trace_args() -> st.SearchStrategy[list[str]]:
    show = st.tuples(
        st.just("show"), TRACES,
        st.lists(st.one_of(
            st.tuples(st.just("--format"), st.sampled_from(["text", "html", "svg", "nope"])),
            st.tuples(st.just("--out"), PATHS),
        ), max_size=2),
    )
    replay = st.tuples(
        st.just("replay"), TRACES,
        st.lists(st.one_of(
            st.tuples(st.just("--set"), st.sampled_from(["fsync=always", "nope", "x=1"])),
            st.tuples(st.just("--allow-node"), NODE_REFS),
            st.tuples(st.just("--repeat"), NUMBERS),
            st.tuples(st.just("--keep")),
            st.tuples(st.just("--nats"), st.sampled_from(["x", "2.12", "", "1.2.3.4"])),
        ), max_size=2),
    )
    return st.one_of(show, replay).map(
        lambda t: [t[0], t[1], *[part for o in t[2] for part in o]]
    )


OTHER = st.sampled_from([
    ["presets"], ["properties"], ["--version"], ["--help"], ["explore", "--help"],
    ["no-such-command"], [], ["show"], ["replay"], ["explore", "--no-such-option"],
    ["nats"], ["nats", "list"], ["nats", "install"],
])


@contextlib.contextmanager
def _workspace() -> Iterator[Path]:
    """A directory with what the placeholders name: a trace, a file, a directory, the
    user's node files (broken, raising, not a node), plus an unrelated note."""
    with tempfile.TemporaryDirectory(prefix="ackcheck-fuzz-cli-") as name:
        root = Path(name)
        (root / "KEEP").write_bytes(BASE.read_bytes())
        (root / "FILE").write_text("not a directory\n")
        (root / "DIR").mkdir()
        (root / "BINARY").write_bytes(bytes(range(256)))
        (root / "BROKEN.py").write_text("def f(:\n")
        (root / "RAISES.py").write_text("raise RuntimeError('at import')\n")
        (root / "NOTANODE.py").write_text("class Thing:\n    pass\n")
        yield root


PLACES = ("NEW", "FILE", "DIR", "KEEP", "BINARY", "MISSINGDIR", "MISSING.json")


def _resolve(argv: list[str], root: Path) -> list[str]:
    """Placeholders to paths in ``root`` (INPUT: the trace the command reads)."""
    trace = next((a for a in argv[1:2] if a in ("KEEP", "DIR", "FILE", "BINARY")), None)
    out = []
    for arg in argv:
        if arg == "INPUT":
            arg = str(root / (trace or "KEEP"))
        elif arg.split("/")[0] in PLACES or (".py:" in arg and not arg.startswith("/")):
            arg = str(root / arg)
        out.append(arg)
    return out


@pytest.fixture(scope="module", autouse=True)
def _quick_shrinking() -> Iterator[None]:
    """A fuzzed search may find a violation; its shrinking (60 s by default, and the
    reseeding after it) is not what is tested here, so it gets a second at most."""
    quick = functools.partial(SearchOptions, shrink_budget=1.0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli_module, "SearchOptions", quick)
        yield


FUZZ = settings(max_examples=examples(80), deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.nested_given])


@FUZZ
@given(st.one_of(_explore_args(), _trace_args(), OTHER))
def test_the_command_line_keeps_the_contract(argv: list[str]) -> None:
    with _workspace() as root:
        before = snapshot(root)
        resolved = _resolve(argv, root)
        ran = run_cli(resolved)
        assert_contract(ran, root, before, _render_target(resolved, root))


def _render_target(argv: list[str], root: Path) -> frozenset[str]:
    """``show --out FILE`` may replace FILE when it is not a trace (an earlier render)."""
    if argv[:1] != ["show"] or "--out" not in argv[:-1]:
        return frozenset()
    out = Path(argv[len(argv) - 1 - argv[::-1].index("--out") + 1])
    if not out.is_file() or is_trace_file(out) or out.parent != root:
        return frozenset()
    return frozenset({out.name})
