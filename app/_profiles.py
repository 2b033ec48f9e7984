"""Hypothesis settings profiles for tests written with ackcheck's strategies.

Select one with ``pytest --hypothesis-profile=NAME``:

* ``ackcheck-dev``: interactive work; no deadline (a simulated run's cost varies with its
  faults), the example database on so a failure is retried first next time.
* ``ackcheck-ci``: extends Hypothesis' built-in ``ci`` profile (loaded automatically
  when ``CI`` is set: derandomized, no database, blob printed) with more examples.
* ``ackcheck-nightly``: long campaigns: 10,000 examples, database kept.
* ``ackcheck-replay``: only explicit ``@example`` cases, for pinned regressions.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile("ackcheck-dev", deadline=None, suppress_health_check=_SLOW_OK)
settings.register_profile(
    "ackcheck-ci",
    parent=settings.get_profile("ci"),
    max_examples=300,
    deadline=None,
    suppress_health_check=_SLOW_OK,
)
settings.register_profile(
    "ackcheck-nightly", max_examples=10_000, deadline=None, suppress_health_check=_SLOW_OK
)
settings.register_profile("ackcheck-replay", phases=[Phase.explicit], deadline=None)

PROFILES = ("ackcheck-dev", "ackcheck-ci", "ackcheck-nightly", "ackcheck-replay")
