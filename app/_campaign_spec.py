"""A campaign's SPEC.toml: the matrix of cells to run, read and checked before any runs.

A campaign is presets x knob values x fault groups x seeds; each combination is a
:class:`Cell`, one search of a fixed budget on one worker. Everything a cell does is in
the cell (it pickles to Dask workers), and its :attr:`Cell.id` is a hash of all of it
and of the ackcheck version, so a rerun of the same spec skips the cells it already has
and a changed budget or option makes new cells instead of mixing old and new figures.
The format is documented in docs/campaigns.md.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ackcheck import __version__
from ackcheck.app._options import SearchOptions
from ackcheck.app._strategies import parse_kinds
from ackcheck.errors import ConfigError
from ackcheck.model import PRESETS, resolve_config

#: The tables and keys a spec may have: anything else is a typo, reported as one.
SPEC_KEYS: dict[str, tuple[str, ...]] = {
    "": ("name", "description", "matrix", "budget", "search", "plot"),
    "matrix": ("presets", "knobs", "faults", "seeds"),
    "budget": ("examples", "seconds", "shrink_seconds"),
    "search": ("nodes", "max_faults", "writes", "properties", "targeting"),
    "plot": ("x", "y", "series", "facet", "title", "log_y"),
}
#: Per-cell result figures a plot may put on its y axis.
METRICS = ("violation_rate", "lost_rate", "lost_per_example", "max_lost")


@attrs.frozen
class Cell:
    """One search of the matrix: what a worker runs (plain data; it pickles)."""

    preset: str
    knobs: tuple[tuple[str, str], ...]  # (knob, value) in the spec's order
    faults: str
    seed: int
    examples: int | None
    seconds: float | None
    shrink_seconds: float
    nodes: int
    max_faults: int
    writes: int
    properties: tuple[str, ...] | None
    targeting: bool

    @property
    def overrides(self) -> tuple[str, ...]:
        return tuple(f"{k}={v}" for k, v in self.knobs)

    @property
    def id(self) -> str:
        """12 hex digits of a hash of the cell and the ackcheck version."""
        doc = json.dumps([__version__, attrs.asdict(self)], sort_keys=True)
        return hashlib.sha256(doc.encode()).hexdigest()[:12]

    @property
    def group(self) -> tuple[str, tuple[tuple[str, str], ...], str]:
        """The cell without its seed: seeds of one group are summed in the summary."""
        return (self.preset, self.knobs, self.faults)

    def label(self) -> str:
        knobs = " ".join(f"{k}={v}" for k, v in self.knobs)
        return f"{self.preset} {knobs} faults={self.faults} seed={self.seed}".replace("  ", " ")


@attrs.frozen
class PlotSpec:
    x: str
    y: tuple[str, ...]
    series: str = "faults"
    facet: str = "preset"
    title: str = ""
    log_y: bool = False


@attrs.frozen
class CampaignSpec:
    name: str
    description: str
    cells: tuple[Cell, ...]
    knob_names: tuple[str, ...]
    plot: PlotSpec | None = None


def _check_keys(table: Mapping[str, Any], where: str) -> None:
    unknown = sorted(set(table) - set(SPEC_KEYS[where]))
    if unknown:
        at = f"[{where}]" if where else "the top level"
        raise ConfigError(
            f"unknown key {unknown[0]!r} in {at}; known: {', '.join(SPEC_KEYS[where])}"
        )


def _table(doc: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = doc.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table")
    _check_keys(value, name)
    return value


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{what}: expected a non-empty list")
    return tuple(str(v) for v in value)


def _seeds(value: Any) -> tuple[int, ...]:
    """``seeds = 3`` (0, 1, 2) or ``seeds = [4, 7]``."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise ConfigError(f"matrix.seeds: expected >= 1 seeds, got {value}")
        return tuple(range(value))
    if isinstance(value, list) and value and all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value
    ):
        return tuple(value)
    raise ConfigError(f"matrix.seeds: expected a count or a list of seeds >= 0, got {value!r}")


def _number(table: Mapping[str, Any], key: str, kind: type, default: Any) -> Any:
    value = table.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    return kind(value)


def parse_spec(doc: Mapping[str, Any], default_name: str = "campaign") -> CampaignSpec:
    """A parsed SPEC.toml document -> the validated campaign (ConfigError otherwise)."""
    _check_keys(doc, "")
    matrix, budget = _table(doc, "matrix"), _table(doc, "budget")
    search, plot = _table(doc, "search"), doc.get("plot")

    presets = _strings(matrix.get("presets", ["nats-2.12.1"]), "matrix.presets")
    for p in presets:
        if p not in PRESETS:
            raise ConfigError(f"unknown preset {p!r}; known: {', '.join(PRESETS)}")
    knobs_table = matrix.get("knobs", {})
    if not isinstance(knobs_table, dict):
        raise ConfigError("[matrix.knobs] must be a table of knob = [values]")
    knob_values = {k: _strings(v, f"matrix.knobs.{k}") for k, v in knobs_table.items()}
    faults = _strings(matrix.get("faults", ["all"]), "matrix.faults")
    seeds = _seeds(matrix.get("seeds", 1))

    examples = _number(budget, "examples", int, None)
    seconds = _number(budget, "seconds", float, None)
    if examples is None and seconds is None:
        raise ConfigError("[budget] needs examples or seconds (per cell)")
    props = search.get("properties")
    options = SearchOptions(  # validates the shared search options once
        properties=None if props is None else _strings(props, "search.properties"),
        faults=",".join(faults),
        nodes=_number(search, "nodes", int, 5),
        max_faults=_number(search, "max_faults", int, 8),
        examples=examples,
        budget=seconds,
        shrink_budget=_number(budget, "shrink_seconds", float, 10.0),
    )
    writes = _number(search, "writes", int, 50)
    if writes < 1:
        raise ConfigError(f"search.writes: expected >= 1, got {writes}")
    targeting = search.get("targeting", False)
    if not isinstance(targeting, bool):
        raise ConfigError(f"search.targeting: expected true or false, got {targeting!r}")
    for group in faults:
        parse_kinds(group)

    combos = list(itertools.product(*(
        [(k, v) for v in values] for k, values in knob_values.items()
    )))
    for preset, knobs in itertools.product(presets, combos):
        resolve_config(preset, [f"{k}={v}" for k, v in knobs])  # a bad knob fails here
    cells = tuple(
        Cell(preset=preset, knobs=tuple(knobs), faults=group, seed=seed,
             examples=examples, seconds=seconds, shrink_seconds=options.shrink_budget,
             nodes=options.nodes, max_faults=options.max_faults, writes=writes,
             properties=options.properties, targeting=targeting)
        for preset, knobs, group, seed in itertools.product(presets, combos, faults, seeds)
    )
    return CampaignSpec(
        name=str(doc.get("name", default_name)),
        description=str(doc.get("description", "")),
        cells=cells,
        knob_names=tuple(knob_values),
        plot=None if plot is None else _plot(plot, tuple(knob_values)),
    )


def _plot(table: Any, knob_names: tuple[str, ...]) -> PlotSpec:
    if not isinstance(table, dict):
        raise ConfigError("[plot] must be a table")
    _check_keys(table, "plot")
    axes = ("preset", "faults", *knob_names)
    x = str(table.get("x", knob_names[0] if knob_names else "faults"))
    y = _strings(table.get("y", ["violation_rate"]), "plot.y")
    spec = PlotSpec(x=x, y=y, series=str(table.get("series", "faults")),
                    facet=str(table.get("facet", "preset")), title=str(table.get("title", "")),
                    log_y=bool(table.get("log_y", False)))
    for axis in (spec.x, spec.series, spec.facet):
        if axis not in axes:
            raise ConfigError(f"plot: {axis!r} is not a matrix axis; axes: {', '.join(axes)}")
    for metric in spec.y:
        if metric not in METRICS:
            raise ConfigError(f"plot.y: unknown metric {metric!r}; known: {', '.join(METRICS)}")
    return spec


def load_spec(path: str | Path) -> CampaignSpec:
    """Read and validate SPEC.toml; a missing or malformed file is a ConfigError."""
    p = Path(path)
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"campaign spec {p} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read campaign spec {p}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"campaign spec {p} is not valid TOML: {exc}") from None
    return parse_spec(doc, default_name=p.stem)
