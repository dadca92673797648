"""``ddbwrap schema diff`` against a real DynamoDB Local: tables changed by hand, bad items."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from ddbwrap import codec_for
from ddbwrap.gateway import TableGateway
from ddbwrap.tooling import Severity, create_tables, diff_tables

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
Run = Callable[..., int]


def findings_of(capsys: pytest.CaptureFixture[str]) -> list[tuple[str, str, str | None]]:
    document = json.loads(capsys.readouterr().out)
    return sorted((f["code"], f["severity"], f.get("subject")) for f in document["findings"])


def put(client: DynamoDBClient, gateway: TableGateway, table: str, item: dict[str, Any]) -> None:
    client.put_item(TableName=gateway.physical_table_name(table), Item=item)


def test_tables_just_created_have_no_drift(cli: Run, capsys: pytest.CaptureFixture[str]) -> None:
    cli("tables", "create", "models_sample")
    capsys.readouterr()
    assert cli("schema", "diff", "models_sample", "--format", "json") == 0
    assert findings_of(capsys) == []


def test_missing_tables_are_critical(cli: Run, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("schema", "diff", "models_sample:Goal", "--format", "json") == 1
    assert findings_of(capsys) == [("DDB201", "CRITICAL", None)]


def test_a_gsi_deleted_by_hand_is_high(
    cli: Run,
    ddb_client: DynamoDBClient,
    ddb_gateway: TableGateway,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli("tables", "create", "models_sample:Goal")
    ddb_client.update_table(
        TableName=ddb_gateway.physical_table_name("goals"),
        GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "tenant-index"}}],
    )
    capsys.readouterr()
    assert cli("schema", "diff", "models_sample:Goal", "--format", "json") == 1
    assert findings_of(capsys) == [("DDB204", "HIGH", "tenant-index")]


def test_a_table_created_with_another_key_is_critical(
    cli: Run,
    ddb_client: DynamoDBClient,
    ddb_gateway: TableGateway,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ddb_client.create_table(
        TableName=ddb_gateway.physical_table_name("goals"),
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
    )
    assert cli("schema", "diff", "models_sample:Goal", "--format", "json") == 1
    assert findings_of(capsys) == [("DDB202", "CRITICAL", None)]


def test_another_billing_mode_is_medium_and_passes_the_default_threshold(
    cli: Run,
    ddb_client: DynamoDBClient,
    ddb_gateway: TableGateway,
    sample: ModuleType,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from ddbwrap import schema_of

    name = ddb_gateway.physical_table_name("goals")
    ddb_client.create_table(
        **schema_of(sample.Goal).create_table_params(name, billing_mode="PROVISIONED")
    )
    assert cli("schema", "diff", "models_sample:Goal", "--format", "json") == 0
    assert findings_of(capsys) == [("DDB209", "MEDIUM", None)]
    assert cli("schema", "diff", "models_sample:Goal", "--fail-on", "medium") == 1


def test_sampled_items_show_unknown_wrong_missing_and_rejected_values(
    cli: Run,
    ddb_client: DynamoDBClient,
    ddb_gateway: TableGateway,
    sample: ModuleType,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli("tables", "create", "models_sample:Goal")
    good = codec_for(sample.Goal).encode(
        sample.Goal(goal_id="ok", tenant_id="t", title="fine", created_at=NOW)
    )
    put(ddb_client, ddb_gateway, "goals", good)
    put(
        ddb_client,
        ddb_gateway,
        "goals",
        {**good, "goal_id": {"S": "extra"}, "dotnet_only": {"S": "x"}},
    )
    put(
        ddb_client,
        ddb_gateway,
        "goals",
        {**good, "goal_id": {"S": "wrong"}, "progress": {"S": "half"}},
    )
    missing = {k: v for k, v in good.items() if k != "title"}
    put(ddb_client, ddb_gateway, "goals", {**missing, "goal_id": {"S": "missing"}})
    put(
        ddb_client,
        ddb_gateway,
        "goals",
        {**good, "goal_id": {"S": "bad"}, "status": {"S": "archived"}},
    )
    capsys.readouterr()
    assert cli("schema", "diff", "models_sample:Goal", "--sample", "50", "--format", "json") == 1
    assert findings_of(capsys) == [
        ("DDB301", "LOW", "dotnet_only"),
        ("DDB302", "HIGH", "progress"),
        ("DDB303", "HIGH", "title"),
        ("DDB304", "HIGH", "status"),
    ]


def test_sample_budget_bounds_the_items_read(
    cli: Run,
    ddb_client: DynamoDBClient,
    ddb_gateway: TableGateway,
    sample: ModuleType,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli("tables", "create", "models_sample:Goal")
    item = codec_for(sample.Goal).encode(
        sample.Goal(goal_id="g", tenant_id="t", title="x", created_at=NOW)
    )
    for number in range(5):
        put(
            ddb_client,
            ddb_gateway,
            "goals",
            {**item, "goal_id": {"S": f"g{number}"}, "x": {"S": "1"}},
        )
    capsys.readouterr()
    cli("schema", "diff", "models_sample:Goal", "--sample", "3", "--format", "json")
    [finding] = json.loads(capsys.readouterr().out)["findings"]
    assert (finding["details"]["count"], finding["details"]["sampled"]) == (3, 3)


def test_markdown_report_for_a_pr_comment(cli: Run, capsys: pytest.CaptureFixture[str]) -> None:
    cli("schema", "diff", "models_sample:Goal", "--format", "markdown")
    out = capsys.readouterr().out
    assert out.startswith("### ddbwrap schema diff against http")
    assert "| CRITICAL | `DDB201` | `goals` |" in out


def test_diff_is_usable_from_code(
    ddb_gateway: TableGateway, ddb_client: DynamoDBClient, sample: ModuleType
) -> None:
    try:
        create_tables(ddb_gateway, [sample.Goal])
        ddb_client.update_table(
            TableName=ddb_gateway.physical_table_name("goals"),
            GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "active-index"}}],
        )
        [finding] = diff_tables(ddb_gateway, [sample.Goal])
        assert (finding.code, finding.severity, finding.subject) == (
            "DDB204",
            Severity.HIGH,
            "active-index",
        )
    finally:
        ddb_client.delete_table(TableName=ddb_gateway.physical_table_name("goals"))
