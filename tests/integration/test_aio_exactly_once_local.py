"""Exactly once under the async driver, end to end: ``ddbwrap.aio`` over aiobotocore through
the fault-injecting proxy in front of DynamoDB Local (the scenarios of
``test_exactly_once_local.py``, on the same flows, driven asynchronously).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from tests.integration.faultproxy import (
    bad_crc,
    delay_response,
    drop_response,
    empty_body,
    internal_server_error,
    throttled,
    truncated_body,
)

from ddbwrap import DomainModel, OutcomeUnknownError, ReadApi, ServiceError, Update, UpdateDTO
from ddbwrap.aio import AsyncReadApi, AsyncTableGateway, AsyncTransaction, AsyncWriteApi
from ddbwrap.gateway import TableGateway
from ddbwrap.retry import RetryPolicy
from ddbwrap.testing.local import LOCAL_ACCESS_KEY, LOCAL_REGION, LOCAL_SECRET_KEY

if TYPE_CHECKING:
    from tests.integration.faultproxy import FaultProxy

    from ddbwrap.testing.plugin import TableFactory

pytestmark = pytest.mark.integration

T = TypeVar("T")


class Hits(DomainModel):
    page: str
    hits: int = 0

    class Meta:
        table_name = "aio_eo_hits"
        partition_key = "page"


class Article(DomainModel):
    article_id: str
    title: str
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    version: int = 0

    class Meta:
        table_name = "aio_eo_articles"
        partition_key = "article_id"
        version_attribute = "version"
        created_at_attribute = "created_at"
        updated_at_attribute = "updated_at"


class Retitle(UpdateDTO[Article]):
    title: str


@pytest.fixture
def direct(ddb_tables: TableFactory) -> TableGateway:
    return ddb_tables(Hits, Article)


def proxied(
    proxy: FaultProxy, direct: TableGateway, scenario: Callable[[AsyncTableGateway], Awaitable[T]]
) -> T:
    """``scenario`` on an async gateway whose calls go through the proxy."""

    async def main() -> T:
        from aiobotocore.config import AioConfig
        from aiobotocore.session import get_session

        async with get_session().create_client(
            "dynamodb",
            endpoint_url=proxy.url,
            region_name=LOCAL_REGION,
            aws_access_key_id=LOCAL_ACCESS_KEY,
            aws_secret_access_key=LOCAL_SECRET_KEY,
            config=AioConfig(read_timeout=1, connect_timeout=2),
        ) as client:
            gateway = AsyncTableGateway(
                client,
                table_prefix=direct.table_prefix,
                retry=RetryPolicy(sleep=lambda _: None, request_attempts=4),
            )
            return await scenario(gateway)

    return asyncio.run(main())


def stored(direct: TableGateway, model: Any, **key: str) -> Any:
    return ReadApi[model](direct).get(**key, consistent=True)


def test_a_counter_whose_response_is_dropped_is_applied_once_and_reported_unknown(
    fault_proxy: FaultProxy, direct: TableGateway
) -> None:
    async def scenario(gateway: AsyncTableGateway) -> None:
        writes = AsyncWriteApi[Hits](gateway)
        await writes.create(Hits(page="home"))
        fault_proxy.inject("UpdateItem", drop_response())
        with pytest.raises(OutcomeUnknownError):
            await writes.update({"page": "home"}, Update().increment("hits"))

    proxied(fault_proxy, direct, scenario)
    assert fault_proxy.count("UpdateItem") == 1
    assert stored(direct, Hits, page="home").hits == 1


def test_an_idempotent_counter_whose_response_is_dropped_is_applied_once(
    fault_proxy: FaultProxy, direct: TableGateway
) -> None:
    async def scenario(gateway: AsyncTableGateway) -> int:
        writes = AsyncWriteApi[Hits](gateway)
        await writes.create(Hits(page="home"))
        fault_proxy.inject("TransactWriteItems", drop_response())
        after = await writes.update({"page": "home"}, Update().increment("hits"), idempotent=True)
        return after.hits

    assert proxied(fault_proxy, direct, scenario) == 1
    assert fault_proxy.count("TransactWriteItems", forwarded=True) == 2
    assert stored(direct, Hits, page="home").hits == 1


def test_a_versioned_update_and_modify_whose_responses_are_dropped_succeed_once(
    fault_proxy: FaultProxy, direct: TableGateway
) -> None:
    async def scenario(gateway: AsyncTableGateway) -> tuple[str, int]:
        writes = AsyncWriteApi[Article](gateway)
        article = await writes.create(Article(article_id="a1", title="draft"))
        fault_proxy.inject("UpdateItem", drop_response())
        after = await writes.update(article, Retitle(title="final"))
        assert (after.title, after.version) == ("final", 2)
        fault_proxy.inject("UpdateItem", drop_response())
        modified = await writes.modify({"article_id": "a1"}, lambda a: Retitle(title=a.title + "!"))
        return modified.title, modified.version

    assert proxied(fault_proxy, direct, scenario) == ("final!", 3)
    assert stored(direct, Article, article_id="a1").version == 3


def test_a_create_whose_response_is_dropped_is_not_already_exists(
    fault_proxy: FaultProxy, direct: TableGateway
) -> None:
    async def scenario(gateway: AsyncTableGateway) -> int:
        fault_proxy.inject("PutItem", drop_response())
        created = await AsyncWriteApi[Article](gateway).create(Article(article_id="a1", title="n"))
        return created.version

    assert proxied(fault_proxy, direct, scenario) == 1
    assert stored(direct, Article, article_id="a1").title == "n"


def test_a_timestamped_transaction_whose_response_is_dropped_is_applied_once(
    fault_proxy: FaultProxy, direct: TableGateway
) -> None:
    async def scenario(gateway: AsyncTableGateway) -> None:
        await AsyncWriteApi[Hits](gateway).create(Hits(page="home"))
        fault_proxy.inject("TransactWriteItems", drop_response())
        async with AsyncTransaction(gateway) as tx:
            tx.create(Article(article_id="a1", title="t"))
            tx.update(Hits, {"page": "home"}, Update().increment("hits"))

    proxied(fault_proxy, direct, scenario)
    sent = fault_proxy.requests("TransactWriteItems", forwarded=True)
    assert len(sent) == 2
    assert sent[0].body == sent[1].body
    assert stored(direct, Hits, page="home").hits == 1


def test_a_write_after_a_5xx_that_applied_it_is_not_applied_twice(
    fault_proxy: FaultProxy, direct: TableGateway
) -> None:
    async def scenario(gateway: AsyncTableGateway) -> None:
        writes = AsyncWriteApi[Hits](gateway)
        await writes.create(Hits(page="home"))
        fault_proxy.inject("UpdateItem", internal_server_error(after_forward=True))
        with pytest.raises(OutcomeUnknownError):
            await writes.update({"page": "home"}, Update().increment("hits"))

    proxied(fault_proxy, direct, scenario)
    assert stored(direct, Hits, page="home").hits == 1


def test_reads_are_retried_after_timeouts_empty_bodies_crc_mismatches_and_throttling(
    fault_proxy: FaultProxy, direct: TableGateway
) -> None:
    async def scenario(gateway: AsyncTableGateway) -> list[int]:
        await AsyncWriteApi[Hits](gateway).create(Hits(page="home", hits=4))
        reads = AsyncReadApi[Hits](gateway)
        found = []
        for fault in (delay_response(1.5), empty_body(), bad_crc(), throttled()):
            fault_proxy.inject("GetItem", fault)
            found.append((await reads.require(page="home")).hits)
        return found

    assert proxied(fault_proxy, direct, scenario) == [4, 4, 4, 4]
    assert fault_proxy.count("GetItem") == 8


def test_a_truncated_query_page_is_an_error_not_an_empty_page(
    fault_proxy: FaultProxy, direct: TableGateway
) -> None:
    async def scenario(gateway: AsyncTableGateway) -> None:
        await AsyncWriteApi[Hits](gateway).create(Hits(page="home"))
        fault_proxy.inject("Query", truncated_body(), times=None)
        with pytest.raises(ServiceError, match="unreadable"):
            await AsyncReadApi[Hits](gateway).query(page="home")
        with pytest.raises(ServiceError, match="unreadable"):
            [hit async for hit in AsyncReadApi[Hits](gateway).query_all(page="home")]

    proxied(fault_proxy, direct, scenario)


@pytest.mark.parametrize(
    "fault",
    [drop_response, internal_server_error, throttled, empty_body, bad_crc, truncated_body],
)
def test_a_fault_in_one_request_of_a_flush_resends_that_request_alone(
    fault_proxy: FaultProxy, direct: TableGateway, fault: Callable[[], Any]
) -> None:
    def holds_p30(body: Any) -> bool:
        return any(
            write["PutRequest"]["Item"]["page"]["S"] == "p30"
            for writes in body["RequestItems"].values()
            for write in writes
        )

    async def scenario(gateway: AsyncTableGateway) -> int:
        fault_proxy.inject("BatchWriteItem", fault(), when=holds_p30)
        async with AsyncWriteApi[Hits](gateway).batch() as batch:
            for index in range(100):
                await batch.put(Hits(page=f"p{index}", hits=index))
        return batch.written

    assert proxied(fault_proxy, direct, scenario) == 100
    sent = [
        sorted(int(w["PutRequest"]["Item"]["page"]["S"][1:]) for ws in b.values() for w in ws)
        for b in (ex.body["RequestItems"] for ex in fault_proxy.requests("BatchWriteItem"))
    ]
    assert len(sent) == 5  # the four of the flush, then the one that met the fault
    assert sent[-1] == list(range(25, 50))
    stored_pages = {h.page: h.hits for h in ReadApi[Hits](direct).scan_all(consistent=True)}
    assert stored_pages == {f"p{index}": index for index in range(100)}
