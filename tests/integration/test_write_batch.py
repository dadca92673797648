"""Batch writes against DynamoDB Local with UnprocessedItems injected by a botocore handler:
nothing is lost, and what cannot be written is listed exactly."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from ddbwrap import DomainModel, UnprocessedItemsError
from ddbwrap.gateway import TableGateway
from ddbwrap.retry import RetryPolicy
from ddbwrap.testing.local import local_client
from ddbwrap.write import BatchEntry, WriteApi

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from ddbwrap.testing.plugin import TableFactory

ITEMS = 1000


class Reading(DomainModel):
    sensor: str
    seq: int
    value: int

    class Meta:
        table_name = "readings"
        partition_key = "sensor"
        sort_key = "seq"


Withhold = Callable[[dict[str, Any], int], bool]
"""Decides, from a write request and how often it was sent before, to leave it unprocessed."""


class Unprocessor:
    """botocore handlers that take some requests out of a BatchWriteItem before it is sent
    and hand them back as UnprocessedItems, as a throttled DynamoDB would."""

    NOWHERE = {"sensor": {"S": "no-such-sensor"}, "seq": {"N": "-1"}}

    def __init__(self, client: DynamoDBClient, withhold: Withhold) -> None:
        self.withhold = withhold
        self.sent: dict[str, int] = {}
        self.withheld_total = 0
        events = client.meta.events
        events.register("provide-client-params.dynamodb.BatchWriteItem", self.before)
        events.register("after-call.dynamodb.BatchWriteItem", self.after)

    @staticmethod
    def identity(request: dict[str, Any]) -> str:
        item = request.get("PutRequest", {}).get("Item") or request["DeleteRequest"]["Key"]
        return f"{item['sensor']['S']}#{item['seq']['N']}"

    def before(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> dict[str, Any]:
        kept: dict[str, list[dict[str, Any]]] = {}
        withheld: dict[str, list[dict[str, Any]]] = {}
        for table, requests in params["RequestItems"].items():
            for request in requests:
                identity = self.identity(request)
                seen = self.sent.get(identity, 0)
                self.sent[identity] = seen + 1
                target = withheld if self.withhold(request, seen) else kept
                target.setdefault(table, []).append(request)
        context["withheld"] = withheld
        self.withheld_total += sum(len(r) for r in withheld.values())
        if not kept:  # DynamoDB refuses an empty request: delete a key that never exists
            table = next(iter(withheld))
            kept[table] = [{"DeleteRequest": {"Key": self.NOWHERE}}]
        return {**params, "RequestItems": kept}

    def after(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        withheld = {t: r for t, r in context.get("withheld", {}).items() if r}
        if withheld:
            parsed["UnprocessedItems"] = withheld


@pytest.fixture
def make_gateway(
    ddb_tables: TableFactory, ddb_endpoint: str
) -> Iterator[Callable[[Withhold, int], tuple[TableGateway, Unprocessor]]]:
    """A gateway (on its own client, with an Unprocessor) over this test's tables."""
    tables = ddb_tables(Reading)

    def make(withhold: Withhold, attempts: int) -> tuple[TableGateway, Unprocessor]:
        client = local_client(ddb_endpoint)
        unprocessor = Unprocessor(client, withhold)
        policy = RetryPolicy(max_attempts=attempts, sleep=lambda _: None)
        gateway = TableGateway(client, table_prefix=tables.table_prefix, batch_retry=policy)
        return gateway, unprocessor

    yield make


def stored_keys(client: DynamoDBClient, gateway: TableGateway) -> set[tuple[str, int]]:
    keys: set[tuple[str, int]] = set()
    kwargs: dict[str, Any] = {"TableName": gateway.physical_table_name("readings")}
    while True:
        page = client.scan(**kwargs, ConsistentRead=True)
        keys.update((i["sensor"]["S"], int(i["seq"]["N"])) for i in page["Items"])
        if "LastEvaluatedKey" not in page:
            return keys
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def readings() -> list[Reading]:
    return [Reading(sensor=f"s{i % 7}", seq=i, value=i * 3) for i in range(ITEMS)]


def every_third_twice(request: dict[str, Any], seen: int) -> bool:
    """Every third item comes back unprocessed the first two times it is sent."""
    return int(request["PutRequest"]["Item"]["seq"]["N"]) % 3 == 0 and seen < 2


def test_batch_with_unprocessed_items_stores_all_of_them(
    make_gateway: Callable[[Withhold, int], tuple[TableGateway, Unprocessor]],
    ddb_client: DynamoDBClient,
) -> None:
    gateway, unprocessor = make_gateway(every_third_twice, 8)
    with WriteApi[Reading](gateway).batch() as batch:
        for reading in readings():
            batch.put(reading)
    assert unprocessor.withheld_total > 600  # the fault really happened...
    assert len(stored_keys(ddb_client, gateway)) == ITEMS  # ...and nothing was lost


def test_batch_reports_how_many_it_wrote(
    make_gateway: Callable[[Withhold, int], tuple[TableGateway, Unprocessor]],
) -> None:
    gateway, _ = make_gateway(every_third_twice, 8)
    with WriteApi[Reading](gateway).batch(flush_at=300) as batch:
        for reading in readings():
            batch.put(reading)
    assert batch.written == ITEMS


def always_some(request: dict[str, Any], seen: int) -> bool:
    """A few items are never processed, however often they are sent."""
    return int(request["PutRequest"]["Item"]["seq"]["N"]) % 97 == 5


def test_batch_out_of_budget_lists_exactly_the_items_not_written(
    make_gateway: Callable[[Withhold, int], tuple[TableGateway, Unprocessor]],
    ddb_client: DynamoDBClient,
) -> None:
    gateway, _ = make_gateway(always_some, 3)
    writes = WriteApi[Reading](gateway)
    with pytest.raises(UnprocessedItemsError) as caught, writes.batch(flush_at=ITEMS) as batch:
        for reading in readings():  # one flush of every reading, in several requests
            batch.put(reading)
    missing = caught.value.unprocessed
    assert all(isinstance(entry, BatchEntry) and entry.item is not None for entry in missing)
    listed = {(entry.item.sensor, entry.item.seq) for entry in missing if entry.item}
    everything = {(r.sensor, r.seq) for r in readings()}
    assert listed == everything - stored_keys(ddb_client, gateway)


def test_batch_out_of_budget_lists_the_withheld_item(
    make_gateway: Callable[[Withhold, int], tuple[TableGateway, Unprocessor]],
) -> None:
    gateway, _ = make_gateway(always_some, 3)
    writes = WriteApi[Reading](gateway)
    with pytest.raises(UnprocessedItemsError) as caught, writes.batch() as batch:
        for reading in readings():
            batch.put(reading)
    assert ("s5", 5) in {(e.item.sensor, e.item.seq) for e in caught.value.unprocessed if e.item}


def test_batch_deletes_items(
    make_gateway: Callable[[Withhold, int], tuple[TableGateway, Unprocessor]],
    ddb_client: DynamoDBClient,
) -> None:
    gateway, _ = make_gateway(lambda request, seen: False, 2)
    writes = WriteApi[Reading](gateway)
    with writes.batch() as batch:
        for reading in readings()[:60]:
            batch.put(reading)
    with writes.batch() as batch:
        for reading in readings()[:50]:
            batch.delete(reading)
    assert len(stored_keys(ddb_client, gateway)) == 10
