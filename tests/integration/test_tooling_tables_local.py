"""``ddbwrap tables ...`` against a real DynamoDB Local (the plugin's fixtures)."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from ddbwrap.gateway import TableGateway
from ddbwrap.tooling import ensure_tables

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Run = Callable[..., int]


def physical(gateway: TableGateway, table: str) -> str:
    return gateway.physical_table_name(table)


def describe(client: DynamoDBClient, gateway: TableGateway, table: str) -> dict[str, Any]:
    return dict(client.describe_table(TableName=physical(gateway, table))["Table"])


def output_json(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


def test_create_makes_tables_with_indexes_ttl_and_guard_table(
    cli: Run, ddb_client: DynamoDBClient, ddb_gateway: TableGateway
) -> None:
    assert cli("tables", "create", "models_sample") == 0
    goals = describe(ddb_client, ddb_gateway, "goals")
    assert sorted(g["IndexName"] for g in goals["GlobalSecondaryIndexes"]) == [
        "active-index",
        "owner-index",
        "tenant-index",
    ]
    tasks = describe(ddb_client, ddb_gateway, "tasks")
    assert [i["IndexName"] for i in tasks["LocalSecondaryIndexes"]] == ["priority-index"]
    ttl = ddb_client.describe_time_to_live(TableName=physical(ddb_gateway, "tasks"))
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"
    guard = describe(ddb_client, ddb_gateway, "tasks-unique")
    assert guard["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]


def test_create_reports_tables_that_exist_and_exits_1(
    cli: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    cli("tables", "create", "models_sample")
    capsys.readouterr()
    assert cli("tables", "create", "models_sample", "--format", "json") == 1
    actions = {t["table"]: t["action"] for t in output_json(capsys)["tables"]}
    assert actions == {"goals": "exists", "tasks": "exists", "tasks-unique": "exists"}


def test_ensure_creates_then_is_idempotent(cli: Run, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("tables", "ensure", "models_sample") == 0
    assert "created   goals" in capsys.readouterr().out
    assert cli("tables", "ensure", "models_sample", "--format", "json") == 0
    actions = {t["table"]: t["action"] for t in output_json(capsys)["tables"]}
    assert actions == {"goals": "ok", "tasks": "ok", "tasks-unique": "ok"}


def test_ensure_enables_ttl_that_is_off(
    cli: Run, ddb_client: DynamoDBClient, ddb_gateway: TableGateway, sample: ModuleType
) -> None:
    from ddbwrap import schema_of

    params = schema_of(sample.Task).create_table_params(physical(ddb_gateway, "tasks"))
    ddb_client.create_table(**params)
    assert cli("tables", "ensure", "models_sample:Task") == 0
    ttl = ddb_client.describe_time_to_live(TableName=physical(ddb_gateway, "tasks"))
    assert ttl["TimeToLiveDescription"]["TimeToLiveStatus"] in ("ENABLED", "ENABLING")


def test_ensure_recreates_a_deleted_gsi(
    cli: Run,
    ddb_client: DynamoDBClient,
    ddb_gateway: TableGateway,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli("tables", "create", "models_sample:Goal")
    ddb_client.update_table(
        TableName=physical(ddb_gateway, "goals"),
        GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "owner-index"}}],
    )
    capsys.readouterr()
    assert cli("tables", "ensure", "models_sample:Goal", "--format", "json") == 0
    [table] = output_json(capsys)["tables"]
    assert table["action"] == "ok"
    assert any("owner-index" in note for note in table["notes"])
    live = describe(ddb_client, ddb_gateway, "goals")
    assert "owner-index" in {i["IndexName"] for i in live["GlobalSecondaryIndexes"]}


def test_ensure_reports_a_changed_key_schema_and_exits_1(
    cli: Run,
    ddb_client: DynamoDBClient,
    ddb_gateway: TableGateway,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ddb_client.create_table(
        TableName=physical(ddb_gateway, "goals"),
        KeySchema=[{"AttributeName": "other", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert cli("tables", "ensure", "models_sample:Goal", "--format", "json") == 1
    [table] = output_json(capsys)["tables"]
    assert table["action"] == "differs"
    assert table["findings"][0]["severity"] == "CRITICAL"


def test_describe_shows_the_live_state(cli: Run, capsys: pytest.CaptureFixture[str]) -> None:
    cli("tables", "create", "models_sample:Task")
    capsys.readouterr()
    assert cli("tables", "describe", "models_sample:Task", "--format", "json") == 0
    tables = {t["table"]: t for t in output_json(capsys)["tables"]}
    live = tables["tasks"]["live"]
    assert live["keys"] == {"HASH": "pk", "RANGE": "sk"}
    assert live["ttl"] == "expires_at"
    assert live["lsis"][0]["name"] == "priority-index"


def test_describe_of_missing_tables_exits_1(cli: Run, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("tables", "describe", "models_sample:Goal") == 1
    assert "missing   goals" in capsys.readouterr().out


def test_delete_removes_tables_and_guard_tables(
    cli: Run, ddb_client: DynamoDBClient, ddb_gateway: TableGateway
) -> None:
    cli("tables", "create", "models_sample")
    assert cli("tables", "delete", "models_sample", "--yes") == 0
    left = [
        n for n in ddb_client.list_tables()["TableNames"] if n.startswith(ddb_gateway.table_prefix)
    ]
    assert left == []


def test_delete_of_absent_tables_is_reported_not_an_error(
    cli: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("tables", "delete", "models_sample:Goal", "--yes") == 0
    assert "absent    goals" in capsys.readouterr().out


def test_progress_goes_to_stderr_when_asked(cli: Run, capsys: pytest.CaptureFixture[str]) -> None:
    cli("tables", "create", "models_sample:Goal", "--progress")
    captured = capsys.readouterr()
    assert "ddbwrap: creating " in captured.err
    assert "ddbwrap:" not in captured.out


def test_no_progress_without_a_terminal_or_flag(
    cli: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    cli("tables", "create", "models_sample:Goal")
    assert capsys.readouterr().err == ""


def test_ensure_is_usable_from_code(
    ddb_gateway: TableGateway, ddb_client: DynamoDBClient, sample: ModuleType
) -> None:
    try:
        results = ensure_tables(ddb_gateway, [sample.Goal])
        assert [(r.table, r.action) for r in results] == [("goals", "created")]
        assert ensure_tables(ddb_gateway, [sample.Goal])[0].action == "ok"
    finally:
        ddb_client.delete_table(TableName=physical(ddb_gateway, "goals"))
