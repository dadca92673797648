"""The async API against AWS's DynamoDB Local: reads, writes, transactions, batches and unique
guards end to end, with the fast path on and off, side by side with the sync API on the same
tables (what one writes, the other reads; cursors of one resume in the other).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from ddbwrap import GSI, DomainModel, ReadApi, Update, UpdateDTO, View, WriteApi
from ddbwrap.aio import (
    AsyncCollection,
    AsyncReadApi,
    AsyncTableGateway,
    AsyncTransaction,
    AsyncWriteApi,
    transact_get,
)
from ddbwrap.errors import (
    AlreadyExistsError,
    InvalidCursorError,
    ItemNotFoundError,
    TransactionCanceledError,
    UniqueConstraintError,
    VersionConflictError,
)
from ddbwrap.expressions import Attr
from ddbwrap.gateway import TableGateway
from ddbwrap.read import Get, begins_with
from ddbwrap.testing.local import LOCAL_ACCESS_KEY, LOCAL_REGION, LOCAL_SECRET_KEY

if TYPE_CHECKING:
    from ddbwrap.testing.plugin import TableFactory

pytestmark = pytest.mark.integration

T = TypeVar("T")
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
SECRET = "aio-integration-cursor-secret-0123456789"


class Task(DomainModel):
    task_id: str
    project: str
    title: str
    done: bool = False
    points: int = 0
    created_at: dt.datetime
    version: int = 0

    class Meta:
        table_name = "aio_tasks"
        partition_key = "task_id"
        gsis = [GSI("project-index", partition_key="project", sort_key="created_at")]
        version_attribute = "version"


class TaskTitle(View[Task]):
    task_id: str
    title: str


class Retitle(UpdateDTO[Task]):
    title: str


class Member(DomainModel):
    member_id: str
    email: str
    name: str = ""

    class Meta:
        table_name = "aio_members"
        partition_key = "member_id"
        unique = ("email",)


class NewEmail(UpdateDTO[Member]):
    email: str


class Hits(DomainModel):
    page: str
    hits: int = 0

    class Meta:
        table_name = "aio_hits"
        partition_key = "page"


@pytest.fixture(params=[True, False], ids=["fast", "slow"])
def fast(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def tables(ddb_tables: TableFactory) -> TableGateway:
    return ddb_tables(Task, Member, Hits)


Scenario = Callable[[AsyncTableGateway], Awaitable[T]]


def run(ddb_endpoint: str, sync: TableGateway, fast: bool, scenario: Scenario[T]) -> T:
    """``scenario(gateway)`` on a fresh event loop, over an aiobotocore client of its own."""

    async def main() -> T:
        from aiobotocore.session import get_session

        async with get_session().create_client(
            "dynamodb",
            endpoint_url=ddb_endpoint,
            region_name=LOCAL_REGION,
            aws_access_key_id=LOCAL_ACCESS_KEY,
            aws_secret_access_key=LOCAL_SECRET_KEY,
        ) as client:
            gateway = AsyncTableGateway(client, table_prefix=sync.table_prefix, fast_path=fast)
            assert gateway.fast_path is fast
            return await scenario(gateway)

    return asyncio.run(main())


def task(n: int, project: str = "p1", **fields: Any) -> Task:
    fields.setdefault("points", n)
    return Task(
        task_id=f"t{n}",
        project=project,
        title=f"task {n}",
        created_at=T0 + dt.timedelta(minutes=n),
        **fields,
    )


# -- reads ---------------------------------------------------------------------------------------


def test_get_require_and_views(ddb_endpoint: str, tables: TableGateway, fast: bool) -> None:
    WriteApi[Task](tables).create(task(1))

    async def scenario(gateway: AsyncTableGateway) -> None:
        reads = AsyncReadApi[Task](gateway)
        found = await reads.get(task_id="t1")
        assert found is not None
        assert (found.title, found.version) == ("task 1", 1)
        assert await reads.get(task_id="t1", view=TaskTitle) == TaskTitle(
            task_id="t1", title="task 1"
        )
        assert await reads.get(task_id="nope") is None
        with pytest.raises(ItemNotFoundError):
            await reads.require(task_id="nope", consistent=True)

    run(ddb_endpoint, tables, fast, scenario)


def test_query_pages_with_limit_filter_and_cursor_interchangeable_with_sync(
    ddb_endpoint: str, tables: TableGateway, fast: bool
) -> None:
    writes = WriteApi[Task](tables)
    for n in range(10):
        writes.create(task(n, done=n % 2 == 0))
    sync_reads = ReadApi[Task](tables, cursor_secret=SECRET)

    async def scenario(gateway: AsyncTableGateway) -> tuple[list[str], list[str]]:
        reads = AsyncReadApi[Task](gateway, cursor_secret=SECRET)
        first = await reads.query(
            index="project-index",
            project="p1",
            filter=Attr("done") == False,  # noqa: E712 - a condition, not a comparison
            limit=3,
            page_size=2,
            view=TaskTitle,
        )
        assert first.cursor is not None
        rest = sync_reads.query(
            index="project-index",
            project="p1",
            filter=Attr("done") == False,  # noqa: E712
            limit=10,
            cursor=first.cursor,
            view=TaskTitle,
        )
        with pytest.raises(InvalidCursorError):
            await reads.query(index="project-index", project="p2", cursor=first.cursor)
        return [t.task_id for t in first.items], [t.task_id for t in rest.items]

    first, rest = run(ddb_endpoint, tables, fast, scenario)
    assert first == ["t1", "t3", "t5"]
    assert rest == ["t7", "t9"]


def test_query_all_streams_every_page_and_count(
    ddb_endpoint: str, tables: TableGateway, fast: bool
) -> None:
    with WriteApi[Task](tables).batch() as batch:
        for n in range(23):
            batch.put(task(n, project="p1" if n < 20 else "p2"))

    async def scenario(gateway: AsyncTableGateway) -> tuple[list[str], int, int]:
        reads = AsyncReadApi[Task](gateway)
        streamed = [
            t.task_id
            async for t in reads.query_all(
                index="project-index", project="p1", sort=begins_with("2024"), page_size=3
            )
        ]
        descending = reads.query_all(index="project-index", project="p1", descending=True)
        last = await descending.__anext__()
        await descending.aclose()  # type: ignore[attr-defined]
        assert last.task_id == "t19"
        return streamed, await reads.count(index="project-index", project="p1"), len(streamed)

    streamed, counted, length = run(ddb_endpoint, tables, fast, scenario)
    assert streamed == [f"t{n}" for n in range(20)]
    assert counted == length == 20


def test_scan_all_in_parallel_segments(ddb_endpoint: str, tables: TableGateway, fast: bool) -> None:
    with WriteApi[Task](tables).batch() as batch:
        for n in range(40):
            batch.put(task(n))

    async def scenario(gateway: AsyncTableGateway) -> tuple[list[str], int, int]:
        reads = AsyncReadApi[Task](gateway)
        items = [t.task_id async for t in reads.scan_all(segments=4, page_size=5)]
        page = await reads.scan(segment=(0, 2), view=TaskTitle)
        return sorted(items), await reads.scan_count(segments=3), len(page.items)

    items, counted, first_half = run(ddb_endpoint, tables, fast, scenario)
    assert items == sorted(f"t{n}" for n in range(40))
    assert counted == 40
    assert 0 < first_half < 40


def test_a_collection_scans_in_parallel_segments(
    ddb_endpoint: str, tables: TableGateway, fast: bool
) -> None:
    with WriteApi[Task](tables).batch() as batch:
        for n in range(30):
            batch.put(task(n))

    async def scenario(gateway: AsyncTableGateway) -> list[str]:
        collection = AsyncCollection(gateway, Task)
        return [t.task_id async for t in collection.scan_all(segments=3, page_size=4)]

    assert sorted(run(ddb_endpoint, tables, fast, scenario)) == sorted(f"t{n}" for n in range(30))


def test_batch_get_transact_get_and_a_snapshot(
    ddb_endpoint: str, tables: TableGateway, fast: bool
) -> None:
    WriteApi[Task](tables).create(task(1))
    WriteApi[Member](tables).create(Member(member_id="m1", email="a@x"))

    async def scenario(gateway: AsyncTableGateway) -> None:
        reads = AsyncReadApi[Task](gateway)
        batch = await reads.batch_get([{"task_id": "t1"}, {"task_id": "t2"}, {"task_id": "t1"}])
        assert [t.task_id if t else None for t in batch.results] == ["t1", None, "t1"]
        assert batch.missing == ({"task_id": "t2"},)
        snapshot = await reads.transact_get([{"task_id": "t1"}], view=TaskTitle)
        assert snapshot.items == (TaskTitle(task_id="t1", title="task 1"),)
        one, member = Get(Task, task_id="t1"), Get(Member, member_id="m1")
        both = await transact_get(gateway, [one, member])
        assert both.require(one).points == 1
        assert both.require(member).email == "a@x"

    run(ddb_endpoint, tables, fast, scenario)


# -- writes --------------------------------------------------------------------------------------


def test_create_update_conflicts_and_delete(
    ddb_endpoint: str, tables: TableGateway, fast: bool
) -> None:
    async def scenario(gateway: AsyncTableGateway) -> None:
        writes = AsyncWriteApi[Task](gateway)
        created = await writes.create(task(1))
        assert created.version == 1
        with pytest.raises(AlreadyExistsError):
            await writes.create(task(1))
        renamed = await writes.update(created, Retitle(title="renamed"))
        assert (renamed.title, renamed.version) == ("renamed", 2)
        with pytest.raises(VersionConflictError) as caught:
            await writes.update(created, Retitle(title="stale"))
        assert (caught.value.expected, caught.value.current) == (1, 2)
        counted = await writes.update(renamed, Update().increment("points", 5))
        assert counted.points == 6
        old = await writes.delete(counted, return_old=True)
        assert old is not None and old.title == "renamed"
        assert await AsyncReadApi[Task](gateway).get(task_id="t1") is None

    run(ddb_endpoint, tables, fast, scenario)
    assert ReadApi[Task](tables).get(task_id="t1", consistent=True) is None


def test_concurrent_modify_tasks_apply_every_change_once(
    ddb_endpoint: str, tables: TableGateway, fast: bool
) -> None:
    WriteApi[Task](tables).create(task(1, points=0))

    async def scenario(gateway: AsyncTableGateway) -> int:
        writes = AsyncWriteApi[Task](gateway)

        async def bump() -> Task:
            return await writes.modify(
                {"task_id": "t1"}, lambda t: Update().set("points", t.points + 1), attempts=30
            )

        await asyncio.gather(*(bump() for _ in range(8)))
        stored = await AsyncReadApi[Task](gateway).require(task_id="t1", consistent=True)
        return stored.points

    assert run(ddb_endpoint, tables, fast, scenario) == 8


def test_upsert_and_idempotent_counters(
    ddb_endpoint: str, tables: TableGateway, fast: bool
) -> None:
    async def scenario(gateway: AsyncTableGateway) -> tuple[int, int]:
        hits = AsyncWriteApi[Hits](gateway)
        await hits.update({"page": "home"}, Update().increment("hits"), upsert=True)
        after = await hits.update({"page": "home"}, Update().increment("hits"), idempotent=True)
        counts = await asyncio.gather(
            *(hits.update({"page": "home"}, Update().increment("hits")) for _ in range(5))
        )
        return after.hits, max(c.hits for c in counts)

    assert run(ddb_endpoint, tables, fast, scenario) == (2, 7)


def test_unique_guards_are_claimed_moved_and_released(
    ddb_endpoint: str, tables: TableGateway, fast: bool
) -> None:
    async def scenario(gateway: AsyncTableGateway) -> None:
        members = AsyncWriteApi[Member](gateway)
        await members.create(Member(member_id="m1", email="a@x"))
        with pytest.raises(UniqueConstraintError):
            await members.create(Member(member_id="m2", email="a@x"))
        await members.update({"member_id": "m1"}, NewEmail(email="b@x"))
        await members.create(Member(member_id="m2", email="a@x"))  # released by the move
        await members.delete({"member_id": "m1"})
        await members.create(Member(member_id="m3", email="b@x"))  # released by the delete

    run(ddb_endpoint, tables, fast, scenario)
    assert ReadApi[Member](tables).require(member_id="m3", consistent=True).email == "b@x"


def test_transactions_commit_all_or_nothing_with_mapped_reasons(
    ddb_endpoint: str, tables: TableGateway, fast: bool
) -> None:
    WriteApi[Task](tables).create(task(9))
    WriteApi[Hits](tables).create(Hits(page="home"))

    async def scenario(gateway: AsyncTableGateway) -> None:
        async with AsyncTransaction(gateway) as tx:
            tx.create(task(1))
            tx.create(Member(member_id="m1", email="a@x"))
            tx.update(Hits, {"page": "home"}, Update().increment("hits"))
        assert tx.committed
        failing = AsyncTransaction(gateway)
        failing.create(task(2))
        failing.create(task(9))  # exists: the whole transaction is cancelled
        failing.update(Member, {"member_id": "m1"}, NewEmail(email="b@x"))  # read in commit
        with pytest.raises(TransactionCanceledError) as caught:
            await failing.commit()
        reasons = [type(r.error).__name__ if r.error else None for r in caught.value.reasons]
        assert "AlreadyExistsError" in reasons
        assert await AsyncReadApi[Task](gateway).get(task_id="t2", consistent=True) is None

    run(ddb_endpoint, tables, fast, scenario)
    assert ReadApi[Hits](tables).require(page="home", consistent=True).hits == 1
    assert ReadApi[Member](tables).require(member_id="m1", consistent=True).email == "a@x"


class Seat(DomainModel):
    """A TTL and a unique field: a create over an expired item moves its guards."""

    seat_id: str
    email: str
    expires_at: dt.datetime | None = None

    class Meta:
        table_name = "aio_seats"
        partition_key = "seat_id"
        ttl_attribute = "expires_at"
        unique = ("email",)


def test_a_transactions_create_over_an_expired_item_releases_its_unique_values(
    ddb_endpoint: str, ddb_tables: TableFactory, ddb_client: Any, fast: bool
) -> None:
    seats = ddb_tables(Seat)
    table = seats.physical_table_name("aio_seats")
    ddb_client.update_time_to_live(  # DynamoDB Local keeps the expired item: not deleted yet
        TableName=table,
        TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires_at"},
    )
    writes = WriteApi[Seat](seats)
    writes.create(Seat(seat_id="s1", email="old@example.com"))
    past = int(dt.datetime.now(dt.timezone.utc).timestamp()) - 120
    ddb_client.update_item(
        TableName=table,
        Key={"seat_id": {"S": "s1"}},
        UpdateExpression="SET expires_at = :t",
        ExpressionAttributeValues={":t": {"N": str(past)}},
    )

    async def scenario(gateway: AsyncTableGateway) -> None:
        async with AsyncTransaction(gateway) as tx:
            tx.create(Seat(seat_id="s1", email="new@example.com"))

    run(ddb_endpoint, seats, fast, scenario)
    writes.create(Seat(seat_id="s2", email="old@example.com"))  # released: free again
    with pytest.raises(UniqueConstraintError):
        writes.create(Seat(seat_id="s3", email="new@example.com"))


def test_batch_writer_puts_and_deletes_in_requests_of_25(
    ddb_endpoint: str, tables: TableGateway, fast: bool
) -> None:
    async def scenario(gateway: AsyncTableGateway) -> tuple[int, int]:
        writes = AsyncWriteApi[Task](gateway)
        async with writes.batch(flush_at=30) as batch:
            for n in range(70):
                await batch.put(task(n))
        async with writes.batch() as deletes:
            for n in range(10):
                await deletes.delete({"task_id": f"t{n}"})
        return batch.written + deletes.written, await AsyncReadApi[Task](gateway).scan_count()

    assert run(ddb_endpoint, tables, fast, scenario) == (80, 60)


def test_what_async_writes_the_sync_api_reads_and_back(
    ddb_endpoint: str, tables: TableGateway, fast: bool
) -> None:
    async def scenario(gateway: AsyncTableGateway) -> None:
        await AsyncWriteApi[Task](gateway).create(task(1))

    run(ddb_endpoint, tables, fast, scenario)
    synced = ReadApi[Task](tables).require(task_id="t1", consistent=True)
    WriteApi[Task](tables).update(synced, Retitle(title="from sync"))

    async def back(gateway: AsyncTableGateway) -> str:
        return (await AsyncReadApi[Task](gateway).require(task_id="t1", consistent=True)).title

    assert run(ddb_endpoint, tables, fast, back) == "from sync"


def test_gateway_admin_calls(ddb_endpoint: str, tables: TableGateway, fast: bool) -> None:
    async def scenario(gateway: AsyncTableGateway) -> None:
        assert {"aio_tasks", "aio_members", "aio_hits"} <= set(await gateway.list_tables())
        active = await gateway.wait_until_active("aio_tasks", timeout=10)
        assert active["Table"]["TableStatus"] == "ACTIVE"
        pages = [page async for page in gateway.scan_pages({"TableName": "aio_hits"})]
        assert pages and pages[0]["Count"] == 0

    run(ddb_endpoint, tables, fast, scenario)


def test_from_gateway_reaches_the_same_tables(tables: TableGateway) -> None:
    WriteApi[Hits](tables).create(Hits(page="a", hits=3))

    async def scenario() -> int:
        async with AsyncTableGateway.from_gateway(tables) as gateway:
            return (await AsyncReadApi[Hits](gateway).require(page="a", consistent=True)).hits

    assert asyncio.run(scenario()) == 3
