"""A fault-injecting loopback HTTP proxy in front of DynamoDB Local (stdlib only).

DynamoDB Local answers every request promptly and correctly; DynamoDB itself does not always.
:class:`FaultProxy` sits between a boto3 client and DynamoDB Local, forwards every request
(method, path, headers, body) and relays the answer, except for the requests a test scripted a
fault for: a lost response after the write was applied, a slow answer, a refused request, a
throttling or 5xx error, an empty / truncated / non-JSON body, a wrong ``x-amz-crc32``.

    with FaultProxy(ddb_endpoint) as proxy:
        client = local_client(proxy.url, config=Config(retries={"total_max_attempts": 1}))
        proxy.inject("PutItem", drop_response())       # applied upstream, no answer
        with pytest.raises(ConnectionClosedError):
            client.put_item(TableName="t", Item={"pk": {"S": "a"}})
        assert proxy.count("PutItem", forwarded=True) == 1

Faults are queued with :meth:`FaultProxy.inject`: each one applies to the next request whose
DynamoDB operation (from ``X-Amz-Target``) matches and, optionally, whose parsed JSON body
satisfies a predicate, ``times`` times (once by default). Every request is recorded as an
:class:`Exchange` (operation, body, whether it was forwarded, which fault applied).
"""

from __future__ import annotations

import binascii
import contextlib
import http.client
import json
import logging
import socket
import struct
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, cast

__all__ = [
    "Crc",
    "Exchange",
    "Fault",
    "FaultProxy",
    "Injection",
    "bad_crc",
    "delay_response",
    "drop_response",
    "dynamodb_error",
    "empty_body",
    "internal_server_error",
    "non_json_body",
    "refuse",
    "service_unavailable",
    "status",
    "status_after_forward",
    "throttled",
    "truncated_body",
]

_log = logging.getLogger(__name__)

Crc = Literal["drop", "keep", "fix"]
"""What a body-changing fault does with ``x-amz-crc32``: remove it (botocore checks nothing),
keep the upstream value (now wrong for the new body), or recompute it for the new body."""

Predicate = Callable[[Any], bool]
"""Called with the request's parsed JSON body (``None`` when it is not JSON)."""

JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
ERROR_TYPE_PREFIX = "com.amazonaws.dynamodb.v20120810#"
CRC_HEADER = "x-amz-crc32"
HTML_BODY = (
    b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
)
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "expect",
    }
)
_UPSTREAM_TIMEOUT = 30.0
_JOIN_TIMEOUT = 5.0


# -- faults ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour. Build them with the functions below, not directly.

    ``forward``: whether the request reaches upstream (is applied) first. ``respond``: whether
    the client gets an answer at all (else its connection is closed). ``status``/``body``/
    ``headers``: a replacement answer (``None``: relay upstream's, possibly transformed by
    ``body_mode``). ``delay``: seconds to wait before answering.
    """

    name: str
    forward: bool = True
    respond: bool = True
    status: int | None = None
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body_mode: Literal["relay", "empty", "truncate", "replace"] = "relay"
    crc: Crc | Literal["bad"] = "keep"
    honest_length: bool = True
    reset: bool = False


def drop_response(*, reset: bool = False) -> Fault:
    """Forward (the request IS applied), then close the client's connection without answering.

    The client sees the connection closed before a response (botocore ``ConnectionClosedError``)
    or, with ``reset=True``, reset by peer (TCP RST; botocore ``ConnectionClosedError`` too).
    """
    return Fault("drop_response", respond=False, reset=reset)


def delay_response(seconds: float) -> Fault:
    """Forward (applied), then wait ``seconds`` before relaying the answer (client read timeout)."""
    return Fault("delay_response", delay=seconds)


def refuse(*, reset: bool = False) -> Fault:
    """Close the client's connection without forwarding: the request is never applied."""
    return Fault("refuse", forward=False, respond=False, reset=reset)


def status(
    code: int,
    body: bytes | str | Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Fault:
    """Answer ``code`` with ``body`` (a mapping is sent as JSON) WITHOUT forwarding.

    The answer carries DynamoDB's content type, a request id and a correct ``x-amz-crc32``
    unless ``headers`` says otherwise (a header set to ``""`` is removed).
    """
    return Fault("status", forward=False, status=code, body=_body(body), headers=headers or {})


def status_after_forward(
    code: int,
    body: bytes | str | Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Fault:
    """Forward (the request IS applied), then answer ``code``/``body`` instead of the result."""
    return Fault("status_after_forward", status=code, body=_body(body), headers=headers or {})


def empty_body(*, crc: Crc = "drop") -> Fault:
    """Forward (applied), then answer 200 with an empty body (``Content-Length: 0``)."""
    return Fault("empty_body", status=200, body_mode="empty", crc=crc)


def truncated_body(*, crc: Crc = "drop", honest_length: bool = True) -> Fault:
    """Forward (applied), then answer 200 with the first half of upstream's body.

    ``honest_length`` (default): ``Content-Length`` is the half's length, so HTTP is consistent
    and only the JSON is cut. ``honest_length=False``: the full length is announced, half is sent
    and the connection closed (the client's HTTP layer sees an incomplete read).
    """
    return Fault(
        "truncated_body", status=200, body_mode="truncate", crc=crc, honest_length=honest_length
    )


def non_json_body(body: bytes | str = HTML_BODY, *, crc: Crc = "drop") -> Fault:
    """Forward (applied), then answer 200 with ``body`` (an HTML page by default) as text/html."""
    return Fault(
        "non_json_body",
        status=200,
        body=_body(body),
        body_mode="replace",
        headers={"Content-Type": "text/html"},
        crc=crc,
    )


def bad_crc() -> Fault:
    """Forward (applied), relay upstream's answer with a wrong ``x-amz-crc32`` header."""
    return Fault("bad_crc", crc="bad")


def dynamodb_error(error_type: str, message: str = "") -> dict[str, str]:
    """DynamoDB's JSON error body: ``{"__type": "com.amazonaws...#<type>", "message": ...}``."""
    return {"__type": ERROR_TYPE_PREFIX + error_type, "message": message or error_type}


THROTTLING_MESSAGE = (
    "The level of configured provisioned throughput for the table was exceeded. "
    "Consider increasing your provisioning level with the UpdateTable API."
)


def throttled(message: str = THROTTLING_MESSAGE) -> Fault:
    """400 ``ProvisionedThroughputExceededException``, not forwarded."""
    return status(400, dynamodb_error("ProvisionedThroughputExceededException", message))


def internal_server_error(*, after_forward: bool = False) -> Fault:
    """500 ``InternalServerError``; with ``after_forward`` the request is applied first."""
    body = dynamodb_error("InternalServerError", "Internal server error")
    return status_after_forward(500, body) if after_forward else status(500, body)


def service_unavailable(*, after_forward: bool = False) -> Fault:
    """503 ``ServiceUnavailable``; with ``after_forward`` the request is applied first."""
    body = dynamodb_error("ServiceUnavailable", "Service unavailable")
    return status_after_forward(503, body) if after_forward else status(503, body)


def _body(body: bytes | str | Mapping[str, Any] | None) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body, separators=(",", ":")).encode()


# -- records and injections --------------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One request the proxy received, recorded before the client got any answer.

    ``operation``: from ``X-Amz-Target`` (``"PutItem"``), or ``None``. ``body``: the parsed JSON
    body (``None`` when it is not JSON). ``forwarded``: whether upstream received it.
    ``upstream_status``: upstream's status when forwarded. ``fault``: the fault's name, or
    ``None``. ``error``: why forwarding failed, if it did (the client then gets a 502).
    """

    method: str
    path: str
    operation: str | None
    body: Any
    forwarded: bool
    upstream_status: int | None
    fault: str | None
    error: str | None = None


class Injection:
    """A queued fault: ``remaining`` uses left (``None``: unlimited), ``applied`` so far."""

    def __init__(
        self,
        operations: frozenset[str] | None,
        fault: Fault,
        times: int | None,
        when: Predicate | None,
    ) -> None:
        self.operations = operations
        self.fault = fault
        self.remaining = times
        self.applied = 0
        self.when = when

    @property
    def exhausted(self) -> bool:
        return self.remaining is not None and self.remaining <= 0

    def matches(self, operation: str | None, body: Any) -> bool:
        if self.exhausted:
            return False
        if self.operations is not None and operation not in self.operations:
            return False
        if self.when is None:
            return True
        try:
            return bool(self.when(body))
        except Exception:  # a predicate that cannot read this body does not match it
            _log.warning("fault predicate raised; treated as no match", exc_info=True)
            return False

    def __repr__(self) -> str:
        ops = "any" if self.operations is None else ",".join(sorted(self.operations))
        return (
            f"Injection({ops}: {self.fault.name}, applied={self.applied}, "
            f"remaining={self.remaining})"
        )


def operation_name(target: str | None) -> str | None:
    """``"DynamoDB_20120810.UpdateItem"`` -> ``"UpdateItem"``."""
    if not target:
        return None
    return target.rsplit(".", 1)[-1]


# -- the proxy ---------------------------------------------------------------------------------


class FaultProxy:
    """A loopback HTTP proxy to ``upstream`` on 127.0.0.1, in a background thread.

    Use as a context manager or call :meth:`start` / :meth:`stop`; pass :attr:`url` as
    ``endpoint_url``. Thread-safe; keep-alive connections are served, and closed after a fault
    that sends no answer. :meth:`stop` closes every client connection and joins every thread.
    """

    def __init__(self, upstream: str, *, host: str = "127.0.0.1", port: int = 0) -> None:
        parts = urllib.parse.urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"upstream must be an http(s) URL, not {upstream!r}")
        self.upstream = upstream
        self._scheme = parts.scheme
        self._upstream_host = parts.hostname
        self._upstream_port = parts.port
        self._host = host
        self._port = port
        self._lock = threading.RLock()  # predicates run under it and may read the log
        self._recorded = threading.Condition(self._lock)
        self._injections: list[Injection] = []
        self._exchanges: list[Exchange] = []
        self._connections: set[socket.socket] = set()
        self._handler_threads: set[threading.Thread] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle

    def start(self) -> FaultProxy:
        if self._server is not None:
            raise RuntimeError("FaultProxy already started")
        self._stopping.clear()
        server = _Server((self._host, self._port), _Handler)
        server.proxy = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"faultproxy:{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(_JOIN_TIMEOUT)
        with self._lock:
            threads = list(self._handler_threads)
        for handler_thread in threads:
            handler_thread.join(_JOIN_TIMEOUT)
        self._server = self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the endpoint URL for boto3."""
        if self._server is None:
            raise RuntimeError("FaultProxy is not started")
        return f"http://{self._host}:{self._server.server_address[1]}"

    # scripting

    def inject(
        self,
        operation: str | Iterable[str] | None,
        fault: Fault,
        *,
        times: int | None = 1,
        when: Predicate | None = None,
    ) -> Injection:
        """Queue ``fault`` for the next ``times`` requests (``None``: all) that match.

        ``operation``: ``"PutItem"`` (or the full ``X-Amz-Target``), several of them, or
        ``None`` for any. ``when``: a predicate on the parsed JSON body. Faults are tried in the
        order they were queued; the first matching one applies.
        """
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 (or None for unlimited)")
        if operation is None:
            operations = None
        elif isinstance(operation, str):
            operations = frozenset({cast(str, operation_name(operation))})
        else:
            operations = frozenset(cast(str, operation_name(op)) for op in operation)
        injection = Injection(operations, fault, times, when)
        with self._lock:
            self._injections.append(injection)
        return injection

    def pending(self) -> list[Injection]:
        """The queued faults that have uses left."""
        with self._lock:
            return [inj for inj in self._injections if not inj.exhausted]

    def clear_faults(self) -> None:
        with self._lock:
            self._injections.clear()

    # the record

    @property
    def exchanges(self) -> list[Exchange]:
        """Every request so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._exchanges)

    def requests(
        self,
        operation: str | None = None,
        *,
        forwarded: bool | None = None,
        fault: str | None = None,
    ) -> list[Exchange]:
        """The recorded requests of ``operation`` (any if ``None``), filtered."""
        op = operation_name(operation)
        return [
            ex
            for ex in self.exchanges
            if (op is None or ex.operation == op)
            and (forwarded is None or ex.forwarded == forwarded)
            and (fault is None or ex.fault == fault)
        ]

    def count(
        self,
        operation: str | None = None,
        *,
        forwarded: bool | None = None,
        fault: str | None = None,
    ) -> int:
        """How many requests of ``operation`` were seen (``forwarded``/``fault`` filter)."""
        return len(self.requests(operation, forwarded=forwarded, fault=fault))

    def wait_for(
        self,
        operation: str | None = None,
        count: int = 1,
        *,
        forwarded: bool | None = None,
        fault: str | None = None,
        timeout: float = 5.0,
    ) -> bool:
        """Wait until :meth:`count` reaches ``count``; False if ``timeout`` seconds pass first.

        For a client that gave up (read timeout) before the proxy had even forwarded its
        request: requests are recorded once forwarded, before any answer.
        """
        with self._recorded:
            return self._recorded.wait_for(
                lambda: self.count(operation, forwarded=forwarded, fault=fault) >= count, timeout
            )

    def operations(self) -> list[str | None]:
        """The operation of every request so far, in order."""
        return [ex.operation for ex in self.exchanges]

    def clear_log(self) -> None:
        with self._lock:
            self._exchanges.clear()

    def reset(self) -> None:
        """Forget queued faults and recorded requests."""
        with self._lock:
            self._injections.clear()
            self._exchanges.clear()

    # used by the handler

    def _take_fault(self, operation: str | None, body: Any) -> Fault | None:
        with self._lock:
            for injection in self._injections:
                if injection.matches(operation, body):
                    if injection.remaining is not None:
                        injection.remaining -= 1
                    injection.applied += 1
                    return injection.fault
        return None

    def _record(self, exchange: Exchange) -> None:
        with self._recorded:
            self._exchanges.append(exchange)
            self._recorded.notify_all()

    def _register(self, conn: socket.socket, thread: threading.Thread) -> None:
        with self._lock:
            self._connections.add(conn)
            self._handler_threads.add(thread)

    def _unregister(self, conn: socket.socket, thread: threading.Thread) -> None:
        with self._lock:
            self._connections.discard(conn)
            self._handler_threads.discard(thread)

    def _upstream_connection(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        return cls(self._upstream_host, self._upstream_port, timeout=_UPSTREAM_TIMEOUT)

    def _wait(self, seconds: float) -> None:
        """Sleep, but wake up at once when the proxy stops."""
        self._stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # joined by FaultProxy.stop(), not by the interpreter at exit
    block_on_close = False
    allow_reuse_address = True
    proxy: FaultProxy

    def process_request(self, request: Any, client_address: Any) -> None:
        # Registered here, in the serving thread, so that stop() (which first stops serving)
        # sees every connection and thread, even one whose handler has not started yet.
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name=f"faultproxy-conn:{client_address[1]}",
            daemon=True,
        )
        self.proxy._register(cast(socket.socket, request), thread)
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            self.proxy._unregister(cast(socket.socket, request), threading.current_thread())


@dataclass
class _Upstream:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore expects
    server: _Server

    def handle(self) -> None:
        with contextlib.suppress(OSError):  # the client went away: nothing to do
            super().handle()

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("%s " + format, self.address_string(), *args)

    # every method goes through one path

    def do_POST(self) -> None:
        self._proxy()

    def do_GET(self) -> None:
        self._proxy()

    def do_PUT(self) -> None:
        self._proxy()

    def do_DELETE(self) -> None:
        self._proxy()

    def do_HEAD(self) -> None:
        self._proxy()

    def _proxy(self) -> None:
        proxy = self.server.proxy
        body = self._read_body()
        operation = operation_name(self.headers.get("X-Amz-Target"))
        parsed = _parse_json(body)
        fault = proxy._take_fault(operation, parsed)
        upstream: _Upstream | None = None
        error: str | None = None
        if fault is None or fault.forward:
            try:
                upstream = self._forward(body)
            except (OSError, http.client.HTTPException) as exc:
                error = f"{type(exc).__name__}: {exc}"
        proxy._record(
            Exchange(
                method=self.command,
                path=self.path,
                operation=operation,
                body=parsed,
                forwarded=upstream is not None,
                upstream_status=upstream.status if upstream else None,
                fault=fault.name if fault else None,
                error=error,
            )
        )
        if error is not None:
            self._send(502, "Bad Gateway", [("Content-Type", "text/plain")], error.encode())
            return
        if fault is None:
            assert upstream is not None
            self._send(upstream.status, upstream.reason, upstream.headers, upstream.body)
            return
        self._apply(fault, upstream)

    def _apply(self, fault: Fault, upstream: _Upstream | None) -> None:
        if not fault.respond:
            self._drop(reset=fault.reset)
            return
        if fault.delay:
            self.server.proxy._wait(fault.delay)
        if upstream is None or (fault.status is not None and fault.body_mode == "relay"):
            # a replacement answer: status/body from the fault, DynamoDB-like headers
            code = fault.status if fault.status is not None else 200
            body = fault.body or b""
            headers = [
                ("Content-Type", JSON_CONTENT_TYPE),
                ("x-amzn-RequestId", uuid.uuid4().hex.upper()),
                (CRC_HEADER, str(_crc32(body))),
            ]
            self._send(code, None, _merge(headers, fault.headers), body)
            return
        body = upstream.body
        if fault.body_mode == "empty":
            body = b""
        elif fault.body_mode == "truncate":
            body = body[: len(body) // 2]
        elif fault.body_mode == "replace":
            body = fault.body or b""
        headers = _merge(upstream.headers, fault.headers)
        if fault.crc == "drop":
            headers = [(k, v) for k, v in headers if k.lower() != CRC_HEADER]
        elif fault.crc == "fix":
            headers = _merge(headers, {CRC_HEADER: str(_crc32(body))})
        elif fault.crc == "bad":
            headers = _merge(headers, {CRC_HEADER: str((_crc32(body) + 1) & 0xFFFFFFFF)})
        code = fault.status if fault.status is not None else upstream.status
        if fault.body_mode == "truncate" and not fault.honest_length:
            self._send(code, None, headers, body, length=len(upstream.body))
            self._drop(reset=False)
            return
        self._send(code, None, headers, body)

    # I/O helpers

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _forward(self, body: bytes) -> _Upstream:
        conn = self.server.proxy._upstream_connection()
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            has_host = False
            for name, value in self.headers.items():
                lower = name.lower()
                if lower in _HOP_BY_HOP or lower == "content-length":
                    continue
                has_host = has_host or lower == "host"
                conn.putheader(name, value)
            if not has_host:
                conn.putheader("Host", f"{conn.host}:{conn.port}")
            if body or self.command in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            response = conn.getresponse()
            data = response.read()
            headers = [
                (k, v)
                for k, v in response.getheaders()
                if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length"
            ]
            return _Upstream(response.status, response.reason, headers, data)
        finally:
            conn.close()

    def _send(
        self,
        code: int,
        reason: str | None,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        *,
        length: int | None = None,
    ) -> None:
        self.send_response_only(code, reason)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def _drop(self, *, reset: bool) -> None:
        """Close the client's connection now, without (the rest of) an answer."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
        if reset:  # SO_LINGER 0: the close (when rfile/wfile are closed) sends RST, not FIN
            with contextlib.suppress(OSError):
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
        else:
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)


def _parse_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _crc32(body: bytes) -> int:
    return binascii.crc32(body) & 0xFFFFFFFF


def _merge(
    headers: Iterable[tuple[str, str]], overrides: Mapping[str, str]
) -> list[tuple[str, str]]:
    """``headers`` with ``overrides`` applied case-insensitively (``""`` removes a header)."""
    lowered = {name.lower(): (name, value) for name, value in overrides.items()}
    merged = [(k, v) for k, v in headers if k.lower() not in lowered]
    merged.extend((name, value) for name, value in lowered.values() if value != "")
    return merged
