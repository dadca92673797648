"""Drift without a network: declared tables vs. described ones, and sampled items vs. models.

(The same checks against DynamoDB Local: tests/integration/test_tooling_drift_local.py.)
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from ddbwrap import GSI, DomainModel, codec_for
from ddbwrap.tooling.drift import LiveTable, compare
from ddbwrap.tooling.drift_items import check_items
from ddbwrap.tooling.findings import Severity
from ddbwrap.tooling.spec import TableSpec, table_specs

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)


class Session(DomainModel):
    session_id: str
    user_id: str
    started_at: dt.datetime
    turns: int = 0
    expires_at: int | None = None

    class Meta:
        table_name = "sessions"
        partition_key = "session_id"
        gsis = (GSI("user-index", partition_key="user_id", sort_key="started_at"),)
        ttl_attribute = "expires_at"


@pytest.fixture
def spec() -> TableSpec:
    [table] = table_specs([Session])
    return table


def described(spec: TableSpec, **changes: Any) -> LiveTable:
    """What DescribeTable / DescribeTimeToLive say about a table created from ``spec``."""
    params = copy.deepcopy(spec.params)
    description: dict[str, Any] = {
        "TableName": params["TableName"],
        "TableStatus": "ACTIVE",
        "KeySchema": params["KeySchema"],
        "AttributeDefinitions": params["AttributeDefinitions"],
        "BillingModeSummary": {"BillingMode": params["BillingMode"]},
        "GlobalSecondaryIndexes": [
            {**g, "IndexStatus": "ACTIVE"} for g in params.get("GlobalSecondaryIndexes", [])
        ],
    }
    description.update(changes)
    ttl = {"TimeToLiveStatus": "ENABLED", "AttributeName": spec.ttl_attribute}
    return LiveTable(description, ttl)


def found(spec: TableSpec, live: LiveTable | None) -> list[tuple[str, Severity]]:
    return [(f.code, f.severity) for f in compare(spec, live)]


def test_an_identical_table_has_no_findings(spec: TableSpec) -> None:
    assert compare(spec, described(spec)) == []


def test_a_missing_table_is_critical(spec: TableSpec) -> None:
    assert found(spec, None) == [("DDB201", Severity.CRITICAL)]


def test_another_key_schema_is_critical(spec: TableSpec) -> None:
    live = described(spec, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    assert found(spec, live) == [("DDB202", Severity.CRITICAL)]


def test_another_table_key_type_is_critical(spec: TableSpec) -> None:
    definitions = [
        {"AttributeName": "session_id", "AttributeType": "N"},
        {"AttributeName": "started_at", "AttributeType": "S"},
        {"AttributeName": "user_id", "AttributeType": "S"},
    ]
    live = described(spec, AttributeDefinitions=definitions)
    assert found(spec, live) == [("DDB203", Severity.CRITICAL)]


def test_a_missing_gsi_is_high_with_a_create_command(spec: TableSpec) -> None:
    [finding] = compare(spec, described(spec, GlobalSecondaryIndexes=[]))
    assert (finding.code, finding.severity, finding.subject) == (
        "DDB204",
        Severity.HIGH,
        "user-index",
    )
    assert "--global-secondary-index-updates" in finding.fix


def test_a_gsi_with_another_key_is_high(spec: TableSpec) -> None:
    gsi = copy.deepcopy(spec.params["GlobalSecondaryIndexes"][0])
    gsi["KeySchema"] = gsi["KeySchema"][:1]
    assert found(spec, described(spec, GlobalSecondaryIndexes=[gsi])) == [("DDB205", Severity.HIGH)]


def test_another_projection_is_medium(spec: TableSpec) -> None:
    gsi = copy.deepcopy(spec.params["GlobalSecondaryIndexes"][0])
    gsi["Projection"] = {"ProjectionType": "KEYS_ONLY"}
    assert found(spec, described(spec, GlobalSecondaryIndexes=[gsi])) == [
        ("DDB206", Severity.MEDIUM)
    ]


def test_an_undeclared_gsi_is_low(spec: TableSpec) -> None:
    extra = {
        "IndexName": "legacy-index",
        "KeySchema": [{"AttributeName": "user_id", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
    }
    gsis = [*spec.params["GlobalSecondaryIndexes"], extra]
    assert found(spec, described(spec, GlobalSecondaryIndexes=gsis)) == [("DDB208", Severity.LOW)]


def test_provisioned_table_for_on_demand_models_is_medium(spec: TableSpec) -> None:
    live = described(spec, BillingModeSummary={"BillingMode": "PROVISIONED"})
    assert found(spec, live) == [("DDB209", Severity.MEDIUM)]


def test_no_billing_summary_means_provisioned(spec: TableSpec) -> None:
    live = described(spec)
    del live.description["BillingModeSummary"]  # type: ignore[attr-defined]
    assert found(spec, live) == [("DDB209", Severity.MEDIUM)]


def test_ttl_disabled_is_medium_and_ttl_on_another_attribute_is_high(spec: TableSpec) -> None:
    off = described(spec)
    off.ttl = {"TimeToLiveStatus": "DISABLED"}
    other = described(spec)
    other.ttl = {"TimeToLiveStatus": "ENABLED", "AttributeName": "started_at"}
    assert found(spec, off) == [("DDB210", Severity.MEDIUM)]
    assert found(spec, other) == [("DDB211", Severity.HIGH)]


def test_ttl_the_models_do_not_declare_is_medium() -> None:
    class Plain(DomainModel):
        plain_id: str

        class Meta:
            table_name = "plain"
            partition_key = "plain_id"

    [spec] = table_specs([Plain])
    live = described(spec)
    live.ttl = {"TimeToLiveStatus": "ENABLED", "AttributeName": "gone_at"}
    assert found(spec, live) == [("DDB212", Severity.MEDIUM)]


# -- items ------------------------------------------------------------------------------------


def good_item(number: int = 1) -> dict[str, Any]:
    session = Session(session_id=f"s{number}", user_id="u", started_at=NOW, expires_at=99)
    return codec_for(Session).encode(session)


def item_findings(*items: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((f.code, f.subject or "") for f in check_items("sessions", [Session], items))


def test_items_written_by_the_codec_have_no_findings() -> None:
    assert item_findings(good_item(1), good_item(2)) == []


def test_unknown_attribute_is_low_and_counted() -> None:
    items = [{**good_item(1), "legacy": {"S": "x"}}, {**good_item(2), "legacy": {"S": "y"}}]
    [finding] = check_items("sessions", [Session], items)
    assert (finding.code, finding.severity, finding.subject) == ("DDB301", Severity.LOW, "legacy")
    assert finding.details["count"] == 2


def test_attribute_of_another_type_is_high() -> None:
    item = {**good_item(), "turns": {"S": "three"}}
    assert ("DDB302", "turns") in item_findings(item)


def test_missing_required_attribute_is_high() -> None:
    item = good_item()
    del item["user_id"]
    assert item_findings(item) == [("DDB303", "user_id")]


def test_value_the_model_rejects_is_high() -> None:
    item = {**good_item(), "started_at": {"S": "not a date"}}
    findings = check_items("sessions", [Session], [item])
    assert [(f.code, f.severity, f.subject) for f in findings] == [
        ("DDB304", Severity.HIGH, "started_at")
    ]


def test_findings_carry_example_keys() -> None:
    item = {**good_item(7), "turns": {"S": "x"}}
    [finding] = [f for f in check_items("sessions", [Session], [item]) if f.code == "DDB302"]
    assert finding.details["example_keys"] == [{"session_id": "s7"}]


def test_items_of_a_shared_table_are_judged_by_the_model_they_fit() -> None:
    class Profile(DomainModel):
        session_id: str
        nickname: str

        class Meta:
            table_name = "sessions"
            partition_key = "session_id"

    profile = {"session_id": {"S": "p1"}, "nickname": {"S": "n"}}
    assert check_items("sessions", [Session, Profile], [good_item(), profile]) == []
