"""Which build is installed (mypyc-compiled or pure Python), and setup.py's list of
compiled modules."""

from __future__ import annotations

import ast
import importlib.machinery
import re
from pathlib import Path

from click.testing import CliRunner

import ackcheck
import ackcheck.sim.loop
from ackcheck.app._build import build_description, compiled_modules
from ackcheck.app.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def test_version_names_the_build_that_is_imported() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    line = result.output.strip()
    assert re.fullmatch(
        rf"ackcheck {re.escape(ackcheck.__version__)} "
        r"\((pure Python|compiled with mypyc, \d+ modules)\)", line), line
    loop_is_native = ackcheck.sim.loop.__file__.endswith(
        tuple(importlib.machinery.EXTENSION_SUFFIXES))
    assert ("compiled" in line) == loop_is_native
    assert ("ackcheck.sim.loop" in compiled_modules()) == loop_is_native
    assert build_description() in line


def _compiled_table() -> dict[str, tuple[str, ...]]:
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "COMPILED":
            assert node.value is not None
            return ast.literal_eval(node.value)  # type: ignore[no-any-return]
    raise AssertionError("setup.py has no COMPILED table")


def test_every_module_setup_py_compiles_exists() -> None:
    """A renamed or deleted module must leave setup.py's list too: the pure-Python
    build would not notice, the compiled one would fail to build."""
    table = _compiled_table()
    assert set(table) <= {"sim", "model"}
    for folder, names in table.items():
        for name in names:
            assert (ROOT / folder / f"{name}.py").is_file(), f"{folder}/{name}.py"
