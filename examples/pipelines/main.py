"""The pipelines service end to end: tables from models, typed writes and reads, views, a
transaction, pagination, and the conflicts ddbwrap catches.

    python -m examples.pipelines.main                       # embedded in-process DynamoDB (moto)
    python -m examples.pipelines.main --endpoint-url http://localhost:8000   # DynamoDB Local
    DDBWRAP_DEMO_ENDPOINT=aws python -m examples.pipelines.main              # AWS, from the env
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from ddbwrap import AlreadyExistsError, TableGateway, VersionConflictError
from ddbwrap.tooling import create_tables

from .._backend import run_with_backend
from .handlers.pipeline_config.commands import PipelineConfigWriteApi
from .handlers.pipeline_config.queries import PipelineConfigReadApi
from .handlers.pipeline_run_logs.commands import PipelineRunLogWriteApi
from .handlers.pipeline_run_logs.queries import PipelineRunLogReadApi
from .handlers.table_config.commands import TableConfigWriteApi
from .handlers.table_config.queries import TableConfigReadApi
from .models.domain_models import MODELS, PipelineConfig, PipelineRunLog, RunStatus
from .models.dtos import CreatePipeline, CreateTableConfig, UpdatePipeline
from .models.views import PipelineSummary

T0 = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(7)
"""The run history starts a week ago: its 30-day TTLs lie ahead whenever the demo runs (a fixed
date made DynamoDB Local expire and delete the run logs a month later)."""


class ResponseBytes:
    """Counts the bytes of DynamoDB's HTTP responses, to show what views save on the wire."""

    def __init__(self, gateway: TableGateway) -> None:
        self.total = 0
        gateway.client.meta.events.register("after-call.dynamodb", self._count)

    def _count(self, http_response: Any, **_: Any) -> None:
        self.total += len(http_response.content or b"")

    @contextlib.contextmanager
    def measure(self) -> Iterator[list[int]]:
        box = [0]
        start = self.total
        yield box
        box[0] = self.total - start


class Service:
    """The handlers of the three domains, wired to one gateway (as a web app would)."""

    def __init__(self, gateway: TableGateway) -> None:
        self.pipelines_w = PipelineConfigWriteApi(gateway)
        self.pipelines_r = PipelineConfigReadApi(gateway)
        self.tables_w, self.tables_r = TableConfigWriteApi(gateway), TableConfigReadApi(gateway)
        self.runs_w, self.runs_r = PipelineRunLogWriteApi(gateway), PipelineRunLogReadApi(gateway)
        self.wire = ResponseBytes(gateway)


def run(gateway: TableGateway, say: Any = print) -> dict[str, Any]:
    """Run the whole scenario on ``gateway``; returns the figures it printed."""
    service = Service(gateway)
    figures: dict[str, Any] = {}
    created = create_tables(gateway, MODELS)
    figures["tables"] = [result.table for result in created]
    say(f"tables        created {', '.join(figures['tables'])} from the models' Meta")
    for step in (_write, _runs, _views, _pagination, _conflicts):
        step(service, figures, say)
    return figures


def _write(service: Service, figures: dict[str, Any], say: Any) -> None:
    pipelines_w, pipelines_r, tables_w = service.pipelines_w, service.pipelines_r, service.tables_w
    for tenant in ("acme", "globex"):
        for n in range(1, 4):
            pipelines_w.register(
                CreatePipeline(
                    pipeline_id=f"{tenant}-p{n}",
                    tenant_id=tenant,
                    name=f"{tenant} ingest {n}",
                    source=f"postgres://{tenant}/db{n}",
                    destination=f"s3://{tenant}-lake/p{n}",
                    owner=f"owner@{tenant}.example",
                    tags=["nightly", f"team-{n}"],
                )
            )
    first = pipelines_r.require(pipeline_id="acme-p1")
    pipelines_w.change(first, UpdatePipeline(is_active=False))
    for name in ("orders", "customers", "invoices"):
        tables_w.add(
            CreateTableConfig(
                pipeline_id="acme-p2",
                table_name=name,
                source_schema="public",
                target_table=f"raw_{name}",
                columns=["id", "updated_at", "payload"],
            )
        )
    say("writes        6 pipelines and 3 table configs created from validated DTOs; 1 deactivated")


def _runs(service: Service, figures: dict[str, Any], say: Any) -> None:
    history = [
        PipelineRunLog(
            pipeline_id="acme-p2",
            started_at=T0 + timedelta(hours=h),
            run_id=f"run-{h:03d}",
            tenant_id="acme",
            status=RunStatus.FAILED if h % 10 == 7 else RunStatus.SUCCEEDED,
            duration_ms=60_000 + h * 10,
            rows_read=1000 + h,
            rows_written=1000 + h,
            expires_at=T0 + timedelta(days=30, hours=h),
        )
        for h in range(48)
    ]
    figures["batch_written"] = service.runs_w.import_runs(history)
    say(f"batch write   {figures['batch_written']} historical run logs (25 per request)")

    live = PipelineRunLog(
        pipeline_id="acme-p2",
        started_at=T0 + timedelta(days=3),
        run_id="run-live",
        tenant_id="acme",
        status=RunStatus.SUCCEEDED,
        duration_ms=61_000,
        expires_at=T0 + timedelta(days=33),
    )
    service.pipelines_w.record_run(live)
    after = service.pipelines_r.require(pipeline_id="acme-p2")
    figures["last_run"] = after.last_run_id
    say(
        f"transaction   run log + pipeline last-run fields written atomically "
        f"(acme-p2 last run: {after.last_run_id}, {after.last_run_status})"
    )


def _views(service: Service, figures: dict[str, Any], say: Any) -> None:
    wire, pipelines_r = service.wire, service.pipelines_r
    with wire.measure() as full_bytes:
        full = pipelines_r.query(index="tenant-active-index", tenant_id="acme", is_active=True)
    with wire.measure() as view_bytes:
        active = pipelines_r.active_for_tenant("acme")
    assert [p.pipeline_id for p in full.items] == [p.pipeline_id for p in active.items]
    saved = 100 * (1 - view_bytes[0] / full_bytes[0])
    figures["view_saving_percent"] = round(saved)
    say(
        f"view read     {len(active.items)} active acme pipelines: {view_bytes[0]} response "
        f"bytes as PipelineSummary vs {full_bytes[0]} as PipelineConfig ({saved:.0f}% saved)"
    )
    say(f"              {', '.join(p.pipeline_id for p in active.items)}")


def _pagination(service: Service, figures: dict[str, Any], say: Any) -> None:
    day_one = (T0, T0 + timedelta(days=1))
    page1 = service.runs_r.runs_between("acme-p2", *day_one, limit=10)
    assert page1.cursor is not None
    page2 = service.runs_r.runs_between("acme-p2", *day_one, limit=10, cursor=page1.cursor)
    figures["pages"] = [len(page1.items), len(page2.items)]
    say(
        f"pagination    runs of day 1, newest first: page 1 {page1.items[0].run_id}.."
        f"{page1.items[-1].run_id}, page 2 {page2.items[0].run_id}..{page2.items[-1].run_id} "
        "(opaque signed cursor)"
    )
    tables = service.tables_r.for_pipeline("acme-p2")
    say(f"query         acme-p2 copies {', '.join(t.target_table for t in tables.items)}")


def _conflicts(service: Service, figures: dict[str, Any], say: Any) -> None:
    pipelines_w, pipelines_r = service.pipelines_w, service.pipelines_r
    alice = pipelines_r.require(pipeline_id="acme-p3")
    bob = pipelines_r.require(pipeline_id="acme-p3")
    pipelines_w.change(alice, UpdatePipeline(name="acme ingest 3 (alice)"))
    try:
        pipelines_w.change(bob, UpdatePipeline(name="acme ingest 3 (bob)"))
    except VersionConflictError as conflict:
        figures["conflict"] = (conflict.expected, conflict.current)
        fresh = pipelines_r.require(pipeline_id="acme-p3")
        pipelines_w.change(fresh, UpdatePipeline(description="bob retried on the fresh copy"))
        say(
            f"conflict      bob's stale write refused (expected version {conflict.expected}, "
            f"current {conflict.current}); re-read and retried"
        )
    try:
        pipelines_w.register(
            CreatePipeline(
                pipeline_id="acme-p1",
                tenant_id="acme",
                name="duplicate",
                source="x",
                destination="y",
                owner="z",
            )
        )
    except AlreadyExistsError:
        figures["duplicate_refused"] = True
        say("create        a second acme-p1 refused: create never overwrites (AlreadyExistsError)")
    summaries: tuple[PipelineSummary, ...] = pipelines_r.active_for_tenant("globex").items
    final: PipelineConfig = pipelines_r.require(pipeline_id="acme-p3")
    say(
        f"done          globex has {len(summaries)} active pipelines; acme-p3 is at version "
        f"{final.version}"
    )


def main(argv: list[str] | None = None) -> int:
    return run_with_backend(run, argv, description=__doc__)


if __name__ == "__main__":
    raise SystemExit(main())
