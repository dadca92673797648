"""Update expressions: clauses, increment/append semantics, conflicts, value checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, Field, field_validator

from ddbwrap import GSI, DomainModel, KeyTemplate, ValidationError
from ddbwrap.expressions import Placeholders, Update


class Limits(BaseModel):
    max_runs: int = Field(default=1, alias="maxRuns")
    quotas: dict[str, int] = {}


class Settings(BaseModel):
    retries: int = 3
    limits: Limits = Field(default_factory=Limits, alias="lim")


class Pipeline(DomainModel):
    pipeline_id: str
    name: str
    status: str = "new"
    is_active: bool | None = True
    tenant_id: str | None = None
    runs: int = Field(default=0, ge=0)
    score: Decimal = Decimal(0)
    tags: list[str] = []
    labels: set[str] = set()
    settings: Settings = Field(default_factory=Settings, alias="cfg")
    note: str | None = None
    updated_at: dt.datetime | None = None

    class Meta:
        table_name = "pipelines"
        partition_key = "pipeline_id"
        gsis = [
            GSI("active-index", partition_key="is_active"),
            GSI("tenant-index", partition_key="tenant_id"),
        ]


def params(update: Update) -> dict[str, Any]:
    return update.params(Pipeline)


def test_set_one_attribute() -> None:
    assert params(Update().set("name", "x")) == {
        "UpdateExpression": "SET #n0 = :v0",
        "ExpressionAttributeNames": {"#n0": "name"},
        "ExpressionAttributeValues": {":v0": {"S": "x"}},
    }


def test_several_sets_share_one_clause_in_call_order() -> None:
    update = Update().set("name", "x").set("status", "y")
    assert params(update)["UpdateExpression"] == "SET #n0 = :v0, #n1 = :v1"


def test_remove_has_no_value() -> None:
    assert params(Update().remove("note")) == {
        "UpdateExpression": "REMOVE #n0",
        "ExpressionAttributeNames": {"#n0": "note"},
    }


def test_add_a_number() -> None:
    assert params(Update().add("runs", 2)) == {
        "UpdateExpression": "ADD #n0 :v0",
        "ExpressionAttributeNames": {"#n0": "runs"},
        "ExpressionAttributeValues": {":v0": {"N": "2"}},
    }


def test_add_elements_to_a_set() -> None:
    assert params(Update().add("labels", {"a"}))["ExpressionAttributeValues"] == {
        ":v0": {"SS": ["a"]}
    }


def test_delete_elements_from_a_set() -> None:
    assert params(Update().delete("labels", {"a"})) == {
        "UpdateExpression": "DELETE #n0 :v0",
        "ExpressionAttributeNames": {"#n0": "labels"},
        "ExpressionAttributeValues": {":v0": {"SS": ["a"]}},
    }


def test_clauses_come_in_set_remove_add_delete_order() -> None:
    update = Update().delete("labels", {"a"}).add("runs", 1).remove("note").set("name", "x")
    assert params(update)["UpdateExpression"] == (
        "SET #n3 = :v2 REMOVE #n2 ADD #n1 :v1 DELETE #n0 :v0"
    )


def test_increment_treats_a_missing_number_as_zero() -> None:
    assert params(Update().increment("runs", 2)) == {
        "UpdateExpression": "SET #n0 = if_not_exists(#n0, :v0) + :v1",
        "ExpressionAttributeNames": {"#n0": "runs"},
        "ExpressionAttributeValues": {":v0": {"N": "0"}, ":v1": {"N": "2"}},
    }


def test_increment_defaults_to_one() -> None:
    assert params(Update().increment("runs"))["ExpressionAttributeValues"][":v1"] == {"N": "1"}


def test_decrement_subtracts_the_amount() -> None:
    result = params(Update().decrement("score", Decimal("1.5")))
    assert result["UpdateExpression"] == "SET #n0 = if_not_exists(#n0, :v0) - :v1"
    assert result["ExpressionAttributeValues"][":v1"] == {"N": "1.5"}


def test_increment_on_a_nested_path() -> None:
    result = params(Update().increment("settings.limits.quotas.daily"))
    assert (
        result["UpdateExpression"]
        == "SET #n0.#n1.#n2.#n3 = if_not_exists(#n0.#n1.#n2.#n3, :v0) + :v1"
    )
    assert result["ExpressionAttributeNames"] == {
        "#n0": "cfg", "#n1": "lim", "#n2": "quotas", "#n3": "daily",
    }  # fmt: skip


def test_increment_refuses_a_non_number_amount() -> None:
    with pytest.raises(ValidationError, match="takes a number"):
        Update().increment("runs", "1")  # type: ignore[arg-type]


def test_increment_refuses_a_bool_amount() -> None:
    with pytest.raises(ValidationError, match="takes a number"):
        Update().increment("runs", True)


def test_increment_refuses_a_string_field() -> None:
    with pytest.raises(ValidationError, match="increment needs a number field"):
        params(Update().increment("name"))


def test_append_creates_a_missing_list() -> None:
    assert params(Update().append("tags", ["a", "b"])) == {
        "UpdateExpression": "SET #n0 = list_append(if_not_exists(#n0, :v0), :v1)",
        "ExpressionAttributeNames": {"#n0": "tags"},
        "ExpressionAttributeValues": {":v0": {"L": []}, ":v1": {"L": [{"S": "a"}, {"S": "b"}]}},
    }


def test_prepend_puts_the_values_first() -> None:
    result = params(Update().prepend("tags", ["a"]))
    assert result["UpdateExpression"] == "SET #n0 = list_append(:v1, if_not_exists(#n0, :v0))"


def test_append_refuses_a_bare_string() -> None:
    with pytest.raises(ValidationError, match="takes a list of elements"):
        Update().append("tags", "abc")  # type: ignore[arg-type]


def test_append_refuses_a_set_field() -> None:
    with pytest.raises(ValidationError, match="append needs a list field"):
        params(Update().append("labels", ["a"]))


def test_append_validates_the_elements() -> None:
    with pytest.raises(ValidationError, match="not valid for this field"):
        params(Update().append("tags", [{"not": "a string"}]))


def test_set_if_not_exists() -> None:
    assert params(Update().set_if_not_exists("status", "new"))["UpdateExpression"] == (
        "SET #n0 = if_not_exists(#n0, :v0)"
    )


def test_add_refuses_a_list() -> None:
    with pytest.raises(ValidationError, match="use append"):
        Update().add("tags", ["a"])


def test_add_refuses_an_empty_set() -> None:
    with pytest.raises(ValidationError, match="non-empty set"):
        Update().add("labels", set())


def test_add_number_to_a_set_field_is_refused_by_the_field_type() -> None:
    with pytest.raises(ValidationError, match="not valid for this field"):
        params(Update().add("labels", 1))


def test_add_refuses_a_string_field() -> None:
    with pytest.raises(ValidationError, match="add needs a number or set field"):
        params(Update().add("name", 1))


def test_delete_refuses_a_non_set() -> None:
    with pytest.raises(ValidationError, match="non-empty set"):
        Update().delete("labels", ["a"])  # type: ignore[arg-type]


def test_delete_refuses_a_list_field() -> None:
    with pytest.raises(ValidationError, match="delete needs a set field"):
        params(Update().delete("tags", {"a"}))


# --- conflicts -------------------------------------------------------------------------------


def test_same_path_twice_is_refused_at_once() -> None:
    with pytest.raises(ValidationError, match="Two document paths overlap"):
        Update().set("name", "a").set("name", "b")


def test_parent_and_child_paths_conflict() -> None:
    with pytest.raises(
        ValidationError, match=r"set\('settings.retries'\) overlaps remove\('settings'\)"
    ):
        Update().remove("settings").set("settings.retries", 1)


def test_child_then_parent_conflicts_too() -> None:
    with pytest.raises(ValidationError, match="overlaps"):
        Update().increment("settings.retries").set("settings", {})


def test_sibling_paths_do_not_conflict() -> None:
    update = Update().set("settings.retries", 1).set("settings.limits.max_runs", 2)
    assert len(update) == 2


def test_different_list_elements_do_not_conflict() -> None:
    assert len(Update().set("tags[0]", "a").remove("tags[1]")) == 2


def test_merge_keeps_both_and_checks_conflicts() -> None:
    merged = Update().set("name", "a").merge(Update().increment("runs"))
    assert [str(p) for p in merged.paths] == ["name", "runs"]
    with pytest.raises(ValidationError, match="overlaps"):
        merged.merge(Update().remove("runs"))


# --- immutability and values -----------------------------------------------------------------


def test_builder_methods_return_new_updates() -> None:
    base = Update().set("name", "a")
    extended = base.set("status", "b")
    assert (len(base), len(extended)) == (1, 2)


def test_empty_update_is_refused_at_compile() -> None:
    with pytest.raises(ValidationError, match="empty Update"):
        params(Update())


def test_value_is_validated_against_the_field_type() -> None:
    with pytest.raises(ValidationError, match=r"Pipeline\.runs.*not valid for this field"):
        params(Update().set("runs", "many"))


def test_field_constraints_apply() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        params(Update().set("runs", -1))


def test_value_is_coerced_like_the_model_would() -> None:
    result = params(Update().set("updated_at", "2026-01-01T00:00:00+01:00"))
    assert result["ExpressionAttributeValues"] == {":v0": {"S": "2025-12-31T23:00:00.000000Z"}}


def test_nested_model_value_is_stored_by_alias() -> None:
    result = params(Update().set("settings.limits", {"max_runs": 5}))
    assert result["ExpressionAttributeValues"] == {
        ":v0": {"M": {"maxRuns": {"N": "5"}, "quotas": {"M": {}}}}
    }


def test_nested_model_value_refuses_an_unknown_key() -> None:
    with pytest.raises(ValidationError, match="max_runz"):
        params(Update().set("settings.limits", {"max_runz": 5}))


def test_set_none_removes_an_optional_field() -> None:
    # None is omitted by default (a GSI added later never meets NULL); see StoreNull
    result = params(Update().set("note", None))
    assert result["UpdateExpression"] == "REMOVE #n0"
    assert "ExpressionAttributeValues" not in result


def test_set_none_on_a_required_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="not valid for this field"):
        params(Update().set("name", None))


def test_bool_index_key_is_set_in_key_form() -> None:
    result = params(Update().set("is_active", False))
    assert result["ExpressionAttributeValues"] == {":v0": {"S": "false"}}


def test_set_none_on_an_index_key_removes_it() -> None:
    assert params(Update().set("tenant_id", None)) == {
        "UpdateExpression": "REMOVE #n0",
        "ExpressionAttributeNames": {"#n0": "tenant_id"},
    }


def test_set_empty_set_removes_the_attribute() -> None:
    assert params(Update().set("labels", set()))["UpdateExpression"] == "REMOVE #n0"


def test_table_key_cannot_be_updated() -> None:
    with pytest.raises(ValidationError, match="primary key"):
        params(Update().set("pipeline_id", "other"))


def test_unknown_field_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ValidationError, match="did you mean 'status'"):
        params(Update().set("statsu", "x"))


def test_reserved_words_as_names_are_placeholders() -> None:
    result = params(Update().set("name", "a").set("status", "b"))
    assert "name" not in result["UpdateExpression"]
    assert "status" not in result["UpdateExpression"]


def test_update_numbering_continues_after_a_condition() -> None:
    from ddbwrap.expressions import Attr

    placeholders = Placeholders()
    condition = (Attr("runs") == 1).compile(Pipeline, placeholders)
    update = Update().increment("runs").compile(Pipeline, placeholders)
    assert (condition, update) == ("#n0 = :v0", "SET #n0 = if_not_exists(#n0, :v1) + :v2")


def test_key_template_attribute_can_be_set_by_the_write_layer() -> None:
    class Member(DomainModel):
        member_id: str
        team_id: str

        class Meta:
            table_name = "members"
            partition_key = "member_id"
            gsis = [GSI("team-index", partition_key=KeyTemplate("gsi1pk", "TEAM#{team_id}"))]

    assert Update().set("team_id", "t2").set("gsi1pk", "TEAM#t2").params(Member) == {
        "UpdateExpression": "SET #n0 = :v0, #n1 = :v1",
        "ExpressionAttributeNames": {"#n0": "team_id", "#n1": "gsi1pk"},
        "ExpressionAttributeValues": {":v0": {"S": "t2"}, ":v1": {"S": "TEAM#t2"}},
    }


def test_field_of_a_table_key_template_cannot_be_updated() -> None:
    class Account(DomainModel):
        tenant_id: str
        user_id: str
        email: str = ""

        class Meta:
            table_name = "accounts"
            partition_key = KeyTemplate("pk", "T#{tenant_id}#U#{user_id}")

    with pytest.raises(ValidationError, match=r"Account\.user_id: is part of the table's primary"):
        Update().set("user_id", "u2").params(Account)


class Member(DomainModel):
    member_id: str
    email: str
    nicknames: list[str] = []

    @field_validator("email")
    @classmethod
    def _lower_and_checked(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError("an email needs an @")
        return value.lower()

    class Meta:
        table_name = "members"
        partition_key = "member_id"


def test_set_value_goes_through_the_models_field_validators() -> None:
    with pytest.raises(ValidationError, match="an email needs an @"):
        Update().set("email", "nobody").params(Member)


def test_set_value_is_stored_as_the_model_would_normalise_it() -> None:
    params = Update().set("email", "Ada@Example.COM").params(Member)
    assert params["ExpressionAttributeValues"][":v0"] == {"S": "ada@example.com"}


def test_append_value_is_checked_against_the_field_type_only() -> None:
    params = Update().append("nicknames", ["ace"]).params(Member)
    assert {"L": [{"S": "ace"}]} in params["ExpressionAttributeValues"].values()


# --- the update engine: actions as data -------------------------------------------------------


def test_clauses_are_data_with_stored_paths_and_encoded_values() -> None:
    from ddbwrap.expressions._clauses import UpdateAction

    assert Update().set("settings.limits.max_runs", 2).increment("runs").clauses(Pipeline) == (
        UpdateAction("set", ("cfg", "lim", "maxRuns"), {"N": "2"}),
        UpdateAction("increment", ("runs",), {"N": "1"}),
    )


def test_set_none_on_an_index_key_is_a_remove_action() -> None:
    from ddbwrap.expressions._clauses import UpdateAction

    assert Update().set("tenant_id", None).clauses(Pipeline) == (
        UpdateAction("remove", ("tenant_id",)),
    )


def test_clauses_of_an_empty_update_are_refused() -> None:
    with pytest.raises(ValidationError, match="empty Update"):
        Update().clauses(Pipeline)


def test_actions_and_conditions_render_once_sharing_placeholders() -> None:
    from ddbwrap.expressions._clauses import AttributeCheck, WriteExpression

    expression = WriteExpression(
        Update().increment("runs").clauses(Pipeline), (AttributeCheck("exists", "runs"),)
    )
    assert expression.render({}, update=True) == {
        "UpdateExpression": "SET #n0 = if_not_exists(#n0, :v0) + :v1",
        "ConditionExpression": "attribute_exists(#n0)",
        "ExpressionAttributeNames": {"#n0": "runs"},
        "ExpressionAttributeValues": {":v0": {"N": "0"}, ":v1": {"N": "1"}},
    }


def test_operator_templates_show_the_text_each_action_renders() -> None:
    from ddbwrap.expressions import UPDATE_OPERATORS

    assert UPDATE_OPERATORS["prepend"].template == (
        "{path} = list_append({0}, if_not_exists({path}, {empty}))"
    )


def test_a_relative_action_is_one_whose_result_depends_on_the_stored_value() -> None:
    actions = Update().set("name", "n").increment("runs").remove("tags[1]").clauses(Pipeline)
    assert [a.relative for a in actions] == [False, True, True]


# --- what is worked out once per (model, method, path) ----------------------------------------


def test_an_update_of_the_same_shape_sends_each_calls_own_values() -> None:
    first = params(Update().set("name", "a").increment("runs", 2).set("note", None))
    second = params(Update().set("name", "b").increment("runs", 5).set("note", "n"))
    assert first["ExpressionAttributeValues"] == {
        ":v0": {"S": "a"},
        ":v1": {"N": "0"},
        ":v2": {"N": "2"},
    }
    assert "REMOVE" in first["UpdateExpression"]  # None on an optional field
    assert second["ExpressionAttributeValues"] == {
        ":v0": {"S": "b"},
        ":v1": {"N": "0"},
        ":v2": {"N": "5"},
        ":v3": {"S": "n"},
    }
    assert "REMOVE" not in second["UpdateExpression"]


def test_a_value_refused_is_refused_on_every_call_of_that_shape() -> None:
    assert params(Update().set("runs", 1))["ExpressionAttributeValues"] == {":v0": {"N": "1"}}
    for _ in range(2):
        with pytest.raises(ValidationError, match="runs") as caught:
            params(Update().set("runs", -1))
        assert caught.value.field == "runs"
    assert params(Update().set("runs", 3))["ExpressionAttributeValues"] == {":v0": {"N": "3"}}


def test_a_path_refused_stays_refused_on_every_call() -> None:
    for _ in range(2):
        with pytest.raises(ValidationError, match="primary key"):
            params(Update().set("pipeline_id", "x"))
        with pytest.raises(ValidationError, match="number"):
            params(Update().increment("name"))


def test_the_same_path_on_two_models_resolves_for_each_model() -> None:
    class Other(DomainModel):
        pipeline_id: str
        name: int = 0

        class Meta:
            table_name = "others"
            partition_key = "pipeline_id"

    assert Update().set("name", "x").params(Pipeline)["ExpressionAttributeValues"] == {
        ":v0": {"S": "x"}
    }
    assert Update().set("name", 7).params(Other)["ExpressionAttributeValues"] == {":v0": {"N": "7"}}
    with pytest.raises(ValidationError, match="name"):
        Update().set("name", "x").params(Other)


def _every_shape(tag: str) -> list[Any]:
    """Write expressions covering every update form and every condition test, with values
    that carry ``tag`` (so two calls of one shape bind different values)."""
    from ddbwrap.expressions._clauses import AttributeCheck, UpdateAction, WriteExpression

    text, number = {"S": tag}, {"N": str(len(tag))}
    forms = [
        UpdateAction("set", ("a",), text),
        UpdateAction("set_if_not_exists", ("b", "c", 2), text),
        UpdateAction("increment", ("n",), number),
        UpdateAction("decrement", ("m",), number),
        UpdateAction("append", ("l",), {"L": [text]}),
        UpdateAction("prepend", ("p",), {"L": [text]}),
        UpdateAction("remove", ("r",)),
        UpdateAction("add", ("s",), {"SS": [tag]}),
        UpdateAction("delete", ("d",), {"SS": [tag]}),
    ]
    checks = [
        AttributeCheck("exists", "pk"),
        AttributeCheck("not_exists", "pk"),
        AttributeCheck("equals", "v", number),
        AttributeCheck("missing_or_equals", "a", text),
        AttributeCheck("missing_or_null", "z"),
        AttributeCheck("not_exists_or_expired", "pk", number, "ttl"),
        AttributeCheck("exists_and_live", "pk", number, "ttl"),
    ]
    out = [WriteExpression((form,), ()) for form in forms]
    out += [WriteExpression((), (check,)) for check in checks]
    out.append(WriteExpression(tuple(forms), tuple(checks)))
    return out


@pytest.mark.parametrize("update", [True, False])
def test_a_shape_rendered_before_binds_the_new_values_as_a_fresh_render_would(
    update: bool,
) -> None:
    from ddbwrap.expressions import _clauses

    _clauses._RENDERED.clear()
    first = [e.render({}, update=update) for e in _every_shape("first")]
    kept = len(_clauses._RENDERED)
    again = [e.render({}, update=update) for e in _every_shape("second-call")]
    _clauses._RENDERED.clear()
    fresh = [e.render({}, update=update) for e in _every_shape("second-call")]
    assert again == fresh
    assert again != first
    assert kept == len({repr(e._shape(update)) for e in _every_shape("x")})  # every shape kept


def test_a_rendered_shape_hands_each_write_its_own_names_map() -> None:
    from ddbwrap.expressions._clauses import AttributeCheck, WriteExpression

    expression = WriteExpression(Update().set("name", "x").clauses(Pipeline))
    expression.render({}, update=True)["ExpressionAttributeNames"]["#n0"] = "changed"
    again = WriteExpression(
        Update().set("name", "y").clauses(Pipeline), (AttributeCheck("exists", "name"),)
    )
    assert again.render({}, update=True)["ExpressionAttributeNames"] == {"#n0": "name"}
    assert expression.render({}, update=True)["ExpressionAttributeNames"] == {"#n0": "name"}
