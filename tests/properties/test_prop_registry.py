"""The registry: defaults, lookups by name, user registration, check()."""

from __future__ import annotations

import pytest
from prop_builders import HistoryBuilder, acked_everywhere

import ackcheck.properties as props
from ackcheck.errors import ConfigError
from ackcheck.history import History
from ackcheck.properties import DEFAULT_PROPERTIES, REGISTRY, Property, Violation, check, register


def test_defaults_are_the_safety_properties_and_durability() -> None:
    assert DEFAULT_PROPERTIES == (
        "ack-implies-durable",
        "election-safety",
        "log-matching",
        "leader-completeness",
        "state-machine-safety",
        "no-duplicates",
    )
    assert "converges-after-heal" in REGISTRY
    assert "converges-after-heal" not in DEFAULT_PROPERTIES


def test_every_builtin_satisfies_the_protocol() -> None:
    for name in props.BUILTIN_PROPERTIES:
        prop = REGISTRY[name]
        assert isinstance(prop, Property)
        assert prop.name == name and prop.description


def test_unknown_name_lists_known_ones() -> None:
    with pytest.raises(ConfigError) as err:
        check(History(nodes=1), ["ack-implies-durable", "nope"])
    message = str(err.value)
    assert "'nope'" in message and "known:" in message and "election-safety" in message
    assert "\n" not in message


def test_clean_history_has_no_violations_under_every_property() -> None:
    history = acked_everywhere(["c0-1", "c0-2"]).build()
    assert check(history) == []
    assert check(history, list(REGISTRY)) == []


def test_check_reports_in_the_order_named_and_once_each() -> None:
    b = HistoryBuilder(2).publish(0, "c0-1", seq=1)
    b.observe(0, "leader", at=1, term=1).observe(1, "leader", at=2, term=1)
    b.read(0, []).read(1, [])
    history = b.build()
    names = ["election-safety", "ack-implies-durable", "election-safety"]
    found = check(history, names)
    assert [v.property for v in found] == ["election-safety", "ack-implies-durable"]
    assert [v.property for v in check(history, "election-safety")] == ["election-safety"]


class _AlwaysFails:
    name = "test-always-fails"
    description = "fails on every history (a registry test)"

    def check(self, history: History) -> Violation:
        return Violation(self.name, "it always fails", ("detail",), {"nodes": history.nodes})


def test_register_by_call_and_decorator_and_replace() -> None:
    try:
        instance = _AlwaysFails()
        assert register(instance) is instance
        [v] = check(History(nodes=4), ["test-always-fails"])
        assert v.data == {"nodes": 4}
        with pytest.raises(ConfigError, match="already registered"):
            register(_AlwaysFails())

        @register(replace=True)
        class Replacement(_AlwaysFails):
            description = "the replacement"

        assert isinstance(Replacement, type)
        assert REGISTRY["test-always-fails"].description == "the replacement"
    finally:
        REGISTRY.pop("test-always-fails", None)


def test_register_rejects_malformed_properties() -> None:
    class NoName:
        description = "x"

        def check(self, history: History) -> None:
            return None

    class NoCheck:
        name = "test-no-check"
        description = "x"

    with pytest.raises(ConfigError, match="name"):
        register(NoName)
    with pytest.raises(ConfigError, match="check"):
        register(NoCheck)
    assert "test-no-check" not in REGISTRY


def test_violation_text_lists_summary_and_details() -> None:
    v = Violation("p", "Expected x; got y.", ("one", "two"), {})
    assert v.text() == "p: Expected x; got y.\n  one\n  two"
