"""``KNOB=VALUE``: how a user names one change to a config, read the same way everywhere.

``explore --set``, ``replay --set`` (in the simulator or on a real cluster) and the
pytest helpers all split an override with :func:`split_override`. The built-in model
types each knob's value itself (``ackcheck.model.parse_knob``); a user's own node config
(a plain mapping) gets each value typed like the value it replaces
(:func:`apply_overrides`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ackcheck.errors import ConfigError

__all__ = [
    "FALSE_WORDS",
    "NONE_WORDS",
    "TRUE_WORDS",
    "apply_overrides",
    "parse_bool",
    "parse_like",
    "split_override",
]

TRUE_WORDS = ("true", "yes", "on", "1")
FALSE_WORDS = ("false", "no", "off", "0")
NONE_WORDS = ("none", "null")


def split_override(item: str) -> tuple[str, str]:
    """``"sync-interval=2m"`` -> ``("sync_interval", "2m")``."""
    knob, sep, value = item.partition("=")
    if not sep or not knob.strip():
        raise ConfigError(f"override {item!r}: expected knob=value")
    return knob.strip().replace("-", "_"), value


def parse_bool(knob: str, text: str) -> bool:
    low = text.strip().lower()
    if low in TRUE_WORDS:
        return True
    if low in FALSE_WORDS:
        return False
    raise ConfigError(f"--set {knob}={text}: expected true or false")


def parse_like(knob: str, text: str, like: Any) -> Any:
    """``text`` as the type of ``like``, the value it replaces."""
    low = text.strip().lower()
    if isinstance(like, bool):
        return parse_bool(knob, text)
    if low in NONE_WORDS and (like is None or not isinstance(like, int | float)):
        return None
    if isinstance(like, int):
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"--set {knob}={text}: expected an integer") from None
    if isinstance(like, float):
        try:
            return float(text)
        except ValueError:
            raise ConfigError(f"--set {knob}={text}: expected a number") from None
    if like is None:
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def apply_overrides(config: Mapping[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """A new config dict with ``knob=value`` overrides, each value read as the type of the
    value it replaces. Unknown knobs are a :class:`ConfigError` naming the known ones."""
    out = dict(config)
    for item in overrides:
        knob, text = split_override(item)
        if knob not in out:
            raise ConfigError(f"unknown knob {knob!r}; known: {', '.join(sorted(out))}")
        out[knob] = parse_like(knob, text, out[knob])
    return out
