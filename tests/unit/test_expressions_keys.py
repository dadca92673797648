"""Key conditions: partition equality plus one sort-key operator, in key form."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ddbwrap import GSI, DomainModel, KeyTemplate, ValidationError, schema_of
from ddbwrap.expressions import (
    SORT_OPERATORS,
    Placeholders,
    SortCondition,
    begins_with,
    between,
    build_key_condition,
    eq,
    ge,
    gt,
    le,
    lt,
)


class Order(DomainModel):
    customer_id: str
    order_no: int
    tenant_id: str
    status: str
    is_open: bool = True
    placed_at: dt.datetime

    class Meta:
        table_name = "orders"
        partition_key = "customer_id"
        sort_key = "order_no"
        gsis = [
            GSI("open-index", partition_key="is_open", sort_key="placed_at"),
            GSI(
                "tenant-index",
                partition_key=KeyTemplate("gsi2pk", "TENANT#{tenant_id}"),
                sort_key=KeyTemplate("gsi2sk", "STATUS#{status}"),
            ),
            GSI("status-index", partition_key="status"),
        ]


SCHEMA = schema_of(Order)


def build(index: Any, partition: Any, sort: Any = None) -> tuple[str, dict[str, Any]]:
    placeholders = Placeholders()
    expression = build_key_condition(SCHEMA, index, partition, sort, placeholders)
    return expression, placeholders.params()


def test_partition_only_on_the_table() -> None:
    assert build(None, "c1") == (
        "#n0 = :v0",
        {
            "ExpressionAttributeNames": {"#n0": "customer_id"},
            "ExpressionAttributeValues": {":v0": {"S": "c1"}},
        },
    )


@pytest.mark.parametrize(
    ("sort", "text"),
    [
        (eq(5), "#n1 = :v1"),
        (lt(5), "#n1 < :v1"),
        (le(5), "#n1 <= :v1"),
        (gt(5), "#n1 > :v1"),
        (ge(5), "#n1 >= :v1"),
    ],
)
def test_sort_comparison_operators(sort: SortCondition, text: str) -> None:
    expression, maps = build(None, "c1", sort)
    assert expression == f"#n0 = :v0 AND {text}"
    assert maps["ExpressionAttributeValues"][":v1"] == {"N": "5"}
    assert maps["ExpressionAttributeNames"] == {"#n0": "customer_id", "#n1": "order_no"}


def test_plain_sort_value_means_equality() -> None:
    assert build(None, "c1", 7)[0] == "#n0 = :v0 AND #n1 = :v1"


def test_between_on_the_sort_key() -> None:
    expression, maps = build(None, "c1", between(1, 9))
    assert expression == "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2"
    assert maps["ExpressionAttributeValues"] == {
        ":v0": {"S": "c1"}, ":v1": {"N": "1"}, ":v2": {"N": "9"},
    }  # fmt: skip


def test_between_with_reversed_numeric_bounds_is_refused() -> None:
    with pytest.raises(ValidationError, match="lower bound is above the upper bound"):
        build(None, "c1", between(10, 9))


def test_between_bounds_compare_as_numbers_not_text() -> None:
    assert "BETWEEN" in build(None, "c1", between(9, 10))[0]


def test_begins_with_on_a_string_sort_key_of_an_index() -> None:
    expression, maps = build("tenant-index", "TENANT#t1", begins_with("STATUS#o"))
    assert expression == "#n0 = :v0 AND begins_with(#n1, :v1)"
    assert maps["ExpressionAttributeNames"] == {"#n0": "gsi2pk", "#n1": "gsi2sk"}


def test_begins_with_on_a_numeric_sort_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="begins_with cannot be used on the numeric sort key"):
        build(None, "c1", begins_with("1"))


def test_bool_partition_key_is_sent_as_its_stored_string() -> None:
    _, maps = build("open-index", True)
    assert maps["ExpressionAttributeValues"] == {":v0": {"S": "true"}}


def test_datetime_sort_bounds_are_sortable_utc_strings() -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    _, maps = build(SCHEMA.index("open-index"), False, ge(start))
    assert maps["ExpressionAttributeValues"] == {
        ":v0": {"S": "false"}, ":v1": {"S": "2026-01-01T00:00:00.000000Z"},
    }  # fmt: skip


def test_template_key_from_field_values() -> None:
    _, maps = build("tenant-index", {"tenant_id": "t1"}, {"status": "open"})
    assert maps["ExpressionAttributeValues"] == {
        ":v0": {"S": "TENANT#t1"}, ":v1": {"S": "STATUS#open"},
    }  # fmt: skip


def test_template_key_missing_a_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="needs field"):
        build("tenant-index", {"other": "t1"})


def test_wrong_partition_type_is_refused_before_sending() -> None:
    with pytest.raises(ValidationError, match="is a string, but 5 encodes as a number"):
        build(None, 5)


def test_wrong_sort_type_is_refused_before_sending() -> None:
    with pytest.raises(ValidationError, match="is a number, but 'x' encodes as a string"):
        build(None, "c1", gt("x"))


def test_missing_partition_value_is_refused() -> None:
    with pytest.raises(ValidationError, match="needs a value for its partition key 'customer_id'"):
        build(None, None)


def test_sort_condition_on_an_index_without_sort_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="has no sort key"):
        build("status-index", "open", eq("x"))


def test_unknown_index_name_lists_the_declared_ones() -> None:
    with pytest.raises(ValidationError, match="no index named 'nope'"):
        build("nope", "x")


def test_empty_string_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="cannot be empty strings"):
        build(None, "")


def test_sort_condition_refuses_unknown_operator() -> None:
    with pytest.raises(ValidationError, match="not a sort key operator"):
        SortCondition("contains", ("x",))


def test_only_sort_key_operators_exist() -> None:
    assert set(SORT_OPERATORS) == {"eq", "lt", "le", "gt", "ge", "between", "begins_with"}


def test_key_condition_shares_placeholders_with_a_filter() -> None:
    from ddbwrap.expressions import Attr

    placeholders = Placeholders()
    key = build_key_condition(SCHEMA, None, "c1", gt(1), placeholders)
    flt = (Attr("customer_id") == "c1").compile(Order, placeholders)
    assert (key, flt) == ("#n0 = :v0 AND #n1 > :v1", "#n0 = :v2")
