"""The V1 handlers, migrated: ReadApi/WriteApi, DTOs, ddbwrap errors, the standard library."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from ddbwrap import AlreadyExistsError, DdbwrapError, ItemNotFoundError
from ddbwrap.write import ANY_VERSION, WriteApi

from .apis import PipelineConfigReadApi, PipelineRunReadApi
from .models import (
    FinishRun,
    NewPipeline,
    PipelineConfig,
    PipelineRun,
    RenamePipeline,
    SetActive,
)

logger = logging.getLogger(__name__)


def register_pipeline(
    writes: WriteApi[PipelineConfig], pipeline_id: str, tenant_id: str, name: str
) -> PipelineConfig | None:
    new = NewPipeline(
        pipeline_id=pipeline_id,
        tenant_id=tenant_id,
        name=name,
        created_at=datetime.now(timezone.utc),
    )
    try:
        return writes.create(new)
    except AlreadyExistsError:
        return None


def rename_pipeline(writes: WriteApi[PipelineConfig], pipeline_id: str, name: str) -> bool:
    try:
        writes.update(
            {"pipeline_id": pipeline_id}, RenamePipeline(name=name), expected_version=ANY_VERSION
        )
    except ItemNotFoundError:
        return False
    return True


def deactivate_pipeline(
    reads: PipelineConfigReadApi, writes: WriteApi[PipelineConfig], pipeline_id: str
) -> bool:
    config = reads.get(pipeline_id=pipeline_id)
    if config is None:
        return False
    writes.update(config, SetActive(is_active=False))  # checks the version read
    return True


def pipelines_for_tenant(reads: PipelineConfigReadApi, tenant_id: str) -> list[dict[str, Any]]:
    return [config.model_dump() for config in reads.for_tenant(tenant_id)]


def active_pipeline_ids(reads: PipelineConfigReadApi) -> list[str]:
    return [summary.pipeline_id for summary in reads.active()]


def count_pipelines(reads: PipelineConfigReadApi) -> int:
    return reads.scan_count()


def record_run(writes: WriteApi[PipelineRun], payload: dict[str, Any]) -> PipelineRun:
    return writes.create(PipelineRun.model_validate(payload))


def run_history(reads: PipelineRunReadApi, pipeline_id: str, tz_name: str) -> list[str]:
    zone = ZoneInfo(tz_name)
    return [
        f"{run.run_id} @ {run.started_at.astimezone(zone).isoformat()}"
        for run in reads.history(pipeline_id)
    ]


def finish_run(
    writes: WriteApi[PipelineRun], pipeline_id: str, run_id: str, status: str, at: datetime
) -> PipelineRun:
    key = {"pipeline_id": pipeline_id, "run_id": run_id}
    return writes.update(key, FinishRun.model_validate({"status": status, "finished_at": at}))


def delete_pipeline(
    writes: WriteApi[PipelineConfig],
    run_reads: PipelineRunReadApi,
    run_writes: WriteApi[PipelineRun],
    pipeline_id: str,
) -> bool:
    try:
        for run in run_reads.query_all(pipeline_id=pipeline_id):
            run_writes.delete(run)
        old = writes.delete(
            {"pipeline_id": pipeline_id}, expected_version=ANY_VERSION, return_old=True
        )
        return old is not None
    except DdbwrapError:
        logger.exception("could not delete pipeline %s", pipeline_id)
        raise
