"""Campaigns: a matrix of searches run on Dask's distributed scheduler.

:func:`run_campaign` sends every cell of a spec (:mod:`ackcheck.app._campaign_spec`) that
the results table does not already hold to Dask workers
(:func:`ackcheck.app._campaign_cell.run_cell`), and streams each result into the table
as it arrives, so an interrupted campaign loses only the cells in flight and a rerun
resumes. Counterexamples are deduplicated by property and shrunk schedule: each is saved
once, as a trace, and every cell that found it names its file. Dask runs a
``LocalCluster`` of one single-threaded worker process per core by default (a cell is
pure Python: threads would share one interpreter lock), or joins a running scheduler
(``tcp://HOST:8786``) whose ``dask worker`` processes have the same ackcheck installed.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

from ackcheck import __version__
from ackcheck.app._campaign_cell import CellCounterexample, CellResult, run_cell
from ackcheck.app._campaign_spec import CampaignSpec, Cell
from ackcheck.app._tracefiles import save_counterexample
from ackcheck.errors import AckcheckError, ConfigError

TABLE = "results.csv"
TRACES = "traces"
#: The table's columns; the spec's knobs come after ``preset``, one column each.
HEAD = ("cell", "preset")
TAIL = (
    "faults", "seed", "verdict", "examples", "seconds", "examples_per_s", "violated",
    "violating_examples", "violation_rate", "acked", "lost", "lost_rate", "max_lost",
    "first_violation", "counterexamples", "worker", "build",
)


def columns(spec: CampaignSpec) -> list[str]:
    return [*HEAD, *spec.knob_names, *TAIL]


def row_of(cell: Cell, result: CellResult, traces: list[str]) -> dict[str, Any]:
    """One table row: the cell's coordinates and its figures."""
    rate = result.violating_examples / result.examples if result.examples else 0.0
    eps = result.examples / result.seconds if result.seconds > 0 else 0.0
    return {
        "cell": cell.id,
        "preset": cell.preset,
        **dict(cell.knobs),
        "faults": cell.faults,
        "seed": cell.seed,
        "verdict": result.verdict,
        "examples": result.examples,
        "seconds": f"{result.seconds:.2f}",
        "examples_per_s": f"{eps:.1f}",
        "violated": ";".join(result.violating),
        "violating_examples": result.violating_examples,
        "violation_rate": f"{rate:.4f}",
        "acked": result.acked,
        "lost": result.lost,
        "lost_rate": f"{result.lost / result.acked:.5f}" if result.acked else "0",
        "max_lost": result.max_lost,
        "first_violation": "" if result.first_violation is None else result.first_violation,
        "counterexamples": ";".join(traces),
        "worker": result.worker,
        "build": result.build,
    }


def _append_row(path: Path, fields: Sequence[str], row: dict[str, Any]) -> None:
    """Append one row (and the header to a new file), flushed on return."""
    new = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        if new:
            writer.writeheader()
        writer.writerow(row)


class ResultTable:
    """The campaign's CSV: one row per finished cell, appended and flushed as each
    arrives; the rows already there are the cells a rerun skips."""

    def __init__(self, path: Path, header: list[str]) -> None:
        self.path = path
        self.header = header
        self.rows: list[dict[str, str]] = []
        if path.exists():
            with path.open(newline="", encoding="utf-8") as f:
                reader = csv.DictReader(f)
                if reader.fieldnames != header:
                    raise ConfigError(
                        f"{path} has other columns than this spec makes (another spec's "
                        "results?); choose another --out"
                    )
                self.rows = list(reader)

    def done(self) -> set[str]:
        return {r["cell"] for r in self.rows}

    def append(self, row: dict[str, Any]) -> None:
        _append_row(self.path, self.header, row)
        self.rows.append({k: str(v) for k, v in row.items()})


@attrs.frozen
class CampaignResult:
    spec: CampaignSpec
    out: Path
    rows: list[dict[str, str]]  # the spec's cells, in spec order (the table may hold more)
    ran: int  # cells run now
    skipped: int  # cells found done in the table
    counterexamples: dict[str, list[str]]  # trace file -> cells that found it
    workers: int

    @property
    def ok(self) -> bool:
        return all(r["verdict"] == "holds" for r in self.rows)


def worker_build() -> tuple[str, str]:
    """What a worker runs: the client refuses workers with another ackcheck version."""
    from ackcheck.app._build import build_description

    return __version__, build_description()


@contextmanager
def dask_client(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """A Dask client: of a running scheduler, or of a LocalCluster of ``workers``
    single-threaded processes (default: one per core)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError(
            "campaigns run on Dask: pip install 'ackcheck[campaign]' (dask[distributed])"
        ) from None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
        with client:
            yield client
        return
    n = workers or os.cpu_count() or 1
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        yield client


def _check_workers(client: Any) -> int:
    """The number of workers, after checking that each runs this ackcheck version."""
    if not client.scheduler_info().get("workers"):
        client.wait_for_workers(1, timeout=30)
    try:
        builds = client.run(worker_build)
    except Exception as exc:
        raise ConfigError(f"a Dask worker cannot run ackcheck: {exc}") from None
    for address, (version, _build) in builds.items():
        if version != __version__:
            raise ConfigError(
                f"Dask worker {address} runs ackcheck {version}, this client {__version__}"
            )
    return len(builds)


def run_campaign(
    spec: CampaignSpec,
    out: str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> CampaignResult:
    """Run every cell of ``spec`` not yet in ``out``'s table; return all its rows.

    ``progress(done, total, label)`` is called as cells finish. A cell that raises
    stops the campaign (its error is re-raised); the rows written so far stay.
    """
    folder = Path(out)
    table = ResultTable(folder / TABLE, columns(spec))
    index = CounterexampleIndex(folder)
    done = table.done()
    todo = [c for c in spec.cells if c.id not in done]
    by_id = {c.id: c for c in spec.cells}
    total, finished = len(spec.cells), len(spec.cells) - len(todo)
    n_workers = 0
    if progress is not None:
        progress(finished, total, "")
    if todo:
        with dask_client(scheduler, workers) as client:
            from dask.distributed import as_completed

            n_workers = _check_workers(client)
            futures = [client.submit(run_cell, c, key=f"ackcheck-cell-{c.id}", pure=False)
                       for c in todo]
            try:
                for future in as_completed(futures):
                    try:
                        result: CellResult = future.result()
                    except AckcheckError:
                        raise
                    except Exception as exc:
                        raise RuntimeError(f"a campaign cell failed on a worker: {exc!r}") from exc
                    cell = by_id[result.cell_id]
                    traces = [index.file_for(ce, cell.id) for ce in result.counterexamples]
                    table.append(row_of(cell, result, traces))
                    finished += 1
                    if progress is not None:
                        progress(finished, total, cell.label())
            finally:
                for f in futures:
                    f.cancel()
    rows_by_id = {r["cell"]: r for r in table.rows}
    rows = [rows_by_id[c.id] for c in spec.cells]
    found: dict[str, list[str]] = {}
    for r in rows:
        for name in filter(None, r["counterexamples"].split(";")):
            found.setdefault(name, []).append(r["cell"])
    return CampaignResult(spec=spec, out=folder, rows=rows, ran=len(todo),
                          skipped=len(spec.cells) - len(todo), counterexamples=found,
                          workers=n_workers)


class CounterexampleIndex:
    """Counterexamples saved so far, by deduplication key (property + shrunk schedule),
    kept in ``counterexamples.csv`` beside the table so that a rerun keeps deduplicating
    against what earlier runs saved."""

    FIELDS = ("key", "property", "faults", "trace", "first_cell")

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / "counterexamples.csv"
        self.by_key: dict[str, str] = {}
        if self.path.exists():
            with self.path.open(newline="", encoding="utf-8") as f:
                self.by_key = {r["key"]: r["trace"] for r in csv.DictReader(f)}

    def file_for(self, ce: CellCounterexample, cell_id: str) -> str:
        """The trace file of ``ce``: the one saved for its key, or saved now."""
        if ce.key in self.by_key:
            return self.by_key[ce.key]
        name = save_counterexample(ce.trace, self.folder / TRACES).name
        _append_row(self.path, self.FIELDS, {"key": ce.key, "property": ce.property,
                                             "faults": ce.faults, "trace": name,
                                             "first_cell": cell_id})
        self.by_key[ce.key] = name
        return name
