"""Every exported JSON Schema accepts the items ddbwrap really stores (issue 17, seed fidelity).

Items are written by ddbwrap (``WriteApi.create``/``update``) to DynamoDB Local, read back *raw*
with boto3 (a Scan, no ddbwrap decoding) and turned into plain JSON the way the export
documents it (``ddbwrap.tooling.json_schema``): boto3's TypeDeserializer, numbers as JSON
numbers, sets as arrays, bytes as base64. Each item is then validated with ``jsonschema``
against the schema of its model and of every view and DTO of that model that the export
(``--views``) produces: a view is part of a stored item (the whole item must validate), a DTO
writes some attributes (the item's attributes the DTO declares must have the types the DTO
writes; which of them are required is the DTO's rule for a write, not one for stored items).
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib
from decimal import Decimal
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer
from jsonschema import Draft202012Validator
from pydantic import BaseModel

from ddbwrap import WriteApi
from ddbwrap.testing.plugin import TableFactory
from ddbwrap.tooling.discover import discover
from ddbwrap.tooling.json_schema import source_model, stored_json_schema

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

NOW = dt.datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=dt.timezone.utc)
EXPIRES = dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc)
"""Far ahead: DynamoDB Local deletes expired items when it chooses (NOW + 30 days had passed,
and the run logs vanished from the scan in one CI run)."""


def plain_json(value: Any) -> Any:
    """A value decoded by TypeDeserializer as JSON data (the documented conversion)."""
    if isinstance(value, dict):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain_json(v) for v in value), key=repr)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Binary):
        return base64.b64encode(value.value).decode()  # type: ignore[attr-defined]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def raw_items(client: DynamoDBClient, physical: str) -> list[dict[str, Any]]:
    """Every item of a table, read with boto3 alone and converted to plain JSON."""
    deserializer = TypeDeserializer()
    items = client.scan(TableName=physical, ConsistentRead=True)["Items"]
    return [{k: plain_json(deserializer.deserialize(v)) for k, v in i.items()} for i in items]


def check_all_schemas(
    spec: str, items_by_model: dict[type[BaseModel], list[dict[str, Any]]]
) -> list[str]:
    """Validate each model's stored items against its schema and its views' and DTOs'."""
    found = discover(spec)
    checked: list[str] = []
    for cls in (*found.models, *found.companions):
        source = source_model(cls)
        if source is None:
            continue  # a nested model: checked inside the schemas that embed it
        schema = stored_json_schema(cls)
        Draft202012Validator.check_schema(schema)
        dto = schema.get("additionalProperties") is False
        if dto:  # what a DTO writes: the attributes it declares, typed as it writes them
            schema = {k: v for k, v in schema.items() if k != "required"}
        validator = Draft202012Validator(schema)
        items = items_by_model[source]
        assert items, f"no stored items of {source.__name__}"
        properties = set(schema.get("properties", {}))
        for item in items:
            part = {k: v for k, v in item.items() if k in properties} if dto else item
            errors = [
                f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(part)
            ]
            assert not errors, f"{cls.__name__} rejects a stored item {item}: {errors}"
        checked.append(cls.__name__)
    return checked


@pytest.fixture
def samples(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    from tests.integration.conftest import FIXTURES

    monkeypatch.syspath_prepend(str(FIXTURES))
    return importlib.import_module("models_sample")


def stored(
    client: DynamoDBClient, gateway: Any, *models: type[BaseModel]
) -> dict[type[BaseModel], list[dict[str, Any]]]:
    return {m: raw_items(client, gateway.physical_table_name(m.Meta.table_name)) for m in models}


def test_pipelines_items_validate_against_every_exported_schema(
    ddb_tables: TableFactory, ddb_client: DynamoDBClient
) -> None:
    from examples.pipelines.models import domain_models as dm

    gateway = ddb_tables(dm.PipelineConfig, dm.TableConfig, dm.PipelineRunLog)
    pipelines = WriteApi[dm.PipelineConfig](gateway)
    pipelines.create(
        dm.PipelineConfig(
            pipeline_id="p-min", tenant_id="t1", name="min", source="s", destination="d", owner="o"
        )
    )
    pipelines.create(
        dm.PipelineConfig(
            pipeline_id="p-full",
            tenant_id="t1",
            name="full",
            description="every field",
            is_active=False,
            source="s3://in",
            destination="s3://out",
            settings={"batch": 100, "mode": "fast"},
            tags=["a", "b"],
            owner="o",
            last_run_id="r1",
            last_run_status="succeeded",
            last_run_at=NOW,
        )
    )
    tables = WriteApi[dm.TableConfig](gateway)
    tables.create(
        dm.TableConfig(pipeline_id="p-min", table_name="a", source_schema="s", target_table="t")
    )
    tables.create(
        dm.TableConfig(
            pipeline_id="p-full",
            table_name="b",
            source_schema="s",
            target_table="t",
            columns=["x", "y"],
            primary_keys=["x"],
            partition_column="y",
            load_type="incremental",
            is_enabled=False,
            row_count_estimate=12345678901234,
        )
    )
    runs = WriteApi[dm.PipelineRunLog](gateway)
    runs.create(
        dm.PipelineRunLog(
            pipeline_id="p-min",
            started_at=NOW,
            run_id="r0",
            tenant_id="t1",
            expires_at=EXPIRES,
        )
    )
    runs.create(
        dm.PipelineRunLog(
            pipeline_id="p-full",
            started_at=NOW,
            run_id="r1",
            tenant_id="t1",
            status=dm.RunStatus.SUCCEEDED,
            finished_at=NOW + dt.timedelta(seconds=90),
            duration_ms=90000,
            rows_read=10,
            rows_written=9,
            error_message=None,
            details={"note": "ok"},
            expires_at=EXPIRES,
        )
    )
    items = stored(ddb_client, gateway, dm.PipelineConfig, dm.TableConfig, dm.PipelineRunLog)
    ttl = {i["run_id"]: i["expires_at"] for i in items[dm.PipelineRunLog]}
    assert all(isinstance(v, int) for v in ttl.values()), ttl  # stored as epoch seconds
    checked = check_all_schemas("examples.pipelines.models", items)
    assert {"PipelineRunLog", "RunLogSummary", "CreatePipeline", "UpdatePipeline"} <= set(checked)


def test_goals_example_items_validate_against_every_exported_schema(
    ddb_tables: TableFactory, ddb_client: DynamoDBClient
) -> None:
    from examples.goals.models import domain_models as dm
    from examples.goals.models import dtos

    gateway = ddb_tables(dm.Goal)
    goals = WriteApi[dm.Goal](gateway)
    created = goals.create(
        dtos.CreateGoal(
            goal_id="g1", tenant_id="t1", title="Ship it", intent="to learn", created_by="u1"
        )
    )
    goals.create(
        dtos.CreateGoal(
            goal_id="g2",
            tenant_id="t1",
            user_id="u2",
            title="Run",
            intent="health",
            status="active",
            priority="high",
            time_horizon="long_term",
            target_date=NOW,
            progress_percentage=Decimal("33.3333333333333333"),
            tags=["x"],
            created_by="u2",
        )
    )
    goals.update(
        {"goal_id": "g1"},
        dtos.UpdateGoalProgress(progress_percentage=Decimal("50"), updated_by="u1"),
        expected_version=created.version,
    )
    items = stored(ddb_client, gateway, dm.Goal)
    checked = check_all_schemas("examples.goals.models", items)
    assert {"Goal", "GoalCard", "CreateGoal", "UpdateGoalProgress", "EditGoal"} <= set(checked)


def test_fixture_models_items_validate_against_every_exported_schema(
    ddb_tables: TableFactory, ddb_client: DynamoDBClient, samples: ModuleType
) -> None:
    gateway = ddb_tables(samples.Goal, samples.Task)
    goals = WriteApi[samples.Goal](gateway)
    goals.create(samples.Goal(goal_id="g-min", tenant_id="t1", title="min", created_at=NOW))
    goals.create(
        samples.Goal(
            goal_id="g-full",
            tenant_id="t1",
            owner_id="u1",
            title="full",
            status=samples.GoalStatus.ACTIVE,
            is_active=False,
            progress=Decimal("12.5"),
            tags={"a", "b"},
            milestones=[samples.Milestone(title="m", due=dt.date(2026, 6, 1))],
            created_at=NOW,
        )
    )
    tasks = WriteApi[samples.Task](gateway)
    tasks.create(samples.Task(tenant_id="t1", task_id="k0", email="a@example.com"))
    tasks.create(
        samples.Task(
            tenant_id="t1",
            task_id="k1",
            email="b@example.com",
            priority=3,
            done=True,
            attachment=b"\x00\x01",
            notes=["n"],
            expires_at=1_900_000_000,
        )
    )
    items = stored(ddb_client, gateway, samples.Goal, samples.Task)
    checked = check_all_schemas("models_sample", items)
    assert {"Goal", "Task", "GoalSummary"} <= set(checked)


def test_a_datetime_ttl_is_an_integer_in_the_model_its_views_and_dtos() -> None:
    from examples.pipelines.models.domain_models import PipelineRunLog

    from ddbwrap import UpdateDTO, View

    class RunExpiry(View[PipelineRunLog]):
        run_id: str
        expires_at: dt.datetime

    class Extend(UpdateDTO[PipelineRunLog]):
        expires_at: dt.datetime

    for cls in (PipelineRunLog, RunExpiry, Extend):
        prop = stored_json_schema(cls)["properties"]["expires_at"]
        assert prop["type"] == "integer", (cls.__name__, prop)
