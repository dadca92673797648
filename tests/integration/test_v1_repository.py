"""The V1 repository API (``ddbwrap.v1.BaseRepository``) against DynamoDB Local: CRUD,
listing, timezone handling and V1 errors, with v1-style pydantic v2 models and
``pydantic.v1`` models."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pydantic
import pydantic.v1 as pydantic_v1
import pytest
from pydantic import BaseModel

from ddbwrap import (
    AlreadyExistsError,
    CorruptItemError,
    DdbwrapError,
    ItemNotFoundError,
    TableGateway,
    TableNotFoundError,
    ValidationError,
    begins_with,
    between,
)
from ddbwrap.v1 import (
    BaseRepository,
    DynamoDBWrapperError,
    ItemAlreadyExistsException,
    ItemNotFoundException,
    ValidationException,
    to_domain_model,
    to_user_timezone,
)

UTC = timezone.utc
T0 = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Pipeline(BaseModel):
    """A pydantic v2 model written in the v1 style."""

    pipeline_id: str
    tenant_id: str
    name: str
    is_active: bool = True
    tags: list[str] = []
    created_at: datetime
    description: str | None = None

    class Config:
        validate_assignment = True


class PipelineRepository(BaseRepository[Pipeline]):
    table_name = "v1_pipelines"
    hash_key = "pipeline_id"
    range_key = None
    model_class = Pipeline
    indexes = {"tenant-index": ("tenant_id", "created_at"), "active-index": "is_active"}


class Step(pydantic_v1.BaseModel):
    name: str
    duration_ms: int = 0


class Run(pydantic_v1.BaseModel):
    """A pydantic.v1 model with a range key, nested models and a validator."""

    pipeline_id: str
    run_id: str
    status: str = "running"
    started_at: datetime
    cost: Decimal = Decimal("0")
    steps: list[Step] = []

    @pydantic_v1.validator("status")
    def known_status(cls, value: str) -> str:  # noqa: N805
        if value not in ("running", "succeeded", "failed"):
            raise ValueError(f"unknown status {value!r}")
        return value


class RunRepository(BaseRepository[Run]):
    table_name = "v1_runs"
    hash_key = "pipeline_id"
    range_key = "run_id"


@pytest.fixture
def gateway(ddb_tables: Any) -> TableGateway:
    gateway: TableGateway = ddb_tables(
        to_domain_model(PipelineRepository), to_domain_model(RunRepository)
    )
    return gateway


@pytest.fixture
def pipelines(gateway: TableGateway) -> PipelineRepository:
    return PipelineRepository(gateway)


@pytest.fixture
def runs(gateway: TableGateway) -> RunRepository:
    return RunRepository(gateway)


def pipeline(pipeline_id: str = "p1", **changes: Any) -> Pipeline:
    values: dict[str, Any] = {
        "pipeline_id": pipeline_id,
        "tenant_id": "t1",
        "name": f"pipeline {pipeline_id}",
        "tags": ["etl"],
        "created_at": T0,
    }
    return Pipeline(**{**values, **changes})


def run(run_id: str, minutes: int = 0, **changes: Any) -> Run:
    values: dict[str, Any] = {
        "pipeline_id": "p1",
        "run_id": run_id,
        "started_at": T0 + timedelta(minutes=minutes),
        "cost": Decimal("0.25"),
        "steps": [Step(name="extract", duration_ms=120)],
    }
    return Run(**{**values, **changes})


# -- get / create -----------------------------------------------------------------------------


def test_create_then_get_returns_an_equal_item(pipelines: PipelineRepository) -> None:
    created = pipelines.create(pipeline("p1", description="nightly"))
    assert created == pipeline("p1", description="nightly")
    assert pipelines.get("p1") == created


def test_get_of_a_missing_item_returns_none(pipelines: PipelineRepository) -> None:
    assert pipelines.get("nope") is None


def test_get_takes_the_range_key_as_second_argument(runs: RunRepository) -> None:
    runs.create(run("r1"))
    found = runs.get("p1", "r1")
    assert found is not None and found.run_id == "r1"


def test_get_without_the_range_key_of_a_composite_table_raises_validation_exception(
    runs: RunRepository,
) -> None:
    with pytest.raises(ValidationException, match="range key"):
        runs.get("p1")


def test_create_of_an_existing_key_raises_item_already_exists_exception(
    pipelines: PipelineRepository,
) -> None:
    pipelines.create(pipeline("p1"))
    with pytest.raises(ItemAlreadyExistsException) as caught:
        pipelines.create(pipeline("p1", name="other"))
    assert isinstance(caught.value, AlreadyExistsError)
    assert isinstance(caught.value, DynamoDBWrapperError)
    assert pipelines.get("p1") == pipeline("p1")


def test_pydantic_v1_models_round_trip_with_nested_models(runs: RunRepository) -> None:
    runs.create(run("r1", steps=[Step(name="load", duration_ms=7)]))
    found = runs.get("p1", "r1")
    assert isinstance(found, Run)
    assert found.steps == [Step(name="load", duration_ms=7)]
    assert found.cost == Decimal("0.25")
    assert found.dict()["started_at"] == T0


def test_v1_style_dict_calls_work_on_results_with_a_deprecation_warning(
    pipelines: PipelineRepository,
) -> None:
    pipelines.create(pipeline("p1"))
    found = pipelines.get("p1")
    assert found is not None
    with pytest.warns(pydantic.PydanticDeprecatedSince20):
        data = found.dict()
    assert data["tags"] == ["etl"]


# -- update / delete --------------------------------------------------------------------------


def test_update_of_an_item_writes_every_field(pipelines: PipelineRepository) -> None:
    pipelines.create(pipeline("p1"))
    changed = pipeline("p1", name="renamed", is_active=False, tags=[])
    assert pipelines.update(changed) == changed
    assert pipelines.get("p1") == changed


def test_update_of_a_key_with_changes_writes_only_those_fields(
    pipelines: PipelineRepository,
) -> None:
    pipelines.create(pipeline("p1", description="keep me"))
    updated = pipelines.update("p1", {"name": "renamed"})
    assert updated.name == "renamed"
    assert updated.description == "keep me"
    assert pipelines.get("p1") == updated


def test_update_with_a_range_key_takes_a_tuple(runs: RunRepository) -> None:
    runs.create(run("r1"))
    updated = runs.update(("p1", "r1"), {"status": "succeeded"})
    assert updated.status == "succeeded"


def test_update_of_a_missing_item_raises_item_not_found_exception(
    pipelines: PipelineRepository,
) -> None:
    with pytest.raises(ItemNotFoundException) as caught:
        pipelines.update("nope", {"name": "x"})
    assert isinstance(caught.value, ItemNotFoundError)
    with pytest.raises(ItemNotFoundException):
        pipelines.update(pipeline("nope"))
    assert pipelines.get("nope") is None


def test_update_keeps_attributes_another_service_wrote(
    pipelines: PipelineRepository, gateway: TableGateway
) -> None:
    pipelines.create(pipeline("p1"))
    gateway.update_item(
        {
            "TableName": "v1_pipelines",
            "Key": {"pipeline_id": {"S": "p1"}},
            "UpdateExpression": "SET #o = :o",
            "ExpressionAttributeNames": {"#o": "OwnerDotNet"},
            "ExpressionAttributeValues": {":o": {"S": "svc"}},
        }
    )
    pipelines.update(pipeline("p1", name="renamed"))
    raw = gateway.get_item({"TableName": "v1_pipelines", "Key": {"pipeline_id": {"S": "p1"}}})
    assert raw["Item"]["OwnerDotNet"] == {"S": "svc"}
    assert raw["Item"]["name"] == {"S": "renamed"}


def test_delete_returns_whether_there_was_an_item(pipelines: PipelineRepository) -> None:
    pipelines.create(pipeline("p1"))
    assert pipelines.delete("p1") is True
    assert pipelines.get("p1") is None
    assert pipelines.delete("p1") is False


def test_delete_takes_an_item(runs: RunRepository) -> None:
    item = runs.create(run("r1"))
    assert runs.delete(item) is True
    assert runs.get("p1", "r1") is None


# -- listing ----------------------------------------------------------------------------------


@pytest.fixture
def three_runs(runs: RunRepository) -> Iterator[RunRepository]:
    for run_id, minutes in (("2026-11-22#b", 2), ("2026-11-22#a", 1), ("2026-11-23#c", 3)):
        runs.create(run(run_id, minutes))
    runs.create(run("other", pipeline_id="p2"))
    yield runs


def test_list_queries_one_partition_in_range_key_order(three_runs: RunRepository) -> None:
    assert [r.run_id for r in three_runs.list("p1")] == [
        "2026-11-22#a",
        "2026-11-22#b",
        "2026-11-23#c",
    ]
    descending = three_runs.list("p1", ascending=False)
    assert descending[0].run_id == "2026-11-23#c"


def test_list_takes_a_range_key_condition(three_runs: RunRepository) -> None:
    found = three_runs.list("p1", range_key_condition=begins_with("2026-11-22"))
    assert [r.run_id for r in found] == ["2026-11-22#a", "2026-11-22#b"]


def test_list_stops_at_limit(three_runs: RunRepository) -> None:
    assert len(three_runs.list("p1", limit=2)) == 2


def test_list_applies_equality_filters(three_runs: RunRepository) -> None:
    three_runs.update(("p1", "2026-11-22#b"), {"status": "failed"})
    failed = three_runs.list("p1", filters={"status": "failed"})
    assert [r.run_id for r in failed] == ["2026-11-22#b"]


def test_list_on_a_gsi_with_a_datetime_range_condition(pipelines: PipelineRepository) -> None:
    for number in range(3):
        pipelines.create(pipeline(f"p{number}", created_at=T0 + timedelta(days=number)))
    found = pipelines.list(
        "t1",
        index_name="tenant-index",
        range_key_condition=between(T0 + timedelta(hours=1), T0 + timedelta(days=5)),
    )
    assert [p.pipeline_id for p in found] == ["p1", "p2"]


def test_list_on_a_boolean_gsi_key(pipelines: PipelineRepository) -> None:
    pipelines.create(pipeline("on"))
    pipelines.create(pipeline("off", is_active=False))
    assert [p.pipeline_id for p in pipelines.list(True, index_name="active-index")] == ["on"]
    assert [p.pipeline_id for p in pipelines.list(False, index_name="active-index")] == ["off"]


def test_list_all_scans_every_item_and_logs_a_warning(
    three_runs: RunRepository, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="ddbwrap.v1"):
        found = three_runs.list_all()
    assert len(found) == 4
    assert "full Scan" in caplog.text


def test_list_without_a_hash_key_is_a_scan_and_says_so(
    three_runs: RunRepository, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="ddbwrap.v1"):
        found = three_runs.list()
    assert len(found) == 4
    assert "full Scan" in caplog.text


# -- timezones --------------------------------------------------------------------------------


def test_a_naive_datetime_is_stored_as_utc(
    pipelines: PipelineRepository, gateway: TableGateway
) -> None:
    pipelines.create(pipeline("p1", created_at=datetime(2026, 11, 22, 9, 30)))
    raw = gateway.get_item({"TableName": "v1_pipelines", "Key": {"pipeline_id": {"S": "p1"}}})
    assert raw["Item"]["created_at"] == {"S": "2026-11-22T09:30:00.000000Z"}
    found = pipelines.get("p1")
    assert found is not None and found.created_at == T0 and found.created_at.tzinfo is not None


def test_an_aware_datetime_in_another_zone_reads_back_as_the_same_instant(
    pipelines: PipelineRepository,
) -> None:
    paris = datetime(2026, 11, 22, 10, 30, tzinfo=ZoneInfo("Europe/Paris"))
    pipelines.create(pipeline("p1", created_at=paris))
    found = pipelines.get("p1")
    assert found is not None
    assert found.created_at == T0
    assert found.created_at.utcoffset() == timedelta(0)
    local = to_user_timezone(found.created_at, "America/New_York")
    assert (local.hour, local.utcoffset()) == (4, timedelta(hours=-5))


# -- errors -----------------------------------------------------------------------------------


def test_a_stored_item_the_model_refuses_raises_validation_exception(
    runs: RunRepository, gateway: TableGateway
) -> None:
    runs.create(run("r1"))
    gateway.update_item(
        {
            "TableName": "v1_runs",
            "Key": {"pipeline_id": {"S": "p1"}, "run_id": {"S": "r1"}},
            "UpdateExpression": "SET #s = :s",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":s": {"S": "exploded"}},
        }
    )
    with pytest.raises(ValidationException) as caught:
        runs.get("p1", "r1")
    assert isinstance(caught.value, CorruptItemError)
    assert caught.value.key == {"pipeline_id": "p1", "run_id": "r1"}


def test_a_value_the_codec_refuses_raises_validation_exception(
    runs: RunRepository,
) -> None:
    with pytest.raises(ValidationException) as caught:
        runs.create(run("r1", cost=Decimal("NaN")))
    assert isinstance(caught.value, ValidationError)


def test_a_missing_table_raises_a_wrapper_error_that_is_table_not_found(
    ddb_gateway: TableGateway,
) -> None:
    repo = PipelineRepository(ddb_gateway)
    with pytest.raises(DynamoDBWrapperError) as caught:
        repo.get("p1")
    assert isinstance(caught.value, TableNotFoundError)
    assert isinstance(caught.value, DdbwrapError)


def test_a_boto3_client_is_wrapped_in_a_gateway(ddb_client: Any) -> None:
    repo = PipelineRepository(ddb_client)
    assert repo.gateway.client is ddb_client
    with pytest.raises(TableNotFoundError):  # a real request: no table without the test prefix
        repo.get("p1")
