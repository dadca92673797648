"""``StreamPoller``: read a table's stream through the DynamoDB Streams API (DescribeStream,
GetShardIterator, GetRecords), for tests and local runs, on DynamoDB Local or AWS.

It feeds the same ``StreamRouter`` a Lambda function uses, with Lambda's checkpoint rule: after
a batch whose record ``seq`` failed, the shard is read again from ``seq`` (``AT_SEQUENCE_NUMBER``),
so a failed record and the ones after it are delivered again, and the ones before it are not.
Shards are read parents first (a child shard only once its parent is exhausted), so the records
of one item are seen in order. Positions live in memory: a new poller starts over from
``start`` (``TRIM_HORIZON``: everything the stream still holds, or ``LATEST``).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from .._engine.translate import translate_error
from ..errors import ServiceError, ValidationError
from ..gateway import TableGateway
from ..model import schema_of
from .router import RouterResult, StreamRouter

StartingPosition = Literal["TRIM_HORIZON", "LATEST"]
MAX_LIMIT = 1000


@dataclass(frozen=True)
class ShardBatch:
    """The records one GetRecords call returned for one shard (botocore's form)."""

    table: str
    stream_arn: str
    shard_id: str
    records: list[dict[str, Any]]


@dataclass
class _Shard:
    shard_id: str
    parent_id: str | None
    iterator: str | None = None
    last_sequence: str | None = None
    restart_at: str | None = None
    """Read again from this sequence number (a failed record) at the next poll."""
    exhausted: bool = False


@dataclass
class _Stream:
    table: str
    arn: str
    shards: dict[str, _Shard] = field(default_factory=dict)


class StreamPoller:
    """Polls the streams of some tables; ``tables`` are logical names or models."""

    def __init__(
        self,
        gateway: TableGateway,
        tables: Sequence[str | type[Any]],
        *,
        client: Any = None,
        start: StartingPosition = "TRIM_HORIZON",
        limit: int = MAX_LIMIT,
    ) -> None:
        """``client``: a boto3 ``dynamodbstreams`` client; by default one is made for the
        gateway's endpoint and region (with the same credentials when the endpoint is not
        AWS's, since DynamoDB Local picks its database by access key and region)."""
        if start not in ("TRIM_HORIZON", "LATEST"):
            raise ValidationError("start must be 'TRIM_HORIZON' or 'LATEST'")
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationError(f"limit must be 1..{MAX_LIMIT}, got {limit}")
        self.gateway = gateway
        self.tables = tuple(t if isinstance(t, str) else schema_of(t).table_name for t in tables)
        if not self.tables:
            raise ValidationError("StreamPoller needs at least one table (a name or a model)")
        self.client = client if client is not None else streams_client_for(gateway)
        self.start = start
        self.limit = limit
        self._streams: dict[str, _Stream] = {}

    # -- reading -----------------------------------------------------------------------------

    def poll(self) -> list[ShardBatch]:
        """One GetRecords for every readable shard; batches that hold records, in table and
        shard order (parents before children)."""
        batches: list[ShardBatch] = []
        for table in self.tables:
            stream = self._stream(table)
            self._refresh(stream)
            for shard in self._readable(stream):
                records = self._get_records(stream, shard)
                if records:
                    batches.append(ShardBatch(table, stream.arn, shard.shard_id, records))
        return batches

    def feed(self, router: StreamRouter) -> list[RouterResult]:
        """One round: poll, hand each shard's batch to ``router``, and rewind a shard whose
        batch failed to its failed record (as Lambda does with a partial batch response)."""
        results: list[RouterResult] = []
        for batch in self.poll():
            result = router.process(
                batch.records, stream_arn=batch.stream_arn, shard=batch.shard_id
            )
            results.append(result)
            if result.failures:
                self.rewind(batch.table, batch.shard_id, result.failures[0].sequence_number)
        return results

    def drain(self, router: StreamRouter, *, max_rounds: int = 100) -> list[RouterResult]:
        """``feed`` until a round brings no records, or one fails (the failed records stay
        for the next call), or ``max_rounds`` rounds ran."""
        results: list[RouterResult] = []
        for _ in range(max_rounds):
            round_results = self.feed(router)
            results.extend(round_results)
            if not round_results or any(r.failures for r in round_results):
                break
        return results

    def records(self, *, max_rounds: int = 100) -> list[dict[str, Any]]:
        """Every record available now, raw (botocore's form), polled until a round is empty."""
        out: list[dict[str, Any]] = []
        for batches in self._rounds(max_rounds):
            for batch in batches:
                out.extend(batch.records)
        return out

    def batches(self, *, max_rounds: int = 100) -> Iterator[ShardBatch]:
        """Every batch available now, polled until a round is empty."""
        for batches in self._rounds(max_rounds):
            yield from batches

    def rewind(self, table: str, shard_id: str, sequence_number: str) -> None:
        """Read ``shard_id`` again from ``sequence_number`` (inclusive) at the next poll."""
        shard = self._stream(table).shards[shard_id]
        shard.restart_at = sequence_number
        shard.iterator = None
        shard.exhausted = False

    def stream_arn(self, table: str) -> str:
        """The ARN of the table's latest stream."""
        return self._stream(table).arn

    # -- internals ---------------------------------------------------------------------------

    def _rounds(self, max_rounds: int) -> Iterator[list[ShardBatch]]:
        for _ in range(max_rounds):
            batches = self.poll()
            if not batches:
                return
            yield batches

    def _stream(self, table: str) -> _Stream:
        stream = self._streams.get(table)
        if stream is None:
            description = self.gateway.describe_table(table).get("Table", {})
            arn = description.get("LatestStreamArn")
            enabled = (description.get("StreamSpecification") or {}).get("StreamEnabled")
            if not arn or enabled is False:
                raise ValidationError(
                    f"table {self.gateway.physical_table_name(table)!r} has no stream; declare "
                    "Meta.stream (e.g. 'NEW_AND_OLD_IMAGES') and create the table again, or "
                    "enable a stream on it"
                )
            stream = self._streams[table] = _Stream(table, arn)
        return stream

    def _refresh(self, stream: _Stream) -> None:
        start: str | None = None
        while True:
            params: dict[str, Any] = {"StreamArn": stream.arn}
            if start:
                params["ExclusiveStartShardId"] = start
            description = self._call("DescribeStream", stream, params)["StreamDescription"]
            for shard in description.get("Shards", ()):
                shard_id = shard["ShardId"]
                if shard_id not in stream.shards:
                    stream.shards[shard_id] = _Shard(shard_id, shard.get("ParentShardId"))
            start = description.get("LastEvaluatedShardId")
            if not start:
                return

    def _readable(self, stream: _Stream) -> list[_Shard]:
        """Shards not exhausted whose parent (if this poller knows it) is exhausted."""
        shards = stream.shards
        return [
            shard
            for shard in shards.values()
            if not shard.exhausted
            and (shard.parent_id not in shards or shards[shard.parent_id].exhausted)
        ]

    def _get_records(self, stream: _Stream, shard: _Shard) -> list[dict[str, Any]]:
        if shard.iterator is None:
            shard.iterator = self._iterator(stream, shard)
        try:
            response = self._call(
                "GetRecords", stream, {"ShardIterator": shard.iterator, "Limit": self.limit}
            )
        except ServiceError as exc:
            if exc.aws_code != "ExpiredIteratorException":
                raise
            shard.iterator = self._iterator(stream, shard)
            response = self._call(
                "GetRecords", stream, {"ShardIterator": shard.iterator, "Limit": self.limit}
            )
        records: list[dict[str, Any]] = list(response.get("Records", ()))
        if records:
            shard.last_sequence = records[-1]["dynamodb"]["SequenceNumber"]
        shard.iterator = response.get("NextShardIterator")
        if shard.iterator is None:
            shard.exhausted = True
        return records

    def _iterator(self, stream: _Stream, shard: _Shard) -> str:
        params: dict[str, Any] = {"StreamArn": stream.arn, "ShardId": shard.shard_id}
        if shard.restart_at is not None:
            params.update(ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=shard.restart_at)
            shard.restart_at = None
        elif shard.last_sequence is not None:
            params.update(
                ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=shard.last_sequence
            )
        elif shard.parent_id in stream.shards:
            params["ShardIteratorType"] = "TRIM_HORIZON"  # a child: all of it, after the parent
        else:
            params["ShardIteratorType"] = self.start
        iterator: str = self._call("GetShardIterator", stream, params)["ShardIterator"]
        return iterator

    def _call(self, operation: str, stream: _Stream, params: dict[str, Any]) -> dict[str, Any]:
        method = getattr(self.client, _SNAKE[operation])
        try:
            response: dict[str, Any] = method(**params)
        except (ClientError, BotoCoreError) as exc:
            raise translate_error(
                exc,
                operation=operation,
                table=self.gateway.physical_table_name(stream.table),
                endpoint=str(getattr(getattr(self.client, "meta", None), "endpoint_url", "")),
            ) from exc
        return response


_SNAKE = {
    "DescribeStream": "describe_stream",
    "GetShardIterator": "get_shard_iterator",
    "GetRecords": "get_records",
}


def streams_client_for(gateway: TableGateway) -> Any:
    """A ``dynamodbstreams`` client for the gateway's DynamoDB endpoint and region.

    On AWS the Streams API has its own endpoint (``streams.dynamodb.<region>.amazonaws.com``),
    which boto3 picks itself, with the default credential chain. Elsewhere (DynamoDB Local) the
    Streams API is served by the same endpoint, and the client gets the DynamoDB client's
    access key (DynamoDB Local keeps one database per access key and region).
    """
    client = gateway.client
    meta = getattr(client, "meta", None)
    if meta is None:
        raise ValidationError(
            "this gateway has no boto3 client (a scripted transport?); pass "
            "StreamPoller(..., client=boto3.client('dynamodbstreams', ...))"
        )
    kwargs: dict[str, Any] = {"region_name": meta.region_name}
    endpoint = meta.endpoint_url
    host = urllib.parse.urlsplit(endpoint).hostname or ""
    if not host.endswith(".amazonaws.com") and not host.endswith(".amazonaws.com.cn"):
        kwargs["endpoint_url"] = endpoint
        signer = getattr(client, "_request_signer", None)
        credentials = getattr(signer, "_credentials", None)
        if credentials is not None:
            frozen = credentials.get_frozen_credentials()
            kwargs.update(
                aws_access_key_id=frozen.access_key,
                aws_secret_access_key=frozen.secret_key,
                aws_session_token=frozen.token,
            )
    return boto3.session.Session().client("dynamodbstreams", **kwargs)
