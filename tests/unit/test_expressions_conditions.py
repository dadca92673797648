"""Condition and filter expressions: exact text and placeholder maps for every operator."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, Field

from ddbwrap import GSI, DomainModel, KeyTemplate, ValidationError
from ddbwrap.expressions import OPERATORS, Attr, Placeholders, Size, all_of, any_of


class Retry(BaseModel):
    max_attempts: int = Field(default=3, alias="maxAttempts")


class Settings(BaseModel):
    retries: int = 3
    retry_policy: Retry | None = Field(default=None, alias="retryPolicy")
    labels: dict[str, str] = {}


class Pipeline(DomainModel):
    pipeline_id: str
    tenant_id: str
    name: str
    status: str = "new"
    size: int = 0
    data: str = ""
    is_active: bool = True
    tags: list[str] = []
    settings: Settings = Field(default_factory=Settings, alias="cfg")
    created_at: dt.datetime
    score: Decimal = Decimal(0)

    class Meta:
        table_name = "pipelines"
        partition_key = "pipeline_id"
        gsis = [
            GSI("tenant-index", partition_key="tenant_id", sort_key="created_at"),
            GSI("active-index", partition_key="is_active"),
            GSI("tenant-name-index", partition_key=KeyTemplate("gsi3pk", "T#{tenant_id}")),
        ]


def params(condition: Any, **kw: Any) -> dict[str, Any]:
    result: dict[str, Any] = condition.params(Pipeline, **kw)
    return result


# --- one test per operator -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expression"),
    [
        (Attr("name") == "a", "#n0 = :v0"),
        (Attr("name") != "a", "#n0 <> :v0"),
        (Attr("name") < "a", "#n0 < :v0"),
        (Attr("name") <= "a", "#n0 <= :v0"),
        (Attr("name") > "a", "#n0 > :v0"),
        (Attr("name") >= "a", "#n0 >= :v0"),
        (Attr("name").eq("a"), "#n0 = :v0"),
        (Attr("name").ne("a"), "#n0 <> :v0"),
        (Attr("name").lt("a"), "#n0 < :v0"),
        (Attr("name").le("a"), "#n0 <= :v0"),
        (Attr("name").gt("a"), "#n0 > :v0"),
        (Attr("name").ge("a"), "#n0 >= :v0"),
        (Attr("name").begins_with("a"), "begins_with(#n0, :v0)"),
        (Attr("name").contains("a"), "contains(#n0, :v0)"),
    ],
)
def test_single_value_operator_renders_its_template(condition: Any, expression: str) -> None:
    assert params(condition) == {
        "ConditionExpression": expression,
        "ExpressionAttributeNames": {"#n0": "name"},
        "ExpressionAttributeValues": {":v0": {"S": "a"}},
    }


def test_between_takes_two_value_placeholders_in_order() -> None:
    assert params(Attr("size").between(1, 5)) == {
        "ConditionExpression": "#n0 BETWEEN :v0 AND :v1",
        "ExpressionAttributeNames": {"#n0": "size"},
        "ExpressionAttributeValues": {":v0": {"N": "1"}, ":v1": {"N": "5"}},
    }


def test_is_in_lists_every_value_placeholder() -> None:
    assert params(Attr("name").is_in(["a", "b", "c"])) == {
        "ConditionExpression": "#n0 IN (:v0, :v1, :v2)",
        "ExpressionAttributeNames": {"#n0": "name"},
        "ExpressionAttributeValues": {":v0": {"S": "a"}, ":v1": {"S": "b"}, ":v2": {"S": "c"}},
    }


def test_exists_has_no_values_map() -> None:
    assert params(Attr("name").exists()) == {
        "ConditionExpression": "attribute_exists(#n0)",
        "ExpressionAttributeNames": {"#n0": "name"},
    }


def test_not_exists_has_no_values_map() -> None:
    assert params(Attr("name").not_exists()) == {
        "ConditionExpression": "attribute_not_exists(#n0)",
        "ExpressionAttributeNames": {"#n0": "name"},
    }


def test_attribute_type_sends_the_type_name_as_a_string_value() -> None:
    assert params(Attr("tags").attribute_type("L")) == {
        "ConditionExpression": "attribute_type(#n0, :v0)",
        "ExpressionAttributeNames": {"#n0": "tags"},
        "ExpressionAttributeValues": {":v0": {"S": "L"}},
    }


def test_attribute_type_refuses_an_unknown_type_name() -> None:
    with pytest.raises(ValidationError, match="attribute_type must be one of"):
        Attr("tags").attribute_type("LIST")


def test_size_compares_as_a_function_operand_with_a_number() -> None:
    assert params(Attr("tags").size() > 3) == {
        "ConditionExpression": "size(#n0) > :v0",
        "ExpressionAttributeNames": {"#n0": "tags"},
        "ExpressionAttributeValues": {":v0": {"N": "3"}},
    }


def test_size_supports_between() -> None:
    assert params(Attr("name").size().between(1, 10))["ConditionExpression"] == (
        "size(#n0) BETWEEN :v0 AND :v1"
    )


def test_size_refuses_a_non_number() -> None:
    with pytest.raises(ValidationError, match="is a number"):
        Attr("tags").size() == "3"  # noqa: B015


def test_size_has_no_begins_with() -> None:
    assert not hasattr(Size("tags"), "begins_with")


def test_size_of_a_bool_key_is_compared_with_a_plain_number() -> None:
    # size() is a number even when the attribute is a key stored in key form.
    assert params(Attr("is_active").size() == 4)["ExpressionAttributeValues"] == {":v0": {"N": "4"}}


def test_two_attributes_can_be_compared() -> None:
    assert params(Attr("name") == Attr("data")) == {
        "ConditionExpression": "#n0 = #n1",
        "ExpressionAttributeNames": {"#n0": "name", "#n1": "data"},
    }


def test_reflected_comparison_keeps_its_meaning() -> None:
    reflected = 3 < Attr("size")  # noqa: SIM300 - the point of the test
    assert params(reflected)["ConditionExpression"] == "#n0 > :v0"


def test_every_operator_in_the_table_has_a_builder() -> None:
    assert set(OPERATORS) == {
        "eq", "ne", "lt", "le", "gt", "ge", "between", "in", "begins_with", "contains",
        "exists", "not_exists", "attribute_type",
    }  # fmt: skip


# --- combinations ----------------------------------------------------------------------------


def test_and_joins_with_and_without_parentheses() -> None:
    condition = (Attr("name") == "a") & (Attr("status") == "b")
    assert params(condition)["ConditionExpression"] == "#n0 = :v0 AND #n1 = :v1"


def test_or_joins_with_or() -> None:
    condition = (Attr("name") == "a") | (Attr("status") == "b")
    assert params(condition)["ConditionExpression"] == "#n0 = :v0 OR #n1 = :v1"


def test_chained_ands_are_flattened() -> None:
    condition = (Attr("name") == "a") & (Attr("status") == "b") & Attr("data").exists()
    assert params(condition)["ConditionExpression"] == (
        "#n0 = :v0 AND #n1 = :v1 AND attribute_exists(#n2)"
    )


def test_or_inside_and_is_parenthesised() -> None:
    condition = ((Attr("name") == "a") | (Attr("status") == "b")) & (Attr("size") > 1)
    assert params(condition)["ConditionExpression"] == "(#n0 = :v0 OR #n1 = :v1) AND #n2 > :v2"


def test_and_inside_or_is_parenthesised() -> None:
    condition = (Attr("name") == "a") | ((Attr("status") == "b") & (Attr("size") > 1))
    assert params(condition)["ConditionExpression"] == "#n0 = :v0 OR (#n1 = :v1 AND #n2 > :v2)"


def test_not_of_a_comparison_is_parenthesised() -> None:
    assert params(~(Attr("name") == "a"))["ConditionExpression"] == "NOT (#n0 = :v0)"


def test_not_of_a_function_needs_no_parentheses() -> None:
    assert params(~Attr("name").exists())["ConditionExpression"] == "NOT attribute_exists(#n0)"


def test_not_of_a_group_wraps_the_whole_group() -> None:
    condition = ~((Attr("name") == "a") | (Attr("status") == "b"))
    assert params(condition)["ConditionExpression"] == "NOT (#n0 = :v0 OR #n1 = :v1)"


def test_double_negation_cancels() -> None:
    condition = Attr("name").exists()
    assert ~~condition == condition


def test_all_of_combines_a_runtime_list() -> None:
    condition = all_of(*(Attr(f) == 1 for f in ("size", "score")))
    assert params(condition)["ConditionExpression"] == "#n0 = :v0 AND #n1 = :v1"


def test_any_of_single_condition_is_that_condition() -> None:
    condition = Attr("name").exists()
    assert any_of(condition) == condition


def test_all_of_refuses_an_empty_list() -> None:
    with pytest.raises(ValidationError, match="at least one"):
        all_of()


def test_condition_has_no_truth_value() -> None:
    with pytest.raises(TypeError, match="combine conditions with &"):
        bool(Attr("name") == "a")


def test_chained_comparison_is_refused_not_half_applied() -> None:
    with pytest.raises(TypeError, match="between"):
        1 < Attr("size") < 5  # noqa: B015


def test_and_with_a_non_condition_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        (Attr("name") == "a") & True  # type: ignore[operator]


def test_attr_is_unhashable_because_eq_builds_a_condition() -> None:
    with pytest.raises(TypeError, match="unhashable"):
        hash(Attr("name"))


# --- names and values ------------------------------------------------------------------------


def test_reserved_words_go_through_name_placeholders() -> None:
    condition = (Attr("name") == "a") & (Attr("status") == "b") & (Attr("size") > 1)
    result = params(condition & (Attr("data") == "c"))
    assert result["ExpressionAttributeNames"] == {
        "#n0": "name", "#n1": "status", "#n2": "size", "#n3": "data",
    }  # fmt: skip
    for word in ("name", "status", "size", "data"):
        assert word not in result["ConditionExpression"]


def test_same_attribute_twice_reuses_its_name_placeholder() -> None:
    condition = (Attr("size") > 1) & (Attr("size") < 5)
    result = params(condition)
    assert result["ConditionExpression"] == "#n0 > :v0 AND #n0 < :v1"
    assert result["ExpressionAttributeNames"] == {"#n0": "size"}


def test_nested_path_uses_aliases_at_two_levels() -> None:
    result = params(Attr("settings.retry_policy.max_attempts") >= 2)
    assert result["ConditionExpression"] == "#n0.#n1.#n2 >= :v0"
    assert result["ExpressionAttributeNames"] == {
        "#n0": "cfg", "#n1": "retryPolicy", "#n2": "maxAttempts",
    }  # fmt: skip


def test_list_index_is_written_as_digits_after_the_name() -> None:
    result = params(Attr("tags[0]").begins_with("x"))
    assert result["ConditionExpression"] == "begins_with(#n0[0], :v0)"
    assert result["ExpressionAttributeNames"] == {"#n0": "tags"}


def test_dict_key_becomes_a_name_placeholder() -> None:
    result = params(Attr("settings.labels.env") == "prod")
    assert result["ConditionExpression"] == "#n0.#n1.#n2 = :v0"
    assert result["ExpressionAttributeNames"] == {"#n0": "cfg", "#n1": "labels", "#n2": "env"}


def test_bool_index_key_is_compared_with_its_stored_string() -> None:
    result = params(Attr("is_active") == True)  # noqa: E712
    assert result["ExpressionAttributeValues"] == {":v0": {"S": "true"}}


def test_bool_that_is_not_a_key_is_compared_as_bool() -> None:
    class Flags(DomainModel):
        flag_id: str
        enabled: bool = False

        class Meta:
            table_name = "flags"
            partition_key = "flag_id"

    result = (Attr("enabled") == False).params(Flags)  # noqa: E712
    assert result["ExpressionAttributeValues"] == {":v0": {"BOOL": False}}


def test_datetime_key_value_is_the_stored_utc_string() -> None:
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    result = params(Attr("created_at") > moment)
    assert result["ExpressionAttributeValues"] == {":v0": {"S": "2026-01-02T01:04:05.000000Z"}}


def test_decimal_value_keeps_its_digits() -> None:
    result = params(Attr("score") == Decimal("0.10"))
    assert result["ExpressionAttributeValues"] == {":v0": {"N": "0.10"}}


def test_key_template_attribute_can_be_tested() -> None:
    result = params(Attr("gsi3pk").exists())
    assert result["ExpressionAttributeNames"] == {"#n0": "gsi3pk"}


def test_params_can_name_a_filter_expression() -> None:
    result = params(Attr("name").exists(), key="FilterExpression")
    assert set(result) == {"FilterExpression", "ExpressionAttributeNames"}


def test_compile_shares_numbering_with_other_expressions() -> None:
    placeholders = Placeholders()
    first = (Attr("name") == "a").compile(Pipeline, placeholders)
    second = ((Attr("name") == "b") & (Attr("size") > 1)).compile(Pipeline, placeholders)
    assert (first, second) == ("#n0 = :v0", "#n0 = :v1 AND #n1 > :v2")
    assert placeholders.names == {"#n0": "name", "#n1": "size"}


# --- refusals --------------------------------------------------------------------------------


def test_unknown_field_names_model_path_and_suggestion() -> None:
    with pytest.raises(ValidationError) as info:
        params(Attr("stauts") == "a")
    message = str(info.value)
    assert "Pipeline" in message
    assert "'stauts'" in message
    assert "did you mean 'status'?" in message


def test_unknown_nested_field_suggests_from_the_nested_model() -> None:
    with pytest.raises(ValidationError, match="did you mean 'retries'"):
        params(Attr("settings.retires") == 1)


def test_stored_alias_is_not_a_field_name() -> None:
    with pytest.raises(ValidationError, match="stored name of field 'settings'"):
        params(Attr("cfg").exists())


def test_is_in_refuses_a_bare_string() -> None:
    with pytest.raises(ValidationError, match="takes a list"):
        Attr("name").is_in("abc")


def test_is_in_refuses_more_than_100_values() -> None:
    with pytest.raises(ValidationError, match="1 to 100"):
        Attr("name").is_in([str(i) for i in range(101)])


def test_is_in_refuses_no_values() -> None:
    with pytest.raises(ValidationError, match="1 to 100"):
        Attr("name").is_in([])


def test_begins_with_refuses_a_number() -> None:
    with pytest.raises(ValidationError, match="str or bytes prefix"):
        Attr("name").begins_with(3)  # type: ignore[arg-type]


def test_between_with_reversed_bounds_is_refused() -> None:
    with pytest.raises(ValidationError, match="lower bound is above the upper bound"):
        params(Attr("size").between(5, 1))


def test_none_against_an_index_key_points_to_not_exists() -> None:
    with pytest.raises(ValidationError, match=r"never stored as NULL.*not_exists\(\)"):
        params(Attr("tenant_id") == None)  # noqa: E711


def test_none_against_a_plain_attribute_compares_with_null() -> None:
    assert params(Attr("data") == None)["ExpressionAttributeValues"] == {  # noqa: E711
        ":v0": {"NULL": True}
    }


def test_empty_set_value_is_refused() -> None:
    with pytest.raises(ValidationError, match="empty set"):
        params(Attr("tags") == set())


def test_unencodable_value_names_the_path() -> None:
    with pytest.raises(ValidationError, match=r"Pipeline\.name.*cannot be encoded"):
        params(Attr("name") == object())


def test_naive_datetime_is_refused_without_a_model_zone() -> None:
    with pytest.raises(ValidationError, match="naive datetime"):
        params(Attr("created_at") > dt.datetime(2026, 1, 1))


def test_naive_datetime_uses_the_model_zone() -> None:
    class Event(DomainModel):
        event_id: str
        at: dt.datetime

        class Meta:
            table_name = "events"
            partition_key = "event_id"
            naive_datetime_zone = "Europe/Paris"

    result = (Attr("at") > dt.datetime(2026, 1, 1, 12)).params(Event)
    assert result["ExpressionAttributeValues"] == {":v0": {"S": "2026-01-01T11:00:00.000000Z"}}
