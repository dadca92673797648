"""Read models: the few attributes each screen needs, fetched with a ProjectionExpression."""

from __future__ import annotations

from datetime import datetime

from ddbwrap import View

from .domain_models import PipelineConfig, PipelineRunLog, RunStatus, TableConfig


class PipelineSummary(View[PipelineConfig]):
    pipeline_id: str
    name: str
    is_active: bool
    last_run_status: str | None


class TableConfigSummary(View[TableConfig]):
    table_name: str
    target_table: str
    is_enabled: bool


class RunLogSummary(View[PipelineRunLog]):
    run_id: str
    started_at: datetime
    status: RunStatus
    duration_ms: int | None
