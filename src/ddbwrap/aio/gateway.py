"""``AsyncTableGateway``: ``TableGateway``'s async twin, on the same flows.

It drives the flows of ``ddbwrap._engine`` with the async driver (``ddbwrap.aio.drive``) over
an async transport (``AsyncDirectTransport`` by default). Everything that is not I/O is the sync
gateway's own code: table names are mapped by a ``TableGateway`` held for that purpose (prefix,
suffix, the checks on names and requests), the retry policy is the same ``RetryPolicy``, and
every method builds the same flow its sync twin runs.

::

    async with AsyncTableGateway.from_environment() as gateway:   # opens and closes its client
        reads = AsyncReadApi[Pipeline](gateway)
        pipeline = await reads.get(pipeline_id="p1")

    gateway = AsyncTableGateway(client)   # an aiobotocore client you opened (and close) yourself
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._engine import flows
from .._engine.botocore import request_attempts
from .._engine.observe import Telemetry
from .._engine.steps import Call, Flow, Params, R
from ..errors import ServiceError, ValidationError, check_on_corrupt
from ..gateway import (
    _BATCH_OPERATIONS,
    _GET_ACTIONS,
    OnCorrupt,
    TableGateway,
    _list_tables,
    _transact_items,
    _wait_until_active,
    _with_table,
    batch_get_items,
    batch_write_items,
    environment,
    transact_write_request,
)
from ..retry import RetryPolicy
from . import drive
from .transport import AsyncTransport, as_async, reads_items_async

if TYPE_CHECKING:
    from .._page_decoder import BodyReader

__all__ = ["AsyncTableGateway", "require_async_gateway"]



class _NoCalls:
    """The transport of the name-mapping ``TableGateway``: it never sends anything."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def call(self, operation: str, params: Params) -> Params:  # pragma: no cover - never used
        raise AssertionError("the async gateway sends through its async transport")


class _Closed:
    """The transport of a gateway from ``from_environment`` before ``async with`` opened it."""

    endpoint_url = "a closed AsyncTableGateway"
    fast_path = False
    client = None

    async def call(self, operation: str, params: Params) -> Params:
        raise ValidationError(
            f"{operation}: this AsyncTableGateway is not open; use it inside `async with "
            "AsyncTableGateway.from_environment() as gateway:` (or await gateway.open() at "
            "start-up and gateway.close() at shutdown)"
        )


class AsyncTableGateway:
    """Sends ddbwrap's requests through one async transport; maps table names; runs flows.

    Stateless apart from its configuration, so one instance is shared by all the tasks of an
    event loop (an aiobotocore client belongs to the loop that opened it).
    """

    def __init__(
        self,
        client: Any,
        *,
        table_prefix: str = "",
        table_suffix: str = "",
        retry: RetryPolicy | None = None,
        batch_retry: RetryPolicy | None = None,
        fast_path: bool | None = None,
        redact_values: bool | None = None,
        on_corrupt: OnCorrupt | None = None,
        transport: str | AsyncTransport | None = None,
        telemetry: Telemetry = None,
    ) -> None:
        """``client``: an open aiobotocore DynamoDB client, or any transport (async, or sync
        like ``ddbwrap.testing.ScriptedTransport``). Arguments as ``TableGateway``'s:
        ``transport`` is ``"direct"`` (the default: ``ddbwrap.aio.direct``), ``"botocore"``
        (every call through aiobotocore), None (``DDBWRAP_TRANSPORT``), or a transport."""
        self.on_corrupt: OnCorrupt | None = check_on_corrupt(on_corrupt, "AsyncTableGateway")
        chosen = transport if isinstance(transport, str) else None
        sender: AsyncTransport
        if transport is not None and not isinstance(transport, str):
            sender, raw = as_async(transport), client
        elif isinstance(client, _Closed):
            sender, raw = client, None
        elif hasattr(client, "meta"):
            sender, raw = _transport_for(client, chosen, fast_path), client
        else:
            sender = as_async(client)
            raw = getattr(client, "client", None)
        self._names = TableGateway(
            _NoCalls(raw),
            table_prefix=table_prefix,
            table_suffix=table_suffix,
            retry=retry,
            batch_retry=batch_retry,
            redact_values=redact_values,
            telemetry=telemetry,
        )
        self._transport = sender
        self._client = raw
        self._fast_path_setting = fast_path
        self._transport_setting = chosen
        self._open: Callable[[], Any] | None = None
        self._stack: AsyncExitStack | None = None
        self._set_policy(self._names.retry)

    def _set_policy(self, policy: RetryPolicy) -> None:
        self._retry = policy
        self._sleep = _sleeper(policy)

    # -- construction from the environment ---------------------------------------------------

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
    ) -> AsyncTableGateway:
        """A gateway over a new aiobotocore client configured from the environment, as
        ``TableGateway.from_environment`` configures its boto3 client (same arguments, same
        variables, same defaults). The client is made by ``async with gateway`` (or ``await
        gateway.open()``) and closed when the block ends (``await gateway.close()``)."""
        env = environment(
            table_prefix, table_suffix, retry_mode, max_attempts, client_kwargs, wrap=_aio_config
        )
        kwargs = env.client_kwargs
        gateway = cls(
            _Closed(),
            table_prefix=env.table_prefix,
            table_suffix=env.table_suffix,
            retry=retry,
            batch_retry=batch_retry,
            redact_values=redact_values,
            telemetry=telemetry,
        )
        if gateway.retry.request_attempts is None:  # what the client's config says, as in sync
            configured = request_attempts(_Configured(kwargs["config"])) or env.attempts
            gateway._set_policy(dataclasses.replace(gateway.retry, request_attempts=configured))
        gateway._fast_path_setting = fast_path
        gateway._transport_setting = transport
        gateway._open = lambda: _create_client(kwargs)
        return gateway

    @classmethod
    def from_gateway(cls, gateway: TableGateway) -> AsyncTableGateway:
        """The async twin of a sync gateway: the same endpoint, region, client config, static
        credentials (others are resolved by aiobotocore's own chain), table prefix and suffix,
        retry policy, transport, fast-path, redaction and telemetry settings. Opened by
        ``async with``, like ``from_environment``.

        Handy where both APIs meet: a test suite's ``ddb_gateway`` fixture, a service that
        configures one gateway and serves some routes asynchronously.
        """
        if not isinstance(gateway, TableGateway):
            raise ValidationError(
                f"from_gateway takes a TableGateway, got {type(gateway).__name__}"
            )
        client: Any = gateway.client
        meta = getattr(client, "meta", None)
        if meta is None:
            raise ValidationError("from_gateway needs a TableGateway over a boto3 client")
        kwargs: dict[str, Any] = {
            "endpoint_url": meta.endpoint_url,
            "region_name": meta.region_name,
            "config": _aio_config(meta.config),
        }
        credentials = getattr(getattr(client, "_request_signer", None), "_credentials", None)
        if credentials is not None and not hasattr(credentials, "refresh_needed"):
            frozen = credentials.get_frozen_credentials()
            kwargs["aws_access_key_id"] = frozen.access_key
            kwargs["aws_secret_access_key"] = frozen.secret_key
            if frozen.token:
                kwargs["aws_session_token"] = frozen.token
        twin = cls(
            _Closed(),
            table_prefix=gateway.table_prefix,
            table_suffix=gateway.table_suffix,
            retry=gateway.retry,
            redact_values=gateway.redact_values,
        )
        twin._names.observer = gateway.observer
        twin._fast_path_setting = gateway.fast_path
        twin._transport_setting = _transport_name(gateway.transport)
        twin._open = lambda: _create_client(kwargs)
        return twin

    async def open(self) -> AsyncTableGateway:
        """Make the client of a gateway from ``from_environment``/``from_gateway`` (no-op for
        a gateway given its client, or one already open); returns the gateway."""
        if self._open is None or self._stack is not None:
            return self
        stack = AsyncExitStack()
        client = await _entered(stack, self._open())
        try:
            transport = _transport_for(client, self._transport_setting, self._fast_path_setting)
        except BaseException:
            await stack.aclose()
            raise
        self._stack, self._transport, self._client = stack, transport, client
        return self

    async def close(self) -> None:
        """Close the client ``open`` made (a client you passed in stays open: it is yours)."""
        stack, self._stack = self._stack, None
        if stack is None:
            return
        self._transport, self._client = _Closed(), None
        await stack.aclose()

    async def __aenter__(self) -> AsyncTableGateway:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # -- configuration -----------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The aiobotocore client every request goes through (None when closed, or for a
        transport without one)."""
        return self._client

    @property
    def transport(self) -> AsyncTransport:
        """What every call is sent through."""
        return self._transport

    @property
    def table_prefix(self) -> str:
        """Put before every logical table name."""
        return self._names.table_prefix

    @property
    def table_suffix(self) -> str:
        """Put after every logical table name."""
        return self._names.table_suffix

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
        (None: as ``DDBWRAP_REDACT_VALUES`` says); see ``TableGateway.redact_values``."""
        return self._names.redact_values

    def redaction(self) -> contextlib.AbstractContextManager[None]:
        """A block in which errors follow this gateway's ``redact_values`` (``run`` and
        ``iterate`` are such blocks)."""
        return self._names.redaction()

    @property
    def endpoint_url(self) -> str:
        """The endpoint the client talks to (for messages)."""
        return str(getattr(self._transport, "endpoint_url", "") or "the transport")

    def physical_table_name(self, table: str) -> str:
        """``prefix + table + suffix``: the name DynamoDB knows."""
        return self._names.physical_table_name(table)

    def logical_table_name(self, physical: str) -> str | None:
        """The logical name of a physical table, or None when it lacks this prefix/suffix."""
        return self._names.logical_table_name(physical)

    # -- the driver ----------------------------------------------------------------------------

    async def run(self, flow: Flow[R]) -> R:
        """Drive ``flow`` to its end: its calls through the transport, its pauses awaited."""
        if self._names.redact_values is None:
            return await drive.run(flow, self._send, self._sleep)
        with self._names.redaction():
            return await drive.run(flow, self._send, self._sleep)

    def iterate(self, flow: Flow[None]) -> AsyncIterator[Any]:
        """Drive a streaming flow lazily, yielding what it emits."""
        items = drive.iterate(flow, self._send, self._sleep)
        return items if self._names.redact_values is None else self._redacted(items)

    async def _redacted(self, items: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """``items`` with this gateway's redaction in force while each next one is computed
        (not while the consumer holds it), as ``TableGateway.iterate`` does."""
        try:
            while True:
                with self._names.redaction():
                    try:
                        item = await items.__anext__()
                    except StopAsyncIteration:
                        return
                yield item
        finally:
            with self._names.redaction():
                await drive.close(items)

    async def send(
        self, operation: str, params: Mapping[str, Any], *, idempotent: bool = True
    ) -> Params:
        """One request (logical table names), retried as the policy says; the raw response."""
        return await self.run(
            flows.call(self._retry, operation, dict(params), idempotent=idempotent)
        )

    async def _send(self, step: Call) -> Params:
        """One attempt of a flow's call: table names made physical, then back in the answer."""
        operation = step.operation
        request = self._names._physical(operation, step.params)
        observer = self._names.observer
        if not observer.active():
            response = await self._attempt(operation, request, step.items)
        else:
            attempt = observer.begin(operation, request)
            try:
                response = await self._attempt(operation, request, step.items)
            except Exception as exc:
                attempt.failed(exc)
                raise
            attempt.succeeded(response)
        if operation in _BATCH_OPERATIONS:
            return self._names._logical_batch(response)
        return response

    def _attempt(
        self, operation: str, request: Params, items: BodyReader | None
    ) -> Awaitable[Params]:
        """One attempt; a transport that ``reads_items`` also takes the body reader (see
        ``Call.items``)."""
        transport = self._transport
        if items is not None and reads_items_async(transport):
            return transport.call(operation, request, items=items)
        return transport.call(operation, request)

    # -- single-item operations --------------------------------------------------------------

    async def get_item(self, params: Mapping[str, Any]) -> Params:
        """GetItem; returns the raw response (``Item`` is absent when there is none)."""
        return await self.send("GetItem", _with_table("GetItem", params))

    async def put_item(self, params: Mapping[str, Any]) -> Params:
        """PutItem, sent once (a lost response raises ``OutcomeUnknownError``)."""
        return await self.send("PutItem", _with_table("PutItem", params), idempotent=False)

    async def update_item(self, params: Mapping[str, Any]) -> Params:
        """UpdateItem, sent once (a lost response raises ``OutcomeUnknownError``)."""
        return await self.send("UpdateItem", _with_table("UpdateItem", params), idempotent=False)

    async def delete_item(self, params: Mapping[str, Any]) -> Params:
        """DeleteItem, sent once (a lost response raises ``OutcomeUnknownError``)."""
        return await self.send("DeleteItem", _with_table("DeleteItem", params), idempotent=False)

    # -- query and scan ----------------------------------------------------------------------

    async def query(self, params: Mapping[str, Any]) -> Params:
        """One Query page; the caller continues from ``LastEvaluatedKey`` if it wants more."""
        return await self.send("Query", _with_table("Query", params))

    async def scan(self, params: Mapping[str, Any]) -> Params:
        """One Scan page; the caller continues from ``LastEvaluatedKey`` if it wants more."""
        return await self.send("Scan", _with_table("Scan", params))

    def query_pages(self, params: Mapping[str, Any]) -> AsyncIterator[Params]:
        """Every Query page, fetched lazily (each page is requested when the previous is used)."""
        return self.iterate(flows.pages(self._retry, "Query", _with_table("Query", params)))

    def scan_pages(self, params: Mapping[str, Any]) -> AsyncIterator[Params]:
        """Every Scan page (of one segment, if ``Segment`` is given), fetched lazily."""
        return self.iterate(flows.pages(self._retry, "Scan", _with_table("Scan", params)))

    # -- batches -----------------------------------------------------------------------------

    async def batch_get(
        self, request_items: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, list[Params]]:
        """Read any number of keys (see ``TableGateway.batch_get``)."""
        checked = batch_get_items(self._names, request_items)
        return await self.run(flows.batch_get(self._retry, checked))

    async def batch_write(self, request_items: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        """Write any number of puts/deletes (see ``TableGateway.batch_write``)."""
        checked = batch_write_items(self._names, request_items)
        await self.run(flows.batch_write(self._retry, checked))

    # -- transactions ------------------------------------------------------------------------

    async def transact_write(
        self,
        items: Sequence[Mapping[str, Any]],
        *,
        client_request_token: str | None = None,
        return_cancellation_reasons_items: bool = True,
    ) -> Params:
        """TransactWriteItems (see ``TableGateway.transact_write``)."""
        params = transact_write_request(
            items,
            client_request_token=client_request_token,
            return_cancellation_reasons_items=return_cancellation_reasons_items,
        )
        return await self.send("TransactWriteItems", params)

    async def transact_get(self, items: Sequence[Mapping[str, Any]]) -> Params:
        """TransactGetItems (at most 100 ``Get`` actions); ``Responses`` follow ``items``' order."""
        actions = _transact_items("TransactGetItems", items, _GET_ACTIONS, False)
        return await self.send("TransactGetItems", {"TransactItems": actions})

    # -- tables ------------------------------------------------------------------------------

    async def create_table(self, params: Mapping[str, Any]) -> Params:
        """CreateTable with raw parameters (logical ``TableName``); returns the raw response."""
        return await self.send("CreateTable", _with_table("CreateTable", params), idempotent=False)

    async def update_table(self, params: Mapping[str, Any]) -> Params:
        """UpdateTable with raw parameters (logical ``TableName``), e.g. to add a GSI."""
        return await self.send("UpdateTable", _with_table("UpdateTable", params), idempotent=False)

    async def delete_table(self, table: str) -> None:
        """DeleteTable (does not wait for the deletion to finish)."""
        await self.send("DeleteTable", {"TableName": table}, idempotent=False)

    async def describe_table(self, table: str) -> Params:
        """DescribeTable; returns the raw response (the description is under ``Table``)."""
        return await self.send("DescribeTable", {"TableName": table})

    async def describe_time_to_live(self, table: str) -> Params:
        """DescribeTimeToLive; returns the raw response."""
        return await self.send("DescribeTimeToLive", {"TableName": table})

    async def update_time_to_live(self, table: str, attribute: str, enabled: bool = True) -> None:
        """Turn TTL on (or off) for ``attribute``."""
        await self.send(
            "UpdateTimeToLive",
            {
                "TableName": table,
                "TimeToLiveSpecification": {"AttributeName": attribute, "Enabled": enabled},
            },
        )

    async def wait_until_active(
        self, table: str, *, timeout: float = 300.0, poll_interval: float = 1.0
    ) -> Params:
        """Poll DescribeTable until the table and its GSIs are ACTIVE; returns that response."""
        self.physical_table_name(table)
        return await self.run(_wait_until_active(self._names, table, timeout, poll_interval))

    async def list_tables(self) -> list[str]:
        """Logical names of the tables that carry this gateway's prefix and suffix."""
        return await self.run(_list_tables(self._names))


# -- helpers -----------------------------------------------------------------------------------


def _transport_for(client: Any, transport: str | None, fast_path: bool | None) -> AsyncTransport:
    """The transport over an aiobotocore client (imported here: aiohttp comes with it)."""
    from .direct import async_transport_for

    return async_transport_for(client, transport, fast_path=fast_path)


def _transport_name(transport: object) -> str | None:
    """``"direct"`` or ``"botocore"`` for a sync gateway's transport (None for another)."""
    from ..transport import BotocoreTransport, DirectTransport

    if isinstance(transport, DirectTransport):
        return "direct"
    return "botocore" if isinstance(transport, BotocoreTransport) else None


def _sleeper(policy: RetryPolicy) -> Callable[[float], Awaitable[None]]:
    """The async pause of ``policy``: ``asyncio.sleep``, unless the policy was given its own
    ``sleep`` (a test's recorder, say), which is then called (and awaited if it returns an
    awaitable)."""
    custom = policy.sleep
    if custom is time.sleep:
        return asyncio.sleep

    async def sleep(seconds: float) -> None:
        result: Any = custom(seconds)
        if inspect.isawaitable(result):
            await result

    return sleep


class _Configured:
    """Just enough of a client for ``request_attempts`` to read a config."""

    def __init__(self, config: Any) -> None:
        self.meta = self
        self.config = config


def _aio_config(config: Any) -> Any:
    """``config`` (a botocore ``Config``) as aiobotocore's ``AioConfig``."""
    from aiobotocore.config import AioConfig  # type: ignore[import-untyped]

    if isinstance(config, AioConfig):
        return config
    options = dict(getattr(config, "_user_provided_options", {}))
    return AioConfig(**options)


def _create_client(kwargs: Mapping[str, Any]) -> Any:
    """An aiobotocore client's context manager (entered by ``open``)."""
    from aiobotocore.session import get_session  # type: ignore[import-untyped]

    return get_session().create_client("dynamodb", **kwargs)


async def _entered(stack: AsyncExitStack, manager: Any) -> Any:
    """The client of ``manager``, entered on ``stack``; configuration errors as ddbwrap's."""
    from botocore.exceptions import BotoCoreError, NoRegionError

    try:
        return await stack.enter_async_context(manager)
    except NoRegionError as exc:
        raise ServiceError(
            "cannot create the DynamoDB client: no AWS region is configured; set AWS_REGION "
            "or AWS_DEFAULT_REGION, or pass region_name=..."
        ) from exc
    except (BotoCoreError, ValueError) as exc:
        raise ServiceError(f"cannot create the DynamoDB client: {exc}") from exc


def require_async_gateway(gateway: object, user: str) -> AsyncTableGateway:
    """``gateway`` itself when it is an AsyncTableGateway; a clear error otherwise."""
    if not isinstance(gateway, AsyncTableGateway):
        hint = (
            " (a TableGateway is the sync API's: use ReadApi/WriteApi with it, or "
            "AsyncTableGateway.from_gateway(gateway))"
            if isinstance(gateway, TableGateway)
            else ""
        )
        raise ValidationError(
            f"{user} needs an AsyncTableGateway, got {type(gateway).__name__}{hint}; build one "
            "with `async with AsyncTableGateway.from_environment() as gateway`"
        )
    return gateway
