"""Transactions across models against DynamoDB Local: all or nothing, failures named."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from ddbwrap import (
    ConditionFailedError,
    DomainModel,
    TransactionCanceledError,
    UniqueConstraintError,
    VersionConflictError,
)
from ddbwrap.expressions import Attr, Update
from ddbwrap.gateway import TableGateway
from ddbwrap.write import (
    ANY_VERSION,
    ActionCancellationReason,
    CreateDTO,
    Transaction,
    UpdateDTO,
    WriteApi,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from ddbwrap.testing.plugin import TableFactory


class Account(DomainModel):
    account_id: str
    email: str
    balance: int = 0
    orders: int = 0
    version: int = 0

    class Meta:
        table_name = "accounts"
        partition_key = "account_id"
        version_attribute = "version"
        unique = ("email",)


class Order(DomainModel):
    account_id: str
    order_id: str
    total: int
    status: str = "open"

    class Meta:
        table_name = "orders"
        partition_key = "account_id"
        sort_key = "order_id"


class NewOrder(CreateDTO[Order]):
    account_id: str
    order_id: str
    total: int


class AccountEmail(UpdateDTO[Account]):
    email: str


@pytest.fixture
def gateway(ddb_tables: TableFactory) -> TableGateway:
    gateway = ddb_tables(Account, Order)
    WriteApi[Account](gateway).create(Account(account_id="a1", email="a1@x", balance=100))
    return gateway


def count(client: DynamoDBClient, gateway: TableGateway, table: str) -> int:
    response = client.scan(TableName=gateway.physical_table_name(table), Select="COUNT")
    return int(response["Count"])


def stored(client: DynamoDBClient, gateway: TableGateway, table: str, **key: str) -> dict[str, Any]:
    response = client.get_item(
        TableName=gateway.physical_table_name(table),
        Key={k: {"S": v} for k, v in key.items()},
        ConsistentRead=True,
    )
    return dict(response.get("Item", {}))


def place_order(tx: Transaction, order_id: str = "o1", total: int = 30) -> None:
    tx.create(NewOrder(account_id="a1", order_id=order_id, total=total))
    tx.update(
        Account,
        {"account_id": "a1"},
        Update().decrement("balance", total).increment("orders"),
        condition=Attr("balance") >= total,
        expected_version=ANY_VERSION,
    )


def test_commit_writes_every_action(gateway: TableGateway, ddb_client: DynamoDBClient) -> None:
    with Transaction(gateway) as tx:
        place_order(tx)
    account = stored(ddb_client, gateway, "accounts", account_id="a1")
    assert (account["balance"], account["orders"]) == ({"N": "70"}, {"N": "1"})
    assert stored(ddb_client, gateway, "orders", account_id="a1", order_id="o1") != {}


def test_exception_in_the_block_sends_nothing(
    gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    with pytest.raises(RuntimeError), Transaction(gateway) as tx:
        place_order(tx)
        raise RuntimeError("changed my mind")
    assert count(ddb_client, gateway, "orders") == 0


def test_cancelled_transaction_names_the_failing_action(gateway: TableGateway) -> None:
    with pytest.raises(TransactionCanceledError) as caught, Transaction(gateway) as tx:
        place_order(tx, total=500)
    (failed,) = caught.value.failed
    assert isinstance(failed, ActionCancellationReason)
    assert (failed.index, failed.operation, failed.model, failed.key, failed.code) == (
        1,
        "update",
        Account,
        {"account_id": "a1"},
        "ConditionalCheckFailed",
    )


def test_cancelled_transaction_message_names_model_key_and_condition(
    gateway: TableGateway,
) -> None:
    with pytest.raises(TransactionCanceledError) as caught, Transaction(gateway) as tx:
        place_order(tx, total=500)
    assert "action 1 (update of Account {account_id='a1'}" in caught.value.message
    assert "Attr('balance') >= 500" in caught.value.message


def test_cancellation_reason_carries_the_current_item_decoded(gateway: TableGateway) -> None:
    with pytest.raises(TransactionCanceledError) as caught, Transaction(gateway) as tx:
        place_order(tx, total=500)
    (failed,) = caught.value.failed
    assert isinstance(failed.item, Account)
    assert failed.item.balance == 100


def test_cancellation_reason_carries_the_specific_error(gateway: TableGateway) -> None:
    with pytest.raises(TransactionCanceledError) as caught, Transaction(gateway) as tx:
        tx.create(NewOrder(account_id="a1", order_id="o1", total=1))
        tx.update(Account, {"account_id": "a1"}, Update().increment("orders"), expected_version=7)
    (failed,) = caught.value.failed
    assert isinstance(failed, ActionCancellationReason)
    assert isinstance(failed.error, VersionConflictError)


def test_cancelled_transaction_writes_nothing(
    gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    with pytest.raises(TransactionCanceledError), Transaction(gateway) as tx:
        place_order(tx, total=500)
    assert count(ddb_client, gateway, "orders") == 0


def test_taken_unique_value_in_a_transaction_names_the_field(gateway: TableGateway) -> None:
    with pytest.raises(TransactionCanceledError) as caught, Transaction(gateway) as tx:
        tx.create(NewOrder(account_id="a1", order_id="o1", total=1))
        tx.create(Account(account_id="a2", email="a1@x"))
    (failed,) = caught.value.failed
    assert isinstance(failed, ActionCancellationReason)
    assert isinstance(failed.error, UniqueConstraintError)
    assert failed.error.field == "email"


def test_unique_value_change_in_a_transaction_swaps_the_guard(
    gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    with Transaction(gateway) as tx:
        tx.update(Account, {"account_id": "a1"}, AccountEmail(email="new@x"), expected_version=1)
        tx.create(NewOrder(account_id="a1", order_id="o1", total=1))
    guards = ddb_client.scan(TableName=gateway.physical_table_name("accounts-unique"))["Items"]
    assert [g["pk"]["S"] for g in guards] == ["Account#email#new@x"]


def test_delete_in_a_transaction_releases_the_guard(
    gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    with Transaction(gateway) as tx:
        tx.delete(Account, {"account_id": "a1"}, expected_version=1)
    assert count(ddb_client, gateway, "accounts-unique") == 0


def test_check_failing_cancels_the_transaction(gateway: TableGateway) -> None:
    with pytest.raises(TransactionCanceledError) as caught, Transaction(gateway) as tx:
        tx.create(NewOrder(account_id="a1", order_id="o1", total=1))
        tx.check(Account, {"account_id": "a1"}, Attr("balance") > 1000)
    (failed,) = caught.value.failed
    assert isinstance(failed, ActionCancellationReason)
    assert (failed.operation, type(failed.error)) == ("check", ConditionFailedError)


def test_same_request_token_applies_the_transaction_once(
    gateway: TableGateway, ddb_client: DynamoDBClient
) -> None:
    token = f"order-o1-{uuid.uuid4().hex[:16]}"  # unique: DynamoDB remembers tokens 10 min
    for _ in range(2):  # e.g. a retry after a timeout, with the same token and request
        with Transaction(gateway, client_request_token=token) as tx:
            place_order(tx)
    assert stored(ddb_client, gateway, "accounts", account_id="a1")["orders"] == {"N": "1"}
