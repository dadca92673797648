"""The direct transport on DynamoDB Local: what only a real server and real sockets show.

Parity with botocore, answer by answer and fault by fault, is the differential test's
(``test_transport_differential_local.py``); here: the fixtures honour ``DDBWRAP_TRANSPORT``,
connections are pooled, timeouts and refused connections are classified as botocore's are, and
``ReturnConsumedCapacity`` comes back.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from botocore.config import Config

from ddbwrap import (
    DomainModel,
    ItemTooLargeError,
    OutcomeUnknownError,
    ReadApi,
    ServiceError,
    TableGateway,
    UnprocessedItemsError,
    WriteApi,
)
from ddbwrap.codec import MAX_ITEM_BYTES, codec_for, item_size
from ddbwrap.retry import RetryPolicy
from ddbwrap.testing import local_client
from ddbwrap.transport import BotocoreTransport, DirectTransport

if TYPE_CHECKING:
    from tests.integration.faultproxy import FaultProxy

    from ddbwrap.testing.plugin import TableFactory

pytestmark = [
    pytest.mark.integration,
    pytest.mark.not_on_moto("the direct transport steps aside for moto"),
]

TABLE = "direct_items"
KEY = {"pk": {"S": "a"}}


@pytest.fixture
def gateway(ddb_gateway: TableGateway) -> TableGateway:
    ddb_gateway.create_table(
        {
            "TableName": TABLE,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        }
    )
    return ddb_gateway


def test_the_fixture_gateway_follows_the_environment(ddb_gateway: TableGateway) -> None:
    expected = (
        BotocoreTransport if os.environ.get("DDBWRAP_TRANSPORT") == "botocore" else DirectTransport
    )
    assert type(ddb_gateway.transport) is expected


def test_calls_share_pooled_connections(gateway: TableGateway, ddb_endpoint: str) -> None:
    client = local_client(ddb_endpoint)  # a pool of its own: other tests' calls opened none
    direct = TableGateway(client, table_prefix=gateway.table_prefix, transport="direct")
    assert isinstance(direct.transport, DirectTransport)
    for _ in range(20):
        direct.get_item({"TableName": TABLE, "Key": KEY})
    assert direct.transport._connection().num_connections == 1


def test_consumed_capacity_comes_back(gateway: TableGateway) -> None:
    direct = TableGateway(gateway.client, table_prefix=gateway.table_prefix, transport="direct")
    response = direct.put_item({"TableName": TABLE, "Item": KEY, "ReturnConsumedCapacity": "TOTAL"})
    assert response["ConsumedCapacity"]["TableName"] == gateway.physical_table_name(TABLE)
    assert response["ConsumedCapacity"]["CapacityUnits"] == 1.0


def test_a_read_timeout_on_a_write_is_an_unknown_outcome(
    gateway: TableGateway, fault_proxy: FaultProxy
) -> None:
    from tests.integration.faultproxy import delay_response

    client = local_client(fault_proxy.url, config=Config(read_timeout=0.5, connect_timeout=2))
    direct = TableGateway(
        client,
        table_prefix=gateway.table_prefix,
        transport="direct",
        retry=RetryPolicy(sleep=lambda _: None, request_attempts=2),
    )
    fault_proxy.inject("PutItem", delay_response(2))
    with pytest.raises(OutcomeUnknownError, match="ReadTimeoutError"):
        direct.put_item({"TableName": TABLE, "Item": {**KEY, "n": {"N": "1"}}})
    assert fault_proxy.count("PutItem", forwarded=True) == 1


def test_a_refused_connection_is_retried_then_reported(gateway: TableGateway) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    attempts: list[float] = []
    direct = TableGateway(
        local_client(f"http://127.0.0.1:{port}"),
        transport="direct",
        retry=RetryPolicy(sleep=attempts.append, request_attempts=3),
    )
    assert isinstance(direct.transport, DirectTransport)
    with pytest.raises(ServiceError, match="could not connect"):
        direct.put_item({"TableName": TABLE, "Item": KEY})
    assert len(attempts) == 2  # never sent: a write is re-sent as freely as a read


class Meter(DomainModel):
    meter_id: str
    reading: int
    raw: bytes | None = None

    class Meta:
        table_name = "direct_meters"
        partition_key = "meter_id"


def _meters(count: int) -> list[Meter]:
    return [Meter(meter_id=f"m{index}", reading=index) for index in range(count)]


def _stored(gateway: TableGateway) -> dict[str, Meter]:
    return {meter.meter_id: meter for meter in ReadApi[Meter](gateway).scan_all()}


def _written(gateway: TableGateway, meters: list[Meter]) -> int:
    """Put ``meters`` in one batch; how many writes it counts as written."""
    with WriteApi[Meter](gateway).batch() as batch:
        for meter in meters:
            batch.put(meter)
    return batch.written


def _direct_through(proxy: FaultProxy, tables: TableGateway, **retry: Any) -> TableGateway:
    """A direct-transport gateway over ``tables``' tables whose calls go through ``proxy``,
    re-sent without pauses."""
    return TableGateway(
        local_client(proxy.url),
        table_prefix=tables.table_prefix,
        transport="direct",
        retry=RetryPolicy(sleep=lambda _: None, **retry),
    )


def test_batch_puts_left_unprocessed_are_resent_and_listed_as_the_very_writes(
    ddb_tables: TableFactory, fault_proxy: FaultProxy
) -> None:
    from tests.integration.faultproxy import status_after_forward

    direct = _direct_through(fault_proxy, ddb_tables(Meter), max_attempts=2)
    physical = direct.physical_table_name("direct_meters")
    meters = _meters(25)
    left = [meters[3], meters[17]]
    answer = {
        "UnprocessedItems": {
            physical: [
                {
                    "PutRequest": {
                        "Item": {"meter_id": {"S": m.meter_id}, "reading": {"N": str(m.reading)}}
                    }
                }
                for m in left
            ]
        }
    }
    fault_proxy.inject("BatchWriteItem", status_after_forward(200, answer), times=2)
    batch = WriteApi[Meter](direct).batch()
    for meter in meters:
        batch.put(meter)
    with pytest.raises(UnprocessedItemsError) as caught:
        batch.flush()
    assert [entry.item for entry in caught.value.unprocessed] == left
    assert [entry.request for entry in caught.value.unprocessed] == [
        {"PutRequest": {"Item": {"meter_id": {"S": m.meter_id}, "reading": {"N": str(m.reading)}}}}
        for m in left
    ]
    assert batch.written == 23
    first, resent = (
        ex.body["RequestItems"][physical] for ex in fault_proxy.requests("BatchWriteItem")
    )
    assert len(first) == 25
    assert [r["PutRequest"]["Item"]["meter_id"]["S"] for r in resent] == ["m3", "m17"]


def test_a_batch_on_the_direct_transport_that_botocore_sends_after_all_sends_every_item(
    ddb_tables: TableFactory, ddb_endpoint: str
) -> None:
    tables = ddb_tables(Meter)
    client = local_client(ddb_endpoint)
    direct = TableGateway(client, table_prefix=tables.table_prefix, transport="direct")
    seen: list[Any] = []
    client.meta.events.register(
        "provide-client-params.dynamodb.BatchWriteItem",
        lambda params, **_: seen.extend(next(iter(params["RequestItems"].values()))),
    )
    meters = [*_meters(3), Meter(meter_id="b", reading=9, raw=b"\x00\xff")]
    _written(direct, meters)
    assert [r["PutRequest"]["Item"]["meter_id"]["S"] for r in seen] == ["m0", "m1", "m2", "b"]
    assert _stored(direct) == {meter.meter_id: meter for meter in meters}


def test_a_batch_on_the_direct_transport_stores_text_numbers_and_binary_values(
    ddb_tables: TableFactory,
) -> None:
    tables = ddb_tables(Meter)
    direct = TableGateway(tables.client, table_prefix=tables.table_prefix, transport="direct")
    meters = [
        Meter(meter_id="ü-☃", reading=-(10**20)),
        Meter(meter_id="b", reading=1, raw=b"\x00\xff"),
        *_meters(60),
    ]
    _written(direct, meters)
    assert _stored(direct) == {meter.meter_id: meter for meter in meters}


class Padded(DomainModel):
    meter_id: str
    pad: str

    class Meta:
        table_name = "direct_padded"
        partition_key = "meter_id"


def _padded(meter_id: str, size: int) -> Padded:
    """An item of exactly ``size`` bytes as DynamoDB counts them (names and values)."""
    return Padded(meter_id=meter_id, pad="x" * (size - len("meter_id") - len(meter_id) - 3))


@pytest.mark.parametrize("transport", ["direct", "botocore"])
def test_a_batch_put_of_an_item_at_the_size_limit_is_stored_and_one_byte_over_is_refused(
    ddb_tables: TableFactory, transport: str
) -> None:
    tables = ddb_tables(Padded)
    gateway = TableGateway(tables.client, table_prefix=tables.table_prefix, transport=transport)
    largest = _padded("limit", MAX_ITEM_BYTES)  # its JSON is longer than the limit
    assert item_size(codec_for(Padded).encode(largest)) == MAX_ITEM_BYTES
    writes = WriteApi[Padded](gateway)
    with writes.batch() as batch:
        batch.put(largest)
        with pytest.raises(ItemTooLargeError, match=f"is {MAX_ITEM_BYTES + 1} bytes"):
            batch.put(_padded("over", MAX_ITEM_BYTES + 1))
    assert batch.written == 1
    stored = ReadApi[Padded](gateway).scan_all()
    assert [(p.meter_id, len(p.pad)) for p in stored] == [("limit", len(largest.pad))]


def _line_events(transport: object, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``"sent"`` for each request the direct transport puts on the line, ``"answer"`` for
    each answer it reads, in order."""
    assert isinstance(transport, DirectTransport)
    events: list[str] = []
    sent, answer = transport._sent, transport._answer

    def sending(*args: Any) -> Any:
        events.append("sent")
        return sent(*args)

    def answering(*args: Any) -> Any:
        events.append("answer")
        return answer(*args)

    monkeypatch.setattr(transport, "_sent", sending)
    monkeypatch.setattr(transport, "_answer", answering)
    return events


def test_the_requests_of_a_flush_are_all_on_the_line_before_any_answer_is_read(
    ddb_tables: TableFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = ddb_tables(Meter)
    direct = TableGateway(tables.client, table_prefix=tables.table_prefix, transport="direct")
    events = _line_events(direct.transport, monkeypatch)
    meters = _meters(100)
    assert _written(direct, meters) == 100
    assert events == ["sent"] * 4 + ["answer"] * 4
    assert _stored(direct) == {meter.meter_id: meter for meter in meters}


def test_a_flush_goes_one_request_at_a_time_when_the_pool_keeps_fewer_connections(
    ddb_tables: TableFactory, ddb_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = ddb_tables(Meter)
    client = local_client(ddb_endpoint, config=Config(max_pool_connections=2))
    direct = TableGateway(client, table_prefix=tables.table_prefix, transport="direct")
    events = _line_events(direct.transport, monkeypatch)
    meters = _meters(100)
    _written(direct, meters)
    assert events == ["sent", "answer"] * 4
    assert _stored(direct) == {meter.meter_id: meter for meter in meters}


def _holds(meter_id: str) -> Callable[[Any], bool]:
    """Whether a BatchWriteItem body puts ``meter_id``."""

    def holds(body: Any) -> bool:
        return any(
            write["PutRequest"]["Item"]["meter_id"]["S"] == meter_id
            for writes in body["RequestItems"].values()
            for write in writes
        )

    return holds


@pytest.mark.parametrize(
    "fault",
    ["drop_response", "refuse", "internal_server_error", "throttled", "empty_body", "bad_crc"],
)
def test_a_fault_in_one_request_of_a_flush_resends_that_request_alone(
    ddb_tables: TableFactory, fault_proxy: FaultProxy, fault: str
) -> None:
    from tests.integration import faultproxy

    direct = _direct_through(fault_proxy, ddb_tables(Meter))
    fault_proxy.inject("BatchWriteItem", getattr(faultproxy, fault)(), when=_holds("m30"))
    meters = _meters(100)
    assert _written(direct, meters) == 100
    assert _stored(direct) == {meter.meter_id: meter for meter in meters}
    bodies = [ex.body["RequestItems"] for ex in fault_proxy.requests("BatchWriteItem")]
    ids = [
        sorted(int(w["PutRequest"]["Item"]["meter_id"]["S"][1:]) for ws in b.values() for w in ws)
        for b in bodies
    ]
    assert len(ids) == 5  # the four of the flush, then the one that met the fault
    assert ids[-1] == list(range(25, 50))


def test_each_request_of_a_flush_is_a_span_of_its_own(ddb_tables: TableFactory) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tables = ddb_tables(Meter)
    direct = TableGateway(
        tables.client, table_prefix=tables.table_prefix, transport="direct", telemetry=provider
    )
    _written(direct, _meters(100))
    spans = [s for s in exporter.get_finished_spans() if s.name == "DynamoDB.BatchWriteItem"]
    assert len(spans) == 4
    assert [s.status.is_ok for s in spans] == [True] * 4
    assert len({s.context.span_id for s in spans}) == 4


def test_the_requests_of_a_batch_get_are_all_on_the_line_before_any_answer_is_read(
    ddb_tables: TableFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = ddb_tables(Meter)
    direct = TableGateway(tables.client, table_prefix=tables.table_prefix, transport="direct")
    meters = _meters(250)
    _written(direct, meters)
    events = _line_events(direct.transport, monkeypatch)
    result = ReadApi[Meter](direct).batch_get([{"meter_id": m.meter_id} for m in meters])
    assert list(result.items) == meters
    assert events == ["sent"] * 3 + ["answer"] * 3
