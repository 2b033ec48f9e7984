"""Properties over histories: checkers that read a :class:`~ackcheck.history.History`
and return a :class:`Violation` that explains itself, or ``None`` when they hold.

See docs/properties.md for what each property checks and how to add your own.
"""

from ackcheck.properties.registry import (
    BUILTIN_PROPERTIES,
    DEFAULT_PROPERTIES,
    REGISTRY,
    Property,
    check,
    register,
    resolve,
)
from ackcheck.properties.violation import Violation

__all__ = [
    "BUILTIN_PROPERTIES",
    "DEFAULT_PROPERTIES",
    "REGISTRY",
    "Property",
    "Violation",
    "check",
    "register",
    "resolve",
]
