"""The fault-injecting proxy (tests/integration/faultproxy.py) against DynamoDB Local.

A plain boto3 client with one attempt goes through the proxy (fixture ``fault_proxy``); the
item's fate is checked with ``ddb_client``, which talks to DynamoDB Local directly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

import pytest
from botocore.config import Config
from botocore.exceptions import (
    ChecksumError,
    ClientError,
    ConnectionClosedError,
    ReadTimeoutError,
)
from tests.integration.faultproxy import (
    FaultProxy,
    bad_crc,
    delay_response,
    drop_response,
    empty_body,
    internal_server_error,
    non_json_body,
    refuse,
    status,
    throttled,
    truncated_body,
)

from ddbwrap.testing.local import local_client
from ddbwrap.testing.plugin import unique_table_prefix

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.integration

SHORT_READ_TIMEOUT = 0.3


def client_through(
    proxy: FaultProxy,
    *,
    attempts: int = 1,
    mode: Literal["legacy", "standard"] = "standard",
    read_timeout: float = 20,
) -> DynamoDBClient:
    config = Config(
        retries={"total_max_attempts": attempts, "mode": mode},
        read_timeout=read_timeout,
        connect_timeout=1,
    )
    return local_client(proxy.url, config=config)


@pytest.fixture
def client(fault_proxy: FaultProxy) -> DynamoDBClient:
    return client_through(fault_proxy)


@pytest.fixture
def table(ddb_client: DynamoDBClient, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh table (pk: S), made directly on DynamoDB Local (not through the proxy)."""
    name = unique_table_prefix(request.node.name) + "fp"
    ddb_client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    yield name
    ddb_client.delete_table(TableName=name)


def item(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "n": {"N": "1"}}


def stored(ddb_client: DynamoDBClient, table: str, pk: str) -> bool:
    return "Item" in ddb_client.get_item(
        TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True
    )


def test_forwards_requests_unchanged(fault_proxy: FaultProxy, client: DynamoDBClient) -> None:
    name = unique_table_prefix("faultproxy-forward") + "fp"
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        client.put_item(TableName=name, Item=item("a"))
        got = client.get_item(TableName=name, Key={"pk": {"S": "a"}})
        assert got["Item"] == item("a")
        with pytest.raises(ClientError) as raised:  # upstream's errors are relayed too
            client.get_item(TableName=name + "-missing", Key={"pk": {"S": "a"}})
        assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    finally:
        client.delete_table(TableName=name)
    assert fault_proxy.operations() == [
        "CreateTable",
        "PutItem",
        "GetItem",
        "GetItem",
        "DeleteTable",
    ]
    put = fault_proxy.requests("PutItem")[0]
    assert put.body == {"TableName": name, "Item": item("a")}
    assert (put.forwarded, put.upstream_status, put.fault) == (True, 200, None)
    assert fault_proxy.requests("GetItem")[1].upstream_status == 400


def test_drop_response_applies_the_write_but_the_client_sees_a_closed_connection(
    fault_proxy: FaultProxy, client: DynamoDBClient, ddb_client: DynamoDBClient, table: str
) -> None:
    fault_proxy.inject("PutItem", drop_response())
    with pytest.raises(ConnectionClosedError):
        client.put_item(TableName=table, Item=item("a"))
    assert stored(ddb_client, table, "a")
    (put,) = fault_proxy.requests("PutItem")
    assert (put.forwarded, put.fault) == (True, "drop_response")
    client.put_item(TableName=table, Item=item("b"))  # the client reconnects; fault used up
    assert stored(ddb_client, table, "b")


def test_drop_response_with_reset(
    fault_proxy: FaultProxy, client: DynamoDBClient, ddb_client: DynamoDBClient, table: str
) -> None:
    fault_proxy.inject("PutItem", drop_response(reset=True))
    with pytest.raises(ConnectionClosedError):
        client.put_item(TableName=table, Item=item("a"))
    assert stored(ddb_client, table, "a")


def test_refuse_never_forwards(
    fault_proxy: FaultProxy, client: DynamoDBClient, ddb_client: DynamoDBClient, table: str
) -> None:
    fault_proxy.inject("PutItem", refuse())
    with pytest.raises(ConnectionClosedError):
        client.put_item(TableName=table, Item=item("a"))
    assert not stored(ddb_client, table, "a")
    assert fault_proxy.count("PutItem", forwarded=False, fault="refuse") == 1
    assert fault_proxy.count("PutItem", forwarded=True) == 0


def test_throttling_status_is_a_client_error_and_nothing_is_stored(
    fault_proxy: FaultProxy, client: DynamoDBClient, ddb_client: DynamoDBClient, table: str
) -> None:
    fault_proxy.inject("PutItem", throttled("slow down"))
    with pytest.raises(ClientError) as raised:
        client.put_item(TableName=table, Item=item("a"))
    error = raised.value.response
    assert error["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert error["Error"]["Message"] == "slow down"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert not stored(ddb_client, table, "a")
    assert fault_proxy.count("PutItem", forwarded=False) == 1


def test_status_with_a_raw_body_and_headers(
    fault_proxy: FaultProxy, client: DynamoDBClient, table: str
) -> None:
    fault_proxy.inject("GetItem", status(503, b"", {"x-amz-crc32": "", "Retry-After": "1"}))
    with pytest.raises(ClientError) as raised:
        client.get_item(TableName=table, Key={"pk": {"S": "a"}})
    response = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1"
    assert "x-amz-crc32" not in response["ResponseMetadata"]["HTTPHeaders"]


def test_status_after_forward_applies_the_write_then_fails(
    fault_proxy: FaultProxy, client: DynamoDBClient, ddb_client: DynamoDBClient, table: str
) -> None:
    fault_proxy.inject("PutItem", internal_server_error(after_forward=True))
    with pytest.raises(ClientError) as raised:
        client.put_item(TableName=table, Item=item("a"))
    assert raised.value.response["Error"]["Code"] == "InternalServerError"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert stored(ddb_client, table, "a")
    (put,) = fault_proxy.requests("PutItem")
    assert (put.forwarded, put.upstream_status, put.fault) == (True, 200, "status_after_forward")


def test_empty_body_is_a_silent_success_after_the_write(
    fault_proxy: FaultProxy, client: DynamoDBClient, ddb_client: DynamoDBClient, table: str
) -> None:
    ddb_client.put_item(TableName=table, Item=item("a"))
    fault_proxy.inject("PutItem", empty_body())
    response = client.put_item(TableName=table, Item=item("a"), ReturnValues="ALL_OLD")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "Attributes" not in response  # the old item is lost on the way back
    assert "x-amz-crc32" not in response["ResponseMetadata"]["HTTPHeaders"]
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-length"] == "0"
    assert stored(ddb_client, table, "a")


def test_truncated_and_non_json_bodies_make_an_existing_item_look_missing(
    fault_proxy: FaultProxy, client: DynamoDBClient, ddb_client: DynamoDBClient, table: str
) -> None:
    ddb_client.put_item(TableName=table, Item=item("a"))
    key = {"pk": {"S": "a"}}
    fault_proxy.inject("GetItem", truncated_body())
    fault_proxy.inject("GetItem", non_json_body())
    fault_proxy.inject("GetItem", truncated_body(crc="keep"), when=lambda body: True)
    assert "Item" not in client.get_item(TableName=table, Key=key)
    html = client.get_item(TableName=table, Key=key)
    assert "Item" not in html
    assert html["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "text/html"
    with pytest.raises(ChecksumError):  # the upstream crc kept: legacy retries check it
        client_through(fault_proxy, mode="legacy").get_item(TableName=table, Key=key)
    assert "Item" in client.get_item(TableName=table, Key=key)
    assert [ex.fault for ex in fault_proxy.requests("GetItem")] == [
        "truncated_body",
        "non_json_body",
        "truncated_body",
        None,
    ]


def test_bad_crc_raises_in_legacy_mode_and_is_retried_in_standard_mode(
    fault_proxy: FaultProxy, ddb_client: DynamoDBClient, table: str
) -> None:
    fault_proxy.inject("PutItem", bad_crc())
    with pytest.raises(ChecksumError):
        client_through(fault_proxy, mode="legacy").put_item(TableName=table, Item=item("a"))
    assert stored(ddb_client, table, "a")  # applied all the same

    fault_proxy.inject("PutItem", bad_crc())
    response = client_through(fault_proxy, attempts=2).put_item(TableName=table, Item=item("b"))
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert fault_proxy.count("PutItem", forwarded=True) == 3  # 1 legacy + 2 standard
    assert fault_proxy.count("PutItem", fault="bad_crc") == 2


def test_delay_response_makes_the_client_time_out_after_the_write(
    fault_proxy: FaultProxy, ddb_client: DynamoDBClient, table: str
) -> None:
    client = client_through(fault_proxy, read_timeout=SHORT_READ_TIMEOUT)
    fault_proxy.inject("PutItem", delay_response(1.0))
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        client.put_item(TableName=table, Item=item("a"))
    assert time.monotonic() - started < 1.0  # gave up before the answer came
    assert fault_proxy.wait_for("PutItem", fault="delay_response", forwarded=True)
    assert stored(ddb_client, table, "a")


def test_faults_match_by_operation_and_body_and_the_log_counts_are_exact(
    fault_proxy: FaultProxy, client: DynamoDBClient, ddb_client: DynamoDBClient, table: str
) -> None:
    refusal = fault_proxy.inject(
        "DynamoDB_20120810.PutItem", refuse(), times=2, when=lambda b: b["Item"]["pk"]["S"] == "b"
    )
    throttling = fault_proxy.inject(["UpdateItem", "DeleteItem"], throttled())
    outcomes = []
    for pk in ("a", "b", "b", "b"):
        try:
            client.put_item(TableName=table, Item=item(pk))
            outcomes.append("ok")
        except ConnectionClosedError:
            outcomes.append("closed")
    assert outcomes == ["ok", "closed", "closed", "ok"]
    client.get_item(TableName=table, Key={"pk": {"S": "a"}})
    with pytest.raises(ClientError):
        client.delete_item(TableName=table, Key={"pk": {"S": "a"}})
    client.update_item(
        TableName=table,
        Key={"pk": {"S": "a"}},
        UpdateExpression="SET n = n + :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )

    assert (refusal.applied, refusal.remaining, throttling.applied) == (2, 0, 1)
    assert fault_proxy.pending() == []
    assert fault_proxy.count("PutItem") == 4
    assert fault_proxy.count("PutItem", forwarded=True) == 2
    assert fault_proxy.count("PutItem", fault="refuse") == 2
    assert fault_proxy.count("UpdateItem") == 1
    assert fault_proxy.count("DeleteItem", forwarded=False) == 1
    assert fault_proxy.operations() == [*["PutItem"] * 4, "GetItem", "DeleteItem", "UpdateItem"]
    assert ddb_client.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]["n"] == {"N": "2"}


def test_concurrent_clients_share_the_proxy(
    fault_proxy: FaultProxy, ddb_client: DynamoDBClient, table: str
) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        client = client_through(fault_proxy)
        try:
            for n in range(5):
                client.put_item(TableName=table, Item=item(f"{worker}-{n}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert fault_proxy.count("PutItem", forwarded=True) == 20
    assert ddb_client.scan(TableName=table, Select="COUNT")["Count"] == 20


def test_stop_closes_connections_and_joins_every_thread(ddb_endpoint: str, table: str) -> None:
    before = set(threading.enumerate())
    proxy = FaultProxy(ddb_endpoint).start()
    client = client_through(proxy, read_timeout=SHORT_READ_TIMEOUT)
    proxy.inject("GetItem", delay_response(30))
    with pytest.raises(ReadTimeoutError):
        client.get_item(TableName=table, Key={"pk": {"S": "a"}})
    assert proxy.wait_for("GetItem")  # the handler is now sleeping in the delay
    idle = client_through(proxy)
    idle.put_item(TableName=table, Item=item("a"))  # leaves a keep-alive connection open
    started = time.monotonic()
    proxy.stop()  # wakes the delayed handler up instead of waiting 30 s
    assert time.monotonic() - started < 2
    assert set(threading.enumerate()) - before == set()
    with pytest.raises(RuntimeError):
        _ = proxy.url
