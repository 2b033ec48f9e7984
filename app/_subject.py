"""What a command checks: the ``--preset``/``--set``/``--node``/``--property`` options
every searching command takes (``explore``, ``check``), and how they name a target."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from ackcheck.app._explore import DEFAULT_PRESET
from ackcheck.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])


def subject_options(command: F) -> F:
    """The four options, in the order ``--help`` lists them."""
    for option in reversed((
        click.option("--preset", default=None,
                     help="Named configuration (see `ackcheck presets`)."),
        click.option("--set", "overrides", multiple=True, metavar="KNOB=VALUE",
                     help="Override one knob of the preset; repeatable."),
        click.option("--node", default="raft", show_default=True, metavar="REF",
                     help="Node implementation: 'raft' or 'module:Class' of your own."),
        click.option("--property", "properties", multiple=True, metavar="NAME",
                     help="Property to check; repeatable (default: the default set)."),
    )):
        command = option(command)
    return command


def target(preset: str | None, overrides: tuple[str, ...], node: str) -> Any:
    """The preset name for the built-in node (the default preset if none), or None for
    a node of one's own, which presets and knob overrides cannot configure."""
    if node == "raft":
        return preset or DEFAULT_PRESET
    if preset or overrides:
        raise ConfigError("--preset and --set configure the built-in node; omit them with --node")
    return None
