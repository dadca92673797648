"""TableGateway: the configured connection to DynamoDB that every ddbwrap call goes through.

It holds a transport (``ddbwrap.transport``: a boto3 client by default, a scripted one in
tests), the stage prefix/suffix that turns logical table names into physical ones, and the one
``RetryPolicy``. It drives flows (``ddbwrap._engine``): every multi-call behaviour (retries,
paging, batch leftovers, write resolution) is a generator of steps that the gateway runs,
sending each ``Call`` through the transport with physical table names and translating the
answer back. It knows nothing of models: the layers above build requests and decode responses.

ddbwrap retries its own calls itself (botocore makes one attempt per call): throttling, 5xx,
connections that never opened, and lost or unreadable responses are re-sent with the policy's
backoff, except writes whose outcome must be resolved instead (see ``docs/errors.md``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, NoRegionError

from . import _redact
from ._engine import drive, flows
from ._engine.botocore import request_attempts
from ._engine.direct import transport_for
from ._engine.flows import MAX_BATCH_GET_KEYS, MAX_BATCH_WRITE_REQUESTS
from ._engine.observe import Attempt, Observer, Telemetry
from ._engine.steps import Call, Calls, Flow, Outcome, Params, R, Sleep
from ._engine.translate import THROTTLING_CODES, translate_error
from .errors import CorruptItemError, ServiceError, ValidationError, check_on_corrupt
from .retry import RetryPolicy
from .transport import Transport, reads_items, sends_at_once

OnCorrupt = Literal["raise", "skip"] | Callable[[CorruptItemError], None]
"""What a read does with an item that does not validate (``ddbwrap.read.OnCorrupt``)."""

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from ._page_decoder import BodyReader

__all__ = [
    "MAX_BATCH_GET_KEYS",
    "MAX_BATCH_WRITE_REQUESTS",
    "MAX_TRANSACT_ITEMS",
    "THROTTLING_CODES",
    "RetryPolicy",
    "TableGateway",
    "Transport",
    "translate_error",
]


MAX_TRANSACT_ITEMS = 100
"""DynamoDB's limit on actions per TransactWriteItems / TransactGetItems request."""

PREFIX_ENV = "DDBWRAP_TABLE_PREFIX"
SUFFIX_ENV = "DDBWRAP_TABLE_SUFFIX"
DEFAULT_RETRY_MODE = "standard"
DEFAULT_MAX_ATTEMPTS = 10
"""Total attempts per request when neither the caller nor ``AWS_MAX_ATTEMPTS`` says."""

_WRITE_ACTIONS = ("Put", "Update", "Delete", "ConditionCheck")
_GET_ACTIONS = ("Get",)
_ALWAYS_CONDITIONAL = frozenset({"ConditionCheck"})
_BATCH_OPERATIONS = frozenset({"BatchGetItem", "BatchWriteItem"})
_TRANSACT_OPERATIONS = frozenset({"TransactGetItems", "TransactWriteItems"})


class TableGateway:
    """Sends ddbwrap's requests through one transport; maps table names; runs flows.

    Stateless apart from its configuration, so one instance can be shared by threads.
    """

    def __init__(
        self,
        client: DynamoDBClient | Transport,
        *,
        table_prefix: str = "",
        table_suffix: str = "",
        retry: RetryPolicy | None = None,
        batch_retry: RetryPolicy | None = None,
        fast_path: bool | None = None,
        redact_values: bool | None = None,
        transport: str | Transport | None = None,
        on_corrupt: OnCorrupt | None = None,
        telemetry: Telemetry = None,
    ) -> None:
        """``client``: a boto3 DynamoDB client, or any ``Transport`` (e.g. ``ScriptedTransport``).

        ``transport``: how a boto3 client's calls are sent: ``"direct"`` (the default; see
        ``ddbwrap._engine.direct``: ddbwrap's data-plane calls skip botocore, everything else
        and every client it cannot reproduce keep it), ``"botocore"``, or None for what
        ``DDBWRAP_TRANSPORT`` says (``direct`` when unset); or a ``Transport`` to send through
        instead (``client`` is then only what ``gateway.client`` returns).
        ``fast_path`` applies to the calls botocore sends (``ddbwrap.fastpath``).
        ``retry`` is the backoff policy of every re-send (``batch_retry`` is its old name).
        ``redact_values``: keep stored and caller-supplied values out of the messages of the
        errors raised while this gateway runs an operation (True), show them (False), or
        follow ``DDBWRAP_REDACT_VALUES`` (None); see ``docs/security.md``.
        ``on_corrupt``: what the reads through this gateway do with an item that does not
        validate, unless the ``ReadApi`` or the call says: ``"raise"`` (the default),
        ``"skip"`` (reported on the page) or a callable taking the ``CorruptItemError``.
        ``telemetry``: an OpenTelemetry client span per attempt, to this ``TracerProvider``,
        or to the global one when OpenTelemetry is installed (True, or None unless
        ``DDBWRAP_TELEMETRY`` is off); False: none.
        """
        self.on_corrupt: OnCorrupt | None = check_on_corrupt(on_corrupt, "TableGateway")
        for name, value in (("table_prefix", table_prefix), ("table_suffix", table_suffix)):
            if not isinstance(value, str):
                raise ValidationError(f"{name} must be a str, got {type(value).__name__}")
        if retry is not None and batch_retry is not None:
            raise ValidationError("pass retry= or its old name batch_retry=, not both")
        if transport is not None and not isinstance(transport, str):
            self._transport: Transport = transport
            self._client: Any = client
        elif isinstance(client, Transport) and not hasattr(client, "meta"):
            self._transport = client
            self._client = getattr(client, "client", None)
        else:
            self._transport = transport_for(client, transport, fast_path=fast_path)
            self._client = client
        policy = retry or batch_retry or RetryPolicy()
        if policy.request_attempts is None and self._client is not None:
            configured = request_attempts(self._client)
            if configured is not None:
                policy = dataclasses.replace(policy, request_attempts=configured)
        self._retry = policy
        self._prefix = table_prefix
        self._suffix = table_suffix
        self._redact = redact_values
        self.observer = Observer(telemetry, _server(self._client))
        """Logs and OpenTelemetry spans of every attempt (``ddbwrap._engine.observe``)."""

    @classmethod
    def from_environment(
        cls,
        *,
        table_prefix: str | None = None,
        table_suffix: str | None = None,
        retry: RetryPolicy | None = None,
        batch_retry: RetryPolicy | None = None,
        retry_mode: str | None = None,
        max_attempts: int | None = None,
        fast_path: bool | None = None,
        redact_values: bool | None = None,
        transport: str | None = None,
        telemetry: Telemetry = None,
        **client_kwargs: Any,
    ) -> TableGateway:
        """A gateway over a new boto3 client configured from the environment.

        boto3 itself honours ``AWS_ENDPOINT_URL_DYNAMODB`` (then ``AWS_ENDPOINT_URL``),
        ``AWS_DEFAULT_REGION``, credentials and profiles; botocore does *not* read
        ``AWS_REGION``, so it is passed on here (``region_name`` in ``client_kwargs`` wins).
        Retries: ddbwrap's calls get ``max_attempts`` attempts each (else ``AWS_MAX_ATTEMPTS``,
        else 10) with ``retry``'s backoff; ``retry_mode`` (else ``AWS_RETRY_MODE``, else
        ``"standard"``) is botocore's, for your own calls on ``gateway.client``; a ``config``
        in ``client_kwargs`` is merged over these. Prefix and suffix default to
        ``DDBWRAP_TABLE_PREFIX`` / ``DDBWRAP_TABLE_SUFFIX``; ``transport`` and ``telemetry`` as in
        the constructor.
        """
        env = environment(
            table_prefix, table_suffix, retry_mode, max_attempts, client_kwargs, wrap=_same
        )
        try:
            client = boto3.session.Session().client("dynamodb", **env.client_kwargs)
        except NoRegionError as exc:
            raise ServiceError(
                "cannot create the DynamoDB client: no AWS region is configured; set AWS_REGION "
                "or AWS_DEFAULT_REGION, or pass region_name=..."
            ) from exc
        except (BotoCoreError, ValueError) as exc:
            raise ServiceError(f"cannot create the DynamoDB client: {exc}") from exc
        return cls(
            client,
            table_prefix=env.table_prefix,
            table_suffix=env.table_suffix,
            retry=retry,
            batch_retry=batch_retry,
            fast_path=fast_path,
            redact_values=redact_values,
            transport=transport,
            telemetry=telemetry,
        )

    # -- configuration -----------------------------------------------------------------------

    @property
    def client(self) -> DynamoDBClient:
        """The boto3 client every request goes through (None for a transport without one)."""
        client: DynamoDBClient = self._client
        return client

    @property
    def transport(self) -> Transport:
        """What every call is sent through."""
        return self._transport

    @property
    def table_prefix(self) -> str:
        """Put before every logical table name."""
        return self._prefix

    @property
    def table_suffix(self) -> str:
        """Put after every logical table name."""
        return self._suffix

    @property
    def fast_path(self) -> bool:
        """Whether this gateway's calls take the fast path (see ``ddbwrap.fastpath``)."""
        return bool(getattr(self._transport, "fast_path", False))

    @property
    def retry(self) -> RetryPolicy:
        """The backoff policy of every re-send this gateway makes."""
        return self._retry

    @property
    def batch_retry(self) -> RetryPolicy:
        """The old name of :attr:`retry`."""
        return self._retry

    @property
    def redact_values(self) -> bool | None:
        """Whether errors raised while this gateway runs keep values out of their messages
        (None: as ``DDBWRAP_REDACT_VALUES`` says)."""
        return self._redact

    def redaction(self) -> contextlib.AbstractContextManager[None]:
        """A block in which errors follow this gateway's ``redact_values`` (``run`` and
        ``iterate`` are such blocks; a facade wraps the building of its requests in one)."""
        return _redact.redaction(self._redact)

    @property
    def endpoint_url(self) -> str:
        """The endpoint the client talks to (for messages)."""
        return str(getattr(self._transport, "endpoint_url", "") or "the transport")

    def physical_table_name(self, table: str) -> str:
        """``prefix + table + suffix``: the name DynamoDB knows (e.g. ``purposepath-goals-dev``)."""
        if not isinstance(table, str) or not table:
            raise ValidationError(f"a table name must be a non-empty string, got {table!r}")
        return f"{self._prefix}{table}{self._suffix}"

    def logical_table_name(self, physical: str) -> str | None:
        """The logical name of a physical table, or None when it lacks this prefix/suffix."""
        if len(physical) <= len(self._prefix) + len(self._suffix):
            return None
        if not (physical.startswith(self._prefix) and physical.endswith(self._suffix)):
            return None
        return physical[len(self._prefix) : len(physical) - len(self._suffix)]

    # -- the driver ----------------------------------------------------------------------------

    def run(self, flow: Flow[R]) -> R:
        """Drive ``flow`` to its end: its calls through the transport, its pauses slept."""
        if self._redact is None:
            return drive.run(flow, self._send, self._retry.sleep, self._send_all)
        with _redact.redaction(self._redact):
            return drive.run(flow, self._send, self._retry.sleep, self._send_all)

    def iterate(self, flow: Flow[None]) -> Iterator[Any]:
        """Drive a streaming flow lazily, yielding what it emits."""
        items = drive.iterate(flow, self._send, self._retry.sleep, self._send_all)
        return items if self._redact is None else _redact.redacted_iter(items, self._redact)

    def send(self, operation: str, params: Mapping[str, Any], *, idempotent: bool = True) -> Params:
        """One request (logical table names), retried as the policy says; the raw response."""
        return self.run(flows.call(self._retry, operation, dict(params), idempotent=idempotent))

    def _send(self, step: Call) -> Params:
        """One attempt of a flow's call: table names made physical, then back in the answer."""
        operation = step.operation
        request = self._physical(operation, step.params)
        attempt = self.observer.begin(operation, request) if self.observer.active() else None
        try:
            response = self._attempt(operation, request, step.items)
        except Exception as exc:
            if attempt is not None:
                attempt.failed(exc)
            raise
        return self._received(operation, attempt, response)

    def _send_all(self, step: Calls) -> list[Outcome]:
        """A ``Calls`` step: its requests at once on a transport that can (``call_many``), else
        one by one; each named and observed as ``_send`` does."""
        transport = self._transport
        if not sends_at_once(transport):
            return drive.one_by_one(self._send, step)
        requests = [
            (call.operation, self._physical(call.operation, call.params), call.items)
            for call in step.calls
        ]
        observer = self.observer
        active = observer.active()
        attempts = [observer.begin(op, r) if active else None for op, r, _ in requests]
        outcomes = transport.call_many(requests)
        for index, (outcome, attempt) in enumerate(zip(outcomes, attempts, strict=True)):
            if not isinstance(outcome, Exception):
                outcomes[index] = self._received(requests[index][0], attempt, outcome)
            elif attempt is not None:
                attempt.failed(outcome)
        return outcomes

    def _received(self, operation: str, attempt: Attempt | None, response: Params) -> Params:
        """An attempt's response: its observation ended, a batch answer's table names made
        logical again."""
        if attempt is not None:
            attempt.succeeded(response)
        if operation in _BATCH_OPERATIONS:
            return self._logical_batch(response)
        return response

    def _attempt(self, operation: str, request: Params, items: BodyReader | None) -> Params:
        """One attempt; a transport that ``reads_items`` also takes the body reader (see
        ``Call.items``)."""
        transport = self._transport
        if items is not None and reads_items(transport):
            return transport.call(operation, request, items=items)
        return transport.call(operation, request)

    def _physical(self, operation: str, params: Params) -> Params:
        if operation in _BATCH_OPERATIONS:
            return {
                **params,
                "RequestItems": {
                    self.physical_table_name(table): spec
                    for table, spec in params["RequestItems"].items()
                },
            }
        if operation in _TRANSACT_OPERATIONS:
            return {
                **params,
                "TransactItems": [
                    {
                        kind: {**action, "TableName": self.physical_table_name(action["TableName"])}
                        for kind, action in item.items()
                    }
                    for item in params["TransactItems"]
                ],
            }
        table = params.get("TableName")
        if table is None:
            return params
        return {**params, "TableName": self.physical_table_name(table)}

    def _logical_batch(self, response: Params) -> Params:
        out = dict(response)
        for member in ("Responses", "UnprocessedKeys", "UnprocessedItems"):
            entries = response.get(member)
            if entries:
                out[member] = {self._logical(name): value for name, value in entries.items()}
        return out

    def _logical(self, physical: str) -> str:
        logical = self.logical_table_name(physical)
        return physical if logical is None else logical

    # -- single-item operations --------------------------------------------------------------

    def get_item(self, params: Mapping[str, Any]) -> Params:
        """GetItem; returns the raw response (``Item`` is absent when there is none)."""
        return self.send("GetItem", _with_table("GetItem", params))

    def put_item(self, params: Mapping[str, Any]) -> Params:
        """PutItem; a failed ``ConditionExpression`` raises ``ConditionFailedError``.

        Sent once: a lost response raises ``OutcomeUnknownError`` (``WriteApi`` resolves it).
        """
        return self.send("PutItem", _with_table("PutItem", params), idempotent=False)

    def update_item(self, params: Mapping[str, Any]) -> Params:
        """UpdateItem; a failed ``ConditionExpression`` raises ``ConditionFailedError``.

        Sent once: a lost response raises ``OutcomeUnknownError`` (``WriteApi`` resolves it).
        """
        return self.send("UpdateItem", _with_table("UpdateItem", params), idempotent=False)

    def delete_item(self, params: Mapping[str, Any]) -> Params:
        """DeleteItem; a failed ``ConditionExpression`` raises ``ConditionFailedError``.

        Sent once: a lost response raises ``OutcomeUnknownError`` (``WriteApi`` resolves it).
        """
        return self.send("DeleteItem", _with_table("DeleteItem", params), idempotent=False)

    # -- query and scan ----------------------------------------------------------------------

    def query(self, params: Mapping[str, Any]) -> Params:
        """One Query page; the caller continues from ``LastEvaluatedKey`` if it wants more."""
        return self.send("Query", _with_table("Query", params))

    def scan(self, params: Mapping[str, Any]) -> Params:
        """One Scan page; the caller continues from ``LastEvaluatedKey`` if it wants more."""
        return self.send("Scan", _with_table("Scan", params))

    def query_pages(self, params: Mapping[str, Any]) -> Iterator[Params]:
        """Every Query page, fetched lazily (each page is requested when the previous is used)."""
        return self.iterate(flows.pages(self._retry, "Query", _with_table("Query", params)))

    def scan_pages(self, params: Mapping[str, Any]) -> Iterator[Params]:
        """Every Scan page (of one segment, if ``Segment`` is given), fetched lazily."""
        return self.iterate(flows.pages(self._retry, "Scan", _with_table("Scan", params)))

    # -- batches -----------------------------------------------------------------------------

    def batch_get(self, request_items: Mapping[str, Mapping[str, Any]]) -> dict[str, list[Params]]:
        """Read any number of keys: requests of at most 100 keys, leftovers re-sent with backoff.

        ``request_items`` is ``{logical_table: {"Keys": [...], "ProjectionExpression"?, ...}}``.
        Returns ``{logical_table: [raw items]}`` with an entry for every table asked for; the
        order of items is not that of the keys, and missing items are simply absent. Duplicate
        keys in one request are refused by DynamoDB: pass each key once. When a request's
        retry budget runs out, ``UnprocessedItemsError.unprocessed`` lists exactly the
        ``(table, key)`` pairs not read (that request's leftovers and all requests not sent).
        """
        return self.run(flows.batch_get(self._retry, batch_get_items(self, request_items)))

    def batch_write(self, request_items: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        """Write any number of puts/deletes: requests of at most 25, leftovers re-sent.

        ``request_items`` is ``{logical_table: [{"PutRequest": {"Item": ...}} |
        {"DeleteRequest": {"Key": ...}}, ...]}``. Requests are sent in order; one key may appear
        only once per 25-request chunk (DynamoDB refuses duplicates). When a request's retry
        budget runs out, ``UnprocessedItemsError.unprocessed`` lists exactly the
        ``(table, write_request)`` pairs not written (that request's leftovers and all requests
        not sent); everything else was written.
        """
        self.run(flows.batch_write(self._retry, batch_write_items(self, request_items)))

    # -- transactions ------------------------------------------------------------------------

    def transact_write(
        self,
        items: Sequence[Mapping[str, Any]],
        *,
        client_request_token: str | None = None,
        return_cancellation_reasons_items: bool = True,
    ) -> Params:
        """TransactWriteItems (at most 100 actions, checked before sending).

        Always sent with a ``ClientRequestToken`` (a new one unless given), so a lost response
        is re-sent safely: DynamoDB applies one token's transaction once (for 10 minutes).
        With ``return_cancellation_reasons_items`` every conditional action asks for
        ``ReturnValuesOnConditionCheckFailure=ALL_OLD`` (unless it says otherwise), so a
        cancellation's reasons carry the current item. A cancellation raises
        ``TransactionCanceledError`` with one reason per action, in order.
        """
        params = transact_write_request(
            items,
            client_request_token=client_request_token,
            return_cancellation_reasons_items=return_cancellation_reasons_items,
        )
        return self.send("TransactWriteItems", params)

    def transact_get(self, items: Sequence[Mapping[str, Any]]) -> Params:
        """TransactGetItems (at most 100 ``Get`` actions); ``Responses`` follow ``items``' order."""
        actions = _transact_items("TransactGetItems", items, _GET_ACTIONS, False)
        return self.send("TransactGetItems", {"TransactItems": actions})

    # -- tables ------------------------------------------------------------------------------

    def create_table(self, params: Mapping[str, Any]) -> Params:
        """CreateTable with raw parameters (logical ``TableName``); returns the raw response."""
        return self.send("CreateTable", _with_table("CreateTable", params), idempotent=False)

    def update_table(self, params: Mapping[str, Any]) -> Params:
        """UpdateTable with raw parameters (logical ``TableName``), e.g. to add a GSI."""
        return self.send("UpdateTable", _with_table("UpdateTable", params), idempotent=False)

    def delete_table(self, table: str) -> None:
        """DeleteTable (does not wait for the deletion to finish)."""
        self.send("DeleteTable", {"TableName": table}, idempotent=False)

    def describe_table(self, table: str) -> Params:
        """DescribeTable; returns the raw response (the description is under ``Table``)."""
        return self.send("DescribeTable", {"TableName": table})

    def describe_time_to_live(self, table: str) -> Params:
        """DescribeTimeToLive; returns the raw response."""
        return self.send("DescribeTimeToLive", {"TableName": table})

    def update_time_to_live(self, table: str, attribute: str, enabled: bool = True) -> None:
        """Turn TTL on (or off) for ``attribute``."""
        self.send(
            "UpdateTimeToLive",
            {
                "TableName": table,
                "TimeToLiveSpecification": {"AttributeName": attribute, "Enabled": enabled},
            },
        )

    def wait_until_active(
        self, table: str, *, timeout: float = 300.0, poll_interval: float = 1.0
    ) -> Params:
        """Poll DescribeTable until the table and its GSIs are ACTIVE; returns that response.

        Pauses with the retry policy's ``sleep``; raises ``ServiceError`` after ``timeout`` s.
        """
        self.physical_table_name(table)
        return self.run(_wait_until_active(self, table, timeout, poll_interval))

    def list_tables(self) -> list[str]:
        """Logical names of the tables that carry this gateway's prefix and suffix."""
        return self.run(_list_tables(self))


# -- pure request builders ---------------------------------------------------------------------


def _with_table(operation: str, params: Mapping[str, Any]) -> Params:
    """A shallow copy of ``params``, checked to name a (logical) ``TableName``."""
    if not isinstance(params, Mapping):
        raise ValidationError(f"{operation}: parameters must be a dict, got {type(params)}")
    if params.get("TableName") is None:
        raise ValidationError(f"{operation}: parameters need a 'TableName' (logical name)")
    return dict(params)


def batch_get_items(
    gateway: TableGateway, request_items: Mapping[str, Mapping[str, Any]]
) -> dict[str, Mapping[str, Any]]:
    """``request_items`` of a batch get, checked (a list of keys per table, names valid)."""
    for table, spec in request_items.items():
        keys = spec.get("Keys") if isinstance(spec, Mapping) else None
        if not isinstance(keys, Sequence) or isinstance(keys, (str, bytes)):
            raise ValidationError(
                f"BatchGetItem: request_items[{table!r}] needs a list under 'Keys'"
            )
        gateway.physical_table_name(table)
    return dict(request_items)


def batch_write_items(
    gateway: TableGateway, request_items: Mapping[str, Sequence[Mapping[str, Any]]]
) -> dict[str, list[Params]]:
    """``request_items`` of a batch write, checked (one Put/DeleteRequest each, names valid)."""
    checked: dict[str, list[Params]] = {}
    for table, requests in request_items.items():
        if not isinstance(requests, Sequence) or isinstance(requests, (str, bytes)):
            raise ValidationError(
                f"BatchWriteItem: request_items[{table!r}] must be a list of write requests"
            )
        gateway.physical_table_name(table)
        for request in requests:
            if not (
                isinstance(request, Mapping)
                and len(request) == 1
                and ("PutRequest" in request or "DeleteRequest" in request)
            ):
                raise ValidationError(
                    f"BatchWriteItem: every request for {table!r} must be "
                    "{'PutRequest': {...}} or {'DeleteRequest': {...}}"
                )
        checked[table] = [dict(request) for request in requests]
    return checked


def transact_write_request(
    items: Sequence[Mapping[str, Any]],
    *,
    client_request_token: str | None = None,
    return_cancellation_reasons_items: bool = True,
) -> Params:
    """The TransactWriteItems parameters for ``items`` (checked), always with a token."""
    actions = _transact_items(
        "TransactWriteItems", items, _WRITE_ACTIONS, return_cancellation_reasons_items
    )
    token = client_request_token if client_request_token is not None else new_token()
    return {"TransactItems": actions, "ClientRequestToken": token}


def new_token() -> str:
    """A fresh ``ClientRequestToken`` (36 characters, DynamoDB's maximum)."""
    return str(uuid.uuid4())


def _transact_items(
    operation: str,
    items: Sequence[Mapping[str, Any]],
    allowed: tuple[str, ...],
    return_items: bool,
) -> list[Params]:
    if len(items) > MAX_TRANSACT_ITEMS:
        raise ValidationError(
            f"{operation}: {len(items)} actions given, DynamoDB allows at most "
            f"{MAX_TRANSACT_ITEMS} per transaction; split the work or use a batch"
        )
    if not items:
        raise ValidationError(f"{operation}: a transaction needs at least one action")
    actions: list[Params] = []
    for index, item in enumerate(items):
        kinds = list(item) if isinstance(item, Mapping) else []
        if len(kinds) != 1 or kinds[0] not in allowed:
            raise ValidationError(
                f"{operation}: action {index} must be a dict with exactly one of "
                f"{', '.join(allowed)} (got keys {kinds})"
            )
        kind = kinds[0]
        action = _with_table(f"{operation} action {index}", item[kind])
        if return_items and ("ConditionExpression" in action or kind in _ALWAYS_CONDITIONAL):
            action.setdefault("ReturnValuesOnConditionCheckFailure", "ALL_OLD")
        actions.append({kind: action})
    return actions


# -- admin flows -----------------------------------------------------------------------------


def _wait_until_active(
    gateway: TableGateway, table: str, timeout: float, poll_interval: float
) -> Flow[Params]:
    deadline = time.monotonic() + timeout
    delay = min(0.05, poll_interval)
    while True:
        response = yield from flows.call(gateway.retry, "DescribeTable", {"TableName": table})
        description = response.get("Table", {})
        statuses = [description.get("TableStatus")] + [
            index.get("IndexStatus") for index in description.get("GlobalSecondaryIndexes", ())
        ]
        if all(status == "ACTIVE" for status in statuses):
            return response
        if time.monotonic() >= deadline:
            raise ServiceError(
                f"table {gateway.physical_table_name(table)!r} is not ACTIVE after "
                f"{timeout:g} s (statuses {statuses}); check it in the console or wait longer"
            )
        yield Sleep(delay)
        delay = min(delay * 2, poll_interval)


def _list_tables(gateway: TableGateway) -> Flow[list[str]]:
    names: list[str] = []
    request: Params = {}
    while True:
        response = yield from flows.call(gateway.retry, "ListTables", request)
        for physical in response.get("TableNames", ()):
            table = gateway.logical_table_name(physical)
            if table is not None:
                names.append(table)
        last = response.get("LastEvaluatedTableName")
        if not last:
            return names
        request = {"ExclusiveStartTableName": last}


# -- helpers -----------------------------------------------------------------------------------


def _server(client: Any) -> str | None:
    """The endpoint's host name, for spans (None when there is no boto3 client)."""
    endpoint = getattr(getattr(client, "meta", None), "endpoint_url", None)
    return urlsplit(endpoint).hostname if isinstance(endpoint, str) else None


@dataclasses.dataclass(frozen=True)
class Environment:
    """What ``from_environment`` takes from the environment, for either gateway."""

    client_kwargs: dict[str, Any]
    """The client's arguments: the caller's, ``region_name`` from ``AWS_REGION``, ``config``."""
    attempts: int
    """Attempts per call (``max_attempts``, else ``AWS_MAX_ATTEMPTS``, else the default)."""
    table_prefix: str
    table_suffix: str


def environment(
    table_prefix: str | None,
    table_suffix: str | None,
    retry_mode: str | None,
    max_attempts: int | None,
    client_kwargs: Mapping[str, Any],
    *,
    wrap: Callable[[Config], Any],
) -> Environment:
    """The settings ``TableGateway.from_environment`` and ``AsyncTableGateway.from_environment``
    share (see the former); ``wrap`` turns botocore's ``Config`` into the client's kind (an
    aiobotocore ``AioConfig``) before the caller's ``config`` is merged over it."""
    kwargs = dict(client_kwargs)
    if "region_name" not in kwargs and os.environ.get("AWS_REGION"):
        kwargs["region_name"] = os.environ["AWS_REGION"]
    mode = retry_mode or os.environ.get("AWS_RETRY_MODE") or DEFAULT_RETRY_MODE
    attempts = max_attempts if max_attempts is not None else _env_int("AWS_MAX_ATTEMPTS")
    total = attempts if attempts is not None else DEFAULT_MAX_ATTEMPTS
    retries: Any = {"mode": mode, "total_max_attempts": total}  # botocore validates the mode
    user_config = kwargs.pop("config", None)
    try:
        config = wrap(Config(retries=retries))
        if user_config is not None:
            config = config.merge(user_config)
    except (BotoCoreError, ValueError, TypeError) as exc:  # an unknown retry mode, a bad config
        raise ServiceError(f"cannot configure the DynamoDB client: {exc}") from exc
    kwargs["config"] = config
    return Environment(
        kwargs,
        total,
        os.environ.get(PREFIX_ENV, "") if table_prefix is None else table_prefix,
        os.environ.get(SUFFIX_ENV, "") if table_suffix is None else table_suffix,
    )


def _same(config: Config) -> Config:
    return config


def _env_int(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise ValidationError(f"{name} must be an integer, got {value!r}") from exc


def require_gateway(gateway: object, user: str) -> TableGateway:
    """``gateway`` itself when it is a TableGateway; a clear error naming ``user`` otherwise."""
    if not isinstance(gateway, TableGateway):
        raise ValidationError(
            f"{user} needs a TableGateway, got {type(gateway).__name__}; build one with "
            "TableGateway(boto3.client('dynamodb')) or TableGateway.from_environment()"
        )
    return gateway
