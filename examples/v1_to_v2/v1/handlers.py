"""V1 handlers: repositories, V1 exceptions and the timezone helpers."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from ddbwrap.v1 import (
    DynamoDBWrapperError,
    ItemAlreadyExistsException,
    ItemNotFoundException,
    format_datetime,
    now_utc,
    parse_datetime,
    to_user_timezone,
    to_utc,
)

from .models import PipelineConfig, PipelineRun
from .repositories import PipelineConfigRepository, PipelineRunRepository

logger = logging.getLogger(__name__)


def register_pipeline(
    repo: PipelineConfigRepository, pipeline_id: str, tenant_id: str, name: str
) -> PipelineConfig | None:
    """Create a pipeline; None when the id is taken."""
    config = PipelineConfig(
        pipeline_id=pipeline_id, tenant_id=tenant_id, name=name, created_at=now_utc()
    )
    try:
        return repo.create(config)
    except ItemAlreadyExistsException:
        return None


def rename_pipeline(repo: PipelineConfigRepository, pipeline_id: str, name: str) -> bool:
    """Rename a pipeline; False when there is none."""
    try:
        repo.update(pipeline_id, {"name": name})
    except ItemNotFoundException:
        return False
    return True


def deactivate_pipeline(repo: PipelineConfigRepository, pipeline_id: str) -> bool:
    """Read, change, write back the whole item."""
    config = repo.get(pipeline_id)
    if config is None:
        return False
    config.is_active = False
    repo.update(config)
    return True


def pipelines_for_tenant(repo: PipelineConfigRepository, tenant_id: str) -> list[dict[str, Any]]:
    """The tenant's pipelines as dicts (oldest first)."""
    return [config.dict() for config in repo.list(tenant_id, index_name="tenant-index")]


def active_pipeline_ids(repo: PipelineConfigRepository) -> list[str]:
    """Ids of the active pipelines (a query on the boolean GSI)."""
    return [config.pipeline_id for config in repo.list(True, index_name="active-index")]


def count_pipelines(repo: PipelineConfigRepository) -> int:
    """Every pipeline of every tenant: a full scan."""
    return len(repo.list_all())


def record_run(runs: PipelineRunRepository, payload: dict[str, Any]) -> PipelineRun:
    """Store a run reported as JSON (``started_at`` in any ISO-8601 form)."""
    started_at = to_utc(parse_datetime(payload["started_at"]))
    run = PipelineRun.parse_obj({**payload, "started_at": started_at})
    return runs.create(run)


def run_history(runs: PipelineRunRepository, pipeline_id: str, tz_name: str) -> list[str]:
    """``run_id @ local start time`` for each run, newest first, in the user's zone."""
    return [
        f"{run.run_id} @ {format_datetime(to_user_timezone(run.started_at, tz_name))}"
        for run in runs.list(pipeline_id, ascending=False)
    ]


def finish_run(
    runs: PipelineRunRepository, pipeline_id: str, run_id: str, status: str, at: datetime
) -> PipelineRun:
    return runs.update((pipeline_id, run_id), {"status": status, "finished_at": to_utc(at)})


def delete_pipeline(
    repo: PipelineConfigRepository, runs: PipelineRunRepository, pipeline_id: str
) -> bool:
    """Delete a pipeline and its runs; False when it did not exist."""
    try:
        for run in runs.list(pipeline_id):
            runs.delete(pipeline_id, run.run_id)
        return repo.delete(pipeline_id)
    except DynamoDBWrapperError:
        logger.exception("could not delete pipeline %s", pipeline_id)
        raise


def build_repositories(gateway: Any) -> tuple[PipelineConfigRepository, PipelineRunRepository]:
    return PipelineConfigRepository(gateway), PipelineRunRepository(gateway)
