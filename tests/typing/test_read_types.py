"""mypy --strict must infer the result types of reads (run: ``mypy tests/typing``).

Also collected by pytest, where the one test runs mypy on this file (so the suite notices a
typing regression) and the functions below are only type-checked, never called.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from typing_extensions import assert_type

from ddbwrap import GSI, DomainModel
from ddbwrap.gateway import TableGateway
from ddbwrap.read import BatchResult, Get, Page, ReadApi, View, begins_with, transact_get


class Pipeline(DomainModel):
    pipeline_id: str
    tenant_id: str
    name: str
    created_at: datetime

    class Meta:
        table_name = "typing_pipelines"
        partition_key = "pipeline_id"
        gsis = [GSI("tenant-index", partition_key="tenant_id", sort_key="created_at")]


class PipelineName(View[Pipeline]):
    pipeline_id: str
    name: str


class PipelineReads(ReadApi[Pipeline]):
    def for_tenant(self, tenant_id: str) -> Page[PipelineName]:
        return self.query(index="tenant-index", tenant_id=tenant_id, view=PipelineName)


def check_read_types(gateway: TableGateway) -> None:
    reads = ReadApi[Pipeline](gateway)
    assert_type(reads, ReadApi[Pipeline])
    assert_type(reads.get(pipeline_id="p1"), Pipeline | None)
    assert_type(reads.get(pipeline_id="p1", view=PipelineName), PipelineName | None)
    assert_type(reads.require(pipeline_id="p1"), Pipeline)
    assert_type(reads.require({"pipeline_id": "p1"}, view=PipelineName), PipelineName)
    assert_type(reads.query(index="tenant-index", tenant_id="t1"), Page[Pipeline])
    assert_type(
        reads.query(
            index="tenant-index", tenant_id="t1", sort=begins_with("2024"), view=PipelineName
        ),
        Page[PipelineName],
    )
    assert_type(reads.query(tenant_id="t1").items, tuple[Pipeline, ...])
    assert_type(reads.query_all(pipeline_id="p1"), Iterator[Pipeline])
    assert_type(reads.query_all(pipeline_id="p1", view=PipelineName), Iterator[PipelineName])
    assert_type(reads.scan(), Page[Pipeline])
    assert_type(reads.scan(view=PipelineName), Page[PipelineName])
    assert_type(reads.scan_all(segments=4), Iterator[Pipeline])
    assert_type(reads.count(pipeline_id="p1"), int)
    assert_type(reads.batch_get([{"pipeline_id": "p1"}]), BatchResult[Pipeline])
    assert_type(
        reads.batch_get([{"pipeline_id": "p1"}], view=PipelineName), BatchResult[PipelineName]
    )
    assert_type(reads.batch_get([{"pipeline_id": "p1"}]).items, tuple[Pipeline, ...])
    assert_type(reads.batch_get([{"pipeline_id": "p1"}]).results, tuple[Pipeline | None, ...])
    assert_type(reads.transact_get([{"pipeline_id": "p1"}]), BatchResult[Pipeline])

    custom = PipelineReads(gateway)
    assert_type(custom.get(pipeline_id="p1"), Pipeline | None)
    assert_type(custom.for_tenant("t1"), Page[PipelineName])

    full = Get(Pipeline, pipeline_id="p1")
    named = Get(Pipeline, view=PipelineName, pipeline_id="p2")
    assert_type(full, Get[Pipeline])
    assert_type(named, Get[PipelineName])
    snapshot = transact_get(gateway, [full, named])
    assert_type(snapshot[full], Pipeline | None)
    assert_type(snapshot.require(named), PipelineName)


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(sys.platform == "win32", reason="mypy run is POSIX-only here")
def test_read_result_types_are_inferred_by_mypy() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(Path(__file__))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
