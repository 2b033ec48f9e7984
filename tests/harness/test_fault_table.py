"""The driver's fault table: every kind of the vocabulary has exactly one entry, and
a kind without one is a recorded no-op that says so (no real cluster needed)."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from ackcheck.harness.driver import FAULT_HANDLERS, apply_fault
from ackcheck.schedule import FAULT_TYPES, Fault, MisdirectedWrite


def test_every_fault_kind_has_an_entry():
    assert set(FAULT_HANDLERS) == set(FAULT_TYPES)


@attrs.frozen
class _FromTheFuture(Fault):
    kind: ClassVar[str] = "from-the-future"


class _Untouchable:
    """A cluster that fails the test if a handler touches it."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the cluster was used: {name}")


def test_a_kind_without_an_entry_is_a_recorded_no_op():
    outcome = apply_fault(_Untouchable(), _FromTheFuture())  # type: ignore[arg-type]
    assert not outcome.applied and not outcome.started
    assert "'from-the-future' has no real-cluster handler" in outcome.note


def test_an_unsupported_kind_is_an_explicit_no_op():
    outcome = apply_fault(_Untouchable(), MisdirectedWrite(node=0))  # type: ignore[arg-type]
    assert not outcome.applied
    assert "cannot be injected into a real server" in outcome.note
