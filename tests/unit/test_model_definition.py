"""Bad ``Meta`` declarations fail at class-definition time, naming the model and the field."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal
from typing import Any, cast

import pytest
from pydantic import BaseModel, Field

from ddbwrap import (
    GSI,
    INCLUDE,
    LSI,
    DdbwrapError,
    DomainModel,
    KeyTemplate,
    ModelDefinitionError,
    schema_of,
)


class Address(BaseModel):
    city: str


def define(
    name: str, annotations: dict[str, Any], defaults: dict[str, Any] | None = None, /, **meta: Any
) -> type[DomainModel]:
    """``class <name>(DomainModel)`` with these annotations and ``class Meta`` attributes."""
    # pydantic skips a nested class whose qualname is inside the model's: Meta is not a field
    meta_class = type("Meta", (), {"__qualname__": f"{name}.Meta", "__module__": __name__, **meta})
    namespace: dict[str, Any] = {
        "__annotations__": dict(annotations),
        "__module__": __name__,
        "__qualname__": name,
        "Meta": meta_class,
        **(defaults or {}),
    }
    metaclass: Any = type(DomainModel)  # pydantic\'s
    model = metaclass(name, (DomainModel,), namespace)
    return cast("type[DomainModel]", model)


@dataclasses.dataclass(frozen=True)
class Bad:
    """One bad declaration: what is declared, the expected message and the field it names."""

    annotations: dict[str, Any]
    meta: dict[str, Any]
    match: str
    field: str | None
    defaults: dict[str, Any] = dataclasses.field(default_factory=dict)


KEYED = {"pk": str, "sk": str}
BASE = {"table_name": "things", "partition_key": "pk"}
BASE_SK = {**BASE, "sort_key": "sk"}

BAD_DECLARATIONS: dict[str, Bad] = {
    "unknown-partition-key-suggests-closest": Bad(
        {"pipeline_id": str},
        {"table_name": "t1", "partition_key": "pipelin_id"},
        "partition_key names a field that does not exist; did you mean 'pipeline_id'?",
        "pipelin_id",
    ),
    "unknown-sort-key": Bad(KEYED, {**BASE, "sort_key": "sortkey"}, "does not exist", "sortkey"),
    "unknown-gsi-key": Bad(
        KEYED,
        {**BASE, "gsis": [GSI("by-owner", partition_key="owner")]},
        "GSI 'by-owner' partition_key names a field that does not exist",
        "owner",
    ),
    "list-partition-key": Bad(
        {"pk": list[str]}, BASE, r"partition_key has type list\[str\].*cannot index", "pk"
    ),
    "dict-partition-key": Bad({"pk": dict[str, int]}, BASE, "cannot index", "pk"),
    "float-partition-key": Bad({"pk": float}, BASE, "floats have no exact key form", "pk"),
    "set-sort-key": Bad({"pk": str, "sk": set[str]}, BASE_SK, "sort_key has type set", "sk"),
    "nested-model-partition-key": Bad(
        {"pk": Address}, BASE, "partition_key has type Address, which DynamoDB cannot index", "pk"
    ),
    "any-partition-key": Bad({"pk": Any}, BASE, "cannot index", "pk"),
    "optional-partition-key": Bad(
        {"pk": str | None}, BASE, "partition_key cannot be Optional", "pk", {"pk": None}
    ),
    "optional-sort-key": Bad(
        {"pk": str, "sk": int | None}, BASE_SK, "sort_key cannot be Optional", "sk", {"sk": None}
    ),
    "union-gsi-key": Bad(
        {"pk": str, "g": int | str},
        {**BASE, "gsis": [GSI("by-g", partition_key="g")]},
        "GSI 'by-g' partition_key has type .* cannot index",
        "g",
    ),
    "float-lsi-sort-key": Bad(
        {"pk": str, "sk": str, "score": float},
        {**BASE_SK, "lsis": [LSI("by-score", sort_key="score")]},
        "LSI 'by-score' sort_key has type float",
        "score",
    ),
    "sort-key-is-partition-key": Bad(
        {"pk": str}, {**BASE, "sort_key": "pk"}, "same attribute as the partition key", "pk"
    ),
    "duplicate-gsi-names": Bad(
        {"pk": str, "a": str, "b": str},
        {
            **BASE,
            "gsis": [GSI("by-x", partition_key="a"), GSI("by-x", partition_key="b")],
        },
        "index name 'by-x' is declared twice",
        None,
    ),
    "gsi-and-lsi-share-a-name": Bad(
        {"pk": str, "sk": str, "a": str},
        {
            **BASE_SK,
            "gsis": [GSI("by-a", partition_key="a")],
            "lsis": [LSI("by-a", sort_key="a")],
        },
        "index name 'by-a' is declared twice",
        None,
    ),
    "gsi-key-equals-table-key": Bad(
        KEYED,
        {**BASE_SK, "gsis": [GSI("copy", partition_key="pk", sort_key="sk")]},
        "GSI 'copy' has the same key as the table",
        "pk",
    ),
    "gsi-key-equals-hash-only-table-key": Bad(
        {"pk": str},
        {**BASE, "gsis": [GSI("copy", partition_key="pk")]},
        "same key as the table",
        "pk",
    ),
    "version-attribute-str": Bad(
        {"pk": str, "version": str},
        {**BASE, "version_attribute": "version"},
        "Meta.version_attribute must be an int, not str",
        "version",
    ),
    "version-attribute-bool": Bad(
        {"pk": str, "version": bool},
        {**BASE, "version_attribute": "version"},
        "must be an int, not bool",
        "version",
    ),
    "version-attribute-unknown": Bad(
        {"pk": str, "version": int},
        {**BASE, "version_attribute": "verison"},
        "did you mean 'version'",
        "verison",
    ),
    "ttl-attribute-str": Bad(
        {"pk": str, "expires": str},
        {**BASE, "ttl_attribute": "expires"},
        "Meta.ttl_attribute must be a datetime or an int, not str",
        "expires",
    ),
    "ttl-attribute-date": Bad(
        {"pk": str, "expires": dt.date},
        {**BASE, "ttl_attribute": "expires"},
        "must be a datetime or an int, not date",
        "expires",
    ),
    "created-at-attribute-not-datetime": Bad(
        {"pk": str, "created": int},
        {**BASE, "created_at_attribute": "created"},
        "must be a datetime",
        "created",
    ),
    "more-than-20-gsis": Bad(
        {"pk": str, **{f"g{i}": str for i in range(21)}},
        {**BASE, "gsis": [GSI(f"gsi-{i}", partition_key=f"g{i}") for i in range(21)]},
        "21 GSIs declared; DynamoDB allows at most 20",
        None,
    ),
    "more-than-5-lsis": Bad(
        {"pk": str, "sk": str, **{f"s{i}": str for i in range(6)}},
        {**BASE_SK, "lsis": [LSI(f"lsi-{i}", sort_key=f"s{i}") for i in range(6)]},
        "6 LSIs declared; DynamoDB allows at most 5",
        None,
    ),
    "lsi-without-table-sort-key": Bad(
        {"pk": str, "a": str},
        {**BASE, "lsis": [LSI("by-a", sort_key="a")]},
        "LSI 'by-a' needs a table with a sort key",
        None,
    ),
    "lsi-on-table-sort-key": Bad(
        KEYED,
        {**BASE_SK, "lsis": [LSI("by-sk", sort_key="sk")]},
        "LSI 'by-sk' uses the table's own sort key",
        "sk",
    ),
    "include-names-unknown-field": Bad(
        {"pk": str, "owner": str, "title": str},
        {**BASE, "gsis": [GSI("by-owner", partition_key="owner", projection=INCLUDE("titel"))]},
        "INCLUDE projection names a field that does not exist; did you mean 'title'",
        "titel",
    ),
    "template-names-unknown-field": Bad(
        {"tenant_id": str, "user_id": str},
        {"table_name": "t1", "partition_key": KeyTemplate("pk", "T#{tenant}#U#{user_id}")},
        "template 'T#{tenant}#U#{user_id}' names a field that does not exist; did you mean",
        "tenant",
    ),
    "template-names-no-field": Bad(
        {"tenant_id": str},
        {"table_name": "t1", "partition_key": KeyTemplate("pk", "CONSTANT")},
        "template 'CONSTANT' names no field",
        None,
    ),
    "template-attribute-is-a-field-name": Bad(
        {"pk": str, "tenant_id": str},
        {
            **BASE,
            "gsis": [GSI("by-tenant", partition_key=KeyTemplate("tenant_id", "T#{tenant_id}"))],
        },
        "key template attribute 'tenant_id' is also this field's stored name",
        "tenant_id",
    ),
    "template-attribute-is-a-fields-alias": Bad(
        {"pk": str, "tenant_id": str, "owner": str},
        {**BASE, "gsis": [GSI("by-tenant", partition_key=KeyTemplate("gpk", "T#{tenant_id}"))]},
        "key template attribute 'gpk' is also this field's stored name",
        "owner",
        {"owner": Field(alias="gpk")},
    ),
    "attribute-with-two-templates": Bad(
        {"pk": str, "a": str, "b": str},
        {
            **BASE,
            "gsis": [
                GSI("by-a", partition_key=KeyTemplate("g", "A#{a}")),
                GSI("by-b", partition_key=KeyTemplate("g", "B#{b}")),
            ],
        },
        "attribute 'g' is declared with two key templates",
        None,
    ),
    "template-of-a-list-field": Bad(
        {"pk": str, "tags": list[str]},
        {**BASE, "gsis": [GSI("by-tags", partition_key=KeyTemplate("g", "T#{tags}"))]},
        "is used in key template 'T#{tags}' but has type list",
        "tags",
    ),
    "template-of-a-bytes-field": Bad(
        {"pk": str, "blob": bytes},
        {**BASE, "gsis": [GSI("by-blob", partition_key=KeyTemplate("g", "B#{blob}"))]},
        "has type bytes, which has no text form for a template",
        "blob",
    ),
    "optional-field-in-table-key-template": Bad(
        {"tenant_id": str | None},
        {"table_name": "t1", "partition_key": KeyTemplate("pk", "T#{tenant_id}")},
        "is part of table key template 'T#{tenant_id}' and cannot be Optional",
        "tenant_id",
        {"tenant_id": None},
    ),
    "unknown-meta-option-suggests-closest": Bad(
        {"pk": str},
        {**BASE, "partiton_key": "pk"},
        "unknown Meta option 'partiton_key'; did you mean 'partition_key'?",
        None,
    ),
    "unknown-meta-option-without-close-match": Bad(
        {"pk": str}, {**BASE, "xyzzy": 1}, r"unknown Meta option 'xyzzy' \[ddbwrap", None
    ),
    "missing-table-name": Bad(
        {"pk": str}, {"partition_key": "pk"}, "Meta.table_name is required", None
    ),
    "empty-table-name": Bad(
        {"pk": str}, {"table_name": "", "partition_key": "pk"}, "Meta.table_name is required", None
    ),
    "missing-partition-key": Bad(
        {"pk": str}, {"table_name": "t1"}, "Meta.partition_key is required", None
    ),
    "partition-key-not-a-name": Bad(
        {"pk": str},
        {"table_name": "t1", "partition_key": 3},
        "partition_key must be a field name",
        None,
    ),
    "two-fields-aliased-to-one-attribute": Bad(
        {"pk": str, "first": str, "second": str},
        BASE,
        "is stored as 'x', like field 'first'; stored attribute names must be unique",
        "second",
        {"first": Field(alias="x"), "second": Field(alias="x")},
    ),
    "alias-equals-another-fields-name": Bad(
        {"pk": str, "title": str, "name": str},
        BASE,
        "is stored as 'name', like field 'title'",
        "name",
        {"title": Field(alias="name")},
    ),
    "unique-on-partition-key": Bad(
        {"pk": str}, {**BASE, "unique": ("pk",)}, "is a table key field; it is unique", "pk"
    ),
    "unique-on-sort-key": Bad(KEYED, {**BASE_SK, "unique": ("sk",)}, "is a table key field", "sk"),
    "unique-of-unkeyable-type": Bad(
        {"pk": str, "emails": list[str]},
        {**BASE, "unique": ("emails",)},
        "is declared unique but has type list",
        "emails",
    ),
    "unique-given-as-a-string": Bad(
        {"pk": str, "email": str},
        {**BASE, "unique": "email"},
        "Meta.unique must be a tuple of field names",
        None,
    ),
    "bad-naive-datetime-zone": Bad(
        {"pk": str},
        {**BASE, "naive_datetime_zone": "Mars/Olympus_Mons"},
        "Meta.naive_datetime_zone 'Mars/Olympus_Mons' is not an IANA time zone",
        None,
    ),
    "index-name-too-short": Bad(
        {"pk": str, "a": str},
        {**BASE, "gsis": [GSI("ab", partition_key="a")]},
        "index name 'ab' must be a string of 3 to 255 characters",
        None,
    ),
    "gsis-holds-a-non-gsi": Bad(
        {"pk": str}, {**BASE, "gsis": ["by-a"]}, "Meta.gsis must hold GSI", None
    ),
    "bad-billing-mode": Bad(
        {"pk": str}, {**BASE, "billing_mode": "ON_DEMAND"}, "Meta.billing_mode must be", None
    ),
}


@pytest.mark.parametrize("case", BAD_DECLARATIONS.values(), ids=BAD_DECLARATIONS.keys())
def test_bad_declaration_fails_at_class_definition(case: Bad) -> None:
    with pytest.raises(ModelDefinitionError, match=case.match) as info:
        define("Broken", case.annotations, case.defaults, **case.meta)
    error = info.value
    assert error.model == "Broken"
    assert error.field == case.field
    where = "Broken." + case.field if case.field else "Broken:"
    assert str(error).startswith(where)


def test_definition_error_is_a_ddbwrap_error_and_a_type_error() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        define("Broken", {"pk": float}, **BASE)
    assert isinstance(info.value, DdbwrapError)
    assert isinstance(info.value, TypeError)


def test_definition_error_carries_code_and_docs_link() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        define("Broken", {"pk": float}, **BASE)
    assert info.value.code == "ddbwrap.model.definition"
    assert info.value.docs_url.endswith("#modeldefinitionerror")
    assert "[ddbwrap.model.definition]" in str(info.value)


def test_a_class_statement_fails_the_same_way() -> None:
    with pytest.raises(ModelDefinitionError, match=re.escape("Order.order_idd")) as info:

        class Order(DomainModel):
            order_id: str

            class Meta:
                table_name = "orders"
                partition_key = "order_idd"

    assert info.value.field == "order_idd"


# --- declarations that are fine ------------------------------------------------------------


def test_optional_gsi_key_is_allowed_for_a_sparse_index() -> None:
    model = define(
        "Sparse",
        {"pk": str, "owner": str | None},
        {"owner": None},
        **BASE,
        gsis=[GSI("by-owner", partition_key="owner")],
    )
    assert schema_of(model).index("by-owner").partition_key.field == "owner"


@pytest.mark.parametrize(
    ("annotation", "stored_as"),
    [
        (str, "S"),
        (int, "N"),
        (Decimal, "N"),
        (bytes, "B"),
        (bool, "S"),
        (dt.datetime, "S"),
        (dt.date, "S"),
    ],
    ids=["str", "int", "decimal", "bytes", "bool", "datetime", "date"],
)
def test_indexable_key_type_is_accepted(annotation: Any, stored_as: str) -> None:
    model = define("Keyed", {"pk": annotation}, **BASE)
    assert schema_of(model).partition_key.type == stored_as


def test_naive_datetime_zone_accepts_an_iana_name() -> None:
    model = define("Zoned", {"pk": str}, **BASE, naive_datetime_zone="Europe/Paris")
    zone = schema_of(model).naive_datetime_zone
    assert zone is not None
    assert str(zone) == "Europe/Paris"


def test_twenty_gsis_and_five_lsis_are_allowed() -> None:
    model = define(
        "Full",
        {"pk": str, "sk": str, **{f"g{i}": str for i in range(20)}},
        **BASE_SK,
        gsis=[GSI(f"gsi-{i}", partition_key=f"g{i}") for i in range(20)],
        lsis=[LSI(f"lsi-{i}", sort_key=f"g{i}") for i in range(5)],
    )
    assert (len(schema_of(model).gsis), len(schema_of(model).lsis)) == (20, 5)
