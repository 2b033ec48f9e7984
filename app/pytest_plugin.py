"""pytest plugin (entry point ``pytest11``): counterexamples in failure reports, trace
files written where you choose, and saved traces replayed as tests.

Kept light to import, as Hypothesis' own plugin is: pytest loads it in every session,
so nothing heavy is imported until a counterexample or a replay needs it.

* ``--ackcheck-trace-dir DIR`` (ini ``ackcheck_trace_dir``): where traces of failing
  tests are written (default ``ackcheck-traces``).
* ``--ackcheck-replay TRACE`` (repeatable): run only these trace files, each as a test
  that fails while its violation still reproduces. A trace naming a node implementation
  other than the built-in one is imported only if ``--ackcheck-allow-node REF`` repeats
  that reference: a downloaded trace never runs its author's code by itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_REPLAY_CMDS = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ackcheck", "ackcheck model checking")
    group.addoption(
        "--ackcheck-trace-dir",
        metavar="DIR",
        default=None,
        help="directory for counterexample trace files (default: ackcheck-traces)",
    )
    group.addoption(
        "--ackcheck-replay",
        metavar="TRACE",
        action="append",
        default=[],
        help="replay a saved trace file as a test (repeatable); other tests are deselected",
    )
    group.addoption(
        "--ackcheck-allow-node",
        metavar="REF",
        action="append",
        default=[],
        help="with --ackcheck-replay: import and run this node implementation when a "
        "trace names it (repeatable); a trace's own code is never run otherwise",
    )
    parser.addini("ackcheck_trace_dir", "directory for counterexample trace files")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_REPLAY_CMDS] = []
    config.addinivalue_line("markers", "nats: runs real nats-server processes")


def _trace_dir(config: pytest.Config) -> Path:
    chosen = config.getoption("--ackcheck-trace-dir") or config.getini("ackcheck_trace_dir")
    return Path(chosen or "ackcheck-traces")


class ReplayItem(pytest.Item):
    """One saved trace, replayed in the simulator; fails while the violation reproduces."""

    def __init__(self, *, path: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.trace_file = path

    def runtest(self) -> None:
        from ackcheck.app._replay import build_config
        from ackcheck.app._runner import check_trusted, run_once
        from ackcheck.errors import AckcheckError
        from ackcheck.traces import load_trace

        try:
            trace = load_trace(self.trace_file)
            allowed = self.config.getoption("--ackcheck-allow-node")
            check_trusted(trace.node, allowed, flag="--ackcheck-allow-node")
            outcome = run_once(build_config(trace)[0], trace.schedule, trace.node,
                               trace.properties)
        except AckcheckError as exc:
            raise pytest.fail(str(exc), pytrace=False) from None
        if outcome.violations:
            v = outcome.violations[0]
            same = "digest matches" if outcome.digest == trace.digest else "digest differs"
            raise pytest.fail(
                f"{v.property} still violated ({same}): {v.summary}\n"
                + "\n".join(f"  {d}" for d in v.details),
                pytrace=False,
            )

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.trace_file, None, f"replay {self.trace_file}"


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    traces = config.getoption("--ackcheck-replay")
    if not traces:
        return
    config.hook.pytest_deselected(items=list(items))
    items[:] = [
        ReplayItem.from_parent(session, name=f"replay[{t}]", path=Path(t)) for t in traces
    ]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    exc = call.excinfo.value if call.excinfo is not None else None
    if exc is not None and hasattr(exc, "save_trace") and hasattr(exc, "outcome"):
        from ackcheck.errors import AckcheckError

        try:
            path = exc.save_trace(_trace_dir(item.config))
        except AckcheckError as error:  # a full disk must not turn a failure into a crash
            report.sections.append(("ackcheck", f"could not save the trace: {error}"))
            return report
        command = f"ackcheck replay {path}"
        report.sections.append(
            ("ackcheck", f"trace: {path}\nreplay: {command}\nor: pytest --ackcheck-replay {path}")
        )
        item.user_properties.append(("ackcheck_trace", str(path)))
        item.config.stash[_REPLAY_CMDS].append(f"{item.nodeid}: {command}")
    return report


# ------------------------------------------------------------ real-cluster fixtures
# Defined here so they are always available, but the harness (networkx, nats-py, FUSE)
# is imported only when a test asks for one.


@pytest.fixture
def nats_version() -> str:
    """The nats-server version under test: ``$ACKCHECK_NATS_VERSION`` or 2.12.1."""
    from ackcheck.harness.pytest_fixtures import version_under_test

    return version_under_test()


@pytest.fixture
def nats_cluster_factory() -> Iterator[Any]:
    """``make(nodes=3, version=..., sync_interval=None, **kw)`` -> a started real cluster
    on the lose-unsynced-writes file system; all are stopped and removed at teardown."""
    from ackcheck.harness.pytest_fixtures import ClusterFactory

    factory = ClusterFactory()
    try:
        yield factory
    finally:
        factory.close_all()


@pytest.fixture
def nats_cluster(nats_cluster_factory: Any, nats_version: str) -> Any:
    """A started 3-node cluster of ``nats_version`` with nats' default sync interval."""
    return nats_cluster_factory(3, nats_version)


@pytest.fixture
def faults(nats_cluster: Any) -> Any:
    """Fault handles on ``nats_cluster`` in the schedule's vocabulary (crash,
    power_failure, pause, resume, restart, partition, heal)."""
    from ackcheck.harness.pytest_fixtures import FaultHandles

    return FaultHandles(nats_cluster)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    commands = config.stash.get(_REPLAY_CMDS, [])
    if commands:
        terminalreporter.section("ackcheck counterexamples")
        for line in commands:
            terminalreporter.write_line(line)
