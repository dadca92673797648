"""The TableSchema derived from ``Meta``: keys, indexes, stored names and CreateTable."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from ddbwrap import (
    GSI,
    INCLUDE,
    KEYS_ONLY,
    LSI,
    DomainModel,
    KeyTemplate,
    ModelDefinitionError,
    ValidationError,
    schema_of,
)
from ddbwrap.annotations import key_scalar_type


class Color(str, enum.Enum):
    RED = "red"
    BLUE = "blue"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Mixed(enum.Enum):
    A = "a"
    B = 2


class Order(DomainModel):
    customer_id: str
    order_id: str = Field(alias="oid")
    placed_at: dt.datetime
    status: Color
    total: Decimal
    is_open: bool = True
    region: str | None = None
    note: str = ""
    expires: int = Field(default=0, alias="ttl")
    version: int = 0

    class Meta:
        table_name = "orders"
        partition_key = "customer_id"
        sort_key = "order_id"
        gsis = [
            GSI("by-status", partition_key="status", sort_key="placed_at", projection=KEYS_ONLY),
            GSI("open-orders", partition_key="is_open", projection=INCLUDE("total", "expires")),
            GSI("by-region", partition_key="region", sort_key="placed_at"),
        ]
        lsis = [LSI("by-total", sort_key="total", projection=INCLUDE("note"))]
        version_attribute = "version"
        ttl_attribute = "expires"


ORDERS = schema_of(Order)


def test_stored_names_are_the_aliases() -> None:
    assert ORDERS.field_attributes["order_id"] == "oid"
    assert ORDERS.field_attributes["expires"] == "ttl"
    assert ORDERS.field_attributes["note"] == "note"


def test_attribute_fields_inverts_the_stored_names() -> None:
    assert ORDERS.attribute_fields["oid"] == "order_id"
    assert ORDERS.attribute_fields["customer_id"] == "customer_id"


def test_table_key_uses_stored_names_and_types() -> None:
    assert (ORDERS.partition_key.attribute, ORDERS.partition_key.type) == ("customer_id", "S")
    assert ORDERS.sort_key is not None
    assert (ORDERS.sort_key.attribute, ORDERS.sort_key.field) == ("oid", "order_id")
    assert ORDERS.key_fields == ("customer_id", "order_id")


def test_special_attributes_resolve_to_stored_names() -> None:
    assert (ORDERS.version_field, ORDERS.version_attribute) == ("version", "version")
    assert (ORDERS.ttl_field, ORDERS.ttl_attribute) == ("expires", "ttl")


def test_bool_index_key_is_a_string_key_marked_bool() -> None:
    key = ORDERS.index("open-orders").partition_key
    assert (key.type, key.is_bool) == ("S", True)


def test_keys_only_projection_holds_table_and_index_keys() -> None:
    index = ORDERS.index("by-status")
    assert index.projected_attributes == frozenset({"customer_id", "oid", "status", "placed_at"})


def test_include_projection_adds_the_stored_names_of_its_fields() -> None:
    index = ORDERS.index("open-orders")
    assert index.projected_attributes == frozenset(
        {"customer_id", "oid", "is_open", "total", "ttl"}
    )


def test_all_projection_can_supply_anything() -> None:
    index = ORDERS.index("by-region")
    assert index.projected_attributes is None
    assert index.can_supply(frozenset({"note", "whatever"}))


def test_include_projection_cannot_supply_an_unprojected_attribute() -> None:
    index = ORDERS.index("open-orders")
    assert index.can_supply(frozenset({"total", "ttl"}))
    assert not index.can_supply(frozenset({"total", "note"}))


def test_unknown_index_name_lists_the_declared_ones() -> None:
    with pytest.raises(ValidationError, match="no index named 'by-statsu'") as info:
        ORDERS.index("by-statsu")
    assert "'by-status', 'open-orders', 'by-region', 'by-total'" in str(info.value)
    assert info.value.model == "Order"


def test_index_key_attributes_cover_every_key_once() -> None:
    assert set(ORDERS.index_key_attributes) == {
        "customer_id",
        "oid",
        "status",
        "placed_at",
        "is_open",
        "region",
        "total",
    }


def test_create_table_params_are_complete() -> None:
    assert ORDERS.create_table_params() == {
        "TableName": "orders",
        "KeySchema": [
            {"AttributeName": "customer_id", "KeyType": "HASH"},
            {"AttributeName": "oid", "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": "customer_id", "AttributeType": "S"},
            {"AttributeName": "is_open", "AttributeType": "S"},
            {"AttributeName": "oid", "AttributeType": "S"},
            {"AttributeName": "placed_at", "AttributeType": "S"},
            {"AttributeName": "region", "AttributeType": "S"},
            {"AttributeName": "status", "AttributeType": "S"},
            {"AttributeName": "total", "AttributeType": "N"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by-status",
                "KeySchema": [
                    {"AttributeName": "status", "KeyType": "HASH"},
                    {"AttributeName": "placed_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
            {
                "IndexName": "open-orders",
                "KeySchema": [{"AttributeName": "is_open", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["total", "ttl"]},
            },
            {
                "IndexName": "by-region",
                "KeySchema": [
                    {"AttributeName": "region", "KeyType": "HASH"},
                    {"AttributeName": "placed_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
        "LocalSecondaryIndexes": [
            {
                "IndexName": "by-total",
                "KeySchema": [
                    {"AttributeName": "customer_id", "KeyType": "HASH"},
                    {"AttributeName": "total", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]},
            }
        ],
    }


def test_create_table_params_take_another_physical_name() -> None:
    assert ORDERS.create_table_params("test-orders")["TableName"] == "test-orders"


def test_provisioned_billing_gives_throughput_to_table_and_gsis_not_lsis() -> None:
    params = ORDERS.create_table_params(billing_mode="PROVISIONED")
    assert params["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    assert all("ProvisionedThroughput" in g for g in params["GlobalSecondaryIndexes"])
    assert all("ProvisionedThroughput" not in i for i in params["LocalSecondaryIndexes"])


class Membership(DomainModel):
    tenant_id: str
    user_id: uuid.UUID
    team: str
    joined: dt.date

    class Meta:
        table_name = "memberships"
        partition_key = KeyTemplate("pk", "TENANT#{tenant_id}")
        sort_key = KeyTemplate("sk", "USER#{user_id}")
        gsis = [GSI("by-team", partition_key=KeyTemplate("gpk", "TEAM#{tenant_id}#{team}"))]


def test_template_key_is_a_string_built_from_its_fields() -> None:
    schema = schema_of(Membership)
    assert schema.partition_key.type == "S"
    assert schema.partition_key.fields == ("tenant_id",)
    assert schema.index("by-team").partition_key.fields == ("tenant_id", "team")


def test_template_keys_make_up_the_key_fields() -> None:
    assert schema_of(Membership).key_fields == ("tenant_id", "user_id")


def test_template_attributes_are_in_attribute_definitions() -> None:
    definitions = schema_of(Membership).attribute_definitions()
    assert definitions == [
        {"AttributeName": "gpk", "AttributeType": "S"},
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
    ]


# --- which annotations can be keys ---------------------------------------------------------


class Nested(BaseModel):
    x: int


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (str, "S"),
        (int, "N"),
        (Decimal, "N"),
        (bytes, "B"),
        (bool, "S"),
        (dt.datetime, "S"),
        (dt.date, "S"),
        (uuid.UUID, "S"),
        (Color, "S"),
        (Priority, "N"),
        (Literal["a", "b"], "S"),
        (Literal[1, 2], "N"),
        (str | None, "S"),
        (float, None),
        (dt.time, None),
        (Mixed, None),
        (Literal["a", 1], None),
        (list[str], None),
        (set[int], None),
        (dict[str, str], None),
        (Nested, None),
        (int | str, None),
    ],
    ids=lambda v: repr(v) if not isinstance(v, type) else v.__name__,
)
def test_key_scalar_type(annotation: object, expected: str | None) -> None:
    assert key_scalar_type(annotation) == expected


# --- inheritance and non-table models ------------------------------------------------------


class Base(DomainModel):
    """A DomainModel without Meta: shared fields, no table."""

    created: dt.datetime


class Article(Base):
    article_id: str

    class Meta:
        table_name = "articles"
        partition_key = "article_id"


class LongArticle(Article):
    body: str = ""


def test_model_without_meta_has_no_schema() -> None:
    with pytest.raises(
        ModelDefinitionError, match="Base: is not a DomainModel with a Meta"
    ) as info:
        schema_of(Base)
    assert info.value.model == "Base"


def test_subclass_inherits_meta_with_its_own_fields() -> None:
    schema = schema_of(LongArticle)
    assert schema.model_name == "LongArticle"
    assert schema.table_name == "articles"
    assert "body" in schema.field_attributes


def test_plain_pydantic_model_has_no_schema() -> None:
    with pytest.raises(ModelDefinitionError, match="Nested: is not a DomainModel"):
        schema_of(Nested)


def test_private_meta_attributes_are_not_options() -> None:
    class Doc(DomainModel):
        doc_id: str

        class Meta:
            table_name = "docs"
            partition_key = "doc_id"
            _internal_note = "ignored"

    assert schema_of(Doc).table_name == "docs"
