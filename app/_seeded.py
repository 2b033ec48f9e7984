"""A seed that means one search wherever ackcheck runs.

Hypothesis mixes *local constants* into what it generates: literals it collects from
every imported module outside site-packages and the standard library
(``hypothesis.internal.conjecture.providers``: ``_get_local_constants``, drawn by
``HypothesisProvider._maybe_draw_constant``; ``is_local_module_file`` in
``hypothesis.internal.constants_ast`` decides what is local). Which modules are local
depends on how ackcheck was installed (an editable checkout exposes its own source, a
wheel does not), on the user's node file, and on every edit to any of them: the same
``--seed`` explored different schedules in each case (597 of 600 differed between an
editable install and a wheel).

:func:`isolated` runs one Hypothesis test with that pool empty; only Hypothesis' own
constants, fixed by its version, remain. It patches two private names of Hypothesis, so
``pyproject.toml`` pins the range it was written against, it refuses to run when they are
missing, and ``tests/test_seeded_search.py`` compares a seeded search's first schedules
with a pinned list.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import hypothesis
from hypothesis.internal.conjecture import providers

from ackcheck.errors import AckcheckError

T = TypeVar("T", bound=Callable[..., Any])

_lock = threading.RLock()


def _empty_pool() -> Any:
    return providers.Constants()


def _check_internals() -> None:
    for name in ("_get_local_constants", "CONSTANTS_CACHE", "Constants"):
        if not hasattr(providers, name):
            raise AckcheckError(
                f"Hypothesis {hypothesis.__version__} lacks providers.{name}, which ackcheck "
                "needs to keep seeded searches reproducible; install the Hypothesis version "
                "range pyproject.toml names"
            )


def isolated(test: T) -> T:
    """``test`` (a ``@given`` function) run with no local constants: its examples depend
    on the seed, the strategy and the Hypothesis version only. Restores the pool after."""
    _check_internals()

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            original = providers._get_local_constants
            providers._get_local_constants = _empty_pool
            providers.CONSTANTS_CACHE.cache.clear()  # it may hold local values already
            try:
                return test(*args, **kwargs)
            finally:
                providers._get_local_constants = original
                providers.CONSTANTS_CACHE.cache.clear()  # ours, of the empty pool

    return run  # type: ignore[return-value]
