"""Real-cluster tests use the fixtures every ackcheck user gets from its pytest plugin
(``nats_cluster_factory``, ``nats_cluster``, ``faults``, ``nats_version``)."""
