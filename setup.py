"""Compiles the simulator and the node model with mypyc when building a wheel.

Everything else about the package is declared in pyproject.toml; this file only adds
the extension modules. mypyc names a module after its path, and our folders (``sim/``,
``model/``, ``core/``) are installed under other names (``ackcheck.sim``, ...), so the
sources are first copied into ``build/mypyc-src/ackcheck/...``, the layout they have
once installed, and compiled from there.

Which build you get:

* ``pip install .`` (a wheel): compiled when mypyc and a C compiler with Python's
  headers are present (Debian: python3-dev), pure Python otherwise, with a warning;
* ``pip install -e .`` (editable, for development): pure Python, so that an edit to a
  ``.py`` file takes effect at once;
* ``ACKCHECK_MYPYC=0`` forces pure Python, ``ACKCHECK_MYPYC=1`` requires the compiled
  build (the build fails instead of falling back).

``ackcheck --version`` says which one is installed.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
STAGE = Path("build") / "mypyc-src"

#: The modules compiled: the simulator's and the node model's hot path (what runs per
#: event of every simulated run). Folder -> modules; a module is added here only.
COMPILED: dict[str, tuple[str, ...]] = {
    "sim": ("loop", "timers", "network", "transport", "disk", "disk_io", "slot",
            "processes", "recorder", "workload", "faults", "simulator", "seeds"),
    "model": ("node", "storage", "messages", "recovery"),
}
#: Where each folder is installed (pyproject.toml's [tool.setuptools.package-dir]).
PACKAGE_OF = {"core": "ackcheck", "sim": "ackcheck/sim", "model": "ackcheck/model"}


def _mode() -> str:
    """``off``, ``auto`` (fall back to pure Python) or ``required``."""
    flag = os.environ.get("ACKCHECK_MYPYC", "").strip().lower()
    if flag in ("0", "no", "false", "off"):
        return "off"
    if flag in ("1", "yes", "true", "on"):
        return "required"
    if "editable_wheel" in sys.argv or "develop" in sys.argv:
        return "off"
    if "bdist_wheel" in sys.argv or "build_ext" in sys.argv or "install" in sys.argv:
        return "auto"
    return "off"  # sdist, egg_info, ...: nothing is compiled


def _stage() -> list[str]:
    """Copy the vocabulary and the compiled folders into their installed layout; return
    the staged paths of the modules to compile."""
    if STAGE.exists():
        shutil.rmtree(STAGE)
    for folder, package in PACKAGE_OF.items():
        target = STAGE / package
        target.mkdir(parents=True)
        for src in (ROOT / folder).glob("*.py"):
            shutil.copy2(src, target / src.name)
        if (ROOT / folder / "py.typed").exists():
            shutil.copy2(ROOT / folder / "py.typed", target / "py.typed")
    return [
        str(STAGE / PACKAGE_OF[folder] / f"{name}.py")
        for folder, names in COMPILED.items()
        for name in names
    ]


def _headers_present() -> bool:
    include = sysconfig.get_paths().get("include")
    return bool(include) and (Path(include) / "Python.h").exists()


def _ext_modules() -> list:  # type: ignore[type-arg]
    mode = _mode()
    if mode == "off":
        return []
    try:
        if not _headers_present():
            raise RuntimeError("Python's C headers are missing (Debian: python3-dev)")
        compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
        if shutil.which(compiler) is None:
            raise RuntimeError(f"no C compiler ({compiler}) found")
        from mypyc.build import mypycify

        paths = _stage()
        return mypycify(
            ["--config-file", str(ROOT / "pyproject.toml"), *paths],
            opt_level="3",
            group_name="ackcheck_native",
        )
    except Exception as exc:
        if mode == "required":
            raise
        print(f"ackcheck: building pure Python, not compiled: {exc}", file=sys.stderr)
        return []


class _BuildExt(build_ext):
    """Falls back to pure Python when compiling fails (unless the compiled build is
    required): the .py files are in the wheel either way."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:
            if _mode() == "required":
                raise
            print(f"ackcheck: compiling failed, building pure Python: {exc}", file=sys.stderr)
            self.extensions = []
            self.distribution.ext_modules = []


setup(ext_modules=_ext_modules(), cmdclass={"build_ext": _BuildExt})
