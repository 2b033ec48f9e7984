"""Every built-in property on one history where everything goes wrong: each reports,
in one-line details and JSON-safe data, and none reports on its clean counterpart."""

from __future__ import annotations

import json

import pytest
from prop_builders import HistoryBuilder

from ackcheck.history import History
from ackcheck.properties import BUILTIN_PROPERTIES, REGISTRY, check


def broken_history() -> History:
    b = HistoryBuilder(3)
    b.publish(0, "c0-1", 0, at=100_000, seq=1).publish(0, "c0-2", 0, at=120_000, seq=2)
    b.publish(1, "c1-1", 1, at=130_000, outcome="info")
    b.publish(1, "c1-1", 1, at=400_000, seq=3).ack(1, "c1-1", 2, at=450_000, seq=4)
    b.observe(0, "leader", at=50_000, term=1, log=(), snapshot=0)
    b.observe(1, "leader", at=60_000, term=1, log=(), snapshot=0)
    b.observe(0, "commit", at=110_000, index=1, term=1, value="c0-1")
    b.observe(0, "apply", at=110_000, index=1, term=1, value="c0-1")
    b.observe(2, "apply", at=700_000, index=1, term=2, value="c1-1")
    b.observe(2, "leader", at=600_000, term=2, log=((2, 1, 1),), snapshot=0)
    b.observe(2, "halt", at=2_500_000, reason="checksum mismatch: fail-stop")
    b.state([(1, 1, "c0-1"), (2, 2, "c1-1")]).state([(1, 2, "c1-1"), (2, 2, "c1-1")])
    b.state([], halted=True)
    b.read(0, [(1, "c0-1"), (3, "c1-1"), (4, "c1-1")]).read(1, [(1, "c0-1")])
    b.read(2, [], complete=False, error="EIO")
    return b.build(heal_time=2_000_000, end_time=3_000_000)


@pytest.mark.parametrize("name", BUILTIN_PROPERTIES)
def test_each_builtin_reports_in_lines_and_json(name: str) -> None:
    v = REGISTRY[name].check(broken_history())
    assert v is not None, name
    assert v.property == name
    assert v.summary.startswith("Expected") and v.summary.endswith(".")
    assert v.details and all(isinstance(d, str) and "\n" not in d for d in v.details)
    assert json.loads(json.dumps(dict(v.data))) == dict(v.data)


def test_retry_acked_twice_and_appended_twice_is_a_duplicate_not_a_loss() -> None:
    b = HistoryBuilder(2)
    b.publish(1, "c1-1", 1, at=100_000, seq=3).ack(1, "c1-1", 0, at=450_000, seq=4)
    b.read(0, [(3, "c1-1"), (4, "c1-1")]).read(1, [(3, "c1-1"), (4, "c1-1")])
    found = check(b.build())
    assert [v.property for v in found] == ["no-duplicates"]
    assert found[0].data == {"duplicated": {"c1-1": [3, 4]}}
