"""mypy --strict must infer the same types for the async API as for the sync one (run:
``mypy tests/typing``): ``await reads.get(...)`` is ``Model | None``, a view query
``Page[View]``, ``query_all`` an ``AsyncIterator`` of the model or view.

Also collected by pytest, where the one test runs mypy on this file (so the suite notices a
typing regression) and the functions below are only type-checked, never called.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import pytest
from typing_extensions import assert_type

from ddbwrap import GSI, DomainModel
from ddbwrap.aio import (
    AsyncBatchWriter,
    AsyncReadApi,
    AsyncTableGateway,
    AsyncTransaction,
    AsyncWriteApi,
    retry_on_conflict,
    transact_get,
)
from ddbwrap.expressions import Attr, Update
from ddbwrap.read import BatchResult, Get, Page, View, begins_with
from ddbwrap.write import ANY_VERSION, CreateDTO, UpdateDTO


class Pipeline(DomainModel):
    pipeline_id: str
    tenant_id: str
    name: str
    runs: int = 0
    created_at: datetime
    version: int = 0

    class Meta:
        table_name = "typing_aio_pipelines"
        partition_key = "pipeline_id"
        gsis = [GSI("tenant-index", partition_key="tenant_id", sort_key="created_at")]
        version_attribute = "version"


class Tenant(DomainModel):
    tenant_id: str
    title: str

    class Meta:
        table_name = "typing_aio_tenants"
        partition_key = "tenant_id"


class PipelineName(View[Pipeline]):
    pipeline_id: str
    name: str


class NewPipeline(CreateDTO[Pipeline]):
    pipeline_id: str
    tenant_id: str
    name: str
    created_at: datetime


class Rename(UpdateDTO[Pipeline]):
    name: str | None = None


class Retitle(UpdateDTO[Tenant]):
    title: str


class PipelineReads(AsyncReadApi[Pipeline]):
    async def for_tenant(self, tenant_id: str) -> Page[PipelineName]:
        return await self.query(index="tenant-index", tenant_id=tenant_id, view=PipelineName)


class PipelineWrites(AsyncWriteApi[Pipeline]):
    async def rename(self, pipeline: Pipeline, name: str) -> Pipeline:
        return await self.update(pipeline, Rename(name=name))


M = TypeVar("M", bound=DomainModel)


class AuditedWrites(AsyncWriteApi[M]):
    """A generic subclass, bound to a model later."""


async def check_read_types(gateway: AsyncTableGateway) -> None:
    reads = AsyncReadApi[Pipeline](gateway)
    assert_type(reads, AsyncReadApi[Pipeline])
    assert_type(reads.gateway, AsyncTableGateway)
    assert_type(await reads.get(pipeline_id="p1"), Pipeline | None)
    assert_type(await reads.get(pipeline_id="p1", view=PipelineName), PipelineName | None)
    assert_type(await reads.require(pipeline_id="p1"), Pipeline)
    assert_type(await reads.require({"pipeline_id": "p1"}, view=PipelineName), PipelineName)
    assert_type(await reads.query(index="tenant-index", tenant_id="t1"), Page[Pipeline])
    assert_type(
        await reads.query(
            index="tenant-index", tenant_id="t1", sort=begins_with("2024"), view=PipelineName
        ),
        Page[PipelineName],
    )
    assert_type((await reads.query(tenant_id="t1")).items, tuple[Pipeline, ...])
    assert_type(reads.query_all(pipeline_id="p1"), AsyncIterator[Pipeline])
    assert_type(reads.query_all(pipeline_id="p1", view=PipelineName), AsyncIterator[PipelineName])
    async for pipeline in reads.query_all(pipeline_id="p1"):
        assert_type(pipeline, Pipeline)
    assert_type(await reads.scan(), Page[Pipeline])
    assert_type(await reads.scan(view=PipelineName), Page[PipelineName])
    assert_type(reads.scan_all(segments=4), AsyncIterator[Pipeline])
    assert_type(await reads.count(pipeline_id="p1"), int)
    assert_type(await reads.scan_count(segments=2), int)
    assert_type(await reads.batch_get([{"pipeline_id": "p1"}]), BatchResult[Pipeline])
    assert_type(
        await reads.batch_get([{"pipeline_id": "p1"}], view=PipelineName),
        BatchResult[PipelineName],
    )
    assert_type(
        (await reads.batch_get([{"pipeline_id": "p1"}])).results, tuple[Pipeline | None, ...]
    )
    assert_type(await reads.transact_get([{"pipeline_id": "p1"}]), BatchResult[Pipeline])

    custom = PipelineReads(gateway)
    assert_type(await custom.get(pipeline_id="p1"), Pipeline | None)
    assert_type(await custom.for_tenant("t1"), Page[PipelineName])

    full = Get(Pipeline, pipeline_id="p1")
    named = Get(Pipeline, view=PipelineName, pipeline_id="p2")
    snapshot = await transact_get(gateway, [full, named])
    assert_type(snapshot[full], Pipeline | None)
    assert_type(snapshot.require(named), PipelineName)


async def check_write_types(gateway: AsyncTableGateway, when: datetime) -> None:
    writes = AsyncWriteApi[Pipeline](gateway)
    assert_type(writes, AsyncWriteApi[Pipeline])
    assert_type(writes.model, type[Pipeline])
    new = NewPipeline(pipeline_id="p1", tenant_id="t1", name="Build", created_at=when)
    created = await writes.create(new)
    assert_type(created, Pipeline)
    assert_type(await writes.update(created, Rename(name="Deploy")), Pipeline)
    assert_type(await writes.update({"pipeline_id": "p1"}, Update().increment("runs")), Pipeline)
    assert_type(await writes.put(created), Pipeline)
    assert_type(await writes.replace(created, condition=Attr("runs") > 1), Pipeline)
    assert_type(await writes.delete(created), None)
    assert_type(await writes.delete(created, return_old=True), Pipeline | None)
    assert_type(await writes.delete({"pipeline_id": "p1"}, expected_version=ANY_VERSION), None)
    assert_type(await writes.modify(created, lambda p: Rename(name=p.name + "!")), Pipeline)
    assert_type(writes.batch(), AsyncBatchWriter[Pipeline])

    custom = PipelineWrites(gateway)
    assert_type(await custom.rename(created, "x"), Pipeline)
    assert_type(await AuditedWrites[Pipeline](gateway).put(created), Pipeline)

    async with AsyncTransaction(gateway) as tx:
        assert_type(tx, AsyncTransaction)
        assert_type(tx.create(new), Pipeline)
        tx.update(Tenant, {"tenant_id": "t1"}, Retitle(title="T"))
        tx.check(Tenant, {"tenant_id": "t1"}, Attr("title").exists())

    assert_type(
        await retry_on_conflict(lambda: writes.update(created, Rename(name="n"))), Pipeline
    )

    async with writes.batch() as batch:
        assert_type(batch, AsyncBatchWriter[Pipeline])
        await batch.put(created)
        await batch.delete({"pipeline_id": "p2"})


async def check_write_errors(gateway: AsyncTableGateway, tenant: Tenant) -> None:
    """Mistakes that mypy must report (each line carries the error it expects)."""
    writes = AsyncWriteApi[Pipeline](gateway)
    await writes.update({"pipeline_id": "p1"}, Retitle(title="x"))  # type: ignore[arg-type]
    await writes.create(tenant)  # type: ignore[arg-type]
    tx = AsyncTransaction(gateway)
    tx.update(Pipeline, {"pipeline_id": "p1"}, Retitle(title="x"))  # type: ignore[misc]
    found = AsyncReadApi[Pipeline](gateway).get(pipeline_id="p1")
    _ = found.name  # type: ignore[attr-defined]  # a coroutine: forgot the await
    async with AsyncTableGateway.from_environment() as opened:
        assert_type(opened, AsyncTableGateway)
    await found


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(sys.platform == "win32", reason="mypy run is POSIX-only here")
def test_async_types_are_inferred_by_mypy_as_in_sync() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(Path(__file__))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
