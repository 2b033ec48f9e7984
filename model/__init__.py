"""The built-in node: a Raft-like replicated log with durability knobs and presets.

What users may import is ``__all__``: the node and its factory (:class:`RaftNode`,
:func:`make_node`), its knobs (:class:`RaftConfig`, :data:`KNOBS`, :func:`parse_knob`,
:func:`with_overrides`) and the named configurations (:data:`PRESETS`, :class:`Preset`,
:func:`resolve_config`, each with the :class:`FaultModel` it claims to survive).
A :class:`RaftNode` is public as an :class:`~ackcheck.node.Node` (``step``, ``state``).
The rest is internal and may change in any release: the node's other attributes and
methods, and the modules ``messages`` (what nodes send each other), ``storage`` (the byte
formats of their files), ``recovery`` (how a restart reads them back) and ``mutants``
(seeded bugs that check the checker; tests only).
"""

from __future__ import annotations

import random

from ackcheck.errors import ConfigError
from ackcheck.model.config import KNOBS, RaftConfig, parse_knob, with_overrides
from ackcheck.model.node import RaftNode
from ackcheck.model.presets import PRESETS, FaultModel, Preset, resolve_config

__all__ = [
    "KNOBS",
    "PRESETS",
    "FaultModel",
    "Preset",
    "RaftConfig",
    "RaftNode",
    "make_node",
    "parse_knob",
    "resolve_config",
    "with_overrides",
]


def make_node(node_id: int, nodes: int, config: RaftConfig | None, rng: random.Random) -> RaftNode:
    """The :class:`~ackcheck.node.NodeFactory` of the built-in model; ``config`` None is
    the ``raft`` preset's."""
    if config is None:
        config = PRESETS["raft"].config
    if not isinstance(config, RaftConfig):
        raise ConfigError(
            f"the raft model needs a RaftConfig, got {type(config).__name__}"
        )
    if config.replicas is not None and config.replicas > nodes:
        raise ConfigError(
            f"replicas: {config.replicas} is more than the cluster's {nodes} nodes"
        )
    return RaftNode(node_id, nodes, config, rng)
