"""WriteApi binding, Transaction building and BatchWriter queueing: everything checked before
a request is sent (the gateway here has a client that is never called)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, TypeVar

import boto3
import pytest

from ddbwrap import DomainModel, ModelDefinitionError, ValidationError, VersionConflictError
from ddbwrap.expressions import Attr, Update
from ddbwrap.gateway import TableGateway
from ddbwrap.write import (
    ANY_VERSION,
    BatchWriter,
    CreateDTO,
    Transaction,
    WriteApi,
    retry_on_conflict,
)

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
M = TypeVar("M", bound=DomainModel)


class Item(DomainModel):
    item_id: str
    n: int = 0

    class Meta:
        table_name = "items"
        partition_key = "item_id"


class Guarded(DomainModel):
    guarded_id: str
    a: str
    b: str

    class Meta:
        table_name = "guarded"
        partition_key = "guarded_id"
        unique = ("a", "b")


class NewItem(CreateDTO[Item]):
    item_id: str


@pytest.fixture
def gateway() -> Iterator[TableGateway]:
    client = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",  # nothing listens here: no test may send
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    yield TableGateway(client)


# --- WriteApi binding ------------------------------------------------------------------------


def test_subscripted_write_api_is_bound_to_the_model(gateway: TableGateway) -> None:
    assert WriteApi[Item](gateway).model is Item


def test_subscripting_twice_gives_the_same_class() -> None:
    assert WriteApi[Item] is WriteApi[Item]


def test_subclass_of_a_subscripted_write_api_is_bound(gateway: TableGateway) -> None:
    class ItemWrites(WriteApi[Item]):
        pass

    assert ItemWrites(gateway).model is Item


def test_generic_subclass_can_be_bound_later(gateway: TableGateway) -> None:
    class Audited(WriteApi[M]):
        pass

    assert Audited[Item](gateway).model is Item


def test_instances_of_a_bound_write_api_are_write_apis(gateway: TableGateway) -> None:
    assert isinstance(WriteApi[Item](gateway), WriteApi)


def test_unbound_write_api_is_refused(gateway: TableGateway) -> None:
    with pytest.raises(ModelDefinitionError, match="not bound to a model"):
        WriteApi(gateway)


def test_modify_of_an_unversioned_model_is_refused(gateway: TableGateway) -> None:
    with pytest.raises(ValidationError, match="needs optimistic locking"):
        WriteApi[Item](gateway).modify({"item_id": "i"}, lambda item: Update().increment("n"))


def test_write_clock_must_be_aware(gateway: TableGateway) -> None:
    writes = WriteApi[Item](gateway, clock=lambda: dt.datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match="aware datetime"):
        writes.create(Item(item_id="i"))


# --- retry_on_conflict -----------------------------------------------------------------------


def test_retry_on_conflict_returns_the_first_success() -> None:
    calls: list[int] = []

    def attempt() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise VersionConflictError("stale", expected=1, current=2)
        return "done"

    assert (retry_on_conflict(attempt, sleep=lambda _: None), len(calls)) == ("done", 3)


def test_retry_on_conflict_gives_up_with_the_last_conflict() -> None:
    def attempt() -> None:
        raise VersionConflictError("stale", expected=1, current=2)

    with pytest.raises(VersionConflictError):
        retry_on_conflict(attempt, attempts=3, sleep=lambda _: None)


# --- Transaction ----------------------------------------------------------------------------


def test_transaction_actions_can_be_inspected_before_sending(gateway: TableGateway) -> None:
    tx = Transaction(gateway, clock=lambda: NOW)
    tx.create(NewItem(item_id="i1"))
    tx.update(Item, {"item_id": "i2"}, Update().increment("n"))
    tx.check(Item, {"item_id": "i3"}, Attr("n") > 0)
    assert [next(iter(a)) for a in tx.params()["TransactItems"]] == [
        "Put",
        "Update",
        "ConditionCheck",
    ]


def test_transaction_carries_a_request_token(gateway: TableGateway) -> None:
    tx = Transaction(gateway, client_request_token="tok-1")
    assert tx.params()["ClientRequestToken"] == "tok-1"


def test_transaction_generates_a_request_token(gateway: TableGateway) -> None:
    assert Transaction(gateway).client_request_token != Transaction(gateway).client_request_token


def test_transaction_create_returns_the_item_to_store(gateway: TableGateway) -> None:
    assert Transaction(gateway).create(NewItem(item_id="i1")) == Item(item_id="i1")


def test_transaction_of_more_than_100_actions_is_refused(gateway: TableGateway) -> None:
    tx = Transaction(gateway)
    for index in range(100):
        tx.create(Item(item_id=f"i{index}"))
    with pytest.raises(ValidationError, match="101 actions long"):
        tx.create(Item(item_id="one-too-many"))


def test_transaction_limit_counts_guard_items(gateway: TableGateway) -> None:
    tx = Transaction(gateway)
    for index in range(33):
        tx.create(Guarded(guarded_id=f"g{index}", a=f"a{index}", b=f"b{index}"))
    with pytest.raises(ValidationError, match=r"102 actions long \(68 of them unique guard"):
        tx.create(Guarded(guarded_id="g-last", a="a-last", b="b-last"))


def test_transaction_refuses_two_actions_on_one_item(gateway: TableGateway) -> None:
    tx = Transaction(gateway)
    tx.create(Item(item_id="i1"))
    with pytest.raises(ValidationError, match="touches the same item"):
        tx.update(Item, {"item_id": "i1"}, Update().increment("n"))


def test_refused_action_is_not_added(gateway: TableGateway) -> None:
    tx = Transaction(gateway)
    tx.create(Item(item_id="i1"))
    with pytest.raises(ValidationError):
        tx.delete(Item, {"item_id": "i1"})
    assert len(tx) == 1


def test_empty_transaction_commits_without_sending(gateway: TableGateway) -> None:
    with Transaction(gateway) as tx:
        pass
    assert tx.committed


def test_transaction_refuses_expected_version_on_unversioned_model(
    gateway: TableGateway,
) -> None:
    with pytest.raises(ValidationError, match=r"no Meta\.version_attribute"):
        Transaction(gateway).update(
            Item, {"item_id": "i"}, Update().increment("n"), expected_version=3
        )


def test_transaction_accepts_any_version_on_unversioned_model(gateway: TableGateway) -> None:
    tx = Transaction(gateway)
    tx.update(Item, {"item_id": "i"}, Update().increment("n"), expected_version=ANY_VERSION)
    assert len(tx) == 1


# --- BatchWriter ----------------------------------------------------------------------------


def test_batch_requests_can_be_inspected_before_sending(gateway: TableGateway) -> None:
    batch = BatchWriter(gateway, Item)
    batch.put(Item(item_id="i1", n=2))
    batch.delete({"item_id": "i2"})
    assert batch.requests() == {
        "items": [
            {"PutRequest": {"Item": {"item_id": {"S": "i1"}, "n": {"N": "2"}}}},
            {"DeleteRequest": {"Key": {"item_id": {"S": "i2"}}}},
        ]
    }


def test_batch_of_a_model_with_unique_fields_is_refused(gateway: TableGateway) -> None:
    with pytest.raises(ValidationError, match="unique guard items"):
        BatchWriter(gateway, Guarded)


def test_batch_refuses_an_instance_of_another_model(gateway: TableGateway) -> None:
    batch: BatchWriter[Any] = BatchWriter(gateway, Item)
    with pytest.raises(ValidationError, match="takes a Item"):
        batch.put(Guarded(guarded_id="g", a="a", b="b"))


def test_batch_left_by_an_exception_sends_nothing(gateway: TableGateway) -> None:
    with pytest.raises(RuntimeError), BatchWriter(gateway, Item) as batch:
        batch.put(Item(item_id="i1"))
        raise RuntimeError("stop")
    assert (batch.pending, batch.written) == ((), 0)


def test_write_api_of_a_plain_pydantic_model_is_refused() -> None:
    import pydantic

    class Plain(pydantic.BaseModel):
        x: int

    with pytest.raises(ModelDefinitionError, match="Plain is not a DomainModel"):
        WriteApi[Plain]  # type: ignore[type-var]


def test_transaction_token_longer_than_36_characters_is_refused(gateway: TableGateway) -> None:
    with pytest.raises(ValidationError, match="1 to 36 characters"):
        Transaction(gateway, client_request_token="x" * 37)


def test_write_api_refuses_something_that_is_not_a_gateway() -> None:
    with pytest.raises(ValidationError, match="needs a TableGateway, got str"):
        WriteApi[Item]("not a gateway")  # type: ignore[arg-type]


class Reading(DomainModel):
    sensor: str
    at: Decimal

    class Meta:
        table_name = "readings"
        partition_key = "sensor"
        sort_key = "at"


def test_transaction_refuses_one_numeric_key_spelled_two_ways(gateway: TableGateway) -> None:
    tx = Transaction(gateway)
    tx.delete(Reading, {"sensor": "s1", "at": Decimal("1.5")})
    with pytest.raises(ValidationError, match="touches the same item"):
        tx.delete(Reading, {"sensor": "s1", "at": Decimal("1.50")})
