"""Async benchmark: ddbwrap.aio against raw aiobotocore, 64 operations in flight.

    python bench/bench_async.py                  # DynamoDB Local and the stub server, 5 rounds
    python bench/bench_async.py --target stub    # only the stub server (no DynamoDB)
    python bench/bench_async.py --quick          # 3 rounds, fewer operations
    python bench/bench_async.py --json out.json

Needs the ``async`` extra (aiobotocore). DynamoDB Local is started by the script
(``ddbwrap.testing.local.DynamoDBLocal``; ``DDBWRAP_TEST_ENDPOINT`` points it at your own).

Contenders, each with an aiobotocore client of its own (``max_pool_connections=64``):

- **raw aiobotocore** (the floor): ``await client.get_item(...)``, the raw response, no model;
- **aiobotocore + pydantic**: the same, then boto3's ``TypeDeserializer`` and a pydantic
  model, as a hand-written async service would;
- **ddbwrap async**: ``await AsyncReadApi[Item](gateway).get(...)``, a validated ``Item``
  (key checked, retries and fault classification included), fast path on;
- **ddbwrap async (fast path off)**: the same through aiobotocore's own serializer and parser.

Workloads: ``get`` (GetItem of one of 1,000 items of ~600 bytes, 15 attributes) and
``query 100`` (one Query page of 100 items), each as ``--ops`` operations run by 64 tasks.

Targets: **local** is DynamoDB Local on this machine (its JVM shares the cores with the
client); **stub** is a small HTTP server in a subprocess that answers with the items recorded
from DynamoDB Local (right key, right CRC32), so the client's own cost dominates the wall
time. Figures per round: this process's CPU time per operation (``time.process_time``: the
client's cost alone, which is what ddbwrap adds or saves) and operations per second (wall);
tables give the median over rounds and the ratio to the floor's median.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers.models import TENANT, Item, PlainItem, item_id, values

from ddbwrap.aio import AsyncReadApi, AsyncTableGateway
from ddbwrap.gateway import TableGateway
from ddbwrap.testing.local import (
    LOCAL_ACCESS_KEY,
    LOCAL_REGION,
    LOCAL_SECRET_KEY,
    DynamoDBLocal,
    local_client,
)
from ddbwrap.tooling import create_tables
from ddbwrap.write import WriteApi

IN_FLIGHT = 64
ITEMS = 1000
QUERY_LIMIT = 100
FLOOR = "raw aiobotocore"

Op = Callable[[int], Awaitable[Any]]


# --- the stub server ---------------------------------------------------------------------------


def serve_stub(port_file: Path, items_file: Path) -> None:
    """Answer GetItem with the recorded item of the asked key, Query with the first page."""
    items: list[dict[str, Any]] = json.loads(items_file.read_text())
    by_key = {item["item_id"]["S"]: item for item in items}
    page = json.dumps({"Items": items[:QUERY_LIMIT], "Count": QUERY_LIMIT}).encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            target = self.headers.get("x-amz-target", "")
            if target.endswith("GetItem"):
                raw = json.dumps({"Item": by_key[body["Key"]["item_id"]["S"]]}).encode()
            else:
                raw = page
            self.send_response(200)
            self.send_header("content-type", "application/x-amz-json-1.0")
            self.send_header("x-amz-crc32", str(zlib.crc32(raw) & 0xFFFFFFFF))
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_file.write_text(str(server.server_address[1]))
    server.serve_forever()


def start_stub(items: list[dict[str, Any]], workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    items_file, port_file = workdir / "items.json", workdir / "port"
    items_file.write_text(json.dumps(items))
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve-stub", str(port_file), str(items_file)]
    )
    for _ in range(200):
        if port_file.exists() and port_file.read_text():
            return process, f"http://127.0.0.1:{port_file.read_text()}"
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("the stub server did not start")


# --- contenders ---------------------------------------------------------------------------------


def aio_client(endpoint: str) -> Any:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    return get_session().create_client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=LOCAL_REGION,
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_SECRET_KEY,
        config=AioConfig(max_pool_connections=IN_FLIGHT, retries={"mode": "standard"}),
    )


def contenders(clients: dict[str, Any], table: str, prefix: str) -> dict[str, dict[str, Op]]:
    from boto3.dynamodb.types import TypeDeserializer

    deserialize = TypeDeserializer().deserialize

    def raw_ops(client: Any, typed: bool) -> dict[str, Op]:
        async def get(i: int) -> Any:
            response = await client.get_item(
                TableName=table,
                Key={"tenant_id": {"S": TENANT}, "item_id": {"S": item_id(i % ITEMS)}},
            )
            if not typed:
                return response
            raw = response["Item"]
            return PlainItem.model_validate({k: deserialize(v) for k, v in raw.items()})

        async def query(i: int) -> Any:
            response = await client.query(
                TableName=table,
                KeyConditionExpression="#p = :p",
                ExpressionAttributeNames={"#p": "tenant_id"},
                ExpressionAttributeValues={":p": {"S": TENANT}},
                Limit=QUERY_LIMIT,
            )
            if not typed:
                return response
            return [
                PlainItem.model_validate({k: deserialize(v) for k, v in raw.items()})
                for raw in response["Items"]
            ]

        return {"get": get, f"query {QUERY_LIMIT}": query}

    def ddbwrap_ops(client: Any, fast: bool) -> dict[str, Op]:
        # the botocore transport (aiobotocore), explicitly: the fast path is about it; the
        # direct transport is measured by peers.py and bench_transport.py
        import inspect

        botocore = (
            {"transport": "botocore"}
            if "transport" in inspect.signature(AsyncTableGateway.__init__).parameters
            else {}
        )
        gateway = AsyncTableGateway(client, table_prefix=prefix, fast_path=fast, **botocore)
        reads = AsyncReadApi[Item](gateway, cursor_secret="bench-async-cursor-secret-0123456789")

        async def get(i: int) -> Any:
            return await reads.get(tenant_id=TENANT, item_id=item_id(i % ITEMS))

        async def query(i: int) -> Any:
            return await reads.query(tenant_id=TENANT, limit=QUERY_LIMIT)

        return {"get": get, f"query {QUERY_LIMIT}": query}

    return {
        FLOOR: raw_ops(clients[FLOOR], typed=False),
        "aiobotocore + pydantic": raw_ops(clients["aiobotocore + pydantic"], typed=True),
        "ddbwrap async": ddbwrap_ops(clients["ddbwrap async"], fast=True),
        "ddbwrap async (fast path off)": ddbwrap_ops(
            clients["ddbwrap async (fast path off)"], fast=False
        ),
    }


def check(name: str, workload: str, result: Any) -> None:
    if workload == "get":
        found = result.get("Item") if isinstance(result, dict) else result
        assert found is not None, f"{name}: no item"
        if name.startswith("ddbwrap"):
            assert isinstance(result, Item), f"{name}: {type(result)}"
    else:
        items = result["Items"] if isinstance(result, dict) else getattr(result, "items", result)
        assert len(items) == QUERY_LIMIT, f"{name}: {len(items)} items"


# --- timing ---------------------------------------------------------------------------------------


async def timed(op: Op, start: int, n: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) for ops ``start .. start + n - 1``, 64 in flight, gc paused."""
    counter = iter(range(start, start + n))

    async def worker() -> None:
        for i in counter:
            await op(i)

    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        return time.process_time() - cpu, time.perf_counter() - wall
    finally:
        if enabled:
            gc.enable()


async def run_target(
    endpoint: str, table: str, prefix: str, rounds: int, ops: int
) -> dict[str, dict[str, dict[str, list[float]]]]:
    names = [FLOOR, "aiobotocore + pydantic", "ddbwrap async", "ddbwrap async (fast path off)"]
    managers = {name: aio_client(endpoint) for name in names}
    clients = {name: await manager.__aenter__() for name, manager in managers.items()}
    try:
        every = contenders(clients, table, prefix)
        results: dict[str, dict[str, dict[str, list[float]]]] = {}
        for workload in ("get", f"query {QUERY_LIMIT}"):
            n = ops if workload == "get" else max(IN_FLIGHT, ops // 10)
            per_workload = results.setdefault(workload, {})
            for name in names:  # warm up and check each contender once
                op = every[name][workload]
                check(name, workload, await op(0))
                await timed(op, 0, IN_FLIGHT)
            for r in range(rounds):
                order = names[r % len(names) :] + names[: r % len(names)]
                if r % 2:
                    order.reverse()
                for name in order:
                    cpu, wall = await timed(every[name][workload], (r + 1) * n, n)
                    figures = per_workload.setdefault(name, {"cpu_us": [], "ops_per_s": []})
                    figures["cpu_us"].append(cpu / n * 1e6)
                    figures["ops_per_s"].append(n / wall)
        return results
    finally:
        for manager in managers.values():
            await manager.__aexit__(None, None, None)


# --- report ---------------------------------------------------------------------------------------


def table_rows(results: dict[str, dict[str, list[float]]]) -> list[str]:
    floor_cpu = statistics.median(results[FLOOR]["cpu_us"])
    floor_rate = statistics.median(results[FLOOR]["ops_per_s"])
    rows = [
        "| contender | CPU µs/op (median) | ratio to floor | ops/s (median) | ratio to floor |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, figures in results.items():
        cpu = statistics.median(figures["cpu_us"])
        rate = statistics.median(figures["ops_per_s"])
        rows.append(
            f"| {name} | {cpu:,.0f} | {cpu / floor_cpu:.2f} | {rate:,.0f} | "
            f"{rate / floor_rate:.2f} |"
        )
    return rows


def versions() -> str:
    names = ("aiobotocore", "botocore", "aiohttp", "pydantic")
    found = []
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found.append(f"{name} {metadata.version(name)}")
    return f"Python {sys.version.split()[0]}, " + ", ".join(found)


def load(endpoint: str, prefix: str) -> list[dict[str, Any]]:
    gateway = TableGateway(local_client(endpoint), table_prefix=prefix)
    create_tables(gateway, [Item])
    with WriteApi[Item](gateway).batch() as batch:
        for i in range(ITEMS):
            batch.put(Item.model_validate(values(i)))
    physical = gateway.physical_table_name("items")
    client = gateway.client
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("query").paginate(
        TableName=physical,
        KeyConditionExpression="#p = :p",
        ExpressionAttributeNames={"#p": "tenant_id"},
        ExpressionAttributeValues={":p": {"S": TENANT}},
    ):
        items.extend(page["Items"])
    return items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=["both", "local", "stub"], default="both")
    parser.add_argument("--rounds", type=int, default=None, help="5 (3 with --quick)")
    parser.add_argument("--ops", type=int, default=None, help="gets per round (2,000)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--serve-stub", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_stub:
        serve_stub(*args.serve_stub)
        return 0
    rounds = args.rounds or (3 if args.quick else 5)
    ops = args.ops or (640 if args.quick else 2000)
    prefix = f"bench-async-{uuid.uuid4().hex[:8]}-"
    report: dict[str, Any] = {"versions": versions(), "in_flight": IN_FLIGHT, "targets": {}}
    print(f"# ddbwrap async benchmark ({versions()}; {IN_FLIGHT} in flight, {rounds} rounds)")
    with DynamoDBLocal() as local:
        items = load(local.endpoint_url, prefix)
        table = f"{prefix}items"
        targets: list[tuple[str, str]] = []
        stub = None
        if args.target in ("both", "local"):
            targets.append(("DynamoDB Local", local.endpoint_url))
        if args.target in ("both", "stub"):
            workdir = Path(os.environ.get("TMPDIR", "/tmp")) / prefix
            workdir.mkdir(parents=True, exist_ok=True)
            stub, url = start_stub(items, workdir)
            targets.append(("stub server (no DynamoDB)", url))
        try:
            for title, endpoint in targets:
                results = asyncio.run(run_target(endpoint, table, prefix, rounds, ops))
                report["targets"][title] = results
                for workload, figures in results.items():
                    print(f"\n## {title}: {workload}\n")
                    print("\n".join(table_rows(figures)))
        finally:
            if stub is not None:
                stub.kill()
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
