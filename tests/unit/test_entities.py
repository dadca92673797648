"""Several entities in one table: declaration checks, per-model reads that skip other entities'
items (and guard items), and collection reads that decode each item as its own model.

The reads run on moto's in-process DynamoDB; items are written with raw boto3, as another
service sharing the table would write them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, Literal

import boto3
import pytest
from moto import mock_aws

from ddbwrap import (
    Collection,
    CorruptItemError,
    Discriminator,
    DomainModel,
    KeyPrefix,
    KeyTemplate,
    ModelDefinitionError,
    ReadApi,
    View,
    WriteApi,
    schema_of,
)
from ddbwrap.aio import AsyncCollection, AsyncTableGateway
from ddbwrap.entities import (
    GUARD_OWNER_ATTRIBUTE,
    GUARD_OWNER_TABLE_ATTRIBUTE,
    distinguishable,
    is_guard,
    matcher_of,
    models_of,
    templates_disjoint,
)
from ddbwrap.gateway import TableGateway
from ddbwrap.read import Get, begins_with, transact_get
from ddbwrap.schema import UNIQUE_KEY_ATTRIBUTE
from ddbwrap.write import unique

TABLE = "ent_shop"


class Customer(DomainModel):
    customer_id: str
    name: str

    class Meta:
        table_name = TABLE
        partition_key = KeyTemplate("pk", "CUSTOMER#{customer_id}")
        sort_key = KeyTemplate("sk", "PROFILE#{customer_id}")
        entity = KeyPrefix()


class Order(DomainModel):
    customer_id: str
    order_id: str
    total: int

    class Meta:
        table_name = TABLE
        partition_key = KeyTemplate("pk", "CUSTOMER#{customer_id}")
        sort_key = KeyTemplate("sk", "ORDER#{order_id}")
        entity = KeyPrefix()


class OrderLine(DomainModel):
    customer_id: str
    order_id: str
    line_no: int
    sku: str

    class Meta:
        table_name = TABLE
        partition_key = KeyTemplate("pk", "CUSTOMER#{customer_id}")
        sort_key = KeyTemplate("sk", "ORDER#{order_id}#LINE#{line_no}")
        entity = KeyPrefix()


class OrderTotal(View[Order]):
    order_id: str
    total: int


# --- declarations --------------------------------------------------------------------------


def test_key_templates_tell_apart_prefixes_and_separator_sequences() -> None:
    order, line = schema_of(Order).sort_key, schema_of(OrderLine).sort_key
    assert order is not None and line is not None
    assert order.template is not None and line.template is not None
    assert templates_disjoint(order.template, line.template)  # "#" vs "###"
    assert templates_disjoint(KeyTemplate("sk", "ORDER#{a}"), KeyTemplate("sk", "ITEM#{a}"))
    assert not templates_disjoint(KeyTemplate("sk", "ORDER#{a}"), KeyTemplate("sk", "ORDER#{b}"))
    assert not templates_disjoint(KeyTemplate("sk", "A#{a}"), KeyTemplate("sk", "A#{a}|{b}"))
    assert distinguishable(schema_of(Order), schema_of(OrderLine))
    assert set(models_of(TABLE)) >= {Customer, Order, OrderLine}


def test_a_matcher_reads_the_key_shape_not_just_the_prefix() -> None:
    matcher = matcher_of(schema_of(Order))
    assert matcher.matches({"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "ORDER#o1"}})
    assert not matcher.matches({"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "ORDER#o1#LINE#1"}})
    assert not matcher.matches({"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "INVOICE#1"}})
    assert not matcher.matches({"pk": {"S": "CUSTOMER#c1"}})
    assert not matcher.matches({"pk": {"S": "CUSTOMER#c1"}, "sk": {"N": "1"}})


def test_two_models_that_cannot_be_told_apart_fail_at_the_second_definition() -> None:
    class Invoice(DomainModel):
        customer_id: str
        invoice_id: str

        class Meta:
            table_name = "ent_clash"
            partition_key = KeyTemplate("pk", "CUSTOMER#{customer_id}")
            sort_key = KeyTemplate("sk", "DOC#{invoice_id}")
            entity = KeyPrefix()

    with pytest.raises(ModelDefinitionError) as caught:

        class Receipt(DomainModel):
            customer_id: str
            receipt_id: str

            class Meta:
                table_name = "ent_clash"
                partition_key = KeyTemplate("pk", "CUSTOMER#{customer_id}")
                sort_key = KeyTemplate("sk", "DOC#{receipt_id}")
                entity = KeyPrefix()

    message = str(caught.value)
    assert caught.value.model == "Receipt" and "Invoice" in message
    assert "cannot be told apart" in message and "Discriminator(" in message
    assert Invoice in models_of("ent_clash")


def test_a_model_declaring_nothing_is_checked_against_one_that_declares() -> None:
    class Ticket(DomainModel):
        ticket_id: str

        class Meta:
            table_name = "ent_legacy"
            partition_key = KeyTemplate("pk", "T#{ticket_id}")
            entity = KeyPrefix()

    with pytest.raises(ModelDefinitionError, match="Ticket"):

        class Legacy(DomainModel):
            pk: str

            class Meta:
                table_name = "ent_legacy"
                partition_key = "pk"


def test_models_declaring_nothing_may_share_a_name_and_a_redefinition_replaces() -> None:
    for _ in range(2):

        class Narrow(DomainModel):
            item_id: str

            class Meta:
                table_name = "ent_same"
                partition_key = "item_id"

        class Wide(DomainModel):
            item_id: str
            extra: str = ""

            class Meta:
                table_name = "ent_same"
                partition_key = "item_id"

    assert [m.__name__ for m in models_of("ent_same")] == ["Narrow", "Wide"]


def test_discriminators_tell_apart_items_with_the_same_key_shape() -> None:
    class Cat(DomainModel):
        pet_id: str
        kind: Literal["cat"] = "cat"

        class Meta:
            table_name = "ent_pets"
            partition_key = "pet_id"
            entity = Discriminator("kind")

    class Dog(DomainModel):
        pet_id: str
        kind: Literal["dog", "puppy"] = "dog"

        class Meta:
            table_name = "ent_pets"
            partition_key = "pet_id"
            entity = Discriminator("kind")

    assert schema_of(Dog).discriminator == ("kind", ("dog", "puppy"))
    assert matcher_of(schema_of(Dog)).matches({"pet_id": {"S": "p"}, "kind": {"S": "puppy"}})
    assert not matcher_of(schema_of(Cat)).matches({"pet_id": {"S": "p"}, "kind": {"S": "dog"}})
    assert not matcher_of(schema_of(Cat)).matches({"pet_id": {"S": "p"}})

    with pytest.raises(ModelDefinitionError, match="Cat"):

        class Kitten(DomainModel):
            pet_id: str
            kind: Literal["cat"] = "cat"

            class Meta:
                table_name = "ent_pets"
                partition_key = "pet_id"
                entity = Discriminator("kind")


@pytest.mark.parametrize(
    ("annotation", "entity", "message"),
    [
        (str, Discriminator("kind"), "annotate it with the values"),
        (str, Discriminator("missing"), "does not exist"),
        (str, KeyPrefix(), "no table key is a KeyTemplate"),
        (str, "order", "must be KeyPrefix"),
        (str, KeyPrefix, "takes an instance"),
    ],
)
def test_bad_entity_declarations_fail_at_definition(
    annotation: Any, entity: object, message: str
) -> None:
    meta = type("Meta", (), {"table_name": "ent_bad", "partition_key": "bad_id", "entity": entity})
    meta.__qualname__, meta.__module__ = "Bad.Meta", __name__
    namespace = {
        "__annotations__": {"bad_id": str, "kind": annotation},
        "__module__": __name__,
        "__qualname__": "Bad",
        "Meta": meta,
    }
    with pytest.raises(ModelDefinitionError, match=message):
        type("Bad", (DomainModel,), namespace)


def test_the_discriminator_cannot_be_a_key_field() -> None:
    with pytest.raises(ModelDefinitionError, match="table key field"):

        class Keyed(DomainModel):
            kind: Literal["k"]

            class Meta:
                table_name = "ent_keyed"
                partition_key = "kind"
                entity = Discriminator("kind")


def test_guard_items_are_recognised_by_their_attributes() -> None:
    assert (GUARD_OWNER_ATTRIBUTE, GUARD_OWNER_TABLE_ATTRIBUTE) == (
        unique.OWNER_ATTRIBUTE,
        unique.OWNER_TABLE_ATTRIBUTE,
    )
    assert UNIQUE_KEY_ATTRIBUTE == "pk"
    guard = unique.guard_item(schema_of(Customer), "name", {"S": "Ada"}, {"pk": {"S": "x"}})
    assert is_guard(guard)
    assert not is_guard({"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "ORDER#1"}})


# --- reads on moto ---------------------------------------------------------------------------


def put(client: Any, table: str, *items: dict[str, Any]) -> None:
    for item in items:
        client.put_item(TableName=table, Item=item)


def shop_items() -> list[dict[str, Any]]:
    """What the .NET service writes into the partition of customer c1 (and c2)."""
    c1 = {"S": "CUSTOMER#c1"}
    items: list[dict[str, Any]] = [
        {"pk": c1, "sk": {"S": "PROFILE#c1"}, "customer_id": {"S": "c1"}, "name": {"S": "Ada"}},
        {"pk": c1, "sk": {"S": "NOTE#n1"}, "text": {"S": "another service's item"}},
    ]
    for n in range(1, 4):
        items.append(
            {
                "pk": c1,
                "sk": {"S": f"ORDER#o{n}"},
                "customer_id": {"S": "c1"},
                "order_id": {"S": f"o{n}"},
                "total": {"N": str(n * 10)},
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
                    # total would validate as an Order field: it must still not become one
                    "sku": {"S": f"sku-{n}-{line}"},
                    "total": {"N": "1"},
                }
            )
    items.append(
        {
            "pk": {"S": "CUSTOMER#c2"},
            "sk": {"S": "PROFILE#c2"},
            "customer_id": {"S": "c2"},
            "name": {"S": "Bob"},
        }
    )
    return items


@pytest.fixture
def gateway() -> Iterator[TableGateway]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**schema_of(Order).create_table_params())
        put(client, TABLE, *shop_items())
        yield TableGateway(client)


def test_a_query_through_one_model_skips_the_other_entities(gateway: TableGateway) -> None:
    page = ReadApi[Order](gateway).query(customer_id="c1")
    assert [o.order_id for o in page] == ["o1", "o2", "o3"]
    assert all(type(o) is Order for o in page)
    # the query reads the sort keys that start with "ORDER#" (Order's literal prefix) only
    request = ReadApi[Order](gateway).explain.query(customer_id="c1")
    assert request["KeyConditionExpression"] == "#n0 = :v0 AND begins_with(#n1, :v1)"
    assert request["ExpressionAttributeValues"][":v1"] == {"S": "ORDER#"}
    assert page.skipped == 6  # the six lines
    assert {"pk": "CUSTOMER#c1", "sk": "ORDER#o1#LINE#1"} in page.skipped_keys
    assert all(set(key) == {"pk", "sk"} for key in page.skipped_keys)  # keys, never values
    assert page.corrupt == ()
    scanned = ReadApi[Order](gateway).scan()  # a scan reads everything: the note is skipped
    assert len(scanned) == 3 and {"pk": "CUSTOMER#c1", "sk": "NOTE#n1"} in scanned.skipped_keys

    assert ReadApi[Order](gateway).count(customer_id="c1") == 3  # its items only
    assert ReadApi[Order](gateway).scan_count(segments=2) == 3
    assert ReadApi[OrderLine](gateway).count(customer_id="c1", sort=begins_with("ORDER#o1")) == 2

    lines = ReadApi[OrderLine](gateway).query(customer_id="c1")
    assert [(li.order_id, li.line_no) for li in lines][:2] == [("o1", 1), ("o1", 2)]
    assert len(lines) == 6 and lines.skipped == 3  # the orders: their prefix is "ORDER#" too

    customers = ReadApi[Customer](gateway).scan()
    assert sorted(c.name for c in customers) == ["Ada", "Bob"]
    # customer_id is in both key templates: as a keyword it names the partition
    profile = ReadApi[Customer](gateway).query(customer_id="c1")
    assert [c.name for c in profile] == ["Ada"] and profile.skipped == 0  # PROFILE# only
    first = Collection(gateway, Customer, Order).query(customer_id="c1")
    assert [type(i).__name__ for i in first] == ["Order"] * 3 + ["Customer"]


def test_limit_counts_only_the_models_items_and_cursors_resume(gateway: TableGateway) -> None:
    reads = ReadApi[Order](gateway, cursor_secret="a-test-secret-0123456789")
    first = reads.query(customer_id="c1", limit=2)
    assert [o.order_id for o in first] == ["o1", "o2"] and first.cursor is not None
    second = reads.query(customer_id="c1", limit=2, cursor=first.cursor)
    assert [o.order_id for o in second] == ["o3"]
    assert [o.order_id for o in reads.query_all(customer_id="c1")] == ["o1", "o2", "o3"]
    assert sorted(o.order_id for o in reads.scan_all(segments=2)) == ["o1", "o2", "o3"]


def test_an_item_of_the_entity_that_does_not_validate_still_follows_on_corrupt(
    gateway: TableGateway,
) -> None:
    gateway.client.put_item(
        TableName=TABLE,
        Item={
            "pk": {"S": "CUSTOMER#c1"},
            "sk": {"S": "ORDER#bad"},
            "order_id": {"S": "bad"},
            "customer_id": {"S": "c1"},
            "total": {"S": "lots"},
        },
    )
    reads = ReadApi[Order](gateway)
    with pytest.raises(CorruptItemError) as caught:
        reads.query(customer_id="c1")
    assert caught.value.model == "Order"
    page = reads.query(customer_id="c1", on_corrupt="skip")
    assert len(page) == 3 and len(page.corrupt) == 1 and page.skipped == 6


def test_views_and_gets_see_only_the_models_items(gateway: TableGateway) -> None:
    reads = ReadApi[Order](gateway)
    totals = reads.query(customer_id="c1", view=OrderTotal, sort=begins_with("ORDER#"))
    assert [t.total for t in totals] == [10, 20, 30]
    assert reads.get(customer_id="c1", order_id="o2") == Order(
        customer_id="c1", order_id="o2", total=20
    )


def test_a_collection_decodes_each_item_as_its_own_model(gateway: TableGateway) -> None:
    shop = Collection(gateway, Order, OrderLine, Customer, cursor_secret="a-test-secret-0123456789")
    page = shop.query(customer_id="c1")
    kinds = [type(item).__name__ for item in page]
    assert kinds.count("Customer") == 1 and kinds.count("Order") == 3
    assert kinds.count("OrderLine") == 6
    assert page.skipped_keys == ({"pk": "CUSTOMER#c1", "sk": "NOTE#n1"},)
    orders = [i for i in page if isinstance(i, Order)]
    assert orders[0] == Order(customer_id="c1", order_id="o1", total=10)

    collected: list[str] = []
    cursor = None
    while True:
        part = shop.query(customer_id="c1", limit=4, cursor=cursor)
        collected += [type(i).__name__ for i in part]
        cursor = part.cursor
        if cursor is None:
            break
    assert collected == kinds
    assert [type(i).__name__ for i in shop.query_all(customer_id="c1")] == kinds
    assert len(list(shop.scan_all())) == 11
    assert shop.scan(limit=3).count == 3

    only_orders = Collection(gateway, Order, OrderLine).query(
        customer_id="c1", sort=begins_with("ORDER#o2")
    )
    assert [type(i).__name__ for i in only_orders] == ["Order", "OrderLine", "OrderLine"]


def test_a_collection_cursor_is_not_a_model_cursor(gateway: TableGateway) -> None:
    from ddbwrap import InvalidCursorError

    secret = "a-test-secret-0123456789"
    page = Collection(gateway, Order, OrderLine, cursor_secret=secret).query(
        customer_id="c1", limit=2
    )
    assert page.cursor is not None
    with pytest.raises(InvalidCursorError, match="another query"):
        ReadApi[Order](gateway, cursor_secret=secret).query(
            customer_id="c1", limit=2, cursor=page.cursor
        )


def test_a_collection_of_models_that_cannot_be_told_apart_is_refused() -> None:
    class Plain(DomainModel):
        customer_id: str

        class Meta:
            table_name = TABLE + "_plain"
            partition_key = "customer_id"

    class AlsoPlain(DomainModel):
        customer_id: str
        more: str = ""

        class Meta:
            table_name = TABLE + "_plain"
            partition_key = "customer_id"

    gateway = TableGateway(boto3.client("dynamodb", region_name="us-east-1"))
    with pytest.raises(ModelDefinitionError, match="cannot be told apart"):
        Collection(gateway, Plain, AlsoPlain)
    with pytest.raises(ModelDefinitionError, match="does not share a table"):
        Collection(gateway, Order, Plain)
    with pytest.raises(ModelDefinitionError, match="twice"):
        Collection(gateway, Order, Order)
    with pytest.raises(ModelDefinitionError, match="1 to 4"):
        Collection(gateway)  # type: ignore[call-overload]


def test_guard_items_in_the_same_table_are_never_data() -> None:
    class Account(DomainModel):
        account_id: str
        email: str

        class Meta:
            table_name = "ent_accounts"
            partition_key = KeyTemplate("pk", "ACCOUNT#{account_id}")
            unique = ("email",)
            unique_table = "ent_accounts"

    class Plan(DomainModel):
        pk: str
        name: str = ""

        class Meta:
            table_name = "ent_plans"
            partition_key = "pk"
            unique = ("name",)
            unique_table = "ent_plans"

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**schema_of(Account).create_table_params())
        client.create_table(**schema_of(Plan).create_table_params())
        gateway = TableGateway(client)
        WriteApi[Account](gateway).create(Account(account_id="a1", email="ada@example.com"))
        WriteApi[Plan](gateway).create(Plan(pk="p1", name="gold"))
        assert client.scan(TableName="ent_accounts")["Count"] == 2  # the item and its guard
        page = ReadApi[Account](gateway).scan()
        assert [a.account_id for a in page] == ["a1"] and page.skipped == 0
        # a model whose key has no template to tell them apart still never returns guards
        plans = ReadApi[Plan](gateway).scan()
        assert [p.pk for p in plans] == ["p1"] and plans.skipped == 0
        assert [p.pk for p in ReadApi[Plan](gateway).scan_all()] == ["p1"]

    class Lease(DomainModel):  # its own fields happen to have the guard attributes' names
        lease_id: str
        owner: str
        owner_table: str

        class Meta:
            table_name = "ent_leases"
            partition_key = "lease_id"

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**schema_of(Lease).create_table_params())
        gateway = TableGateway(client)
        WriteApi[Lease](gateway).create(Lease(lease_id="l1", owner="ops", owner_table="t"))
        assert [lease.owner for lease in ReadApi[Lease](gateway).scan()] == ["ops"]


def test_a_discriminated_entity_reads_only_its_items_even_with_a_view() -> None:
    class Film(DomainModel):
        media_id: str
        title: str
        kind: Literal["film"] = "film"

        class Meta:
            table_name = "ent_media"
            partition_key = "media_id"
            entity = Discriminator("kind")

    class Song(DomainModel):
        media_id: str
        title: str
        kind: Literal["song"] = "song"

        class Meta:
            table_name = "ent_media"
            partition_key = "media_id"
            entity = Discriminator("kind")

    class FilmTitle(View[Film]):
        title: str

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**schema_of(Film).create_table_params())
        put(
            client,
            "ent_media",
            {"media_id": {"S": "m1"}, "title": {"S": "Alien"}, "kind": {"S": "film"}},
            {"media_id": {"S": "m2"}, "title": {"S": "Help!"}, "kind": {"S": "song"}},
            {"media_id": {"S": "m3"}, "title": {"S": "?"}},
        )
        gateway = TableGateway(client)
        films = ReadApi[Film](gateway)
        assert [f.title for f in films.scan()] == ["Alien"]
        assert [f.title for f in films.scan(view=FilmTitle)] == ["Alien"]
        assert films.scan_count() == 1
        assert films.get(media_id="m2") is None  # a song, not a film
        assert films.get(media_id="m2", view=FilmTitle) is None
        result = films.batch_get([{"media_id": "m1"}, {"media_id": "m2"}])
        assert [f.title for f in result.items] == ["Alien"]
        assert result.missing == ({"media_id": "m2"},)
        film, not_a_film = Get(Film, media_id="m1"), Get(Film, media_id="m2")
        snapshot = transact_get(gateway, [film, not_a_film])
        assert snapshot.require(film).title == "Alien" and snapshot[not_a_film] is None
        request = films.explain.get(media_id="m1", view=FilmTitle)
        assert "kind" in request["ExpressionAttributeNames"].values()
        both = Collection(gateway, Film, Song).scan()
        assert sorted((type(i).__name__, i.title) for i in both) == [
            ("Film", "Alien"),
            ("Song", "Help!"),
        ]
        assert both.skipped_keys == ({"media_id": "m3"},)


# --- the async twin --------------------------------------------------------------------------


class Answers:
    """An async transport that answers every Query with the shop items, in two pages."""

    endpoint_url = "answers"

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(params)
        items = [i for i in shop_items() if i["pk"]["S"] == "CUSTOMER#c1"]
        if "ExclusiveStartKey" not in params:
            return {"Items": items[:5], "LastEvaluatedKey": {k: items[4][k] for k in ("pk", "sk")}}
        return {"Items": items[5:]}


def test_the_async_collection_runs_the_same_flows() -> None:
    transport = Answers()
    shop = AsyncCollection(
        AsyncTableGateway(transport),
        Order,
        OrderLine,
        Customer,
        cursor_secret="a-test-secret-0123456789",
    )

    async def read() -> tuple[list[str], list[str]]:
        page = await shop.query(customer_id="c1")
        streamed = [type(i).__name__ async for i in shop.query_all(customer_id="c1")]
        return [type(i).__name__ for i in page], streamed

    paged, streamed = asyncio.run(read())
    assert paged == ["Customer", "Order", "OrderLine", "OrderLine"]
    assert streamed.count("Order") == 3 and streamed.count("OrderLine") == 6
    assert "NOTE" not in str(streamed)


def test_the_async_read_api_skips_other_entities_like_the_sync_one() -> None:
    from ddbwrap.aio import AsyncReadApi

    reads = AsyncReadApi[Order](
        AsyncTableGateway(Answers()), cursor_secret="a-test-secret-0123456789"
    )

    async def read() -> tuple[list[str], int, list[str]]:
        page = await reads.query(customer_id="c1")
        streamed = [o.order_id async for o in reads.query_all(customer_id="c1")]
        return [o.order_id for o in page], page.skipped, streamed

    paged, skipped, streamed = asyncio.run(read())
    assert paged == ["o1"] and skipped == 4  # the first of the two pages Answers gives
    assert streamed == ["o1", "o2", "o3"]


def test_a_collection_takes_on_corrupt_per_collection_and_per_call(gateway: TableGateway) -> None:
    gateway.client.put_item(
        TableName=TABLE,
        Item={"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "ORDER#o1#LINE#9"}, "sku": {"N": "9"}},
    )
    with pytest.raises(CorruptItemError) as caught:
        Collection(gateway, Order, OrderLine).query(customer_id="c1")
    assert caught.value.model == "OrderLine"
    lenient = Collection(gateway, Order, OrderLine, on_corrupt="skip")
    page = lenient.query(customer_id="c1")
    assert len(page) == 9 and len(page.corrupt) == 1
    assert len(list(lenient.query_all(customer_id="c1"))) == 9
    with pytest.raises(CorruptItemError):
        lenient.query(customer_id="c1", on_corrupt="raise")


def test_the_collection_and_its_async_twin_have_the_same_methods() -> None:
    import inspect

    def methods(cls: type) -> dict[str, list[str]]:
        return {
            name: list(inspect.signature(value).parameters)
            for name, value in vars(cls).items()
            if not name.startswith("_") and callable(value)
        }

    assert methods(Collection) == methods(AsyncCollection)


# --- streams -----------------------------------------------------------------------------------


def test_a_stream_of_a_shared_table_needs_no_discriminator_when_models_declare_entity() -> None:
    from ddbwrap.streams import StreamDecoder

    arn = "arn:aws:dynamodb:us-east-1:123456789012:table/ent_shop/stream/2026-11-22T09:30:00.000"
    records = [
        {
            "eventID": str(n),
            "eventName": "INSERT",
            "eventSource": "aws:dynamodb",
            "eventSourceARN": arn,
            "dynamodb": {
                "Keys": {"pk": item["pk"], "sk": item["sk"]},
                "NewImage": item,
                "StreamViewType": "NEW_IMAGE",
                "SequenceNumber": str(100 + n),
                "ApproximateCreationDateTime": 1795339800,
            },
        }
        for n, item in enumerate(shop_items())
    ]
    decoder = StreamDecoder()
    for model in (Customer, Order, OrderLine):
        decoder.register(model)
    batch = decoder.decode({"Records": records})
    assert [len(batch.of(m)) for m in (Customer, Order, OrderLine)] == [2, 3, 6]
    assert batch.report.unregistered == 1  # the other service's note
