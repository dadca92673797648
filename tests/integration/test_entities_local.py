"""Several entities in one table, on DynamoDB Local.

One table (``pk``/``sk``) holds three entities told apart by their sort-key templates —
customers (with a unique email: guard items), orders and order lines — plus items another
service writes: its own entity, and a guard-like item of its own. Everything but the customers
is written with raw boto3, as the .NET service would. Each entity is read through its own
ReadApi (query, scan, view, limit and cursor) and the partition through a ``Collection``: no
``CorruptItemError`` for a foreign entity, each item decoded as its own model, guard items
never returned.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import pytest

from ddbwrap import (
    GSI,
    Collection,
    CorruptItemError,
    Discriminator,
    DomainModel,
    KeyPrefix,
    KeyTemplate,
    ReadApi,
    ValidationError,
    View,
    WriteApi,
)
from ddbwrap.gateway import TableGateway
from ddbwrap.read import begins_with

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from ddbwrap.testing.plugin import TableFactory

TABLE = "shop_local"
SECRET = "entities-local-secret-0123456789"


class Customer(DomainModel):
    customer_id: str
    email: str
    name: str
    since: date

    class Meta:
        table_name = TABLE
        partition_key = KeyTemplate("pk", "CUSTOMER#{customer_id}")
        sort_key = KeyTemplate("sk", "PROFILE#{since}")
        unique = ("email",)
        entity = KeyPrefix()


class Order(DomainModel):
    customer_id: str
    order_id: str
    total: Decimal
    status: str = "open"

    class Meta:
        table_name = TABLE
        partition_key = KeyTemplate("pk", "CUSTOMER#{customer_id}")
        sort_key = KeyTemplate("sk", "ORDER#{order_id}")
        gsis = [GSI("by-status", partition_key=KeyTemplate("gpk", "STATUS#{status}"))]
        entity = KeyPrefix()


class OrderLine(DomainModel):
    customer_id: str
    order_id: str
    line_no: int
    sku: str
    quantity: int = 1

    class Meta:
        table_name = TABLE
        partition_key = KeyTemplate("pk", "CUSTOMER#{customer_id}")
        sort_key = KeyTemplate("sk", "ORDER#{order_id}#LINE#{line_no}")
        entity = KeyPrefix()


class OrderTotal(View[Order]):
    order_id: str
    total: Decimal


def _raw(client: DynamoDBClient, table: str, *items: dict[str, Any]) -> None:
    for item in items:
        client.put_item(TableName=table, Item=item)


@pytest.fixture
def shop(ddb_tables: TableFactory, ddb_client: DynamoDBClient) -> TableGateway:
    gateway = ddb_tables(Customer, Order, OrderLine)
    customers = WriteApi[Customer](gateway)
    customers.create(
        Customer(customer_id="c1", email="ada@example.com", name="Ada", since=date(2026, 1, 2))
    )
    customers.create(
        Customer(customer_id="c2", email="bob@example.com", name="Bob", since=date(2026, 2, 3))
    )
    table = gateway.physical_table_name(TABLE)
    c1 = {"S": "CUSTOMER#c1"}
    items: list[dict[str, Any]] = []
    for n in range(1, 4):
        items.append(
            {
                "pk": c1,
                "sk": {"S": f"ORDER#o{n}"},
                "gpk": {"S": "STATUS#open"},
                "customer_id": {"S": "c1"},
                "order_id": {"S": f"o{n}"},
                "total": {"N": f"{n}9.90"},
                "status": {"S": "open"},
                "DotNetOnly": {"S": "kept, ignored"},
            }
        )
        for line in (1, 2):
            items.append(
                {
                    "pk": c1,
                    "sk": {"S": f"ORDER#o{n}#LINE#{line}"},
                    "customer_id": {"S": "c1"},
                    "order_id": {"S": f"o{n}"},
                    "line_no": {"N": str(line)},
                    "sku": {"S": f"sku-{n}{line}"},
                    # an OrderLine that would validate as an Order if nobody checked its key
                    "total": {"N": "1"},
                }
            )
    items += [
        # another service's entity in the same partition: an invoice with other attributes
        {
            "pk": c1,
            "sk": {"S": "INVOICE#2026-001"},
            "gpk": {"S": "STATUS#open"},
            "amount": {"S": "59.70 EUR"},
        },
        # and its own guard-like item (owner attributes, as ddbwrap's guards have)
        {
            "pk": c1,
            "sk": {"S": "UNIQUE#vat#DE123"},
            "owner": {"S": "CUSTOMER#c1"},
            "owner_table": {"S": TABLE},
        },
    ]
    _raw(ddb_client, table, *items)
    return gateway


def test_each_entity_reads_only_its_own_items(shop: TableGateway) -> None:
    orders = ReadApi[Order](shop, cursor_secret=SECRET).query(customer_id="c1")
    assert [o.order_id for o in orders] == ["o1", "o2", "o3"]
    assert [o.total for o in orders] == [Decimal("19.90"), Decimal("29.90"), Decimal("39.90")]
    assert orders.corrupt == ()
    # read: the sort keys starting with "ORDER#" (orders and their lines); the lines skipped
    assert sorted(key["sk"] for key in orders.skipped_keys) == [
        f"ORDER#o{n}#LINE#{line}" for n in (1, 2, 3) for line in (1, 2)
    ]
    scanned = ReadApi[Order](shop).scan()
    skipped = {key["sk"] for key in scanned.skipped_keys}
    assert [o.order_id for o in scanned] == ["o1", "o2", "o3"]
    assert {"INVOICE#2026-001", "ORDER#o1#LINE#1", "PROFILE#2026-01-02"} <= skipped
    assert not any(sk.startswith("UNIQUE#") for sk in skipped)  # guards: never reported

    lines = ReadApi[OrderLine](shop).query(customer_id="c1", sort=begins_with("ORDER#o2"))
    assert [(li.order_id, li.line_no, li.sku) for li in lines] == [
        ("o2", 1, "sku-21"),
        ("o2", 2, "sku-22"),
    ]
    assert lines.skipped == 1  # the order o2 itself

    assert ReadApi[Order](shop).count(customer_id="c1") == 3
    assert ReadApi[OrderLine](shop).scan_count() == 6
    assert ReadApi[Order](shop).count(index="by-status", status="open") == 3

    customers = ReadApi[Customer](shop)
    assert sorted(c.email for c in customers.scan()) == ["ada@example.com", "bob@example.com"]
    assert customers.get(customer_id="c1", since=date(2026, 1, 2)) is not None


def test_views_limits_and_cursors_skip_other_entities(shop: TableGateway) -> None:
    reads = ReadApi[Order](shop, cursor_secret=SECRET)
    totals = reads.query(customer_id="c1", view=OrderTotal, limit=2)
    assert [t.order_id for t in totals] == ["o1", "o2"] and totals.cursor is not None
    rest = reads.query(customer_id="c1", view=OrderTotal, limit=2, cursor=totals.cursor)
    assert [t.order_id for t in rest] == ["o3"]
    assert [o.order_id for o in reads.query_all(customer_id="c1")] == ["o1", "o2", "o3"]
    assert sorted(o.order_id for o in reads.scan_all(segments=3)) == ["o1", "o2", "o3"]
    # on the GSI too (another service's item also carries a gpk there)
    on_index = reads.query(index="by-status", status="open")
    assert sorted(o.order_id for o in on_index) == ["o1", "o2", "o3"] and on_index.skipped == 1


def test_a_corrupt_item_of_the_entity_still_raises(shop: TableGateway, ddb_client: Any) -> None:
    _raw(
        ddb_client,
        shop.physical_table_name(TABLE),
        {
            "pk": {"S": "CUSTOMER#c1"},
            "sk": {"S": "ORDER#o9"},
            "customer_id": {"S": "c1"},
            "order_id": {"S": "o9"},
            "total": {"S": "a lot"},
        },
    )
    reads = ReadApi[Order](shop)
    with pytest.raises(CorruptItemError) as caught:
        reads.query(customer_id="c1")
    assert caught.value.model == "Order" and caught.value.errors[0]["loc"] == ("total",)
    page = reads.query(customer_id="c1", on_corrupt="skip")
    assert len(page) == 3 and len(page.corrupt) == 1


def test_a_collection_returns_each_item_as_its_own_model(shop: TableGateway) -> None:
    partition = Collection(shop, Order, OrderLine, Customer, cursor_secret=SECRET)
    page = partition.query(customer_id="c1")
    decoded = [(type(item).__name__, item) for item in page]
    order_and_lines = ["Order", "OrderLine", "OrderLine"]
    assert [name for name, _ in decoded] == order_and_lines * 3 + ["Customer"]  # sort-key order
    by_kind: dict[str, list[Any]] = {}
    for name, item in decoded:
        by_kind.setdefault(name, []).append(item)
    assert [c.name for c in by_kind["Customer"]] == ["Ada"]
    assert [o.order_id for o in by_kind["Order"]] == ["o1", "o2", "o3"]
    assert len(by_kind["OrderLine"]) == 6
    assert all(isinstance(line, OrderLine) for line in by_kind["OrderLine"])
    assert [key["sk"] for key in page.skipped_keys] == ["INVOICE#2026-001"]

    # paged with limit: the same items, none lost or repeated
    seen: list[tuple[str, str]] = []
    cursor = None
    while True:
        part = partition.query(customer_id="c1", limit=4, cursor=cursor)
        seen += [(type(i).__name__, str(i)) for i in part]
        cursor = part.cursor
        if cursor is None:
            break
    assert seen == [(name, str(item)) for name, item in decoded]
    assert [type(i).__name__ for i in partition.query_all(customer_id="c1")] == [
        name for name, _ in decoded
    ]
    on_index = Collection(shop, Order, OrderLine).query(index="by-status", status="open")
    assert sorted(o.order_id for o in on_index if isinstance(o, Order)) == ["o1", "o2", "o3"]
    assert len(on_index) == 3 and on_index.skipped == 1  # the invoice, which has a gpk too

    everything = list(partition.scan_all())
    assert sum(isinstance(i, Customer) for i in everything) == 2
    assert len(everything) == 2 + 3 + 6


def test_a_parallel_collection_scan_returns_every_item_once_as_its_own_model(
    shop: TableGateway,
) -> None:
    partition = Collection(shop, Order, OrderLine, Customer, cursor_secret=SECRET)
    whole = sorted(str(item) for item in partition.scan_all())
    for segments in (2, 3, 7):
        items = list(partition.scan_all(segments=segments, page_size=2))
        assert sorted(str(item) for item in items) == whole  # none lost, none twice
        assert sum(isinstance(i, Customer) for i in items) == 2
        assert sum(isinstance(i, OrderLine) for i in items) == 6


def test_a_parallel_collection_scan_refuses_a_segment_count_dynamodb_refuses(
    shop: TableGateway,
) -> None:
    partition = Collection(shop, Order, OrderLine)
    for segments in (0, -2, 1_000_001):
        with pytest.raises(ValidationError, match="segments must be an int from 1 to 1000000"):
            partition.scan_all(segments=segments)


def test_a_discriminated_table_written_by_another_service(
    ddb_tables: TableFactory, ddb_client: Any
) -> None:
    class Film(DomainModel):
        media_id: str
        title: str
        kind: Literal["film"] = "film"

        class Meta:
            table_name = "media_local"
            partition_key = "media_id"
            entity = Discriminator("kind")

    class Song(DomainModel):
        media_id: str
        title: str
        seconds: int
        kind: Literal["song", "single"] = "song"

        class Meta:
            table_name = "media_local"
            partition_key = "media_id"
            entity = Discriminator("kind")

    gateway = ddb_tables(Film, Song)
    WriteApi[Film](gateway).create(Film(media_id="m1", title="Alien"))
    _raw(
        ddb_client,
        gateway.physical_table_name("media_local"),
        {
            "media_id": {"S": "m2"},
            "title": {"S": "Help!"},
            "seconds": {"N": "140"},
            "kind": {"S": "single"},
        },
        {"media_id": {"S": "m3"}, "title": {"S": "Podcast"}, "kind": {"S": "podcast"}},
    )
    films = ReadApi[Film](gateway).scan()
    assert [f.title for f in films] == ["Alien"] and films.skipped == 2
    assert ReadApi[Song](gateway).get(media_id="m1") is None
    both = Collection(gateway, Film, Song).scan()
    assert sorted((type(i).__name__, i.title) for i in both) == [
        ("Film", "Alien"),
        ("Song", "Help!"),
    ]
    assert both.skipped_keys == ({"media_id": "m3"},)
