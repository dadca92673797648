"""The gateway's fast path (``ddbwrap.fastpath``) against botocore's own code, with no server.

Requests: the fast serializer must write exactly the bytes botocore's serializer writes, and
leave everything it does not vouch for to botocore (validation errors included). Responses: the
``before-parse`` hook must give exactly what botocore's parser gives. Errors, retries and the
CRC32 check run as before. Calls made on the client by anyone but a fast-path gateway are
untouched. Responses come from a ``before-send`` handler, so everything else in botocore runs.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.parsers
import botocore.serialize
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ParamValidationError
from hypothesis import given
from hypothesis import strategies as st

from ddbwrap import fastpath
from ddbwrap.errors import (
    ConditionFailedError,
    ServiceError,
    TableNotFoundError,
    ThrottledError,
    ValidationError,
)
from ddbwrap.gateway import TableGateway

# --- helpers -------------------------------------------------------------------------------------


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self._body


def response(
    body: dict[str, Any] | bytes, status: int = 200, crc: int | None = None
) -> tuple[int, dict[str, str], bytes]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    checksum = binascii.crc32(raw) & 0xFFFFFFFF if crc is None else crc
    headers = {
        "x-amzn-RequestId": "req-1",
        "x-amz-crc32": str(checksum),
        "Content-Type": "application/x-amz-json-1.0",
    }
    return status, headers, raw


class Server:
    """``before-send`` handler: answers with queued responses and keeps the requests."""

    def __init__(self) -> None:
        self.queue: list[tuple[int, dict[str, str], bytes]] = []
        self.requests: list[Any] = []

    def __call__(self, request: Any, **kwargs: Any) -> AWSResponse:
        self.requests.append(request)
        status, headers, body = self.queue.pop(0) if len(self.queue) > 1 else self.queue[0]
        return AWSResponse(request.url, status, headers, _Raw(body))


def make_client(attempts: int = 3) -> Any:
    session = boto3.session.Session(
        aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"
    )
    return session.client(
        "dynamodb",
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}),
    )


class _NoSleep:
    """Stands in for the ``time`` module of botocore.endpoint: retries without the waits."""

    @staticmethod
    def sleep(seconds: float) -> None:
        pass


@pytest.fixture(autouse=True)
def no_retry_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore.endpoint

    monkeypatch.setattr(botocore.endpoint, "time", _NoSleep)


@pytest.fixture
def server() -> Server:
    return Server()


@pytest.fixture
def client(server: Server) -> Any:
    client = make_client()
    client.meta.events.register("before-send.dynamodb", server, unique_id="test-server")
    return client


def gateways(client: Any) -> tuple[TableGateway, TableGateway]:
    return TableGateway(client, fast_path=True), TableGateway(client, fast_path=False)


def without_metadata(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k != "ResponseMetadata"}


SERVICE = make_client().meta.service_model
REFERENCE = botocore.serialize.create_serializer("json", include_validation=True)
PARSER = botocore.parsers.create_parser("json")


def botocore_parse(operation: str, body: bytes) -> Any:
    shape = SERVICE.operation_model(operation).output_shape
    return PARSER.parse({"body": body, "headers": {}, "status_code": 200}, shape)


def fast_parse(operation: str, body: bytes) -> Any:
    """What the hook makes of ``body`` (botocore's parse of the emptied body merged in)."""
    parsers = fastpath._compile_responses(SERVICE)
    shallow = fastpath._compile_responses(SERVICE, shallow=True)
    hook = fastpath._ParseHook(parsers[operation], shallow[operation])
    response_dict = {"body": body, "headers": {}, "status_code": 200}
    custom: dict[str, Any] = {}
    with fastpath.active():
        hook(response_dict=response_dict, customized_response_dict=custom)
    parsed = PARSER.parse(response_dict, SERVICE.operation_model(operation).output_shape)
    parsed.update(custom)
    return parsed


def fast_serialize(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    model = SERVICE.operation_model(operation)
    plans = fastpath._compile_requests(SERVICE)
    serializer = fastpath._FastSerializer(REFERENCE, plans)
    with fastpath.active():
        result: dict[str, Any] = serializer.serialize_to_request(params, model)
    return result


# --- AttributeValues for the properties -----------------------------------------------------------

names = st.text(min_size=1, max_size=8)
numbers = st.from_regex(r"-?[0-9]{1,5}(\.[0-9]{1,3})?", fullmatch=True)
scalars = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=20)),
    st.builds(lambda n: {"N": n}, numbers),
    st.builds(lambda b: {"B": b}, st.binary(max_size=20)),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda s: {"SS": sorted(s)}, st.sets(st.text(max_size=5), min_size=1, max_size=3)),
    st.builds(lambda s: {"NS": sorted(s)}, st.sets(numbers, min_size=1, max_size=3)),
    st.builds(lambda s: {"BS": sorted(s)}, st.sets(st.binary(max_size=5), min_size=1, max_size=3)),
)
attribute_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.builds(lambda m: {"M": m}, st.dictionaries(names, inner, max_size=3)),
        st.builds(lambda ls: {"L": ls}, st.lists(inner, max_size=3)),
    ),
    max_leaves=12,
)
items = st.dictionaries(names, attribute_values, min_size=1, max_size=6)


def to_json(value: Any) -> Any:
    """An AttributeValue structure as DynamoDB writes it in JSON (bytes as base64)."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    return value


# --- requests -------------------------------------------------------------------------------------


@given(item=items, key=items)
def test_fast_serializer_writes_botocore_bytes(item: dict[str, Any], key: dict[str, Any]) -> None:
    cases = {
        "PutItem": {"TableName": "table", "Item": item, "ReturnValues": "ALL_OLD"},
        "GetItem": {"TableName": "table", "Key": key, "ConsistentRead": True},
        "Query": {
            "TableName": "table",
            "KeyConditionExpression": "#k = :v",
            "ExpressionAttributeNames": {"#k": "k"},
            "ExpressionAttributeValues": {":v": next(iter(item.values()))},
            "ExclusiveStartKey": key,
            "Limit": 5,
        },
        "UpdateItem": {
            "TableName": "table",
            "Key": key,
            "UpdateExpression": "SET #a = :a",
            "ExpressionAttributeNames": {"#a": "a"},
            "ExpressionAttributeValues": {":a": next(iter(item.values()))},
        },
        "BatchWriteItem": {
            "RequestItems": {
                "table": [{"PutRequest": {"Item": item}}, {"DeleteRequest": {"Key": key}}]
            }
        },
        "TransactWriteItems": {
            "TransactItems": [
                {"Put": {"TableName": "table", "Item": item}},
                {"ConditionCheck": {"TableName": "t", "Key": key, "ConditionExpression": "x"}},
            ]
        },
    }
    for operation, params in cases.items():
        model = SERVICE.operation_model(operation)
        assert fast_serialize(operation, params) == REFERENCE.serialize_to_request(params, model)


@pytest.mark.parametrize(
    "params",
    [
        {"TableName": "table", "Key": {"k": {"N": 5}}},  # a number, not its text
        {"TableName": "table", "Key": {"k": {"S": "a"}}, "Bogus": 1},  # unknown parameter
        {"Key": {"k": {"S": "a"}}},  # no table
        {"TableName": "ta", "Key": {"k": {"S": "a"}}},  # table name too short
        {"TableName": "table", "Key": {"k": {"S": "a", "N": "1"}}},  # two tags (botocore: fine)
        {"TableName": "table", "Key": {"k": {"B": "text"}}},  # str as binary (botocore: fine)
        {"TableName": "table", "Key": {"k": {}}},  # empty AttributeValue (botocore: fine)
        {"TableName": "table", "Key": {"k": {"SS": {"a"}}}},  # a set, not a list
        {"TableName": "table", "Key": {"k": {"S": "a"}}, "ConsistentRead": "yes"},
    ],
)
def test_what_the_fast_path_does_not_vouch_for_goes_to_botocore(params: dict[str, Any]) -> None:
    model = SERVICE.operation_model("GetItem")
    try:
        expected: Any = REFERENCE.serialize_to_request(params, model)
    except ParamValidationError as exc:
        with pytest.raises(ParamValidationError) as caught:
            fast_serialize("GetItem", params)
        assert str(caught.value) == str(exc)
    else:
        assert fast_serialize("GetItem", params) == expected


def test_malformed_request_through_gateway_fails_as_before(client: Any, server: Server) -> None:
    server.queue = [response({})]
    for gateway in gateways(client):
        with pytest.raises(ValidationError, match="malformed and was not sent"):
            gateway.get_item({"TableName": "table", "Key": {"k": {"N": 5}}})
        with pytest.raises(ValidationError, match="Unknown parameter"):
            gateway.get_item({"TableName": "table", "Key": {"k": {"S": "a"}}, "Bogs": 1})
    assert server.requests == []


# --- responses ------------------------------------------------------------------------------------


@given(item=items, key=items)
def test_fast_parse_equals_botocore_for_every_read(
    item: dict[str, Any], key: dict[str, Any]
) -> None:
    raw_item, raw_key = to_json(item), to_json(key)
    capacity = {"TableName": "t", "CapacityUnits": 0.5, "Table": {"CapacityUnits": 1}}
    bodies = {
        "GetItem": {"Item": raw_item, "ConsumedCapacity": capacity},
        "Query": {"Items": [raw_item, raw_key], "Count": 2, "LastEvaluatedKey": raw_key},
        "Scan": {"Items": [raw_item], "Count": 1, "ScannedCount": 3},
        "BatchGetItem": {
            "Responses": {"t": [raw_item]},
            "UnprocessedKeys": {"t": {"Keys": [raw_key], "ProjectionExpression": "#a"}},
            "ConsumedCapacity": [capacity],
        },
        "TransactGetItems": {"Responses": [{"Item": raw_item}, {}]},
        "UpdateItem": {
            "Attributes": raw_item,
            "ItemCollectionMetrics": {
                "ItemCollectionKey": raw_key,
                "SizeEstimateRangeGB": [0, 1.5],
            },
        },
        "BatchWriteItem": {
            "UnprocessedItems": {
                "t": [{"PutRequest": {"Item": raw_item}}, {"DeleteRequest": {"Key": raw_key}}]
            }
        },
        "DeleteItem": {"Attributes": raw_item},
        "PutItem": {},
        "TransactWriteItems": {"ConsumedCapacity": [capacity]},
    }
    for operation, body in bodies.items():
        raw = json.dumps(body).encode()
        assert without_metadata(fast_parse(operation, raw)) == without_metadata(
            botocore_parse(operation, raw)
        ), operation


@pytest.mark.parametrize(
    "item",
    [
        {"a": {"B": "AAE="}, "b": {"S": None}},  # a null member next to a binary value
        {"a": {"BS": ["AAE=", None]}, "b": {"X": "new tag"}},
        {"a": {"M": {"b": {"B": "AAE="}, "c": None}}, "d": {"L": [None, {"B": "AQ=="}]}},
        {"a": {"B": "AAE=", "S": "two tags"}},
        {"B": {"S": "an attribute named B"}},
    ],
)
def test_fast_parse_of_oddities_equals_botocore(item: dict[str, Any]) -> None:
    body = json.dumps({"Item": item, "Unknown": 1, "ConsumedCapacity": None}).encode()
    assert without_metadata(fast_parse("GetItem", body)) == without_metadata(
        botocore_parse("GetItem", body)
    )


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"Item": {"a": {"B": "AAE"}}}'])
def test_bodies_the_hook_cannot_read_are_left_to_botocore(body: bytes) -> None:
    hook = fastpath._ParseHook(
        fastpath._compile_responses(SERVICE)["GetItem"],
        fastpath._compile_responses(SERVICE, shallow=True)["GetItem"],
    )
    response_dict = {"body": body, "headers": {}, "status_code": 200}
    custom: dict[str, Any] = {}
    with fastpath.active():
        hook(response_dict=response_dict, customized_response_dict=custom)
    assert response_dict["body"] == body
    assert custom == {}


def test_binary_values_come_back_as_bytes(client: Any, server: Server) -> None:
    item = {"k": {"S": "a"}, "b": {"B": "AAEC"}, "bs": {"BS": ["AA==", "/w=="]}, "n": {"N": "1.50"}}
    server.queue = [response({"Item": item})]
    fast, slow = gateways(client)
    got = fast.get_item({"TableName": "table", "Key": {"k": {"S": "a"}}})
    assert got["Item"] == {
        "k": {"S": "a"},
        "b": {"B": b"\x00\x01\x02"},
        "bs": {"BS": [b"\x00", b"\xff"]},
        "n": {"N": "1.50"},
    }
    assert without_metadata(got) == without_metadata(
        slow.get_item({"TableName": "table", "Key": {"k": {"S": "a"}}})
    )


# --- scope: only the gateway's own calls ----------------------------------------------------------


class BodySpy:
    """A ``before-parse`` handler registered after the hook: sees the body botocore parses."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, response_dict: dict[str, Any], **kwargs: Any) -> None:
        self.bodies.append(response_dict["body"])


def test_the_users_own_calls_on_the_same_client_are_untouched(client: Any, server: Server) -> None:
    server.queue = [response({"Item": {"k": {"S": "a"}, "b": {"B": "AAE="}}})]
    fast, _ = gateways(client)
    assert fastpath.installed(client)
    spy = BodySpy()
    client.meta.events.register_last("before-parse.dynamodb.GetItem", spy)
    fast.get_item({"TableName": "table", "Key": {"k": {"S": "a"}}})
    mine = client.get_item(TableName="table", Key={"k": {"S": "a"}})
    assert spy.bodies[0] == b""  # the gateway's: parsed by the hook
    assert spy.bodies[1] != b""  # the user's: parsed by botocore
    assert mine["Item"]["b"] == {"B": b"\x00\x01"}
    with pytest.raises(ParamValidationError):  # validation still on for the user's calls
        client.get_item(TableName="table", Key={"k": {"S": "a"}}, Bogus=1)
    assert fastpath._ACTIVE.get() is False


def test_requests_are_byte_identical_on_and_off(client: Any, server: Server) -> None:
    server.queue = [response({"Item": {"k": {"S": "a"}}})]
    fast, slow = gateways(client)
    params = {"TableName": "table", "Key": {"k": {"B": b"\x00"}}, "ConsistentRead": True}
    fast.get_item(params)
    slow.get_item(params)
    client.get_item(**params)
    a, b, c = server.requests
    assert a.body == b.body == c.body
    for header in ("User-Agent", "X-Amz-Target", "Content-Type"):
        assert a.headers[header] == b.headers[header] == c.headers[header], header


def test_switches(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(fastpath.FAST_PATH_ENV, "0")
    assert TableGateway(client).fast_path is False
    monkeypatch.setenv(fastpath.FAST_PATH_ENV, "1")
    assert TableGateway(client).fast_path is True
    monkeypatch.delenv(fastpath.FAST_PATH_ENV)
    assert TableGateway(client).fast_path is True
    assert TableGateway(client, fast_path=False).fast_path is False
    s3 = boto3.session.Session(
        aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"
    ).client("s3")
    assert fastpath.install(s3) is False
    assert fastpath.install(object()) is False


# --- errors, retries and the CRC32 check ----------------------------------------------------------


def error(code: str, message: str = "", **extra: Any) -> tuple[int, dict[str, str], bytes]:
    body = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message, **extra}
    return response(body, status=400)


def test_condition_failure_is_the_same_error(client: Any, server: Server) -> None:
    old = {"k": {"S": "a"}, "b": {"B": "AAE="}}
    server.queue = [error("ConditionalCheckFailedException", "failed", Item=old)]
    params = {
        "TableName": "table",
        "Item": {"k": {"S": "a"}},
        "ConditionExpression": "attribute_not_exists(k)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    caught = []
    for gateway in gateways(client):
        with pytest.raises(ConditionFailedError) as info:
            gateway.put_item(params)
        caught.append(info.value)
    assert str(caught[0]) == str(caught[1])
    assert caught[0].item == caught[1].item == {"k": {"S": "a"}, "b": {"B": b"\x00\x01"}}


def test_missing_table_is_the_same_error(client: Any, server: Server) -> None:
    server.queue = [error("ResourceNotFoundException", "Requested resource not found")]
    messages = []
    for gateway in gateways(client):
        with pytest.raises(TableNotFoundError) as info:
            gateway.query({"TableName": "table", "KeyConditionExpression": "k = :k"})
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_throttling_is_retried_then_succeeds(client: Any, server: Server) -> None:
    for gateway in gateways(client):
        server.requests.clear()
        server.queue = [
            error("ProvisionedThroughputExceededException", "slow down"),
            response({"Items": [{"b": {"B": "AAE="}}], "Count": 1}),
        ]
        page = gateway.query({"TableName": "table", "KeyConditionExpression": "k = :k"})
        assert page["Items"] == [{"b": {"B": b"\x00\x01"}}]
        assert len(server.requests) == 2  # ddbwrap re-sent it (botocore made one attempt each)


def test_throttling_that_outlives_the_retries(client: Any, server: Server) -> None:
    for gateway in gateways(client):
        server.requests.clear()
        server.queue = [error("ThrottlingException", "slow down")]
        with pytest.raises(ThrottledError):
            gateway.get_item({"TableName": "table", "Key": {"k": {"S": "a"}}})
        assert len(server.requests) == 3


def test_crc32_mismatch_is_detected_and_retried(client: Any, server: Server) -> None:
    good = response({"Item": {"k": {"S": "good"}}})
    bad = response({"Item": {"k": {"S": "bad!"}}}, crc=int(good[1]["x-amz-crc32"]))
    results = []
    for gateway in gateways(client):
        server.requests.clear()
        server.queue = [bad, good]
        results.append(gateway.get_item({"TableName": "table", "Key": {"k": {"S": "a"}}}))
        assert len(server.requests) == 2  # the corrupt body was not believed
    assert results[0]["Item"] == results[1]["Item"] == {"k": {"S": "good"}}
    # every attempt corrupt: the corrupt body is never used, on both paths
    for gateway in gateways(client):
        server.requests.clear()
        server.queue = [bad]
        with pytest.raises(ServiceError, match="CRC32"):
            gateway.get_item({"TableName": "table", "Key": {"k": {"S": "a"}}})
        assert len(server.requests) == 3


def test_the_switch_is_reset_after_an_error(client: Any, server: Server) -> None:
    server.queue = [error("ResourceNotFoundException")]
    fast, _ = gateways(client)
    with pytest.raises(TableNotFoundError):
        fast.get_item({"TableName": "table", "Key": {"k": {"S": "a"}}})
    assert fastpath._ACTIVE.get() is False


# --- items the codec encoded --------------------------------------------------------------


def test_an_item_the_codec_encoded_is_taken_without_a_second_walk() -> None:
    from ddbwrap.codec import EncodedItem

    trusted = EncodedItem({"pk": {"S": "a"}, "n": {"L": [{"N": "1"}]}})
    assert fastpath._check_item(trusted)


def test_a_plain_item_is_still_checked_value_by_value() -> None:
    assert fastpath._check_item({"pk": {"S": "a"}})
    assert not fastpath._check_item({"pk": {"S": 1}})
    assert not fastpath._check_item({"pk": {"L": [{"N": 1}]}})


def test_the_codec_returns_items_marked_as_encoded() -> None:
    from ddbwrap import DomainModel, ItemCodec
    from ddbwrap.codec import EncodedItem, size_upper_bound

    class Marked(DomainModel):
        pk: str
        tags: list[str]

        class Meta:
            table_name = "marked"
            partition_key = "pk"

    item = ItemCodec(Marked).encode(Marked(pk="a", tags=["x"]))
    assert type(item) is EncodedItem
    assert size_upper_bound(item) == size_upper_bound(dict(item))


def test_a_batch_write_request_around_an_encoded_item_is_taken_as_it_is() -> None:
    import boto3

    from ddbwrap.codec import EncodedItem, EncodedWrite, encoded_write

    model = boto3.client("dynamodb", region_name="us-east-1").meta.service_model
    check = fastpath._compile_requests(model)["BatchWriteItem"].check
    item = EncodedItem({"pk": {"S": "a"}})
    wrapped = encoded_write("PutRequest", "Item", item)
    plain = encoded_write("PutRequest", "Item", {"pk": {"S": 1}})  # not the codec's: checked

    assert type(wrapped) is EncodedWrite and type(plain) is dict
    assert check({"RequestItems": {"t": [wrapped]}})
    assert not check({"RequestItems": {"t": [plain]}})


# -- batch puts serialized as they are queued (the direct transport) ------------------------

_PUT = {
    "PutRequest": {"Item": {"pk": {"S": "a"}, "n": {"N": "1"}, "m": {"M": {"x": {"NULL": True}}}}}
}


def test_a_serialized_batch_put_is_sent_as_the_same_json_as_its_dict() -> None:
    write = fastpath.serialized_write(_PUT, {"pk": {"S": "a"}})
    assert isinstance(write, fastpath.SerializedWrite)
    body = {"RequestItems": {"t": [write, {"DeleteRequest": {"Key": {"pk": {"B": b"\x00"}}}}]}}
    expected = {"RequestItems": {"t": [_PUT, {"DeleteRequest": {"Key": {"pk": {"B": b"\x00"}}}}]}}
    assert fastpath.dumps(body) == fastpath.dumps(expected)


def test_a_batch_put_with_binary_values_stays_a_dict_until_it_is_sent() -> None:
    put = {"PutRequest": {"Item": {"pk": {"S": "a"}, "blob": {"B": b"\xff"}}}}
    assert fastpath.serialized_write(put, {"pk": {"S": "a"}}) is put


def test_a_leftover_equals_the_serialized_put_of_its_key_only() -> None:
    write = fastpath.serialized_write(_PUT, {"pk": {"S": "a"}})
    assert write == {"PutRequest": {"Item": {"pk": {"S": "a"}, "n": {"N": "1"}}}}
    assert write != {"PutRequest": {"Item": {"pk": {"S": "b"}, "n": {"N": "1"}}}}
    assert write != {"DeleteRequest": {"Key": {"pk": {"S": "a"}}}}


def test_a_batch_write_sent_through_botocore_gets_its_puts_back_as_dicts() -> None:
    write = fastpath.serialized_write(_PUT, {"pk": {"S": "a"}})
    delete = {"DeleteRequest": {"Key": {"pk": {"S": "b"}}}}
    params = {"RequestItems": {"t": [write, delete]}, "ReturnConsumedCapacity": "TOTAL"}
    assert fastpath.materialized(params) == {
        "RequestItems": {"t": [_PUT, delete]},
        "ReturnConsumedCapacity": "TOTAL",
    }
    plain = {"RequestItems": {"t": [delete]}}
    assert fastpath.materialized(plain) is plain
