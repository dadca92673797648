"""The three domains of the pipelines service; each ``Meta`` is the single source of truth."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Literal

from pydantic import Field

from ddbwrap import GSI, INCLUDE, KEYS_ONLY, DomainModel


class PipelineConfig(DomainModel):
    """A data pipeline of a tenant, with the outcome of its last run denormalised onto it."""

    pipeline_id: str
    tenant_id: str
    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    is_active: bool = True
    schedule: str = "0 * * * *"
    source: str
    destination: str
    settings: dict[str, str | int] = {}
    tags: list[str] = []
    owner: str
    last_run_id: str | None = None
    last_run_status: str | None = None
    last_run_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 0

    class Meta:
        table_name = "pipeline_config"
        partition_key = "pipeline_id"
        gsis = [
            # Active pipelines per tenant: the boolean is the sort key, stored as "true"/"false".
            GSI("tenant-active-index", partition_key="tenant_id", sort_key="is_active"),
        ]
        version_attribute = "version"
        created_at_attribute = "created_at"
        updated_at_attribute = "updated_at"


class TableConfig(DomainModel):
    """One table a pipeline copies: where from, where to, and how."""

    pipeline_id: str
    table_name: str
    source_schema: str
    target_table: str
    columns: list[str] = []
    primary_keys: list[str] = []
    partition_column: str | None = None
    load_type: Literal["full", "incremental"] = "full"
    is_enabled: bool = True
    row_count_estimate: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None

    class Meta:
        table_name = "table_config"
        partition_key = "pipeline_id"
        sort_key = "table_name"
        created_at_attribute = "created_at"
        updated_at_attribute = "updated_at"


class RunStatus(str, enum.Enum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class PipelineRunLog(DomainModel):
    """One run of a pipeline; kept 30 days (TTL), queried by pipeline and time range."""

    pipeline_id: str
    started_at: datetime
    run_id: str
    tenant_id: str
    status: RunStatus = RunStatus.RUNNING
    finished_at: datetime | None = None
    duration_ms: int | None = None
    rows_read: int = 0
    rows_written: int = 0
    error_message: str | None = None
    details: dict[str, str] = {}
    expires_at: datetime

    class Meta:
        table_name = "pipeline_run_logs"
        partition_key = "pipeline_id"
        sort_key = "started_at"
        gsis = [
            GSI("run-index", partition_key="run_id", projection=KEYS_ONLY),
            GSI(
                "tenant-status-index",
                partition_key="tenant_id",
                sort_key="started_at",
                projection=INCLUDE("status", "run_id", "duration_ms"),
            ),
        ]
        ttl_attribute = "expires_at"


MODELS = (PipelineConfig, TableConfig, PipelineRunLog)
