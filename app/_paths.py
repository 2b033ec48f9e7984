"""Where a command will write, checked before it starts: an output directory, a render
target, the environment's directories.

A search that runs for minutes and then cannot save its counterexample has lost it; a
real replay that finds ``$ACKCHECK_TMPDIR`` missing after starting servers leaves a mess.
So every place a command writes to is checked up front, and a bad one is a one-line
:class:`~ackcheck.errors.ConfigError` (exit 2) before any work.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ackcheck.errors import ConfigError
from ackcheck.traces.store import is_trace_file

#: The environment directories a command may use; the harness reads them
#: (``ackcheck.harness``: run directories, the nats-server binary cache).
TMPDIR_VAR, CACHE_VAR = "ACKCHECK_TMPDIR", "ACKCHECK_CACHE"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _nearest_existing(path: Path) -> Path:
    """``path`` or its closest ancestor that exists (what a ``mkdir -p`` would start from)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path.cwd()  # pragma: no cover - "/" exists


def _probe_writable(directory: Path, what: str) -> None:
    """Create (and at once drop) an unnamed file in ``directory``: the one test that sees a
    read-only mount, a full inode table or permissions, as root as well."""
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot write {what} in {directory}: {_reason(exc)}") from None


def check_output_dir(path: str | Path, what: str = "traces") -> None:
    """``path`` is, or can be created as, a directory ``what`` can be written to; nothing
    is created."""
    if str(path) == "":
        raise ConfigError(f"the directory for {what} is empty")
    path = Path(path)
    base = _nearest_existing(path)
    if not base.is_dir():
        where = "is not a directory" if base == path else f"is in {base}, which is not a directory"
        raise ConfigError(f"cannot write {what} to {path}: it {where}")
    _probe_writable(base, what)


def check_render_target(out: Path, source: Path) -> None:
    """``show --out OUT``: never over the trace being shown nor over any other trace (a
    render is text; a trace is a record someone may need), and into a directory that
    exists and can be written."""
    try:
        same = out.exists() and source.exists() and os.path.samefile(out, source)
    except OSError:
        same = False
    if same:
        raise ConfigError(f"refusing to write over the trace being shown ({source}); "
                          "choose another --out")
    if out.is_dir() or str(out) in ("", "."):
        raise ConfigError(f"--out {str(out)!r} is a directory; name a file")
    if out.exists() and is_trace_file(out):
        raise ConfigError(f"refusing to write over {out}, which is a trace; choose another --out")
    parent = out.parent
    if not parent.is_dir():
        raise ConfigError(f"cannot write {out}: {parent} is not an existing directory")
    _probe_writable(parent, str(out.name))


def check_env_dir(var: str, *, must_exist: bool, writable: bool) -> None:
    """A directory named by environment variable ``var`` (when set): an existing directory
    when ``must_exist``, else a directory or a path one can be created at; probed for
    writing when ``writable``."""
    value = os.environ.get(var)
    if not value:
        return
    path = Path(value)
    if must_exist and not path.exists():
        raise ConfigError(f"{var}={value} does not exist")
    base = _nearest_existing(path)
    if not base.is_dir():
        raise ConfigError(f"{var}={value} is not a directory"
                          + ("" if base == path else f" ({base} is a file)"))
    if writable:
        _probe_writable(base, f"files for {var}={value}")


def check_real_replay_environment() -> None:
    """What ``replay --nats`` needs from the environment: a writable run directory
    parent (``$ACKCHECK_TMPDIR``) and a usable binary cache (``$ACKCHECK_CACHE``)."""
    check_env_dir(TMPDIR_VAR, must_exist=True, writable=True)
    check_cache_environment()


def check_cache_environment() -> None:
    """What ``ackcheck nats ...`` needs: ``$ACKCHECK_CACHE`` a directory, or a path where
    one can be created."""
    check_env_dir(CACHE_VAR, must_exist=False, writable=False)
