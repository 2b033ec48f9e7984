"""Generated histories: ack-implies-durable holds exactly when every acked value is read.

Each generated history is well formed: clients publish unique values, some acked, some
failed or of unknown outcome; the stream holds every acked value and some of the others,
and every node's complete final read returns the whole stream of acked values.
"""

from __future__ import annotations

import attrs
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from prop_builders import HistoryBuilder

from ackcheck.history import History
from ackcheck.properties import REGISTRY, check

PROP = REGISTRY["ack-implies-durable"]


@st.composite
def durable_histories(draw: st.DrawFn) -> History:
    nodes = draw(st.integers(1, 5))
    clients = draw(st.integers(1, 3))
    b = HistoryBuilder(nodes)
    stream: list[str] = []  # values in the stream, in sequence order
    optional: list[str] = []  # unacked values that some nodes may lack
    time = 0
    for step in range(draw(st.integers(0, 25))):
        client = draw(st.integers(0, clients - 1))
        value = f"c{client}-{step}"
        outcome = draw(st.sampled_from(["ok", "ok", "info", "fail"]))
        time += draw(st.integers(1, 50_000))
        node = draw(st.integers(0, nodes - 1))
        in_stream = outcome == "ok" or (outcome == "info" and draw(st.booleans()))
        seq = len(stream) + 1 if in_stream else None
        b.publish(client, value, node, at=time, outcome=outcome, seq=seq)
        if in_stream:
            stream.append(value)
            if outcome != "ok":
                optional.append(value)
    for node in range(nodes):
        dropped = set(draw(st.lists(st.sampled_from(optional)))) if optional else set()
        b.read(node, [(i + 1, v) for i, v in enumerate(stream) if v not in dropped])
    return b.build()


@settings(max_examples=150, deadline=None, database=None)
@given(durable_histories())
def test_every_acked_value_read_everywhere_passes(history: History) -> None:
    assert PROP.check(history) is None


@settings(max_examples=150, deadline=None, database=None)
@given(durable_histories(), st.data())
def test_removing_an_acked_value_from_a_read_fails_naming_it(
    history: History, data: st.DataObject
) -> None:
    acked = list(history.acked())
    assume(acked)
    value = data.draw(st.sampled_from(acked))
    node = data.draw(st.integers(0, history.nodes - 1))
    reads = tuple(
        attrs.evolve(r, entries=tuple(e for e in r.entries if e[1] != value))
        if r.node == node
        else r
        for r in history.final_reads
    )
    v = PROP.check(attrs.evolve(history, final_reads=reads))
    assert v is not None
    assert value in "\n".join(v.details)
    if history.nodes == 1:
        assert v.data["lost"] == [value] and value in v.summary
    else:
        assert v.data["lost_on_node"] == {f"n{node}": [value]}


@settings(max_examples=60, deadline=None, database=None)
@given(durable_histories(), st.data())
def test_verdicts_do_not_depend_on_record_order(history: History, data: st.DataObject) -> None:
    value = data.draw(st.sampled_from(list(history.acked()) or ["none"]))
    damaged = attrs.evolve(
        history,
        final_reads=tuple(
            attrs.evolve(r, entries=tuple(e for e in r.entries if e[1] != value))
            for r in history.final_reads[:1]
        )
        + history.final_reads[1:],
    )
    reordered = attrs.evolve(damaged, final_reads=damaged.final_reads[::-1])
    assert check(damaged, list(REGISTRY)) == check(reordered, list(REGISTRY))
