"""Native multi-attribute GSI keys: declaration checks, key conditions, cursors and tooling.

``GSI("by-tenant-status", partition_key=("tenant_id", "region"), sort_key=(...))``: each part
keeps its own attribute and type; queries give every partition part and conditions on a prefix
of the sort parts, left to right, only the last one a range (DynamoDB's rule).
"""

from __future__ import annotations

import copy
import enum
import json
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import boto3
import pytest

from ddbwrap import GSI, INCLUDE, KEYS_ONLY, LSI, DomainModel, KeyTemplate, codec_for
from ddbwrap.errors import InvalidCursorError, ModelDefinitionError, ValidationError
from ddbwrap.expressions import Placeholders, build_key_condition
from ddbwrap.gateway import TableGateway
from ddbwrap.model import schema_of
from ddbwrap.read import ReadApi, View, begins_with, between, eq, ge, gt, le, lt
from ddbwrap.read.requests import query_plan
from ddbwrap.tooling import lint_models
from ddbwrap.tooling.cloudformation import cloudformation_template, render_cloudformation
from ddbwrap.tooling.contract import migration_contract
from ddbwrap.tooling.drift import LiveTable, compare
from ddbwrap.tooling.spec import table_specs

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
T0_TEXT = "2026-01-02T03:04:05.000000Z"


class Tier(str, enum.Enum):
    FREE = "free"
    PAID = "paid"


class Order(DomainModel):
    order_id: str
    tenant_id: str
    region: str
    status: str
    priority: int
    created_at: datetime
    tier: Tier = Tier.FREE
    is_open: bool = True
    blob: bytes = b""
    assignee: str | None = None
    note: str = ""

    class Meta:
        table_name = "orders"
        partition_key = "order_id"
        gsis = [
            GSI(
                "by-tenant-status",
                partition_key=("tenant_id", "region"),
                sort_key=("status", "priority", "created_at"),
            ),
            GSI("by-assignee", partition_key=("tenant_id", "assignee"), projection=KEYS_ONLY),
            GSI(
                "by-tier",
                partition_key=("tier", "is_open", "blob", "region"),
                sort_key="created_at",
                projection=INCLUDE("note"),
            ),
        ]


class OrderStatus(View[Order]):
    order_id: str
    status: str


def define(**meta: Any) -> type[DomainModel]:
    """``class Thing(DomainModel)`` with a few fields and ``meta`` as its Meta."""
    meta = {"table_name": "t", "partition_key": "order_id", **meta}
    # pydantic skips a nested class whose qualname is inside the model's: Meta is not a field
    meta_class = type("Meta", (), {"__qualname__": "Thing.Meta", "__module__": __name__, **meta})
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "__qualname__": "Thing",
        "__annotations__": {
            "order_id": str,
            "tenant_id": str,
            "region": str,
            "status": str,
            "priority": int,
            "score": float,
            "tags": list[str],
            "a": str,
            "b": str,
            "c": str,
            "d": str,
            "e": str,
        },
        "Meta": meta_class,
    }
    metaclass: Any = type(DomainModel)
    return cast("type[DomainModel]", metaclass("Thing", (DomainModel,), namespace))


@pytest.fixture(scope="module")
def gateway() -> TableGateway:
    """A gateway that is never called: explain() only builds requests."""
    client = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="unit",
        aws_secret_access_key="unit",
    )
    return TableGateway(client)


@pytest.fixture
def orders(gateway: TableGateway) -> ReadApi[Order]:
    return ReadApi[Order](gateway, cursor_secret="unit-test-secret-0123456789abcdef")


def condition(params: dict[str, Any]) -> str:
    """The KeyConditionExpression with names and values substituted (for reading only)."""
    text = str(params["KeyConditionExpression"])
    for placeholder, value in sorted(params["ExpressionAttributeValues"].items(), reverse=True):
        text = text.replace(placeholder, repr(next(iter(value.values()))))
    for placeholder, name in sorted(params["ExpressionAttributeNames"].items(), reverse=True):
        text = text.replace(placeholder, name)
    return text


# --- declaration ---------------------------------------------------------------------------------


def test_the_index_schema_holds_every_key_attribute_in_order() -> None:
    index = schema_of(Order).index("by-tenant-status")
    assert [k.attribute for k in index.partition_keys] == ["tenant_id", "region"]
    assert [(k.attribute, k.type) for k in index.sort_keys] == [
        ("status", "S"),
        ("priority", "N"),
        ("created_at", "S"),
    ]
    assert index.partition_key.attribute == "tenant_id"
    assert index.sort_key is not None and index.sort_key.attribute == "status"
    assert index.multi_attribute


def test_create_table_has_several_hash_and_range_elements_in_order() -> None:
    params = schema_of(Order).create_table_params()
    gsi = next(g for g in params["GlobalSecondaryIndexes"] if g["IndexName"] == "by-tenant-status")
    assert gsi["KeySchema"] == [
        {"AttributeName": "tenant_id", "KeyType": "HASH"},
        {"AttributeName": "region", "KeyType": "HASH"},
        {"AttributeName": "status", "KeyType": "RANGE"},
        {"AttributeName": "priority", "KeyType": "RANGE"},
        {"AttributeName": "created_at", "KeyType": "RANGE"},
    ]
    types = {d["AttributeName"]: d["AttributeType"] for d in params["AttributeDefinitions"]}
    assert types == {
        "order_id": "S",
        "tenant_id": "S",
        "region": "S",
        "status": "S",
        "priority": "N",
        "created_at": "S",
        "assignee": "S",
        "tier": "S",
        "is_open": "S",
        "blob": "B",
    }


def test_each_part_is_stored_in_its_own_attribute_with_its_key_form() -> None:
    order = Order(
        order_id="o1",
        tenant_id="t1",
        region="eu",
        status="open",
        priority=2,
        created_at=T0,
        blob=b"\x01",
    )
    item = codec_for(Order).encode(order)
    assert item["is_open"] == {"S": "true"}  # a bool key part is "true"/"false", like any key
    assert item["priority"] == {"N": "2"}
    assert item["blob"] == {"B": b"\x01"}
    assert item["created_at"] == {"S": T0_TEXT}
    assert "assignee" not in item  # an Optional part left None: the item is not in the index


def test_a_one_field_tuple_is_the_same_as_the_field_name() -> None:
    one = define(gsis=[GSI("by-a", partition_key=("a",), sort_key=("b",))])
    plain = define(gsis=[GSI("by-a", partition_key="a", sort_key="b")])
    assert (
        schema_of(one).create_table_params()["GlobalSecondaryIndexes"]
        == schema_of(plain).create_table_params()["GlobalSecondaryIndexes"]
    )


def test_keys_only_projection_holds_every_key_attribute() -> None:
    index = schema_of(Order).index("by-assignee")
    assert index.projected_attributes == frozenset({"order_id", "tenant_id", "assignee"})
    tier = schema_of(Order).index("by-tier")
    assert tier.projected_attributes == frozenset(
        {
            "order_id",
            "tier",
            "is_open",
            "blob",
            "region",
            "created_at",
            "note",
        }
    )


@pytest.mark.parametrize(
    ("gsi", "message"),
    [
        (
            GSI("idx", partition_key=("a", "b", "c", "d", "e")),
            "5 attributes; DynamoDB allows at most 4",
        ),
        (GSI("idx", partition_key="a", sort_key=("a", "b", "c", "d", "e")), "at most 4"),
        (GSI("idx", partition_key=()), "empty tuple"),
        (GSI("idx", partition_key=("a", "a")), "named twice"),
        (GSI("idx", partition_key=("a", "b"), sort_key=("c", "b")), "named twice"),
        (GSI("idx", partition_key=("a", "regoin")), "does not exist; did you mean 'region'"),
        (GSI("idx", partition_key=("a", "score")), "float, which DynamoDB cannot index"),
        (GSI("idx", partition_key=("a", "tags")), "which DynamoDB cannot index"),
        (GSI("idx", partition_key=("a", KeyTemplate("gk", "X#{b}"))), "plain fields"),  # type: ignore[arg-type]
        (GSI("idx", partition_key=("a", 3)), "must be a field name"),  # type: ignore[arg-type]
        (GSI("idx", partition_key=("order_id",)), "same key as the table"),
        (GSI("idx", partition_key=("a", "b"), projection=INCLUDE("nope")), "does not exist"),
    ],
)
def test_a_bad_multi_attribute_key_fails_at_definition(gsi: GSI, message: str) -> None:
    with pytest.raises(ModelDefinitionError, match=message):
        define(gsis=[gsi])


def test_four_attributes_each_are_allowed() -> None:
    model = define(
        gsis=[GSI("idx", partition_key=("a", "b", "c", "d"), sort_key=("e", "status", "priority"))]
    )
    index = schema_of(model).index("idx")
    assert len(index.partition_keys) == 4 and len(index.sort_keys) == 3


def test_table_keys_and_lsis_take_no_tuple() -> None:
    with pytest.raises(ModelDefinitionError, match="multi-attribute keys are a GSI feature"):
        define(partition_key=("order_id", "a"))
    with pytest.raises(ModelDefinitionError, match="multi-attribute keys are a GSI feature"):
        define(sort_key=("a", "b"))
    with pytest.raises(ModelDefinitionError, match="for GSIs only"):
        define(sort_key="a", lsis=[LSI("lsi", sort_key=("b", "c"))])  # type: ignore[arg-type]


# --- key conditions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "tenant_id = 't1' AND region = 'eu'"),
        ({"status": "open"}, "tenant_id = 't1' AND region = 'eu' AND status = 'open'"),
        ({"sort": "open"}, "tenant_id = 't1' AND region = 'eu' AND status = 'open'"),
        ({"sort": gt("m")}, "tenant_id = 't1' AND region = 'eu' AND status > 'm'"),
        (
            {"sort": begins_with("op")},
            "tenant_id = 't1' AND region = 'eu' AND begins_with(status, 'op')",
        ),
        (
            {"status": "open", "sort": between(1, 3)},
            "tenant_id = 't1' AND region = 'eu' AND status = 'open' AND priority BETWEEN '1' "
            "AND '3'",
        ),
        (
            {"status": "open", "priority": 2},
            "tenant_id = 't1' AND region = 'eu' AND status = 'open' AND priority = '2'",
        ),
        (
            {"status": "open", "priority": 2, "sort": ge(T0)},
            "tenant_id = 't1' AND region = 'eu' AND status = 'open' AND priority = '2' AND "
            f"created_at >= '{T0_TEXT}'",
        ),
        (
            {"sort": {"status": "open", "priority": 2, "created_at": lt(T0)}},
            "tenant_id = 't1' AND region = 'eu' AND status = 'open' AND priority = '2' AND "
            f"created_at < '{T0_TEXT}'",
        ),
        (
            {"status": "open", "sort": {"priority": le(5)}},
            "tenant_id = 't1' AND region = 'eu' AND status = 'open' AND priority <= '5'",
        ),
        (
            {"status": "open", "priority": 2, "created_at": T0},
            "tenant_id = 't1' AND region = 'eu' AND status = 'open' AND priority = '2' AND "
            f"created_at = '{T0_TEXT}'",
        ),
        (
            {"sort": {"status": eq("open"), "priority": 2, "created_at": begins_with("2026-01")}},
            "tenant_id = 't1' AND region = 'eu' AND status = 'open' AND priority = '2' AND "
            "begins_with(created_at, '2026-01')",
        ),
    ],
)
def test_valid_key_conditions(
    orders: ReadApi[Order], kwargs: dict[str, Any], expected: str
) -> None:
    params = orders.explain.query(index="by-tenant-status", tenant_id="t1", region="eu", **kwargs)
    assert condition(params) == expected
    assert params["IndexName"] == "by-tenant-status"


def test_values_and_names_only_go_through_placeholders(orders: ReadApi[Order]) -> None:
    params = orders.explain.query(
        index="by-tenant-status", tenant_id="t1", region="eu", status="open", sort=gt(1)
    )
    assert params["KeyConditionExpression"] == (
        "#n0 = :v0 AND #n1 = :v1 AND #n2 = :v2 AND #n3 > :v3"
    )
    assert params["ExpressionAttributeValues"][":v3"] == {"N": "1"}


P = {"tenant_id": "t1", "region": "eu"}


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"tenant_id": "t1"}, "region", "multi-attribute partition key .* pass region="),
        ({"region": "eu", "status": "x"}, "tenant_id", "needs an equality on every one"),
        ({**P, "sort": {"priority": 2}}, "priority", "'status' before it has none"),
        ({**P, "sort": {"created_at": gt(T0)}}, "created_at", "left to right"),
        ({**P, "status": "open", "created_at": T0}, "created_at", "'priority' before it"),
        ({**P, "priority": 1}, "priority", "'status' before it has none"),
        ({**P, "sort": {"status": gt("a"), "priority": 2}}, "status", "only the last condition"),
        (
            {**P, "status": "open", "sort": {"priority": between(1, 2), "created_at": T0}},
            "priority",
            "only the last condition",
        ),
        ({**P, "status": "open", "sort": begins_with("1")}, "priority", "numeric sort key"),
        ({**P, "sort": {"note": "x"}}, "note", "not part of the sort key"),
        ({**P, "status": "open", "sort": {"status": "x"}}, "status", "both as a keyword"),
        (
            {**P, "status": "o", "priority": 1, "created_at": T0, "sort": gt(T0)},
            "created_at",
            "no field left",
        ),
        ({**P, "sort": {"status": 5}}, "status", "is a string"),
        ({**P, "sort": {"status": between("b", "a")}}, "status", "lower bound is above"),
    ],
)
def test_invalid_key_conditions_are_refused_before_sending(
    orders: ReadApi[Order], kwargs: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        orders.explain.query(index="by-tenant-status", **kwargs)
    assert caught.value.model == "Order"
    assert caught.value.field == field


def test_a_view_query_projects_every_index_key_attribute(orders: ReadApi[Order]) -> None:
    params = orders.explain.query(
        index="by-tenant-status", tenant_id="t1", region="eu", view=OrderStatus
    )
    names = params["ExpressionAttributeNames"]
    projected = {names[p.strip()] for p in params["ProjectionExpression"].split(",")}
    assert projected == {
        "order_id",
        "status",
        "tenant_id",
        "region",
        "priority",
        "created_at",
    }


def test_a_keys_only_index_refuses_a_full_model_read(orders: ReadApi[Order]) -> None:
    with pytest.raises(ValidationError, match="KEYS_ONLY"):
        orders.explain.query(index="by-assignee", tenant_id="t1", assignee="ann")
    params = orders.explain.query(
        index="by-assignee", tenant_id="t1", assignee="ann", fetch_full=True
    )
    assert condition(params) == "tenant_id = 't1' AND assignee = 'ann'"


def test_every_key_type_of_a_partition_part_is_encoded_in_key_form(
    orders: ReadApi[Order],
) -> None:
    params = orders.explain.query(
        index="by-tier",
        tier=Tier.PAID,
        is_open=False,
        blob=b"\x00",
        region="eu",
        sort=gt(T0),
        fetch_full=True,
    )
    values = params["ExpressionAttributeValues"]
    assert list(values.values()) == [
        {"S": "paid"},
        {"S": "false"},
        {"B": b"\x00"},
        {"S": "eu"},
        {"S": T0_TEXT},
    ]


def test_partition_values_are_validated_as_the_model_would(orders: ReadApi[Order]) -> None:
    with pytest.raises(ValidationError) as caught:
        orders.explain.query(index="by-tier", tier="gold", is_open=True, blob=b"", region="eu")
    assert caught.value.field == "tier"


def test_build_key_condition_takes_a_mapping_for_a_multi_attribute_partition() -> None:
    schema = schema_of(Order)
    placeholders = Placeholders()
    text = build_key_condition(
        schema,
        "by-tenant-status",
        {"tenant_id": "t1", "region": "eu"},
        {"status": "open", "priority": gt(Decimal("1.5"))},
        placeholders,
    )
    assert text == "#n0 = :v0 AND #n1 = :v1 AND #n2 = :v2 AND #n3 > :v3"
    with pytest.raises(ValidationError, match="pass a mapping"):
        build_key_condition(schema, "by-tenant-status", "t1", None, Placeholders())
    with pytest.raises(ValidationError, match="not part of the partition key"):
        build_key_condition(
            schema,
            "by-tenant-status",
            {"tenant_id": "t", "region": "r", "x": 1},
            None,
            placeholders,
        )


def test_a_single_plain_sort_key_also_takes_the_mapping_form() -> None:
    model = define(gsis=[GSI("by-a", partition_key="a", sort_key="priority")])
    params = query_plan(model, {"a": "x"}, index="by-a", sort={"priority": gt(3)}).params
    assert condition(params) == "a = 'x' AND priority > '3'"


# --- cursors -------------------------------------------------------------------------------------


def test_the_position_and_partition_hold_every_index_key_attribute() -> None:
    plan = query_plan(Order, {"tenant_id": "t1", "region": "eu"}, index="by-tenant-status")
    assert plan.position == ("order_id", "tenant_id", "region", "status", "priority", "created_at")
    assert plan.partition == {"tenant_id": {"S": "t1"}, "region": {"S": "eu"}}


def position(tenant: str, region: str) -> dict[str, Any]:
    return {
        "order_id": {"S": "o1"},
        "tenant_id": {"S": tenant},
        "region": {"S": region},
        "status": {"S": "open"},
        "priority": {"N": "1"},
        "created_at": {"S": T0_TEXT},
    }


def test_a_cursor_with_every_index_key_attribute_resumes(orders: ReadApi[Order]) -> None:
    plan = query_plan(Order, {"tenant_id": "t1", "region": "eu"}, index="by-tenant-status")
    cursor = orders.cursors.encode(position("t1", "eu"), plan.fingerprint, table="orders")
    params = orders.explain.query(
        index="by-tenant-status", tenant_id="t1", region="eu", cursor=cursor
    )
    assert params["ExclusiveStartKey"] == position("t1", "eu")


@pytest.mark.parametrize(("tenant", "region"), [("t2", "eu"), ("t1", "us")])
def test_a_cursor_positioned_in_another_partition_is_refused(
    orders: ReadApi[Order], tenant: str, region: str
) -> None:
    plan = query_plan(Order, {"tenant_id": "t1", "region": "eu"}, index="by-tenant-status")
    cursor = orders.cursors.encode(position(tenant, region), plan.fingerprint, table="orders")
    with pytest.raises(InvalidCursorError, match="another partition"):
        orders.explain.query(index="by-tenant-status", tenant_id="t1", region="eu", cursor=cursor)


def test_a_cursor_of_another_tenants_query_is_refused(orders: ReadApi[Order]) -> None:
    plan = query_plan(Order, {"tenant_id": "t2", "region": "eu"}, index="by-tenant-status")
    cursor = orders.cursors.encode(position("t2", "eu"), plan.fingerprint, table="orders")
    with pytest.raises(InvalidCursorError):
        orders.explain.query(index="by-tenant-status", tenant_id="t1", region="eu", cursor=cursor)


def test_a_cursor_missing_an_index_key_attribute_is_refused(orders: ReadApi[Order]) -> None:
    plan = query_plan(Order, {"tenant_id": "t1", "region": "eu"}, index="by-tenant-status")
    key = position("t1", "eu")
    del key["priority"]
    cursor = orders.cursors.encode(key, plan.fingerprint, table="orders")
    with pytest.raises(InvalidCursorError, match="does not fit"):
        orders.explain.query(index="by-tenant-status", tenant_id="t1", region="eu", cursor=cursor)


# --- tooling -------------------------------------------------------------------------------------


def test_drift_accepts_a_live_table_with_the_same_multi_attribute_gsi() -> None:
    spec = table_specs([Order])[0]
    live = LiveTable(
        {
            **spec.params,
            "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
            "GlobalSecondaryIndexes": [
                {**g, "IndexStatus": "ACTIVE"} for g in spec.params["GlobalSecondaryIndexes"]
            ],
        }
    )
    assert compare(spec, live) == []


def test_drift_reports_a_multi_attribute_gsi_whose_parts_differ_in_order() -> None:
    spec = table_specs([Order])[0]
    gsis = []
    for index in spec.params["GlobalSecondaryIndexes"]:
        keys = index["KeySchema"]
        if index["IndexName"] == "by-tenant-status":
            keys = [keys[1], keys[0], *keys[2:]]
        gsis.append({**index, "KeySchema": keys})
    live = LiveTable(
        {
            **spec.params,
            "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
            "GlobalSecondaryIndexes": gsis,
        }
    )
    findings = compare(spec, live)
    assert [(f.code, f.subject) for f in findings] == [("DDB205", "by-tenant-status")]
    assert "(region HASH, tenant_id HASH, status RANGE" in findings[0].message


def test_the_contract_lists_the_parts_of_a_multi_attribute_key() -> None:
    contract = migration_contract([Order])
    entry = next(e for e in contract if e["type"] == "Table")
    gsi = next(g for g in entry["gsis"] if g["name"] == "by-tenant-status")
    assert gsi == {
        "name": "by-tenant-status",
        "pk": ["tenant_id", "region"],
        "sk": ["status", "priority", "created_at"],
    }
    assert "Query Order by tenant_id + region, sorted by status + priority + created_at " in (
        " ".join(entry["satisfies"])
    )
    index_entry = next(
        e for e in migration_contract([Order], gsi_entries=True) if e["table"] == "by-assignee"
    )
    assert index_entry["pk"] == ["tenant_id", "assignee"]
    assert set(index_entry["attributes"]) == {"order_id", "tenant_id", "assignee"}


class Ticket(DomainModel):
    ticket_id: str
    tenant_id: str
    region: str
    status: str
    created_at: datetime

    class Meta:
        table_name = "tickets"
        partition_key = "ticket_id"
        gsis = [
            GSI(
                "by-tenant",
                partition_key=KeyTemplate("gsi1pk", "{tenant_id}#{region}"),
                sort_key=KeyTemplate("gsi1sk", "{status}#{created_at}"),
            )
        ]


def test_lint_suggests_native_keys_for_a_template_that_only_concatenates_fields() -> None:
    findings = [f for f in lint_models([Ticket]) if f.code == "DDB110"]
    assert len(findings) == 1
    finding = findings[0]
    assert finding.subject == "by-tenant"
    assert "GSI('by-tenant', partition_key=('tenant_id', 'region'), " in finding.fix
    assert "sort_key=('status', 'created_at'))" in finding.fix


def test_lint_does_not_suggest_native_keys_for_an_overloaded_gsi() -> None:
    class TicketNote(DomainModel):
        ticket_id: str
        tenant_id: str
        region: str
        status: str
        created_at: datetime
        text: str = ""

        class Meta:
            table_name = "tickets"
            partition_key = "ticket_id"
            gsis = Ticket.Meta.gsis

    assert not [f for f in lint_models([Ticket, TicketNote]) if f.code == "DDB110"]
    assert not [f for f in lint_models([Order]) if f.code == "DDB110"]


# --- CloudFormation: cfn-lint accepts several HASH and RANGE elements (cfn-lint >= 1.48) ------


def test_cfn_lint_accepts_the_export_of_a_multi_attribute_gsi(tmp_path: Path) -> None:
    from cfnlint.api import ManualArgs, lint

    template = cloudformation_template([Order])
    (table,) = template["Resources"].values()
    gsi = next(
        g
        for g in table["Properties"]["GlobalSecondaryIndexes"]
        if g["IndexName"] == "by-tenant-status"
    )
    assert [k["KeyType"] for k in gsi["KeySchema"]] == ["HASH", "HASH", "RANGE", "RANGE", "RANGE"]
    for as_json in (False, True):
        text = render_cloudformation(template, as_json=as_json)
        config = ManualArgs(include_checks=["I"], regions=["us-east-1"])
        assert [str(m) for m in lint(text, config=config)] == []
    command = Path(sys.executable).parent / "cfn-lint"
    assert command.exists(), "cfn-lint (a dev dependency) is not installed next to this Python"
    path = tmp_path / "orders.yaml"
    path.write_text(render_cloudformation(template))
    done = subprocess.run(
        [str(command), "--regions", "us-east-1", "--", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_cfn_lint_refuses_a_key_attribute_without_a_definition() -> None:
    """The export is checked by a cfn-lint that knows the rule, not one that accepts anything:
    a broken template (a key attribute without a definition) is refused."""
    from cfnlint.api import ManualArgs, lint

    template = cloudformation_template([Order])
    (table,) = template["Resources"].values()
    table["Properties"]["AttributeDefinitions"] = [
        d for d in table["Properties"]["AttributeDefinitions"] if d["AttributeName"] != "region"
    ]
    config = ManualArgs(regions=["us-east-1"])
    assert lint(render_cloudformation(template, as_json=True), config=config) != []


def test_json_schema_and_typescript_show_each_part_in_its_stored_key_form() -> None:
    import jsonschema

    from ddbwrap.tooling import stored_json_schema, typescript_types

    schema = stored_json_schema(Order)
    properties = schema["properties"]
    assert properties["is_open"]["enum"] == ["true", "false"]  # a bool key part is text
    assert properties["assignee"].get("type") == "string"  # a key part is never NULL
    assert "assignee" not in schema.get("required", [])  # omitted instead: sparse index
    item = {
        "order_id": "o1",
        "tenant_id": "t1",
        "region": "eu",
        "status": "open",
        "priority": 2,
        "created_at": T0_TEXT,
        "tier": "free",
        "is_open": "true",
        "blob": "AQ==",
        "note": "",
    }
    jsonschema.validate(item, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**item, "assignee": None}, schema)
    types = typescript_types([Order])
    assert 'is_open?: "true" | "false";' in types  # a default: writers may omit it


def test_tables_describe_summary_lists_every_part_of_a_key() -> None:
    from ddbwrap.tooling.tables import summarize

    spec = table_specs([Order])[0]
    summary = summarize(LiveTable({**spec.params, "TableStatus": "ACTIVE"}))
    gsis = {g["name"]: g["keys"] for g in summary["gsis"]}
    assert gsis["by-tenant-status"] == {
        "HASH": ["tenant_id", "region"],
        "RANGE": ["status", "priority", "created_at"],
    }
    assert gsis["by-tier"]["RANGE"] == "created_at"
    assert summary["keys"] == {"HASH": "order_id"}
    from ddbwrap.cli.tables import _live_lines

    assert (
        "GSI by-tenant-status (HASH tenant_id+region, RANGE status+priority+created_at) ALL"
        in _live_lines(summary)
    )


def test_the_lock_records_every_part_and_reports_a_changed_part() -> None:
    from ddbwrap.tooling.lock import diff_schemas, schema_records

    record = schema_records([Order])["orders"]
    index = record["indexes"]["by-tenant-status"]
    assert index["partition"] == [
        {"name": "tenant_id", "type": "S"},
        {"name": "region", "type": "S"},
    ]
    assert record["attributes"]["priority"]["indexes"] == {"by-tenant-status": "sort"}
    assert record["indexes"]["by-tier"]["sort"] == {"name": "created_at", "type": "S"}
    changed = copy.deepcopy(record)
    parts = changed["indexes"]["by-tenant-status"]["partition"]
    parts.reverse()
    (change,) = [
        c for c in diff_schemas({"orders": record}, {"orders": changed}) if c.element == "index"
    ]
    assert change.impact == "breaking"
    assert "(tenant_id S, region S, status S, priority N, created_at S)" in change.message
    assert "to (region S, tenant_id S," in change.message


def test_the_cloudformation_export_imports_back_to_the_same_indexes() -> None:
    from ddbwrap.tooling.importer import import_cloudformation, load_generated

    text = render_cloudformation(cloudformation_template([Order]))
    module = import_cloudformation(text)
    assert 'sort_key=("status", "priority", "created_at")' in module.source
    imported = load_generated(module.source)
    (model,) = [
        m
        for m in vars(imported).values()
        if isinstance(m, type) and issubclass(m, DomainModel) and m is not DomainModel
    ]
    declared = schema_of(Order).create_table_params()["GlobalSecondaryIndexes"]
    back = schema_of(model).create_table_params()["GlobalSecondaryIndexes"]
    assert sorted(declared, key=lambda i: i["IndexName"]) == sorted(
        back, key=lambda i: i["IndexName"]
    )


def test_contract_check_compares_every_part_in_order() -> None:
    from ddbwrap.tooling import check_contract

    contract = json.loads(json.dumps(migration_contract([Order], gsi_entries=True)))
    assert check_contract(contract, [Order], allow_extensions=True) == []
    table = next(e for e in contract if e["type"] == "Table")
    gsi = next(g for g in table["gsis"] if g["name"] == "by-tenant-status")
    gsi["pk"] = ["region", "tenant_id"]
    findings = check_contract(contract, [Order], allow_extensions=True)
    assert [(f.severity.name, f.subject) for f in findings] == [("HIGH", "by-tenant-status")]
