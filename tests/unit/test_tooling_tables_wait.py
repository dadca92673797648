"""``tables ensure`` waiting for index builds: progress per index, timeout, --no-wait (scripted
DescribeTable sequences; the DynamoDB Local side is in tests/integration)."""

from __future__ import annotations

import copy
import json
from typing import Any, cast

import pytest

from ddbwrap import GSI, DomainModel
from ddbwrap.gateway import TableGateway
from ddbwrap.tooling.spec import table_specs
from ddbwrap.tooling.tables import (
    WaitTimeoutError,
    building,
    ensure_tables,
    wait_for_table,
)


class Order(DomainModel):
    order_id: str
    customer_id: str
    status: str

    class Meta:
        table_name = "orders"
        partition_key = "order_id"
        gsis = (GSI("customer-index", partition_key="customer_id"),)


def table(status: str = "ACTIVE", *gsis: tuple[str, str, bool]) -> dict[str, Any]:
    """A DescribeTable ``Table`` of orders with these (name, IndexStatus, Backfilling) GSIs."""
    spec = table_specs([Order])[0]
    return {
        "TableName": "orders-dev",
        "TableStatus": status,
        "KeySchema": spec.params["KeySchema"],
        "AttributeDefinitions": spec.params["AttributeDefinitions"],
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
        "GlobalSecondaryIndexes": [
            {
                **copy.deepcopy(next(g for g in spec.gsis if g["IndexName"] == name)),
                "IndexStatus": index_status,
                **({"Backfilling": True} if backfilling else {}),
            }
            for name, index_status, backfilling in gsis
        ],
    }


class FakeGateway:
    """The few TableGateway methods ``ensure`` and the wait use, with scripted answers."""

    endpoint_url = "http://scripted"

    def __init__(self, descriptions: list[dict[str, Any]]) -> None:
        self.descriptions = descriptions
        self.updates: list[dict[str, Any]] = []
        self.calls = 0

    def physical_table_name(self, table: str) -> str:
        return f"{table}-dev"

    def describe_table(self, table: str) -> dict[str, Any]:
        self.calls += 1
        answer = self.descriptions[0] if len(self.descriptions) == 1 else self.descriptions.pop(0)
        return {"Table": answer}

    def describe_time_to_live(self, table: str) -> dict[str, Any]:
        return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}

    def update_table(self, params: dict[str, Any]) -> dict[str, Any]:
        self.updates.append(params)
        return {}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def wait(fake: FakeGateway, **options: Any) -> tuple[dict[str, Any], list[str], Clock]:
    clock = Clock()
    lines: list[str] = []
    result = wait_for_table(
        cast(TableGateway, fake),
        "orders",
        progress=lines.append,
        sleep=clock.sleep,
        clock=clock,
        poll_interval=10.0,
        **options,
    )
    return result, lines, clock


def test_building_names_each_index_its_status_and_backfill() -> None:
    state = building(table("ACTIVE", ("customer-index", "CREATING", True)))
    assert not state.done
    assert state.describe() == "table ACTIVE; GSI customer-index CREATING (backfilling)"
    assert state.still_building() == "GSI 'customer-index' (CREATING, backfilling)"
    assert building(table("ACTIVE", ("customer-index", "ACTIVE", False))).done


def test_wait_reports_each_change_of_the_build_and_returns_when_active() -> None:
    fake = FakeGateway(
        [
            table("UPDATING", ("customer-index", "CREATING", False)),
            table("ACTIVE", ("customer-index", "CREATING", True)),
            table("ACTIVE", ("customer-index", "CREATING", True)),
            table("ACTIVE", ("customer-index", "ACTIVE", False)),
        ]
    )
    description, lines, _ = wait(fake)
    assert description["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
    assert lines == [
        "waiting for orders-dev: table UPDATING; GSI customer-index CREATING (0 s)",
        "waiting for orders-dev: table ACTIVE; GSI customer-index CREATING (backfilling) (0 s)",
    ]
    assert fake.calls == 4


def test_wait_repeats_an_unchanged_state_every_30_s() -> None:
    fake = FakeGateway([table("ACTIVE", ("customer-index", "CREATING", True))] * 30)
    fake.descriptions.append(table("ACTIVE", ("customer-index", "ACTIVE", False)))
    _, lines, _ = wait(fake)
    assert len(lines) >= 3
    assert all("GSI customer-index CREATING (backfilling)" in line for line in lines)


def test_timeout_says_the_table_is_active_and_which_index_is_still_building() -> None:
    fake = FakeGateway([table("ACTIVE", ("customer-index", "CREATING", True))])
    with pytest.raises(WaitTimeoutError) as caught:
        wait(fake, timeout=60)
    message = str(caught.value)
    assert message.startswith(
        "table 'orders-dev' is ACTIVE, but GSI 'customer-index' (CREATING, backfilling) "
        "still building after 60 s"
    )
    assert "not ACTIVE" not in message
    assert "--timeout" in message and "tables describe" in message
    assert caught.value.building.indexes == (("customer-index", "CREATING", True),)


def test_timeout_zero_checks_once() -> None:
    fake = FakeGateway([table("CREATING")])
    with pytest.raises(
        WaitTimeoutError, match=r"table 'orders-dev': the table itself \(CREATING\)"
    ):
        wait(fake, timeout=0)
    assert fake.calls == 1


def test_ensure_adds_the_missing_gsi_and_waits_for_its_backfill(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    monkeypatch.setattr("ddbwrap.tooling.tables.time.sleep", clock.sleep)
    monkeypatch.setattr("ddbwrap.tooling.tables.time.monotonic", clock)
    fake = FakeGateway(
        [
            table("ACTIVE"),  # fetch_live: the GSI is missing
            table("UPDATING", ("customer-index", "CREATING", True)),
            table("ACTIVE", ("customer-index", "ACTIVE", False)),
        ]
    )
    lines: list[str] = []
    [result] = ensure_tables(cast(TableGateway, fake), [Order], lines.append)
    assert [u["GlobalSecondaryIndexUpdates"][0]["Create"]["IndexName"] for u in fake.updates] == [
        "customer-index"
    ]
    assert result.action == "ok"
    assert "creating GSI customer-index on orders-dev" in lines
    assert any("GSI customer-index CREATING (backfilling)" in line for line in lines)


def test_ensure_timeout_reports_building_with_what_is_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    monkeypatch.setattr("ddbwrap.tooling.tables.time.sleep", clock.sleep)
    monkeypatch.setattr("ddbwrap.tooling.tables.time.monotonic", clock)
    fake = FakeGateway([table("ACTIVE"), table("ACTIVE", ("customer-index", "CREATING", True))])
    [result] = ensure_tables(cast(TableGateway, fake), [Order], timeout=120)
    assert result.action == "building"
    assert any(
        "is ACTIVE, but GSI 'customer-index' (CREATING, backfilling) still building after 120 s"
        in note
        for note in result.notes
    )


def test_ensure_no_wait_requests_the_build_and_returns() -> None:
    fake = FakeGateway([table("ACTIVE"), table("UPDATING", ("customer-index", "CREATING", True))])
    [result] = ensure_tables(cast(TableGateway, fake), [Order], wait=False)
    assert len(fake.updates) == 1
    assert result.action == "building"
    assert any(
        "not waiting: GSI 'customer-index' (CREATING, backfilling) building" in n
        for n in result.notes
    )
    assert fake.calls == 2


def test_ensure_follows_a_build_started_by_an_earlier_no_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    monkeypatch.setattr("ddbwrap.tooling.tables.time.sleep", clock.sleep)
    monkeypatch.setattr("ddbwrap.tooling.tables.time.monotonic", clock)
    fake = FakeGateway(
        [
            table("ACTIVE", ("customer-index", "CREATING", True)),
            table("ACTIVE", ("customer-index", "CREATING", True)),
            table("ACTIVE", ("customer-index", "ACTIVE", False)),
        ]
    )
    [result] = ensure_tables(cast(TableGateway, fake), [Order])
    assert fake.updates == []
    assert result.action == "ok"


class Ticket(DomainModel):
    ticket_id: str
    customer_id: str
    agent_id: str

    class Meta:
        table_name = "tickets"
        partition_key = "ticket_id"
        gsis = (
            GSI("customer-index", partition_key="customer_id"),
            GSI("agent-index", partition_key="agent_id"),
        )


def ticket_table(*gsis: tuple[str, str, bool]) -> dict[str, Any]:
    spec = table_specs([Ticket])[0]
    return {
        "TableName": "tickets-dev",
        "TableStatus": "ACTIVE",
        "KeySchema": spec.params["KeySchema"],
        "AttributeDefinitions": spec.params["AttributeDefinitions"],
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
        "GlobalSecondaryIndexes": [
            {
                **copy.deepcopy(next(g for g in spec.gsis if g["IndexName"] == name)),
                "IndexStatus": status,
                **({"Backfilling": True} if backfilling else {}),
            }
            for name, status, backfilling in gsis
        ],
    }


def test_no_wait_creates_one_index_at_a_time_and_says_what_is_left() -> None:
    fake = FakeGateway([ticket_table(), ticket_table(("customer-index", "CREATING", True))])
    [result] = ensure_tables(cast(TableGateway, fake), [Ticket], wait=False)
    created = [u["GlobalSecondaryIndexUpdates"][0]["Create"]["IndexName"] for u in fake.updates]
    assert created == ["customer-index"]
    assert result.action == "building"
    assert any("GSI(s) agent-index not created yet" in n for n in result.notes)


def test_a_timed_out_build_is_not_waited_for_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr("ddbwrap.tooling.tables.time.sleep", clock.sleep)
    monkeypatch.setattr("ddbwrap.tooling.tables.time.monotonic", clock)
    fake = FakeGateway([ticket_table(), ticket_table(("customer-index", "CREATING", True))])
    [result] = ensure_tables(cast(TableGateway, fake), [Ticket], timeout=100)
    assert len(fake.updates) == 1
    assert result.action == "building"
    assert clock.now <= 101
    assert sum("still building after" in n for n in result.notes) == 1


def test_cli_ensure_timeout_exits_1_and_no_wait_exits_0(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ddbwrap.cli import main

    clock = Clock()
    monkeypatch.setattr("ddbwrap.tooling.tables.time.sleep", clock.sleep)
    monkeypatch.setattr("ddbwrap.tooling.tables.time.monotonic", clock)
    building_table = table("ACTIVE", ("customer-index", "CREATING", True))
    fakes = [FakeGateway([table("ACTIVE"), building_table]) for _ in range(2)]
    monkeypatch.setattr("ddbwrap.cli.tables.gateway_from", lambda args: fakes.pop(0))
    spec = f"{__name__}:Order"
    assert main(["tables", "ensure", spec, "--timeout", "45", "--progress"]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("building  orders  as orders-dev  [table 'orders-dev' is ACTIVE")
    assert "GSI 'customer-index' (CREATING, backfilling) still building after 45 s" in captured.out
    assert "ddbwrap: creating GSI customer-index on orders-dev" in captured.err
    assert (
        "ddbwrap: waiting for orders-dev: table ACTIVE; GSI customer-index CREATING "
        "(backfilling) (0 s)" in captured.err
    )
    assert main(["tables", "ensure", spec, "--no-wait", "--format", "json"]) == 0
    [result] = json.loads(capsys.readouterr().out)["tables"]
    assert result["action"] == "building"
    assert any(n.startswith("not waiting: GSI 'customer-index'") for n in result["notes"])
