"""``tables ensure`` adding a GSI to a table that holds items, on DynamoDB Local: the index is
created, waited for (its state shown with --progress), backfilled and queryable; --no-wait and
--timeout are accepted. The progress/timeout texts themselves are unit-tested with scripted
DescribeTable answers (tests/unit/test_tooling_tables_wait.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from ddbwrap import WriteApi, schema_of
from ddbwrap.gateway import TableGateway

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Run = Callable[..., int]
NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.timezone.utc)


def goals_without_owner_index(
    client: DynamoDBClient, gateway: TableGateway, sample: ModuleType, items: int
) -> str:
    """The goals table as an older model made it (no owner-index), holding ``items`` goals."""
    physical = gateway.physical_table_name("goals")
    params: dict[str, Any] = schema_of(sample.Goal).create_table_params(physical)
    params["GlobalSecondaryIndexes"] = [
        g for g in params["GlobalSecondaryIndexes"] if g["IndexName"] != "owner-index"
    ]
    used = {k["AttributeName"] for g in params["GlobalSecondaryIndexes"] for k in g["KeySchema"]}
    used |= {k["AttributeName"] for k in params["KeySchema"]}
    params["AttributeDefinitions"] = [
        d for d in params["AttributeDefinitions"] if d["AttributeName"] in used
    ]
    client.create_table(**params)
    client.get_waiter("table_exists").wait(TableName=physical)
    writes = WriteApi[sample.Goal](gateway)
    for n in range(items):
        writes.create(
            sample.Goal(
                goal_id=f"g{n}",
                tenant_id="t1",
                owner_id=f"u{n % 3}",
                title=f"goal {n}",
                created_at=NOW,
            )
        )
    return physical


def test_ensure_adds_a_gsi_to_a_table_with_items_and_waits_for_it(
    cli: Run,
    ddb_client: DynamoDBClient,
    ddb_gateway: TableGateway,
    sample: ModuleType,
    capsys: pytest.CaptureFixture[str],
) -> None:
    physical = goals_without_owner_index(ddb_client, ddb_gateway, sample, 30)
    code = cli(
        "tables",
        "ensure",
        "models_sample:Goal",
        "--progress",
        "--timeout",
        "120",
        "--format",
        "json",
    )
    captured = capsys.readouterr()
    assert code == 0, captured
    [table] = json.loads(captured.out)["tables"]
    assert table["action"] == "ok"
    assert any("created GSI(s) owner-index" in note for note in table["notes"])
    assert f"ddbwrap: creating GSI owner-index on {physical}" in captured.err
    live = ddb_client.describe_table(TableName=physical)["Table"]
    statuses = {i["IndexName"]: i["IndexStatus"] for i in live["GlobalSecondaryIndexes"]}
    assert statuses["owner-index"] == "ACTIVE"
    found = ddb_client.query(
        TableName=physical,
        IndexName="owner-index",
        KeyConditionExpression="owner_id = :o",
        ExpressionAttributeValues={":o": {"S": "u1"}},
    )["Items"]
    assert len(found) == 10  # backfilled from the items already there


def test_ensure_no_wait_requests_the_gsi_and_exits_0(
    cli: Run,
    ddb_client: DynamoDBClient,
    ddb_gateway: TableGateway,
    sample: ModuleType,
    capsys: pytest.CaptureFixture[str],
) -> None:
    physical = goals_without_owner_index(ddb_client, ddb_gateway, sample, 5)
    assert cli("tables", "ensure", "models_sample:Goal", "--no-wait", "--format", "json") == 0
    [table] = json.loads(capsys.readouterr().out)["tables"]
    assert any("created GSI(s) owner-index" in note for note in table["notes"])
    assert table["action"] in ("ok", "building")  # DynamoDB Local may build it at once
    names = {
        i["IndexName"]
        for i in ddb_client.describe_table(TableName=physical)["Table"]["GlobalSecondaryIndexes"]
    }
    assert "owner-index" in names
    # the next ensure finds the index there (building or built) and creates nothing
    assert cli("tables", "ensure", "models_sample:Goal", "--format", "json") == 0
    [again] = json.loads(capsys.readouterr().out)["tables"]
    assert again["action"] == "ok" and "notes" not in again


def test_ensure_refuses_a_negative_timeout(cli: Run, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("tables", "ensure", "models_sample:Goal", "--timeout", "-1") == 2
    assert "is not a number of seconds" in capsys.readouterr().err
