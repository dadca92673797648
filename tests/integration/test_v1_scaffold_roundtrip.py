"""The module ``ddbwrap migrate scaffold`` writes round-trips data with the V1 repository it
was generated from, on DynamoDB Local."""

from __future__ import annotations

import importlib.util
import sys
import types
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from examples.v1_to_v2.v1.models import PipelineRun, RunStep
from examples.v1_to_v2.v1.repositories import PipelineRunRepository

from ddbwrap import TableGateway
from ddbwrap.v1 import scaffold_source

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

STARTED = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> types.ModuleType:
    path = tmp_path_factory.mktemp("scaffold") / "scaffolded_runs.py"
    path.write_text(scaffold_source(PipelineRunRepository), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("scaffolded_runs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["scaffolded_runs"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def gateway(ddb_tables: Any, generated: types.ModuleType) -> TableGateway:
    gateway: TableGateway = ddb_tables(generated.PipelineRun)
    return gateway


def v1_run(run_id: str) -> PipelineRun:
    return PipelineRun(
        pipeline_id="p1",
        run_id=run_id,
        status="succeeded",
        started_at=STARTED,
        cost=Decimal("1.05"),
        steps=[RunStep(name="extract", duration_ms=12)],
    )


def test_items_written_through_v1_read_back_through_the_generated_api(
    gateway: TableGateway, generated: types.ModuleType
) -> None:
    written = PipelineRunRepository(gateway).create(v1_run("r1"))
    reads = generated.PipelineRunReadApi(gateway)
    found = reads.get(pipeline_id="p1", run_id="r1")
    assert found is not None
    assert found.model_dump() == written.dict()
    page = reads.for_pipeline_id("p1")
    assert [r.run_id for r in page.items] == ["r1"]


def test_items_written_through_the_generated_api_read_back_through_v1(
    gateway: TableGateway, generated: types.ModuleType
) -> None:
    new = generated.NewPipelineRun.model_validate(v1_run("r2").dict())
    generated.PipelineRunWriteApi(gateway).create(new)
    generated.PipelineRunWriteApi(gateway).update(
        {"pipeline_id": "p1", "run_id": "r2"}, generated.PipelineRunUpdate(status="failed")
    )
    found = PipelineRunRepository(gateway).get("p1", "r2")
    assert found is not None
    assert found.dict() == {**v1_run("r2").dict(), "status": "failed"}


def test_the_generated_view_reads_items_written_through_v1(
    gateway: TableGateway, generated: types.ModuleType
) -> None:
    PipelineRunRepository(gateway).create(v1_run("r3"))
    reads = generated.PipelineRunReadApi(gateway)
    summary = reads.get(pipeline_id="p1", run_id="r3", view=generated.PipelineRunSummary)
    assert summary is not None
    assert (summary.run_id, summary.status, summary.started_at) == ("r3", "succeeded", STARTED)
