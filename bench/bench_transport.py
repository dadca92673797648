"""Client CPU per call of ddbwrap on its two transports, against a raw boto3 client.

    python bench/bench_transport.py                  # starts DynamoDB Local, 3 repeats
    python bench/bench_transport.py --endpoint http://localhost:8000 --repeat 5

Rows (each a ratio to the raw boto3 client's CPU for the same call in the same run, measured
interleaved with ``time.process_time``, so DynamoDB Local's own CPU is not counted):

- **get / put / update / delete**: ``ReadApi.get`` / ``WriteApi.put`` / ``WriteApi.update`` /
  ``WriteApi.delete`` of a 15-attribute item, against ``client.get_item`` etc. with the
  AttributeValues already built;
- **query, per item**: ``ReadApi`` query of 100 items (one page), against ``client.query``;
- **async get, 64 in flight**: ``AsyncReadApi.get`` on each transport against an aiobotocore
  client's ``get_item``, 64 tasks at a time on one event loop.

``--transport direct`` / ``botocore`` limits the run to one of ddbwrap's transports.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import botocore

from ddbwrap import DomainModel, ReadApi, TableGateway, Update, WriteApi
from ddbwrap.aio import AsyncReadApi, AsyncTableGateway
from ddbwrap.testing.local import (
    LOCAL_ACCESS_KEY,
    LOCAL_REGION,
    LOCAL_SECRET_KEY,
    DynamoDBLocal,
    local_client,
)
from ddbwrap.tooling import create_tables


class Row(DomainModel):
    pk: str
    sk: int
    name: str = "a name"
    count: int = 7
    price: Decimal = Decimal("12.50")
    active: bool = True
    tags: list[str] = ["x", "y"]
    labels: set[str] = {"l1", "l2"}
    created: datetime = datetime(2026, 1, 1, tzinfo=timezone.utc)
    note: str = "some text " * 4
    score: float = 0.5
    payload: bytes = b"\x00\x01binary"
    nested: dict[str, str] = {"a": "b"}
    owner: str = "owner-1"
    version: int = 0

    class Meta:
        table_name = "bench_rows"
        partition_key = "pk"
        sort_key = "sk"


def cpu_per_call(fn: Callable[[], Any], n: int) -> float:
    """µs of this process's CPU per call of ``fn`` (gc paused, as ``timeit`` does)."""
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        for _ in range(n):
            fn()
        return (time.process_time() - start) / n * 1e6
    finally:
        gc.enable()


async def async_gets(endpoint: str, transports: list[str], calls: int) -> dict[str, float]:
    """µs of CPU per get with 64 in flight: the raw aiobotocore client, then ddbwrap."""
    from aiobotocore.session import get_session

    key = {"pk": {"S": "p"}, "sk": {"N": "0"}}
    async with get_session().create_client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=LOCAL_REGION,
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_SECRET_KEY,
    ) as client:
        cases: dict[str, Callable[[], Any]] = {
            "raw aiobotocore": lambda: client.get_item(TableName="bench_rows", Key=key)
        }
        for name in transports:
            reads = AsyncReadApi[Row](AsyncTableGateway(client, transport=name))
            cases[f"ddbwrap {name}"] = lambda reads=reads: reads.get(pk="p", sk=0)
        results = {}
        for case, fn in cases.items():
            limit = asyncio.Semaphore(64)

            async def one(fn: Callable[[], Any] = fn, limit: asyncio.Semaphore = limit) -> None:
                async with limit:
                    await fn()

            await asyncio.gather(*(one() for _ in range(64)))  # warm: open the connections
            gc.collect()
            start = time.process_time()
            await asyncio.gather(*(one() for _ in range(calls)))
            results[case] = (time.process_time() - start) / calls * 1e6
        return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", default=None, help="a running DynamoDB Local")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--transport", choices=("direct", "botocore"), action="append")
    args = parser.parse_args(argv)
    transports = args.transport or ["direct", "botocore"]
    with ExitStack() as stack:
        endpoint = args.endpoint or stack.enter_context(DynamoDBLocal()).endpoint_url
        client = local_client(endpoint)
        create_tables(TableGateway(client), [Row])
        raw_item = WriteApi[Row](TableGateway(client)).put(Row(pk="p", sk=0))
        del raw_item
        item = client.get_item(TableName="bench_rows", Key={"pk": {"S": "p"}, "sk": {"N": "0"}})
        for sk in range(1, 101):
            client.put_item(TableName="bench_rows", Item={**item["Item"], "sk": {"N": str(sk)}})
        key = {"pk": {"S": "p"}, "sk": {"N": "0"}}
        raw: dict[str, Callable[[], Any]] = {
            "get": lambda: client.get_item(TableName="bench_rows", Key=key),
            "put": lambda: client.put_item(TableName="bench_rows", Item=item["Item"]),
            "update": lambda: client.update_item(
                TableName="bench_rows",
                Key=key,
                UpdateExpression="SET #c = :c",
                ExpressionAttributeNames={"#c": "count"},
                ExpressionAttributeValues={":c": {"N": "8"}},
                ReturnValues="ALL_NEW",
            ),
            "query, per item": lambda: client.query(
                TableName="bench_rows",
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": "p"}},
                Limit=100,
            ),
        }
        cases: dict[str, dict[str, Callable[[], Any]]] = {"raw boto3": raw}
        for name in transports:
            gateway = TableGateway(client, transport=name)
            reads, writes = ReadApi[Row](gateway), WriteApi[Row](gateway)
            row = Row(pk="p", sk=0)
            cases[f"ddbwrap {name} ({type(gateway.transport).__name__})"] = {
                "get": lambda reads=reads: reads.get(pk="p", sk=0),
                "put": lambda writes=writes, row=row: writes.put(row),
                "update": lambda writes=writes: writes.update(
                    {"pk": "p", "sk": 0}, Update().set("count", 8)
                ),
                "query, per item": lambda reads=reads: reads.query(pk="p", limit=100),
            }
        per_item = {"query, per item": 100}
        results: dict[str, dict[str, list[float]]] = {c: {op: [] for op in raw} for c in cases}
        for _ in range(args.repeat):
            for op in raw:
                for case, fns in cases.items():
                    fns[op]()  # warm
                    n = args.calls // per_item.get(op, 1) * (10 if op in per_item else 1)
                    us = cpu_per_call(fns[op], n) / per_item.get(op, 1)
                    results[case][op].append(us)
        print(f"botocore {botocore.__version__}; µs CPU per call (ratio to raw boto3), medians")
        header = f"{'':38}" + "".join(f"{op:>22}" for op in raw)
        print(header)
        for case, ops in results.items():
            cells = []
            for op, samples in ops.items():
                median = statistics.median(samples)
                base = statistics.median(results["raw boto3"][op])
                cells.append(f"{median:9.1f} ({median / base:4.2f}x)")
            print(f"{case:38}" + "".join(f"{c:>22}" for c in cells))
        rounds = [asyncio.run(async_gets(endpoint, transports, args.calls * 4)) for _ in range(3)]
        print("async get, 64 in flight: µs CPU per get (ratio to raw aiobotocore), medians")
        base = statistics.median(r["raw aiobotocore"] for r in rounds)
        for case in rounds[0]:
            median = statistics.median(r[case] for r in rounds)
            print(f"{case:38}{median:9.1f} ({median / base:4.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
