"""``ddbwrap schema import``: typed models from a table's structure and a sample of its items."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from ddbwrap import DomainModel, codec_for
from ddbwrap.cli import main
from ddbwrap.codec import datetime_text
from ddbwrap.errors import MissingDependencyError, ValidationError
from ddbwrap.gateway import TableGateway
from ddbwrap.model import schema_of
from ddbwrap.tooling import cloudformation_template, discover_models, render_cloudformation
from ddbwrap.tooling.drift import uncovered_findings
from ddbwrap.tooling.findings import Severity
from ddbwrap.tooling.importer import (
    ImportOptions,
    IndexInfo,
    TableInfo,
    check_round_trip,
    generate_module,
    import_cloudformation,
    load_cloudformation,
    load_generated,
    sample_items,
    tables_from_cloudformation,
)
from ddbwrap.tooling.spec import table_specs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ROOT = Path(__file__).resolve().parents[2]
GOALS_TEMPLATE = ROOT / "examples" / "goals" / "infra" / "goals-table.yaml"
WHEN = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.timezone.utc)
AV = dict[str, Any]


@pytest.fixture(autouse=True)
def sample_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES))


def table(
    items: Sequence[Mapping[str, AV]] = (),
    *,
    key: tuple[tuple[str, str], ...] = (("id", "HASH"),),
    types: Mapping[str, str] | None = None,
    indexes: Sequence[IndexInfo] = (),
    ttl: str | None = None,
    billing: str = "PAY_PER_REQUEST",
    name: str = "things",
    sampled: bool = True,
) -> TableInfo:
    return TableInfo(
        table=name,
        key=key,
        attribute_types=dict(types or {"id": "S"}),
        indexes=list(indexes),
        billing_mode=billing,
        ttl_attribute=ttl,
        items=[dict(i) for i in items],
        sampled=sampled,
    )


def items_with(attribute: str, *values: AV | None) -> list[dict[str, AV]]:
    """One item per value (None: the item lacks the attribute), with ids 0, 1, ..."""
    out = []
    for n, value in enumerate(values):
        item: dict[str, AV] = {"id": {"S": str(n)}}
        if value is not None:
            item[attribute] = value
        out.append(item)
    return out


def source_of(*tables: TableInfo, **options: Any) -> str:
    return generate_module(tables, ImportOptions(**options)).source


def line_of(source: str, field: str) -> str:
    """The (first) line declaring ``field``, without its trailing comment."""
    for line in source.splitlines():
        if line.startswith(f"    {field}:"):
            return line.split("  #")[0].strip()
    raise AssertionError(f"no field {field!r} in:\n{source}")


def strings(*values: str) -> list[AV]:
    return [{"S": v} for v in values]


# -- exact types ---------------------------------------------------------------------------------


def test_whole_numbers_are_int() -> None:
    source = source_of(table(items_with("n", {"N": "1"}, {"N": "-20"})))
    assert line_of(source, "n") == "n: int"


def test_a_fractional_number_makes_the_field_decimal() -> None:
    source = source_of(table(items_with("n", {"N": "1"}, {"N": "2.50"}, {"N": "1E+3"})))
    assert line_of(source, "n") == "n: Decimal"


def test_iso_datetimes_with_a_zone_are_datetime() -> None:
    values = strings("2026-01-15T10:30:00.000Z", "2026-01-15T10:30:00+02:00", "2026-01-15 10:30Z")
    assert line_of(source_of(table(items_with("at", *values))), "at") == "at: datetime"


def test_one_datetime_without_a_zone_keeps_the_field_text() -> None:
    values = strings("2026-01-15T10:30:00.000Z", "2026-01-15T10:30:00")
    assert line_of(source_of(table(items_with("at", *values))), "at") == "at: str"


def test_plain_dates_are_date() -> None:
    values = strings("2026-01-15", "2026-02-28")
    assert line_of(source_of(table(items_with("day", *values))), "day") == "day: date"


def test_few_distinct_strings_are_a_literal() -> None:
    values = strings("active", "draft", "active", "draft", "done", "done")
    source = source_of(table(items_with("status", *values)))
    assert line_of(source, "status") == 'status: Literal["active", "done", "draft"]'


def test_many_distinct_strings_are_str() -> None:
    values = strings(*(f"title {n}" for n in range(8)))
    assert line_of(source_of(table(items_with("title", *values))), "title") == "title: str"


def test_one_repeated_value_is_not_a_literal() -> None:
    values = strings(*(["acme"] * 10))
    assert line_of(source_of(table(items_with("tenant", *values))), "tenant") == "tenant: str"


def test_literal_max_zero_turns_literals_off() -> None:
    values = strings("a", "b", "a", "b")
    source = source_of(table(items_with("kind", *values)), literal_max=0)
    assert line_of(source, "kind") == "kind: str"


def test_list_elements_are_never_literals() -> None:
    tags = {"L": [{"S": "q1"}, {"S": "team"}]}
    source = source_of(table(items_with("tags", tags, tags, tags)))
    assert line_of(source, "tags") == "tags: list[str]"


def test_bools_are_bool() -> None:
    source = source_of(table(items_with("done", {"BOOL": True}, {"BOOL": False})))
    assert line_of(source, "done") == "done: bool"


def test_different_types_across_items_make_a_union() -> None:
    source = source_of(table(items_with("code", {"S": "x1"}, {"N": "7"}, {"S": "x2"})))
    assert line_of(source, "code") == "code: str | int"


# -- presence ------------------------------------------------------------------------------------


def test_an_attribute_some_items_lack_is_optional() -> None:
    source = source_of(table(items_with("note", {"S": "a"}, None, {"S": "b"})))
    assert line_of(source, "note") == "note: str | None = None"


def test_an_attribute_every_item_has_is_required() -> None:
    source = source_of(table(items_with("note", {"S": "a"}, {"S": "b"})))
    assert line_of(source, "note") == "note: str"


def test_null_values_make_a_required_nullable_field() -> None:
    source = source_of(table(items_with("note", {"S": "a"}, {"NULL": True})))
    assert line_of(source, "note") == "note: str | None"


def test_an_attribute_only_ever_null_is_any() -> None:
    source = source_of(table(items_with("legacy", {"NULL": True}, None)))
    assert line_of(source, "legacy") == "legacy: Any = None"


# -- collections ---------------------------------------------------------------------------------


def test_string_sets_default_to_an_empty_set() -> None:
    source = source_of(table(items_with("labels", {"SS": ["a", "b"]}, None)))
    assert line_of(source, "labels") == "labels: set[str] = Field(default_factory=set)"


def test_number_sets_are_typed_by_their_members() -> None:
    source = source_of(table(items_with("sizes", {"NS": ["1", "2.5"]}, {"NS": ["3"]})))
    assert line_of(source, "sizes") == "sizes: set[Decimal] = Field(default_factory=set)"


def test_lists_are_typed_by_their_elements() -> None:
    source = source_of(table(items_with("points", {"L": [{"N": "1"}, {"NULL": True}]})))
    assert line_of(source, "points") == "points: list[int | None]"


def test_a_map_whose_keys_form_a_record_is_a_nested_model() -> None:
    review = {"M": {"done": {"N": "1"}, "total": {"N": "10"}}}
    source = source_of(table(items_with("review", review, review)))
    assert line_of(source, "review") == "review: ThingReview"
    assert "class ThingReview(BaseModel):" in source
    assert line_of(source, "total") == "total: int"


def test_a_map_whose_keys_are_data_is_a_dict() -> None:
    scores = [{"M": {f"2026-01-0{d}": {"N": "1.5"}}} for d in range(1, 6)]
    source = source_of(table(items_with("scores", *scores)))
    assert line_of(source, "scores") == "scores: dict[str, Decimal]"


def test_a_list_of_maps_is_a_list_of_a_singular_nested_model() -> None:
    milestone = {"M": {"title": {"S": "m"}, "due": {"S": "2026-05-01"}}}
    source = source_of(table(items_with("milestones", {"L": [milestone, milestone]})))
    assert line_of(source, "milestones") == "milestones: list[ThingMilestone]"
    assert line_of(source, "due") == "due: date"


# -- names ---------------------------------------------------------------------------------------


def test_a_camel_case_name_is_a_snake_case_field_with_an_alias() -> None:
    source = source_of(table(items_with("tenantId", {"S": "a"}, {"S": "b"})))
    assert line_of(source, "tenant_id") == 'tenant_id: str = Field(alias="tenantId")'


def test_a_name_that_is_no_identifier_is_aliased() -> None:
    source = source_of(table(items_with("x-trace.id", {"S": "a"}, None)))
    assert (
        line_of(source, "x_trace_id")
        == 'x_trace_id: str | None = Field(default=None, alias="x-trace.id")'
    )


@pytest.mark.parametrize(
    ("stored", "field"),
    [("class", "class_"), ("datetime", "datetime_"), ("json", "json_"), ("2fa", "f_2fa")],
)
def test_names_python_or_pydantic_reserve_get_another_field_name(stored: str, field: str) -> None:
    source = source_of(table(items_with(stored, {"S": "a"}, {"S": "b"})))
    assert line_of(source, field) == f'{field}: str = Field(alias="{stored}")'


def test_two_stored_names_with_one_field_name_are_numbered() -> None:
    item = {"id": {"S": "1"}, "tenantId": {"S": "a"}, "tenant_id": {"S": "b"}}
    source = source_of(table([item]))
    assert line_of(source, "tenant_id") == 'tenant_id: str = Field(alias="tenantId")'
    assert line_of(source, "tenant_id_2") == 'tenant_id_2: str = Field(alias="tenant_id")'


def test_class_names_are_the_table_names_singular_in_capwords() -> None:
    module = generate_module(
        [table(name="pipeline_run_logs"), table(name="categories"), table(name="tasks-unique")]
    )
    assert [m.name for m in module.models] == ["PipelineRunLog", "Category", "TasksUnique"]


def test_a_class_name_can_be_given_per_table() -> None:
    module = generate_module(
        [table(name="goal_v2")], ImportOptions(class_names={"goal_v2": "Goal"})
    )
    assert module.models[0].name == "Goal"


# -- keys ----------------------------------------------------------------------------------------


def test_the_table_key_is_required_even_without_items() -> None:
    source = source_of(table(sampled=False))
    assert line_of(source, "id") == "id: str"


def test_a_gsi_key_some_items_lack_is_optional() -> None:
    index = IndexInfo("owner-index", "GSI", (("owner", "HASH"),), "KEYS_ONLY")
    info = table(
        items_with("owner", {"S": "a"}, None), types={"id": "S", "owner": "S"}, indexes=[index]
    )
    assert line_of(source_of(info), "owner") == "owner: str | None = None"


def test_index_keys_of_an_empty_table_are_optional() -> None:
    index = IndexInfo("owner-index", "GSI", (("owner", "HASH"),))
    info = table([], types={"id": "S", "owner": "S"}, indexes=[index])
    assert line_of(source_of(info), "owner") == "owner: str | None = None"


def test_a_datetime_key_in_the_codecs_form_is_a_datetime() -> None:
    key = (("id", "HASH"), ("at", "RANGE"))
    values = [{"S": datetime_text(WHEN + dt.timedelta(minutes=n))} for n in range(3)]
    info = table(items_with("at", *values), key=key, types={"id": "S", "at": "S"})
    assert line_of(source_of(info), "at") == "at: datetime"


def test_a_datetime_key_in_another_form_stays_text() -> None:
    key = (("id", "HASH"), ("at", "RANGE"))
    info = table(
        items_with("at", {"S": "2026-03-01T09:30:00.000Z"}), key=key, types={"id": "S", "at": "S"}
    )
    assert line_of(source_of(info), "at") == "at: str"  # a datetime would address another item


def test_a_true_false_key_is_a_bool() -> None:
    index = IndexInfo("active-index", "GSI", (("active", "HASH"),))
    info = table(
        items_with("active", {"S": "true"}, {"S": "false"}),
        types={"id": "S", "active": "S"},
        indexes=[index],
    )
    assert line_of(source_of(info), "active") == "active: bool"


def test_a_number_key_without_a_sample_is_a_decimal() -> None:
    info = table(types={"id": "N"}, sampled=False)
    assert line_of(source_of(info), "id") == "id: Decimal"


# -- Meta ----------------------------------------------------------------------------------------


def test_meta_declares_the_gsis_with_their_projections() -> None:
    indexes = [
        IndexInfo("owner-index", "GSI", (("owner", "HASH"),), "KEYS_ONLY"),
        IndexInfo("status-index", "GSI", (("status", "HASH"), ("at", "RANGE")), "INCLUDE",
                  ("title",)),
    ]  # fmt: skip
    info = table(types={"id": "S", "owner": "S", "status": "S", "at": "S"}, indexes=indexes)
    model = load_generated(source_of(info)).Thing
    params = table_specs([model])[0].params
    assert params["GlobalSecondaryIndexes"] == [
        {
            "IndexName": "owner-index",
            "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        },
        {
            "IndexName": "status-index",
            "KeySchema": [
                {"AttributeName": "status", "KeyType": "HASH"},
                {"AttributeName": "at", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["title"]},
        },
    ]


def test_meta_declares_an_lsi() -> None:
    key = (("pk", "HASH"), ("sk", "RANGE"))
    index = IndexInfo("rank-index", "LSI", (("pk", "HASH"), ("rank", "RANGE")), "ALL")
    info = table(key=key, types={"pk": "S", "sk": "S", "rank": "N"}, indexes=[index])
    schema = schema_of(load_generated(source_of(info)).Thing)
    assert [(i.name, i.kind, i.sort_key and i.sort_key.attribute) for i in schema.lsis] == [
        ("rank-index", "LSI", "rank")
    ]


def test_the_ttl_attribute_is_a_datetime_declared_in_meta() -> None:
    info = table(items_with("expires", {"N": "1893456000"}, None), ttl="expires")
    source = source_of(info)
    assert line_of(source, "expires") == "expires: datetime | None = None"
    assert schema_of(load_generated(source).Thing).ttl_attribute == "expires"


def test_provisioned_billing_is_declared() -> None:
    source = source_of(table(billing="PROVISIONED"))
    assert schema_of(load_generated(source).Thing).billing_mode == "PROVISIONED"


def test_a_stream_is_declared_in_meta() -> None:
    info = table()
    info.stream = "NEW_IMAGE"
    model = load_generated(source_of(info)).Thing
    stream = table_specs([model])[0].params["StreamSpecification"]
    assert stream["StreamViewType"] == "NEW_IMAGE"


def test_a_gsi_with_a_multi_attribute_key_is_declared_with_tuples() -> None:
    keys = (("a", "HASH"), ("b", "HASH"), ("c", "RANGE"), ("d", "RANGE"))
    index = IndexInfo("multi-index", "GSI", keys)
    types = {"id": "S", "a": "S", "b": "N", "c": "S", "d": "N"}
    module = generate_module([table(types=types, indexes=[index])])
    assert 'GSI("multi-index", partition_key=("a", "b"), sort_key=("c", "d"))' in module.source
    assert module.models[0].notes == []
    model = load_generated(module.source).Thing
    gsi = schema_of(model).index("multi-index")
    assert [k.attribute for k in gsi.partition_keys] == ["a", "b"]
    assert [(k.attribute, k.type) for k in gsi.sort_keys] == [("c", "S"), ("d", "N")]
    params = table_specs([model])[0].params
    assert params["GlobalSecondaryIndexes"][0]["KeySchema"] == [
        {"AttributeName": n, "KeyType": t} for n, t in keys
    ]


# -- the generated code --------------------------------------------------------------------------


def rich_table() -> TableInfo:
    items = []
    for n in range(12):
        item: dict[str, AV] = {
            "pk": {"S": f"TENANT#{n % 2}"},
            "sk": {"S": datetime_text(WHEN + dt.timedelta(hours=n))},
            "ownerId": {"S": f"user-{n}"},
            "status": {"S": ["open", "closed", "open"][n % 3]},
            "amount": {"N": f"{n}.25"},
            "count": {"N": str(n)},
            "flags": {"SS": ["a", "b"]},
            "address": {"M": {"city": {"S": "Oslo"}, "zip": {"S": "0150"}}},
            "history": {"L": [{"M": {"at": {"S": "2026-01-01T00:00:00Z"}, "by": {"S": "x"}}}]},
            "counters": {"M": {f"day-{n}": {"N": "1"}}},
            "raw": {"B": b"\x00\x01"},
            "expires_at": {"N": "1893456000"},
        }
        if n % 2:
            item["note"] = {"S": 'a "quoted" note'}
            item["class"] = {"NULL": True}
        items.append(item)
    index = IndexInfo("owner-index", "GSI", (("ownerId", "HASH"),), "INCLUDE", ("status",))
    return table(
        items,
        key=(("pk", "HASH"), ("sk", "RANGE")),
        types={"pk": "S", "sk": "S", "ownerId": "S"},
        indexes=[index],
        ttl="expires_at",
        name="ledger_entries",
    )


def test_the_generated_module_passes_ruff_and_mypy_strict(tmp_path: Path) -> None:
    path = tmp_path / "imported.py"
    path.write_text(generate_module([rich_table()]).source)
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select",
         "E,F,W,I,B,UP,SIM,RUF,PL,N", "--line-length", "100", "--target-version", "py310",
         str(path)],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert ruff.returncode == 0, ruff.stdout
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"),
         str(path)],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert mypy.returncode == 0, mypy.stdout


def test_every_sampled_item_reads_back_with_the_generated_model() -> None:
    assert check_round_trip(generate_module([rich_table()])) == []


def test_an_item_the_model_rejects_is_reported_with_its_key() -> None:
    module = generate_module([table(items_with("n", {"N": "1"}, {"N": "2"}))])
    module.tables[0].items.append({"id": {"S": "late"}, "n": {"S": "not a number"}})
    [problem] = check_round_trip(module)
    assert (problem.table, "late" in problem.key) == ("things", True)


def test_generated_models_encode_what_they_read_under_the_stored_names() -> None:
    info = table(items_with("tenantId", {"S": "a"}, {"S": "b"}))
    model = load_generated(source_of(info)).Thing
    instance = codec_for(model).decode(info.items[0])
    assert codec_for(model).encode(instance) == info.items[0]


# -- sampling ------------------------------------------------------------------------------------


class FakeScans:
    """``gateway.scan`` over fixed segments; counts the items it hands out."""

    def __init__(self, segments: Mapping[int, int]) -> None:
        self.items = {s: [{"id": {"S": f"{s}-{n}"}} for n in range(k)] for s, k in segments.items()}
        self.read = 0
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def scan(self, params: Mapping[str, Any]) -> dict[str, Any]:
        segment = params.get("Segment", 0)
        start = int(params.get("ExclusiveStartKey", {}).get("at", {}).get("N", "0"))
        page = self.items[segment][start : start + params["Limit"]]
        with self.lock:
            self.read += len(page)
            self.requests.append(dict(params))
        out: dict[str, Any] = {"Items": page}
        if start + len(page) < len(self.items[segment]):
            out["LastEvaluatedKey"] = {"at": {"N": str(start + len(page))}}
        return out


def test_sampling_never_reads_more_than_the_limit() -> None:
    fake = FakeScans({0: 500, 1: 500, 2: 500, 3: 500})
    items = sample_items(cast(TableGateway, fake), "things", 250, segments=4)
    assert (len(items), fake.read) == (250, 250)


def test_sampling_scans_every_segment_in_parallel() -> None:
    fake = FakeScans({0: 50, 1: 50, 2: 50})
    items = sample_items(cast(TableGateway, fake), "things", 30, segments=3)
    assert {item["id"]["S"].split("-")[0] for item in items} == {"0", "1", "2"}
    assert {r["TotalSegments"] for r in fake.requests} == {3}


def test_sampling_a_small_table_reads_all_of_it() -> None:
    fake = FakeScans({0: 3, 1: 0})
    assert len(sample_items(cast(TableGateway, fake), "things", 100, segments=2)) == 3


# -- CloudFormation ------------------------------------------------------------------------------

TEMPLATE_YAML = """
Parameters:
  Stage: {Type: String, Default: dev}
  Billing: {Type: String, Default: PAY_PER_REQUEST}
Resources:
  OrdersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub 'shop-orders-${Stage}'
      BillingMode: !Ref Billing
      AttributeDefinitions:
        - {AttributeName: orderId, AttributeType: S}
        - {AttributeName: placedAt, AttributeType: S}
      KeySchema:
        - {AttributeName: orderId, KeyType: HASH}
      GlobalSecondaryIndexes:
        - IndexName: placed-index
          KeySchema: [{AttributeName: placedAt, KeyType: HASH}]
          Projection: {ProjectionType: KEYS_ONLY}
      TimeToLiveSpecification: {AttributeName: expiresAt, Enabled: true}
  Queue:
    Type: AWS::SQS::Queue
Outputs:
  Arn: {Value: !GetAtt OrdersTable.Arn}
"""


def test_yaml_short_form_tags_load_as_their_long_form() -> None:
    template = load_cloudformation(TEMPLATE_YAML)
    props = template["Resources"]["OrdersTable"]["Properties"]
    assert props["TableName"] == {"Fn::Sub": "shop-orders-${Stage}"}
    assert props["BillingMode"] == {"Ref": "Billing"}
    assert template["Outputs"]["Arn"]["Value"] == {"Fn::GetAtt": ["OrdersTable", "Arn"]}


def test_a_json_template_loads() -> None:
    text = json.dumps({"Resources": {"T": {"Type": "AWS::DynamoDB::Table"}}})
    assert load_cloudformation(text)["Resources"]["T"]["Type"] == "AWS::DynamoDB::Table"


def test_the_name_template_maps_table_names_back_to_logical_names() -> None:
    template = load_cloudformation(TEMPLATE_YAML)
    [info] = tables_from_cloudformation(template, name_template="shop-{table}-${Stage}")
    assert info.table == "orders"


def test_a_name_outside_the_name_template_loses_its_substitutions() -> None:
    [info] = tables_from_cloudformation(load_cloudformation(TEMPLATE_YAML))
    assert info.table == "shop-orders"


def test_a_table_without_a_name_is_named_after_its_resource() -> None:
    key = [{"AttributeName": "id", "KeyType": "HASH"}]
    resource = {"Type": "AWS::DynamoDB::Table", "Properties": {"KeySchema": key}}
    template = {"Resources": {"PipelineRunLogsTable": resource}}
    assert [t.table for t in tables_from_cloudformation(template)] == ["pipeline_run_logs"]


def test_parameters_resolve_to_their_default_or_the_value_given() -> None:
    template = load_cloudformation(TEMPLATE_YAML)
    [default] = tables_from_cloudformation(template)
    [given] = tables_from_cloudformation(template, parameters={"Billing": "PROVISIONED"})
    assert (default.billing_mode, given.billing_mode) == ("PAY_PER_REQUEST", "PROVISIONED")


def test_the_template_gives_keys_indexes_and_ttl() -> None:
    [info] = tables_from_cloudformation(load_cloudformation(TEMPLATE_YAML))
    assert (info.key, info.ttl_attribute, [i.name for i in info.indexes]) == (
        (("orderId", "HASH"),),
        "expiresAt",
        ["placed-index"],
    )


def test_global_tables_are_imported() -> None:
    template = {
        "Resources": {
            "Goals": {
                "Type": "AWS::DynamoDB::GlobalTable",
                "Properties": {
                    "TableName": "goals",
                    "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                    "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
                    "Replicas": [{"Region": "eu-west-1"}, {"Region": "us-east-1"}],
                },
            }
        }
    }
    [info] = tables_from_cloudformation(template, name_template="{table}")
    assert (info.table, info.stream) == ("goals", "NEW_AND_OLD_IMAGES")


def test_an_export_imports_back_to_the_same_create_table_parameters() -> None:
    models = discover_models("models_sample")
    text = render_cloudformation(cloudformation_template(models))
    module = load_generated(import_cloudformation(text).source)
    imported = [module.Goal, module.Task, module.TasksUnique]
    assert [s.params for s in table_specs(imported)] == [s.params for s in table_specs(models)]


def test_the_goals_example_template_imports_the_goals_table() -> None:
    generated = import_cloudformation(GOALS_TEMPLATE, name_template="purposepath-{table}-${Stage}")
    goal = load_generated(generated.source).Goal
    schema = schema_of(goal)
    assert (schema.table_name, schema.partition_key.attribute, [g.name for g in schema.gsis]) == (
        "goals",
        "goal_id",
        ["tenant_id-index"],
    )


def test_yaml_without_pyyaml_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(MissingDependencyError, match=r"ddbwrap\[yaml\]"):
        load_cloudformation(TEMPLATE_YAML)


def test_a_template_without_tables_is_refused() -> None:
    text = json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}})
    with pytest.raises(ValidationError, match="no AWS::DynamoDB::Table"):
        import_cloudformation(text)


def test_a_key_the_template_cannot_resolve_is_refused() -> None:
    template = {"Resources": {"T": {"Type": "AWS::DynamoDB::Table", "Properties": {
        "KeySchema": [{"AttributeName": {"Ref": "KeyName"}, "KeyType": "HASH"}]}}}}  # fmt: skip
    with pytest.raises(ValidationError, match="KeyName"):
        tables_from_cloudformation(template)


# -- the command ---------------------------------------------------------------------------------


def test_cli_import_of_a_template_writes_the_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "orders.yaml"
    template.write_text(TEMPLATE_YAML)
    out = tmp_path / "orders_models.py"
    code = main(
        ["schema", "import", "--cloudformation", str(template), "--name-template",
         "shop-{table}-${Stage}", "-o", str(out)]
    )  # fmt: skip
    assert code == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}: 1 model(s)")
    assert issubclass(load_generated(out.read_text()).Order, DomainModel)


def test_cli_import_without_tables_or_a_template_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["schema", "import"]) == 2
    assert "name the live tables" in capsys.readouterr().err


def test_cli_import_of_tables_and_a_template_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["schema", "import", "goals", "--cloudformation", "t.yaml"]) == 2
    assert "not both" in capsys.readouterr().err


# -- tables no model covers (schema diff --uncovered) --------------------------------------------


class FakeListing:
    def __init__(self, *tables: str) -> None:
        self.tables = list(tables)

    def list_tables(self) -> list[str]:
        return self.tables


def test_live_tables_no_model_covers_are_low_findings() -> None:
    specs = table_specs(discover_models("models_sample"))
    listing = cast(TableGateway, FakeListing("goals", "tasks", "tasks-unique", "audit", "jobs"))
    findings = uncovered_findings(listing, specs)
    assert [(f.code, f.severity, f.table) for f in findings] == [
        ("DDB220", Severity.LOW, "audit"),
        ("DDB220", Severity.LOW, "jobs"),
    ]


def test_uncovered_tables_are_filtered_by_prefix_and_suffix() -> None:
    listing = cast(TableGateway, FakeListing("app-audit", "app-jobs", "other-audit"))
    findings = uncovered_findings(listing, [], prefix="app-", suffix="audit")
    assert [f.table for f in findings] == ["app-audit"]
