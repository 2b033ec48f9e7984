"""Real-cluster fixtures (the same ones researchers get from the plugin)."""

from ackcheck.harness.pytest_fixtures import (  # noqa: F401
    faults,
    nats_cluster,
    nats_cluster_factory,
    nats_version,
)
