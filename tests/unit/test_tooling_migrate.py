"""ddbwrap.tooling.migrate: the backfill engine over moto and scripted transports."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ddbwrap import DomainModel, ValidationError
from ddbwrap.gateway import TableGateway
from ddbwrap.meta import GSI
from ddbwrap.retry import RetryPolicy
from ddbwrap.testing import ScriptedTransport, throttle
from ddbwrap.testing.scripted import Outcome
from ddbwrap.tooling import create_tables
from ddbwrap.tooling.migrate import (
    CHECKPOINT_FORMAT,
    Backfill,
    CapacityBudget,
    IndexJob,
    RenameJob,
    TransformJob,
    UpcastJob,
    backfill,
)
from ddbwrap.transport import BotocoreTransport


def split_name(item: dict[str, Any]) -> dict[str, Any]:
    first, _, last = item.pop("name", "").partition(" ")
    item.setdefault("first_name", first)
    item.setdefault("last_name", last)
    return item


class Person(DomainModel):
    person_id: str
    first_name: str
    last_name: str
    level: int = 1

    class Meta:
        table_name = "mig_people"
        partition_key = "person_id"
        schema_version = 2
        schema_version_attribute = "_v"
        upcasters = {1: split_name}


class Locked(DomainModel):
    locked_id: str
    first_name: str
    last_name: str
    version: int = 0

    class Meta:
        table_name = "mig_locked"
        partition_key = "locked_id"
        version_attribute = "version"
        schema_version = 2
        schema_version_attribute = "_v"
        upcasters = {1: split_name}


class Ticket(DomainModel):
    ticket_id: str
    status: str
    is_open: bool = True

    class Meta:
        table_name = "mig_tickets"
        partition_key = "ticket_id"
        gsis = [GSI("open-index", partition_key="is_open")]


def s(value: str) -> dict[str, str]:
    return {"S": value}


@pytest.fixture
def client() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(TableGateway(client), [Person, Locked, Ticket])
        yield client


@pytest.fixture
def gateway(client: Any) -> TableGateway:
    return TableGateway(client, retry=RetryPolicy(sleep=lambda _: None))


def fill_people(client: Any, count: int, table: str = "mig_people", key: str = "person_id") -> None:
    for i in range(count):
        client.put_item(TableName=table, Item={key: s(f"p{i:03d}"), "name": s("Ada Lovelace")})


def stored(client: Any, key: str, table: str = "mig_people", name: str = "person_id") -> Any:
    return client.get_item(TableName=table, Key={name: s(key)}, ConsistentRead=True).get("Item")


# -- the upcast job ------------------------------------------------------------------------------


def test_upcast_backfill_migrates_every_item_once(client: Any, gateway: TableGateway) -> None:
    fill_people(client, 30)
    client.put_item(
        TableName="mig_people",
        Item={"person_id": s("new"), "first_name": s("A"), "last_name": s("B"), "_v": {"N": "2"}},
    )
    report = backfill(gateway, Person, segments=3)
    assert report.complete and (report.scanned, report.changed, report.skipped) == (31, 30, 1)
    item = stored(client, "p007")
    assert item["_v"] == {"N": "2"} and "name" not in item
    assert item["first_name"] == s("Ada") and item["level"] == {"N": "1"}
    again = backfill(gateway, Person, segments=2)
    assert (again.changed, again.skipped) == (0, 31)


def test_upcast_job_needs_a_schema_version() -> None:
    with pytest.raises(ValidationError, match="schema_version"):
        UpcastJob(Ticket)


def test_undeclared_attributes_survive(client: Any, gateway: TableGateway) -> None:
    client.put_item(
        TableName="mig_people",
        Item={"person_id": s("p1"), "name": s("A B"), "dotnet_only": {"N": "7"}},
    )
    backfill(gateway, Person, segments=1)
    assert stored(client, "p1")["dotnet_only"] == {"N": "7"}


# -- checkpoint and resume -----------------------------------------------------------------------


def test_stopped_run_resumes_from_its_checkpoint(
    client: Any, gateway: TableGateway, tmp_path: Path
) -> None:
    fill_people(client, 40)
    checkpoint = tmp_path / "cp.json"
    changed: Counter[str] = Counter()
    stop = threading.Event()

    def count(key: dict[str, Any], outcome: str) -> None:
        if outcome == "changed":
            changed[key["person_id"]] += 1
        if sum(changed.values()) >= 15:
            stop.set()

    first = Backfill(
        gateway,
        Person,
        segments=2,
        workers=1,
        checkpoint=checkpoint,
        stop=stop,
        on_item=count,
        page_size=7,
    ).run()
    assert not first.complete and 15 <= first.changed < 40
    document = json.loads(checkpoint.read_text())
    assert document["format"] == CHECKPOINT_FORMAT and document["total_segments"] == 2
    assert document["job"] == {"job": "upcast", "to_version": 2}
    assert {entry["segment"] for entry in document["segments"]} == {0, 1}
    assert any(entry["position"] for entry in document["segments"])

    second = Backfill(gateway, Person, segments=2, checkpoint=checkpoint, on_item=count).run()
    assert second.complete and second.changed == 40  # counts carry over from the checkpoint
    assert len(changed) == 40 and set(changed.values()) == {1}  # each item changed once
    assert all(stored(client, f"p{i:03d}")["_v"] == {"N": "2"} for i in range(40))


def test_checkpoint_of_another_job_is_refused(
    client: Any, gateway: TableGateway, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "cp.json"
    Backfill(gateway, Person, segments=2, checkpoint=checkpoint).run()
    with pytest.raises(ValidationError, match="belongs to another run"):
        Backfill(gateway, Person, RenameJob("a", "b"), segments=2, checkpoint=checkpoint).run()
    with pytest.raises(ValidationError, match="belongs to another run"):
        Backfill(gateway, Person, segments=3, checkpoint=checkpoint).run()


def test_one_segment_of_a_distributed_run(client: Any, gateway: TableGateway) -> None:
    fill_people(client, 20)
    parts = [Backfill(gateway, Person, segments=4, only_segments=[i]).run() for i in range(4)]
    assert sum(p.changed for p in parts) == 20 and all(p.complete for p in parts)


# -- dry run and report --------------------------------------------------------------------------


def test_dry_run_counts_and_writes_nothing(
    client: Any, gateway: TableGateway, tmp_path: Path
) -> None:
    fill_people(client, 12)
    checkpoint = tmp_path / "cp.json"
    report = Backfill(gateway, Person, segments=2, dry_run=True, checkpoint=checkpoint).run()
    assert report.dry_run and report.changed == 12 and report.consumed_write == 0
    assert "would change 12" in report.to_text()
    assert not checkpoint.exists()
    assert "_v" not in stored(client, "p001")


def test_report_names_failed_keys_never_values(client: Any, gateway: TableGateway) -> None:
    fill_people(client, 3)
    client.put_item(  # not a Person: level is not a number, first_name missing
        TableName="mig_people",
        Item={
            "person_id": s("bad"),
            "first_name": s("x"),
            "last_name": s("y"),
            "level": s("s3cr3t"),
            "_v": {"N": "1"},
        },
    )
    report = backfill(gateway, Person, segments=1)
    assert (report.changed, report.failed) == (3, 1)
    assert report.failures[0].key == {"person_id": "bad"}
    assert "level" in report.failures[0].reason
    text, document = report.to_text(), json.dumps(report.to_json())
    assert "bad" in text and "s3cr3t" not in text and "s3cr3t" not in document


# -- other jobs ----------------------------------------------------------------------------------


def test_rename_job(client: Any, gateway: TableGateway) -> None:
    client.put_item(TableName="mig_tickets", Item={"ticket_id": s("t1"), "state": s("open")})
    client.put_item(
        TableName="mig_tickets",
        Item={"ticket_id": s("t2"), "state": s("old"), "status": s("new")},
    )
    client.put_item(TableName="mig_tickets", Item={"ticket_id": s("t3"), "status": s("done")})
    report = backfill(gateway, Ticket, RenameJob("state", "status"), segments=1)
    assert (report.changed, report.skipped) == (2, 1)
    t1 = stored(client, "t1", "mig_tickets", "ticket_id")
    t2 = stored(client, "t2", "mig_tickets", "ticket_id")
    assert t1["status"] == s("open") and "state" not in t1
    assert t2["status"] == s("new") and "state" not in t2  # a newer value is kept


def test_index_job_adds_the_key_in_the_models_form(client: Any, gateway: TableGateway) -> None:
    client.put_item(TableName="mig_tickets", Item={"ticket_id": s("t1"), "status": s("a")})
    report = backfill(gateway, Ticket, IndexJob(Ticket, "open-index"), segments=1)
    assert report.changed == 1
    assert stored(client, "t1", "mig_tickets", "ticket_id")["is_open"] == s("true")
    assert backfill(gateway, Ticket, IndexJob(Ticket, "open-index"), segments=1).changed == 0


def test_transform_job_and_key_changes_refused(client: Any, gateway: TableGateway) -> None:
    client.put_item(TableName="mig_tickets", Item={"ticket_id": s("t1"), "status": s("OPEN")})

    def lower(item: dict[str, Any]) -> dict[str, Any] | None:
        if item["status"].islower():
            return None
        return {**item, "status": item["status"].lower()}

    report = backfill(gateway, Ticket, TransformJob(Ticket, lower), segments=1)
    assert report.changed == 1 and report.job["job"] == "transform"
    assert stored(client, "t1", "mig_tickets", "ticket_id")["status"] == s("open")

    def move(item: dict[str, Any]) -> dict[str, Any]:
        return {**item, "ticket_id": "elsewhere"}

    report = backfill(gateway, Ticket, TransformJob(Ticket, move), segments=1)
    assert report.failed == 1 and "key attribute 'ticket_id'" in report.failures[0].reason


# -- live writers --------------------------------------------------------------------------------


def live_write_first(client: Any, table: str, key: dict[str, Any], **values: Any) -> Outcome:
    """An UpdateItem outcome: another writer changes the item, then the request goes through."""

    def run(operation: str, params: dict[str, Any], backend: Any) -> dict[str, Any]:
        names = {f"#a{i}": k for i, k in enumerate(values)}
        client.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET " + ", ".join(f"{n} = :v{i}" for i, n in enumerate(names)),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={f":v{i}": v for i, v in enumerate(values.values())},
        )
        result: dict[str, Any] = backend()
        return result

    return Outcome("live-write", run, applies=True)


@pytest.mark.parametrize("model", [Person, Locked])
def test_a_live_write_during_the_run_is_not_clobbered(client: Any, model: Any) -> None:
    table, name = model.Meta.table_name, model.Meta.partition_key
    client.put_item(TableName=table, Item={name: s("p1"), "name": s("Ada Lovelace")})
    scripted = ScriptedTransport(backend=BotocoreTransport(client))
    gateway = TableGateway(scripted, retry=RetryPolicy(sleep=lambda _: None))
    # between the scan and the backfill's write, a live writer stores a new first_name (and,
    # as a ddbwrap writer of a locked model does, bumps the version)
    live = {"first_name": s("Augusta")}
    if model is Locked:
        live["version"] = {"N": "1"}
    scripted.script("UpdateItem", live_write_first(client, table, {name: s("p1")}, **live))
    report = backfill(gateway, model, segments=1)
    assert (report.changed, report.reapplied, report.failed) == (1, 1, 0)
    item = stored(client, "p1", table, name)
    assert item["first_name"] == s("Augusta")  # the live write survives
    assert item["_v"] == {"N": "2"} and "name" not in item
    if model is Locked:
        assert item["version"] == {"N": "2"}  # the backfill's write bumps it, too
    assert scripted.count("GetItem") == 1  # one re-read


def test_an_item_deleted_during_the_run_is_not_brought_back(client: Any) -> None:
    client.put_item(TableName="mig_people", Item={"person_id": s("p1"), "name": s("A B")})
    scripted = ScriptedTransport(backend=BotocoreTransport(client))
    gateway = TableGateway(scripted, retry=RetryPolicy(sleep=lambda _: None))

    def delete_first(operation: str, params: dict[str, Any], backend: Any) -> dict[str, Any]:
        client.delete_item(TableName="mig_people", Key={"person_id": s("p1")})
        result: dict[str, Any] = backend()
        return result

    scripted.script("UpdateItem", Outcome("delete", delete_first, applies=True))
    report = backfill(gateway, Person, segments=1)
    assert (report.changed, report.skipped) == (0, 1)
    assert stored(client, "p1") is None


def test_throttling_is_retried_with_the_gateways_policy(client: Any) -> None:
    fill_people(client, 5)
    scripted = ScriptedTransport(backend=BotocoreTransport(client))
    pauses: list[float] = []
    gateway = TableGateway(scripted, retry=RetryPolicy(sleep=pauses.append, jitter=lambda: 0.5))
    scripted.script("Scan", throttle())
    scripted.script("UpdateItem", throttle(), throttle())
    report = backfill(gateway, Person, segments=1)
    assert report.changed == 5 and len(pauses) == 3


# -- the capacity budget -------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class CountingTransport:
    """An in-memory table of ``count`` items answering Scan (0.5 RCU per item) and UpdateItem
    (2 WCU each), recording when each call was made on the fake clock."""

    def __init__(self, clock: FakeClock, count: int) -> None:
        self.clock = clock
        self.keys = [f"p{i:04d}" for i in range(count)]
        self.calls: list[tuple[float, str, float]] = []
        self.endpoint_url = "fake"

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if operation == "Scan":
            start = 0
            if "ExclusiveStartKey" in params:
                start = self.keys.index(params["ExclusiveStartKey"]["person_id"]["S"]) + 1
            page = self.keys[start : start + params.get("Limit", 100)]
            units = 0.5 * len(page)
            response: dict[str, Any] = {
                "Items": [{"person_id": s(k), "name": s("A B")} for k in page],
                "ConsumedCapacity": {"TableName": "mig_people", "CapacityUnits": units},
            }
            if start + len(page) < len(self.keys):
                response["LastEvaluatedKey"] = {"person_id": s(page[-1])}
        else:
            units = 2.0
            response = {"ConsumedCapacity": {"TableName": "mig_people", "CapacityUnits": units}}
        self.calls.append((self.clock.now, operation, units))
        return response


def test_budget_is_never_exceeded() -> None:
    clock = FakeClock()
    transport = CountingTransport(clock, 200)
    gateway = TableGateway(transport, retry=RetryPolicy(sleep=clock.sleep))  # type: ignore[arg-type]
    report = Backfill(
        gateway,
        Person,
        segments=1,
        read_units=10,
        write_units=20,
        clock=clock,
        sleep=clock.sleep,
    ).run()
    assert report.changed == 200
    assert report.consumed_write == 400 and report.consumed_read == 100
    # writes: 2 WCU each at 20 WCU/s -> 20 s at least; every call was made within the budget
    for kind, rate in (("UpdateItem", 20.0), ("Scan", 10.0)):
        spent = 0.0
        for at, operation, units in transport.calls:
            if operation == kind:
                spent += units
                first_page = 100 * 0.5 if kind == "Scan" else 0.0  # learned after one page
                assert spent <= rate * at + units + first_page, (kind, at, spent)
    assert clock.now >= 400 / 20 - 2


def test_budget_reserve_and_settle() -> None:
    clock = FakeClock()
    budget = CapacityBudget(4.0, clock=clock, sleep=clock.sleep)
    budget.settle(budget.reserve(2.0), 2.0)
    assert clock.now == pytest.approx(0.5)
    budget.settle(budget.reserve(2.0), 6.0)  # under-estimated: the next request pays for it
    assert clock.now == pytest.approx(1.0)
    budget.reserve(1.0)
    assert clock.now == pytest.approx(2.25)
    with pytest.raises(ValidationError):
        CapacityBudget(0)


def test_a_lost_response_is_resolved_by_reading_the_item(client: Any) -> None:
    from ddbwrap.testing import lose_response

    fill_people(client, 3)
    scripted = ScriptedTransport(backend=BotocoreTransport(client))
    gateway = TableGateway(scripted, retry=RetryPolicy(sleep=lambda _: None))
    scripted.script("UpdateItem", lose_response())
    report = backfill(gateway, Person, segments=1)
    assert (report.changed, report.failed) == (3, 0)
    assert scripted.count("UpdateItem") == 3  # the lost one was not re-sent: the read showed it
    assert scripted.count("GetItem") == 1


def test_progress_line_on_a_terminal_and_in_logs() -> None:
    import io

    from ddbwrap.cli.migrate_data import ProgressLine
    from ddbwrap.tooling.migrate import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    snapshot = Progress(scanned=500, changed=400, skipped=90, failed=10, elapsed=5.0, total=1500)
    assert (snapshot.rate, snapshot.eta) == (100.0, 10.0)
    terminal = Terminal()
    line = ProgressLine(terminal, every=10)
    line(snapshot)
    line(snapshot)
    line.close()
    text = terminal.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n")
    assert "scanned 500/~1500" in text and "100 items/s" in text and "ETA 0m10s" in text
    log = io.StringIO()
    plain = ProgressLine(log, every=10)
    plain(snapshot)
    plain(snapshot)  # within 10 s: not repeated
    assert log.getvalue().count("\n") == 1 and log.getvalue().startswith("ddbwrap: scanned 500")
