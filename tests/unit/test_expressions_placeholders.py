"""The placeholder allocator: stable names, fresh values, no empty maps."""

from __future__ import annotations

from ddbwrap.expressions import Placeholders


def test_names_are_numbered_in_first_use_order() -> None:
    placeholders = Placeholders()
    assert [placeholders.name(n) for n in ("a", "b")] == ["#n0", "#n1"]


def test_same_name_gets_the_same_placeholder() -> None:
    placeholders = Placeholders()
    assert placeholders.name("a") == placeholders.name("a") == "#n0"
    assert placeholders.names == {"#n0": "a"}


def test_every_value_gets_a_fresh_placeholder() -> None:
    placeholders = Placeholders()
    first = placeholders.value({"S": "x"})
    second = placeholders.value({"S": "x"})
    assert (first, second) == (":v0", ":v1")
    assert placeholders.values == {":v0": {"S": "x"}, ":v1": {"S": "x"}}


def test_names_and_values_are_numbered_independently() -> None:
    placeholders = Placeholders()
    placeholders.value({"N": "1"})
    assert placeholders.name("a") == "#n0"


def test_params_omits_both_maps_when_empty() -> None:
    assert Placeholders().params() == {}


def test_params_omits_the_empty_values_map() -> None:
    placeholders = Placeholders()
    placeholders.name("a")
    assert placeholders.params() == {"ExpressionAttributeNames": {"#n0": "a"}}


def test_params_returns_copies() -> None:
    placeholders = Placeholders()
    placeholders.name("a")
    placeholders.params()["ExpressionAttributeNames"]["#n9"] = "z"
    assert placeholders.names == {"#n0": "a"}
