"""Crafted key values cannot reach another tenant's items, on DynamoDB Local.

Tenant ``acme`` holds an item written before key values were checked (or by the .NET service
sharing the table): user ``admin#USER#x``, stored under ``TENANT#acme#USER#admin#USER#x``.
Tenant ``acme#USER#admin`` with user ``x`` renders that very key: every read, query and write
with those values is refused with ``KeyValueError`` before anything is sent, and the item is
unchanged. A prefix built from fields stays within one tenant (``TENANT#acme#``, never
``TENANT#acme2#``), and an item whose fields disagree with the key asked for is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from ddbwrap import (
    GSI,
    DomainModel,
    ForeignItemError,
    KeyTemplate,
    KeyValueError,
    UpdateDTO,
)
from ddbwrap.codec import codec_for
from ddbwrap.expressions import Attr
from ddbwrap.gateway import TableGateway
from ddbwrap.read import Get, ReadApi, begins_with, transact_get
from ddbwrap.write import WriteApi

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from ddbwrap.testing.plugin import TableFactory

pytestmark = pytest.mark.integration

SECRET = "integration-test-cursor-secret-0123456789"
VICTIM_KEY = {"pk": {"S": "TENANT#acme#USER#admin#USER#x"}}
CRAFTED: dict[str, Any] = {"tenant_id": "acme#USER#admin", "user_id": "x"}
"""Tenant ``acme#USER#admin``'s user ``x``: unchecked, this renders the victim's key."""


class Member(DomainModel):
    tenant_id: str
    user_id: str
    role: str = "viewer"

    class Meta:
        table_name = "members"
        partition_key = KeyTemplate("pk", "TENANT#{tenant_id}#USER#{user_id}")


class Share(DomainModel):
    """Shares of an organisation's documents; the tenant is part of the sort key."""

    org: str
    tenant_id: str
    doc_id: str
    title: str = ""

    class Meta:
        table_name = "shares"
        partition_key = KeyTemplate("pk", "ORG#{org}")
        sort_key = KeyTemplate("sk", "TENANT#{tenant_id}#DOC#{doc_id}")
        gsis = [GSI("by-doc", partition_key=KeyTemplate("gsi1pk", "DOC#{doc_id}"))]


class Promote(UpdateDTO[Member]):
    role: str


@pytest.fixture
def members(ddb_tables: TableFactory, ddb_client: DynamoDBClient) -> TableGateway:
    """The members table holding tenant acme's legacy item (written raw, as .NET would)."""
    gateway = ddb_tables(Member)
    ddb_client.put_item(
        TableName=gateway.physical_table_name("members"),
        Item={
            **VICTIM_KEY,
            "tenant_id": {"S": "acme"},
            "user_id": {"S": "admin#USER#x"},
            "role": {"S": "owner"},
        },
    )
    return gateway


@pytest.fixture
def sent(ddb_client: DynamoDBClient) -> Iterator[list[str]]:
    """The operations the client sends during the test."""
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    unique = f"ddbwrap-key-security-{uuid.uuid4().hex}"
    ddb_client.meta.events.register("before-parameter-build.dynamodb", record, unique_id=unique)
    yield calls
    ddb_client.meta.events.unregister("before-parameter-build.dynamodb", unique_id=unique)


def victim(ddb_client: DynamoDBClient, gateway: TableGateway) -> dict[str, Any]:
    item: dict[str, Any] = ddb_client.get_item(
        TableName=gateway.physical_table_name("members"), Key=VICTIM_KEY, ConsistentRead=True
    )["Item"]
    return item


READS: dict[str, Callable[[TableGateway], object]] = {
    "get": lambda g: ReadApi[Member](g).get(**CRAFTED),
    "require": lambda g: ReadApi[Member](g).require(CRAFTED),
    "batch_get": lambda g: ReadApi[Member](g).batch_get([CRAFTED]),
    "transact_get": lambda g: ReadApi[Member](g).transact_get([CRAFTED]),
    "transact_get_across_models": lambda g: transact_get(g, [Get(Member, **CRAFTED)]),
    "query": lambda g: ReadApi[Member](g, cursor_secret=SECRET).query(**CRAFTED),
    "filter": lambda g: ReadApi[Member](g, cursor_secret=SECRET).query(
        tenant_id="acme", user_id="u1", filter=Attr("pk") == CRAFTED
    ),
}


@pytest.mark.parametrize("read", list(READS.values()), ids=list(READS))
def test_crafted_values_cannot_read_another_tenants_item(
    read: Callable[[TableGateway], object], members: TableGateway, sent: list[str]
) -> None:
    with pytest.raises(KeyValueError) as info:
        read(members)
    assert sent == []
    assert "acme" not in str(info.value)  # names the field and separator, not the value


WRITES: dict[str, Callable[[TableGateway], object]] = {
    "create": lambda g: WriteApi[Member](g).create(Member(**CRAFTED, role="owner")),
    "put": lambda g: WriteApi[Member](g).put(Member(**CRAFTED, role="owner")),
    "replace": lambda g: WriteApi[Member](g).replace(Member(**CRAFTED, role="owner")),
    "update": lambda g: WriteApi[Member](g).update(CRAFTED, Promote(role="owner")),
    "upsert": lambda g: WriteApi[Member](g).update(CRAFTED, Promote(role="owner"), upsert=True),
    "delete": lambda g: WriteApi[Member](g).delete(CRAFTED),
}


@pytest.mark.parametrize("write", list(WRITES.values()), ids=list(WRITES))
def test_crafted_values_cannot_overwrite_another_tenants_item(
    write: Callable[[TableGateway], object],
    members: TableGateway,
    ddb_client: DynamoDBClient,
    sent: list[str],
) -> None:
    before = victim(ddb_client, members)
    sent.clear()
    with pytest.raises(KeyValueError):
        write(members)
    assert sent == []
    assert victim(ddb_client, members) == before


def test_ordinary_values_still_read_and_write(members: TableGateway) -> None:
    writes, reads = WriteApi[Member](members), ReadApi[Member](members)
    writes.create(Member(tenant_id="globex", user_id="u1", role="owner"))
    writes.update({"tenant_id": "globex", "user_id": "u1"}, Promote(role="admin"))
    found = reads.require(tenant_id="globex", user_id="u1")
    assert (found.tenant_id, found.user_id, found.role) == ("globex", "u1", "admin")


@pytest.fixture
def shares(ddb_tables: TableFactory) -> TableGateway:
    """Organisation o1 shares documents with tenants acme and acme2."""
    gateway = ddb_tables(Share)
    writes = WriteApi[Share](gateway)
    for tenant, doc in (("acme", "d1"), ("acme", "d2"), ("acme2", "d3")):
        writes.create(Share(org="o1", tenant_id=tenant, doc_id=doc))
    return gateway


def test_prefix_query_from_fields_stays_within_one_tenant(shares: TableGateway) -> None:
    reads = ReadApi[Share](shares, cursor_secret=SECRET)
    page = reads.query(org="o1", sort=begins_with({"tenant_id": "acme"}))
    assert sorted((s.tenant_id, s.doc_id) for s in page.items) == [("acme", "d1"), ("acme", "d2")]


def test_crafted_prefix_query_is_refused(shares: TableGateway, sent: list[str]) -> None:
    reads = ReadApi[Share](shares, cursor_secret=SECRET)
    with pytest.raises(KeyValueError):
        reads.query(org="o1", sort=begins_with({"tenant_id": "acme2#DOC#d3"}))
    assert sent == []


def test_crafted_index_query_is_refused(shares: TableGateway, sent: list[str]) -> None:
    reads = ReadApi[Share](shares, cursor_secret=SECRET)
    with pytest.raises(KeyValueError):
        reads.query(index="by-doc", doc_id="d3#x")
    assert sent == []


def test_item_whose_fields_disagree_with_the_key_is_not_returned(
    members: TableGateway, ddb_client: DynamoDBClient
) -> None:
    item = codec_for(Member).encode(Member(tenant_id="globex", user_id="u1"))
    item["pk"] = {"S": "TENANT#acme#USER#u1"}  # acme's key over globex's fields
    ddb_client.put_item(TableName=members.physical_table_name("members"), Item=item)
    with pytest.raises(ForeignItemError) as info:
        transact_get(members, [Get(Member, tenant_id="acme", user_id="u1")])
    assert info.value.attributes == ["tenant_id"]
    assert "globex" not in str(info.value)
