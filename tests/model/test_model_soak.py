"""The CI soak: every safe preset holds for 1,000 examples with every kind it claims.

A short pass of ``bench/soak.py`` (whose 20,000-example figures are in docs/model.md):
one search per safe preset, inside its fault model (every claimed kind, damage bound
included), failing with the counterexample's explanation on any violation. It is the
slowest test in the suite (about half a minute per preset on this 2-core machine), marked
``soak`` so ``-m "not soak"`` can leave it out of a quick run.
"""

from __future__ import annotations

import pytest

from ackcheck.app._explore import explore
from ackcheck.model import PRESETS

SAFE = [name for name, p in PRESETS.items() if p.known_violation is None]
EXAMPLES = 1_000


@pytest.mark.soak
@pytest.mark.parametrize("preset", SAFE)
def test_safe_preset_holds_inside_its_fault_model(preset: str) -> None:
    result = explore(preset, examples=EXAMPLES, seed=0, workers=2)
    ce = result.counterexample
    assert ce is None, f"{preset}: {ce.violation.text()}\nschedule: {ce.schedule}"
    assert result.stats.examples == EXAMPLES
    model = PRESETS[preset].fault_model
    # The search really injected what the preset claims, and stayed inside the claim.
    assert result.options.faults == ",".join(model.kinds)
    injected = set(result.stats.faults_by_kind)
    assert {"crash", "partition", "power-failure", "bit-flip", "latent-sector-error"} <= injected
    assert injected <= set(model.kinds)
    if model.damage == "minority":
        assert result.options.max_damaged_nodes == 2
