"""An example of a user-written property: no node serves acked writes out of order.

If publish A was acknowledged before publish B was even sent, then A came first as any
client could see it, so every node that serves both must serve A at a lower sequence.
Not a default property: importing this module registers it as ``acked-in-order``.
"""

from __future__ import annotations

from ackcheck.history import History
from ackcheck.properties import Violation, register
from ackcheck.schedule import fmt_time, node_name


@register
class AckedInOrder:
    name = "acked-in-order"
    description = "No node serves a write before one that was acked before it was sent."

    def check(self, history: History) -> Violation | None:
        acked_at: dict[str, int] = {}
        sent_at: dict[str, int] = {}
        for op in history.ops:
            if op.f == "publish" and op.value is not None:
                times = acked_at if op.type == "ok" else sent_at if op.type == "invoke" else {}
                times.setdefault(op.value, op.time)
        for read in sorted(history.final_reads, key=lambda r: r.node):
            # Walk the stream backwards, keeping the earliest-acked value seen so far
            # (it sits at a higher sequence than everything still to come).
            earliest: tuple[int, str, int] | None = None  # (acked at, value, seq)
            for seq, value in sorted(read.entries, reverse=True):
                if earliest is not None and value in sent_at and earliest[0] < sent_at[value]:
                    first_acked, first, first_seq = earliest
                    return Violation(
                        self.name,
                        f"Expected {first} before {value}: it was acked before {value} was "
                        f"sent, yet {node_name(read.node)} serves {value} first.",
                        (
                            f"{first} acked at {fmt_time(first_acked)}, served at seq {first_seq}",
                            f"{value} sent at {fmt_time(sent_at[value])}, served at seq {seq}",
                        ),
                        {"node": read.node, "acked_first": first, "served_first": value},
                    )
                if value in acked_at and (earliest is None or acked_at[value] < earliest[0]):
                    earliest = (acked_at[value], value, seq)
        return None
