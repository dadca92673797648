"""Concurrent writers against DynamoDB Local: no lost update, no double-claimed unique value,
no orphan guard item."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from ddbwrap import DomainModel, UniqueConstraintError
from ddbwrap.expressions import Update
from ddbwrap.gateway import TableGateway
from ddbwrap.write import UpdateDTO, WriteApi

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from ddbwrap.testing.plugin import TableFactory

THREADS = 8
T = TypeVar("T")


class Counter(DomainModel):
    counter_id: str
    value: int = 0
    version: int = 0

    class Meta:
        table_name = "counters"
        partition_key = "counter_id"
        version_attribute = "version"


class Member(DomainModel):
    member_id: str
    email: str

    class Meta:
        table_name = "members"
        partition_key = "member_id"
        unique = ("email",)


class EmailChange(UpdateDTO[Member]):
    email: str


def run_together(count: int, work: Callable[[int], T]) -> list[T | Exception]:
    """Run ``work(i)`` in ``count`` threads released at the same moment; results or errors."""
    barrier = threading.Barrier(count)

    def task(index: int) -> T | Exception:
        barrier.wait()
        try:
            return work(index)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(task, range(count)))


def scan(client: DynamoDBClient, gateway: TableGateway, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": gateway.physical_table_name(table)}
    while True:
        page = client.scan(**kwargs, ConsistentRead=True)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def guard_problems(client: DynamoDBClient, gateway: TableGateway) -> list[str]:
    """Every disagreement between members and their guards (empty when consistent)."""
    members = {m["member_id"]["S"]: m["email"]["S"] for m in scan(client, gateway, "members")}
    guards = {g["pk"]["S"]: g for g in scan(client, gateway, "members-unique")}
    problems = []
    for key, guard in guards.items():
        owner = guard["owner_key"]["M"]["member_id"]["S"]
        if members.get(owner) != key.removeprefix("Member#email#"):
            problems.append(f"orphan guard {key} (owner {owner} holds {members.get(owner)})")
    for member_id, email in members.items():
        if f"Member#email#{email}" not in guards:
            problems.append(f"member {member_id} holds {email} without a guard")
    return problems


@pytest.fixture
def gateway(ddb_tables: TableFactory) -> TableGateway:
    return ddb_tables(Counter, Member)


def test_concurrent_read_modify_write_loses_no_increment(
    gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    counters = WriteApi[Counter](gateway)
    counters.create(Counter(counter_id="c"))

    def fifty_increments(_: int) -> None:
        for _ in range(50):
            counters.modify(
                {"counter_id": "c"}, lambda c: Update().set("value", c.value + 1), attempts=1000
            )

    outcomes = run_together(THREADS, fifty_increments)
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    (stored,) = scan(ddb_client, gateway, "counters")
    assert (stored["value"], stored["version"]) == ({"N": "400"}, {"N": "401"})


def test_concurrent_creates_of_one_unique_value_let_exactly_one_win(
    gateway: TableGateway,
) -> None:
    members = WriteApi[Member](gateway)
    outcomes = run_together(
        THREADS, lambda i: members.create(Member(member_id=f"m{i}", email="same@x"))
    )
    winners = [o for o in outcomes if isinstance(o, Member)]
    losers = [o for o in outcomes if isinstance(o, UniqueConstraintError)]
    assert (len(winners), len(losers)) == (1, THREADS - 1)


def test_concurrent_creates_of_one_unique_value_leave_no_orphan_guard(
    gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    members = WriteApi[Member](gateway)
    run_together(THREADS, lambda i: members.create(Member(member_id=f"m{i}", email="same@x")))
    assert len(scan(ddb_client, gateway, "members-unique")) == 1
    assert guard_problems(ddb_client, gateway) == []


def test_concurrent_switches_to_one_unique_value_leave_guards_consistent(
    gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    members = WriteApi[Member](gateway)
    for i in range(THREADS):
        members.create(Member(member_id=f"m{i}", email=f"own{i}@x"))
    outcomes = run_together(
        THREADS, lambda i: members.update({"member_id": f"m{i}"}, EmailChange(email="same@x"))
    )
    assert sum(isinstance(o, Member) for o in outcomes) == 1
    assert guard_problems(ddb_client, gateway) == []
