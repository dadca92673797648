"""Backfills on DynamoDB Local: stopped mid-way and resumed (each item changed exactly once),
live writers during the run (none clobbered), the capacity budget, items of versions 1, 2 and 3
read as the current model, and the ``ddbwrap migrate data`` command.

``DDBWRAP_BACKFILL_ITEMS`` sets the size of the stop/resume run (default 2,000; the issue's
acceptance run uses 100000, which takes minutes on DynamoDB Local).
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ddbwrap import DomainModel, ReadApi
from ddbwrap.gateway import TableGateway
from ddbwrap.retry import RetryPolicy
from ddbwrap.testing import ScriptedTransport
from ddbwrap.testing.scripted import Outcome
from ddbwrap.tooling.migrate import Backfill
from ddbwrap.transport import BotocoreTransport
from ddbwrap.write import UpdateDTO, WriteApi

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from ddbwrap.testing.plugin import TableFactory

ITEMS = int(os.environ.get("DDBWRAP_BACKFILL_ITEMS", "2000"))


def split_name(item: dict[str, Any]) -> dict[str, Any]:
    """1 -> 2: ``name`` becomes ``first_name`` + ``last_name`` (a value already in the new
    shape, written by a partial update, is kept)."""
    first, _, last = item.pop("name", "").partition(" ")
    item.setdefault("first_name", first)
    item.setdefault("last_name", last)
    return item


def add_level(item: dict[str, Any]) -> dict[str, Any]:
    """2 -> 3: ``level`` is required now."""
    item.setdefault("level", 1)
    return item


class Member(DomainModel):
    member_id: str
    first_name: str
    last_name: str
    level: int

    class Meta:
        table_name = "migrate_members"
        partition_key = "member_id"
        schema_version = 3
        schema_version_attribute = "_v"
        upcasters = {1: split_name, 2: add_level}


class Rename(UpdateDTO[Member]):
    first_name: str


def s(value: str) -> dict[str, str]:
    return {"S": value}


def fill(client: DynamoDBClient, table: str, count: int) -> None:
    """``count`` items of version 1, written raw as another service (or old code) did."""

    def chunk(start: int) -> None:
        for begin in range(start, min(start + 2500, count), 25):
            requests: Any = [
                {"PutRequest": {"Item": {"member_id": s(f"m{i:06d}"), "name": s("Ada Lovelace")}}}
                for i in range(begin, min(begin + 25, count))
            ]
            pending = {table: requests}
            while pending:
                pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems", {})

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(chunk, range(0, count, 2500)))


def test_items_of_every_version_read_as_the_current_model(
    ddb_tables: TableFactory, ddb_client: DynamoDBClient
) -> None:
    gateway = ddb_tables(Member)
    table = gateway.physical_table_name("migrate_members")
    ddb_client.put_item(TableName=table, Item={"member_id": s("v1"), "name": s("Ada Lovelace")})
    ddb_client.put_item(
        TableName=table,
        Item={
            "member_id": s("v2"),
            "first_name": s("Ada"),
            "last_name": s("Lovelace"),
            "_v": {"N": "2"},
        },
    )
    WriteApi[Member](gateway).put(
        Member(member_id="v3", first_name="Ada", last_name="Lovelace", level=1)
    )
    assert ddb_client.get_item(TableName=table, Key={"member_id": s("v3")})["Item"]["_v"] == {
        "N": "3"
    }
    reads = ReadApi[Member](gateway)
    members = {m.member_id: m for m in reads.scan()}
    assert set(members) == {"v1", "v2", "v3"}
    for member in members.values():
        assert (member.first_name, member.last_name, member.level) == ("Ada", "Lovelace", 1)


class LiveWriter:
    """A service updating items while a backfill runs (partial updates: no version stamp);
    ``written`` holds the last first_name it gave each item."""

    def __init__(self, gateway: TableGateway) -> None:
        self.writes = WriteApi[Member](gateway)
        self.written: dict[str, str] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.count = 0

    def run(self) -> None:
        while not self.stop.is_set():
            key = f"m{(self.count * 7919) % ITEMS:06d}"
            self.writes.update({"member_id": key}, Rename(first_name=f"Live{self.count}"))
            self.written[key] = f"Live{self.count}"
            self.count += 1

    def __enter__(self) -> LiveWriter:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


class ChangeCounter:
    """``on_item`` of the runs: counts the changes per key; sets ``stop`` after ``limit``."""

    def __init__(self, limit: int) -> None:
        self.changed: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.limit = limit

    def __call__(self, key: dict[str, Any], outcome: str) -> None:
        with self.lock:
            if outcome == "changed":
                self.changed[key["member_id"]] += 1
            if sum(self.changed.values()) >= self.limit:
                self.stop.set()  # the "kill": the run stops after the items in hand

    @property
    def total(self) -> int:
        return sum(self.changed.values())


def test_stopped_backfill_resumes_and_changes_every_item_exactly_once(
    ddb_tables: TableFactory, ddb_client: DynamoDBClient, tmp_path: Path
) -> None:
    gateway = ddb_tables(Member)
    table = gateway.physical_table_name("migrate_members")
    fill(ddb_client, table, ITEMS)
    checkpoint = tmp_path / "backfill.json"
    counter = ChangeCounter(ITEMS // 3)
    live: dict[str, str] = {}
    read_units, write_units = 100.0, max(ITEMS / 5, 200.0)  # binding: ~5 s of writes
    for run in (1, 2):
        before = counter.total
        with LiveWriter(gateway) as writer:
            report = Backfill(
                gateway,
                Member,
                segments=4,
                checkpoint=checkpoint,
                stop=counter.stop if run == 1 else None,
                on_item=counter,
                page_size=200,
                read_units=read_units,
                write_units=write_units,
            ).run()
        live.update(writer.written)
        print(report.to_text(), f"live writes during the run: {writer.count}")  # -s shows it
        # the budget, measured from the consumed capacity DynamoDB Local reports
        assert report.consumed_write <= write_units * report.elapsed + 10
        assert report.consumed_read <= read_units * report.elapsed + 10
        assert report.consumed_write >= counter.total - before  # >= 1 unit per change
        if run == 1:
            assert not report.complete and ITEMS // 3 <= report.changed < ITEMS
            saved = json.loads(checkpoint.read_text())
            assert [e["segment"] for e in saved["segments"]] == [0, 1, 2, 3]
        else:
            assert report.complete and report.failed == 0
            assert report.scanned >= ITEMS  # counts carried over from the checkpoint
    assert len(counter.changed) == ITEMS and set(counter.changed.values()) == {1}  # once each
    reads = ReadApi[Member](gateway)
    assert sum(1 for _ in reads.scan_all()) == ITEMS
    for key, first_name in live.items():  # no live write was clobbered
        assert reads.require(member_id=key).first_name == first_name
    for page in ddb_client.get_paginator("scan").paginate(TableName=table):
        assert all(item["_v"] == {"N": "3"} and "name" not in item for item in page["Items"])


def test_a_write_between_scan_and_update_is_reapplied_not_clobbered(
    ddb_tables: TableFactory, ddb_client: DynamoDBClient
) -> None:
    local = ddb_tables(Member)
    table = local.physical_table_name("migrate_members")
    ddb_client.put_item(TableName=table, Item={"member_id": s("m1"), "name": s("Ada Lovelace")})
    scripted = ScriptedTransport(backend=BotocoreTransport(ddb_client))
    gateway = TableGateway(
        scripted, table_prefix=local.table_prefix, retry=RetryPolicy(sleep=lambda _: None)
    )

    def live_first(operation: str, params: dict[str, Any], backend: Callable[[], Any]) -> Any:
        WriteApi[Member](local).update({"member_id": "m1"}, Rename(first_name="Augusta"))
        return backend()

    scripted.script("UpdateItem", Outcome("live-write", live_first, applies=True))
    report = Backfill(gateway, Member, segments=1).run()
    assert (report.changed, report.reapplied) == (1, 1)
    item = ddb_client.get_item(TableName=table, Key={"member_id": s("m1")})["Item"]
    assert item["first_name"] == s("Augusta") and item["_v"] == {"N": "3"}


def test_cli_migrate_data(
    cli: Callable[..., int],
    ddb_client: DynamoDBClient,
    ddb_gateway: TableGateway,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from ddbwrap.tooling import create_tables

    create_tables(ddb_gateway, [Member])
    table = ddb_gateway.physical_table_name("migrate_members")
    fill(ddb_client, table, 60)
    model = f"{__name__}:Member"
    checkpoint = str(tmp_path / "cp.json")

    assert cli("migrate", "data", model, "--dry-run", "--format", "json") == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["dry_run"] and dry["changed"] == 60

    assert cli("migrate", "data", model, "--checkpoint", checkpoint, "--write-units", "500") == 0
    out = capsys.readouterr()
    assert "changed 60" in out.out and "complete" in out.out
    assert json.loads(Path(checkpoint).read_text())["format"] == "ddbwrap.backfill/1"

    assert (
        cli(
            "migrate",
            "data",
            model,
            "--rename",
            "level=tier",
            "--checkpoint",
            str(tmp_path / "rename.json"),
        )
        == 0
    )
    assert "changed 60" in capsys.readouterr().out
    assert cli("migrate", "data", model, "--transform", "nowhere:fn") == 2
    assert "cannot import" in capsys.readouterr().err
