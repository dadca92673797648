"""The gateway's fast path against AWS's DynamoDB Local: the same results and the same errors
with it on as off, for every read (binary attributes and sets included), the writes, a failed
condition, a missing table, throttling (injected: DynamoDB Local never throttles) and a CRC32
mismatch (injected into a real response).

The whole integration suite also runs with the fast path off: ``DDBWRAP_FAST_PATH=0``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from botocore.awsrequest import AWSResponse

from ddbwrap import DomainModel
from ddbwrap.errors import (
    AlreadyExistsError,
    ConditionFailedError,
    TableNotFoundError,
    ThrottledError,
)
from ddbwrap.expressions import Attr, Update
from ddbwrap.gateway import TableGateway
from ddbwrap.read import Get, ReadApi, View, transact_get
from ddbwrap.retry import RetryPolicy
from ddbwrap.write import WriteApi

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from ddbwrap.testing.plugin import TableFactory

pytestmark = pytest.mark.integration


class Blob(DomainModel):
    pk: str
    sk: int
    data: bytes
    chunks: set[bytes] = set()
    tags: set[str] = set()
    scores: set[int] = set()
    ratio: Decimal = Decimal("0.5")
    nested: dict[str, Any] = {}
    parts: list[Any] = []
    note: str | None = None

    class Meta:
        table_name = "fastpath_blobs"
        partition_key = "pk"
        sort_key = "sk"


class BlobView(View[Blob]):
    pk: str
    sk: int
    data: bytes
    chunks: set[bytes]


def blob(pk: str, sk: int) -> Blob:
    return Blob(
        pk=pk,
        sk=sk,
        data=bytes(range(sk % 7, 40)) + b"\x00\xff",
        chunks={b"\x00", bytes([sk % 256]) + b"chunk", b"\xff\xfe"},
        tags={"a", f"t{sk}"},
        scores={1, sk, 10**30},
        ratio=Decimal(sk) / 8,
        nested={"raw": b"\x01\x02", "deep": {"more": [b"x", 1, "s", None, True]}, "n": sk},
        parts=[b"\x00", {"k": b"v"}, [1, 2], "text"],
        note=None if sk % 2 else f"note {sk}",
    )


@pytest.fixture
def pair(ddb_client: DynamoDBClient, ddb_tables: TableFactory) -> tuple[TableGateway, TableGateway]:
    """Two gateways over the same client and tables: fast path on, and off."""
    gateway = ddb_tables(Blob)
    fast = TableGateway(ddb_client, table_prefix=gateway.table_prefix, fast_path=True)
    slow = TableGateway(ddb_client, table_prefix=gateway.table_prefix, fast_path=False)
    assert fast.fast_path and not slow.fast_path
    return fast, slow


@pytest.fixture
def stored(pair: tuple[TableGateway, TableGateway]) -> list[Blob]:
    fast, _ = pair
    items = [blob(pk, sk) for pk in ("p1", "p2") for sk in range(7)]
    writes = WriteApi[Blob](fast)
    for item in items:
        writes.create(item)
    return items


def without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def multi_get(gateway: TableGateway) -> list[Any]:
    gets = [Get(Blob, {"pk": "p1", "sk": 1}), Get(Blob, {"pk": "p2", "sk": 2}, view=BlobView)]
    snapshot = transact_get(gateway, gets)
    return [snapshot[g] for g in gets]


def test_typed_reads_are_the_same(
    pair: tuple[TableGateway, TableGateway], stored: list[Blob]
) -> None:
    results = []
    for gateway in pair:
        reads = ReadApi[Blob](gateway)
        keys = [{"pk": b.pk, "sk": b.sk} for b in stored] + [{"pk": "p1", "sk": 99}]
        results.append(
            {
                "get": reads.get(pk="p1", sk=3),
                "get view": reads.get(pk="p2", sk=4, view=BlobView),
                "missing": reads.get(pk="p1", sk=99),
                "batch": reads.batch_get(keys),
                "batch view": reads.batch_get(keys, view=BlobView),
                "transact": reads.transact_get(keys[:5]),
                "query": reads.query(pk="p1").items,
                "query desc view": reads.query(pk="p2", descending=True, view=BlobView).items,
                "query limit": reads.query(pk="p1", limit=3).items,
                "query all": list(reads.query_all(pk="p2", page_size=2)),
                "filtered": reads.query(pk="p1", filter=Attr("note").exists()).items,
                "scan": sorted(reads.scan().items, key=lambda b: (b.pk, b.sk)),
                "scan all": sorted(reads.scan_all(segments=2), key=lambda b: (b.pk, b.sk)),
                "count": reads.count(pk="p1"),
                "scan count": reads.scan_count(),
                "multi": multi_get(gateway),
            }
        )
    fast, slow = results
    assert fast == slow
    assert fast["get"] == stored[3]
    assert fast["get view"].data == stored[7 + 4].data
    assert list(fast["query"]) == stored[:7]
    assert isinstance(fast["get"].data, bytes)
    assert all(isinstance(c, bytes) for c in fast["get"].chunks)


def test_raw_responses_are_the_same(
    pair: tuple[TableGateway, TableGateway], stored: list[Blob]
) -> None:
    table = Blob.Meta.table_name
    key = {"pk": {"S": "p1"}, "sk": {"N": "2"}}
    query = {
        "TableName": table,
        "KeyConditionExpression": "#p = :p",
        "ExpressionAttributeNames": {"#p": "pk"},
        "ExpressionAttributeValues": {":p": {"S": "p2"}},
        "Limit": 4,
        "ReturnConsumedCapacity": "INDEXES",
    }
    responses = []
    for gateway in pair:
        responses.append(
            {
                "get": without_metadata(gateway.get_item({"TableName": table, "Key": key})),
                "query": without_metadata(gateway.query(query)),
                "scan": without_metadata(gateway.scan({"TableName": table, "Limit": 5})),
                "batch": gateway.batch_get({table: {"Keys": [key]}}),
                "transact": without_metadata(
                    gateway.transact_get([{"Get": {"TableName": table, "Key": key}}])
                ),
            }
        )
    assert responses[0] == responses[1]
    item = responses[0]["get"]["Item"]
    assert isinstance(item["data"]["B"], bytes)
    assert all(isinstance(b, bytes) for b in item["chunks"]["BS"])
    assert isinstance(item["scores"]["NS"][0], str)  # numbers stay text
    assert responses[0]["query"]["LastEvaluatedKey"] == {"pk": {"S": "p2"}, "sk": {"N": "3"}}


def test_writes_are_the_same(pair: tuple[TableGateway, TableGateway]) -> None:
    outcomes = []
    for n, gateway in enumerate(pair):
        writes = WriteApi[Blob](gateway)
        pk = f"w{n}"
        created = writes.create(blob(pk, 1))
        put = writes.put(blob(pk, 2).model_copy(update={"note": "put"}))
        updated = writes.update(
            {"pk": pk, "sk": 1},
            Update().set("data", b"\x00new").add("chunks", {b"\x09"}).increment("ratio", 2),
        )
        deleted = writes.delete({"pk": pk, "sk": 2}, return_old=True)
        with writes.batch() as batch:
            for sk in range(10, 40):
                batch.put(blob(pk, sk))
        outcomes.append(
            [
                m.model_dump(exclude={"pk"}) if m is not None else None
                for m in (created, put, updated, deleted)
            ]
            + [len(ReadApi[Blob](gateway).query(pk=pk).items)]
        )
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][2]["data"] == b"\x00new"
    assert outcomes[0][4] == 31


def test_failed_conditions_are_the_same_errors(
    pair: tuple[TableGateway, TableGateway], stored: list[Blob]
) -> None:
    messages = []
    for gateway in pair:
        writes = WriteApi[Blob](gateway)
        with pytest.raises(AlreadyExistsError) as exists:
            writes.create(stored[0])
        with pytest.raises(ConditionFailedError) as failed:
            writes.update(
                {"pk": "p1", "sk": 1}, Update().set("note", "x"), condition=Attr("sk") == 5
            )
        raw = gateway.put_item(
            {"TableName": Blob.Meta.table_name, "Item": {"pk": {"S": "raw"}, "sk": {"N": "1"}}}
        )
        with pytest.raises(ConditionFailedError) as raw_failed:
            gateway.put_item(
                {
                    "TableName": Blob.Meta.table_name,
                    "Item": {"pk": {"S": "raw"}, "sk": {"N": "1"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            )
        messages.append(
            (str(exists.value), str(failed.value), str(raw_failed.value), raw_failed.value.item)
        )
        assert without_metadata(raw) == {}
    assert messages[0] == messages[1]
    assert messages[0][3] == {"pk": {"S": "raw"}, "sk": {"N": "1"}}


def test_a_missing_table_is_the_same_error(ddb_client: DynamoDBClient) -> None:
    messages = []
    for fast in (True, False):
        gateway = TableGateway(ddb_client, table_prefix="no-such-prefix-", fast_path=fast)
        with pytest.raises(TableNotFoundError) as missing:
            ReadApi[Blob](gateway).get(pk="p", sk=1)
        with pytest.raises(TableNotFoundError) as missing_query:
            ReadApi[Blob](gateway).query(pk="p")
        messages.append((str(missing.value), str(missing_query.value)))
    assert messages[0] == messages[1]


# --- faults injected into the real exchange ------------------------------------------------------


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self._body


@contextmanager
def before_send(client: Any, handler: Any) -> Iterator[None]:
    events = client.meta.events
    events.register("before-send.dynamodb", handler, unique_id="fastpath-fault")
    try:
        yield
    finally:
        events.unregister("before-send.dynamodb", unique_id="fastpath-fault")


class Throttle:
    """Answers the first ``times`` requests with a throttling error (botocore retries them)."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.calls = 0

    def __call__(self, request: Any, **kwargs: Any) -> AWSResponse | None:
        self.calls += 1
        if self.calls > self.times:
            return None  # a real request to DynamoDB Local
        body = (
            b'{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",'
            b'"message":"slow down"}'
        )
        return AWSResponse(request.url, 400, {"x-amzn-RequestId": "t"}, _Raw(body))


class CorruptCrc:
    """Sends the real request, then spoils the first ``times`` responses' x-amz-crc32."""

    def __init__(self, client: Any, times: int) -> None:
        self.session = client._endpoint.http_session
        self.times = times
        self.calls = 0

    def __call__(self, request: Any, **kwargs: Any) -> AWSResponse:
        self.calls += 1
        real = self.session.send(request)
        if self.calls > self.times:
            return real
        headers = dict(real.headers.items())
        assert "x-amz-crc32" in {k.lower() for k in headers}
        headers = {k: v for k, v in headers.items() if k.lower() != "x-amz-crc32"}
        headers["x-amz-crc32"] = "12345"
        return AWSResponse(real.url, real.status_code, headers, _Raw(real.content))


class _NoSleep:
    """Stands in for the ``time`` module of botocore.endpoint: retries without the waits."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def test_throttling_is_retried_the_same_way(
    ddb_client: DynamoDBClient,
    pair: tuple[TableGateway, TableGateway],
    stored: list[Blob],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_sleep = _NoSleep()  # ddbwrap retries its own calls: its policy's sleep is the one used
    attempts = ddb_client.meta.config.retries["total_max_attempts"]  # type: ignore[typeddict-item]
    found = []
    for both in pair:
        gateway = TableGateway(
            ddb_client,
            table_prefix=both.table_prefix,
            fast_path=both.fast_path,
            retry=RetryPolicy(sleep=no_sleep.sleep),
        )
        reads = ReadApi[Blob](gateway)
        throttle = Throttle(attempts - 1)  # the last attempt gets through
        with before_send(ddb_client, throttle):
            found.append(reads.query(pk="p1").items)
        assert throttle.calls == attempts
        always = Throttle(10**6)
        with before_send(ddb_client, always), pytest.raises(ThrottledError):
            reads.get(pk="p1", sk=1)
        assert always.calls == attempts
    assert list(found[0]) == list(found[1]) == stored[:7]
    assert len(no_sleep.sleeps) == 4 * (attempts - 1)


def test_a_crc32_mismatch_is_detected_and_retried(
    ddb_client: DynamoDBClient, pair: tuple[TableGateway, TableGateway], stored: list[Blob]
) -> None:
    found = []
    for gateway in pair:
        reads = ReadApi[Blob](gateway)
        corrupt = CorruptCrc(ddb_client, 1)
        with before_send(ddb_client, corrupt):
            found.append((reads.get(pk="p2", sk=5), reads.batch_get([{"pk": "p1", "sk": 6}])))
        assert corrupt.calls == 2 + 1  # the get was sent twice, the batch once
    assert found[0] == found[1]
    assert found[0][0] == stored[7 + 5]


def test_the_users_own_calls_keep_botocores_path(
    ddb_client: DynamoDBClient, pair: tuple[TableGateway, TableGateway], stored: list[Blob]
) -> None:
    bodies: list[bytes] = []

    def spy(response_dict: dict[str, Any], **kwargs: Any) -> None:
        bodies.append(response_dict["body"])

    fast, _ = pair
    events = ddb_client.meta.events
    events.register_last("before-parse.dynamodb.GetItem", spy, unique_id="fastpath-spy")
    try:
        table = fast.physical_table_name(Blob.Meta.table_name)
        key = {"pk": {"S": "p1"}, "sk": {"N": "0"}}
        via_gateway = fast.get_item({"TableName": Blob.Meta.table_name, "Key": key})
        mine = ddb_client.get_item(TableName=table, Key=key)  # type: ignore[arg-type]
    finally:
        events.unregister("before-parse.dynamodb.GetItem", unique_id="fastpath-spy")
    assert bodies[0] == b"" and bodies[1] != b""
    assert without_metadata(via_gateway) == without_metadata(dict(mine))


def test_many_threads_share_one_client(
    pair: tuple[TableGateway, TableGateway], stored: list[Blob]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    fast, slow = pair
    reads = [ReadApi[Blob](fast), ReadApi[Blob](slow)]

    def read(n: int) -> Blob | None:
        return reads[n % 2].get(pk="p1", sk=n % 7)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(read, range(40)))
    assert results == [stored[n % 7] for n in range(40)]
    assert list(itertools.islice(results, 2)) == stored[:2]
