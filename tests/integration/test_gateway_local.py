"""TableGateway against AWS's DynamoDB Local (fixture ``ddb_client`` from ddbwrap's pytest plugin).

DynamoDB Local never returns UnprocessedItems/UnprocessedKeys, so the batch tests make some
requests *really* go unsent (removed before the call) and report them as unprocessed, the way
DynamoDB does under load; the gateway must then store or read every one of them.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from ddbwrap.errors import (
    ConditionFailedError,
    ItemTooLargeError,
    TableNotFoundError,
    TransactionCanceledError,
    ValidationError,
)
from ddbwrap.gateway import TableGateway
from ddbwrap.retry import RetryPolicy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.integration

TABLE = "items"


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def gateway(ddb_client: DynamoDBClient, sleeps: list[float]) -> TableGateway:
    """A gateway whose prefix is unique to the test, pausing instantly between batch retries."""
    return TableGateway(
        ddb_client,
        table_prefix=f"gw-{uuid.uuid4().hex[:8]}-",
        table_suffix="-test",
        batch_retry=RetryPolicy(sleep=sleeps.append),
    )


@pytest.fixture
def table(gateway: TableGateway) -> Iterator[str]:
    """Table ``items`` (pk: S, sk: N), created with raw parameters through the gateway."""
    gateway.create_table(
        {
            "TableName": TABLE,
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
        }
    )
    gateway.wait_until_active(TABLE)
    yield TABLE
    with contextlib.suppress(TableNotFoundError):
        gateway.delete_table(TABLE)


def key(pk: str, sk: int = 0) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


class LeftoverInjector:
    """Makes ``operation`` (BatchWriteItem/BatchGetItem) skip the last ``drop`` requests of each
    of its first ``calls`` calls, reporting them as unprocessed; unregisters itself on close."""

    def __init__(self, client: DynamoDBClient, operation: str, drop: int, calls: int) -> None:
        self.client, self.operation, self.drop, self.calls_left = client, operation, drop, calls
        self.calls = 0
        self.unprocessed_reported = 0
        self._id = f"leftovers-{uuid.uuid4().hex}"
        events = client.meta.events
        events.register(self._event("before-parameter-build"), self._drop, unique_id=self._id)
        events.register(self._event("after-call"), self._report, unique_id=self._id + "-after")

    def _event(self, stage: str) -> str:
        return f"{stage}.dynamodb.{self.operation}"

    def close(self) -> None:
        events = self.client.meta.events
        events.unregister(self._event("before-parameter-build"), unique_id=self._id)
        events.unregister(self._event("after-call"), unique_id=self._id + "-after")

    def _drop(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        self.calls += 1
        if self.calls > self.calls_left:
            return
        ((table, entry),) = params["RequestItems"].items()  # one table per test here
        writes = entry["Keys"] if self.operation == "BatchGetItem" else entry
        if len(writes) <= self.drop:
            return  # keep at least one request: an empty batch is invalid
        kept, dropped = writes[: -self.drop], writes[-self.drop :]
        if self.operation == "BatchGetItem":
            params["RequestItems"] = {table: {**entry, "Keys": kept}}
            context["unprocessed"] = {"UnprocessedKeys": {table: {**entry, "Keys": dropped}}}
        else:
            params["RequestItems"] = {table: kept}
            context["unprocessed"] = {"UnprocessedItems": {table: dropped}}
        self.unprocessed_reported += len(dropped)

    def _report(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        parsed.update(context.get("unprocessed", {}))


@pytest.fixture
def inject(ddb_client: DynamoDBClient) -> Iterator[Any]:
    injectors: list[LeftoverInjector] = []

    def make(operation: str, drop: int, calls: int) -> LeftoverInjector:
        injector = LeftoverInjector(ddb_client, operation, drop, calls)
        injectors.append(injector)
        return injector

    yield make
    for injector in injectors:
        injector.close()


def all_keys(gateway: TableGateway, table: str) -> list[tuple[str, int]]:
    pages = gateway.scan_pages({"TableName": table, "ProjectionExpression": "pk, sk"})
    return sorted(
        (item["pk"]["S"], int(item["sk"]["N"])) for page in pages for item in page["Items"]
    )


# -- tables ------------------------------------------------------------------------------------


def test_table_created_with_raw_params_is_active_under_its_physical_name(
    gateway: TableGateway, table: str
) -> None:
    description = gateway.describe_table(table)["Table"]
    assert description["TableName"] == gateway.physical_table_name(table)
    assert description["TableName"].endswith("-items-test")
    assert description["TableStatus"] == "ACTIVE"


def test_list_tables_shows_the_table_by_its_logical_name(gateway: TableGateway, table: str) -> None:
    assert gateway.list_tables() == [table]


def test_deleted_table_is_no_longer_listed(gateway: TableGateway, table: str) -> None:
    gateway.delete_table(table)
    assert gateway.list_tables() == []


def test_time_to_live_is_enabled_and_described(gateway: TableGateway, table: str) -> None:
    gateway.update_time_to_live(table, "expires_at")
    description = gateway.describe_time_to_live(table)["TimeToLiveDescription"]
    assert description["TimeToLiveStatus"] == "ENABLED"
    assert description["AttributeName"] == "expires_at"


def test_missing_table_is_table_not_found_naming_physical_table(gateway: TableGateway) -> None:
    with pytest.raises(TableNotFoundError) as caught:
        gateway.get_item({"TableName": "absent", "Key": key("a")})
    assert repr(gateway.physical_table_name("absent")) in str(caught.value)
    assert isinstance(caught.value.__cause__, ClientError)


# -- items -------------------------------------------------------------------------------------


def test_put_then_get_returns_the_raw_item_unchanged(gateway: TableGateway, table: str) -> None:
    item = {
        **key("a", 1),
        "big": {"N": "12345678901234567890123456789012345678"},  # 38 digits
        "tags": {"SS": ["x", "y"]},
        "blob": {"B": b"\x00\xff"},
        "nested": {"M": {"list": {"L": [{"BOOL": True}, {"NULL": True}]}}},
    }
    gateway.put_item({"TableName": table, "Item": item})
    got = gateway.get_item({"TableName": table, "Key": key("a", 1), "ConsistentRead": True})
    assert got["Item"]["big"] == item["big"]
    assert sorted(got["Item"]["tags"]["SS"]) == ["x", "y"]
    assert got["Item"]["blob"] == item["blob"]
    assert got["Item"]["nested"] == item["nested"]


def test_query_pages_return_every_item_in_key_order(gateway: TableGateway, table: str) -> None:
    gateway.batch_write({table: [{"PutRequest": {"Item": key("p", sk)}} for sk in range(30)]})
    pages = list(
        gateway.query_pages(
            {
                "TableName": table,
                "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": {"S": "p"}},
                "Limit": 7,
            }
        )
    )
    assert [int(i["sk"]["N"]) for page in pages for i in page["Items"]] == list(range(30))
    assert len(pages) in (5, 6)  # 4 full pages, the rest, maybe an empty last page


def test_condition_failure_carries_the_current_item(gateway: TableGateway, table: str) -> None:
    gateway.put_item({"TableName": table, "Item": {**key("a"), "v": {"N": "7"}}})
    with pytest.raises(ConditionFailedError) as caught:
        gateway.put_item(
            {
                "TableName": table,
                "Item": key("a"),
                "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        )
    assert caught.value.item == {**key("a"), "v": {"N": "7"}}
    assert isinstance(caught.value.__cause__, ClientError)


def test_update_condition_failure_carries_the_current_item(
    gateway: TableGateway, table: str
) -> None:
    gateway.put_item({"TableName": table, "Item": {**key("a"), "version": {"N": "3"}}})
    with pytest.raises(ConditionFailedError) as caught:
        gateway.update_item(
            {
                "TableName": table,
                "Key": key("a"),
                "UpdateExpression": "SET #v = :next",
                "ConditionExpression": "#v = :expected",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":next": {"N": "3"}, ":expected": {"N": "2"}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        )
    assert caught.value.item == {**key("a"), "version": {"N": "3"}}
    assert caught.value.key == key("a")


def test_dynamodb_validation_message_reaches_validation_error(
    gateway: TableGateway, table: str
) -> None:
    with pytest.raises(ValidationError, match="Type mismatch"):
        gateway.get_item({"TableName": table, "Key": {"pk": {"S": "a"}, "sk": {"S": "0"}}})


def test_item_over_400_kb_is_item_too_large_error(gateway: TableGateway, table: str) -> None:
    with pytest.raises(ItemTooLargeError):
        gateway.put_item({"TableName": table, "Item": {**key("a"), "b": {"S": "x" * 410_000}}})


# -- batches -----------------------------------------------------------------------------------


def test_batch_write_of_1000_items_with_unprocessed_items_stores_all(
    gateway: TableGateway, table: str, inject: Any, sleeps: list[float]
) -> None:
    injector = inject("BatchWriteItem", drop=7, calls=60)
    requests = [{"PutRequest": {"Item": key(f"k{i % 10}", i)}} for i in range(1000)]
    gateway.batch_write({table: requests})
    assert injector.unprocessed_reported > 0
    assert len(sleeps) == injector.calls - 40  # 40 chunks of 25; every other call is a retry
    assert all_keys(gateway, table) == sorted((f"k{i % 10}", i) for i in range(1000))


def test_batch_get_with_unprocessed_keys_reads_every_item(
    gateway: TableGateway, table: str, inject: Any
) -> None:
    gateway.batch_write({table: [{"PutRequest": {"Item": key("p", i)}} for i in range(250)]})
    injector = inject("BatchGetItem", drop=30, calls=4)
    result = gateway.batch_get({table: {"Keys": [key("p", i) for i in range(250)]}})
    assert injector.unprocessed_reported > 0
    assert sorted(int(item["sk"]["N"]) for item in result[table]) == list(range(250))


# -- transactions ------------------------------------------------------------------------------


def test_cancelled_transaction_maps_reasons_with_the_current_item(
    gateway: TableGateway, table: str
) -> None:
    gateway.put_item({"TableName": table, "Item": {**key("taken"), "owner": {"S": "x"}}})
    with pytest.raises(TransactionCanceledError) as caught:
        gateway.transact_write(
            [
                {"Put": {"TableName": table, "Item": key("fresh")}},
                {
                    "Put": {
                        "TableName": table,
                        "Item": key("taken"),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": key("taken"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    reasons = caught.value.reasons
    assert [r.code for r in reasons] == ["None", "ConditionalCheckFailed", "None"]
    assert reasons[1].item == {**key("taken"), "owner": {"S": "x"}}
    assert reasons[0].item is None
    assert "fresh" not in {k for k, _ in all_keys(gateway, table)}


def test_transaction_of_100_actions_is_accepted(gateway: TableGateway, table: str) -> None:
    gateway.transact_write([{"Put": {"TableName": table, "Item": key("t", i)}} for i in range(100)])
    assert len(all_keys(gateway, table)) == 100


def test_transact_get_returns_items_in_request_order(gateway: TableGateway, table: str) -> None:
    gateway.batch_write({table: [{"PutRequest": {"Item": key("p", i)}} for i in range(3)]})
    response = gateway.transact_get(
        [{"Get": {"TableName": table, "Key": key("p", i)}} for i in (2, 0, 1)]
    )
    assert [Decimal(r["Item"]["sk"]["N"]) for r in response["Responses"]] == [2, 0, 1]
