"""The documented example node runs in the simulator and keeps every ack."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from ackcheck.schedule import PowerFailure, Restart, Schedule, TimedFault, TornWrite, Workload
from ackcheck.sim import simulate

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "fsync_log.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fsync_log_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fsync_before_ack_survives_power_failures() -> None:
    example = load_example()
    faults = (TimedFault(400_000, PowerFailure((0, 1))), TimedFault(450_000, Restart(0)),
              TimedFault(700_000, TornWrite(1, keep=3)))
    sched = Schedule(nodes=2, seed=9, duration=1_000_000, settle=1_000_000, faults=faults,
                     workload=Workload(clients=2, writes=60, interval=10_000, start=50_000))
    h = simulate(sched, example.make_node, None).history
    held = {v for fr in h.final_reads for _s, v in fr.entries}
    assert len(h.acked()) >= 30
    assert set(h.acked()) <= held
    assert all(fr.complete for fr in h.final_reads)
    assert not [x for x in h.losses if set(x.values) & set(h.acked())]
