"""The async direct transport's connections (``ddbwrap.aio.connections``) against a scripted server.

The server is a thread per connection that reads whole requests and answers each with the next
scripted action (an answer, an answer then a close, a reset, silence...), counting the
connections it accepted, how many were open at once, and the requests it received.
"""

from __future__ import annotations

import asyncio
import datetime
import gc
import ipaddress
import socket
import socketserver
import ssl
import struct
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
    SSLError,
)

from ddbwrap._engine.botocore import exception
from ddbwrap._engine.http1 import request_message
from ddbwrap.aio.connections import ConnectionPool, Endpoint
from ddbwrap.transport import AttemptError

Action = Callable[[socket.socket], bool]
"""Answers one request on the socket; False closes the connection."""

MESSAGE = request_message({"Host": "127.0.0.1", "Content-Length": "2"}, b"{}")


def answer(body: bytes = b'{"ok":1}', *, close: bool = False, pause: float = 0.0) -> Action:
    def act(sock: socket.socket) -> bool:
        if pause:
            time.sleep(pause)
        extra = b"Connection: close\r\n" if close else b""
        head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n" % (len(body), extra)
        sock.sendall(head + body)
        return not close

    return act


def chunked(*pieces: bytes) -> Action:
    def act(sock: socket.socket) -> bool:
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces)
        sock.sendall(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
        )
        return True

    return act


def truncated(sock: socket.socket) -> bool:
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
    return False


def reset(sock: socket.socket) -> bool:
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # a reset (the server's shutdown would end it cleanly first)
    return False


def hang_up(sock: socket.socket) -> bool:
    return False


def silence(seconds: float) -> Action:
    def act(sock: socket.socket) -> bool:
        time.sleep(seconds)
        return False

    return act


def trickle(pieces: int, pause: float) -> Action:
    """An answer whose body comes a byte at a time, ``pause`` seconds apart."""

    def act(sock: socket.socket) -> bool:
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % pieces)
        for _ in range(pieces):
            time.sleep(pause)
            sock.sendall(b"x")
        return True

    return act


class Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server: Scripted = self.server  # type: ignore[assignment]
        server.opened()
        reader = self.request.makefile("rb")
        try:
            while True:
                length = None
                line = reader.readline()
                while line not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                    line = reader.readline()
                if not line:  # the client closed the connection
                    server.client_closes += 1
                    return
                reader.read(length or 0)
                server.requests += 1
                if not server.next_action()(self.request):
                    return
        except OSError:
            return
        finally:
            reader.close()
            server.closed()


class Scripted(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.tls = tls
        self.script: list[Action] = []
        self.lock = threading.Lock()
        self.connections = self.active = self.peak = self.requests = self.client_closes = 0

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True)
        return sock, address

    def next_action(self) -> Action:
        with self.lock:
            return self.script.pop(0) if self.script else answer()

    def opened(self) -> None:
        with self.lock:
            self.connections += 1
            self.active += 1
            self.peak = max(self.peak, self.active)

    def closed(self) -> None:
        with self.lock:
            self.active -= 1

    def pool(self, **settings: Any) -> ConnectionPool:
        values: dict[str, Any] = {
            "url": f"http://127.0.0.1:{self.server_address[1]}/",
            "host": "127.0.0.1",
            "port": self.server_address[1],
            "ssl": None,
            "limit": 10,
            "connect_timeout": 5.0,
            "read_timeout": 5.0,
            "keepalive_timeout": 12.0,
        }
        return ConnectionPool(Endpoint(**{**values, **settings}))


def serve(server: Scripted) -> Iterator[Scripted]:
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def server() -> Iterator[Scripted]:
    yield from serve(Scripted())


def self_signed(directory: Path) -> Path:
    """A certificate and key for 127.0.0.1, in one PEM file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = directory / "server.pem"
    pem.write_bytes(
        certificate.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pem


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[Scripted, Path]]:
    pem = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)
    for server in serve(Scripted(context)):
        yield server, pem


def kind(error: Exception) -> str:
    """How the engine classifies a failure of a write (``not_sent``, ``lost``)."""
    failure = exception("PutItem", {"TableName": "things"}, error)
    assert isinstance(failure, AttemptError)
    return failure.kind


def eventually(check: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + 2
    while not check() and time.monotonic() < deadline:
        time.sleep(0.01)
    return check()


async def send_all(pool: ConnectionPool, count: int) -> list[bytes]:
    return [(await pool.send(MESSAGE)).body for _ in range(count)]


def test_one_connection_carries_successive_requests(server: Scripted) -> None:
    pool = server.pool()

    async def main() -> list[bytes]:
        try:
            return await send_all(pool, 3)
        finally:
            await pool.close()

    assert asyncio.run(main()) == [b'{"ok":1}'] * 3
    assert (server.connections, server.requests) == (1, 3)


def test_the_pool_never_opens_more_than_its_limit(server: Scripted) -> None:
    server.script = [answer(pause=0.02) for _ in range(10)]
    pool = server.pool(limit=2)

    async def main() -> list[int]:
        try:
            answers = await asyncio.gather(*(pool.send(MESSAGE) for _ in range(10)))
            return [a.status for a in answers]
        finally:
            await pool.close()

    assert asyncio.run(main()) == [200] * 10
    assert (server.connections, server.peak, server.requests) == (2, 2, 10)


def test_a_connection_close_answer_is_not_reused(server: Scripted) -> None:
    server.script = [answer(close=True), answer()]
    pool = server.pool()

    async def main() -> None:
        await send_all(pool, 2)
        await pool.close()

    asyncio.run(main())
    assert server.connections == 2


def test_force_close_opens_a_connection_per_request(server: Scripted) -> None:
    pool = server.pool(reuse=False)

    async def main() -> None:
        await send_all(pool, 2)
        await pool.close()

    asyncio.run(main())
    assert server.connections == 2


def test_a_refused_connection_was_never_sent() -> None:
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    endpoint = Endpoint(
        url=f"http://127.0.0.1:{port}/",
        host="127.0.0.1",
        port=port,
        ssl=None,
        limit=1,
        connect_timeout=5.0,
        read_timeout=5.0,
        keepalive_timeout=None,
    )
    with pytest.raises(EndpointConnectionError) as raised:
        asyncio.run(send_all(ConnectionPool(endpoint), 1))
    assert kind(raised.value) == "not_sent"


def test_a_connect_timeout_was_never_sent(server: Scripted) -> None:
    pool = server.pool(connect_timeout=0.05)

    async def main() -> None:
        async def never(*args: Any, **kwargs: Any) -> Any:
            await asyncio.sleep(10)

        asyncio.get_running_loop().create_connection = never  # type: ignore[method-assign]
        await pool.send(MESSAGE)

    with pytest.raises(ConnectTimeoutError) as raised:
        asyncio.run(main())
    assert kind(raised.value) == "not_sent"


def test_a_truncated_answer_is_lost(server: Scripted) -> None:
    server.script = [truncated]
    with pytest.raises(ConnectionClosedError) as raised:
        asyncio.run(send_all(server.pool(), 1))
    assert kind(raised.value) == "lost"


def test_a_reset_connection_is_lost_as_aiobotocore_reports_it(server: Scripted) -> None:
    server.script = [reset]
    with pytest.raises(EndpointConnectionError) as raised:
        asyncio.run(send_all(server.pool(), 1))
    assert kind(raised.value) == "lost"


def test_a_read_timeout_is_lost(server: Scripted) -> None:
    server.script = [silence(1.0)]
    with pytest.raises(ReadTimeoutError) as raised:
        asyncio.run(send_all(server.pool(read_timeout=0.1), 1))
    assert kind(raised.value) == "lost"


def test_the_read_timeout_is_per_read_as_botocores(server: Scripted) -> None:
    server.script = [trickle(4, 0.06)]
    pool = server.pool(read_timeout=0.15)

    async def main() -> bytes:
        body = (await pool.send(MESSAGE)).body
        await pool.close()
        return body

    assert asyncio.run(main()) == b"xxxx"


def test_an_idle_connection_closed_by_the_server_is_replaced(server: Scripted) -> None:
    def answer_then_close(sock: socket.socket) -> bool:
        answer()(sock)
        return False

    server.script = [answer_then_close]
    pool = server.pool()

    async def main() -> list[bytes]:
        first = (await pool.send(MESSAGE)).body
        await asyncio.to_thread(eventually, lambda: server.active == 0)
        await asyncio.sleep(0.01)  # the loop sees the end of the connection
        second = (await pool.send(MESSAGE)).body
        await pool.close()
        return [first, second]

    assert asyncio.run(main()) == [b'{"ok":1}'] * 2
    assert (server.connections, server.requests) == (2, 2)


def test_a_reused_connection_that_dies_before_answering_is_lost_not_resent(
    server: Scripted,
) -> None:
    server.script = [answer(), hang_up]
    pool = server.pool()

    async def main() -> None:
        await pool.send(MESSAGE)
        try:
            await pool.send(MESSAGE)
        finally:
            await pool.close()

    with pytest.raises(ConnectionClosedError) as raised:
        asyncio.run(main())
    assert kind(raised.value) == "lost"
    assert server.requests == 2  # the second request went out once


def test_a_chunked_answer_is_read_whole(server: Scripted) -> None:
    server.script = [chunked(b'{"Item":', b'{"a":1}}'), answer()]
    pool = server.pool()

    async def main() -> list[bytes]:
        try:
            return await send_all(pool, 2)
        finally:
            await pool.close()

    assert asyncio.run(main()) == [b'{"Item":{"a":1}}', b'{"ok":1}']
    assert server.connections == 1  # and the connection carried on


def test_a_cancelled_request_does_not_leave_its_connection_for_another(server: Scripted) -> None:
    server.script = [answer(pause=0.3)]
    pool = server.pool()

    async def main() -> bytes:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(pool.send(MESSAGE), 0.05)
        body = (await pool.send(MESSAGE)).body
        await pool.close()
        return body

    assert asyncio.run(main()) == b'{"ok":1}'
    assert server.connections == 2


def test_a_new_event_loop_gets_new_connections(server: Scripted) -> None:
    pool = server.pool()
    gc.collect()  # what earlier tests left
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(send_all(pool, 1))  # its connection stays open when the loop closes

        async def again() -> None:
            await send_all(pool, 1)
            await pool.close()

        asyncio.run(again())
        gc.collect()
    assert server.connections == 2
    assert eventually(lambda: server.active == 0)
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_closing_closes_the_connections(server: Scripted) -> None:
    pool = server.pool()

    async def main() -> None:
        await asyncio.gather(*(pool.send(MESSAGE) for _ in range(3)))
        await pool.close()

    gc.collect()  # what earlier tests left
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(main())
        gc.collect()
    assert eventually(lambda: server.active == 0)
    assert server.client_closes == server.connections
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_a_closed_pool_refuses_to_send(server: Scripted) -> None:
    pool = server.pool()

    async def main() -> None:
        await pool.close()
        await pool.send(MESSAGE)

    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(main())
    assert server.connections == 0


def test_tls_connections_verify_the_server_and_carry_requests(
    tls_server: tuple[Scripted, Path],
) -> None:
    server, pem = tls_server
    trusting = ssl.create_default_context(cafile=str(pem))
    pool = server.pool(ssl=trusting)

    async def main() -> list[bytes]:
        try:
            return await send_all(pool, 2)
        finally:
            await pool.close()

    assert asyncio.run(main()) == [b'{"ok":1}'] * 2
    assert server.connections == 1


def test_an_untrusted_certificate_is_an_ssl_error(tls_server: tuple[Scripted, Path]) -> None:
    server, _ = tls_server
    with pytest.raises(SSLError):
        asyncio.run(send_all(server.pool(ssl=ssl.create_default_context()), 1))
    assert server.requests == 0


def test_closing_fails_the_requests_in_flight_and_those_waiting(server: Scripted) -> None:
    server.script = [answer(pause=0.3)]
    pool = server.pool(limit=1)

    async def main() -> list[type]:
        sends = [asyncio.ensure_future(pool.send(MESSAGE)) for _ in range(2)]
        await asyncio.sleep(0.1)
        await pool.close()
        outcomes = await asyncio.gather(*sends, return_exceptions=True)
        return [type(outcome) for outcome in outcomes]

    assert asyncio.run(main()) == [ConnectionClosedError, RuntimeError]


def test_a_request_cancelled_while_waiting_gives_up_its_turn(server: Scripted) -> None:
    server.script = [answer(pause=0.1)]
    pool = server.pool(limit=1)

    async def main() -> tuple[bytes, int]:
        first = asyncio.ensure_future(pool.send(MESSAGE))
        for _ in range(200):  # the first request holds the one connection (sent, no answer yet)
            if server.requests:
                break
            await asyncio.sleep(0.005)
        # (since Python 3.12, wait_for runs the request in this task, so it would start first)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(pool.send(MESSAGE), 0.02)
        await first
        body = (await pool.send(MESSAGE)).body
        open_connections = pool.open_connections
        await pool.close()
        return body, open_connections

    assert asyncio.run(main()) == (b'{"ok":1}', 1)
    assert (server.connections, server.requests) == (1, 2)
