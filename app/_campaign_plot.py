"""A campaign's figure: one metric against one matrix axis, a line per series, a panel
per facet (``[plot]`` in SPEC.toml), drawn with matplotlib as PNG and SVG.

The x axis keeps the spec's order of values (``always, 1ms, ..., 2m`` is an order of
durability, not of text), and the SVG carries no date or random ids, so regenerating an
unchanged table gives an unchanged file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ackcheck.app._campaign import CampaignResult
from ackcheck.app._campaign_spec import Cell, PlotSpec
from ackcheck.app._campaign_summary import summarize
from ackcheck.errors import ConfigError

LABELS = {
    "violation_rate": "examples that lost acked writes",
    "lost_rate": "acked writes lost",
    "lost_per_example": "acked writes lost per example",
    "max_lost": "most acked writes lost in one example",
}
PERCENT = ("violation_rate", "lost_rate")
#: One marker and line style per series, so that lines lying on one another (several
#: series at zero) stay distinguishable.
STYLES = (("o", "-"), ("s", "--"), ("^", ":"), ("D", "-."), ("v", "-"), ("P", "--"))


def _axis_value(cell: Cell, axis: str) -> str:
    if axis == "preset":
        return cell.preset
    if axis == "faults":
        return cell.faults
    return dict(cell.knobs)[axis]


def _ordered(cells: tuple[Cell, ...], axis: str) -> list[str]:
    return list(dict.fromkeys(_axis_value(c, axis) for c in cells))


def plot_campaign(result: CampaignResult, plot: PlotSpec, stem: str = "plot") -> list[Path]:
    """Draw ``plot`` from the campaign's summary; returns the PNG and SVG paths."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError(
            "the campaign's plot needs matplotlib: pip install 'ackcheck[campaign]'"
        ) from None
    cells = result.spec.cells
    xs, series, facets = (_ordered(cells, a) for a in (plot.x, plot.series, plot.facet))
    groups = summarize(result)
    at: dict[tuple[str, str, str], dict[str, Any]] = {
        (str(g[plot.facet]), str(g[plot.series]), str(g[plot.x])): g for g in groups
    }
    matplotlib.rcParams["svg.hashsalt"] = "ackcheck"
    fig, axes = plt.subplots(len(plot.y), len(facets), squeeze=False, sharex=True,
                             figsize=(4.2 * len(facets) + 1.2, 3.0 * len(plot.y) + 0.8))
    for row, metric in enumerate(plot.y):
        for col, facet in enumerate(facets):
            ax = axes[row][col]
            for k, name in enumerate(series):
                marker, line = STYLES[k % len(STYLES)]
                points = [(i, at[(facet, name, x)][metric]) for i, x in enumerate(xs)
                          if (facet, name, x) in at]
                if points:
                    ax.plot([p[0] for p in points],
                            [p[1] * (100 if metric in PERCENT else 1) for p in points],
                            marker=marker, linestyle=line, markersize=7 - k, label=name)
            ax.set_xticks(range(len(xs)), xs, rotation=30)
            ax.grid(True, alpha=0.3)
            if plot.log_y:
                ax.set_yscale("symlog", linthresh=0.1)
            if row == 0:
                ax.set_title(facet)
            if col == 0:
                ax.set_ylabel(LABELS[metric] + (" (%)" if metric in PERCENT else ""))
            if row == len(plot.y) - 1:
                ax.set_xlabel(plot.x)
    axes[0][-1].legend(title=plot.series, fontsize="small")
    if plot.title:
        fig.suptitle(plot.title)
    fig.tight_layout()
    paths = []
    for ext in ("png", "svg"):
        path = result.out / f"{stem}.{ext}"
        fig.savefig(path, dpi=110, metadata={"Date": None} if ext == "svg" else None)
        paths.append(path)
    plt.close(fig)
    return paths
