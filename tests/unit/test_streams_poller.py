"""``StreamPoller`` against a scripted Streams API: shard lineage (parents first), Lambda's
checkpoint rule after a failure, expired iterators, DescribeStream paging, and the errors."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from ddbwrap import DomainModel, TableGateway
from ddbwrap.errors import ServiceError, ValidationError
from ddbwrap.streams import Change, StreamPoller, StreamRouter
from ddbwrap.testing import ScriptedTransport
from ddbwrap.testing.scripted import respond

ARN = "arn:aws:dynamodb:ddblocal:000000000000:table/pre-notes/stream/2026-11-22T09:30:00.000"


class Note(DomainModel):
    note_id: str
    text: str

    class Meta:
        table_name = "notes"
        partition_key = "note_id"
        stream = "NEW_IMAGE"


def record(sequence: int, note_id: str = "n1") -> dict[str, Any]:
    return {
        "eventID": f"e{sequence}",
        "eventName": "INSERT" if sequence == 1 else "MODIFY",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": {"note_id": {"S": note_id}},
            "NewImage": {"note_id": {"S": note_id}, "text": {"S": f"v{sequence}"}},
            "SequenceNumber": f"{sequence:021d}",
            "StreamViewType": "NEW_IMAGE",
        },
    }


class FakeStreams:
    """DescribeStream / GetShardIterator / GetRecords over fixed shards; iterators are
    ``shard|position``; every call is logged."""

    def __init__(self, shards: dict[str, tuple[str | None, list[int], bool]], page: int = 10):
        self.shards = shards  # id -> (parent, sequence numbers, closed)
        self.page = page
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.expire_next = False
        self.describe_page = 100

    def describe_stream(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("DescribeStream", params))
        ids = list(self.shards)  # in the order given: a test may list a child first
        start = params.get("ExclusiveStartShardId")
        if start:
            ids = ids[ids.index(start) + 1 :]
        page, rest = ids[: self.describe_page], ids[self.describe_page :]
        shards = []
        for shard_id in page:
            parent = self.shards[shard_id][0]
            shards.append({"ShardId": shard_id, **({"ParentShardId": parent} if parent else {})})
        description: dict[str, Any] = {"StreamArn": params["StreamArn"], "Shards": shards}
        if rest:
            description["LastEvaluatedShardId"] = page[-1]
        return {"StreamDescription": description}

    def get_shard_iterator(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("GetShardIterator", params))
        shard_id = params["ShardId"]
        sequences = self.shards[shard_id][1]
        kind = params["ShardIteratorType"]
        if kind == "TRIM_HORIZON":
            position = 0
        elif kind == "LATEST":
            position = len(sequences)
        else:
            wanted = int(params["SequenceNumber"])
            position = sequences.index(wanted) + (kind == "AFTER_SEQUENCE_NUMBER")
        return {"ShardIterator": f"{shard_id}|{position}"}

    def get_records(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("GetRecords", params))
        if self.expire_next:
            self.expire_next = False
            raise ClientError(
                {"Error": {"Code": "ExpiredIteratorException", "Message": "expired"}},
                "GetRecords",
            )
        shard_id, position = params["ShardIterator"].split("|")
        _, sequences, closed = self.shards[shard_id]
        start = int(position)
        chosen = sequences[start : start + min(self.page, params["Limit"])]
        end = start + len(chosen)
        response: dict[str, Any] = {"Records": [record(s) for s in chosen]}
        if not (closed and end >= len(sequences)):
            response["NextShardIterator"] = f"{shard_id}|{end}"
        return response

    def count(self, operation: str) -> int:
        return sum(1 for name, _ in self.calls if name == operation)


def gateway(stream: bool = True) -> TableGateway:
    transport = ScriptedTransport()
    table: dict[str, Any] = {"TableName": "pre-notes"}
    if stream:
        table["LatestStreamArn"] = ARN
        table["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    transport.script("DescribeTable", respond({"Table": table}))
    return TableGateway(transport, table_prefix="pre-")


def router(fail_at: set[int] | None = None) -> tuple[StreamRouter, list[int]]:
    router = StreamRouter(table_prefix="pre-")
    seen: list[int] = []

    @router.on(Note)
    def handle(change: Change[Note]) -> None:
        sequence = int(change.sequence_number)
        if fail_at and sequence in fail_at:
            fail_at.discard(sequence)  # fails once, like a transient outage
            raise RuntimeError("transient")
        seen.append(sequence)

    return router, seen


def test_parents_are_read_before_their_children_and_each_record_once() -> None:
    streams = FakeStreams(
        {
            "shard-b": ("shard-a", [4, 5], False),  # the child, listed first
            "shard-a": (None, [1, 2, 3], True),  # its parent, closed
        },
        page=2,
    )
    poller = StreamPoller(gateway(), [Note], client=streams)
    route, seen = router()
    results = poller.drain(route)
    assert seen == [1, 2, 3, 4, 5]
    assert all(r.response == {"batchItemFailures": []} for r in results)
    assert poller.drain(route) == [] and seen == [1, 2, 3, 4, 5]
    first_child_read = next(
        i
        for i, (name, params) in enumerate(streams.calls)
        if name == "GetRecords" and params["ShardIterator"].startswith("shard-b")
    )
    parent_reads = [
        i
        for i, (name, params) in enumerate(streams.calls)
        if name == "GetRecords" and params["ShardIterator"].startswith("shard-a")
    ]
    assert max(parent_reads) < first_child_read


def test_a_failed_record_and_the_ones_after_it_come_again() -> None:
    streams = FakeStreams({"shard-a": (None, [1, 2, 3, 4], False)})
    poller = StreamPoller(gateway(), ["notes"], client=streams)
    route, seen = router(fail_at={2})
    first = poller.feed(route)
    assert [r.response for r in first] == [{"batchItemFailures": [{"itemIdentifier": f"{2:021d}"}]}]
    assert first[0].not_processed == (f"{3:021d}", f"{4:021d}")
    assert seen == [1]
    poller.feed(route)
    assert seen == [1, 2, 3, 4]  # from the failed record on: 1 is not delivered again
    restart = [p for name, p in streams.calls if name == "GetShardIterator"][-1]
    assert restart["ShardIteratorType"] == "AT_SEQUENCE_NUMBER"
    assert restart["SequenceNumber"] == f"{2:021d}"


def test_drain_stops_at_a_failure() -> None:
    streams = FakeStreams({"shard-a": (None, [1, 2, 3], False)}, page=1)
    poller = StreamPoller(gateway(), [Note], client=streams)
    route, seen = router(fail_at={2})
    results = poller.drain(route)
    assert [bool(r.failures) for r in results] == [False, True]
    assert seen == [1]
    poller.drain(route)
    assert seen == [1, 2, 3]


def test_an_expired_iterator_is_renewed_after_the_last_record() -> None:
    streams = FakeStreams({"shard-a": (None, [1, 2, 3], False)}, page=2)
    poller = StreamPoller(gateway(), [Note], client=streams)
    assert [r["dynamodb"]["SequenceNumber"][-1] for r in poller.poll()[0].records] == ["1", "2"]
    streams.expire_next = True
    (batch,) = poller.poll()
    assert [r["dynamodb"]["SequenceNumber"][-1] for r in batch.records] == ["3"]
    renewed = [p for name, p in streams.calls if name == "GetShardIterator"][-1]
    assert renewed["ShardIteratorType"] == "AFTER_SEQUENCE_NUMBER"


def test_describe_stream_is_paged_and_latest_starts_at_the_end() -> None:
    streams = FakeStreams({"shard-a": (None, [1, 2], False), "shard-b": (None, [3], False)})
    streams.describe_page = 1
    poller = StreamPoller(gateway(), [Note], client=streams, start="LATEST")
    assert poller.poll() == []
    assert {p["ShardId"] for n, p in streams.calls if n == "GetShardIterator"} == {
        "shard-a",
        "shard-b",
    }
    assert streams.count("DescribeStream") == 2
    assert poller.records() == []


def test_records_returns_everything_available() -> None:
    streams = FakeStreams({"shard-a": (None, [1, 2, 3], False)}, page=1)
    poller = StreamPoller(gateway(), [Note], client=streams)
    assert [r["eventID"] for r in poller.records()] == ["e1", "e2", "e3"]
    assert poller.stream_arn("notes") == ARN


def test_a_table_without_a_stream() -> None:
    poller = StreamPoller(gateway(stream=False), [Note], client=FakeStreams({}))
    with pytest.raises(ValidationError, match=r"Meta\.stream"):
        poller.poll()


def test_other_streams_errors_are_ddbwrap_errors() -> None:
    class Broken(FakeStreams):
        def get_records(self, **params: Any) -> dict[str, Any]:
            raise ClientError(
                {"Error": {"Code": "TrimmedDataAccessException", "Message": "trimmed"}},
                "GetRecords",
            )

    poller = StreamPoller(gateway(), [Note], client=Broken({"shard-a": (None, [1], False)}))
    with pytest.raises(ServiceError) as caught:
        poller.poll()
    assert caught.value.aws_code == "TrimmedDataAccessException"


def test_bad_arguments() -> None:
    with pytest.raises(ValidationError, match="start"):
        StreamPoller(gateway(), [Note], client=object(), start="AT_TIMESTAMP")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="limit"):
        StreamPoller(gateway(), [Note], client=object(), limit=0)
    with pytest.raises(ValidationError, match="at least one table"):
        StreamPoller(gateway(), [], client=object())
    with pytest.raises(ValidationError, match="boto3 client"):
        StreamPoller(gateway(), [Note])  # a scripted transport has no client to copy
