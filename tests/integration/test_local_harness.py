"""The DynamoDB Local harness itself, against the real DynamoDB Local (or DDBWRAP_TEST_ENDPOINT)."""

from __future__ import annotations

import os
import re
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest

from ddbwrap import GSI, DomainModel
from ddbwrap.testing import local
from ddbwrap.testing.local import (
    ENDPOINT_ENV,
    DynamoDBLocal,
    free_port,
    local_client,
)
from ddbwrap.testing.plugin import TableFactory

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from ddbwrap import TableGateway

pytest_plugins = ["pytester"]


class Order(DomainModel):
    order_id: str
    customer_id: str
    placed_at: datetime
    expires_at: int | None = None

    class Meta:
        table_name = "orders"
        partition_key = "order_id"
        gsis = [GSI("customer-index", partition_key="customer_id", sort_key="placed_at")]
        ttl_attribute = "expires_at"


class Customer(DomainModel):
    customer_id: str
    email: str

    class Meta:
        table_name = "customers"
        partition_key = "customer_id"
        unique = ["email"]


def test_endpoint_answers_list_tables(ddb_client: DynamoDBClient) -> None:
    assert ddb_client.list_tables(Limit=1)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_endpoint_is_the_env_endpoint_or_a_local_server(ddb_endpoint: str) -> None:
    expected = os.environ.get(ENDPOINT_ENV) or "http://127.0.0.1:"
    assert ddb_endpoint.startswith(expected)


def test_tests_are_marked_integration(request: pytest.FixtureRequest, ddb_endpoint: str) -> None:
    assert request.node.get_closest_marker("integration") is not None


def test_raw_client_put_get_round_trip_keeps_38_digits(
    ddb_client: DynamoDBClient, ddb_gateway: TableGateway
) -> None:
    name = ddb_gateway.physical_table_name("raw")
    ddb_client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        item = {"pk": {"S": "a"}, "n": {"N": "12345678901234567890123456789012345678"}}
        ddb_client.put_item(TableName=name, Item=item)
        got = ddb_client.get_item(TableName=name, Key={"pk": {"S": "a"}}, ConsistentRead=True)
        assert got["Item"] == item
    finally:
        ddb_client.delete_table(TableName=name)


def test_gateway_prefix_is_unique_to_the_test(ddb_gateway: TableGateway) -> None:
    name = ddb_gateway.physical_table_name("orders")
    assert re.fullmatch(r"test_gateway_prefix_is_\w+-[0-9a-f]{8}-orders", name), name


def test_ddb_tables_creates_the_table_with_its_gsi(
    ddb_tables: TableFactory, ddb_client: DynamoDBClient
) -> None:
    gateway = ddb_tables(Order)
    table = ddb_client.describe_table(TableName=gateway.physical_table_name("orders"))["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert [g["IndexName"] for g in table.get("GlobalSecondaryIndexes", [])] == ["customer-index"]


def test_ddb_tables_enables_the_ttl_attribute(
    ddb_tables: TableFactory, ddb_client: DynamoDBClient
) -> None:
    gateway = ddb_tables(Order)
    ttl = ddb_client.describe_time_to_live(TableName=gateway.physical_table_name("orders"))
    description = ttl["TimeToLiveDescription"]
    assert (description.get("TimeToLiveStatus"), description.get("AttributeName")) == (
        "ENABLED",
        "expires_at",
    )


def test_ddb_tables_creates_the_unique_guard_table(
    ddb_tables: TableFactory, ddb_client: DynamoDBClient
) -> None:
    gateway = ddb_tables(Customer)
    guard = gateway.physical_table_name("customers-unique")
    assert ddb_client.describe_table(TableName=guard)["Table"]["TableStatus"] == "ACTIVE"


def test_ddb_tables_returns_the_tests_gateway(
    ddb_tables: TableFactory, ddb_gateway: TableGateway
) -> None:
    assert ddb_tables(Order) is ddb_gateway


def test_ddb_tables_creates_a_table_once_when_asked_twice(
    ddb_tables: TableFactory, ddb_client: DynamoDBClient
) -> None:
    gateway = ddb_tables(Order)
    gateway = ddb_tables(Order)  # would raise ResourceInUseException if created again
    assert ddb_client.describe_table(TableName=gateway.physical_table_name("orders"))


ISOLATION_SUITE = """
import pytest
from ddbwrap import DomainModel

class Thing(DomainModel):
    thing_id: str

    class Meta:
        table_name = "things"
        partition_key = "thing_id"

FIRST = []

def test_first(ddb_tables, ddb_client):
    gateway = ddb_tables(Thing)
    FIRST.append(gateway.physical_table_name("things"))
    ddb_client.put_item(TableName=FIRST[0], Item={"thing_id": {"S": "mine"}})

def test_second_sees_its_own_empty_table(ddb_tables, ddb_client):
    name = ddb_tables(Thing).physical_table_name("things")
    assert name != FIRST[0]
    assert ddb_client.scan(TableName=name)["Items"] == []

def test_first_table_was_deleted_at_teardown(ddb_client):
    with pytest.raises(ddb_client.exceptions.ResourceNotFoundException):
        ddb_client.describe_table(TableName=FIRST[0])
"""


def test_each_test_gets_its_own_tables_deleted_after_it(
    pytester: pytest.Pytester, ddb_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENDPOINT_ENV, ddb_endpoint)  # the inner run reuses this server
    pytester.makepyfile(ISOLATION_SUITE)
    result = pytester.runpytest("-p", "no:hypothesispytest")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines([f"ddbwrap: 3 integration tests ran against {ENDPOINT_ENV}=*"])


class _ImpostorHandler(BaseHTTPRequestHandler):
    """Answers ListTables like DynamoDB: another program already on the chosen port."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = b'{"TableNames": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_port_taken_by_another_server_is_not_mistaken_for_ours(
    ddb_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    impostor = ThreadingHTTPServer(("", 0), _ImpostorHandler)
    threading.Thread(target=impostor.serve_forever, args=(0.05,), daemon=True).start()
    taken = impostor.server_address[1]
    ports = iter([taken])
    monkeypatch.setattr(local, "free_port", lambda: next(ports, None) or free_port())
    try:
        with DynamoDBLocal(use_env_endpoint=False) as server:  # its own, whatever the env says
            assert not server.endpoint_url.endswith(f":{taken}")
            assert local_client(server.endpoint_url).list_tables()["TableNames"] == []
    finally:
        impostor.shutdown()
        impostor.server_close()
