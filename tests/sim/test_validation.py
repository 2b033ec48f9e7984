"""Bad input and broken nodes are rejected with one clear line, not a traceback."""

from __future__ import annotations

from typing import Any

import pytest
from nodes import Registry, script_factory

from ackcheck.errors import ConfigError
from ackcheck.node import Boot, Send, SetTimer, Truncate, Write
from ackcheck.schedule import NetworkSpec, Partition, Schedule, TimedFault, Workload
from ackcheck.sim import EventLoopLimitError, NodeContractError, Simulator, simulate

QUIET = Schedule(nodes=2, duration=10_000, settle=0, workload=Workload(clients=1, writes=0))


def _boot_outputs(outputs: list[Any]) -> Any:
    def script(node: Any, event: Any) -> list[Any]:
        return list(outputs) if isinstance(event, Boot) else []

    return script_factory(script, Registry())


def _one_line_error(exc: pytest.ExceptionInfo[ConfigError]) -> str:
    text = str(exc.value)
    assert text and "\n" not in text
    return text


def test_rejects_a_non_schedule() -> None:
    with pytest.raises(ConfigError) as exc:
        simulate({"nodes": 3}, _boot_outputs([]), None)  # type: ignore[arg-type]
    assert _one_line_error(exc) == "simulate() needs an ackcheck Schedule, got dict"


def test_rejects_a_non_callable_factory() -> None:
    with pytest.raises(ConfigError) as exc:
        simulate(QUIET, 42, None)  # type: ignore[arg-type]
    assert "factory must be callable" in _one_line_error(exc)


def test_schedule_itself_rejects_bad_values() -> None:
    with pytest.raises(ConfigError):
        Schedule(nodes=0)
    with pytest.raises(ConfigError):
        Schedule(nodes=2, faults=(TimedFault(0, Partition("star", (0,))),))
    with pytest.raises(ConfigError):
        NetworkSpec(min_delay=5, max_delay=1)


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        (["not an output"], "node n0 returned str, which is not an Output"),
        ([Send(9, "hi")], "node n0 sent to 9, but the cluster has nodes 0..1"),
        ([SetTimer("t", -1)], "node n0 set timer 't' with delay -1"),
        ([Write("log/a", "text")], "node n0 wrote str, not bytes"),  # type: ignore[arg-type]
        ([Truncate("log/a", -3)], "node n0 truncated log/a to -3"),
    ],
)
def test_broken_node_outputs_are_named(outputs: list[Any], message: str) -> None:
    with pytest.raises(NodeContractError) as exc:
        simulate(QUIET, _boot_outputs(outputs), None)
    assert _one_line_error(exc).startswith(message)


def test_factory_must_build_a_node() -> None:
    with pytest.raises(NodeContractError) as exc:
        simulate(QUIET, lambda i, n, c, r: object(), None)
    assert "has no step()/state()" in _one_line_error(exc)


def test_busy_looping_node_hits_the_event_budget() -> None:
    def script(node: Any, event: Any) -> list[Any]:
        return [SetTimer("spin", 0)]

    sim = Simulator(QUIET, script_factory(script, Registry()), None, max_events=5_000)
    with pytest.raises(EventLoopLimitError) as exc:
        sim.run()
    assert "exceeded 5000 events" in _one_line_error(exc)


def test_a_simulator_runs_once() -> None:
    sim = Simulator(QUIET, _boot_outputs([]), None)
    sim.run()
    with pytest.raises(ConfigError):
        sim.run()
