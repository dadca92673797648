"""The direct transport (``ddbwrap._engine.direct``) against botocore's own code.

Signing is compared with botocore's ``SigV4Auth``; answers come from a loopback HTTP server
that replays canned responses (status, headers, body) and records each request, so the same
answer can be given to the direct and the botocore transport and their results and errors
compared (sync: urllib3 against botocore; async: asyncio against aiobotocore). Which calls go
through botocore instead (other operations, requests the fast path's checks refuse, a Stubber,
a handler of your own, moto's active mock) is checked here too.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import gc
import json
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.stub import Stubber
from pydantic import Field

from ddbwrap import DomainModel, ItemCodec, ReadApi, RetryPolicy
from ddbwrap._engine import gc_pause
from ddbwrap._engine.sigv4 import Signer
from ddbwrap._engine.wire import Watch
from ddbwrap._page_decoder import DecodedItems, body_reader
from ddbwrap.errors import (
    ConditionFailedError,
    DdbwrapError,
    ForeignItemError,
    ThrottledError,
    TransactionCanceledError,
    ValidationError,
)
from ddbwrap.gateway import TableGateway
from ddbwrap.testing import ScriptedTransport
from ddbwrap.transport import AttemptError, BotocoreTransport, DirectTransport

LOST, LATE = 0, 1
"""Queued statuses for no answer: the connection closed at once, or after the read timeout."""
READ_TIMEOUT = 0.2
"""The read timeout of the clients of the fault tests."""

TARGET = "DynamoDB_20120810.GetItem"
JSON_1_0 = "application/x-amz-json-1.0"


class Canned(BaseHTTPRequestHandler):
    """Answers with the server's queued responses (the last one repeats); records requests."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        server: CannedServer = self.server  # type: ignore[assignment]
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server.requests.append((dict(self.headers), body))
        status, headers, answer = server.queue.pop(0) if len(server.queue) > 1 else server.queue[0]
        if status in (LOST, LATE):  # no answer: the connection closes (at once, or too late)
            if status == LATE:
                time.sleep(3 * READ_TIMEOUT)
            self.close_connection = True
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class CannedServer(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Canned)
        self.queue: list[tuple[int, dict[str, str], bytes]] = []
        self.requests: list[tuple[dict[str, str], bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def answer(
    body: dict[str, Any] | bytes, status: int = 200, crc: int | None = None
) -> tuple[int, dict[str, str], bytes]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    checksum = binascii.crc32(raw) & 0xFFFFFFFF if crc is None else crc
    headers = {"x-amzn-RequestId": "req-1", "x-amz-crc32": str(checksum), "Content-Type": JSON_1_0}
    return status, headers, raw


def error_answer(code: str, message: str, status: int = 400, **extra: Any) -> Any:
    return answer(
        {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message, **extra}, status
    )


@pytest.fixture
def server() -> Iterator[CannedServer]:
    server = CannedServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


_SESSIONS: dict[str | None, Any] = {}


def shared_session(token: str | None = None) -> Any:
    """A boto3 session with test credentials (shared: it caches the service model)."""
    session = _SESSIONS.get(token)
    if session is None:
        session = _SESSIONS[token] = boto3.session.Session(
            aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="secret",
            aws_session_token=token,
            region_name="eu-west-1",
        )
    return session


def make_client(endpoint: str, token: str | None = None) -> Any:
    """A client for ``endpoint`` that makes one attempt per call."""
    return shared_session(token).client(
        "dynamodb", endpoint_url=endpoint, config=Config(retries={"total_max_attempts": 1})
    )


@pytest.fixture
def client(server: CannedServer) -> Any:
    return make_client(server.url)


def both(client: Any) -> tuple[DirectTransport, BotocoreTransport]:
    direct = TableGateway(client, transport="direct").transport
    assert isinstance(direct, DirectTransport)
    return direct, BotocoreTransport(client)


def outcome(transport: BotocoreTransport, operation: str, params: dict[str, Any]) -> Any:
    """What a call gives: the response without its metadata; or the failure's kind, the final
    error's class and message, and its public fields (as text: exceptions compare by identity)."""
    try:
        response = transport.call(operation, params)
    except AttemptError as exc:
        return ("attempt", exc.kind, type(exc.error).__name__, str(exc.error))
    except Exception as exc:
        fields = {k: v for k, v in vars(exc).items() if not k.startswith("_")}
        return ("error", type(exc).__name__, str(exc), repr(fields))
    response.pop("ResponseMetadata")
    return response


GET = {"TableName": "things", "Key": {"pk": {"S": "a"}}}


# --- signing ------------------------------------------------------------------------------------


def signatures(signer: Signer, body: bytes, token: str | None = None) -> tuple[str, str]:
    """(ours, botocore's) ``Authorization`` of one request, signed at the same second."""
    request = AWSRequest(
        "POST",
        "https://dynamodb.eu-west-1.amazonaws.com/",
        data=body,
        headers={"X-Amz-Target": TARGET, "Content-Type": JSON_1_0, "User-Agent": "ua"},
    )
    SigV4Auth(Credentials("AKIDEXAMPLE", "secret", token), "dynamodb", "eu-west-1").add_auth(
        request
    )
    mine = signer.authorization(
        access_key="AKIDEXAMPLE",
        secret_key="secret",
        token=token,
        date=request.headers["X-Amz-Date"],
        target=TARGET,
        content_type=JSON_1_0,
        body=body,
    )
    return mine, request.headers["Authorization"]


@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzE+/token=="])
def test_signature_equals_botocore_sigv4(token: str | None) -> None:
    signer = Signer("dynamodb.eu-west-1.amazonaws.com", "eu-west-1", "dynamodb")
    body = b'{"TableName":"things","Key":{"pk":{"S":"\xc3\xa9"}}}'
    mine, botocores = signatures(signer, body, token)
    assert mine == botocores


def test_each_signature_from_the_cached_key_equals_botocore_sigv4() -> None:
    """The cached HMAC states are copied per signature, never updated: the second, third and
    later signatures of a day are as right as the first."""
    signer = Signer("dynamodb.eu-west-1.amazonaws.com", "eu-west-1", "dynamodb")
    for body in (b'{"TableName":"a"}', b'{"TableName":"b"}', b'{"TableName":"a"}'):
        mine, botocores = signatures(signer, body)
        assert mine == botocores


def test_signing_key_is_derived_once_per_day_and_secret() -> None:
    signer = Signer("h", "eu-west-1", "dynamodb")
    first = signer.signing_key("secret", "20260101")
    assert signer.signing_key("secret", "20260101") is first
    assert signer.signing_key("secret", "20260102") != first
    assert signer.signing_key("other", "20260102") != signer.signing_key("secret", "20260102")


def test_request_carries_what_botocore_signs(server: CannedServer) -> None:
    client = make_client(server.url, token="session-token")
    direct, _ = both(client)
    wire = direct.wire
    params = {"TableName": "things", "Item": {"pk": {"S": "a"}, "b": {"B": b"\x00\xff"}}}
    frozen = wire.credentials.get_frozen_credentials()
    headers, body = wire.request("PutItem", params, frozen, "20260101T000000Z")
    assert json.loads(body)["Item"]["b"] == {"B": base64.b64encode(b"\x00\xff").decode()}
    request = AWSRequest(
        "POST",
        server.url + "/",
        data=body,
        headers={
            "X-Amz-Target": headers["X-Amz-Target"],
            "Content-Type": headers["Content-Type"],
            "X-Amz-Security-Token": "session-token",
        },
    )
    credentials = Credentials("AKIDEXAMPLE", "secret", "session-token")
    SigV4Auth(credentials, "dynamodb", "eu-west-1").add_auth(request)
    headers, _ = wire.request("PutItem", params, frozen, request.headers["X-Amz-Date"])
    assert headers["Authorization"] == request.headers["Authorization"]
    assert headers["X-Amz-Security-Token"] == "session-token"
    assert headers["Host"] == server.url.removeprefix("http://")


def test_only_a_large_body_is_read_with_the_collector_paused(server: CannedServer) -> None:
    direct, _ = both(make_client(server.url))
    seen: list[bool] = []

    def reader(body: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
        seen.append(gc.isenabled())
        return {}, {"Items": DecodedItems()}

    small = json.dumps({"Items": []}).encode()
    large = json.dumps({"Items": [{"pk": {"S": "x" * 100}}] * 400}).encode()
    assert len(small) < gc_pause.LARGE_BODY <= len(large)
    for body in (small, large):
        assert direct.wire._read("Query", body, reader) == {"Items": []}
    assert seen == [True, False]
    assert gc.isenabled()


# --- answers ------------------------------------------------------------------------------------


ITEM = {
    "pk": {"S": "a"},
    "n": {"N": "123456789012345678901234567890.123456"},
    "b": {"B": base64.b64encode(b"\x00\xff").decode()},
    "m": {"M": {"bs": {"BS": [base64.b64encode(b"x").decode()]}, "u": {"S": "é😀"}}},
    "l": {"L": [{"NULL": True}, {"BOOL": False}, {"NS": ["1", "2.5"]}]},
}


@pytest.mark.parametrize(
    "canned",
    [
        answer({"Item": ITEM}),
        answer({}),
        answer(b""),
        answer(b"<html>oops</html>"),
        answer({"Item": ITEM}, crc=1),
        answer(b'{"Item": ', crc=None),
        answer(b'{"Item": {"pk": {"S": "a"}}'),  # cut where it still ends in "}"
        error_answer("ProvisionedThroughputExceededException", "slow down"),
        error_answer("ThrottlingException", "slow down"),
        error_answer("TransactionConflictException", "busy"),
        error_answer("InternalServerError", "oops", status=500),
        answer(b"<html><body>503</body></html>", status=503),
        error_answer("ResourceNotFoundException", "Requested resource not found"),
        error_answer("ValidationException", "Item size has exceeded the maximum allowed size"),
        error_answer("ValidationException", "bad key"),
        error_answer("ConditionalCheckFailedException", "failed", Item=ITEM),
        error_answer("AccessDeniedException", "no"),
    ],
    ids=lambda canned: f"{canned[0]}-{canned[2][:40]!r}",
)
def test_every_answer_gives_what_botocore_gives(
    client: Any, server: CannedServer, canned: Any
) -> None:
    server.queue = [canned]
    direct, botocore = both(client)
    assert outcome(direct, "GetItem", GET) == outcome(botocore, "GetItem", GET)


def test_binary_and_numbers_come_back_as_botocore_parses_them(
    client: Any, server: CannedServer
) -> None:
    server.queue = [answer({"Item": ITEM})]
    direct, _ = both(client)
    item = direct.call("GetItem", GET)["Item"]
    assert item["b"] == {"B": b"\x00\xff"}
    assert item["m"]["M"]["bs"] == {"BS": [b"x"]}
    assert item["n"] == {"N": "123456789012345678901234567890.123456"}


def test_response_metadata_has_the_request_id(client: Any, server: CannedServer) -> None:
    server.queue = [answer({})]
    direct, _ = both(client)
    metadata = direct.call("GetItem", GET)["ResponseMetadata"]
    assert (metadata["RequestId"], metadata["HTTPStatusCode"]) == ("req-1", 200)


def test_throttling_is_an_attempt_error_with_the_request_id(
    client: Any, server: CannedServer
) -> None:
    server.queue = [error_answer("ThrottlingException", "slow down")]
    direct, _ = both(client)
    with pytest.raises(AttemptError) as caught:
        direct.call("GetItem", GET)
    assert caught.value.kind == "throttled"
    assert isinstance(caught.value.error, ThrottledError)
    assert caught.value.__cause__.response["ResponseMetadata"]["RequestId"] == "req-1"  # type: ignore[union-attr]


def test_a_5xx_may_have_been_applied(client: Any, server: CannedServer) -> None:
    server.queue = [error_answer("InternalServerError", "oops", status=500)]
    direct, _ = both(client)
    with pytest.raises(AttemptError) as caught:
        direct.call("PutItem", {"TableName": "things", "Item": {"pk": {"S": "a"}}})
    assert (caught.value.kind, caught.value.maybe_applied) == ("unavailable", True)


def test_a_crc_mismatch_is_corrupt(client: Any, server: CannedServer) -> None:
    server.queue = [answer({"Item": ITEM}, crc=12345)]
    direct, _ = both(client)
    with pytest.raises(AttemptError, match="CRC32") as caught:
        direct.call("GetItem", GET)
    assert caught.value.kind == "corrupt"


def test_a_failed_condition_carries_the_item(client: Any, server: CannedServer) -> None:
    server.queue = [error_answer("ConditionalCheckFailedException", "failed", Item=ITEM)]
    direct, _ = both(client)
    with pytest.raises(ConditionFailedError) as caught:
        direct.call("PutItem", {"TableName": "things", "Item": {"pk": {"S": "a"}}})
    assert caught.value.item is not None and caught.value.item["b"] == {"B": b"\x00\xff"}


def test_a_cancelled_transaction_has_its_reasons(client: Any, server: CannedServer) -> None:
    reasons = [{"Code": "None"}, {"Code": "ConditionalCheckFailed", "Message": "no", "Item": ITEM}]
    server.queue = [
        error_answer("TransactionCanceledException", "cancelled", CancellationReasons=reasons)
    ]
    direct, botocore = both(client)
    params = {
        "TransactItems": [
            {"Put": {"TableName": "things", "Item": {"pk": {"S": "a"}}}},
            {"Delete": {"TableName": "things", "Key": {"pk": {"S": "b"}}}},
        ]
    }
    with pytest.raises(TransactionCanceledError) as caught:
        direct.call("TransactWriteItems", params)
    assert [reason.code for reason in caught.value.reasons] == ["None", "ConditionalCheckFailed"]
    assert outcome(direct, "TransactWriteItems", params) == outcome(
        botocore, "TransactWriteItems", params
    )


def test_a_refused_connection_was_never_sent() -> None:
    client = make_client("http://127.0.0.1:9")  # the discard port: nothing listens
    direct, botocore = both(client)
    assert outcome(direct, "GetItem", GET)[:2] == ("attempt", "not_sent")
    assert outcome(direct, "GetItem", GET) == outcome(botocore, "GetItem", GET)


def test_one_connection_serves_many_calls(client: Any, server: CannedServer) -> None:
    server.queue = [answer({})]
    direct, _ = both(client)
    for _ in range(5):
        direct.call("GetItem", GET)
    assert len(server.requests) == 5
    assert direct._connection().num_connections == 1


# --- what goes through botocore -------------------------------------------------------------


def test_other_operations_go_through_botocore(client: Any, server: CannedServer) -> None:
    server.queue = [answer({"TableNames": ["a"]})]
    direct, _ = both(client)
    assert not direct.wire.route("ListTables", {})
    assert direct.call("ListTables", {})["TableNames"] == ["a"]


def test_malformed_requests_fail_as_botocore_fails_them(client: Any, server: CannedServer) -> None:
    direct, _ = both(client)
    with pytest.raises(ValidationError, match="malformed and was not sent"):
        direct.call("GetItem", {"TableName": "things", "Key": {"pk": {"N": 5}}})
    assert server.requests == []


def test_table_arns_go_through_botocore(client: Any) -> None:
    direct, _ = both(client)
    arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/things"
    assert not direct.wire.route("GetItem", {**GET, "TableName": arn})
    assert not direct.wire.route("BatchGetItem", {"RequestItems": {arn: {"Keys": [GET["Key"]]}}})
    assert direct.wire.route("GetItem", GET)


def test_a_transaction_without_a_token_gets_botocores(client: Any) -> None:
    direct, _ = both(client)
    actions = [{"Delete": {"TableName": "things", "Key": GET["Key"]}}]
    assert not direct.wire.route("TransactWriteItems", {"TransactItems": actions})
    assert direct.wire.route(
        "TransactWriteItems", {"TransactItems": actions, "ClientRequestToken": "t"}
    )


def test_a_stubber_activated_later_is_honoured(client: Any, server: CannedServer) -> None:
    direct, _ = both(client)
    stubber = Stubber(client)
    stubber.add_response("get_item", {"Item": {"pk": {"S": "stubbed"}}}, GET)
    with stubber:
        assert direct.call("GetItem", GET)["Item"] == {"pk": {"S": "stubbed"}}
    assert server.requests == []


def test_a_handler_of_your_own_sends_calls_through_botocore(client: Any) -> None:
    direct, _ = both(client)
    assert direct.wire.route("GetItem", GET)
    client.meta.events.register("before-call.dynamodb.GetItem", lambda **kwargs: None)
    assert not direct.wire.route("GetItem", GET)
    assert "test_direct_transport" in direct.wire.watch.reason()


def test_moto_mock_is_honoured_only_while_active() -> None:
    from moto import mock_aws

    class Switch:
        enabled = False
        __module__ = "moto.core.botocore_stubber"

        def __call__(self, **kwargs: Any) -> None:
            return None

    client = make_client("http://127.0.0.1:9")
    switch = Switch()
    client.meta.events.register("before-send", switch)
    watch = Watch(client.meta.events, "dynamodb", ("GetItem",))
    assert watch.reason() == ""
    switch.enabled = True
    assert watch.reason() == "moto's mock is active"
    with mock_aws():
        mocked = boto3.client("dynamodb", region_name="us-east-1")
        mocked.create_table(
            TableName="things",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        gateway = TableGateway(mocked)
        assert isinstance(gateway.transport, DirectTransport)
        assert gateway.transport.wire.watch.reason() == "moto's mock is active"
        gateway.put_item({"TableName": "things", "Item": {"pk": {"S": "a"}}})
        assert gateway.get_item(GET)["Item"] == {"pk": {"S": "a"}}


# --- selection ----------------------------------------------------------------------------------


def test_direct_is_the_default(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DDBWRAP_TRANSPORT", raising=False)
    assert type(TableGateway(client).transport) is DirectTransport


def test_the_environment_switches_it_off(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DDBWRAP_TRANSPORT", "botocore")
    assert type(TableGateway(client).transport) is BotocoreTransport
    assert type(TableGateway(client, transport="direct").transport) is DirectTransport


def test_an_unknown_transport_name_is_refused(client: Any) -> None:
    with pytest.raises(ValidationError, match="'direct' or 'botocore'"):
        TableGateway(client, transport="http2")


def test_an_unknown_transport_in_the_environment_is_refused(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DDBWRAP_TRANSPORT", "http2")
    with pytest.raises(ValidationError, match="DDBWRAP_TRANSPORT must be"):
        TableGateway(client)


def test_a_transport_instance_is_used_as_it_is(client: Any) -> None:
    scripted = ScriptedTransport(backend=BotocoreTransport(client))
    gateway = TableGateway(client, transport=scripted)
    assert gateway.transport is scripted and gateway.client is client


def test_a_client_it_cannot_reproduce_keeps_botocore(server: CannedServer) -> None:
    client = boto3.session.Session(region_name="eu-west-1").client(
        "dynamodb",
        endpoint_url=server.url,
        config=Config(signature_version=botocore_unsigned()),
    )
    assert type(TableGateway(client).transport) is BotocoreTransport


def botocore_unsigned() -> Any:
    from botocore import UNSIGNED

    return UNSIGNED


# --- async ------------------------------------------------------------------------------------


def run_async(endpoint: str | None, check: Callable[[Any], Awaitable[Any]], **settings: Any) -> Any:
    """``check(client)`` with an open aiobotocore client for ``endpoint`` (None: AWS's);
    ``settings`` are its ``verify`` and ``AioConfig`` arguments."""
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    verify = settings.pop("verify", None)

    async def main() -> Any:
        async with get_session().create_client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name="eu-west-1",
            aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="secret",
            verify=verify,
            config=AioConfig(retries={"total_max_attempts": 1}, **settings),
        ) as client:
            return await check(client)

    return asyncio.run(main())


async def async_outcome(transport: Any, operation: str, params: dict[str, Any]) -> Any:
    """``outcome`` of an awaited call."""
    try:
        response = await transport.call(operation, params)
    except AttemptError as exc:
        return ("attempt", exc.kind, type(exc.error).__name__, str(exc.error))
    except Exception as exc:
        fields = {k: v for k, v in vars(exc).items() if not k.startswith("_")}
        return ("error", type(exc).__name__, str(exc), repr(fields))
    response.pop("ResponseMetadata")
    return response


@pytest.mark.parametrize(
    "canned",
    [
        answer({"Item": ITEM}),
        answer(b""),
        answer({"Item": ITEM}, crc=1),
        error_answer("ProvisionedThroughputExceededException", "slow down"),
        error_answer("InternalServerError", "oops", status=500),
        error_answer("ConditionalCheckFailedException", "failed", Item=ITEM),
    ],
    ids=lambda canned: f"{canned[0]}-{canned[2][:40]!r}",
)
def test_async_answers_give_what_aiobotocore_gives(server: CannedServer, canned: Any) -> None:
    from ddbwrap.aio.direct import AsyncDirectTransport
    from ddbwrap.aio.transport import AiobotocoreTransport

    server.queue = [canned]

    async def check(client: Any) -> None:
        direct = AsyncDirectTransport(client)
        first = await async_outcome(direct, "GetItem", GET)
        assert direct.wire is not None, direct.unusable
        assert first == await async_outcome(AiobotocoreTransport(client), "GetItem", GET)

    run_async(server.url, check)


def test_async_refused_connection_was_never_sent() -> None:
    from ddbwrap.aio.direct import AsyncDirectTransport

    async def check(client: Any) -> Any:
        return await async_outcome(AsyncDirectTransport(client), "GetItem", GET)

    assert run_async("http://127.0.0.1:9", check)[:2] == ("attempt", "not_sent")


def test_async_gateway_defaults_to_direct(
    server: CannedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ddbwrap.aio import AsyncTableGateway
    from ddbwrap.aio.direct import AsyncDirectTransport
    from ddbwrap.aio.transport import AiobotocoreTransport

    monkeypatch.delenv("DDBWRAP_TRANSPORT", raising=False)

    async def check(client: Any) -> tuple[type, type]:
        default = AsyncTableGateway(client).transport
        botocore = AsyncTableGateway(client, transport="botocore").transport
        return type(default), type(botocore)

    assert run_async(server.url, check) == (AsyncDirectTransport, AiobotocoreTransport)


def test_async_calls_share_one_connection(server: CannedServer) -> None:
    from ddbwrap.aio.direct import AsyncDirectTransport

    server.queue = [answer({"Item": ITEM})]

    async def check(client: Any) -> int:
        direct = AsyncDirectTransport(client)
        for _ in range(3):
            await direct.call("GetItem", GET)
        assert direct._pool is not None
        return direct._pool.open_connections

    assert run_async(server.url, check) == 1
    assert len(server.requests) == 3


def test_calls_that_start_together_share_one_pool(server: CannedServer) -> None:
    from ddbwrap.aio.direct import AsyncDirectTransport

    server.queue = [answer({"Item": ITEM})]

    async def check(client: Any) -> int:
        direct = AsyncDirectTransport(client)
        await asyncio.gather(*(direct.call("GetItem", GET) for _ in range(8)))
        await asyncio.gather(*(direct.call("GetItem", GET) for _ in range(8)))
        assert direct._pool is not None
        return direct._pool.open_connections

    assert run_async(server.url, check, max_pool_connections=4) == 4
    assert len(server.requests) == 16


def test_closing_the_async_client_closes_its_direct_connections(server: CannedServer) -> None:
    from ddbwrap.aio.direct import AsyncDirectTransport

    server.queue = [answer({"Item": ITEM})]
    transports: list[AsyncDirectTransport] = []

    async def check(client: Any) -> None:
        transports.append(AsyncDirectTransport(client))
        await transports[0].call("GetItem", GET)

    run_async(server.url, check)
    pool = transports[0]._pool
    assert pool is not None and pool.open_connections == 0

    async def after() -> None:
        await pool.send(b"")

    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(after())


@pytest.mark.parametrize(("verify", "required"), [(None, "CERT_REQUIRED"), (False, "CERT_NONE")])
def test_async_tls_follows_the_clients_verify_setting(verify: bool | None, required: str) -> None:
    from ddbwrap.aio.direct import AsyncDirectTransport

    async def check(client: Any) -> Any:
        direct = AsyncDirectTransport(client)
        assert await direct._configure() is not None, direct.unusable
        assert direct._pool is not None
        return direct._pool.endpoint

    endpoint = run_async(None, check, verify=verify)
    assert (endpoint.host, endpoint.port) == ("dynamodb.eu-west-1.amazonaws.com", 443)
    assert endpoint.ssl.verify_mode.name == required
    assert endpoint.ssl.check_hostname is (verify is None)


def test_async_connections_follow_the_clients_config(server: CannedServer) -> None:
    from ddbwrap.aio.direct import AsyncDirectTransport

    async def check(client: Any) -> Any:
        direct = AsyncDirectTransport(client)
        await direct._configure()
        assert direct._pool is not None
        return direct._pool.endpoint

    endpoint = run_async(
        server.url,
        check,
        max_pool_connections=7,
        connect_timeout=3,
        read_timeout=9,
        connector_args={"keepalive_timeout": 5, "force_close": True},
    )
    assert (endpoint.limit, endpoint.connect_timeout, endpoint.read_timeout) == (7, 3, 9)
    assert (endpoint.keepalive_timeout, endpoint.reuse, endpoint.ssl) == (5, False, None)


def test_connector_args_it_cannot_reproduce_keep_aiobotocore(server: CannedServer) -> None:
    import aiohttp

    from ddbwrap.aio.direct import AsyncDirectTransport

    server.queue = [answer({"Item": ITEM})]

    async def check(client: Any) -> str:
        direct = AsyncDirectTransport(client)
        await direct.call("GetItem", GET)
        assert direct.wire is None
        return direct.unusable

    class Resolver(aiohttp.abc.AbstractResolver):
        async def resolve(self, host: str, port: int = 0, family: Any = 0) -> Any:
            raise AssertionError("not used: aiobotocore sends to 127.0.0.1")

        async def close(self) -> None:
            pass

    reason = run_async(server.url, check, connector_args={"resolver": Resolver()})
    assert "resolver" in reason
    assert len(server.requests) == 1  # sent by aiobotocore


def test_a_value_orjson_cannot_write_goes_through_botocore(
    client: Any, server: CannedServer
) -> None:
    server.queue = [answer({"Items": [], "Count": 0, "ScannedCount": 0})]
    direct, _ = both(client)
    direct.call("Scan", {"TableName": "things", "Limit": 2**70})
    assert json.loads(server.requests[0][1])["Limit"] == 2**70


@pytest.mark.parametrize(
    ("cause", "kind"),
    [
        ("reset after sending", "lost"),
        ("could not connect", "not_sent"),
    ],
)
def test_aiohttp_failures_aiobotocore_calls_unreachable_are_told_apart(
    cause: str, kind: str
) -> None:
    import aiohttp
    from botocore.exceptions import EndpointConnectionError

    from ddbwrap._engine.botocore import exception

    error: Exception = aiohttp.ClientOSError(104, "Connection reset by peer")
    if cause == "could not connect":
        error = aiohttp.ClientConnectorError(None, OSError(111, "refused"))  # type: ignore[arg-type]
    wrapped = EndpointConnectionError(endpoint_url="http://127.0.0.1:9/", error=error)
    failure = exception("PutItem", {"TableName": "things"}, wrapped)
    assert isinstance(failure, AttemptError) and failure.kind == kind


def test_credentials_are_asked_for_on_every_call(client: Any, server: CannedServer) -> None:
    from botocore.credentials import ReadOnlyCredentials

    class Rotating:
        """Stands in for refreshable credentials: new keys on every call."""

        def __init__(self) -> None:
            self.calls = 0

        def get_frozen_credentials(self) -> ReadOnlyCredentials:
            self.calls += 1
            return ReadOnlyCredentials(f"AKID{self.calls}", "secret", f"token{self.calls}")

    server.queue = [answer({})]
    direct, _ = both(client)
    direct.wire.credentials = Rotating()
    direct.call("GetItem", GET)
    direct.call("GetItem", GET)
    sent = [headers for headers, _ in server.requests]
    assert [h["Authorization"].split("/")[0] for h in sent] == [
        "AWS4-HMAC-SHA256 Credential=AKID1",
        "AWS4-HMAC-SHA256 Credential=AKID2",
    ]
    assert [h["X-Amz-Security-Token"] for h in sent] == ["token1", "token2"]


@pytest.mark.parametrize(("verify", "required"), [(None, "CERT_REQUIRED"), (False, "CERT_NONE")])
def test_tls_follows_the_clients_verify_setting(verify: bool | None, required: str) -> None:
    client = shared_session().client("dynamodb", verify=verify)
    direct = TableGateway(client, transport="direct").transport
    assert isinstance(direct, DirectTransport)
    assert direct.wire.url == "https://dynamodb.eu-west-1.amazonaws.com/"
    assert direct._connection().cert_reqs == required


def test_a_proxy_keeps_botocore() -> None:
    proxies = Config(proxies={"https": "http://127.0.0.1:3128"})
    client = shared_session().client("dynamodb", config=proxies)
    assert type(TableGateway(client).transport) is BotocoreTransport


def test_in_lambda_the_trace_id_is_sent_as_botocore_sends_it(
    server: CannedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "handler")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-abc;Parent=2")
    server.queue = [answer({})]
    direct, _ = both(make_client(server.url))
    direct.call("GetItem", GET)
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-def")  # the next invocation
    direct.call("GetItem", GET)
    assert [h["X-Amzn-Trace-Id"] for h, _ in server.requests] == [
        "Root=1-abc;Parent=2",
        "Root=1-def",
    ]


# --- Query and Scan answers read straight into models (the body reader) ------------------------


class Doc(DomainModel):
    pk: str
    sk: str
    n: int = 0
    tags: list[str] = Field(default_factory=list)

    class Meta:
        table_name = "docs"
        partition_key = "pk"
        sort_key = "sk"


DOC_CODEC = ItemCodec(Doc)
DOCS = [Doc(pk="p", sk=f"s{i}", n=i, tags=["a", "é😀"]) for i in range(3)]
QUERY = {
    "TableName": "docs",
    "KeyConditionExpression": "#pk = :pk",
    "ExpressionAttributeNames": {"#pk": "pk"},
    "ExpressionAttributeValues": {":pk": {"S": "p"}},
}


def doc_page(items: list[dict[str, Any]], **members: Any) -> Any:
    return answer({"Items": items, "Count": len(items), "ScannedCount": len(items), **members})


def reader() -> Any:
    read_body = body_reader(DOC_CODEC, refuse_guards=True)
    assert read_body is not None
    return read_body


def pages_decoded(reads: Any) -> list[type]:
    """What the read core decodes from now on, recorded by spies on ``reads``: the type of
    each page's items (``DecodedItems``: the body reader's), and of a batch read's found
    items (``tuple``: read by the body reader as ``(stored key, instance)`` pairs)."""
    decoded: list[type] = []
    core = reads._core
    decode_all, decoded_found = core.decode_all, core._decoded_found

    def page(raws: Any, *args: Any) -> Any:
        decoded.append(type(raws))
        return decode_all(raws, *args)

    def batch(found: Any, view: Any, read: Any) -> Any:
        decoded.extend({tuple if i in read else type(entry) for i, entry in found.items()})
        return decoded_found(found, view, read)

    core.decode_all, core._decoded_found = page, batch
    return decoded


def test_a_query_answer_read_by_the_body_reader_is_the_parsed_answer_with_models(
    client: Any, server: CannedServer
) -> None:
    last = {"pk": {"S": "p"}, "sk": {"B": base64.b64encode(b"\x01").decode()}}
    capacity = {"TableName": "docs", "CapacityUnits": 0.5}
    server.queue = [
        doc_page(
            [DOC_CODEC.encode(d) for d in DOCS],
            LastEvaluatedKey=last,
            ConsumedCapacity=capacity,
            Unknown=None,
        )
    ]
    direct, _ = both(client)

    parsed = direct.call("Query", QUERY)
    read = direct.call("Query", QUERY, items=reader())

    assert type(read["Items"]) is DecodedItems
    assert list(read["Items"]) == DOCS
    assert [DOC_CODEC.decode(raw) for raw in parsed.pop("Items")] == DOCS
    read.pop("Items")
    assert read == parsed  # the key's binary decoded, metadata, capacity: as parse_body has them
    assert read["LastEvaluatedKey"]["sk"] == {"B": b"\x01"}


def test_a_query_answer_the_reader_declines_comes_back_raw(
    client: Any, server: CannedServer
) -> None:
    odd = {**DOC_CODEC.encode(DOCS[0]), "n": {"S": "not a number"}}
    server.queue = [doc_page([odd])]
    direct, _ = both(client)

    read = direct.call("Query", QUERY, items=reader())

    assert read["Items"] == [odd]
    assert type(read["Items"]) is list


def test_an_unreadable_body_is_corrupt_with_a_reader_too(client: Any, server: CannedServer) -> None:
    server.queue = [answer(b"{not json")]
    direct, _ = both(client)

    with pytest.raises(AttemptError) as failed:
        direct.call("Query", QUERY, items=reader())

    assert failed.value.kind == "corrupt"


def test_reads_over_the_direct_transport_give_what_botocore_gives(
    client: Any, server: CannedServer
) -> None:
    guard = {
        "pk": {"S": "Doc#x#1"},
        "sk": {"S": "-"},
        "owner": {"S": "{}"},
        "owner_table": {"S": "docs"},
    }
    pages = {
        "ordinary": [DOC_CODEC.encode(d) for d in DOCS],
        "with a guard item": [DOC_CODEC.encode(DOCS[0]), guard],
        "with a corrupt item": [
            DOC_CODEC.encode(DOCS[0]),
            {"pk": {"S": "p"}, "sk": {"N": "1"}, "n": {"S": "x"}},
        ],
    }
    for name, items in pages.items():
        results = []
        for transport in ("direct", "botocore"):
            server.queue = [doc_page(items)]
            reads = ReadApi[Doc](TableGateway(client, transport=transport), cursor_secret="s" * 32)
            page = reads.query(pk="p", on_corrupt="skip")
            streamed = list(reads.query_all(pk="p", on_corrupt="skip"))
            results.append((page.items, len(page.corrupt), streamed))
        assert results[0] == results[1], name
        assert results[0][0] == tuple(DOCS[: len(results[0][0])]), name


def test_async_reads_over_the_direct_transport_take_the_body_reader(server: CannedServer) -> None:
    from ddbwrap.aio import AsyncReadApi, AsyncTableGateway

    server.queue = [doc_page([DOC_CODEC.encode(d) for d in DOCS])]

    async def check(client: Any) -> Any:
        reads = AsyncReadApi[Doc](AsyncTableGateway(client), cursor_secret="s" * 32)
        decoded = pages_decoded(reads)
        page = await reads.query(pk="p")
        return page.items, decoded

    items, decoded = run_async(server.url, check)
    assert items == tuple(DOCS)
    assert decoded == [DecodedItems]


def test_sync_reads_over_the_direct_transport_take_the_body_reader(
    client: Any, server: CannedServer
) -> None:
    server.queue = [doc_page([DOC_CODEC.encode(d) for d in DOCS])]
    reads = ReadApi[Doc](TableGateway(client, transport="direct"), cursor_secret="s" * 32)
    decoded = pages_decoded(reads)

    assert reads.query(pk="p").items == tuple(DOCS)
    assert list(reads.query_all(pk="p")) == DOCS
    assert decoded == [DecodedItems, DecodedItems]


def test_batch_gets_over_the_direct_transport_give_what_botocore_gives(
    client: Any, server: CannedServer
) -> None:
    guard = {"pk": {"S": "Doc#x#1"}, "sk": {"S": "-"}, "owner": {"S": "{}"}}
    guard["owner_table"] = {"S": "docs"}
    answers = {
        "ordinary": [DOC_CODEC.encode(d) for d in DOCS],
        "with a guard item": [DOC_CODEC.encode(DOCS[0]), guard],
        "with a corrupt item": [
            DOC_CODEC.encode(DOCS[0]),
            {"pk": {"S": "p"}, "sk": {"S": "s1"}, "n": {"S": "x"}},
        ],
        "a number spelled otherwise": [{**DOC_CODEC.encode(DOCS[2]), "n": {"N": "2.0"}}],
    }
    keys = [{"pk": "p", "sk": f"s{i}"} for i in (2, 0, 1, 0)]
    for name, items in answers.items():
        results = []
        for transport in ("direct", "botocore"):
            server.queue = [answer({"Responses": {"docs": items}, "UnprocessedKeys": {}})]
            reads = ReadApi[Doc](TableGateway(client, transport=transport))
            got = reads.batch_get(keys, on_corrupt="skip")
            results.append((got.results, got.missing, len(got.corrupt)))
        assert results[0] == results[1], name
    assert results[0][0] == (DOCS[2], None, None, None)  # the last answer: one item, re-spelled


def test_sync_batch_gets_over_the_direct_transport_take_the_body_reader(
    client: Any, server: CannedServer
) -> None:
    items = [DOC_CODEC.encode(d) for d in DOCS]
    server.queue = [answer({"Responses": {"docs": items}, "UnprocessedKeys": {}})]
    reads = ReadApi[Doc](TableGateway(client, transport="direct"))
    seen = pages_decoded(reads)

    got = reads.batch_get([{"pk": "p", "sk": f"s{i}"} for i in (1, 0, 2)])

    assert got.items == (DOCS[1], DOCS[0], DOCS[2])
    assert seen == [tuple]  # (identity, instance) pairs: no raw item built


def _get_outcome(reads: Any, key: dict[str, Any]) -> Any:
    """What a get returns, or its error's type and attributes."""
    try:
        return reads.get(**key)
    except ForeignItemError as exc:
        return type(exc), tuple(exc.attributes)
    except DdbwrapError as exc:
        return type(exc)


def test_gets_over_the_direct_transport_give_what_botocore_gives(
    client: Any, server: CannedServer
) -> None:
    guard = {"pk": {"S": "p"}, "sk": {"S": "s0"}, "owner": {"S": "{}"}, "owner_table": {"S": "d"}}
    answers = {
        "ordinary": DOC_CODEC.encode(DOCS[0]),
        "a guard item": guard,
        "a corrupt item": {"pk": {"S": "p"}, "sk": {"S": "s0"}, "n": {"S": "x"}},
        "a number spelled otherwise": {**DOC_CODEC.encode(DOCS[0]), "n": {"N": "0.0"}},
        "another sort key": DOC_CODEC.encode(DOCS[1]),
        "another partition": {**DOC_CODEC.encode(DOCS[0]), "pk": {"S": "q"}},
        "no item": None,
    }
    outcomes = {}
    for name, item in answers.items():
        results = []
        for transport in ("direct", "botocore"):
            server.queue = [answer({} if item is None else {"Item": item})]
            reads = ReadApi[Doc](TableGateway(client, transport=transport))
            results.append(_get_outcome(reads, {"pk": "p", "sk": "s0"}))
        assert results[0] == results[1], name
        outcomes[name] = results[0]
    assert outcomes["ordinary"] == outcomes["a number spelled otherwise"] == DOCS[0]
    assert outcomes["another sort key"] == (ForeignItemError, ("sk",))
    assert outcomes["another partition"] == (ForeignItemError, ("pk",))
    assert outcomes["no item"] is None


def test_sync_gets_over_the_direct_transport_take_the_body_reader(
    client: Any, server: CannedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.queue = [answer({"Item": DOC_CODEC.encode(DOCS[2])})]
    reads = ReadApi[Doc](TableGateway(client, transport="direct"))
    decoders = []
    item_decoder = reads._core.item_decoder
    monkeypatch.setattr(
        reads._core, "item_decoder", lambda view: decoders.append(view) or item_decoder(view)
    )

    assert reads.get(pk="p", sk="s2") == DOCS[2]
    assert decoders == []  # no raw item built and decoded


def test_async_gets_over_the_direct_transport_take_the_body_reader(
    server: CannedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.queue = [answer({"Item": DOC_CODEC.encode(DOCS[1])})]
    decoders: list[Any] = []

    async def check(client: Any) -> Any:
        from ddbwrap.aio import AsyncReadApi, AsyncTableGateway

        reads = AsyncReadApi[Doc](AsyncTableGateway(client))
        item_decoder = reads._core.item_decoder
        monkeypatch.setattr(
            reads._core, "item_decoder", lambda view: decoders.append(view) or item_decoder(view)
        )
        return await reads.get(pk="p", sk="s1")

    assert run_async(server.url, check) == DOCS[1]
    assert decoders == []


# --- the body reader's reads under faults: retried, then read from the body -------------------

PAGE_FAULTS = {
    "throttled": error_answer("ThrottlingException", "slow down"),
    "5xx": error_answer("InternalServerError", "oops", status=500),
    "empty body": answer(b""),
    "corrupt body": answer(b'{"Items": [{"pk": '),
    "checksum mismatch": answer({"Items": []}, crc=1),
    "lost response": (LOST, {}, b""),
    "timeout": (LATE, {}, b""),
}
RETRY = RetryPolicy(base_delay=0.0, max_delay=0.0, request_attempts=3)
KEYS = [{"pk": "p", "sk": f"s{i}"} for i in range(3)]


def good_answer(read: str) -> Any:
    items = [DOC_CODEC.encode(d) for d in DOCS]
    if read == "get":
        return answer({"Item": items[0]})
    if read == "batch_get":
        return answer({"Responses": {"docs": items}, "UnprocessedKeys": {}})
    return doc_page(items)


EXPECTED_DECODING: dict[str, list[type]] = {
    "query": [DecodedItems],
    "query_all": [DecodedItems],
    "batch_get": [tuple],
    "get": [],  # a get's item comes as one pair, no page (its reader use: tests above)
}
"""What ``pages_decoded`` records for each read taken by the body reader."""


def fault_config() -> Config:
    return Config(retries={"total_max_attempts": 1}, read_timeout=READ_TIMEOUT)


@pytest.mark.parametrize("read", ["query", "query_all", "batch_get", "get"])
@pytest.mark.parametrize("fault", PAGE_FAULTS)
def test_a_read_by_the_body_reader_is_retried_after_a_fault(
    server: CannedServer, fault: str, read: str
) -> None:
    server.queue = [PAGE_FAULTS[fault], good_answer(read)]
    client = shared_session().client("dynamodb", endpoint_url=server.url, config=fault_config())
    reads = ReadApi[Doc](TableGateway(client, retry=RETRY), cursor_secret="s" * 32)
    decoded = pages_decoded(reads)

    if read == "query":
        got = list(reads.query(pk="p").items)
    elif read == "query_all":
        got = list(reads.query_all(pk="p"))
    elif read == "get":
        got = [reads.get(**KEYS[0]), *DOCS[1:]]
    else:
        got = list(reads.batch_get(KEYS).items)

    assert got == DOCS
    assert len(server.requests) == 2
    assert decoded == EXPECTED_DECODING[read]


@pytest.mark.parametrize("read", ["query", "query_all", "batch_get", "get"])
@pytest.mark.parametrize("fault", PAGE_FAULTS)
def test_an_async_read_by_the_body_reader_is_retried_after_a_fault(
    server: CannedServer, fault: str, read: str
) -> None:
    from ddbwrap.aio import AsyncReadApi, AsyncTableGateway

    server.queue = [PAGE_FAULTS[fault], good_answer(read)]

    async def check(client: Any) -> tuple[list[Any], list[type]]:
        reads = AsyncReadApi[Doc](AsyncTableGateway(client, retry=RETRY), cursor_secret="s" * 32)
        decoded = pages_decoded(reads)
        if read == "query":
            got = list((await reads.query(pk="p")).items)
        elif read == "query_all":
            got = [item async for item in reads.query_all(pk="p")]
        elif read == "get":
            got = [await reads.get(**KEYS[0]), *DOCS[1:]]
        else:
            got = list((await reads.batch_get(KEYS)).items)
        return got, decoded

    got, decoded = run_async(server.url, check, read_timeout=READ_TIMEOUT)
    assert got == DOCS
    assert len(server.requests) == 2
    assert decoded == EXPECTED_DECODING[read]
