"""mypy --strict must infer the types of writes and refuse DTOs of another model
(run: ``mypy tests/typing``).

Also collected by pytest, where the one test runs mypy on this file (so the suite notices a
typing regression) and the functions below are only type-checked, never called.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from typing_extensions import assert_type

from ddbwrap import DomainModel
from ddbwrap.expressions import Attr, Update
from ddbwrap.gateway import TableGateway
from ddbwrap.write import (
    ANY_VERSION,
    BatchWriter,
    CreateDTO,
    Transaction,
    UpdateDTO,
    WriteApi,
    WritePlan,
    create_plan,
    retry_on_conflict,
    update_plan,
)


class Pipeline(DomainModel):
    pipeline_id: str
    name: str
    runs: int = 0
    version: int = 0

    class Meta:
        table_name = "typing_write_pipelines"
        partition_key = "pipeline_id"
        version_attribute = "version"


class Tenant(DomainModel):
    tenant_id: str
    title: str

    class Meta:
        table_name = "typing_write_tenants"
        partition_key = "tenant_id"


class NewPipeline(CreateDTO[Pipeline]):
    pipeline_id: str
    name: str


class Rename(UpdateDTO[Pipeline]):
    name: str | None = None


class Retitle(UpdateDTO[Tenant]):
    title: str


class PipelineWrites(WriteApi[Pipeline]):
    def rename(self, pipeline: Pipeline, name: str) -> Pipeline:
        return self.update(pipeline, Rename(name=name))


M = TypeVar("M", bound=DomainModel)


class AuditedWrites(WriteApi[M]):
    """A generic subclass, bound to a model later."""


def check_write_types(gateway: TableGateway, when: datetime) -> None:
    writes = WriteApi[Pipeline](gateway)
    assert_type(writes, WriteApi[Pipeline])
    assert_type(writes.model, type[Pipeline])
    created = writes.create(NewPipeline(pipeline_id="p1", name="Build"))
    assert_type(created, Pipeline)
    assert_type(writes.create(Pipeline(pipeline_id="p2", name="x")), Pipeline)
    assert_type(writes.update(created, Rename(name="Deploy")), Pipeline)
    assert_type(writes.update({"pipeline_id": "p1"}, Update().increment("runs")), Pipeline)
    assert_type(writes.update(created, Rename(name="x"), upsert=True), Pipeline)
    assert_type(writes.put(created), Pipeline)
    assert_type(writes.replace(created, condition=Attr("runs") > 1), Pipeline)
    assert_type(writes.delete(created), None)
    assert_type(writes.delete(created, return_old=True), Pipeline | None)
    assert_type(writes.delete({"pipeline_id": "p1"}, expected_version=ANY_VERSION), None)
    assert_type(writes.modify(created, lambda p: Rename(name=p.name + "!")), Pipeline)
    assert_type(writes.batch(), BatchWriter[Pipeline])
    assert_type(NewPipeline(pipeline_id="p", name="n").values(), dict[str, Any])
    assert_type(Rename(name="n").changes(), dict[str, Any])

    custom = PipelineWrites(gateway)
    assert_type(custom.rename(created, "x"), Pipeline)
    assert_type(custom.create(NewPipeline(pipeline_id="p3", name="y")), Pipeline)
    assert_type(AuditedWrites[Pipeline](gateway).put(created), Pipeline)

    with Transaction(gateway) as tx:
        assert_type(tx.create(NewPipeline(pipeline_id="p4", name="z")), Pipeline)
        tx.update(Tenant, {"tenant_id": "t1"}, Retitle(title="T"))
        tx.update(Pipeline, created, Rename(name="n"))
        tx.check(Tenant, {"tenant_id": "t1"}, Attr("title").exists())

    plan = create_plan(Pipeline, NewPipeline(pipeline_id="p5", name="n"), now=when)
    assert_type(plan, WritePlan[Pipeline])
    assert_type(plan.item, Pipeline | None)
    assert_type(update_plan(Pipeline, created, Rename(name="n"), now=when), WritePlan[Pipeline])
    assert_type(retry_on_conflict(lambda: writes.update(created, Rename(name="n"))), Pipeline)


def check_write_errors(gateway: TableGateway, tenant: Tenant) -> None:
    """Mistakes that mypy must report (each line carries the error it expects)."""
    writes = WriteApi[Pipeline](gateway)
    writes.update({"pipeline_id": "p1"}, Retitle(title="x"))  # type: ignore[arg-type]
    writes.create(tenant)  # type: ignore[arg-type]
    writes.put(tenant)  # type: ignore[arg-type]
    tx = Transaction(gateway)
    tx.update(Pipeline, {"pipeline_id": "p1"}, Retitle(title="x"))  # type: ignore[misc]


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(sys.platform == "win32", reason="mypy run is POSIX-only here")
def test_write_types_are_inferred_by_mypy() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(Path(__file__))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
