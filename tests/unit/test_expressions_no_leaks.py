"""Property: no value and no attribute name ever reaches the expression text.

The expression text of a builder depends only on its shape; whatever the values and dict keys
are, the text is the same, made of placeholders, operators and keywords only, and every user
string is found, unchanged, in the placeholder maps.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ddbwrap import DomainModel
from ddbwrap.expressions import Attr, Path, ProjectionExpression, Update


class Bag(DomainModel):
    bag_id: str
    name: str = ""
    labels: dict[str, str] = {}
    counts: dict[str, int] = {}
    items: list[str] = []

    class Meta:
        table_name = "bags"
        partition_key = "bag_id"


TOKEN = re.compile(
    r"#n\d+|:v\d+|\[\d+\]|[.,()]|<>|<=|>=|[=<>+-]|AND|OR|NOT|BETWEEN|IN|SET|REMOVE|ADD|DELETE"
    r"|begins_with|contains|attribute_exists|attribute_not_exists|attribute_type|size"
    r"|if_not_exists|list_append|\s+"
)

texts = st.text(min_size=1, max_size=30)
# A map key equal to a field name legitimately reuses that field's placeholder.
keys = texts.filter(lambda k: k not in Bag.model_fields)


def only_tokens(expression: str) -> bool:
    return TOKEN.sub("", expression) == ""


def condition(value: str, key: str) -> Any:
    return (
        ((Attr("name") == value) | Attr("name").begins_with(value))
        & Attr(Path.of("labels", key)).contains(value)
        & ~Attr("items[0]").is_in([value, value])
        & (Attr(Path.of("counts", key)).size() > 1)
    )


def update(value: str, key: str) -> Update:
    return (
        Update()
        .set("name", value)
        .set(Path.of("labels", key), value)
        .increment(Path.of("counts", key))
        .append("items", [value])
    )


@given(texts, keys)
def test_condition_text_never_depends_on_values_or_map_keys(value: str, key: str) -> None:
    result = condition(value, key).params(Bag)
    assert result["ConditionExpression"] == condition("v", "k").params(Bag)["ConditionExpression"]
    assert only_tokens(result["ConditionExpression"])
    assert key in result["ExpressionAttributeNames"].values()
    assert {"S": value} in result["ExpressionAttributeValues"].values()


@given(texts, keys)
def test_update_text_never_depends_on_values_or_map_keys(value: str, key: str) -> None:
    result = update(value, key).params(Bag)
    assert result["UpdateExpression"] == update("v", "k").params(Bag)["UpdateExpression"]
    assert only_tokens(result["UpdateExpression"])
    assert key in result["ExpressionAttributeNames"].values()


@given(keys)
def test_projection_text_never_contains_the_map_key(key: str) -> None:
    result = ProjectionExpression([Path.of("labels", key), "name"]).params(Bag)
    assert result["ProjectionExpression"] == "#n0.#n1, #n2"
    assert result["ExpressionAttributeNames"]["#n1"] == key
