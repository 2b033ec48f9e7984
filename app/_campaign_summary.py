"""A campaign's summary: its cells' rows added up over seeds, as text and as JSON.

One line per (preset, knob values, fault group): examples and seconds spent, the verdict
("holds" only if no seed's search found a violation), the share of examples that
violated a property, and the acknowledged writes lost. The summary is computed from the
results table alone, so it is the same whether the cells ran now or in an earlier run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ackcheck.app._campaign import CampaignResult

SUMMARY_MD = "summary.md"
SUMMARY_JSON = "summary.json"


def summarize(result: CampaignResult) -> list[dict[str, Any]]:
    """The table's rows of this spec, added up over seeds, in the spec's order."""
    knobs = result.spec.knob_names
    groups: dict[tuple[str, ...], dict[str, Any]] = {}
    for r in result.rows:
        key = (r["preset"], *(r[k] for k in knobs), r["faults"])
        g = groups.setdefault(key, {
            "preset": r["preset"], **{k: r[k] for k in knobs}, "faults": r["faults"],
            "seeds": 0, "examples": 0, "seconds": 0.0, "violated": set(),
            "violating_examples": 0, "acked": 0, "lost": 0, "max_lost": 0,
            "counterexamples": set(),
        })
        g["seeds"] += 1
        g["examples"] += int(r["examples"])
        g["seconds"] += float(r["seconds"])
        g["violated"].update(filter(None, r["violated"].split(";")))
        g["violating_examples"] += int(r["violating_examples"])
        g["acked"] += int(r["acked"])
        g["lost"] += int(r["lost"])
        g["max_lost"] = max(g["max_lost"], int(r["max_lost"]))
        g["counterexamples"].update(filter(None, r["counterexamples"].split(";")))
    out = []
    for g in groups.values():
        ex, acked = g["examples"], g["acked"]
        out.append({
            **g,
            "seconds": round(g["seconds"], 2),
            "verdict": "violated" if g["violated"] else "holds",
            "violated": sorted(g["violated"]),
            "violation_rate": g["violating_examples"] / ex if ex else 0.0,
            "lost_rate": g["lost"] / acked if acked else 0.0,
            "lost_per_example": g["lost"] / ex if ex else 0.0,
            "counterexamples": sorted(g["counterexamples"]),
        })
    return out


def summary_text(result: CampaignResult) -> str:
    """A Markdown table (readable as plain text) and the deduplicated counterexamples."""
    spec = result.spec
    knobs = list(spec.knob_names)
    head = ["preset", *knobs, "faults", "seeds", "examples", "seconds", "verdict",
            "violating", "lost / acked", "max lost"]
    lines = [f"# campaign {spec.name}", ""]
    if spec.description:
        lines += [spec.description, ""]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for g in summarize(result):
        cells = [g["preset"], *(g[k] for k in knobs), g["faults"], g["seeds"], g["examples"],
                 f"{g['seconds']:.1f}", g["verdict"],
                 f"{g['violating_examples']} ({g['violation_rate']:.1%})",
                 f"{g['lost']} / {g['acked']} ({g['lost_rate']:.2%})", g["max_lost"]]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    lines.append("")
    if result.counterexamples:
        lines.append(f"{len(result.counterexamples)} distinct counterexamples (property, "
                     "shrunk schedule), each saved once under traces/:")
        for name, cells in sorted(result.counterexamples.items()):
            lines.append(f"- {name} (found by {len(cells)} cell{'s' * (len(cells) != 1)})")
    else:
        lines.append("no counterexample found")
    return "\n".join(lines) + "\n"


def write_summary(result: CampaignResult) -> tuple[Path, Path]:
    """``summary.md`` and ``summary.json`` beside the table."""
    md = result.out / SUMMARY_MD
    js = result.out / SUMMARY_JSON
    md.write_text(summary_text(result), encoding="utf-8")
    doc = {"campaign": result.spec.name, "ok": result.ok, "cells": len(result.rows),
           "groups": summarize(result), "counterexamples": result.counterexamples}
    js.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return md, js
