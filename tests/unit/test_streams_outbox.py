"""The outbox: typed events become outbox items in the caller's transaction, and come back typed
from the outbox table's stream records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from ddbwrap import DomainModel, ModelDefinitionError, TableGateway, Transaction
from ddbwrap.codec import codec_for
from ddbwrap.errors import ValidationError
from ddbwrap.streams import Outbox, OutboxEvent, OutboxItem, OutboxMessage, StreamRouter
from ddbwrap.testing import ScriptedTransport

NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.timezone.utc)
ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/outbox/stream/2026-11-22T09:30:00.000"


class OrderPlaced(OutboxEvent):
    order_id: str
    total: Decimal
    tags: set[str] = set()
    at: dt.datetime = NOW


class OrderShipped(OutboxEvent):
    event_type = "order.shipped.v1"
    order_id: str


class OutboxRecord(OutboxItem):
    class Meta:
        table_name = "outbox"
        partition_key = "event_id"
        ttl_attribute = "expires_at"
        stream = "NEW_IMAGE"


def outbox() -> Outbox[OutboxRecord]:
    return Outbox(OutboxRecord, retention=dt.timedelta(days=7), clock=lambda: NOW)


def record(item: OutboxRecord, sequence: str) -> dict[str, Any]:
    image = codec_for(OutboxRecord).encode(item)
    return {
        "eventID": sequence,
        "eventName": "INSERT",
        "eventSourceARN": ARN,
        "dynamodb": {"Keys": {"event_id": image["event_id"]}, "NewImage": image,
                     "SequenceNumber": sequence},
    }  # fmt: skip


def test_event_types_default_to_the_class_name() -> None:
    assert OrderPlaced.event_type == "OrderPlaced"
    assert OrderShipped.event_type == "order.shipped.v1"


def test_an_event_becomes_an_outbox_item_in_the_transaction() -> None:
    tx = Transaction(TableGateway(ScriptedTransport()))
    item = outbox().add(tx, OrderPlaced(order_id="o1", total=Decimal("9.90")), key="o1-placed")
    assert item.event_id == "o1-placed" and item.event_type == "OrderPlaced"
    assert item.expires_at == NOW + dt.timedelta(days=7)
    (action,) = tx.params()["TransactItems"]
    put = action["Put"]
    assert put["TableName"] == "outbox"
    assert put["Item"]["payload"]["M"]["total"] == {"N": "9.90"}  # exact, as the codec stores
    assert "attribute_not_exists" in put["ConditionExpression"]  # a key is claimed once
    generated = outbox().item(OrderShipped(order_id="o1"))
    assert len(generated.event_id) == 36


def test_the_consumer_gets_typed_events_by_type() -> None:
    box = outbox()
    router = StreamRouter()
    placed: list[OutboxMessage[OrderPlaced]] = []
    shipped: list[str] = []

    @box.on(router, OrderPlaced)
    def on_placed(message: OutboxMessage[OrderPlaced]) -> None:
        placed.append(message)

    box.add_handler(router, OrderShipped, lambda m: shipped.append(m.event.order_id))
    event = OrderPlaced(order_id="o1", total=Decimal("9.90"), tags={"gift"})
    records = [
        record(box.item(event, key="k1"), "100"),
        record(box.item(OrderShipped(order_id="o1"), key="k2"), "200"),
    ]
    assert router.handle({"Records": records}) == {"batchItemFailures": []}
    (message,) = placed
    assert message.event == event and isinstance(message.event, OrderPlaced)
    assert (message.event_id, message.occurred_at, message.sequence_number) == ("k1", NOW, "100")
    assert shipped == ["o1"]


def test_a_payload_that_does_not_validate_fails_its_record() -> None:
    box = outbox()
    router = StreamRouter()
    box.add_handler(router, OrderPlaced, lambda m: None)
    item = box.item(OrderPlaced(order_id="o1", total=Decimal("1")), key="k1")
    broken = item.model_copy(update={"payload": {"order_id": "o1", "total": "lots"}})
    result = router.process({"Records": [record(broken, "100")]})
    assert result.response == {"batchItemFailures": [{"itemIdentifier": "100"}]}
    error = result.failures[0].error
    assert "total" in str(error) and "lots" not in str(error)


def test_what_an_outbox_refuses() -> None:
    class NotOutbox(DomainModel):
        event_id: str

        class Meta:
            table_name = "x"
            partition_key = "event_id"

    class NoTtl(OutboxItem):
        class Meta:
            table_name = "y"
            partition_key = "event_id"

    with pytest.raises(ModelDefinitionError, match="OutboxItem"):
        Outbox(NotOutbox)  # type: ignore[type-var]
    with pytest.raises(ModelDefinitionError, match="ttl_attribute"):
        Outbox(NoTtl, retention=dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="OutboxEvent"):
        Outbox(NoTtl).item("not an event")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="key"):
        Outbox(NoTtl).item(OrderShipped(order_id="o"), key="")

    class Clash(OutboxEvent):
        event_type = "OrderPlaced"

    router = StreamRouter()
    Outbox(NoTtl).add_handler(router, OrderPlaced, print)
    box = Outbox(NoTtl)
    box.add_handler(router, OrderPlaced, print)
    with pytest.raises(ValidationError, match="already OrderPlaced"):
        box.add_handler(router, Clash, print)
