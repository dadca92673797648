"""Projection expressions: names through placeholders, aliases, overlaps folded."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from ddbwrap import DomainModel, ValidationError
from ddbwrap.expressions import Attr, Placeholders, ProjectionExpression, projection


class Owner(BaseModel):
    display_name: str = Field(alias="displayName")
    email: str = ""


class Doc(DomainModel):
    doc_id: str
    name: str
    owner: Owner = Field(alias="own")
    tags: list[str] = []

    class Meta:
        table_name = "docs"
        partition_key = "doc_id"


def test_projection_returns_expression_and_names() -> None:
    assert projection(Doc, ["doc_id", "name"]) == (
        "#n0, #n1",
        {"#n0": "doc_id", "#n1": "name"},
    )


def test_nested_projection_uses_aliases() -> None:
    assert projection(Doc, ["owner.display_name"]) == (
        "#n0.#n1",
        {"#n0": "own", "#n1": "displayName"},
    )


def test_list_element_projection() -> None:
    assert projection(Doc, ["tags[2]"]) == ("#n0[2]", {"#n0": "tags"})


def test_duplicates_are_dropped() -> None:
    assert projection(Doc, ["name", "name"])[0] == "#n0"


def test_a_path_inside_another_is_folded_into_it() -> None:
    assert projection(Doc, ["owner.email", "name", "owner"]) == (
        "#n0, #n1",
        {"#n0": "name", "#n1": "own"},
    )


def test_unknown_field_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ValidationError, match="did you mean 'owner'"):
        projection(Doc, ["ownr"])


def test_empty_projection_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least one"):
        projection(Doc, [])


def test_a_single_string_is_refused_not_split_into_letters() -> None:
    with pytest.raises(ValidationError, match="list of field paths"):
        projection(Doc, "name")


def test_params_is_the_request_fragment() -> None:
    assert ProjectionExpression(["name"]).params(Doc) == {
        "ProjectionExpression": "#n0",
        "ExpressionAttributeNames": {"#n0": "name"},
    }


def test_shared_placeholders_return_only_the_projection_names() -> None:
    placeholders = Placeholders()
    (Attr("tags").size() > 1).compile(Doc, placeholders)
    expression, names = projection(Doc, ["name", "tags"], placeholders)
    assert (expression, names) == ("#n1, #n0", {"#n0": "tags", "#n1": "name"})
    assert placeholders.names == {"#n0": "tags", "#n1": "name"}
