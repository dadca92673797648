"""``examples/v1_to_v2``: the V1 and V2 code bases of one domain share tables and agree, and
the shims work, on DynamoDB Local."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from examples.v1_to_v2.shims import adapter as shim_adapter
from examples.v1_to_v2.shims import bridge as shim_bridge
from examples.v1_to_v2.v1 import handlers as v1
from examples.v1_to_v2.v1.repositories import (
    PipelineConfigRepository,
    PipelineRunRepository,
)
from examples.v1_to_v2.v2 import handlers as v2
from examples.v1_to_v2.v2.apis import PipelineConfigReadApi, PipelineRunReadApi
from examples.v1_to_v2.v2.models import PipelineConfig, PipelineRun

from ddbwrap import TableGateway
from ddbwrap.write import WriteApi

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

STARTED = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def gateway(ddb_tables: Any) -> TableGateway:
    gateway: TableGateway = ddb_tables(PipelineConfig, PipelineRun)
    return gateway


def without_version(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "version"} for row in rows]


def test_what_v1_handlers_write_v2_handlers_read_alike(gateway: TableGateway) -> None:
    repo, runs = v1.build_repositories(gateway)
    v1.register_pipeline(repo, "p1", "t1", "first")
    v1.register_pipeline(repo, "p2", "t1", "second")
    v1.deactivate_pipeline(repo, "p2")
    v1.record_run(
        runs, {"pipeline_id": "p1", "run_id": "r1", "started_at": "2026-11-22T10:30+01:00"}
    )
    v1.record_run(runs, {"pipeline_id": "p1", "run_id": "r2", "started_at": "2026-11-22T09:45Z"})
    reads, run_reads = PipelineConfigReadApi(gateway), PipelineRunReadApi(gateway)
    assert without_version(v2.pipelines_for_tenant(reads, "t1")) == [
        {k: v for k, v in row.items() if k != "version"}
        for row in v1.pipelines_for_tenant(repo, "t1")
    ]
    assert v2.active_pipeline_ids(reads) == v1.active_pipeline_ids(repo) == ["p1"]
    assert v2.count_pipelines(reads) == v1.count_pipelines(repo) == 2
    history = v2.run_history(run_reads, "p1", "Asia/Tokyo")
    assert history == v1.run_history(runs, "p1", "Asia/Tokyo")
    assert history == ["r2 @ 2026-11-22T18:45:00+09:00", "r1 @ 2026-11-22T18:30:00+09:00"]


def test_what_v2_handlers_write_v1_handlers_read_alike(gateway: TableGateway) -> None:
    writes = WriteApi[PipelineConfig](gateway)
    run_writes = WriteApi[PipelineRun](gateway)
    v2.register_pipeline(writes, "p1", "t1", "first")
    v2.rename_pipeline(writes, "p1", "renamed")
    v2.record_run(run_writes, {"pipeline_id": "p1", "run_id": "r1", "started_at": STARTED})
    finished = v2.finish_run(run_writes, "p1", "r1", "succeeded", STARTED)
    repo, runs = PipelineConfigRepository(gateway), PipelineRunRepository(gateway)
    found = repo.get("p1")
    assert found is not None and found.name == "renamed"
    v1_run = runs.get("p1", "r1")
    assert v1_run is not None
    assert (v1_run.status, v1_run.finished_at) == (finished.status, finished.finished_at)
    assert v1.delete_pipeline(repo, runs, "p1") is True
    assert v2.count_pipelines(PipelineConfigReadApi(gateway)) == 0


def test_v1_and_v2_finish_run_store_the_same_changes(gateway: TableGateway) -> None:
    _, runs = v1.build_repositories(gateway)
    run_writes = WriteApi[PipelineRun](gateway)
    for run_id in ("a", "b"):
        v1.record_run(runs, {"pipeline_id": "p1", "run_id": run_id, "started_at": STARTED})
    by_v1 = v1.finish_run(runs, "p1", "a", "failed", STARTED)
    by_v2 = v2.finish_run(run_writes, "p1", "b", "failed", STARTED)
    assert (by_v1.status, by_v1.finished_at) == (by_v2.status, by_v2.finished_at)


def test_the_bridge_repository_keeps_v2_versions_right(gateway: TableGateway) -> None:
    repo = shim_bridge.VersionedPipelineConfigRepository(gateway)
    v1.register_pipeline(repo, "p1", "t1", "first")
    v1.rename_pipeline(repo, "p1", "renamed")
    found = PipelineConfigReadApi(gateway).get(pipeline_id="p1")
    assert found is not None and (found.name, found.version) == ("renamed", 2)


def test_the_derived_run_model_matches_the_v2_run_model() -> None:
    derived = shim_bridge.derived_run_model()
    assert derived.__ddb_schema__ is not None and PipelineRun.__ddb_schema__ is not None
    assert (
        derived.__ddb_schema__.create_table_params()
        == PipelineRun.__ddb_schema__.create_table_params()
    )


def test_a_handler_on_the_adapter_answers_like_on_the_repository(gateway: TableGateway) -> None:
    repo = shim_adapter.config_repository(gateway)
    v1.register_pipeline(PipelineConfigRepository(gateway), "p1", "t1", "first")
    assert shim_adapter.rename_pipeline(repo, "p1", "renamed") is True
    assert shim_adapter.rename_pipeline(repo, "nope", "x") is False
    by_repository, by_adapter = shim_adapter.tenant_names_both_ways(gateway, "t1")
    assert by_repository == by_adapter == ["renamed"]
