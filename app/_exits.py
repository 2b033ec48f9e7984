"""Exit codes and the one way a command reports an error.

Exit codes never lie (docs/errors.md):

* 0: the properties hold; 1: a property was violated;
* 2: bad input or environment, reported as one line on stderr (never a traceback):
  :func:`fail`, or any :class:`~ackcheck.errors.AckcheckError` (and a few environment
  failures: a full disk, a closed stdout, no memory) raised inside a command decorated
  with :func:`one_line_errors`;
* 3: an internal error (a bug in ackcheck): one line that says so and names the file the
  traceback was written to (:func:`internal_error`);
* 130: interrupted (Ctrl-C).

Anything unexpected must not exit 1, which scripts read as "a property was violated".
"""

from __future__ import annotations

import errno
import functools
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from ackcheck.errors import AckcheckError

EXIT_OK, EXIT_VIOLATION, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130

#: OSErrors that are the machine's state, not ackcheck's bug: reported as exit 2.
ENVIRONMENT_ERRNOS = frozenset({
    errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EMFILE,
    errno.ENFILE, errno.ENOMEM, errno.EIO, errno.EPIPE,
})

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> NoReturn:
    """Print one line on stderr and exit 2."""
    click.echo(f"ackcheck: error: {' '.join(message.split())}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def environment_message(exc: BaseException) -> str | None:
    """The one line for an exception that is the environment's doing, else None."""
    if isinstance(exc, BrokenPipeError):
        return "stdout was closed before the output was written (broken pipe)"
    if isinstance(exc, MemoryError):
        return "out of memory"
    if isinstance(exc, OSError) and exc.errno in ENVIRONMENT_ERRNOS:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror or exc}{where}"
    return None


def internal_error(exc: BaseException) -> NoReturn:
    """A bug in ackcheck: one line that says so, the traceback saved to a file whose path
    is printed, exit 3. (Printed instead if no file can be written.)"""
    text = "".join(traceback.format_exception(exc))
    summary = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
    try:
        fd, path = tempfile.mkstemp(prefix="ackcheck-internal-error-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError:
        click.echo(text, err=True, nl=False)
        path = "printed above"
    click.echo(f"ackcheck: internal error: {summary} (traceback: {path}; please report "
               "it with that file)", err=True)
    _quiet_stdout()
    sys.exit(EXIT_INTERNAL)


def _quiet_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush
    does not raise (and print) a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def handle_unexpected(exc: Exception) -> NoReturn:
    """What every command does with an exception it did not expect: exit 2 with one line
    when it is the environment's doing, else :func:`internal_error`."""
    message = environment_message(exc)
    if message is None:
        internal_error(exc)
    if isinstance(exc, BrokenPipeError):
        _quiet_stdout()
    fail(message)


def one_line_errors(command: F) -> F:
    """Run ``command`` so that an :class:`AckcheckError` becomes :func:`fail` and anything
    unexpected :func:`handle_unexpected`: the same line and exit code whether the command
    runs under ``ackcheck`` or on its own (a test's ``CliRunner``). Click's own
    exceptions (usage errors, ``Exit``, ``Abort``) pass through to click."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except AckcheckError as exc:
            fail(str(exc))
        except (click.exceptions.ClickException, click.exceptions.Exit,
                click.exceptions.Abort):
            raise
        except Exception as exc:
            handle_unexpected(exc)

    return wrapper  # type: ignore[return-value]
