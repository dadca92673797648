"""What each attempt tells the outside, for the sync and async drivers alike: a DEBUG line on
the ``ddbwrap.gateway`` logger and, when OpenTelemetry is installed, a client span per attempt.

Spans follow OpenTelemetry's conventions for AWS SDK calls to DynamoDB (``rpc.system``
``aws-api``, ``rpc.method``, ``aws.dynamodb.table_names``, ``aws.dynamodb.consumed_capacity``,
``aws.request_id``...), so traces look as they do under the botocore instrumentation — which
no longer sees ddbwrap's calls on the direct transport. Neither a span nor a log line ever
holds an item value or key: only names, counts, capacity and the kind of a failure.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Mapping
from typing import Any, Protocol

logger = logging.getLogger("ddbwrap.gateway")

TELEMETRY_ENV = "DDBWRAP_TELEMETRY"
"""``DDBWRAP_TELEMETRY=0`` (``false``/``no``/``off``) keeps ddbwrap's spans off by default."""

_BATCH = frozenset({"BatchGetItem", "BatchWriteItem"})
_TRANSACT = frozenset({"TransactGetItems", "TransactWriteItems"})
_REQUEST_ATTRIBUTES = (
    ("ConsistentRead", "aws.dynamodb.consistent_read"),
    ("IndexName", "aws.dynamodb.index_name"),
    ("Limit", "aws.dynamodb.limit"),
    ("ProjectionExpression", "aws.dynamodb.projection"),  # placeholders and names only
    ("Select", "aws.dynamodb.select"),
    ("ScanIndexForward", "aws.dynamodb.scan_forward"),
    ("Segment", "aws.dynamodb.segment"),
    ("TotalSegments", "aws.dynamodb.total_segments"),
)


class TracerProvider(Protocol):
    """What ``telemetry=`` takes besides a bool: an OpenTelemetry ``TracerProvider``."""

    def get_tracer(
        self, instrumenting_module_name: str, instrumenting_library_version: str
    ) -> Any: ...


Telemetry = bool | TracerProvider | None
"""A gateway's ``telemetry``: a tracer provider to use, True/None for the global one (None:
unless ``DDBWRAP_TELEMETRY`` is off), False for no spans."""


def tracer_for(telemetry: Telemetry) -> Any:
    """The tracer ddbwrap's spans go to, or None: ``telemetry`` False, or None while
    ``DDBWRAP_TELEMETRY`` is off, or OpenTelemetry is not installed."""
    from .. import __version__

    if not isinstance(telemetry, bool | None):
        return telemetry.get_tracer("ddbwrap", __version__)
    if telemetry is None:
        setting = os.environ.get(TELEMETRY_ENV, "").strip().lower()
        telemetry = setting not in {"0", "false", "no", "off"}
    if not telemetry:
        return None
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    return trace.get_tracer("ddbwrap", __version__)


class _GlobalProvider:
    """Whether the service has configured OpenTelemetry (a real global tracer provider):
    until then the global tracer only makes spans nobody records, at some µs each. Asking
    OpenTelemetry costs µs too, so the answer is looked up at most once a second until it is
    yes (a provider, once set, stays set)."""

    set = False
    _next_check = 0.0

    @classmethod
    def is_set(cls) -> bool:
        if cls.set:
            return True
        now = time.monotonic()
        if now >= cls._next_check:
            cls._next_check = now + 1.0
            trace = sys.modules["opentelemetry.trace"]  # imported by tracer_for
            provider = trace.get_tracer_provider()
            cls.set = not isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider)
        return cls.set


class Observer:
    """The log line and span of every attempt a gateway sends (``begin``), when wanted."""

    def __init__(self, telemetry: Telemetry, server: str | None) -> None:
        self.tracer = tracer_for(telemetry)
        self._global = isinstance(telemetry, bool | None)
        self._server = server

    def tracing(self) -> bool:
        """True when attempts become spans that someone records."""
        return self.tracer is not None and (not self._global or _GlobalProvider.is_set())

    def active(self) -> bool:
        """True when an attempt must be observed (spans, or DEBUG logging on)."""
        return self.tracing() or logger.isEnabledFor(logging.DEBUG)

    def begin(self, operation: str, request: Mapping[str, Any]) -> Attempt:
        span = None
        if self.tracing():
            from opentelemetry.trace import SpanKind

            span = self.tracer.start_span(
                f"DynamoDB.{operation}",
                kind=SpanKind.CLIENT,
                attributes=request_attributes(operation, request, self._server),
            )
        return Attempt(operation, request, span)


class Attempt:
    """One attempt being observed: ended by ``succeeded`` or ``failed``."""

    __slots__ = ("operation", "request", "span", "started")

    def __init__(self, operation: str, request: Mapping[str, Any], span: Any) -> None:
        self.operation = operation
        self.request = request
        self.span = span
        self.started = time.perf_counter()

    def succeeded(self, response: Mapping[str, Any]) -> None:
        if self.span is not None:
            self.span.set_attributes(response_attributes(response))
            self.span.end()
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s table=%s ms=%.1f%s",
                self.operation,
                self.request.get("TableName", "*"),
                (time.perf_counter() - self.started) * 1000,
                summary(self.operation, self.request, response),
            )

    def failed(self, exc: BaseException) -> None:
        kind = getattr(exc, "kind", None) or type(exc).__name__
        if self.span is not None:
            from opentelemetry.trace import Status, StatusCode

            error = getattr(exc, "error", exc)  # an AttemptError carries the error it stands for
            self.span.set_attribute("error.type", type(error).__name__)
            self.span.set_attribute("ddbwrap.failure", str(kind))
            request_id = getattr(error, "request_id", None)
            if request_id:
                self.span.set_attribute("aws.request_id", str(request_id))
            # the class, never the message: messages may hold values
            self.span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            self.span.end()
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s failed ms=%.1f error=%s",
                self.operation,
                (time.perf_counter() - self.started) * 1000,
                kind,
            )


def request_attributes(
    operation: str, request: Mapping[str, Any], server: str | None
) -> dict[str, Any]:
    """The span attributes a request gives (names and settings; no values, no keys)."""
    attributes: dict[str, Any] = {
        "rpc.system": "aws-api",
        "rpc.service": "DynamoDB",
        "rpc.method": operation,
        "db.system": "dynamodb",
        "aws.dynamodb.table_names": table_names(operation, request),
    }
    if server:
        attributes["server.address"] = server
    for name, attribute in _REQUEST_ATTRIBUTES:
        value = request.get(name)
        if value is not None:
            attributes[attribute] = value
    return attributes


def response_attributes(response: Mapping[str, Any]) -> dict[str, Any]:
    """The span attributes an answer gives: counts, consumed capacity, request id."""
    attributes: dict[str, Any] = {}
    for name, attribute in (("Count", "aws.dynamodb.count"), ("ScannedCount",
                            "aws.dynamodb.scanned_count")):  # fmt: skip
        if name in response:
            attributes[attribute] = response[name]
    capacity = response.get("ConsumedCapacity")
    if capacity:
        entries = capacity if isinstance(capacity, list) else [capacity]
        attributes["aws.dynamodb.consumed_capacity"] = [
            json.dumps(entry, sort_keys=True, default=str) for entry in entries
        ]
    request_id = (response.get("ResponseMetadata") or {}).get("RequestId")
    if request_id:
        attributes["aws.request_id"] = request_id
    return attributes


def table_names(operation: str, request: Mapping[str, Any]) -> list[str]:
    """The tables a request names, in order, each once."""
    if operation in _BATCH:
        return list(request.get("RequestItems", {}))
    if operation in _TRANSACT:
        names: dict[str, None] = {}
        for item in request.get("TransactItems", ()):
            for action in item.values():
                names[action["TableName"]] = None
        return list(names)
    table = request.get("TableName")
    return [table] if table else []


def summary(operation: str, request: Mapping[str, Any], response: Mapping[str, Any]) -> str:
    """Counts and consumed capacity for the log line; never an item value or key."""
    parts: list[str] = []
    if "Count" in response:
        parts.append(f"count={response['Count']} scanned={response.get('ScannedCount')}")
        if response.get("LastEvaluatedKey"):
            parts.append("more=true")
    elif operation == "GetItem":
        parts.append(f"found={'Item' in response}")
    if "Responses" in response:
        responses = response["Responses"]
        if isinstance(responses, Mapping):
            parts.append(f"items={sum(len(items) for items in responses.values())}")
        else:
            parts.append(f"items={sum(1 for entry in responses if entry.get('Item'))}")
    request_items = request.get("RequestItems")
    if isinstance(request_items, Mapping):
        sent = sum(
            len(entry.get("Keys", ())) if isinstance(entry, Mapping) else len(entry)
            for entry in request_items.values()
        )
        parts.append(f"requested={sent}")
        leftovers = response.get("UnprocessedKeys") or response.get("UnprocessedItems") or {}
        unprocessed = sum(
            len(entry.get("Keys", ())) if isinstance(entry, Mapping) else len(entry)
            for entry in leftovers.values()
        )
        parts.append(f"unprocessed={unprocessed}")
    if "TransactItems" in request:
        parts.append(f"actions={len(request['TransactItems'])}")
    capacity = response.get("ConsumedCapacity")
    if capacity:
        entries = capacity if isinstance(capacity, list) else [capacity]
        parts.append(
            "capacity="
            + ",".join(f"{c.get('TableName', '?')}:{c.get('CapacityUnits')}" for c in entries)
        )
    return "".join(" " + part for part in parts)
