"""The direct transport: ddbwrap's data-plane calls over urllib3, without botocore per call.

``DirectTransport`` sends GetItem, PutItem, UpdateItem, DeleteItem, Query, Scan, BatchGetItem,
BatchWriteItem, TransactGetItems and TransactWriteItems itself: the request is built and the
answer read by ``ddbwrap._engine.wire`` (configured once from the boto3 client), the bytes go
through the connection pool of the client's own HTTP session (so its timeouts, proxies, TLS
verification, client certificate and pool size apply). Everything else — other operations,
a request the fast path's checks do not vouch for, and every call while the client has
handlers ddbwrap cannot reproduce (``wire.Watch``: your own, a ``Stubber``, moto's active
mock) — goes through ``BotocoreTransport`` over the same client, which also fails the
malformed requests exactly as botocore does.

Failures are those of ``BotocoreTransport``, by the same functions: urllib3's exceptions
become the botocore exceptions botocore's HTTP layer makes of them (a connection that never
opened: ``not_sent``; a read timeout or a closed connection: ``lost``), answers are classified
by ``Wire.response``.

``transport_for(client, "direct" | "botocore" | None)`` picks the transport of a
``TableGateway``: ``DDBWRAP_TRANSPORT=botocore`` makes botocore the default.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import socket
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import (
    BotoCoreError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.exceptions import ConnectTimeoutError as Urllib3ConnectTimeoutError
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.exceptions import SSLError as Urllib3SSLError

from ..errors import ValidationError
from .botocore import BotocoreTransport, exception
from .drive import outcome
from .http1 import AnswerParser, request_message
from .sigv4 import Clock
from .steps import Outcome, Params
from .wire import ENDPOINT_PROBE, DirectUnavailableError, Wire, configure, raise_failure

if TYPE_CHECKING:
    from .._page_decoder import BodyReader

__all__ = ["TRANSPORT_ENV", "DirectTransport", "transport_choice", "transport_for"]

logger = logging.getLogger("ddbwrap.transport")

TRANSPORT_ENV = "DDBWRAP_TRANSPORT"
"""``DDBWRAP_TRANSPORT=botocore`` makes botocore the default transport (``direct`` otherwise)."""

TRANSPORTS = ("direct", "botocore")


def transport_choice(transport: str | None) -> str:
    """``transport`` checked (``"direct"`` or ``"botocore"``); for None, the default:
    ``DDBWRAP_TRANSPORT``, else ``"direct"``."""
    if transport is None:
        value = os.environ.get(TRANSPORT_ENV, "").strip().lower() or "direct"
        if value not in TRANSPORTS:
            raise ValidationError(f"{TRANSPORT_ENV} must be 'direct' or 'botocore', got {value!r}")
        return value
    if transport not in TRANSPORTS:
        raise ValidationError(f"transport must be 'direct' or 'botocore', got {transport!r}")
    return transport


def transport_for(
    client: Any, transport: str | None, *, fast_path: bool | None = None
) -> BotocoreTransport:
    """The transport of a gateway over ``client``: ``DirectTransport`` for ``"direct"`` (the
    default, see ``transport_choice``) when the client's calls can be reproduced, else
    ``BotocoreTransport``. ``fast_path`` is the botocore transport's."""
    if transport_choice(transport) == "direct":
        try:
            return DirectTransport(client, fast_path=fast_path)
        except DirectUnavailableError as why:
            logger.debug("direct transport not used: %s", why)
    return BotocoreTransport(client, fast_path=fast_path)


class DirectTransport(BotocoreTransport):
    """One attempt of a DynamoDB call: data-plane calls sent directly, the rest by botocore.

    A ``BotocoreTransport`` in every respect but speed (it is one, and sends what it does not
    send itself through its parent's ``call``). Raises ``DirectUnavailableError`` for a client
    whose calls it cannot reproduce. Thread-safe, as urllib3's pools are.
    """

    reads_items = True
    """``call`` takes a Query or Scan's body reader (``steps.Call.items``)."""

    serializes_writes = True
    """A batch writer hands it puts already in JSON (``fastpath.SerializedWrite``)."""

    def __init__(self, client: Any, *, fast_path: bool | None = None) -> None:
        super().__init__(client, fast_path=fast_path)
        model = client.meta.service_model.operation_model(ENDPOINT_PROBE)
        context: dict[str, Any] = {}
        try:
            url, headers, _ = client._resolve_endpoint_ruleset(model, {}, context)
            session = client._endpoint.http_session
            self.wire: Wire = configure(client, url, headers, context)
            if session._proxy_config.proxy_url_for(self.wire.url):
                raise DirectUnavailableError("a proxy is configured for the endpoint")
            self._manager = session._get_connection_manager(self.wire.url)
            self._read_timeout: float | None = session._timeout.read_timeout
        except (AttributeError, TypeError, BotoCoreError) as exc:  # unknown internals, no endpoint
            raise DirectUnavailableError(f"unexpected client internals ({exc})") from exc
        self._session = session
        self._pool: Any = None
        self._clock = Clock()

    def call(self, operation: str, params: Params, items: BodyReader | None = None) -> Params:
        """One attempt of ``operation``; a failure raises ``AttemptError`` or a ``DdbwrapError``.
        ``items``: the body reader of a Query or Scan (see ``steps.Call``)."""
        wire = self.wire
        if not wire.route(operation, params):
            return super().call(operation, params)
        try:
            credentials = wire.credentials.get_frozen_credentials()
        except BotoCoreError as exc:  # refreshing them failed: nothing was sent
            raise_failure(exception(operation, params, exc, endpoint=self.endpoint_url))
        try:
            headers, body = wire.request(operation, params, credentials, self._clock.now())
        except (TypeError, ValueError):  # a value orjson cannot write (an int beyond 64 bits)
            return super().call(operation, params)
        try:
            line: Any = self._sent(headers, body)
        except _SendError as failed:
            line = failed
        return self._answered(operation, params, items, line)

    def call_many(self, requests: Sequence[tuple[str, Params, BodyReader | None]]) -> list[Outcome]:
        """Several attempts at once from this thread (the requests of one batch flush): each
        request sent on a pooled connection of its own, then each answer read, in order. Each
        outcome is what ``call`` returns or raises for that request. Requests this transport
        does not send itself go through botocore, one by one, as do more requests than the
        client's pool keeps connections (``max_pool_connections``)."""
        wire = self.wire
        credentials = None
        if len(requests) <= self._connection().pool.maxsize and all(
            wire.route(operation, params) for operation, params, _ in requests
        ):
            with contextlib.suppress(BotoCoreError):  # nothing sent: ``call`` reports it
                credentials = wire.credentials.get_frozen_credentials()
        if credentials is None:
            return [outcome(self.call, *request) for request in requests]
        date = self._clock.now()
        sent: list[tuple[str, Params, BodyReader | None, Any]] = []
        try:
            for operation, params, items in requests:
                try:
                    headers, body = wire.request(operation, params, credentials, date)
                    line: Any = self._sent(headers, body)
                except (TypeError, ValueError):  # a value orjson cannot write: botocore's
                    line = None
                except _SendError as failed:
                    line = failed
                sent.append((operation, params, items, line))
            outcomes: list[Outcome] = []
            while sent:
                operation, params, items, line = sent.pop(0)
                outcomes.append(outcome(self._answered, operation, params, items, line))
            return outcomes
        finally:
            for *_, line in sent:  # interrupted: the connections not read are not reused
                if isinstance(line, tuple):
                    self._dropped(*line)

    def _answered(
        self, operation: str, params: Params, items: BodyReader | None, line: Any
    ) -> Params:
        """The response to a request sent (``line``: the pool and the connection it went on,
        the failure that stopped it, or None to send it by botocore), or the failure ``call``
        raises."""
        if line is None:
            return super().call(operation, params)
        if isinstance(line, _SendError):
            raise_failure(exception(operation, params, line.error, endpoint=self.endpoint_url))
        try:
            status, headers, answer = self._answer(*line)
        except _SendError as failed:
            raise_failure(exception(operation, params, failed.error, endpoint=self.endpoint_url))
        return self.wire.response(operation, params, status, headers, answer, items)

    def _sent(self, headers: dict[str, str], body: bytes) -> tuple[Any, Any]:
        """The pool and the connection a request went out on, its answer still to read
        (``_answer``); a failure raises ``_SendError`` (the connection is closed and handed
        back).

        The request line, headers and body go out in one ``sendall`` (urllib3 sends headers
        and body apart: a second system call and TCP segment per request) and the answer is
        read by ``http1.AnswerParser`` (a few µs, where ``http.client`` takes tens); urllib3's
        pool supplies the connections (connected, with TLS as the client's session configured
        it) and takes them back."""
        try:
            message = request_message(headers, body)
        except ValueError as exc:
            raise _SendError(HTTPClientError(error=exc)) from exc
        pool = self._connection()
        conn = pool._get_conn()
        try:
            if conn.sock is None:
                self._connect(conn)
            try:
                conn.sock.sendall(message)
            except (OSError, http.client.HTTPException) as exc:
                raise self._line_error(exc) from exc
        except BaseException:
            self._dropped(pool, conn)
            raise
        return pool, conn

    def _answer(self, pool: Any, conn: Any) -> tuple[int, Any, bytes]:
        """Read the whole answer on ``conn``, then hand it back to ``pool`` (closed unless the
        answer leaves it reusable)."""
        finished = False
        try:
            sock = conn.sock
            answer = AnswerParser()
            try:
                while True:
                    received = sock.recv(_RECEIVE)
                    if not received:
                        answer.eof()
                        break
                    if answer.feed(received):
                        break
            except (OSError, http.client.HTTPException) as exc:
                raise self._line_error(exc) from exc
            finished = answer.keep_alive
            return answer.status, answer.headers, answer.body
        finally:
            if not finished:  # a failure, an interrupt, or the server closes it: never reused
                conn.close()
            pool._put_conn(conn)

    @staticmethod
    def _dropped(pool: Any, conn: Any) -> None:
        conn.close()
        pool._put_conn(conn)

    def _line_error(self, exc: Exception) -> _SendError:
        """A request sent whose line failed: no answer in time (``TimeoutError``) or the line
        dropped (``OSError``, ``HTTPException``), as botocore's HTTP layer names them."""
        url = self.wire.url
        if isinstance(exc, TimeoutError):
            return _SendError(ReadTimeoutError(endpoint_url=url, error=exc))
        return _SendError(ConnectionClosedError(error=exc, request=None, endpoint_url=url))

    def _connect(self, conn: Any) -> None:
        """Open a pooled connection; failures as botocore's HTTP layer reports them (never
        sent: ``EndpointConnectionError``, ``ConnectTimeoutError``)."""
        url = self.wire.url
        try:
            conn.connect()
            conn.sock.settimeout(self._read_timeout)
        except Urllib3SSLError as exc:
            raise _SendError(SSLError(endpoint_url=url, error=exc)) from exc
        except (NewConnectionError, socket.gaierror) as exc:
            raise _SendError(EndpointConnectionError(endpoint_url=url, error=exc)) from exc
        except Urllib3ConnectTimeoutError as exc:
            raise _SendError(ConnectTimeoutError(endpoint_url=url, error=exc)) from exc
        except (HTTPError, OSError) as exc:
            raise _SendError(HTTPClientError(error=exc)) from exc

    def _connection(self) -> Any:
        """The client's pool for the endpoint (fetched again if its manager closed it)."""
        pool = self._pool
        if pool is None or pool.pool is None:
            pool = self._manager.connection_from_url(self.wire.url)
            self._session._setup_ssl_cert(pool, self.wire.url, self._session._verify)
            self._pool = pool
        return pool


_RECEIVE = 256 * 1024
"""Bytes asked of the socket per read (an answer of up to 1 MB takes a few reads)."""


class _SendError(Exception):
    """The botocore exception botocore's HTTP layer raises for the same failure (so it is
    classified, and worded, as ``BotocoreTransport``'s)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error
