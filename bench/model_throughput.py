"""Throughput of the built-in Raft model inside the simulator, on the standard example.

Standard example: 5 nodes, 2 simulated seconds of faults (+ the settle phase), 50
writes, a crash (and restart), a partition (and heal) and a power failure of every node.

Prints: simulator events per wall second, simulated seconds per wall second, examples
per second, and the peak traced memory of one run. Usage::

    python bench/model_throughput.py [--runs 50] [--preset raft] [--set knob=value ...]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

from ackcheck.app._known import standard_example
from ackcheck.model import make_node, resolve_config
from ackcheck.sim import simulate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3, help="timed passes per mode (best kept)")
    ap.add_argument("--preset", default="raft")
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    args = ap.parse_args()
    config = resolve_config(args.preset, args.overrides)
    schedules = [standard_example(seed) for seed in range(args.runs)]

    # Event counts and simulated time, from recorded runs (not timed).
    events = sim_us = 0
    for s in schedules:
        h = simulate(s, make_node, config).history
        events += len(h.events)
        sim_us += h.end_time

    # Three ways to run the same schedules: the explorer's (no digest, no events: what
    # one example costs), a replay's check (digest, no events), a trace's (everything).
    modes = {
        "explore (no digest)": dict(record_events=False, digest=False),
        "digest only": dict(record_events=False, digest=True),
        "recording": dict(record_events=True, digest=True),
    }
    walls = {}
    for label, kwargs in modes.items():
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            for s in schedules:
                simulate(s, make_node, config, **kwargs)
            best = min(best, time.perf_counter() - start)
        walls[label] = best
    wall = walls["explore (no digest)"]

    # The node's own share: the same runs with every step() timed.
    node_time = [0.0]
    steps = [0]

    class Timed:
        """The node, with step() timed (a wrapper: a node compiled by mypyc has
        read-only methods)."""

        def __init__(self, node):
            self._node = node

        def step(self, event):
            t0 = time.perf_counter()
            out = self._node.step(event)
            node_time[0] += time.perf_counter() - t0
            steps[0] += 1
            return out

        def __getattr__(self, name):
            return getattr(self._node, name)

    def timed_factory(node_id, nodes, cfg, rng):
        return Timed(make_node(node_id, nodes, cfg, rng))

    for s in schedules:
        simulate(s, timed_factory, config, record_events=False, digest=False)

    tracemalloc.start()
    simulate(schedules[0], make_node, config, record_events=False)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"preset {args.preset}, {args.runs} runs of the standard example "
          f"(5 nodes, 2 s faults + settle, 50 writes, crash, partition, power failure), "
          f"best of {args.repeat}")
    print(f"events/run            {events / args.runs:,.0f} (recorded events)")
    print(f"simulated s/run       {sim_us / args.runs / 1e6:.3f} (2 s of faults + the final read)")
    print(f"{'mode':22s}{'ms/run':>8s}{'events/s':>12s}{'sim s/wall s':>14s}"
          f"{'fault s/wall s':>16s}{'runs/s':>8s}")
    for label, w in walls.items():
        print(f"{label:22s}{w / args.runs * 1e3:8.2f}{events / w:12,.0f}"
              f"{sim_us / 1e6 / w:14,.1f}{2.0 * args.runs / w:16,.1f}{args.runs / w:8,.1f}")
    print(f"node steps/run        {steps[0] / args.runs:,.0f}")
    print(f"node time/run         {node_time[0] / args.runs * 1e3:.2f} ms "
          f"({node_time[0] / wall * 100:.0f}% of an explorer run; "
          "the rest is the simulator)")
    print(f"node steps/s          {steps[0] / node_time[0]:,.0f}")
    print(f"peak memory (1 run, record_events=False) {peak / 1024:,.0f} KiB")


if __name__ == "__main__":
    main()
