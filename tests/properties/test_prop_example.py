"""The user-written example property from docs/properties.md: shown there, run here."""

from __future__ import annotations

import inspect
from pathlib import Path

from prop_builders import HistoryBuilder, acked_everywhere

from ackcheck.properties import DEFAULT_PROPERTIES, REGISTRY, check
from ackcheck.properties import example_in_order as example

DOCS = Path(__file__).resolve().parents[2] / "docs" / "properties.md"


def test_docs_show_the_example_verbatim() -> None:
    source = inspect.getsource(example)
    code = source.split('"""\n', 1)[1].strip()  # without the module docstring
    assert code in DOCS.read_text()


def test_importing_registers_it_outside_the_defaults() -> None:
    assert REGISTRY["acked-in-order"].name == "acked-in-order"
    assert "acked-in-order" not in DEFAULT_PROPERTIES


def test_in_order_stream_holds() -> None:
    history = acked_everywhere(["c0-1", "c0-2", "c0-3"]).build()
    assert check(history, ["acked-in-order"]) == []


def test_concurrent_publishes_may_be_served_in_either_order() -> None:
    b = HistoryBuilder(1)
    b.publish(0, "c0-1", at=100_000, done_at=300_000, seq=2)
    b.publish(1, "c1-1", at=200_000, done_at=250_000, seq=1)
    b.read(0, ["c1-1", "c0-1"])
    assert check(b.build(), ["acked-in-order"]) == []


def test_write_acked_before_another_was_sent_but_served_after_it_fails() -> None:
    b = HistoryBuilder(2)
    b.publish(0, "c0-1", at=100_000, done_at=150_000, seq=1)
    b.publish(1, "c1-1", at=200_000, done_at=250_000, seq=2)
    b.read(0, ["c0-1", "c1-1"]).read(1, ["c1-1", "c0-1"])
    [v] = check(b.build(), ["acked-in-order"])
    assert "n1 serves c1-1 first" in v.summary
    assert v.details == (
        "c0-1 acked at 0.150s, served at seq 2",
        "c1-1 sent at 0.200s, served at seq 1",
    )
    assert v.data == {"node": 1, "acked_first": "c0-1", "served_first": "c1-1"}


def test_docs_show_real_ack_implies_durable_output() -> None:
    b = HistoryBuilder()
    b.publish(0, "c0-1", 0, at=100_000, seq=1).publish(0, "c0-2", 0, at=110_000, seq=2)
    b.publish(1, "c1-1", 1, at=120_000, seq=3)
    for n in range(3):
        durable = ("c0-1", "c1-1") if n == 0 else ()
        cached = ("c0-2",) if n in (1, 2) else ()
        b.resident(n, at=500_000, cause="power-failure [n1,n2]", durable=durable, cached=cached)
    b.lose(1, ("c0-2",), at=500_000, cause="power-failure")
    b.lose(2, ("c0-2",), at=500_000, cause="power-failure")
    for n in range(3):
        b.read(n, ["c0-1", "c1-1"])
    [v] = check(b.build())
    assert v.text() in DOCS.read_text()
