"""The async direct transport: ``DirectTransport``'s twin on asyncio.

``AsyncDirectTransport`` sends ddbwrap's data-plane calls over connections of its own to the
client's endpoint (``ddbwrap.aio.connections``: the request written in one call, the answer read
by ``ddbwrap._engine.http1``), configured from the aiobotocore client's HTTP session (pool size,
connect and read timeouts, keep-alive, TLS verification, CA bundle and client certificate) and
closed with it; requests are built and answers read by the same pure code as the sync
transport (``ddbwrap._engine.wire``). Everything else goes through ``AiobotocoreTransport``
over the same client, as do all calls of a client the direct transport cannot reproduce (see
``ddbwrap._engine.direct``; a proxy, an HTTP session other than aiobotocore's aiohttp one, or
connector settings it does not reproduce). aiobotocore's endpoint resolution is a coroutine,
so the transport configures itself on its first call.

Failures are the botocore exceptions aiobotocore raises for the same failure, so they are worded
and classified as ``AiobotocoreTransport``'s (see ``ddbwrap.aio.connections``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiobotocore.httpsession import AIOHTTPSession  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError, HTTPClientError

from .._engine.botocore import exception
from .._engine.direct import transport_choice
from .._engine.http1 import request_message
from .._engine.sigv4 import Clock
from .._engine.steps import Params
from .._engine.wire import ENDPOINT_PROBE, DirectUnavailableError, Wire, configure, raise_failure
from .connections import ConnectionPool, Endpoint
from .transport import AiobotocoreTransport

if TYPE_CHECKING:
    from .._page_decoder import BodyReader

__all__ = ["AsyncDirectTransport", "async_transport_for"]

logger = logging.getLogger("ddbwrap.transport")


def async_transport_for(
    client: Any, transport: str | None, *, fast_path: bool | None = None
) -> AiobotocoreTransport:
    """The transport of an ``AsyncTableGateway`` over ``client`` (``"direct"``, the default
    unless ``DDBWRAP_TRANSPORT`` says ``botocore``, or ``"botocore"``)."""
    if transport_choice(transport) == "direct":
        return AsyncDirectTransport(client, fast_path=fast_path)
    return AiobotocoreTransport(client, fast_path=fast_path)


class AsyncDirectTransport(AiobotocoreTransport):
    """One attempt of a DynamoDB call, awaited: data-plane calls sent directly over asyncio,
    the rest (and everything, for a client it cannot reproduce) by aiobotocore."""

    reads_items = True
    """``call`` takes a Query or Scan's body reader (``steps.Call.items``)."""

    serializes_writes = True
    """A batch writer hands it puts already in JSON (``fastpath.SerializedWrite``)."""

    def __init__(self, client: Any, *, fast_path: bool | None = None) -> None:
        super().__init__(client, fast_path=fast_path)
        self.wire: Wire | None = None
        self.unusable = ""
        """Why every call goes through aiobotocore ("" until the first call says otherwise)."""
        self._pool: ConnectionPool | None = None
        self._clock = Clock()

    async def call(
        self, operation: str, params: Params, items: BodyReader | None = None
    ) -> Params:
        """One attempt of ``operation``; a failure raises ``AttemptError`` or a ``DdbwrapError``.
        ``items``: the body reader of a Query or Scan (see ``steps.Call``)."""
        wire, pool = self.wire, self._pool
        if wire is None or pool is None:
            configured = None if self.unusable else await self._configure()
            if configured is None:
                return await super().call(operation, params)
            wire, pool = configured
        if not wire.route(operation, params):
            return await super().call(operation, params)
        try:
            credentials = await wire.credentials.get_frozen_credentials()
        except BotoCoreError as exc:  # refreshing them failed: nothing was sent
            raise_failure(exception(operation, params, exc, endpoint=self.endpoint_url))
        try:
            headers, body = wire.request(operation, params, credentials, self._clock.now())
        except (TypeError, ValueError):  # a value orjson cannot write (an int beyond 64 bits)
            return await super().call(operation, params)
        try:
            message = request_message(headers, body)
        except ValueError as exc:  # nothing sent
            error = HTTPClientError(error=exc)
            raise_failure(exception(operation, params, error, endpoint=self.endpoint_url))
        try:
            answer = await pool.send(message)
        except BotoCoreError as exc:
            raise_failure(exception(operation, params, exc, endpoint=self.endpoint_url))
        return wire.response(
            operation, params, answer.status, answer.headers, answer.body, items
        )

    async def _configure(self) -> tuple[Wire, ConnectionPool] | None:
        """Take the configuration from the client (once); None when it cannot be reproduced."""
        client = self.client
        context: dict[str, Any] = {}
        try:
            model = client.meta.service_model.operation_model(ENDPOINT_PROBE)
            url, headers, _ = await client._resolve_endpoint_ruleset(model, {}, context)
            wire = configure(client, url, headers, context)
            http = client._endpoint.http_session
            if http._proxy_config.proxy_url_for(wire.url):
                raise DirectUnavailableError("a proxy is configured for the endpoint")
            endpoint = await _endpoint(http, wire.url)
            if self.wire is not None and self._pool is not None:  # configured meanwhile
                return self.wire, self._pool  # (the first calls configure it together)
            pool = ConnectionPool(endpoint)
            http._exit_stack.push_async_callback(pool.close)  # closed with the client
        except (AttributeError, TypeError, BotoCoreError, DirectUnavailableError) as exc:
            self.unusable = str(exc) or type(exc).__name__
            logger.debug("direct transport not used: %s", self.unusable)
            return None
        self._pool = pool
        self.wire = wire
        return wire, pool


_CONNECTOR_ARGS = {"keepalive_timeout", "force_close", "use_dns_cache", "ttl_dns_cache"}
"""The aiobotocore ``connector_args`` the connections reproduce (the DNS cache is the system's)."""


async def _endpoint(http: Any, url: str) -> Endpoint:
    """The connection settings of aiobotocore's ``AIOHTTPSession`` ``http`` for ``url``."""
    if not isinstance(http, AIOHTTPSession):
        raise DirectUnavailableError(f"the client's HTTP session is a {type(http).__name__}")
    if http._sessions is None:
        raise DirectUnavailableError("the client is not open")
    connector = dict(http._connector_args or {})
    foreign = sorted(set(connector) - _CONNECTOR_ARGS)
    if foreign:
        raise DirectUnavailableError(f"connector_args {foreign} are not reproduced")
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    context = None
    if secure:  # the session's own contexts; loading CA files is blocking, as aiobotocore knows
        context, _ = await asyncio.to_thread(http._build_ssl_contexts, None)
    return Endpoint(
        url=url,
        host=str(parts.hostname),
        port=parts.port or (443 if secure else 80),
        ssl=context,
        limit=int(http._max_pool_connections),
        connect_timeout=http._timeout.sock_connect,
        read_timeout=http._timeout.sock_read,
        keepalive_timeout=connector.get("keepalive_timeout"),
        reuse=not connector.get("force_close", False),
    )
