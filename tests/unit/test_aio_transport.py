"""``AiobotocoreTransport`` against a scripted HTTP server on loopback: one attempt per call,
every answer classified exactly as ``BotocoreTransport`` classifies it, the fast path on.

The server answers each request with the next scripted response (status, body, headers), or
closes the connection without answering; both transports are run over the same script.
"""

from __future__ import annotations

import asyncio
import json
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ddbwrap._engine.faults import AttemptError
from ddbwrap.aio import AsyncTableGateway
from ddbwrap.aio.transport import AiobotocoreTransport
from ddbwrap.errors import ConditionFailedError, DdbwrapError, ServiceError
from ddbwrap.gateway import TableGateway
from ddbwrap.retry import RetryPolicy
from ddbwrap.testing.local import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, local_client
from ddbwrap.transport import BotocoreTransport

CLOSE = object()


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> tuple[Any, ...]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    out = {"x-amz-crc32": str(zlib.crc32(raw) & 0xFFFFFFFF), **(headers or {})}
    return (status, raw, out)


def error_body(code: str) -> dict[str, str]:
    return {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "scripted"}


class Server:
    def __init__(self) -> None:
        self.script: list[Any] = []
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                outer.requests.append(
                    {"target": self.headers.get("x-amz-target"), "body": json.loads(body)}
                )
                scripted = outer.script.pop(0) if outer.script else answer(200, {})
                if scripted is CLOSE:
                    self.close_connection = True
                    self.connection.close()
                    return
                status, raw, headers = scripted
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


def aio_client(url: str) -> Any:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    return get_session().create_client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_SECRET_KEY,
        config=AioConfig(retries={"mode": "standard", "total_max_attempts": 5}),
    )


def one_attempt_each_way(url: str, operation: str, params: dict[str, Any]) -> list[Any]:
    """The outcome of one attempt through the sync and through the async transport."""
    outcomes: list[Any] = []
    sync = BotocoreTransport(local_client(url), fast_path=True)
    try:
        outcomes.append(sync.call(operation, params))
    except (AttemptError, DdbwrapError) as exc:
        outcomes.append(exc)

    async def attempt() -> None:
        async with aio_client(url) as client:
            transport = AiobotocoreTransport(client, fast_path=True)
            assert transport.fast_path
            try:
                outcomes.append(await transport.call(operation, params))
            except (AttemptError, DdbwrapError) as exc:
                outcomes.append(exc)

    asyncio.run(attempt())
    return outcomes


def kind(outcome: Any) -> str:
    if isinstance(outcome, AttemptError):
        return f"attempt:{outcome.kind}:{type(outcome.error).__name__}"
    if isinstance(outcome, BaseException):
        return f"final:{type(outcome).__name__}"
    return "ok"


GET = {"TableName": "t", "Key": {"pk": {"S": "a"}}}

CASES = {
    "ok": answer(200, {"Item": {"pk": {"S": "a"}, "b": {"B": "AP8="}}}),
    "empty": answer(200, b""),
    "html": answer(200, b"<html>bad gateway</html>"),
    "crc": answer(200, {}, {"x-amz-crc32": "1"}),
    "throttled": answer(400, error_body("ProvisionedThroughputExceededException")),
    "5xx": answer(500, error_body("InternalServerError")),
    "condition": answer(400, error_body("ConditionalCheckFailedException")),
    "validation": answer(400, error_body("ValidationException")),
    "closed": CLOSE,
}
EXPECTED = {
    "ok": "ok",
    "empty": "attempt:corrupt:ServiceError",
    "html": "attempt:corrupt:ServiceError",
    "crc": "attempt:corrupt:ServiceError",
    "throttled": "attempt:throttled:ThrottledError",
    "5xx": "attempt:unavailable:ServiceError",
    "condition": "final:ConditionFailedError",
    "validation": "final:ValidationError",
    "closed": "attempt:lost:ServiceError",
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_attempt_is_classified_as_the_sync_transport_does(server: Server, case: str) -> None:
    server.script = [CASES[case], CASES[case]]
    sync, twin = one_attempt_each_way(server.url, "GetItem", GET)
    assert (kind(sync), kind(twin)) == (EXPECTED[case], EXPECTED[case])
    assert len(server.requests) == 2  # one attempt each: botocore's own retries stepped aside
    if case == "ok":
        assert sync["Item"] == twin["Item"] == {"pk": {"S": "a"}, "b": {"B": b"\x00\xff"}}
    if isinstance(sync, BaseException) and isinstance(twin, BaseException):
        assert str(sync).split(" at ")[0] == str(twin).split(" at ")[0]


def test_a_refused_connection_was_never_sent() -> None:
    closed = Server()
    url = closed.url
    closed.close()
    sync, twin = one_attempt_each_way(url, "GetItem", GET)
    assert kind(sync) == kind(twin) == "attempt:not_sent:ServiceError"


def test_the_gateway_retries_with_its_policy_and_resolves_nothing_twice(server: Server) -> None:
    server.script = [CASES["throttled"], CASES["5xx"], CASES["ok"]]
    slept: list[float] = []
    policy = RetryPolicy(sleep=slept.append, request_attempts=4)

    async def scenario() -> Any:
        async with aio_client(server.url) as client:
            gateway = AsyncTableGateway(client, retry=policy)
            return await gateway.get_item(GET)

    assert asyncio.run(scenario())["Item"]["b"] == {"B": b"\x00\xff"}
    assert len(server.requests) == 3
    assert len(slept) == 2


def test_a_lost_write_is_not_resent_blindly(server: Server) -> None:
    server.script = [CLOSE]

    async def scenario() -> None:
        async with aio_client(server.url) as client:
            gateway = AsyncTableGateway(client, retry=RetryPolicy(sleep=lambda s: None))
            await gateway.update_item(
                {
                    **GET,
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            )

    from ddbwrap.errors import OutcomeUnknownError

    with pytest.raises(OutcomeUnknownError):
        asyncio.run(scenario())
    assert len(server.requests) == 1


def test_the_clients_own_calls_keep_botocores_retries(server: Server) -> None:
    server.script = [CASES["throttled"], CASES["ok"]]

    async def scenario() -> Any:
        async with aio_client(server.url) as client:
            AsyncTableGateway(client)  # installs the hooks
            return await client.get_item(**GET)

    assert asyncio.run(scenario())["ResponseMetadata"]["RetryAttempts"] == 1
    assert len(server.requests) == 2


def test_fast_path_requests_are_botocores_bytes(server: Server) -> None:
    params = {"TableName": "t", "Item": {"pk": {"S": "a"}, "b": {"B": b"\x00"}, "n": {"N": "1"}}}
    for fast in (True, False):

        async def scenario(fast: bool = fast) -> None:
            async with aio_client(server.url) as client:
                await AsyncTableGateway(client, fast_path=fast).put_item(params)

        asyncio.run(scenario())
    assert server.requests[0] == server.requests[1]


def test_errors_name_the_physical_table(server: Server) -> None:
    server.script = [CASES["condition"]]

    async def scenario() -> None:
        async with aio_client(server.url) as client:
            await AsyncTableGateway(client, table_prefix="dev-").put_item(
                {"TableName": "t", "Item": {"pk": {"S": "a"}}}
            )

    with pytest.raises(ConditionFailedError, match="dev-t"):
        asyncio.run(scenario())
    assert server.requests[0]["body"]["TableName"] == "dev-t"


def test_sync_and_async_gateways_send_the_same_requests(server: Server) -> None:
    sync = TableGateway(local_client(server.url), table_prefix="p-")
    sync.batch_write({"t": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]})

    async def scenario() -> None:
        async with AsyncTableGateway.from_gateway(sync) as gateway:
            await gateway.batch_write({"t": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]})

    asyncio.run(scenario())
    assert server.requests[0] == server.requests[1]


def test_a_5xx_that_outlives_the_attempts_is_a_service_error(server: Server) -> None:
    server.script = [CASES["5xx"]] * 3

    async def scenario() -> None:
        async with aio_client(server.url) as client:
            policy = RetryPolicy(sleep=lambda s: None, request_attempts=3)
            await AsyncTableGateway(client, retry=policy).describe_table("t")

    with pytest.raises(ServiceError, match=r"InternalServerError|scripted"):
        asyncio.run(scenario())
    assert len(server.requests) == 3
