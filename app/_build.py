"""Which build of ackcheck is running: compiled by mypyc, or pure Python.

The wheel compiles the simulator and the node model with mypyc when the machine it is
built on has a C compiler and Python's headers (setup.py), and falls back to pure Python
otherwise; both behave the same, the compiled one runs faster. ``ackcheck --version``
says which one is installed, from where the modules were loaded, not from a flag that
could disagree with them.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import pkgutil

#: The packages setup.py may compile.
COMPILABLE = ("ackcheck.sim", "ackcheck.model")


def compiled_modules() -> list[str]:
    """The modules of :data:`COMPILABLE` that were loaded from native extensions."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    out = []
    for package in COMPILABLE:
        for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
            name = f"{package}.{info.name}"
            origin = getattr(importlib.import_module(name), "__file__", None) or ""
            if origin.endswith(suffixes):
                out.append(name)
    return sorted(set(out))


def build_description() -> str:
    """``"compiled with mypyc, 17 modules"`` or ``"pure Python"``."""
    compiled = compiled_modules()
    if not compiled:
        return "pure Python"
    return f"compiled with mypyc, {len(compiled)} modules"
