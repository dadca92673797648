"""Exactly once, end to end: ddbwrap through a fault-injecting proxy in front of DynamoDB Local.

The proxy forwards each request to DynamoDB Local (which applies it) and then drops, delays or
spoils the answer, as a misbehaving network or proxy would; the unit suite runs the same
scenarios on a scripted transport.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from botocore.config import Config
from tests.integration.faultproxy import (
    bad_crc,
    delay_response,
    drop_response,
    empty_body,
    internal_server_error,
    throttled,
    truncated_body,
)

from ddbwrap import (
    DomainModel,
    OutcomeUnknownError,
    ReadApi,
    ServiceError,
    TableGateway,
    Transaction,
    Update,
    UpdateDTO,
    WriteApi,
)
from ddbwrap.retry import RetryPolicy
from ddbwrap.testing import local_client

if TYPE_CHECKING:
    from tests.integration.faultproxy import FaultProxy

    from ddbwrap.testing.plugin import TableFactory

pytestmark = pytest.mark.integration


class Hits(DomainModel):
    page: str
    hits: int = 0

    class Meta:
        table_name = "eo_hits"
        partition_key = "page"


class Article(DomainModel):
    article_id: str
    title: str
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    version: int = 0

    class Meta:
        table_name = "eo_articles"
        partition_key = "article_id"
        version_attribute = "version"
        created_at_attribute = "created_at"
        updated_at_attribute = "updated_at"


class Retitle(UpdateDTO[Article]):
    title: str


@pytest.fixture
def proxied(ddb_tables: TableFactory, fault_proxy: FaultProxy) -> Iterator[TableGateway]:
    """A gateway whose calls go through the proxy (short read timeout, no real pauses)."""
    direct = ddb_tables(Hits, Article)
    client = local_client(fault_proxy.url, config=Config(read_timeout=1, connect_timeout=2))
    yield TableGateway(
        client,
        table_prefix=direct.table_prefix,
        retry=RetryPolicy(sleep=lambda _: None, request_attempts=4),
    )


def direct_read(ddb_tables: TableFactory, model: Any, **key: str) -> Any:
    return ReadApi[model](ddb_tables(Hits, Article)).get(**key, consistent=True)


def test_a_counter_whose_response_is_dropped_is_applied_once_and_reported_unknown(
    proxied: TableGateway, fault_proxy: FaultProxy, ddb_tables: TableFactory
) -> None:
    writes = WriteApi[Hits](proxied)
    writes.create(Hits(page="home"))
    fault_proxy.inject("UpdateItem", drop_response())
    with pytest.raises(OutcomeUnknownError):
        writes.update({"page": "home"}, Update().increment("hits"))
    assert fault_proxy.count("UpdateItem") == 1
    assert direct_read(ddb_tables, Hits, page="home").hits == 1


def test_an_idempotent_counter_whose_response_is_dropped_is_applied_once(
    proxied: TableGateway, fault_proxy: FaultProxy, ddb_tables: TableFactory
) -> None:
    writes = WriteApi[Hits](proxied)
    writes.create(Hits(page="home"))
    fault_proxy.inject("TransactWriteItems", drop_response())
    assert writes.update({"page": "home"}, Update().increment("hits"), idempotent=True).hits == 1
    assert fault_proxy.count("TransactWriteItems", forwarded=True) == 2
    assert direct_read(ddb_tables, Hits, page="home").hits == 1


def test_a_versioned_update_whose_response_is_dropped_succeeds_once(
    proxied: TableGateway, fault_proxy: FaultProxy, ddb_tables: TableFactory
) -> None:
    writes = WriteApi[Article](proxied)
    article = writes.create(Article(article_id="a1", title="draft"))
    fault_proxy.inject("UpdateItem", drop_response())
    after = writes.update(article, Retitle(title="final"))
    assert (after.title, after.version) == ("final", 2)
    assert direct_read(ddb_tables, Article, article_id="a1").version == 2


def test_modify_whose_response_is_dropped_applies_the_change_once(
    proxied: TableGateway, fault_proxy: FaultProxy, ddb_tables: TableFactory
) -> None:
    writes = WriteApi[Article](proxied)
    writes.create(Article(article_id="a1", title="x"))
    fault_proxy.inject("UpdateItem", drop_response())
    after = writes.modify({"article_id": "a1"}, lambda a: Retitle(title=a.title + "!"))
    assert after.title == "x!"
    assert direct_read(ddb_tables, Article, article_id="a1").title == "x!"


def test_a_create_whose_response_is_dropped_is_not_already_exists(
    proxied: TableGateway, fault_proxy: FaultProxy, ddb_tables: TableFactory
) -> None:
    fault_proxy.inject("PutItem", drop_response())
    created = WriteApi[Article](proxied).create(Article(article_id="a1", title="new"))
    assert created.version == 1
    assert direct_read(ddb_tables, Article, article_id="a1").title == "new"


def test_a_timestamped_transaction_whose_response_is_dropped_is_applied_once(
    proxied: TableGateway, fault_proxy: FaultProxy, ddb_tables: TableFactory
) -> None:
    WriteApi[Hits](proxied).create(Hits(page="home"))
    fault_proxy.inject("TransactWriteItems", drop_response())
    with Transaction(proxied) as tx:
        tx.create(Article(article_id="a1", title="t"))
        tx.update(Hits, {"page": "home"}, Update().increment("hits"))
    sent = fault_proxy.requests("TransactWriteItems", forwarded=True)
    assert len(sent) == 2
    assert sent[0].body == sent[1].body  # one token, one body: no IdempotentParameterMismatch
    assert direct_read(ddb_tables, Hits, page="home").hits == 1


def test_a_write_after_a_5xx_that_applied_it_is_not_applied_twice(
    proxied: TableGateway, fault_proxy: FaultProxy, ddb_tables: TableFactory
) -> None:
    writes = WriteApi[Hits](proxied)
    writes.create(Hits(page="home"))
    fault_proxy.inject("UpdateItem", internal_server_error(after_forward=True))
    with pytest.raises(OutcomeUnknownError):
        writes.update({"page": "home"}, Update().increment("hits"))
    assert direct_read(ddb_tables, Hits, page="home").hits == 1


def test_a_read_timeout_on_a_get_is_retried(
    proxied: TableGateway, fault_proxy: FaultProxy
) -> None:
    WriteApi[Hits](proxied).create(Hits(page="home", hits=4))
    fault_proxy.inject("GetItem", delay_response(1.5))
    assert ReadApi[Hits](proxied).require(page="home").hits == 4


def test_an_empty_body_is_retried_not_read_as_a_missing_item(
    proxied: TableGateway, fault_proxy: FaultProxy
) -> None:
    WriteApi[Hits](proxied).create(Hits(page="home"))
    fault_proxy.inject("GetItem", empty_body())
    assert ReadApi[Hits](proxied).get(page="home") is not None
    assert fault_proxy.count("GetItem") == 2


def test_a_truncated_query_page_is_an_error_not_an_empty_page(
    proxied: TableGateway, fault_proxy: FaultProxy
) -> None:
    WriteApi[Hits](proxied).create(Hits(page="home"))
    fault_proxy.inject("Query", truncated_body(), times=None)
    with pytest.raises(ServiceError, match="unreadable"):
        ReadApi[Hits](proxied).query(page="home")


def test_a_crc_mismatch_is_retried_and_never_used(
    proxied: TableGateway, fault_proxy: FaultProxy
) -> None:
    WriteApi[Hits](proxied).create(Hits(page="home", hits=2))
    fault_proxy.inject("GetItem", bad_crc())
    assert ReadApi[Hits](proxied).require(page="home").hits == 2
    fault_proxy.inject("GetItem", bad_crc(), times=None)
    with pytest.raises(ServiceError, match="CRC32"):
        ReadApi[Hits](proxied).get(page="home")


def test_throttling_is_retried(proxied: TableGateway, fault_proxy: FaultProxy) -> None:
    fault_proxy.inject("PutItem", throttled(), times=2)
    WriteApi[Hits](proxied).create(Hits(page="home"))
    assert fault_proxy.count("PutItem") == 3


def test_a_batch_chunk_whose_response_is_dropped_writes_every_item_once(
    proxied: TableGateway, fault_proxy: FaultProxy
) -> None:
    fault_proxy.inject("BatchWriteItem", drop_response())
    with WriteApi[Hits](proxied).batch() as batch:
        for index in range(40):
            batch.put(Hits(page=f"p{index}"))
    assert batch.written == 40
    assert ReadApi[Hits](proxied).scan_count() == 40
