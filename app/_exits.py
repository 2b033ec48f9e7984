"""Exit codes and the one way a command reports bad input.

Every command exits 0 when the properties hold, 1 when a property was violated and 2
for bad input or environment, which is reported as one line on stderr (never a
traceback): :func:`fail`, or any :class:`~ackcheck.errors.AckcheckError` raised inside a
command decorated with :func:`one_line_errors` (the top-level ``ackcheck`` command
catches them too).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from ackcheck.errors import AckcheckError

EXIT_OK, EXIT_VIOLATION, EXIT_BAD_INPUT = 0, 1, 2
EXIT_INTERRUPTED = 130

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> NoReturn:
    """Print one line on stderr and exit 2."""
    click.echo(f"ackcheck: error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def one_line_errors(command: F) -> F:
    """Run ``command`` so that an :class:`AckcheckError` becomes :func:`fail`: the same
    one line and exit 2 whether the command runs under ``ackcheck`` or on its own (a
    test's ``CliRunner``)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except AckcheckError as exc:
            fail(str(exc))

    return wrapper  # type: ignore[return-value]
