"""Small builders for hand-made Histories, so each test states only what it is about."""

from __future__ import annotations

from typing import Any

from ackcheck.history import (
    FinalRead,
    History,
    Loss,
    Observation,
    Op,
    Residency,
)
from ackcheck.node import NodeState


class HistoryBuilder:
    """Accumulates records in call order; ``build()`` freezes them into a History."""

    def __init__(self, nodes: int = 3) -> None:
        self.nodes = nodes
        self.ops: list[Op] = []
        self.observations: list[Observation] = []
        self.reads: list[FinalRead] = []
        self.states: list[NodeState | None] = []
        self.residency: list[Residency] = []
        self.losses: list[Loss] = []

    def _op(self, **kw: Any) -> None:
        self.ops.append(Op(index=len(self.ops), **kw))

    def publish(
        self,
        process: int,
        value: str,
        node: int = 0,
        *,
        at: int = 0,
        outcome: str = "ok",
        seq: int | None = None,
        done_at: int | None = None,
    ) -> HistoryBuilder:
        """An invoke and its completion (``outcome``: ok, fail, info, or None for none)."""
        self._op(time=at, process=process, type="invoke", f="publish", value=value, node=node)
        if outcome is not None:
            end = at + 1_000 if done_at is None else done_at
            self._op(
                time=end,
                process=process,
                type=outcome,
                f="publish",
                value=value,
                node=node,
                seq=seq if outcome == "ok" else None,
            )
        return self

    def ack(self, process: int, value: str, node: int, *, at: int, seq: int) -> HistoryBuilder:
        """A further ok for an already invoked value (a retry that was acked again)."""
        self._op(time=at, process=process, type="ok", f="publish", value=value, node=node, seq=seq)
        return self

    def read(
        self,
        node: int,
        values: list[str] | list[tuple[int, str]],
        *,
        complete: bool = True,
        error: str = "",
    ) -> HistoryBuilder:
        """A final read; plain values get sequences 1, 2, ... in order."""
        entries = tuple(v if isinstance(v, tuple) else (i + 1, v) for i, v in enumerate(values))
        self.reads.append(FinalRead(node, entries, complete, error))  # type: ignore[arg-type]
        return self

    def observe(self, node: int, kind: str, *, at: int, **data: Any) -> HistoryBuilder:
        self.observations.append(Observation(at, node, kind, data))
        return self

    def state(
        self,
        log: list[tuple[int, int, str]],
        *,
        term: int = 1,
        role: str = "follower",
        snapshot_index: int = 0,
        halted: bool = False,
    ) -> HistoryBuilder:
        """The final state of the next node (call once per node, in node order)."""
        commit = log[-1][0] if log else 0
        self.states.append(NodeState(term, role, commit, tuple(log), snapshot_index, halted))
        return self

    def no_state(self) -> HistoryBuilder:
        self.states.append(None)
        return self

    def resident(
        self,
        node: int,
        *,
        at: int,
        cause: str,
        durable: tuple[str, ...] = (),
        cached: tuple[str, ...] = (),
    ) -> HistoryBuilder:
        self.residency.append(Residency(at, cause, node, durable, cached))
        return self

    def lose(
        self, node: int, values: tuple[str, ...], *, at: int, cause: str, file: str = "log/0001"
    ) -> HistoryBuilder:
        self.losses.append(Loss(at, node, file, values, cause))
        return self

    def build(self, *, heal_time: int = 0, end_time: int = 0, source: str = "sim") -> History:
        return History(
            nodes=self.nodes,
            ops=tuple(self.ops),
            observations=tuple(self.observations),
            final_reads=tuple(self.reads),
            final_states=tuple(self.states),
            residency=tuple(self.residency),
            losses=tuple(self.losses),
            heal_time=heal_time,
            end_time=end_time,
            source=source,
        )


def acked_everywhere(values: list[str], nodes: int = 3) -> HistoryBuilder:
    """Client 0 publishes ``values`` to n0, all acked, and every node reads them all."""
    b = HistoryBuilder(nodes)
    for i, v in enumerate(values):
        b.publish(0, v, 0, at=100_000 + i * 20_000, seq=i + 1)
    for n in range(nodes):
        b.read(n, list(values))
    return b
