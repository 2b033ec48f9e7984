"""README.md's Python example runs as written (an edit that renames the public API
must not leave the front page showing code that fails)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_python_example_runs() -> None:
    text = README.read_text()
    section = text[text.index("### From Python and pytest"):]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None, "README.md lost its Python example"
    namespace: dict[str, object] = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)
    tests = [v for k, v in namespace.items() if k.startswith("test_") and callable(v)]
    assert len(tests) == 2
    for test in tests:
        test()  # each raises on a violation or on a broken API
