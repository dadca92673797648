"""Items written through V1 read back identically through V2, and the other way round, on
DynamoDB Local: datetimes, booleans (GSI keys too), numbers, optional fields, nested data,
sets and aliases; and V1 writes keep a V2 model's versions right."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pydantic.v1 as pydantic_v1
import pytest
from pydantic import BaseModel, Field

from ddbwrap import GSI, DomainModel, TableGateway
from ddbwrap.read import ReadApi
from ddbwrap.v1 import BaseRepository, to_domain_model
from ddbwrap.write import UpdateDTO, WriteApi

UTC = timezone.utc
T0 = datetime(2026, 11, 22, 9, 30, 15, 123456, tzinfo=UTC)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


# -- the same item, in V2 and in V1 ---------------------------------------------------------


class Schedule(BaseModel):
    cron: str
    timezone_name: str = Field("UTC", alias="TimeZone")


class Pipeline(DomainModel):
    pipeline_id: str
    tenant_id: str
    name: str = Field(alias="Name")
    is_active: bool = True
    created_at: datetime
    retries: int = 3
    cost: Decimal = Decimal("0")
    ratio: float = 0.5
    description: str | None = None
    tags: set[str] = set()
    schedule: Schedule | None = None
    settings: dict[str, Any] = {}

    class Meta:
        table_name = "xv_pipelines"
        partition_key = "pipeline_id"
        gsis = [
            GSI("tenant-index", partition_key="tenant_id", sort_key="created_at"),
            GSI("active-index", partition_key="is_active"),
        ]
        store_none = True  # V1 stored None as NULL (and still does): the V2 twin does too


class V1Schedule(BaseModel):
    cron: str
    timezone_name: str = Field("UTC", alias="TimeZone")


class V1Pipeline(BaseModel):
    """The V1 model of the same item: a pydantic v2 model in the v1 style."""

    pipeline_id: str
    tenant_id: str
    name: str = Field(alias="Name")
    is_active: bool = True
    created_at: datetime
    retries: int = 3
    cost: Decimal = Decimal("0")
    ratio: float = 0.5
    description: str | None = None
    tags: set[str] = set()
    schedule: V1Schedule | None = None
    settings: dict[str, Any] = {}

    class Config:
        populate_by_name = True


class PipelineRepository(BaseRepository[V1Pipeline]):
    table_name = "xv_pipelines"
    hash_key = "pipeline_id"
    indexes = {"tenant-index": ("tenant_id", "created_at"), "active-index": "is_active"}


class PydanticV1Schedule(pydantic_v1.BaseModel):
    cron: str
    timezone_name: str = pydantic_v1.Field("UTC", alias="TimeZone")

    class Config:
        allow_population_by_field_name = True


class PydanticV1Pipeline(pydantic_v1.BaseModel):
    """The same item as a ``pydantic.v1`` model."""

    pipeline_id: str
    tenant_id: str
    name: str = pydantic_v1.Field(alias="Name")
    is_active: bool = True
    created_at: datetime
    retries: int = 3
    cost: Decimal = Decimal("0")
    ratio: float = 0.5
    description: str | None = None
    tags: set[str] = set()
    schedule: PydanticV1Schedule | None = None
    settings: dict[str, Any] = {}

    class Config:
        allow_population_by_field_name = True


class PydanticV1Repository(BaseRepository[PydanticV1Pipeline]):
    table_name = "xv_pipelines"
    hash_key = "pipeline_id"
    indexes = {"tenant-index": ("tenant_id", "created_at"), "active-index": "is_active"}


VALUES: dict[str, Any] = {
    "tenant_id": "t1",
    "name": "nightly",
    "is_active": False,
    "created_at": T0,
    "retries": 7,
    "cost": Decimal("12345678901234567890.123456789"),
    "ratio": 0.1,
    "description": None,
    "tags": {"etl", "gold"},
    "schedule": {"cron": "0 3 * * *", "TimeZone": "Europe/Paris"},
    "settings": {"depth": 3, "nested": {"flag": True, "items": [1, "two", None]}},
}


def plain(model: Any) -> dict[str, Any]:
    """Field values of a V1 or V2 model, nested models as dicts by field name."""
    if isinstance(model, pydantic_v1.BaseModel):
        return model.dict()
    data: dict[str, Any] = model.model_dump()
    return data


@pytest.fixture
def gateway(ddb_tables: Any) -> TableGateway:
    gateway: TableGateway = ddb_tables(Pipeline)
    return gateway


@pytest.fixture
def reads(gateway: TableGateway) -> ReadApi[Pipeline]:
    return ReadApi[Pipeline](gateway)


@pytest.fixture
def writes(gateway: TableGateway) -> WriteApi[Pipeline]:
    return WriteApi[Pipeline](gateway)


def raw_item(gateway: TableGateway, pipeline_id: str) -> dict[str, Any]:
    response = gateway.get_item(
        {"TableName": "xv_pipelines", "Key": {"pipeline_id": {"S": pipeline_id}}}
    )
    item: dict[str, Any] = response["Item"]
    return item


# -- V1 -> V2 -------------------------------------------------------------------------------


def test_the_derived_model_declares_what_the_v2_model_declares() -> None:
    derived = to_domain_model(PipelineRepository).__ddb_schema__
    declared = Pipeline.__ddb_schema__
    assert derived is not None and declared is not None
    assert derived.create_table_params() == declared.create_table_params()


def test_an_item_written_by_v1_reads_back_identically_through_v2(
    gateway: TableGateway, reads: ReadApi[Pipeline]
) -> None:
    written = PipelineRepository(gateway).create(V1Pipeline(pipeline_id="p1", **VALUES))
    found = reads.get(pipeline_id="p1")
    assert found is not None
    assert plain(found) == plain(written)
    assert found.created_at == T0 and found.cost == VALUES["cost"]


def test_an_item_written_by_a_pydantic_v1_model_reads_back_through_v2(
    gateway: TableGateway, reads: ReadApi[Pipeline]
) -> None:
    PydanticV1Repository(gateway).create(PydanticV1Pipeline(pipeline_id="p1", **VALUES))
    found = reads.get(pipeline_id="p1")
    assert found is not None
    assert plain(found) == plain(Pipeline(pipeline_id="p1", **VALUES))


def test_v1_and_v2_store_the_same_raw_item(
    gateway: TableGateway, writes: WriteApi[Pipeline]
) -> None:
    PipelineRepository(gateway).create(V1Pipeline(pipeline_id="p1", **VALUES))
    PydanticV1Repository(gateway).create(PydanticV1Pipeline(pipeline_id="p2", **VALUES))
    writes.create(Pipeline(pipeline_id="p3", **VALUES))
    items = [raw_item(gateway, p) for p in ("p1", "p2", "p3")]
    for item in items:
        del item["pipeline_id"]
    assert items[0] == items[1] == items[2]
    assert items[0]["is_active"] == {"S": "false"}  # a GSI key: stored as text
    assert items[0]["created_at"] == {"S": "2026-11-22T09:30:15.123456Z"}
    assert items[0]["Name"] == {"S": "nightly"}
    assert items[0]["description"] == {"NULL": True}


def test_a_v2_model_without_store_none_omits_none_where_v1_stores_null(
    gateway: TableGateway,
) -> None:
    class Plain(Pipeline):
        class Meta(Pipeline.Meta):
            store_none = False

    PipelineRepository(gateway).create(V1Pipeline(pipeline_id="p1", **VALUES))
    WriteApi[Plain](gateway).create(Plain(pipeline_id="p2", **VALUES))
    assert raw_item(gateway, "p1")["description"] == {"NULL": True}  # V1: unchanged
    assert "description" not in raw_item(gateway, "p2")  # V2's default: omitted
    found = ReadApi[Plain](gateway).get(pipeline_id="p1")
    assert found is not None and found.description is None  # NULL and missing read alike


def test_a_v2_query_on_the_boolean_gsi_finds_items_written_by_v1(
    gateway: TableGateway, reads: ReadApi[Pipeline]
) -> None:
    repo = PipelineRepository(gateway)
    repo.create(V1Pipeline(pipeline_id="on", **{**VALUES, "is_active": True}))
    repo.create(V1Pipeline(pipeline_id="off", **VALUES))
    found = reads.query(index="active-index", is_active=True)
    assert [p.pipeline_id for p in found] == ["on"]


def test_a_v1_update_reads_back_through_v2(gateway: TableGateway, reads: ReadApi[Pipeline]) -> None:
    repo = PipelineRepository(gateway)
    repo.create(V1Pipeline(pipeline_id="p1", **VALUES))
    repo.update("p1", {"is_active": True, "description": "changed", "retries": 0})
    found = reads.get(pipeline_id="p1")
    assert found is not None
    assert (found.is_active, found.description, found.retries) == (True, "changed", 0)
    assert [p.pipeline_id for p in reads.query(index="active-index", is_active=True)] == ["p1"]


# -- V2 -> V1 -------------------------------------------------------------------------------


def test_an_item_written_by_v2_reads_back_identically_through_v1(
    gateway: TableGateway, writes: WriteApi[Pipeline]
) -> None:
    written = writes.create(Pipeline(pipeline_id="p1", **VALUES))
    found = PipelineRepository(gateway).get("p1")
    assert isinstance(found, V1Pipeline)
    assert plain(found) == plain(written)


def test_an_item_written_by_v2_reads_back_through_a_pydantic_v1_model(
    gateway: TableGateway, writes: WriteApi[Pipeline]
) -> None:
    writes.create(Pipeline(pipeline_id="p1", **VALUES))
    found = PydanticV1Repository(gateway).get("p1")
    assert isinstance(found, PydanticV1Pipeline)
    assert plain(found) == plain(PydanticV1Pipeline(pipeline_id="p1", **VALUES))


def test_a_v1_list_on_the_gsis_finds_items_written_by_v2(
    gateway: TableGateway, writes: WriteApi[Pipeline]
) -> None:
    for number in range(3):
        values = {**VALUES, "is_active": number != 1, "created_at": T0 + timedelta(days=number)}
        writes.create(Pipeline(pipeline_id=f"p{number}", **values))
    repo = PipelineRepository(gateway)
    assert [p.pipeline_id for p in repo.list("t1", index_name="tenant-index")] == [
        "p0",
        "p1",
        "p2",
    ]
    assert [p.pipeline_id for p in repo.list(False, index_name="active-index")] == ["p1"]


class Rename(UpdateDTO[Pipeline]):
    name: str
    tags: set[str]


def test_a_v2_update_reads_back_through_v1(
    gateway: TableGateway, writes: WriteApi[Pipeline]
) -> None:
    writes.create(Pipeline(pipeline_id="p1", **VALUES))
    writes.update({"pipeline_id": "p1"}, Rename(name="renamed", tags=set()))
    found = PipelineRepository(gateway).get("p1")
    assert found is not None
    assert (found.name, found.tags) == ("renamed", set())


# -- versions -------------------------------------------------------------------------------


class VersionedPipeline(DomainModel):
    pipeline_id: str
    name: str
    version: int = 0

    class Meta:
        table_name = "xv_versioned"
        partition_key = "pipeline_id"
        version_attribute = "version"


class V1Named(BaseModel):
    pipeline_id: str
    name: str


class VersionedRepository(BaseRepository[V1Named]):
    table_name = "xv_versioned"
    hash_key = "pipeline_id"
    domain_model = VersionedPipeline


class RenameVersioned(UpdateDTO[VersionedPipeline]):
    name: str


def test_v1_writes_through_a_versioned_v2_model_bump_the_version(ddb_tables: Any) -> None:
    gateway = ddb_tables(VersionedPipeline)
    repo = VersionedRepository(gateway)
    reads, writes = ReadApi[VersionedPipeline](gateway), WriteApi[VersionedPipeline](gateway)
    repo.create(V1Named(pipeline_id="p1", name="a"))
    repo.update(V1Named(pipeline_id="p1", name="b"))
    repo.update("p1", {"name": "c"})
    found = reads.get(pipeline_id="p1")
    assert found is not None and (found.name, found.version) == ("c", 3)
    updated = writes.update(found, RenameVersioned(name="d"))  # V2 locking still holds
    assert updated.version == 4
    assert repo.delete("p1") is True
