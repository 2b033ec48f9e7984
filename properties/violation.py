"""What a failed property returns, and the wording helpers every checker shares.

A :class:`Violation` is read by people (the CLI, rendered traces) and by programs (the
``data`` mapping, saved in trace files), so it carries both: a short story in words and
the structured facts behind it, JSON-safe so that ``traces/`` can store it as is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ackcheck.schedule import fmt_time, node_name

# How many detail lines a checker writes about individual findings before it summarises
# the rest as a count: enough to follow one failure, short enough to read in a terminal.
MAX_DETAILS = 12


def _lines(items: Iterable[str]) -> tuple[str, ...]:
    """Typed converter: ``tuple`` itself is too generic for mypy's attrs plugin."""
    return tuple(items)


@attrs.frozen
class Violation:
    """A property that does not hold for one history.

    ``summary``: one or two sentences, what was expected and what happened.
    ``details``: short lines naming the events that prove it.
    ``data``: the structured findings (JSON-safe: str keys, lists, str, int, bool, None).
    """

    property: str
    summary: str
    details: tuple[str, ...] = attrs.field(default=(), converter=_lines)
    data: Mapping[str, Any] = attrs.field(factory=dict)

    def text(self) -> str:
        """The violation as a few lines of plain text, as the CLI prints it."""
        lines = [f"{self.property}: {self.summary}"]
        lines.extend(f"  {d}" for d in self.details)
        return "\n".join(lines)


def nodes_text(nodes: Iterable[int]) -> str:
    """``[2, 0]`` -> ``"n0,n2"``; ``[]`` -> ``"no node"``."""
    names = [node_name(n) for n in sorted(set(nodes))]
    return ",".join(names) if names else "no node"


def values_text(values: Sequence[str], limit: int = 8) -> str:
    """A list of values for a sentence, shortened after ``limit`` items."""
    shown = ", ".join(values[:limit])
    rest = len(values) - limit
    return f"{shown} (+{rest} more)" if rest > 0 else shown


def at(time: int) -> str:
    """``"at 1.235s"``: every time in a detail line reads the same way."""
    return f"at {fmt_time(time)}"


def capped(lines: Sequence[str], limit: int, noun: str) -> list[str]:
    """The first ``limit`` lines, then one line counting the rest (``noun`` names them)."""
    out = list(lines[:limit])
    rest = len(lines) - limit
    if rest > 0:
        out.append(f"... and {rest} more {noun}")
    return out


def plural(count: int, noun: str) -> str:
    """``plural(1, "value")`` -> ``"1 value"``; ``plural(3, "value")`` -> ``"3 values"``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
