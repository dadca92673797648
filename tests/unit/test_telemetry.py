"""OpenTelemetry: one client span per attempt, named and tagged as the AWS SDK conventions
say, sync and async alike; failures marked without their messages; no item value anywhere."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from ddbwrap import DomainModel, ReadApi, Transaction, WriteApi
from ddbwrap._engine.observe import _GlobalProvider
from ddbwrap.aio import AsyncReadApi, AsyncTableGateway
from ddbwrap.errors import AlreadyExistsError
from ddbwrap.gateway import TableGateway
from ddbwrap.retry import RetryPolicy
from ddbwrap.testing import ScriptedTransport, throttle
from ddbwrap.tooling import create_tables
from ddbwrap.tooling.migrate import Backfill, RenameJob
from ddbwrap.transport import BotocoreTransport

SECRET = "s3cr3t-value-7f2a"

EXPORTER = InMemorySpanExporter()
PROVIDER = TracerProvider()
PROVIDER.add_span_processor(SimpleSpanProcessor(EXPORTER))


class Note(DomainModel):
    note_id: str
    body: str = ""

    class Meta:
        table_name = "notes"
        partition_key = "note_id"


@pytest.fixture
def transport() -> Iterator[ScriptedTransport]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(TableGateway(client, table_prefix="dev-"), [Note])
        yield ScriptedTransport(backend=BotocoreTransport(client))


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    EXPORTER.clear()
    yield EXPORTER
    EXPORTER.clear()


def gateway(transport: ScriptedTransport, **options: Any) -> TableGateway:
    retry = RetryPolicy(sleep=lambda _: None, request_attempts=3)
    options.setdefault("telemetry", PROVIDER)
    return TableGateway(transport, table_prefix="dev-", retry=retry, **options)


def finished(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return list(exporter.get_finished_spans())


def test_a_get_is_one_client_span_named_for_the_operation(
    transport: ScriptedTransport, spans: InMemorySpanExporter
) -> None:
    ReadApi[Note](gateway(transport)).get(note_id="n1", consistent=True)
    [span] = finished(spans)
    assert span.name == "DynamoDB.GetItem"
    assert span.kind is SpanKind.CLIENT
    assert span.attributes is not None
    assert dict(span.attributes).items() >= {
        "rpc.system": "aws-api",
        "rpc.service": "DynamoDB",
        "rpc.method": "GetItem",
        "db.system": "dynamodb",
        "aws.dynamodb.table_names": ("dev-notes",),
        "aws.dynamodb.consistent_read": True,
    }.items()


def test_each_attempt_is_a_span_and_a_retried_fault_is_marked_with_its_kind(
    transport: ScriptedTransport, spans: InMemorySpanExporter
) -> None:
    transport.script("GetItem", throttle())
    ReadApi[Note](gateway(transport)).get(note_id="n1")
    first, second = finished(spans)
    assert first.status.status_code is StatusCode.ERROR
    assert first.attributes is not None
    assert first.attributes["ddbwrap.failure"] == "throttled"
    assert second.status.status_code is StatusCode.UNSET


def test_a_query_span_carries_counts_and_settings(
    transport: ScriptedTransport, spans: InMemorySpanExporter
) -> None:
    writes = WriteApi[Note](gateway(transport))
    for index in range(3):
        writes.create(Note(note_id=f"n{index}"))
    spans.clear()
    ReadApi[Note](gateway(transport), cursor_secret="k" * 32).scan(limit=2)
    [span] = finished(spans)
    assert span.attributes is not None
    assert (span.attributes["aws.dynamodb.limit"], span.attributes["aws.dynamodb.count"]) == (2, 2)


def test_a_transaction_names_each_table_once(
    transport: ScriptedTransport, spans: InMemorySpanExporter
) -> None:
    with Transaction(gateway(transport)) as tx:
        tx.create(Note(note_id="a"))
        tx.create(Note(note_id="b"))
    [span] = finished(spans)
    assert span.attributes is not None
    assert span.attributes["aws.dynamodb.table_names"] == ("dev-notes",)


def test_no_item_value_is_in_any_span_even_of_a_failed_write(
    transport: ScriptedTransport, spans: InMemorySpanExporter
) -> None:
    writes = WriteApi[Note](gateway(transport))
    writes.create(Note(note_id=SECRET, body=SECRET))
    with pytest.raises(AlreadyExistsError):
        writes.create(Note(note_id=SECRET, body=SECRET))
    ReadApi[Note](gateway(transport)).get(note_id=SECRET)
    recorded = finished(spans)
    failed = [s for s in recorded if s.status.status_code is StatusCode.ERROR]
    assert [s.status.description for s in failed] == ["ConditionFailedError"]
    for span in recorded:
        texts = [str(v) for v in (span.attributes or {}).values()]
        texts += [span.name, str(span.status.description), *(e.name for e in span.events)]
        assert not [text for text in texts if SECRET in text], span.name


def test_telemetry_off_records_nothing(
    transport: ScriptedTransport, spans: InMemorySpanExporter
) -> None:
    ReadApi[Note](gateway(transport, telemetry=False)).get(note_id="n1")
    assert finished(spans) == []


def test_by_default_spans_go_to_the_global_tracer_provider(
    transport: ScriptedTransport, spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trace, "get_tracer", PROVIDER.get_tracer)  # as if set globally
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: PROVIDER)
    monkeypatch.setattr(_GlobalProvider, "set", False)  # restored after the test
    monkeypatch.setattr(_GlobalProvider, "_next_check", 0.0)
    ReadApi[Note](gateway(transport, telemetry=None)).get(note_id="n1")
    assert [span.name for span in finished(spans)] == ["DynamoDB.GetItem"]


def test_by_default_no_span_is_made_until_a_global_provider_is_set(
    transport: ScriptedTransport, spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trace, "get_tracer", PROVIDER.get_tracer)
    monkeypatch.setattr(_GlobalProvider, "set", False)
    monkeypatch.setattr(_GlobalProvider, "_next_check", 0.0)
    gateway_made_first = gateway(transport, telemetry=None)
    assert not gateway_made_first.observer.tracing()  # OpenTelemetry not configured: no cost
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: PROVIDER)
    monkeypatch.setattr(_GlobalProvider, "_next_check", 0.0)  # a second later
    ReadApi[Note](gateway_made_first).get(note_id="n1")  # configured later: spans from now on
    assert [span.name for span in finished(spans)] == ["DynamoDB.GetItem"]


def test_the_environment_turns_the_default_off(
    transport: ScriptedTransport, spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trace, "get_tracer", PROVIDER.get_tracer)
    monkeypatch.setenv("DDBWRAP_TELEMETRY", "0")
    ReadApi[Note](gateway(transport, telemetry=None)).get(note_id="n1")
    assert finished(spans) == []


def test_async_attempts_are_children_of_the_callers_span(
    transport: ScriptedTransport, spans: InMemorySpanExporter
) -> None:
    aio = AsyncTableGateway(transport, table_prefix="dev-", telemetry=PROVIDER)
    tracer = PROVIDER.get_tracer("handler")

    async def handler() -> None:
        with tracer.start_as_current_span("GET /notes"):
            await asyncio.gather(
                AsyncReadApi[Note](aio).get(note_id="a"), AsyncReadApi[Note](aio).get(note_id="b")
            )

    asyncio.run(handler())
    recorded = finished(spans)
    [parent] = [s for s in recorded if s.name == "GET /notes"]
    children = [s for s in recorded if s.name == "DynamoDB.GetItem"]
    assert len(children) == 2
    assert parent.context is not None
    assert all(s.parent is not None for s in children)
    assert {s.parent.span_id for s in children if s.parent} == {parent.context.span_id}


@pytest.mark.parametrize(
    "read",
    [
        lambda reads: list(reads.scan_all(segments=3)),
        lambda reads: reads.scan_count(segments=3),
        lambda reads: Backfill(
            reads.gateway, Note, RenameJob("old", "new"), segments=3, workers=3, dry_run=True
        ).run(),
    ],
    ids=["parallel scan", "parallel count", "backfill"],
)
def test_the_threads_of_a_parallel_scan_make_children_of_the_callers_span(
    read: Any, transport: ScriptedTransport, spans: InMemorySpanExporter
) -> None:
    tracer = PROVIDER.get_tracer("handler")
    with tracer.start_as_current_span("GET /notes"):
        read(ReadApi[Note](gateway(transport)))
    recorded = finished(spans)
    [parent] = [s for s in recorded if s.name == "GET /notes"]
    children = [s for s in recorded if s.name == "DynamoDB.Scan"]
    assert len(children) == 3
    assert parent.context is not None
    assert [s.parent.span_id if s.parent else None for s in children] == [
        parent.context.span_id
    ] * 3
