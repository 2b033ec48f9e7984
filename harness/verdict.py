"""Summaries of a judged history, so a real run and the model can be shown side by side.

The judging itself is ``ackcheck.properties.check``; this only condenses its
``ack-implies-durable`` violation data (lost split into prefix/middle/postfix, per-node
loss, unexpected) into counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ackcheck.history import History
from ackcheck.properties import Violation

DURABLE = "ack-implies-durable"


def _count(groups: Any) -> int:
    if isinstance(groups, Mapping):
        return sum(len(v) for v in groups.values())
    return 0


@attrs.frozen
class Verdict:
    acked: int
    lost: int
    lost_prefix: int
    lost_middle: int
    lost_postfix: int
    unexpected: int
    lost_on_node: tuple[tuple[str, int], ...]
    violated: tuple[str, ...]  # names of the violated properties

    @classmethod
    def of(cls, history: History, violations: Sequence[Violation]) -> Verdict:
        durable = next((v for v in violations if v.property == DURABLE), None)
        data: Mapping[str, Any] = durable.data if durable is not None else {}
        return cls(
            acked=len(history.acked()),
            lost=len(data.get("lost", ())),
            lost_prefix=_count(data.get("lost_prefix")),
            lost_middle=_count(data.get("lost_middle")),
            lost_postfix=_count(data.get("lost_postfix")),
            unexpected=len(data.get("unexpected", ())),
            lost_on_node=tuple(
                sorted((str(k), len(v)) for k, v in (data.get("lost_on_node") or {}).items())
            ),
            violated=tuple(v.property for v in violations),
        )

    @property
    def holds(self) -> bool:
        return not self.violated

    def line(self) -> str:
        per_node = ",".join(f"{n}:{c}" for n, c in self.lost_on_node) or "-"
        state = "holds" if self.holds else "VIOLATED " + ",".join(self.violated)
        return (
            f"acked={self.acked} lost={self.lost} (prefix={self.lost_prefix} "
            f"middle={self.lost_middle} postfix={self.lost_postfix}) "
            f"unexpected={self.unexpected} lost-on-node={per_node}: {state}"
        )
