"""Pure request builders of the read side: the exact parameters each read would send."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from pydantic import Field

from ddbwrap import GSI, INCLUDE, KEYS_ONLY, LSI, DomainModel, KeyTemplate
from ddbwrap.errors import InvalidCursorError, ValidationError
from ddbwrap.expressions import Attr
from ddbwrap.gateway import TableGateway
from ddbwrap.keys import key_identity
from ddbwrap.read import Get, ReadApi, View, begins_with, between
from ddbwrap.read.requests import query_plan, scan_plan
from ddbwrap.read.transact import transact_get_request

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


class Pipeline(DomainModel):
    pipeline_id: str
    tenant_id: str
    name: str = Field(alias="Name")
    is_active: bool = True
    owner: str = "ops"
    created_at: datetime

    class Meta:
        table_name = "pipelines"
        partition_key = "pipeline_id"
        gsis = [
            GSI("tenant-index", partition_key="tenant_id", sort_key="created_at"),
            GSI("active-index", partition_key="is_active"),
            GSI("owner-keys", partition_key="owner", projection=KEYS_ONLY),
            GSI("owner-names", partition_key="owner", projection=INCLUDE("name")),
        ]


class PipelineName(View[Pipeline]):
    pipeline_id: str
    name: str


class Run(DomainModel):
    pipeline_id: str
    run_id: str
    status: str = "ok"

    class Meta:
        table_name = "runs"
        partition_key = "pipeline_id"
        sort_key = "run_id"
        lsis = [LSI("status-index", sort_key="status")]


class Member(DomainModel):
    tenant_id: str
    user_id: str
    email: str

    class Meta:
        table_name = "members"
        partition_key = KeyTemplate("pk", "TENANT#{tenant_id}")
        sort_key = KeyTemplate("sk", "USER#{user_id}")


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
def pipelines(gateway: TableGateway) -> ReadApi[Pipeline]:
    return ReadApi[Pipeline](gateway, cursor_secret="unit-test-secret-0123456789abcdef")


def projected(params: dict[str, Any]) -> set[str]:
    names = params["ExpressionAttributeNames"]
    return {names[p.strip()] for p in params["ProjectionExpression"].split(",")}


# --- get -------------------------------------------------------------------------------------


def test_get_request_has_logical_table_and_wire_key(pipelines: ReadApi[Pipeline]) -> None:
    assert pipelines.explain.get(pipeline_id="p1") == {
        "TableName": "pipelines",
        "Key": {"pipeline_id": {"S": "p1"}},
    }


def test_get_request_with_view_projects_stored_names(pipelines: ReadApi[Pipeline]) -> None:
    params = pipelines.explain.get(pipeline_id="p1", view=PipelineName)
    assert projected(params) == {"pipeline_id", "Name"}


def test_get_request_never_pastes_names_into_the_projection(
    pipelines: ReadApi[Pipeline],
) -> None:
    params = pipelines.explain.get(pipeline_id="p1", view=PipelineName)
    assert "Name" not in params["ProjectionExpression"]


def test_get_request_consistent(pipelines: ReadApi[Pipeline]) -> None:
    assert pipelines.explain.get(pipeline_id="p1", consistent=True)["ConsistentRead"] is True


def test_get_request_renders_key_templates(gateway: TableGateway) -> None:
    members = ReadApi[Member](gateway)
    assert members.explain.get(tenant_id="acme", user_id="u1")["Key"] == {
        "pk": {"S": "TENANT#acme"},
        "sk": {"S": "USER#u1"},
    }


def test_get_request_from_a_mapping(pipelines: ReadApi[Pipeline]) -> None:
    assert pipelines.explain.get({"pipeline_id": "p1"})["Key"] == {"pipeline_id": {"S": "p1"}}


def test_get_key_both_object_and_kwargs_is_refused(pipelines: ReadApi[Pipeline]) -> None:
    with pytest.raises(ValidationError, match="not both"):
        pipelines.explain.get({"pipeline_id": "p1"}, pipeline_id="p1")


def test_get_key_with_a_non_key_field_is_refused(pipelines: ReadApi[Pipeline]) -> None:
    with pytest.raises(ValidationError, match="not part of the key") as error:
        pipelines.explain.get(pipeline_id="p1", tenant_id="t1")
    assert error.value.field == "tenant_id"


def test_get_key_missing_a_field_names_it(gateway: TableGateway) -> None:
    with pytest.raises(ValidationError) as error:
        ReadApi[Run](gateway).explain.get(pipeline_id="p1")
    assert (error.value.model, error.value.field) == ("Run", "run_id")


def test_get_key_of_wrong_type_is_refused(pipelines: ReadApi[Pipeline]) -> None:
    with pytest.raises(ValidationError, match="valid string"):
        pipelines.explain.get(pipeline_id=12)


def test_get_key_from_an_instance_of_another_model_is_refused(
    pipelines: ReadApi[Pipeline],
) -> None:
    with pytest.raises(ValidationError, match="cannot be a key of Pipeline"):
        pipelines.explain.get(Run(pipeline_id="p1", run_id="r1"))


def test_get_key_from_a_view_instance(pipelines: ReadApi[Pipeline]) -> None:
    key = PipelineName(pipeline_id="p1", name="x")
    assert pipelines.explain.get(key)["Key"] == {"pipeline_id": {"S": "p1"}}


# --- batch and transact ------------------------------------------------------------------------


def test_batch_get_request_dedupes_keys_in_order(pipelines: ReadApi[Pipeline]) -> None:
    request = pipelines.explain.batch_get(
        [{"pipeline_id": "b"}, {"pipeline_id": "a"}, {"pipeline_id": "b"}]
    )
    assert request == {
        "pipelines": {"Keys": [{"pipeline_id": {"S": "b"}}, {"pipeline_id": {"S": "a"}}]}
    }


def test_batch_get_request_with_view_projects_view_and_key(pipelines: ReadApi[Pipeline]) -> None:
    spec = pipelines.explain.batch_get([{"pipeline_id": "a"}], view=PipelineName)["pipelines"]
    assert projected(spec) == {"pipeline_id", "Name"}


def test_batch_get_refuses_a_single_mapping(pipelines: ReadApi[Pipeline]) -> None:
    with pytest.raises(ValidationError, match="list of keys"):
        pipelines.explain.batch_get({"pipeline_id": "a"})  # type: ignore[dict-item]


def test_transact_get_request_merges_reads_of_one_item() -> None:
    first = Get(Pipeline, view=PipelineName, pipeline_id="p1")
    again = Get(Pipeline, view=PipelineName, pipeline_id="p1")
    run = Get(Run, pipeline_id="p1", run_id="r1")
    actions = transact_get_request([first, again, run])
    assert [a["Get"]["TableName"] for a in actions] == ["pipelines", "runs"]
    assert projected(actions[0]["Get"]) == {"pipeline_id", "Name"}
    assert "ProjectionExpression" not in actions[1]["Get"]


def test_transact_get_request_full_read_wins_over_a_view() -> None:
    actions = transact_get_request(
        [Get(Pipeline, view=PipelineName, pipeline_id="p1"), Get(Pipeline, pipeline_id="p1")]
    )
    assert actions == [{"Get": {"TableName": "pipelines", "Key": {"pipeline_id": {"S": "p1"}}}}]


def test_transact_get_request_over_100_items_is_refused() -> None:
    with pytest.raises(ValidationError, match="at most 100"):
        transact_get_request([Get(Pipeline, pipeline_id=f"p{n}") for n in range(101)])


# --- query -----------------------------------------------------------------------------------


def test_query_request_on_an_index(pipelines: ReadApi[Pipeline]) -> None:
    params = pipelines.explain.query(
        index="tenant-index", tenant_id="t1", sort=between(T0, T0), descending=True, limit=5
    )
    assert params["IndexName"] == "tenant-index"
    assert params["KeyConditionExpression"] == "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2"
    assert params["ExpressionAttributeNames"] == {"#n0": "tenant_id", "#n1": "created_at"}
    assert params["ExpressionAttributeValues"][":v1"] == {"S": "2024-01-01T00:00:00.000000Z"}
    assert (params["ScanIndexForward"], params["Limit"]) == (False, 5)


def test_query_request_sort_key_keyword_means_equality(pipelines: ReadApi[Pipeline]) -> None:
    params = pipelines.explain.query(index="tenant-index", tenant_id="t1", created_at=T0)
    assert params["KeyConditionExpression"] == "#n0 = :v0 AND #n1 = :v1"
    assert params["ExpressionAttributeValues"][":v1"] == {"S": "2024-01-01T00:00:00.000000Z"}


def test_query_request_sort_key_template_keyword_renders_the_key(gateway: TableGateway) -> None:
    params = ReadApi[Member](gateway).explain.query(tenant_id="acme", user_id="u1")
    assert params["KeyConditionExpression"] == "#n0 = :v0 AND #n1 = :v1"
    assert params["ExpressionAttributeValues"][":v1"] == {"S": "USER#u1"}


def test_query_request_sort_key_as_keyword_and_sort_is_refused(
    pipelines: ReadApi[Pipeline],
) -> None:
    with pytest.raises(ValidationError, match="both as a keyword and as sort="):
        pipelines.explain.query(index="tenant-index", tenant_id="t1", created_at=T0, sort=T0)


def test_query_request_with_filter_sends_no_limit(pipelines: ReadApi[Pipeline]) -> None:
    params = pipelines.explain.query(pipeline_id="p1", filter=Attr("owner") == "x", limit=5)
    assert params["FilterExpression"] == "#n1 = :v1"
    assert "Limit" not in params


def test_query_request_bool_key_is_stored_as_text(pipelines: ReadApi[Pipeline]) -> None:
    params = pipelines.explain.query(index="active-index", is_active=False)
    assert params["ExpressionAttributeValues"] == {":v0": {"S": "false"}}


def test_query_request_with_view_projects_view_and_position(
    pipelines: ReadApi[Pipeline],
) -> None:
    params = pipelines.explain.query(index="tenant-index", tenant_id="t1", view=PipelineName)
    assert projected(params) == {"pipeline_id", "Name", "tenant_id", "created_at"}


def test_query_request_template_partition(gateway: TableGateway) -> None:
    params = ReadApi[Member](gateway).explain.query(tenant_id="acme", sort=begins_with("USER#"))
    assert params["ExpressionAttributeValues"] == {
        ":v0": {"S": "TENANT#acme"},
        ":v1": {"S": "USER#"},
    }


def test_query_request_fetch_full_projects_only_keys(pipelines: ReadApi[Pipeline]) -> None:
    params = pipelines.explain.query(index="owner-keys", owner="ops", fetch_full=True)
    assert projected(params) == {"pipeline_id", "owner"}


def test_query_fetch_full_on_the_table_is_refused(pipelines: ReadApi[Pipeline]) -> None:
    with pytest.raises(ValidationError, match="only makes sense on an index"):
        pipelines.explain.query(pipeline_id="p1", fetch_full=True)


def test_query_on_keys_only_index_names_missing_view_fields(
    pipelines: ReadApi[Pipeline],
) -> None:
    with pytest.raises(ValidationError, match=r"cannot supply PipelineName's field\(s\) name"):
        pipelines.explain.query(index="owner-keys", owner="ops", view=PipelineName)


def test_query_on_include_index_serves_included_fields(pipelines: ReadApi[Pipeline]) -> None:
    params = pipelines.explain.query(index="owner-names", owner="ops", view=PipelineName)
    assert params["IndexName"] == "owner-names"


def test_query_consistent_on_gsi_is_refused(pipelines: ReadApi[Pipeline]) -> None:
    with pytest.raises(ValidationError, match="not possible on global secondary index"):
        pipelines.explain.query(index="tenant-index", tenant_id="t1", consistent=True)


def test_query_consistent_on_lsi_is_sent(gateway: TableGateway) -> None:
    params = ReadApi[Run](gateway).explain.query(
        index="status-index", pipeline_id="p1", consistent=True
    )
    assert params["ConsistentRead"] is True


def test_query_with_the_wrong_partition_field_is_refused(pipelines: ReadApi[Pipeline]) -> None:
    with pytest.raises(ValidationError, match="not part of the partition key of index") as error:
        pipelines.explain.query(index="tenant-index", pipeline_id="p1")
    assert error.value.field == "pipeline_id"


def test_query_without_partition_value_is_refused(pipelines: ReadApi[Pipeline]) -> None:
    with pytest.raises(ValidationError, match="missing"):
        pipelines.explain.query(index="tenant-index")


def test_query_filter_must_be_a_condition(pipelines: ReadApi[Pipeline]) -> None:
    with pytest.raises(ValidationError, match="filter= takes a condition"):
        pipelines.explain.query(pipeline_id="p1", filter="owner = 'x'")  # type: ignore[arg-type]


def test_query_filter_on_unknown_field_is_refused(pipelines: ReadApi[Pipeline]) -> None:
    with pytest.raises(ValidationError, match="no field 'ownr'"):
        pipelines.explain.query(pipeline_id="p1", filter=Attr("ownr") == "x")


def test_query_with_a_cursor_sends_its_start_key(pipelines: ReadApi[Pipeline]) -> None:
    plan = query_plan(Pipeline, {"pipeline_id": "p1"})
    start = {"pipeline_id": {"S": "p1"}}
    cursor = pipelines.cursors.encode(start, plan.fingerprint, table="pipelines")
    params = pipelines.explain.query(pipeline_id="p1", cursor=cursor)
    assert params["ExclusiveStartKey"] == start


def test_query_cursor_with_a_foreign_position_is_refused(pipelines: ReadApi[Pipeline]) -> None:
    plan = query_plan(Pipeline, {"pipeline_id": "p1"})
    cursor = pipelines.cursors.encode({"other": {"S": "x"}}, plan.fingerprint, table="pipelines")
    with pytest.raises(InvalidCursorError, match="does not fit"):
        pipelines.explain.query(pipeline_id="p1", cursor=cursor)


@pytest.mark.parametrize(
    "other",
    [
        {"partition": {"tenant_id": "t2"}},
        {"sort": between(T0, T0)},
        {"filter": Attr("owner") == "x"},
        {"descending": True},
    ],
    ids=["partition", "sort", "filter", "direction"],
)
def test_query_fingerprint_changes_with_what_the_query_is(other: dict[str, Any]) -> None:
    base: dict[str, Any] = {"partition": {"tenant_id": "t1"}, "index": "tenant-index"}
    changed = {**base, **other}
    partition_a, partition_b = base.pop("partition"), changed.pop("partition")
    assert (
        query_plan(Pipeline, partition_a, **base).fingerprint
        != query_plan(Pipeline, partition_b, **changed).fingerprint
    )


def test_query_fingerprint_ignores_view_and_limit() -> None:
    plain = query_plan(Pipeline, {"tenant_id": "t1"}, index="tenant-index")
    viewed = query_plan(Pipeline, {"tenant_id": "t1"}, index="tenant-index", view=PipelineName)
    assert plain.fingerprint == viewed.fingerprint


# --- scan -------------------------------------------------------------------------------------


def test_scan_request_of_one_segment(pipelines: ReadApi[Pipeline]) -> None:
    params = pipelines.explain.scan(segment=(2, 4), view=PipelineName)
    assert (params["Segment"], params["TotalSegments"]) == (2, 4)


@pytest.mark.parametrize("segment", [(4, 4), (-1, 2), (0, 0)])
def test_scan_request_with_invalid_segment_is_refused(
    pipelines: ReadApi[Pipeline], segment: tuple[int, int]
) -> None:
    with pytest.raises(ValidationError):
        pipelines.explain.scan(segment=segment)


def test_scan_fingerprint_depends_on_the_segment() -> None:
    assert (
        scan_plan(Pipeline, segment=0, segments=2).fingerprint
        != scan_plan(Pipeline, segment=1, segments=2).fingerprint
    )


def test_count_request_selects_count() -> None:
    assert scan_plan(Pipeline, count=True).params["Select"] == "COUNT"


# --- key identity ----------------------------------------------------------------------------


def test_key_identity_ignores_number_spelling() -> None:
    assert key_identity({"k": {"N": "5.0"}}, ["k"]) == key_identity({"k": {"N": "5"}}, ["k"])


def test_key_identity_distinguishes_types() -> None:
    assert key_identity({"k": {"S": "5"}}, ["k"]) != key_identity({"k": {"N": "5"}}, ["k"])
