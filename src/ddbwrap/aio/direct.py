"""The async direct transport: ``DirectTransport``'s twin over aiohttp.

``AsyncDirectTransport`` sends ddbwrap's data-plane calls with the aiohttp ``ClientSession`` of
the aiobotocore client's own HTTP session (its connector: pool size, TLS settings, timeouts),
building each request and reading each answer with the same pure code as the sync transport
(``ddbwrap._engine.wire``). Everything else goes through ``AiobotocoreTransport`` over the same
client, as do all calls of a client the direct transport cannot reproduce (see
``ddbwrap._engine.direct``). aiobotocore's endpoint resolution is a coroutine, so the transport
configures itself on its first call.

aiohttp's exceptions become the botocore exceptions aiobotocore makes of them, so failures are
worded and classified as ``AiobotocoreTransport``'s (a connection reset after sending, which
aiobotocore calls ``EndpointConnectionError``, counts as lost there: see
``ddbwrap._engine.botocore.exception``).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

import aiohttp
from botocore.exceptions import (
    BotoCoreError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
    SSLError,
)
from yarl import URL

from .._engine.botocore import exception
from .._engine.direct import transport_choice
from .._engine.sigv4 import Clock
from .._engine.steps import Params
from .._engine.wire import ENDPOINT_PROBE, DirectUnavailableError, Wire, configure, raise_failure
from .transport import AiobotocoreTransport

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
    """One attempt of a DynamoDB call, awaited: data-plane calls sent directly over aiohttp,
    the rest (and everything, for a client it cannot reproduce) by aiobotocore."""

    def __init__(self, client: Any, *, fast_path: bool | None = None) -> None:
        super().__init__(client, fast_path=fast_path)
        self.wire: Wire | None = None
        self.unusable = ""
        """Why every call goes through aiobotocore ("" until the first call says otherwise)."""
        self._session: Any = None
        self._url: URL | None = None
        self._clock = Clock()

    async def call(self, operation: str, params: Params) -> Params:
        """One attempt of ``operation``; a failure raises ``AttemptError`` or a ``DdbwrapError``."""
        wire = self.wire
        if wire is None:
            wire = None if self.unusable else await self._configure()
            if wire is None:
                return await super().call(operation, params)
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
            async with self._session.post(self._url, data=body, headers=headers) as answer:
                data = await answer.read()
                status, answer_headers = answer.status, answer.headers.items()
        except (aiohttp.ClientError, asyncio.TimeoutError, socket.gaierror) as exc:
            error = self._botocore_error(exc, wire.url)
            raise_failure(exception(operation, params, error, endpoint=self.endpoint_url))
        return wire.response(operation, params, status, answer_headers, data)

    async def _configure(self) -> Wire | None:
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
            self._session = await http._get_session(None)
        except (AttributeError, TypeError, BotoCoreError, DirectUnavailableError) as exc:
            self.unusable = str(exc) or type(exc).__name__
            logger.debug("direct transport not used: %s", self.unusable)
            return None
        self._url = URL(wire.url, encoded=True)
        self.wire = wire
        return wire

    @staticmethod
    def _botocore_error(exc: BaseException, url: str) -> Exception:
        """The botocore exception for aiohttp's ``exc`` (see the module docstring)."""
        if isinstance(exc, aiohttp.ClientSSLError):
            return SSLError(endpoint_url=url, error=exc)
        if isinstance(
            exc,
            (
                aiohttp.ServerDisconnectedError,
                aiohttp.ClientPayloadError,
                aiohttp.http_exceptions.BadStatusLine,
            ),
        ):
            return ConnectionClosedError(error=exc, request=None, endpoint_url=url)
        if isinstance(exc, aiohttp.ServerTimeoutError):
            if str(exc).lower().startswith("connect"):
                return ConnectTimeoutError(endpoint_url=url, error=exc)
            return ReadTimeoutError(endpoint_url=url, error=exc)
        if isinstance(exc, (aiohttp.ClientConnectionError, socket.gaierror)):
            return EndpointConnectionError(endpoint_url=url, error=exc)
        if isinstance(exc, asyncio.TimeoutError):
            return ReadTimeoutError(endpoint_url=url, error=exc)
        return HTTPClientError(error=exc)
