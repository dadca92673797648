"""Table specs (models sharing a table are merged) and stored attribute types."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from ddbwrap import GSI, DomainModel, KeyTemplate
from ddbwrap.errors import ModelDefinitionError
from ddbwrap.tooling.attributes import ANY, dynamo_types, stored_attributes
from ddbwrap.tooling.spec import table_specs


class Item(DomainModel):
    pk: str
    sk: str
    name: str = ""

    class Meta:
        table_name = "single"
        partition_key = "pk"
        sort_key = "sk"
        gsis = (GSI("name-index", partition_key="name"),)


class Other(DomainModel):
    pk: str
    sk: str
    email: str = ""

    class Meta:
        table_name = "single"
        partition_key = "pk"
        sort_key = "sk"
        gsis = (GSI("email-index", partition_key="email"),)
        unique = ("email",)


def test_models_sharing_a_table_are_merged() -> None:
    tables = table_specs([Item, Other])
    assert [(t.table, t.kind) for t in tables] == [("single", "table"), ("single-unique", "unique")]
    merged = tables[0]
    assert merged.models == ["Item", "Other"]
    assert [g["IndexName"] for g in merged.gsis] == ["name-index", "email-index"]
    definitions = [d["AttributeName"] for d in merged.params["AttributeDefinitions"]]
    assert definitions == ["email", "name", "pk", "sk"]


def test_models_sharing_a_table_must_agree_on_its_key() -> None:
    class Clash(DomainModel):
        pk: str

        class Meta:
            table_name = "single"
            partition_key = "pk"

    with pytest.raises(ModelDefinitionError, match="key schema"):
        table_specs([Item, Clash])


def test_an_index_declared_twice_must_be_declared_alike() -> None:
    class Again(DomainModel):
        pk: str
        sk: str
        name: str = ""
        title: str = ""

        class Meta:
            table_name = "single"
            partition_key = "pk"
            sort_key = "sk"
            gsis = (GSI("name-index", partition_key="name", sort_key="title"),)

    with pytest.raises(ModelDefinitionError, match="declared differently"):
        table_specs([Item, Again])


def test_owners_are_the_models_stored_in_the_table() -> None:
    single = table_specs([Item, Other])[0]
    assert single.owners([Item, Other]) == [Item, Other]


class Color(enum.Enum):
    RED = "red"


class Sub(BaseModel):
    x: int


@pytest.mark.parametrize(
    ("annotation", "key", "expected"),
    [
        (str, False, ("S",)),
        (int, False, ("N",)),
        (Decimal, False, ("N",)),
        (float, False, ("N",)),
        (bool, False, ("BOOL",)),
        (bool, True, ("S",)),
        (bytes, False, ("B",)),
        (dt.datetime, False, ("S",)),
        (dt.date, False, ("S",)),
        (uuid.UUID, False, ("S",)),
        (Color, False, ("S",)),
        (Literal[1, 2], False, ("N",)),
        (list[int], False, ("L",)),
        (tuple[int, str], False, ("L",)),
        (dict[str, int], False, ("M",)),
        (Sub, False, ("M",)),
        (set[str], False, ("SS",)),
        (frozenset[int], False, ("NS",)),
        (set[bytes], False, ("BS",)),
        (str | None, False, ("NULL", "S")),
        (int | str, False, ("N", "S")),
        (Any, False, (ANY,)),
    ],
)
def test_dynamodb_types_follow_the_codec(
    annotation: Any, key: bool, expected: tuple[str, ...]
) -> None:
    assert dynamo_types(annotation, key=key) == expected


class Shape(DomainModel):
    shape_id: str
    owner: str | None = None
    flag: bool
    tags: set[str] = set()
    bounded: list[str] = Field(default_factory=list, max_length=3)
    notes: list[str] = []

    class Meta:
        table_name = "shapes"
        partition_key = "shape_id"
        gsis = (
            GSI("owner-index", partition_key="owner"),
            GSI("flag-index", partition_key=KeyTemplate("gsi_flag", "FLAG#{flag}")),
        )


def attribute(name: str) -> Any:
    return next(a for a in stored_attributes(Shape) if a.name == name)


def test_an_optional_index_key_is_never_null() -> None:
    owner = attribute("owner")
    assert owner.types == ("S",)
    assert not owner.required


def test_a_set_is_not_required_since_empty_sets_are_omitted() -> None:
    assert not attribute("tags").required


def test_a_template_attribute_is_listed_as_a_required_string() -> None:
    flag = attribute("gsi_flag")
    assert (flag.types, flag.required, flag.field, flag.key) == (("S",), True, None, True)


def test_collections_without_max_length_are_unbounded() -> None:
    assert attribute("notes").collection
    assert attribute("tags").collection
    assert not attribute("bounded").collection
