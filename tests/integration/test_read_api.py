"""ReadApi against AWS's DynamoDB Local: every read operation, end to end.

Items are written with the codec through the gateway (or raw through boto3, for corrupt ones),
then read back with ``ReadApi``. Requests actually sent are recorded from botocore's events.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import Field

from ddbwrap import GSI, INCLUDE, KEYS_ONLY, LSI, DomainModel, KeyTemplate
from ddbwrap.codec import codec_for
from ddbwrap.errors import (
    CorruptItemError,
    InvalidCursorError,
    ItemNotFoundError,
    ValidationError,
)
from ddbwrap.expressions import Attr
from ddbwrap.gateway import TableGateway
from ddbwrap.read import (
    Get,
    ReadApi,
    View,
    begins_with,
    between,
    ge,
    lt,
    transact_get,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from ddbwrap.testing.plugin import TableFactory

pytestmark = pytest.mark.integration

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
SECRET = "integration-test-cursor-secret-0123456789"


class PipelineConfig(DomainModel):
    pipeline_id: str
    tenant_id: str
    name: str = Field(alias="Name")
    description: str = ""
    is_active: bool = True
    tags: list[str] = []
    settings: dict[str, Any] = {}
    owner: str = "ops"
    created_at: datetime
    version: int = 0

    class Meta:
        table_name = "pipeline_config"
        partition_key = "pipeline_id"
        gsis = [
            GSI("tenant-index", partition_key="tenant_id", sort_key="created_at"),
            GSI("active-index", partition_key="is_active"),
            GSI("owner-keys", partition_key="owner", projection=KEYS_ONLY),
            GSI(
                "owner-names",
                partition_key="owner",
                sort_key="created_at",
                projection=INCLUDE("name"),
            ),
        ]
        version_attribute = "version"


class PipelineSummary(View[PipelineConfig]):
    pipeline_id: str
    name: str
    is_active: bool


class PipelineName(View[PipelineConfig]):
    pipeline_id: str
    name: str


class RunLog(DomainModel):
    pipeline_id: str
    run_id: str
    status: str = "ok"
    rows: int = 0
    message: str = ""

    class Meta:
        table_name = "pipeline_run_logs"
        partition_key = "pipeline_id"
        sort_key = "run_id"
        lsis = [LSI("status-index", sort_key="status")]


class TenantUser(DomainModel):
    tenant_id: str
    user_id: str
    email: str

    class Meta:
        table_name = "tenant_users"
        partition_key = KeyTemplate("pk", "TENANT#{tenant_id}#USER#{user_id}")


class Labelled(DomainModel):
    item_id: str
    labels: set[str]

    class Meta:
        table_name = "labelled_items"
        partition_key = "item_id"


class Labels(View[Labelled]):
    item_id: str
    labels: set[str]


def pipeline(number: int, **changes: Any) -> PipelineConfig:
    values: dict[str, Any] = {
        "pipeline_id": f"p{number:03d}",
        "tenant_id": "t1",
        "Name": f"pipeline {number}",
        "description": "nightly load " * 5,
        "is_active": number % 2 == 0,
        "tags": ["etl", f"n{number}"],
        "settings": {"retries": number % 4, "window": "02:00"},
        "created_at": T0 + timedelta(hours=number),
    }
    values.update(changes)
    return PipelineConfig.model_validate(values)


def put(gateway: TableGateway, *items: DomainModel) -> None:
    requests: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        table = codec_for(type(item)).schema.table_name
        requests.setdefault(table, []).append(
            {"PutRequest": {"Item": codec_for(type(item)).encode(item)}}
        )
    gateway.batch_write(requests)


@pytest.fixture
def pipelines(ddb_tables: TableFactory) -> TableGateway:
    """The pipeline table with 20 pipelines p000..p019 of tenant t1 (even ones active)."""
    gateway = ddb_tables(PipelineConfig)
    put(gateway, *(pipeline(n) for n in range(20)))
    return gateway


@pytest.fixture
def reads(pipelines: TableGateway) -> ReadApi[PipelineConfig]:
    return ReadApi[PipelineConfig](pipelines, cursor_secret=SECRET)


@pytest.fixture
def runs(ddb_tables: TableFactory) -> ReadApi[RunLog]:
    """Run logs of pipeline p1: run ids 2024-01-01#r00 .. 2024-01-10#r09."""
    gateway = ddb_tables(RunLog)
    put(
        gateway,
        *(
            RunLog(
                pipeline_id="p1",
                run_id=f"2024-01-{day + 1:02d}#r{day:02d}",
                status="failed" if day % 3 == 0 else "ok",
                rows=day * 10,
            )
            for day in range(10)
        ),
    )
    return ReadApi[RunLog](gateway, cursor_secret=SECRET)


@pytest.fixture
def sent(ddb_client: DynamoDBClient) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every (operation, params) the client sends during the test, as botocore builds them."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, dict(params)))

    unique = f"ddbwrap-read-tests-{uuid.uuid4().hex}"
    ddb_client.meta.events.register("before-parameter-build.dynamodb", record, unique_id=unique)
    yield calls
    ddb_client.meta.events.unregister("before-parameter-build.dynamodb", unique_id=unique)


# --- get -----------------------------------------------------------------------------------


def test_get_returns_the_model_by_key_kwargs(reads: ReadApi[PipelineConfig]) -> None:
    assert reads.get(pipeline_id="p003") == pipeline(3)


def test_get_returns_none_for_a_missing_item(reads: ReadApi[PipelineConfig]) -> None:
    assert reads.get(pipeline_id="nope") is None


def test_get_accepts_a_model_instance_as_key(reads: ReadApi[PipelineConfig]) -> None:
    assert reads.get(pipeline(4)) == pipeline(4)


def test_get_consistent_sends_consistent_read(
    reads: ReadApi[PipelineConfig], sent: list[tuple[str, dict[str, Any]]]
) -> None:
    reads.get(pipeline_id="p001", consistent=True)
    assert sent[-1][0] == "GetItem"
    assert sent[-1][1]["ConsistentRead"] is True


def test_get_by_key_template_fields(ddb_tables: TableFactory) -> None:
    gateway = ddb_tables(TenantUser)
    put(gateway, TenantUser(tenant_id="acme", user_id="u1", email="a@example.com"))
    users = ReadApi[TenantUser](gateway)
    found = users.get(tenant_id="acme", user_id="u1")
    assert found is not None and found.email == "a@example.com"


def test_get_by_key_template_stores_the_rendered_key(
    ddb_tables: TableFactory, sent: list[tuple[str, dict[str, Any]]]
) -> None:
    users = ReadApi[TenantUser](ddb_tables(TenantUser))
    users.get(tenant_id="acme", user_id="u1")
    assert sent[-1][1]["Key"] == {"pk": {"S": "TENANT#acme#USER#u1"}}


def test_get_with_unknown_key_field_fails_before_sending(
    reads: ReadApi[PipelineConfig], sent: list[tuple[str, dict[str, Any]]]
) -> None:
    with pytest.raises(ValidationError) as error:
        reads.get(pipelineid="p1")
    assert (error.value.model, error.value.field) == ("PipelineConfig", "pipelineid")
    assert sent == []


def test_get_with_missing_template_field_names_it(ddb_tables: TableFactory) -> None:
    users = ReadApi[TenantUser](ddb_tables(TenantUser))
    with pytest.raises(ValidationError) as error:
        users.get(tenant_id="acme")
    assert (error.value.model, error.value.field) == ("TenantUser", "user_id")


def test_require_raises_item_not_found_naming_table_and_key(
    reads: ReadApi[PipelineConfig],
) -> None:
    with pytest.raises(ItemNotFoundError) as error:
        reads.require(pipeline_id="nope")
    assert error.value.table == "pipeline_config"
    assert error.value.key == {"pipeline_id": "nope"}


def test_require_returns_an_existing_item(reads: ReadApi[PipelineConfig]) -> None:
    assert reads.require(pipeline_id="p002").name == "pipeline 2"


# --- views ---------------------------------------------------------------------------------


def test_get_with_view_sends_a_projection_of_the_view_attributes(
    reads: ReadApi[PipelineConfig], sent: list[tuple[str, dict[str, Any]]]
) -> None:
    reads.get(pipeline_id="p001", view=PipelineSummary)
    params = sent[-1][1]
    projected = {
        params["ExpressionAttributeNames"][p.strip()]
        for p in params["ProjectionExpression"].split(",")
    }
    assert projected == {"pipeline_id", "Name", "is_active"}


def test_get_with_view_returns_only_the_view_fields(reads: ReadApi[PipelineConfig]) -> None:
    summary = reads.get(pipeline_id="p002", view=PipelineSummary)
    assert summary == PipelineSummary(pipeline_id="p002", name="pipeline 2", is_active=True)


def test_query_with_view_sends_a_projection(
    reads: ReadApi[PipelineConfig], sent: list[tuple[str, dict[str, Any]]]
) -> None:
    reads.query(index="tenant-index", tenant_id="t1", view=PipelineName)
    params = sent[-1][1]
    assert sent[-1][0] == "Query"
    projected = {
        params["ExpressionAttributeNames"][p.strip()]
        for p in params["ProjectionExpression"].split(",")
    }
    assert projected == {"pipeline_id", "Name", "tenant_id", "created_at"}


def test_query_with_view_returns_views(reads: ReadApi[PipelineConfig]) -> None:
    page = reads.query(index="tenant-index", tenant_id="t1", view=PipelineName, limit=2)
    assert page.items == (
        PipelineName(pipeline_id="p000", name="pipeline 0"),
        PipelineName(pipeline_id="p001", name="pipeline 1"),
    )


def test_view_with_a_set_field_reads_an_empty_set(ddb_tables: TableFactory) -> None:
    gateway = ddb_tables(Labelled)
    put(gateway, Labelled(item_id="i1", labels=set()))  # stored without the attribute
    reads = ReadApi[Labelled](gateway)
    assert reads.require(item_id="i1").labels == set()
    assert reads.require(item_id="i1", view=Labels) == Labels(item_id="i1", labels=set())
    assert list(reads.scan_all(view=Labels)) == [Labels(item_id="i1", labels=set())]


def test_keys_only_index_refuses_a_view_needing_other_fields(
    reads: ReadApi[PipelineConfig], sent: list[tuple[str, dict[str, Any]]]
) -> None:
    with pytest.raises(ValidationError, match=r"owner-keys.*KEYS_ONLY.*name"):
        reads.query(index="owner-keys", owner="ops", view=PipelineName)
    assert sent == []


def test_keys_only_index_refuses_the_full_model(reads: ReadApi[PipelineConfig]) -> None:
    with pytest.raises(ValidationError, match="cannot supply PipelineConfig"):
        reads.query(index="owner-keys", owner="ops")


def test_include_index_serves_a_view_of_included_fields(reads: ReadApi[PipelineConfig]) -> None:
    page = reads.query(index="owner-names", owner="ops", view=PipelineName, limit=1)
    assert page.items == (PipelineName(pipeline_id="p000", name="pipeline 0"),)


def test_keys_only_index_with_fetch_full_reads_full_items(
    reads: ReadApi[PipelineConfig],
) -> None:
    found = reads.query(index="owner-keys", owner="ops", fetch_full=True)
    assert sorted(p.pipeline_id for p in found) == [f"p{n:03d}" for n in range(20)]
    assert all(p == pipeline(int(p.pipeline_id[1:])) for p in found)


def test_view_of_another_model_is_refused(runs: ReadApi[RunLog]) -> None:
    with pytest.raises(ValidationError, match="view of PipelineConfig"):
        runs.get(pipeline_id="p1", run_id="x", view=PipelineName)


# --- batch and transactional get -------------------------------------------------------------


def test_batch_get_of_250_keys_with_duplicates_and_missing_keeps_request_order(
    pipelines: TableGateway,
) -> None:
    put(pipelines, *(pipeline(n) for n in range(20, 200)))
    reads = ReadApi[PipelineConfig](pipelines)
    numbers = [(n * 37) % 230 for n in range(240)] + [5] * 10  # 230 distinct, 30 missing
    result = reads.batch_get([{"pipeline_id": f"p{n:03d}"} for n in numbers])
    assert [r.pipeline_id if r else None for r in result.results] == [
        f"p{n:03d}" if n < 200 else None for n in numbers
    ]
    distinct = list(dict.fromkeys(numbers))
    assert [p.pipeline_id for p in result.items] == [f"p{n:03d}" for n in distinct if n < 200]
    assert list(result.missing) == [{"pipeline_id": f"p{n:03d}"} for n in distinct if n >= 200]


def test_batch_get_sends_each_key_once(
    reads: ReadApi[PipelineConfig], sent: list[tuple[str, dict[str, Any]]]
) -> None:
    reads.batch_get([{"pipeline_id": "p001"}, {"pipeline_id": "p001"}, pipeline(2)])
    ((operation, params),) = sent
    assert operation == "BatchGetItem"
    (spec,) = params["RequestItems"].values()
    assert spec["Keys"] == [{"pipeline_id": {"S": "p001"}}, {"pipeline_id": {"S": "p002"}}]


def test_batch_get_with_view_projects_and_decodes_views(
    reads: ReadApi[PipelineConfig],
) -> None:
    result = reads.batch_get([{"pipeline_id": "p003"}], view=PipelineName)
    assert result.items == (PipelineName(pipeline_id="p003", name="pipeline 3"),)


def test_transact_get_returns_items_in_key_order_with_missing(
    reads: ReadApi[PipelineConfig],
) -> None:
    result = reads.transact_get(
        [{"pipeline_id": "p004"}, {"pipeline_id": "zzz"}, {"pipeline_id": "p004"}]
    )
    assert result.results == (pipeline(4), None, pipeline(4))
    assert list(result.missing) == [{"pipeline_id": "zzz"}]


def test_transact_get_over_100_keys_fails_before_sending(
    reads: ReadApi[PipelineConfig], sent: list[tuple[str, dict[str, Any]]]
) -> None:
    with pytest.raises(ValidationError, match="at most 100"):
        reads.transact_get([{"pipeline_id": f"x{n}"} for n in range(101)])
    assert sent == []


def test_transact_get_across_models_reads_one_snapshot(
    ddb_tables: TableFactory,
) -> None:
    gateway = ddb_tables(PipelineConfig, RunLog)
    put(gateway, pipeline(1), RunLog(pipeline_id="p001", run_id="r1", rows=5))
    config = Get(PipelineConfig, view=PipelineName, pipeline_id="p001")
    log = Get(RunLog, pipeline_id="p001", run_id="r1")
    absent = Get(RunLog, pipeline_id="p001", run_id="r2")
    snapshot = transact_get(gateway, [config, log, absent])
    assert snapshot[config] == PipelineName(pipeline_id="p001", name="pipeline 1")
    assert snapshot.require(log).rows == 5
    assert snapshot[absent] is None


# --- corrupt items ----------------------------------------------------------------------------


@pytest.fixture
def corrupt_pipeline(pipelines: TableGateway, ddb_client: DynamoDBClient) -> str:
    """p007 rewritten by 'another service' with a non-boolean is_active and no created_at."""
    ddb_client.put_item(
        TableName=pipelines.physical_table_name("pipeline_config"),
        Item={
            "pipeline_id": {"S": "p007"},
            "tenant_id": {"S": "t1"},
            "Name": {"S": "broken"},
            "is_active": {"S": "maybe"},
        },
    )
    return "p007"


def test_corrupt_item_raises_with_table_key_and_fields(
    reads: ReadApi[PipelineConfig], corrupt_pipeline: str
) -> None:
    with pytest.raises(CorruptItemError) as error:
        reads.get(pipeline_id=corrupt_pipeline)
    assert error.value.key == {"pipeline_id": "p007"}
    assert error.value.table == "pipeline_config"
    assert {e["loc"][0] for e in error.value.errors} == {"is_active", "created_at"}


def test_corrupt_item_is_skipped_and_reported_on_the_page(
    reads: ReadApi[PipelineConfig], corrupt_pipeline: str
) -> None:
    page = reads.scan(on_corrupt="skip")
    assert len(page.items) == 19
    (error,) = page.corrupt
    assert error.key == {"pipeline_id": corrupt_pipeline}


def test_corrupt_item_in_a_query_raises_by_default(
    reads: ReadApi[PipelineConfig], corrupt_pipeline: str
) -> None:
    with pytest.raises(CorruptItemError, match="p007"):
        reads.scan()


def test_corrupt_item_in_a_batch_is_reported(
    reads: ReadApi[PipelineConfig], corrupt_pipeline: str
) -> None:
    result = reads.batch_get(
        [{"pipeline_id": "p006"}, {"pipeline_id": corrupt_pipeline}], on_corrupt="skip"
    )
    assert [p.pipeline_id for p in result.items] == ["p006"]
    assert [e.key for e in result.corrupt] == [{"pipeline_id": "p007"}]


def test_on_corrupt_callback_receives_the_error(
    reads: ReadApi[PipelineConfig], corrupt_pipeline: str
) -> None:
    seen: list[CorruptItemError] = []
    items = list(reads.scan_all(on_corrupt=seen.append))
    assert len(items) == 19
    assert [e.key for e in seen] == [{"pipeline_id": corrupt_pipeline}]


# --- queries ---------------------------------------------------------------------------------


def test_query_on_bool_gsi_key_matches_items_stored_as_true(
    reads: ReadApi[PipelineConfig], sent: list[tuple[str, dict[str, Any]]]
) -> None:
    page = reads.query(index="active-index", is_active=True)
    assert sorted(p.pipeline_id for p in page) == [f"p{n:03d}" for n in range(0, 20, 2)]
    assert {"S": "true"} in sent[-1][1]["ExpressionAttributeValues"].values()


def test_consistent_query_on_a_gsi_is_refused(
    reads: ReadApi[PipelineConfig], sent: list[tuple[str, dict[str, Any]]]
) -> None:
    with pytest.raises(ValidationError, match="GSIs are eventually consistent"):
        reads.query(index="tenant-index", tenant_id="t1", consistent=True)
    assert sent == []


def test_consistent_query_on_an_lsi_is_allowed(runs: ReadApi[RunLog]) -> None:
    page = runs.query(index="status-index", pipeline_id="p1", sort="failed", consistent=True)
    assert sorted(r.run_id[-3:] for r in page) == ["r00", "r03", "r06", "r09"]


def test_query_of_an_undeclared_index_fails_before_sending(
    reads: ReadApi[PipelineConfig], sent: list[tuple[str, dict[str, Any]]]
) -> None:
    with pytest.raises(ValidationError, match="no index named 'by-name'"):
        reads.query(index="by-name", name="x")
    assert sent == []


def test_query_key_value_of_wrong_type_fails_before_sending(
    reads: ReadApi[PipelineConfig], sent: list[tuple[str, dict[str, Any]]]
) -> None:
    with pytest.raises(ValidationError) as error:
        reads.query(index="tenant-index", tenant_id=42)
    assert error.value.field == "tenant_id"
    assert sent == []


def test_query_descending_returns_newest_first(reads: ReadApi[PipelineConfig]) -> None:
    page = reads.query(index="tenant-index", tenant_id="t1", descending=True, limit=3)
    assert [p.pipeline_id for p in page] == ["p019", "p018", "p017"]


def test_query_sort_key_begins_with(runs: ReadApi[RunLog]) -> None:
    page = runs.query(pipeline_id="p1", sort=begins_with("2024-01-0"))
    assert len(page.items) == 9


def test_query_sort_key_between_includes_both_bounds(runs: ReadApi[RunLog]) -> None:
    page = runs.query(pipeline_id="p1", sort=between("2024-01-03", "2024-01-05~"))
    assert [r.run_id for r in page] == ["2024-01-03#r02", "2024-01-04#r03", "2024-01-05#r04"]


def test_query_datetime_sort_key_comparison(reads: ReadApi[PipelineConfig]) -> None:
    page = reads.query(index="tenant-index", tenant_id="t1", sort=ge(T0 + timedelta(hours=17)))
    assert [p.pipeline_id for p in page] == ["p017", "p018", "p019"]


def test_query_with_filter(runs: ReadApi[RunLog]) -> None:
    page = runs.query(pipeline_id="p1", filter=Attr("status") == "failed")
    assert [r.rows for r in page] == [0, 30, 60, 90]


def test_filtered_query_with_limit_returns_exactly_limit_items(
    reads: ReadApi[PipelineConfig], sent: list[tuple[str, dict[str, Any]]]
) -> None:
    page = reads.query(
        index="tenant-index",
        tenant_id="t1",
        filter=Attr("settings.retries") == 3,
        limit=4,
        page_size=3,
    )
    assert [p.pipeline_id for p in page] == ["p003", "p007", "p011", "p015"]
    assert len(sent) > 1  # short pages were followed


def test_filtered_query_cursor_resumes_after_the_last_returned_item(
    reads: ReadApi[PipelineConfig],
) -> None:
    active = Attr("is_active").eq(True)
    first = reads.query(index="tenant-index", tenant_id="t1", filter=active, limit=3)
    second = reads.query(
        index="tenant-index", tenant_id="t1", filter=active, limit=3, cursor=first.cursor
    )
    assert [p.pipeline_id for p in first] == ["p000", "p002", "p004"]
    assert [p.pipeline_id for p in second] == ["p006", "p008", "p010"]


def test_query_limit_pages_cover_the_partition_exactly_once(runs: ReadApi[RunLog]) -> None:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = runs.query(pipeline_id="p1", limit=3, cursor=cursor)
        seen += [r.run_id for r in page]
        cursor = page.cursor
        if cursor is None:
            break
    assert seen == sorted(f"2024-01-{d + 1:02d}#r{d:02d}" for d in range(10))


def test_page_reports_scanned_count_and_capacity(runs: ReadApi[RunLog]) -> None:
    page = runs.query(pipeline_id="p1", filter=Attr("status") == "failed", capacity=True)
    assert (len(page.items), page.scanned_count) == (4, 10)
    assert page.capacity_units is not None and page.capacity_units > 0


def test_count_of_a_query(runs: ReadApi[RunLog]) -> None:
    assert runs.count(pipeline_id="p1", sort=lt("2024-01-04")) == 3


def test_count_of_a_filtered_scan(reads: ReadApi[PipelineConfig]) -> None:
    assert reads.scan_count(filter=Attr("is_active").eq(False), segments=3) == 10


# --- cursors ---------------------------------------------------------------------------------


def test_tampered_cursor_is_refused(reads: ReadApi[PipelineConfig]) -> None:
    page = reads.query(index="tenant-index", tenant_id="t1", limit=5)
    assert page.cursor is not None
    raw = bytearray(base64.urlsafe_b64decode(page.cursor + "=" * (-len(page.cursor) % 4)))
    raw[-5] ^= 0x01
    forged = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(InvalidCursorError, match="signature"):
        reads.query(index="tenant-index", tenant_id="t1", limit=5, cursor=forged)


def test_cursor_from_another_partition_is_refused(runs: ReadApi[RunLog]) -> None:
    page = runs.query(pipeline_id="p1", limit=2)
    assert page.cursor is not None
    with pytest.raises(InvalidCursorError, match="another query"):
        runs.query(pipeline_id="p2", limit=2, cursor=page.cursor)


def test_cursor_from_another_index_is_refused(reads: ReadApi[PipelineConfig]) -> None:
    page = reads.query(index="tenant-index", tenant_id="t1", limit=2)
    with pytest.raises(InvalidCursorError):
        reads.query(
            index="owner-names", owner="ops", view=PipelineName, limit=2, cursor=page.cursor
        )


def test_cursor_survives_a_new_read_api_with_the_same_secret(
    pipelines: TableGateway,
) -> None:
    first = ReadApi[PipelineConfig](pipelines, cursor_secret=SECRET).query(
        index="tenant-index", tenant_id="t1", limit=10
    )
    again = ReadApi[PipelineConfig](pipelines, cursor_secret=SECRET).query(
        index="tenant-index", tenant_id="t1", limit=10, cursor=first.cursor
    )
    assert [p.pipeline_id for p in again] == [f"p{n:03d}" for n in range(10, 20)]


def test_cursor_signed_with_another_secret_is_refused(pipelines: TableGateway) -> None:
    page = ReadApi[PipelineConfig](pipelines, cursor_secret=SECRET).query(
        index="tenant-index", tenant_id="t1", limit=2
    )
    other = ReadApi[PipelineConfig](pipelines, cursor_secret="another-secret-0123456789abcdef")
    with pytest.raises(InvalidCursorError, match="signature"):
        other.query(index="tenant-index", tenant_id="t1", limit=2, cursor=page.cursor)


# --- more than 1 MB -----------------------------------------------------------------------------


@pytest.fixture
def big_partition(ddb_tables: TableFactory) -> ReadApi[RunLog]:
    """300 runs of ~9 KB each (about 2.7 MB) in one partition: several 1 MB pages."""
    gateway = ddb_tables(RunLog)
    put(
        gateway,
        *(
            RunLog(pipeline_id="big", run_id=f"r{n:04d}", message=f"{n:04d}" * 2250)
            for n in range(300)
        ),
    )
    return ReadApi[RunLog](gateway, cursor_secret=SECRET)


def test_pagination_over_more_than_1mb_resumes_exactly(big_partition: ReadApi[RunLog]) -> None:
    seen: list[str] = []
    pages = 0
    cursor: str | None = None
    while True:
        page = big_partition.query(pipeline_id="big", cursor=cursor)
        pages += 1
        seen += [r.run_id for r in page]
        cursor = page.cursor
        if cursor is None:
            break
    assert pages >= 3
    assert seen == [f"r{n:04d}" for n in range(300)]


def test_query_all_streams_every_item_of_a_large_partition(
    big_partition: ReadApi[RunLog],
) -> None:
    ids = [r.run_id for r in big_partition.query_all(pipeline_id="big", view=None)]
    assert ids == [f"r{n:04d}" for n in range(300)]


# --- scans ------------------------------------------------------------------------------------


def test_scan_pages_with_limit_cover_the_table_once(reads: ReadApi[PipelineConfig]) -> None:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = reads.scan(limit=6, cursor=cursor, view=PipelineName)
        seen += [p.pipeline_id for p in page]
        cursor = page.cursor
        if cursor is None:
            break
    assert sorted(seen) == [f"p{n:03d}" for n in range(20)]
    assert len(seen) == 20


def test_parallel_scan_uses_every_segment(
    reads: ReadApi[PipelineConfig], sent: list[tuple[str, dict[str, Any]]]
) -> None:
    items = list(reads.scan_all(segments=4, view=PipelineName))
    assert sorted(p.pipeline_id for p in items) == [f"p{n:03d}" for n in range(20)]
    assert sorted(p["Segment"] for op, p in sent if op == "Scan") == [0, 1, 2, 3]


def test_parallel_scan_can_be_abandoned_early(reads: ReadApi[PipelineConfig]) -> None:
    stream = reads.scan_all(segments=3, page_size=2)
    first = next(stream)
    stream.close()  # type: ignore[attr-defined]
    assert isinstance(first, PipelineConfig)


def test_query_all_fetches_pages_only_as_items_are_used(
    runs: ReadApi[RunLog], sent: list[tuple[str, dict[str, Any]]]
) -> None:
    stream = runs.query_all(pipeline_id="p1", page_size=4)
    assert sent == []
    assert next(stream).run_id == "2024-01-01#r00"
    assert len(sent) == 1
    assert len(list(stream)) == 9
    assert len(sent) == 3


def test_fetch_full_pages_resume_with_the_cursor(reads: ReadApi[PipelineConfig]) -> None:
    first = reads.query(index="owner-keys", owner="ops", fetch_full=True, limit=7)
    rest = reads.query(index="owner-keys", owner="ops", fetch_full=True, cursor=first.cursor)
    ids = [p.pipeline_id for p in first] + [p.pipeline_id for p in rest]
    assert len(first.items) == 7
    assert sorted(ids) == [f"p{n:03d}" for n in range(20)]


def test_read_logs_carry_no_item_values(
    reads: ReadApi[PipelineConfig], corrupt_pipeline: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="ddbwrap.read")
    reads.get(pipeline_id="p003")
    reads.query(index="tenant-index", tenant_id="t1", limit=3)
    reads.batch_get([{"pipeline_id": "p005"}])
    reads.scan(on_corrupt="skip")
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "ddbwrap.read")
    assert "skipped a corrupt item" in text
    for value in ("p003", "p005", "t1", corrupt_pipeline, "pipeline 3", "maybe", "broken"):
        assert value not in text
