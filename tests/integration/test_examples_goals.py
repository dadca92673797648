"""The goals example (pp_ai's side of the goals table it shares with pp_api) on DynamoDB Local.

Items "written by the .NET service" are put with a plain boto3 ``put_item``, shaped as the AWS
SDK for .NET's DynamoDBContext stores GoalDataModel: the seed's attribute names, datetimes as
``yyyy-MM-ddTHH:mm:ss.fffZ``, numbers as N, no ``version``; here written by hand rather than
with the example's own helper, so that the example is checked against an independent item.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from examples.goals.apis.commands import GoalsWriteApi
from examples.goals.apis.queries import GoalsReadApi
from examples.goals.main import main, run
from examples.goals.models.domain_models import Goal
from examples.goals.models.dtos import CreateGoal, EditGoal, UpdateGoalProgress

from ddbwrap import ConditionFailedError, TableGateway, VersionConflictError

DOTNET_GOAL: dict[str, Any] = {
    "goal_id": {"S": "g-net"},
    "tenant_id": {"S": "acme"},
    "user_id": {"S": "u-42"},
    "title": {"S": "Grow recurring revenue"},
    "intent": {"S": "Reach 1M ARR"},
    "alignment_score": {"N": "87"},
    "alignment_explanation": {"S": "Fits the company purpose"},
    "alignment_suggestions": {"L": [{"S": "Split into quarters"}, {"S": "Add a KPI"}]},
    "status": {"S": "active"},
    "priority": {"S": "high"},
    "time_horizon": {"S": "long_term"},
    "target_date": {"S": "2026-12-31T00:00:00.000Z"},
    "progress_percentage": {"N": "12.345678901234567"},
    "tags": {"L": [{"S": "revenue"}, {"S": "2026"}]},
    "metadata": {"S": '{"source": "pp_api", "weights": [1, 2]}'},
    "created_at": {"S": "2026-01-15T10:30:00.123Z"},
    "created_by": {"S": "dotnet-user"},
    "goal_type": {"S": "business"},  # a property pp_api added that this model does not know
}
KEY = {"goal_id": {"S": "g-net"}}


@pytest.fixture
def gateway(ddb_tables: Any) -> TableGateway:
    gateway: TableGateway = ddb_tables(Goal)
    return gateway


def put_raw(ddb_client: Any, gateway: TableGateway, item: dict[str, Any]) -> None:
    ddb_client.put_item(TableName=gateway.physical_table_name("goals"), Item=item)


def get_raw(ddb_client: Any, gateway: TableGateway) -> dict[str, Any]:
    item: dict[str, Any] = ddb_client.get_item(
        TableName=gateway.physical_table_name("goals"), Key=KEY, ConsistentRead=True
    )["Item"]
    return item


def new_goal(goal_id: str, tenant_id: str = "acme", **fields: Any) -> CreateGoal:
    return CreateGoal(
        goal_id=goal_id,
        tenant_id=tenant_id,
        title=f"Goal {goal_id}",
        intent="because",
        created_by="pp_ai",
        **fields,
    )


def test_goals_example_runs_end_to_end_on_dynamodb_local(ddb_gateway: TableGateway) -> None:
    lines: list[str] = []
    figures = run(ddb_gateway, say=lines.append)
    assert figures["tables"] == ["goals"]
    assert figures["dotnet_read"][0] == Decimal("12.5")
    assert figures["pages"] == [4, 2]  # 5 acme goals + the .NET one, 4 per page
    assert figures["kept"][0] == {"S": "business"}
    assert figures["closed_refused"] is True
    assert figures["conflict"] == (1, 2)
    assert figures["duplicate_refused"] is True
    assert len(lines) == 8


def test_goals_main_runs_against_an_endpoint_url(
    ddb_endpoint: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "goalsmain")  # its own DynamoDB Local database
    assert main(["--endpoint-url", ddb_endpoint]) == 0
    out = capsys.readouterr().out
    assert f"backend       {ddb_endpoint}" in out
    assert "AlreadyExistsError" in out


def test_goals_main_runs_on_the_embedded_backend(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "embedded in-process DynamoDB (moto)" in capsys.readouterr().out


def test_an_item_written_by_dotnet_reads_as_a_goal(ddb_client: Any, gateway: TableGateway) -> None:
    put_raw(ddb_client, gateway, DOTNET_GOAL)
    goal = GoalsReadApi(gateway).require(goal_id="g-net")
    assert goal.progress_percentage == Decimal("12.345678901234567")
    assert goal.created_at == datetime(2026, 1, 15, 10, 30, 0, 123000, tzinfo=timezone.utc)
    assert goal.target_date == datetime(2026, 12, 31, tzinfo=timezone.utc)
    assert goal.alignment_suggestions == ["Split into quarters", "Add a KPI"]
    assert goal.metadata() == {"source": "pp_api", "weights": [1, 2]}
    assert (goal.alignment_score, goal.priority, goal.version) == (87, "high", 0)


def test_a_progress_update_keeps_what_only_dotnet_knows(
    ddb_client: Any, gateway: TableGateway
) -> None:
    put_raw(ddb_client, gateway, DOTNET_GOAL)
    GoalsWriteApi(gateway).update_progress(
        "g-net", UpdateGoalProgress(progress_percentage=Decimal("50"), updated_by="pp_ai")
    )
    raw = get_raw(ddb_client, gateway)
    assert raw["goal_type"] == {"S": "business"}
    untouched = {k: v for k, v in DOTNET_GOAL.items() if k != "progress_percentage"}
    assert {k: raw[k] for k in untouched} == untouched  # .NET's formats, byte for byte
    assert raw["progress_percentage"] == {"N": "50"}
    assert raw["updated_by"] == {"S": "pp_ai"}
    assert raw["version"] == {"N": "1"}  # the first version of an item .NET never versioned


def test_an_edit_keeps_what_only_dotnet_knows(ddb_client: Any, gateway: TableGateway) -> None:
    put_raw(ddb_client, gateway, DOTNET_GOAL)
    goal = GoalsReadApi(gateway).require(goal_id="g-net")
    GoalsWriteApi(gateway).edit(
        "g-net", EditGoal(title="Grow ARR", updated_by="pp_ai"), expected_version=goal.version
    )
    raw = get_raw(ddb_client, gateway)
    assert (raw["title"], raw["goal_type"]) == ({"S": "Grow ARR"}, {"S": "business"})
    assert raw["metadata"] == DOTNET_GOAL["metadata"]


def test_progress_is_stored_digit_for_digit(ddb_client: Any, gateway: TableGateway) -> None:
    put_raw(ddb_client, gateway, DOTNET_GOAL)
    exact = Decimal("33.33333333333333333333333333333333333")  # 37 digits: no float has them
    updated = GoalsWriteApi(gateway).update_progress(
        "g-net", UpdateGoalProgress(progress_percentage=exact, updated_by="pp_ai")
    )
    assert updated.progress_percentage == exact
    assert get_raw(ddb_client, gateway)["progress_percentage"] == {"N": str(exact)}


def test_a_status_dotnet_added_later_still_reads(ddb_client: Any, gateway: TableGateway) -> None:
    put_raw(ddb_client, gateway, {**DOTNET_GOAL, "status": {"S": "on_hold"}})
    assert GoalsReadApi(gateway).require(goal_id="g-net").status == "on_hold"


def test_progress_on_a_closed_goal_is_refused_and_nothing_is_written(
    ddb_client: Any, gateway: TableGateway
) -> None:
    put_raw(ddb_client, gateway, {**DOTNET_GOAL, "status": {"S": "completed"}})
    with pytest.raises(ConditionFailedError) as caught:
        GoalsWriteApi(gateway).update_progress(
            "g-net", UpdateGoalProgress(progress_percentage=Decimal("99"), updated_by="pp_ai")
        )
    assert not isinstance(caught.value, VersionConflictError)
    assert get_raw(ddb_client, gateway) == {**DOTNET_GOAL, "status": {"S": "completed"}}


def test_progress_does_not_check_the_version(ddb_client: Any, gateway: TableGateway) -> None:
    put_raw(ddb_client, gateway, {**DOTNET_GOAL, "version": {"N": "7"}})
    updated = GoalsWriteApi(gateway).update_progress(
        "g-net", UpdateGoalProgress(progress_percentage=Decimal("60"), updated_by="pp_ai")
    )
    assert updated.version == 8


def test_an_edit_of_a_stale_copy_is_refused(gateway: TableGateway) -> None:
    reads, writes = GoalsReadApi(gateway), GoalsWriteApi(gateway)
    writes.create_goal(new_goal("g1"))
    stale = reads.require(goal_id="g1")
    writes.edit("g1", EditGoal(title="first", updated_by="a"), expected_version=stale.version)
    with pytest.raises(VersionConflictError) as caught:
        writes.edit("g1", EditGoal(title="second", updated_by="b"), expected_version=stale.version)
    assert (caught.value.expected, caught.value.current) == (1, 2)
    assert reads.require(goal_id="g1").title == "first"


def test_goals_of_a_tenant_come_in_pages_of_cards(gateway: TableGateway) -> None:
    reads, writes = GoalsReadApi(gateway), GoalsWriteApi(gateway)
    for n in range(7):
        writes.create_goal(new_goal(f"a{n}"))
    writes.create_goal(new_goal("other", tenant_id="globex"))
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = reads.for_tenant("acme", limit=3, cursor=cursor)
        seen += [card.goal_id for card in page.items]
        cursor = page.cursor
        if cursor is None:
            break
    assert sorted(seen) == [f"a{n}" for n in range(7)]
    assert len(seen) == 7  # no goal twice, none of globex


def test_create_sets_the_audit_fields(gateway: TableGateway) -> None:
    created = GoalsWriteApi(gateway).create_goal(new_goal("g1"))
    assert created.created_by == "pp_ai"
    assert created.created_at is not None and created.created_at == created.updated_at
    assert created.created_at.tzinfo is not None
