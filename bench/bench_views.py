"""View benchmark: bytes on the wire and time of a full read vs a view read, on DynamoDB Local.

    python bench/bench_views.py                  # 200 items per model, 5 rounds
    python bench/bench_views.py --items 100 --rounds 3
    DDBWRAP_TEST_ENDPOINT=http://127.0.0.1:8000 python bench/bench_views.py   # your endpoint

Three models of the seed (pipeline config, table config, pipeline run log), each with about
15 attributes of realistic size, and a 3-4 field view of each. For every model the benchmark
times ``get`` (one item, repeated for every item) and ``query`` (the whole partition, paged)
with and without the view. Bytes are the raw HTTP response bodies, read from botocore's
``after-call`` event, so they are exactly what crossed the wire. Contenders run interleaved in
each round; the table shows per-read medians over rounds. DynamoDB Local runs on this machine,
so the times mostly show the client-side cost (parsing and validating less data); over a real
network the byte savings weigh more.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from ddbwrap import GSI, DomainModel
from ddbwrap.codec import codec_for
from ddbwrap.gateway import TableGateway
from ddbwrap.read import ReadApi, View
from ddbwrap.testing.local import DynamoDBLocal, local_client

UTC = dt.timezone.utc


class Schedule(BaseModel):
    cron: str
    timezone: str = "UTC"
    enabled: bool = True
    max_parallel: int = 4


class PipelineConfig(DomainModel):
    pipeline_id: str
    tenant_id: str
    name: str
    description: str
    is_active: bool = True
    owner: str
    schedule: Schedule
    settings: dict[str, Any]
    tags: list[str]
    source_tables: list[str]
    target_table: str
    retries: int = 3
    cost_per_run: Decimal
    created_at: dt.datetime
    updated_at: dt.datetime

    class Meta:
        table_name = "bench_pipeline_config"
        partition_key = "pipeline_id"
        gsis = [GSI("tenant-index", partition_key="tenant_id", sort_key="created_at")]


class PipelineSummary(View[PipelineConfig]):
    pipeline_id: str
    name: str
    is_active: bool
    owner: str


class TableConfig(DomainModel):
    table_id: str
    pipeline_id: str
    database: str
    schema_name: str
    table_name: str
    description: str
    columns: list[dict[str, str]]
    primary_key: list[str]
    partition_columns: list[str]
    load_strategy: str
    watermark_column: str | None = None
    row_count: int
    size_bytes: int
    is_enabled: bool = True
    updated_at: dt.datetime

    class Meta:
        table_name = "bench_table_config"
        partition_key = "table_id"
        gsis = [GSI("pipeline-index", partition_key="pipeline_id", sort_key="table_id")]


class TableSummary(View[TableConfig]):
    table_id: str
    table_name: str
    load_strategy: str
    is_enabled: bool


class PipelineRunLog(DomainModel):
    pipeline_id: str
    run_id: str
    status: str
    trigger: str
    started_at: dt.datetime
    finished_at: dt.datetime
    duration_ms: int
    rows_read: int
    rows_written: int
    bytes_processed: int
    error_message: str | None = None
    log_excerpt: str
    metrics: dict[str, Decimal]
    host: str
    attempt: int = 1

    class Meta:
        table_name = "bench_pipeline_run_logs"
        partition_key = "pipeline_id"
        sort_key = "run_id"


class RunStatus(View[PipelineRunLog]):
    run_id: str
    status: str
    started_at: dt.datetime


def make_pipeline(n: int) -> PipelineConfig:
    now = dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(minutes=n)
    return PipelineConfig(
        pipeline_id=f"pipe-{n:05d}",
        tenant_id="tenant-1",
        name=f"Nightly load {n}",
        description="Loads the sales mart from the ERP extracts, then refreshes aggregates. " * 3,
        owner=f"team-{n % 7}@example.com",
        schedule=Schedule(cron="0 2 * * *", timezone="Europe/Berlin"),
        settings={"batch_size": 5000, "mode": "incremental", "notify": ["ops@example.com"]},
        tags=["etl", "sales", f"n{n}", "nightly"],
        source_tables=[f"erp.orders_{i}" for i in range(4)],
        target_table="mart.sales_daily",
        cost_per_run=Decimal("0.4213"),
        created_at=now,
        updated_at=now,
    )


def make_table(n: int) -> TableConfig:
    return TableConfig(
        table_id=f"tbl-{n:05d}",
        pipeline_id="pipe-00001",
        database="warehouse",
        schema_name="mart",
        table_name=f"sales_daily_{n}",
        description="Daily sales per store and product, deduplicated and currency-normalised.",
        columns=[{"name": f"col_{i}", "type": "varchar(64)"} for i in range(12)],
        primary_key=["store_id", "product_id", "day"],
        partition_columns=["day"],
        load_strategy="merge",
        watermark_column="updated_at",
        row_count=1_250_000 + n,
        size_bytes=9_876_543_210,
        updated_at=dt.datetime(2026, 1, 1, tzinfo=UTC),
    )


def make_run(n: int) -> PipelineRunLog:
    start = dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(hours=n)
    return PipelineRunLog(
        pipeline_id="pipe-00001",
        run_id=f"run-{n:05d}",
        status="succeeded" if n % 5 else "failed",
        trigger="schedule",
        started_at=start,
        finished_at=start + dt.timedelta(minutes=12),
        duration_ms=720_000,
        rows_read=1_000_000 + n,
        rows_written=999_000 + n,
        bytes_processed=123_456_789,
        error_message=None if n % 5 else "source table erp.orders_2 was locked",
        log_excerpt="INFO step finished; rows=1000000 elapsed=12.1s\n" * 8,
        metrics={"cpu_s": Decimal("812.5"), "mem_gb": Decimal("3.2"), "spill_gb": Decimal("0")},
        host="worker-7.internal",
    )


class WireMeter:
    """Sums the raw HTTP response body sizes botocore receives."""

    def __init__(self) -> None:
        self.bytes = 0

    def __call__(self, http_response: Any, **_: Any) -> None:
        self.bytes += len(http_response.content)


def cases(
    gateway: TableGateway, items: int
) -> list[tuple[str, str, Callable[[], int], Callable[[], int]]]:
    """(model, operation, full read, view read); each read returns how many requests it made."""
    pipelines = ReadApi[PipelineConfig](gateway)
    tables = ReadApi[TableConfig](gateway)
    runs = ReadApi[PipelineRunLog](gateway)
    pipe_ids = [f"pipe-{n:05d}" for n in range(items)]
    table_ids = [f"tbl-{n:05d}" for n in range(items)]

    def gets(api: ReadApi[Any], field: str, ids: list[str], view: Any) -> Callable[[], int]:
        def run() -> int:
            for key in ids:
                found = api.get({field: key}, view=view)
                assert found is not None
            return len(ids)

        return run

    def query(run: Callable[[], list[Any]]) -> Callable[[], int]:
        def go() -> int:
            assert len(run()) == items
            return 1

        return go

    return [
        (
            "pipeline config",
            "get",
            gets(pipelines, "pipeline_id", pipe_ids, None),
            gets(pipelines, "pipeline_id", pipe_ids, PipelineSummary),
        ),
        (
            "pipeline config",
            "query (GSI)",
            query(lambda: list(pipelines.query_all(index="tenant-index", tenant_id="tenant-1"))),
            query(
                lambda: list(
                    pipelines.query_all(
                        index="tenant-index", tenant_id="tenant-1", view=PipelineSummary
                    )
                )
            ),
        ),
        (
            "table config",
            "get",
            gets(tables, "table_id", table_ids, None),
            gets(tables, "table_id", table_ids, TableSummary),
        ),
        (
            "table config",
            "query (GSI)",
            query(lambda: list(tables.query_all(index="pipeline-index", pipeline_id="pipe-00001"))),
            query(
                lambda: list(
                    tables.query_all(
                        index="pipeline-index", pipeline_id="pipe-00001", view=TableSummary
                    )
                )
            ),
        ),
        (
            "run log",
            "query",
            query(lambda: list(runs.query_all(pipeline_id="pipe-00001"))),
            query(lambda: list(runs.query_all(pipeline_id="pipe-00001", view=RunStatus))),
        ),
    ]


def load(gateway: TableGateway, items: int) -> None:
    for model, make in (
        (PipelineConfig, make_pipeline),
        (TableConfig, make_table),
        (PipelineRunLog, make_run),
    ):
        codec = codec_for(model)
        gateway.create_table(codec.schema.create_table_params())
        gateway.batch_write(
            {
                codec.schema.table_name: [
                    {"PutRequest": {"Item": codec.encode(make(n))}} for n in range(items)
                ]
            }
        )


def measure(meter: WireMeter, run: Callable[[], int]) -> tuple[int, float, int]:
    before = meter.bytes
    started = time.perf_counter()
    reads = run()
    return meter.bytes - before, time.perf_counter() - started, reads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=200, help="items per model")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with DynamoDBLocal() as server:
        client = local_client(server.endpoint_url)
        meter = WireMeter()
        client.meta.events.register("after-call.dynamodb", meter)
        gateway = TableGateway(client, table_prefix=f"bench-{uuid.uuid4().hex[:6]}-")
        where = (
            f"{server.endpoint_url} (DDBWRAP_TEST_ENDPOINT)"
            if server.external
            else f"DynamoDB Local {server.version}"
        )
        load(gateway, args.items)
        try:
            rows = []
            timings: dict[tuple[int, str], list[float]] = {}
            wire: dict[tuple[int, str], int] = {}
            reads: dict[tuple[int, str], int] = {}
            all_cases = cases(gateway, args.items)
            for _ in range(args.rounds):
                for index, (_, _, full, view) in enumerate(all_cases):
                    for label, run in (("full", full), ("view", view)):
                        size, seconds, count = measure(meter, run)
                        timings.setdefault((index, label), []).append(seconds)
                        wire[(index, label)] = size
                        reads[(index, label)] = count
            for index, (model, operation, _, _) in enumerate(all_cases):
                full_bytes = wire[(index, "full")] / reads[(index, "full")]
                view_bytes = wire[(index, "view")] / reads[(index, "view")]
                full_ms = statistics.median(timings[(index, "full")]) * 1000
                view_ms = statistics.median(timings[(index, "view")]) * 1000
                per = reads[(index, "full")]
                rows.append(
                    (
                        model,
                        operation,
                        full_bytes,
                        view_bytes,
                        1 - view_bytes / full_bytes,
                        full_ms / per,
                        view_ms / per,
                    )
                )
        finally:
            for name in ("bench_pipeline_config", "bench_table_config", "bench_pipeline_run_logs"):
                gateway.delete_table(name)
    print(f"{args.items} items per model, {args.rounds} rounds, against {where}")
    header = (
        f"{'model':<16} {'read':<12} {'full B':>9} {'view B':>9} {'saved':>6} "
        f"{'full ms':>8} {'view ms':>8}"
    )
    print(header)
    print("-" * len(header))
    for model, operation, fb, vb, saved, fms, vms in rows:
        unit = "per get" if operation == "get" else f"per {args.items}"
        print(
            f"{model:<16} {operation:<12} {fb:>9.0f} {vb:>9.0f} {saved:>6.0%} "
            f"{fms:>8.2f} {vms:>8.2f}  ({unit})"
        )


if __name__ == "__main__":
    main()
