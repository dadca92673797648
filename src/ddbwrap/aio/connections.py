"""HTTP/1.1 connections to one endpoint, pooled on asyncio: what ``AsyncDirectTransport`` sends
its requests through.

A connection is an ``asyncio.Protocol`` that writes a request in one call and feeds the answer
to ``ddbwrap._engine.http1.AnswerParser`` as it arrives (no streams, no tasks: a future per
request), which costs a fraction of aiohttp's client. ``ConnectionPool`` keeps at most
``Endpoint.limit`` of them open (the client's ``max_pool_connections``; further requests wait
their turn), reuses idle ones last-in first-out, and drops one that the answer does not keep
alive, that failed, that the server closed while idle, or that sat idle beyond the client's
keep-alive timeout. A request is sent once: a reused connection that turns out to be dead
fails the request (the engine above decides whether to send it again).

Failures are the botocore exceptions aiobotocore raises for the same failure of aiohttp, so
``ddbwrap._engine.botocore.exception`` classifies them alike: a connection that could not be
opened is ``EndpointConnectionError``, ``ConnectTimeoutError`` (never sent) or ``SSLError``; after
sending, a read timeout is ``ReadTimeoutError``, a connection closed or an answer cut or
malformed is ``ConnectionClosedError``, and a connection reset is ``EndpointConnectionError``
with aiohttp's ``ClientOSError`` as its error (as aiobotocore has it: lost, not unreachable).
"""

from __future__ import annotations

import asyncio
import collections
import http.client
import ssl
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import aiohttp
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
    SSLError,
)

from .._engine.http1 import AnswerParser

__all__ = ["ConnectionPool", "Endpoint"]


@dataclass(frozen=True)
class Endpoint:
    """Where and how to connect: taken once from the client's HTTP session."""

    url: str
    """The endpoint's URL, as failures name it."""
    host: str
    port: int
    ssl: ssl.SSLContext | None
    """The TLS context (the client's verification, CA bundle and certificate); None: plain."""
    limit: int
    """Connections open at most (``max_pool_connections``)."""
    connect_timeout: float | None
    read_timeout: float | None
    """Longest wait for the next bytes of an answer (botocore's ``read_timeout``; enforced by
    the pool's watchdog, up to a quarter of it, at most a second, late)."""
    keepalive_timeout: float | None
    """Longest idle time of a connection still reused (None: no limit)."""
    reuse: bool = True
    """False: a connection per request (aiohttp's ``force_close``)."""


class ConnectionPool:
    """The connections to one ``Endpoint`` (see the module docstring). A pool serves one event
    loop at a time: on another loop it starts afresh, leaving the first loop's connections."""

    __slots__ = ("_closed", "_current", "endpoint")

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._current: _LoopPool | None = None
        self._closed = False

    def send(self, message: bytes) -> Awaitable[AnswerParser]:
        """Send ``message`` (a whole request) on a connection; its answer, read to the end."""
        loop = asyncio.get_running_loop()
        current = self._current
        if current is None or current.loop is not loop:
            if self._closed:
                raise RuntimeError("the client's HTTP session is closed")
            if current is not None:
                current.close()
            current = self._current = _LoopPool(self.endpoint, loop)
        return current.send(message)

    async def close(self) -> None:
        """Close every connection; sending afterwards raises ``RuntimeError``."""
        self._closed = True
        current, self._current = self._current, None
        if current is not None:
            current.close()

    @property
    def open_connections(self) -> int:
        """Connections open or being opened on the current loop."""
        return 0 if self._current is None else self._current.count


class _LoopPool:
    """The pool's connections on one event loop."""

    __slots__ = (
        "busy",
        "closed",
        "connections",
        "count",
        "endpoint",
        "idle",
        "loop",
        "waiters",
        "watchdog",
    )

    def __init__(self, endpoint: Endpoint, loop: asyncio.AbstractEventLoop) -> None:
        self.endpoint = endpoint
        self.loop = loop
        self.idle: list[_Connection] = []
        self.connections: set[_Connection] = set()  # open, idle or busy
        self.count = 0  # open or opening
        self.waiters: collections.deque[asyncio.Future[_Connection | None]] = collections.deque()
        self.closed = False
        self.busy: set[_Connection] = set()  # waiting for an answer, with a read timeout
        self.watchdog: asyncio.TimerHandle | None = None

    async def send(self, message: bytes) -> AnswerParser:
        idle = self.idle
        conn = idle.pop() if idle else None
        if conn is None or not self._usable(conn):
            conn = await self._acquire()
        timeout = self.endpoint.read_timeout
        waiter = conn.request(message, timeout)
        if timeout is not None:
            self._watch(conn, timeout)
        try:
            answer = await waiter
        except Exception as exc:
            self._discard(conn)
            raise _after_sending(exc, self.endpoint.url) from exc
        except BaseException:  # cancelled: the answer may still come, so never reuse it
            self._discard(conn)
            raise
        finally:
            self.busy.discard(conn)
        if answer.keep_alive and self.endpoint.reuse:
            self._release(conn)
        else:
            self._discard(conn)
        return answer

    def _watch(self, conn: _Connection, timeout: float) -> None:
        """Time ``conn``'s answer out: one timer per pool checks the deadlines of every
        connection waiting for an answer, every quarter of the read timeout (at most a second),
        instead of a timer scheduled and cancelled per request (measured: 2 µs a request)."""
        self.busy.add(conn)
        if self.watchdog is None:
            tick = min(max(timeout / 4, 0.005), 1.0)
            self.watchdog = self.loop.call_later(tick, self._check, tick)

    def _check(self, tick: float) -> None:
        """Fail the requests whose answer has not moved within the read timeout."""
        now = self.loop.time()
        for conn in [c for c in self.busy if c.deadline <= now]:
            self.busy.discard(conn)
            conn.time_out()
        self.watchdog = self.loop.call_later(tick, self._check, tick) if self.busy else None

    def _usable(self, conn: _Connection) -> bool:
        """Whether an idle connection may carry a request (else it is closed and forgotten)."""
        limit = self.endpoint.keepalive_timeout
        if not conn.closed and (limit is None or self.loop.time() - conn.idle_since < limit):
            return True
        self._discard(conn)
        return False

    async def _acquire(self) -> _Connection:
        """A connection for one request: idle, new (below the limit), or handed over by the
        request that finishes first."""
        while True:
            if self.closed:
                raise RuntimeError("the client's HTTP session is closed")
            while self.idle:
                conn = self.idle.pop()
                if self._usable(conn):
                    return conn
            if self.count < self.endpoint.limit:
                self.count += 1
                try:
                    return await self._connect()
                except BaseException:
                    self.count -= 1
                    self._wake()
                    raise
            waiter: asyncio.Future[_Connection | None] = self.loop.create_future()
            self.waiters.append(waiter)
            try:
                handed = await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                    given = waiter.result()  # handed over, then the request was cancelled
                    if given is not None:
                        self._release(given)
                    else:
                        self._wake()
                raise
            if handed is not None and self._usable(handed):
                return handed  # else a slot is free: take it, unless someone was quicker

    async def _connect(self) -> _Connection:
        """Open a connection; failures as aiobotocore reports them (see the module docstring)."""
        endpoint = self.endpoint
        conn = _Connection(self.loop)
        opening = self.loop.create_connection(
            lambda: conn,
            endpoint.host,
            endpoint.port,
            ssl=endpoint.ssl,
            server_hostname=endpoint.host if endpoint.ssl is not None else None,
        )
        try:
            if endpoint.connect_timeout is None:
                await opening
            else:
                await asyncio.wait_for(opening, endpoint.connect_timeout)
        except (asyncio.TimeoutError, TimeoutError) as exc:
            if isinstance(exc, OSError) and exc.errno is not None:  # the system's, not ours
                raise EndpointConnectionError(endpoint_url=endpoint.url, error=exc) from exc
            raise ConnectTimeoutError(endpoint_url=endpoint.url, error=exc) from exc
        except ssl.SSLError as exc:
            raise SSLError(endpoint_url=endpoint.url, error=exc) from exc
        except OSError as exc:  # refused, unreachable, no such host
            raise EndpointConnectionError(endpoint_url=endpoint.url, error=exc) from exc
        if self.closed:  # closed while connecting
            conn.abort()
            raise RuntimeError("the client's HTTP session is closed")
        self.connections.add(conn)
        return conn

    def _release(self, conn: _Connection) -> None:
        """A connection that answered and stays open: to the first waiting request, else idle."""
        if self.closed or conn.closed:
            self._discard(conn)
            return
        conn.idle_since = self.loop.time()
        waiters = self.waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self.idle.append(conn)

    def _discard(self, conn: _Connection) -> None:
        """Close ``conn`` and free its place for a waiting request."""
        conn.abort()
        self.connections.discard(conn)
        self.count -= 1
        self._wake()

    def _wake(self) -> None:
        """Tell the first waiting request that it may open a connection."""
        waiters = self.waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        """Close every connection (a request still waiting for its answer fails, as do the
        requests waiting for a connection)."""
        self.closed = True
        if self.watchdog is not None:
            self.watchdog.cancel()
            self.watchdog = None
        self.busy.clear()
        connections, self.connections, self.idle = self.connections, set(), []
        for conn in connections:
            conn.abort()
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_exception(RuntimeError("the client's HTTP session is closed"))
        self.waiters.clear()


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: a request written, its answer parsed as the bytes arrive."""

    __slots__ = (
        "_answer",
        "_loop",
        "_timeout",
        "_waiter",
        "closed",
        "deadline",
        "idle_since",
        "transport",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: Any = None
        self.closed = False
        self.idle_since = 0.0
        self._answer = AnswerParser()
        self._waiter: asyncio.Future[AnswerParser] | None = None
        self._timeout: float | None = None
        self.deadline = float("inf")
        """When the answer's next bytes are overdue (the pool's watchdog checks it)."""

    def request(self, message: bytes, timeout: float | None) -> asyncio.Future[AnswerParser]:
        """Write ``message``; the future of its answer (failing with what broke the exchange:
        ``TimeoutError``, an ``OSError``, an ``http.client`` exception)."""
        loop = self._loop
        waiter: asyncio.Future[AnswerParser] = loop.create_future()
        if self.closed:  # closed by the server since it was opened or handed over
            waiter.set_exception(ConnectionResetError("the connection closed before sending"))
            return waiter
        self._waiter = waiter
        self._answer = AnswerParser()
        self._timeout = timeout
        self.deadline = float("inf") if timeout is None else loop.time() + timeout
        self.transport.write(message)
        return waiter

    def abort(self) -> None:
        """Close the connection at once (a request still waiting fails)."""
        self.closed = True
        transport = self.transport
        if transport is not None and not transport.is_closing():
            try:
                transport.abort()
            except RuntimeError:  # its event loop is closed: asyncio cannot close it any more
                _close_socket(transport)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        waiter = self._waiter
        if waiter is None:  # bytes nobody asked for: the connection cannot carry a request
            self.abort()
            return
        try:
            done = self._answer.feed(data)
        except http.client.HTTPException as exc:
            self._settle(waiter, exc)
            self.abort()
            return
        if done:
            self._settle(waiter, None)
        elif self._timeout is not None:  # bytes came: the read timeout starts again
            self.deadline = self._loop.time() + self._timeout

    def eof_received(self) -> bool | None:
        self.closed = True
        return None  # the transport closes; connection_lost settles a waiting request

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is None:
            return
        if exc is None:
            try:
                self._answer.eof()  # an answer read until close is complete now
            except http.client.HTTPException as cut:
                exc = cut
        self._settle(waiter, exc)

    def time_out(self) -> None:
        """The answer is overdue: the request fails with ``TimeoutError``, the connection
        closes."""
        waiter = self._waiter
        if waiter is None:
            return
        self._settle(waiter, TimeoutError("no answer within the read timeout"))
        self.abort()

    def _settle(self, waiter: asyncio.Future[AnswerParser], exc: BaseException | None) -> None:
        self._waiter = None
        self.deadline = float("inf")
        if waiter.done():  # cancelled
            return
        if exc is None:
            waiter.set_result(self._answer)
        else:
            waiter.set_exception(exc)


def _close_socket(transport: Any) -> None:
    """Close the socket of an asyncio transport whose event loop is closed (asyncio closes it
    in a callback of that loop, which will never run, and warns when it is collected)."""
    inner = getattr(getattr(transport, "_ssl_protocol", None), "_transport", None) or transport
    sock = getattr(inner, "_sock", None)
    if sock is not None:
        sock.close()
        inner._sock = None


def _after_sending(exc: Exception, url: str) -> Exception:
    """The botocore exception aiobotocore raises when an exchange fails after sending."""
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return ReadTimeoutError(endpoint_url=url, error=exc)
    if isinstance(exc, http.client.HTTPException):  # before OSError: RemoteDisconnected is both
        return ConnectionClosedError(error=exc, request=None, endpoint_url=url)
    if isinstance(exc, OSError):  # aiohttp's ClientOSError, as aiobotocore wraps it
        cause = aiohttp.ClientOSError(*exc.args)
        return EndpointConnectionError(endpoint_url=url, error=cause)
    return HTTPClientError(error=exc)
