"""The markdown view: a bug report ready to paste into an issue.

What was violated in two sentences, the config against its preset, the shrunk schedule,
a Mermaid sequence diagram (GitHub draws it) and the commands that reproduce it. The
whole comment stays under GitHub's 65,536-character limit: the diagram's budget shrinks
until it fits.
"""

from __future__ import annotations

from typing import Any

import attrs

from ackcheck.model import PRESETS, RaftConfig
from ackcheck.schedule import NetworkSpec, Workload, fmt_time
from ackcheck.traces.render_mermaid import DEFAULT_BUDGET, render_mermaid
from ackcheck.traces.story import lost_values, some
from ackcheck.traces.trace import Trace

GITHUB_COMMENT_LIMIT = 65_536
MAX_SCHEDULE_LINES = 40


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def _baseline(trace: Trace) -> tuple[str, dict[str, Any] | None]:
    """The config this run is compared with: its preset's, or the model's defaults."""
    if trace.node != "raft":
        return ("", None)
    if trace.preset is not None and trace.preset in PRESETS:
        return (f"preset `{trace.preset}`", dict(attrs.asdict(PRESETS[trace.preset].config)))
    return ("the model's defaults", dict(attrs.asdict(RaftConfig())))


def _config_section(trace: Trace) -> list[str]:
    what, base = _baseline(trace)
    out = ["### Config", ""]
    if base is None:
        given = " ".join(trace.overrides)
        out.append(f"Overrides: `{given}`" if given else "No overrides.")
        return out
    diff = [k for k in sorted(set(base) | set(trace.config)) if base.get(k) != trace.config.get(k)]
    if not diff:
        out.append(f"Same as {what}.")
        return out
    out += [f"Differs from {what}:", "", f"| knob | {what} | this run |", "|---|---|---|"]
    out += [f"| `{k}` | `{base.get(k)}` | `{trace.config.get(k)}` |" for k in diff]
    return out


def _schedule_section(trace: Trace) -> list[str]:
    s = trace.schedule
    out = [
        "### Schedule",
        "",
        f"{s.nodes} nodes, seed {s.seed}, fault phase {fmt_time(s.duration)}, "
        f"settle {fmt_time(s.settle)}, node `{trace.node}`.",
        "",
    ]
    if s.network != NetworkSpec():
        net = ", ".join(f"{k}={v}" for k, v in attrs.asdict(s.network).items())
        out.append(f"- network: {net}")
    if s.workload != Workload():
        wl = ", ".join(f"{k}={v}" for k, v in attrs.asdict(s.workload).items())
        out.append(f"- workload: {wl}")
    faults = s.sorted_faults()
    for tf in faults[:MAX_SCHEDULE_LINES]:
        out.append(f"- {fmt_time(tf.at)} `{tf.fault.describe()}`")
    if len(faults) > MAX_SCHEDULE_LINES:
        out.append(f"- ... and {len(faults) - MAX_SCHEDULE_LINES} more faults")
    for i, d in enumerate(s.decisions[:MAX_SCHEDULE_LINES]):
        out.append(f"- decision {i + 1}: `{d.describe()}`")
    if len(s.decisions) > MAX_SCHEDULE_LINES:
        out.append(f"- ... and {len(s.decisions) - MAX_SCHEDULE_LINES} more decisions")
    if s.decisions:
        out.append("- (`@` is the node that had the event; the diagram's notes show the "
                   "faults the decisions applied, where and when)")
    if not faults and not s.decisions:
        out.append("- no faults")
    return out


def render_markdown(trace: Trace, name: str = "trace.json") -> str:
    budget = DEFAULT_BUDGET
    while True:
        text = _render(trace, name, budget)
        if len(text) < GITHUB_COMMENT_LIMIT or budget <= 10:
            return text
        budget //= 2


def _render(trace: Trace, name: str, budget: int) -> str:
    v = trace.violation
    if v is None:
        title = "## ackcheck: no property violated"
        lead = "Every checked property held in this run."
    else:
        title = f"## ackcheck: `{v.property}` violated"
        first = _sentence(f"The property `{v.property}` was violated: {v.summary}")
        second = _sentence(v.details[0]) if v.details else ""
        lead = f"{first} {second}".strip()
    out = [title, "", lead, ""]
    lost = lost_values(trace)
    if lost:
        out += [f"Lost acknowledged writes ({len(lost)}): {some(f'`{x}`' for x in lost)}", ""]
    out += [*_config_section(trace), ""]
    out += [*_schedule_section(trace), ""]
    out += ["### Sequence", "", "```mermaid", render_mermaid(trace, budget).rstrip("\n"), "```", ""]
    out += [
        "### Reproduce",
        "",
        "```sh",
        f"ackcheck replay {name}",
        f"pytest --ackcheck-replay {name}",
        "```",
        "",
        f"<sub>trace format {trace.version}, ackcheck {trace.ackcheck_version}, "
        f"digest `{trace.digest[:16]}`</sub>",
    ]
    return "\n".join(out) + "\n"
